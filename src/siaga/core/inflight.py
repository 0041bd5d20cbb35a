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

STREAM_PATHS = ("/api/stream",)
STREAM_SUFFIXES = ("/live",)
EXEMPT_PREFIXES = ("/static/",)


def _exempt(path: str) -> bool:
    return path in STREAM_PATHS or path.endswith(STREAM_SUFFIXES) or path.startswith(EXEMPT_PREFIXES)


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
        # Bahasa Indonesia first, like every answer; the code is for programs.
        body = json.dumps({"error": {"code": "server_busy",
                                     "message": "Server sedang sangat sibuk. Coba lagi dalam beberapa detik; "
                                                "dalam keadaan darurat hubungi 112.",
                                     "details": {"retry_after": retry}}}).encode()
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"), (b"retry-after", str(retry).encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
