"""Sliding-window rate limits kept in the database, so every process and server counts the same requests.

A limit is "N requests per S seconds" in a named bucket ("report:number:+62812...", "report:ip:...").
hit() counts one request, or raises RateLimited (HTTP 429, with the seconds until a slot frees up).
On SQLite the count and the insert run in one IMMEDIATE transaction, so concurrent writers queue;
on PostgreSQL two racing requests may both pass at the edge, which is fine for spam control.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

# Hits older than this are deleted whenever a hit is counted: no window is longer.
KEEP = dt.timedelta(days=1)

DEFAULT_LIMITS = {
    # Public reports: per phone number and per client IP.
    "report_number": "5/600",
    "report_ip": "20/3600",
    # Location-link posts, per client IP (a link itself is single-use).
    "location_ip": "20/600",
}


@dataclasses.dataclass(frozen=True)
class Limit:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        count, _sep, seconds = str(text).partition("/")
        return cls(int(count), int(seconds))


def limit(name: str) -> Limit:
    """The configured limit `name`: settings.SIAGA_RATE_LIMITS overrides DEFAULT_LIMITS ("count/seconds")."""
    configured = getattr(settings, "SIAGA_RATE_LIMITS", {}) or {}
    return Limit.parse(configured.get(name, DEFAULT_LIMITS[name]))


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int, message: str | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            message or _("Too many reports in a short time. Please wait %(minutes)s minute(s) and try again. "
                         "In an emergency, call 112.") % {"minutes": max(1, math.ceil(self.retry_after / 60))},
            details={"retry_after": self.retry_after},
        )


def check(bucket: str, rule: Limit, *, now=None) -> None:
    """Raise RateLimited if the bucket is full, without counting anything."""
    from .models import RateLimitHit

    now = now or timezone.now()
    window_start = now - dt.timedelta(seconds=rule.seconds)
    recent = RateLimitHit.objects.filter(bucket=bucket, at__gt=window_start, at__lte=now)
    if recent.count() >= rule.count:
        # The slot frees when the oldest hit that still counts leaves the window.
        oldest = recent.order_by("-at").values_list("at", flat=True)[rule.count - 1]
        raise RateLimited(math.ceil((oldest - window_start).total_seconds()))


def hit(bucket: str, rule: Limit, *, now=None) -> None:
    """Count one request in the bucket, or raise RateLimited when it is full."""
    hit_many([(bucket, rule)], now=now)


@transaction.atomic
def hit_many(rules: list[tuple[str, Limit]], *, now=None) -> None:
    """Check every bucket first, then count the request in all of them: a refused request counts nowhere."""
    from .models import RateLimitHit

    now = now or timezone.now()
    rules = [(bucket[:150], rule) for bucket, rule in rules]
    RateLimitHit.objects.filter(at__lt=now - KEEP).delete()
    for bucket, rule in rules:
        check(bucket, rule, now=now)
    RateLimitHit.objects.bulk_create([RateLimitHit(bucket=bucket, at=now) for bucket, _rule in rules])


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the address the trusted proxies in front of us saw.

    settings.SIAGA_TRUSTED_PROXIES is how many proxies append to X-Forwarded-For before Django; the
    client is the entry that many places from the right. Values further left are client-supplied.
    """
    proxies = int(getattr(settings, "SIAGA_TRUSTED_PROXIES", 0) or 0)
    if proxies > 0:
        chain = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(chain) >= proxies:
            return chain[-proxies][:64]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]
