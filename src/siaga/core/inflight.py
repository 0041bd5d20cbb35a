"""A per-process limit on requests in flight, in front of Django (ASGI).

Without it a surge gives every waiting request its own thread and database connection: on SQLite they queue for
the one write lock until their clients give up, on PostgreSQL they exhaust max_connections and every request
fails. With it, at most SIAGA_MAX_INFLIGHT requests run at once per process; the others wait up to
SIAGA_INFLIGHT_WAIT seconds (default 3) for a slot and are then answered 503 with Retry-After at once, which a phone app
retries (its writes carry an Idempotency-Key) instead of hanging.

Live streams (text/event-stream) are long-lived and hold no database connection while idle: they are not
counted. Nor are static files.
"""

from __future__ import annotations

import asyncio
import json
import os

from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

STREAM_PATHS = ("/api/stream",)
STREAM_SUFFIXES = ("/live",)
EXEMPT_PREFIXES = ("/static/",)


def _exempt(path: str) -> bool:
    return path in STREAM_PATHS or path.endswith(STREAM_SUFFIXES) or path.startswith(EXEMPT_PREFIXES)


def language(scope) -> str:
    """The language of an answer given before Django's middleware runs, chosen as LanguageMiddleware does.

    The language cookie first; else, for the API only, Accept-Language (many Indonesian phones run an
    English system language, so a browser's header is not a choice for pages); else Bahasa Indonesia.
    """
    headers: dict[bytes, list[str]] = {}
    for name, value in scope.get("headers") or ():
        headers.setdefault(name.lower(), []).append(value.decode("latin-1"))
    supported = dict(settings.LANGUAGES)
    chosen = parse_cookie("; ".join(headers.get(b"cookie", []))).get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in supported:
        return chosen
    accept = ",".join(headers.get(b"accept-language", []))
    if accept and scope.get("path", "").startswith("/api/"):
        for code, _quality in parse_accept_lang_header(accept):
            if code == "*":
                break
            try:
                chosen = translation.get_supported_language_variant(code)
            except LookupError:
                continue
            if chosen in supported:
                return chosen
    return settings.LANGUAGE_CODE


class InflightLimit:
    def __init__(self, app, limit: int | None = None, wait_seconds: float | None = None):
        self.app = app
        self.limit = int(limit if limit is not None else os.environ.get("SIAGA_MAX_INFLIGHT", "24"))
        self.wait = float(wait_seconds if wait_seconds is not None else os.environ.get("SIAGA_INFLIGHT_WAIT", "3"))
        self._sem: asyncio.Semaphore | None = None
        self.refused = 0

    def _semaphore(self) -> asyncio.Semaphore:
        if self._sem is None:  # created inside the server's event loop
            self._sem = asyncio.Semaphore(self.limit)
        return self._sem

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.limit <= 0 or _exempt(scope.get("path", "")):
            return await self.app(scope, receive, send)
        sem = self._semaphore()
        try:
            await asyncio.wait_for(sem.acquire(), timeout=self.wait)
        except (asyncio.TimeoutError, TimeoutError):
            self.refused += 1
            return await self._busy(scope, send)
        try:
            return await self.app(scope, receive, send)
        finally:
            sem.release()

    async def _busy(self, scope, send):
        retry = max(1, int(self.wait))
        with translation.override(language(scope)):
            message = _("The server is very busy. Try again in a few seconds; in an emergency, call 112.")
        body = json.dumps({"error": {"code": "server_busy", "message": message,
                                     "details": {"retry_after": retry}}}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", str(retry).encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
