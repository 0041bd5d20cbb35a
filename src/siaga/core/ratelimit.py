"""Rate limits for public endpoints (no login): requests per client address in a fixed window, counted in the
shared cache so every server process counts the same requests (Redis when scaled out, see settings.CACHES).

    @public_limit("cap_feed")            # a page or a plain Django view: answers 429 itself
    def public_rss(request): ...

    check(request, "report_status")      # inside a ninja operation: raises RateLimited (a ServiceError, 429)

    hit(f"my-app:{bucket}:{ip}", (count, seconds))  # the counter itself, for a limit with its own answer


Limits are "count/seconds" in settings.SIAGA_PUBLIC_RATE_LIMITS. The call center's report form keeps its own
sliding-window limits per phone number in the database (siaga.callcenter.ratelimit).
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .errors import ServiceError, error_body


class RateLimited(ServiceError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int):
        self.retry_after = max(1, int(retry_after))
        super().__init__(_("Too many requests from your address. Please wait %(seconds)s seconds and try again. "
                           "In an emergency, call 112.") % {"seconds": self.retry_after},
                         details={"retry_after": self.retry_after})


def rule(name: str) -> tuple[int, int]:
    text = str((getattr(settings, "SIAGA_PUBLIC_RATE_LIMITS", {}) or {}).get(name, "60/60"))
    count, _sep, seconds = text.partition("/")
    return int(count), max(1, int(seconds or 60))


def client_ip(request) -> str:
    from siaga.callcenter.ratelimit import client_ip as _client_ip  # one reading of X-Forwarded-For

    return _client_ip(request)


def hit(key: str, limit: tuple[int, int]) -> int:
    """Count one hit on `key` in the current fixed window of limit = (count, seconds).

    Returns 0 within the limit, else the seconds until the window ends (when to try again). Every
    fixed-window limit in Siaga counts here, so each is shared by all server processes alike.
    """
    count, seconds = limit
    seconds = max(1, int(seconds))
    now = time.time()
    window = int(now // seconds)
    key = f"{key}:{window}"
    if cache.add(key, 1, timeout=seconds + 1):
        n = 1
    else:
        try:
            n = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds + 1)
            n = 1
    if n > count:
        return int((window + 1) * seconds - now) + 1
    return 0


def check(request, name: str) -> None:
    """Count this request against the client's bucket `name`; raise RateLimited past the limit."""
    retry_after = hit(f"public-rate:{name}:{client_ip(request)}", rule(name))
    if retry_after:
        raise RateLimited(retry_after)


def too_many(request, exc: RateLimited):
    """The 429 answer: JSON under /api/, else the page, with Retry-After."""
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        response = JsonResponse(error_body(exc.code, exc.message, exc.details), status=429)
    else:
        response = render(request, "429.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def public_limit(name: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                check(request, name)
            except RateLimited as exc:
                return too_many(request, exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
