"""Per-process caches of region data that notice changes made by other processes through a cheap version stamp."""

from __future__ import annotations

import threading
import time
from typing import Callable, Generic, TypeVar

from django.conf import settings
from django.db.models import Count, Max

T = TypeVar("T")

# How often (seconds) a cache asks the database whether regions changed. Writes in this process
# invalidate at once; other server processes notice within this many seconds.
DEFAULT_CHECK_SECONDS = 5.0


def region_stamp() -> tuple:
    """Changes whenever a region row is written (services set updated_at) or deleted: count and newest write."""
    from .models import Region

    agg = Region.objects.aggregate(n=Count("pk"), latest=Max("updated_at"))
    return agg["n"], agg["latest"]


class VersionedCache(Generic[T]):
    """Holds one value built from the database; rebuilt when the stamp moves, checked at most every few seconds."""

    def __init__(self, build: Callable[[], T], stamp: Callable[[], tuple] = region_stamp):
        self._build = build
        self._stamp_fn = stamp
        self._lock = threading.Lock()
        self._value: T | None = None
        self._stamp: tuple | None = None
        self._checked_at = 0.0

    def get(self) -> T:
        interval = float(getattr(settings, "SIAGA_GEO_CACHE_SECONDS", DEFAULT_CHECK_SECONDS))
        with self._lock:
            now = time.monotonic()
            if self._value is not None and now - self._checked_at < interval:
                return self._value
            stamp = self._stamp_fn()
            if self._value is None or stamp != self._stamp:
                # Read the stamp before building: a write racing the build is seen at the next check.
                self._value = self._build()
                self._stamp = stamp
            self._checked_at = time.monotonic()
            return self._value

    def peek(self) -> T | None:
        """The cached value without touching the database (None if not built)."""
        return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None
            self._stamp = None
            self._checked_at = 0.0
