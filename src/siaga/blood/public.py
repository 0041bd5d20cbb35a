"""The public stock board's data and live feed: aggregates only, cached, rate limited, no login.

The core live stream (/api/stream) needs a login, so citizens' browsers follow a stream of their own
at /darah/stok/live: one "board" event with the whole (small) board whenever stock changes, built from
a cached snapshot so a thousand open boards cost one query per change, not a thousand.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from siaga.core import bus, ratelimit
from siaga.core.errors import ServiceError, error_body

from . import services

log = logging.getLogger(__name__)

CACHE_KEY = "blood:public-board"
RETRY_MS = 5000


def cache_seconds() -> float:
    return float(getattr(settings, "SIAGA_BLOOD_PUBLIC_CACHE_SECONDS", 5))


def rate_limit() -> tuple[int, int]:
    """(requests, seconds) per client address for the board's JSON and stream endpoints."""
    text = str(getattr(settings, "SIAGA_BLOOD_PUBLIC_RATE", "60/60"))
    count, _sep, seconds = text.partition("/")
    return int(count), int(seconds)


def login_rate_limit() -> tuple[int, int]:
    """(attempts, seconds) per address for the donors' NIK + birth-date sign-in."""
    text = str(getattr(settings, "SIAGA_BLOOD_DONOR_LOGIN_RATE", "10/600"))
    count, _sep, seconds = text.partition("/")
    return int(count), int(seconds)


def max_streams_per_ip() -> int:
    return int(getattr(settings, "SIAGA_BLOOD_PUBLIC_STREAMS_PER_IP", 4))


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"


def client_ip(request) -> str:
    return ratelimit.client_ip(request)  # one reading of X-Forwarded-For for every limit


def check_rate(request, *, bucket: str = "board", limit: tuple[int, int] | None = None) -> None:
    """Count one request from the client's address in a fixed window; refuse past the limit (HTTP 429)."""
    retry_after = ratelimit.hit(f"blood:public-rate:{bucket}:{client_ip(request)}", limit or rate_limit())
    if retry_after:
        raise RateLimited(_("Too many requests; the board refreshes by itself, please wait a moment."),
                          details={"retry_after": retry_after})


def board(*, fresh: bool = False) -> dict:
    """The board, from the cache when it is younger than cache_seconds()."""
    if not fresh:
        cached = cache.get(CACHE_KEY)
        if cached is not None:
            return cached
    data = services.public_board()
    cache.set(CACHE_KEY, data, timeout=cache_seconds())
    return data


def invalidate() -> None:
    cache.delete(CACHE_KEY)


async def _db(fn, *args, **kw):
    def call():
        try:
            return fn(*args, **kw)
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=False)()


def _format(data: dict, seq: int) -> bytes:
    return f"id: {seq}\nevent: board\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


def _stream_slot_key(ip: str) -> str:
    return f"blood:public-streams:{ip}"


async def stream(request):
    """GET /darah/stok/live: Server-Sent Events with the board now and after every stock change."""
    if request.method != "GET":
        return JsonResponse(error_body("method_not_allowed", _("Only GET is allowed here.")), status=405)
    ip = client_ip(request)
    try:
        await _db(check_rate, request)
    except RateLimited as exc:
        response = JsonResponse(error_body(exc.code, exc.message, exc.details), status=429)
        response["Retry-After"] = str(exc.details["retry_after"])
        return response
    slots = _stream_slot_key(ip)
    cache.add(slots, 0, timeout=3600)
    try:
        open_now = cache.incr(slots)
    except ValueError:
        cache.set(slots, 1, timeout=3600)
        open_now = 1
    if open_now > max_streams_per_ip():
        cache.decr(slots)
        return JsonResponse(error_body("rate_limited", _("Too many open boards from your address.")), status=429)
    response = StreamingHttpResponse(_events(slots), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _events(slots: str):
    heartbeat = float(getattr(settings, "SIAGA_SSE_HEARTBEAT", 15))
    seq = 0
    last_sent = None
    try:
        async with bus.subscribe() as sub:
            yield f"retry: {RETRY_MS}\n\n".encode()
            data = await _db(board)
            seq += 1
            last_sent = data
            yield _format(data, seq)
            last_write = time.monotonic()
            while True:
                try:
                    msg = await asyncio.wait_for(sub.get(), timeout=max(0.0, last_write + heartbeat -
                                                                         time.monotonic()))
                except TimeoutError:
                    yield b": ping\n\n"
                    last_write = time.monotonic()
                    continue
                if msg.get("type") != "blood.stock.changed":
                    continue
                # Coalesce a burst (an issue of several units) into one board.
                await asyncio.sleep(0.2)
                data = await _db(board, fresh=True)
                if data.get("sites") == (last_sent or {}).get("sites"):
                    continue
                seq += 1
                last_sent = data
                yield _format(data, seq)
                last_write = time.monotonic()
    except (bus.SubscriptionLost, bus.BusUnavailable) as exc:
        log.info("closing a public board stream: %s", exc)
    finally:
        try:
            cache.decr(slots)
        except ValueError:
            pass
