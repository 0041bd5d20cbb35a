"""Live event stream (Server-Sent Events) at GET /api/stream: replay from the outbox, then live events from the bus.

Query: ?topics=a,b (default: every topic the actor may follow) and ?last_event_id=N (same as the
Last-Event-ID header an EventSource sends when it reconnects). Each event is
"id: <outbox id>\\nevent: <type>\\ndata: <json message>\\n\\n"; a ": ping" comment keeps idle
connections open. What an actor receives is decided only by Actor.can_see_event.

Transient events (core.events.publish_transient: live positions) have no outbox id: they go out without
an "id:" line, so a reconnecting client resumes from its last durable event, and are never replayed.
Superseding events (COALESCED_TYPES) are coalesced per entity: at most one per entity per
SIAGA_SSE_COALESCE_SECONDS (default 1), the latest of a burst always delivered last (trailing edge).
"""

from __future__ import annotations

import asyncio
import collections
import heapq
import json
import logging
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse, StreamingHttpResponse
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import gettext as _

from . import bus, tokens
from .errors import error_body
from .events import as_message
from .models import OutboxEvent, User
from .permissions import TOPIC_PERMISSIONS, Actor, actor_for

logger = logging.getLogger(__name__)

RETRY_MS = 3000
REPLAY_BATCH = 200
# Ids already sent on this connection, remembered to drop duplicates (replay overlap, relays).
RECENT_IDS = 10_000
# Event types that supersede their predecessor for the same entity (payload "id"): a browser needs the latest,
# not every one of 200 positions a second.
COALESCED_TYPES = frozenset({"unit.position", "mutual_aid.unit_position"})
# The coalescing clock (monotonic seconds); tests replace it to drive time without waiting.
_clock = time.monotonic


def _coalesce_seconds() -> float:
    return float(getattr(settings, "SIAGA_SSE_COALESCE_SECONDS", 1.0))


class Coalescer:
    """Lets at most one message per key out per interval; a held message is replaced by newer ones and goes
    out when its key's interval has passed (trailing edge: the last of a burst is always delivered)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._pending: dict[tuple, dict] = {}
        self._sent_at: dict[tuple, float] = {}
        self._due: list[tuple[float, int, tuple]] = []  # heap of (due time, tie-breaker, key) of pending keys
        self._seq = 0

    @staticmethod
    def key(msg: dict) -> tuple | None:
        """The entity a message supersedes the previous state of, or None when it is not coalesced."""
        if msg.get("type") not in COALESCED_TYPES:
            return None
        entity = (msg.get("payload") or {}).get("id")
        return None if entity is None else (msg["type"], entity)

    def offer(self, key: tuple, msg: dict, now: float) -> dict | None:
        """The message to send now, or None when it is held until its key is due."""
        if key in self._pending:
            self._pending[key] = msg
            return None
        last = self._sent_at.get(key)
        if last is None or now - last >= self.interval:
            self._sent_at[key] = now
            return msg
        self._pending[key] = msg
        self._seq += 1
        heapq.heappush(self._due, (last + self.interval, self._seq, key))
        return None

    def due(self, now: float) -> list[dict]:
        """Held messages whose interval has passed, oldest due first; they count as sent now."""
        out = []
        while self._due and self._due[0][0] <= now:
            _, _, key = heapq.heappop(self._due)
            out.append(self._pending.pop(key))
            self._sent_at[key] = now
        if len(self._sent_at) > 2 * len(self._pending) + 1024:
            # Keys idle for a whole interval would pass anyway: forget them so memory follows active entities.
            self._sent_at = {k: t for k, t in self._sent_at.items() if k in self._pending or now - t < self.interval}
        return out

    def next_due(self) -> float | None:
        return self._due[0][0] if self._due else None

    def held(self) -> int:
        return len(self._pending)


def _heartbeat_seconds() -> float:
    return float(getattr(settings, "SIAGA_SSE_HEARTBEAT", 15))


def _actor_refresh_seconds() -> float:
    return float(getattr(settings, "SIAGA_SSE_ACTOR_REFRESH", 60))


async def _db(fn, *args):
    """Run fn in a worker thread and close its connection: a stream lives for hours, its connection must not."""

    def call():
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return await sync_to_async(call, thread_sensitive=False)()


def _resolve_and_close(request):
    try:
        return _resolve_actor(request)
    finally:
        connections.close_all()


def _prime(actor: Actor | None) -> Actor | None:
    # The permission checks below run on the event loop, where no query may run: load now.
    if actor is not None:
        _ = actor.permissions, actor.org_ids
    return actor


def _resolve_actor(request) -> Actor | None:
    actor = getattr(request, "actor", None)
    if isinstance(actor, SimpleLazyObject):
        if actor._wrapped is empty:
            actor._setup()
        actor = actor._wrapped
    return _prime(actor)


def _reload_actor(request, actor: Actor) -> Actor | None:
    """The actor as the database sees it now (membership revoked, organisations added below it)."""
    from .middleware import _actor_from_token

    if getattr(request, "auth_token", None) is not None:
        tok = tokens.resolve(request.headers.get("Authorization", "")[7:].strip())
        return _prime(_actor_from_token(tok)) if tok is not None else None
    user = User.objects.filter(pk=actor.user_id).first()
    membership_id = actor.membership.pk if actor.membership else None
    fresh = actor_for(user, membership_id)
    if fresh is not None and membership_id is not None and (fresh.membership is None or fresh.membership.pk != membership_id):
        return None  # its membership is gone: end the stream rather than switch organisation silently
    return _prime(fresh)


def _replay_batch(topics: list[str], after_id: int, limit: int) -> list[dict]:
    rows = OutboxEvent.objects.filter(id__gt=after_id, topic__in=topics).order_by("id")[:limit]
    return [as_message(ev) for ev in rows]


def _format(msg: dict) -> bytes:
    data = json.dumps(msg, ensure_ascii=False, separators=(",", ":"))
    if msg.get("id") is None:
        # A transient event: no id line, so the client's Last-Event-ID stays on the last durable event.
        return f"event: {msg['type']}\ndata: {data}\n\n".encode()
    return f"id: {msg['id']}\nevent: {msg['type']}\ndata: {data}\n\n".encode()


def _allowed_topics(actor: Actor) -> list[str]:
    return [t for t, perm in TOPIC_PERMISSIONS.items() if actor.has(perm)]


def _parse_last_id(request) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id")
    try:
        return max(0, int(raw)) if raw not in (None, "") else None
    except ValueError:
        return None  # not one of our ids: start live, like a fresh connection


def _forbidden(code: str, message: str, details=None) -> JsonResponse:
    return JsonResponse(error_body(code, message, details), status=403)


async def stream(request):
    """GET /api/stream: the events the caller may see, as text/event-stream."""
    if request.method != "GET":
        return JsonResponse(error_body("method_not_allowed", _("Only GET is allowed here.")), status=405)
    # On the request's own thread, where the middleware already looked up the token or session: one connection,
    # closed at once (it would otherwise stay open as long as the stream does, and 300 operators would hold 300).
    actor = await sync_to_async(_resolve_and_close, thread_sensitive=True)(request)
    if actor is None:
        return JsonResponse(error_body("unauthenticated", _("Please log in first.")), status=401)
    if not actor.has("stream.view"):
        return _forbidden("forbidden", _("Your role does not allow following live events."))

    allowed = _allowed_topics(actor)
    raw_topics = request.GET.get("topics", "")
    topics = [t.strip() for t in raw_topics.split(",") if t.strip()] if raw_topics else allowed
    for topic in topics:
        if topic not in TOPIC_PERMISSIONS:
            return _forbidden("unknown_topic", _("Unknown topic: %(topic)s.") % {"topic": topic},
                              {"topic": topic, "allowed": allowed})
        if topic not in allowed:
            return _forbidden("forbidden_topic", _("Your role may not follow the topic %(topic)s.") % {"topic": topic},
                              {"topic": topic, "allowed": allowed})

    response = StreamingHttpResponse(
        _events(request, actor, list(dict.fromkeys(topics)), _parse_last_id(request)),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    # Tell nginx-style proxies not to buffer: events must leave as soon as they are written.
    response["X-Accel-Buffering"] = "no"
    return response


async def _events(request, actor: Actor, topics: list[str], last_id: int | None):
    sent_order: collections.deque[int] = collections.deque()
    sent: set[int] = set()

    def remember(event_id: int) -> None:
        sent.add(event_id)
        sent_order.append(event_id)
        if len(sent_order) > RECENT_IDS:
            sent.discard(sent_order.popleft())

    topic_set = set(topics)
    coalescer = Coalescer(_coalesce_seconds())
    heartbeat = _heartbeat_seconds()
    refresh_every = _actor_refresh_seconds()
    try:
        # Subscribe before reading the outbox, so an event committed meanwhile arrives live.
        async with bus.subscribe() as sub:
            yield f"retry: {RETRY_MS}\n\n".encode()
            last_write = last_refresh = time.monotonic()

            async def visible(msg: dict) -> bool:
                nonlocal actor, last_refresh
                if msg["topic"] not in topic_set:
                    return False
                if actor.can_see_event(msg):
                    return True
                payload = msg.get("payload") or {}
                if msg["topic"] == "organizations" and payload.get("parent_id") in actor.org_ids:
                    # A new organisation below the actor's: its tree grew after we loaded it.
                    fresh = await _db(_reload_actor, request, actor)
                    if fresh is None:
                        raise _StreamEnded
                    actor, last_refresh = fresh, time.monotonic()
                    return actor.can_see_event(msg)
                return False

            if last_id is not None:
                cursor = last_id
                while True:
                    try:
                        batch = await _db(_replay_batch, topics, cursor, REPLAY_BATCH)
                    except DatabaseError:
                        # The database is saturated: end the stream; the client reconnects after `retry` and
                        # replays from its Last-Event-ID, so nothing is lost.
                        logger.warning("stream replay failed; the client will reconnect", exc_info=True)
                        return
                    for msg in batch:
                        cursor = msg["id"]
                        if await visible(msg):
                            remember(msg["id"])
                            yield _format(msg)
                            last_write = time.monotonic()
                    if len(batch) < REPLAY_BATCH:
                        break

            while True:
                for held in coalescer.due(_clock()):
                    yield _format(held)
                    last_write = time.monotonic()
                now = time.monotonic()
                if now - last_refresh >= refresh_every:
                    try:
                        fresh = await _db(_reload_actor, request, actor)
                    except DatabaseError:
                        # Keep the actor we have until the next refresh rather than drop a live stream.
                        logger.warning("stream actor refresh failed; trying again later", exc_info=True)
                        last_refresh = time.monotonic()
                        continue
                    if fresh is None or any(t not in _allowed_topics(fresh) for t in topics):
                        return
                    actor, last_refresh = fresh, time.monotonic()
                timeout = last_write + heartbeat - now
                next_due = coalescer.next_due()
                if next_due is not None:
                    timeout = min(timeout, next_due - _clock())
                try:
                    msg = await asyncio.wait_for(sub.get(), timeout=max(0.0, timeout))
                except TimeoutError:
                    if time.monotonic() - last_write >= heartbeat:
                        yield b": ping\n\n"
                        last_write = time.monotonic()
                    continue
                event_id = msg.get("id")
                if (event_id is not None and event_id in sent) or not await visible(msg):
                    continue
                # Held positions due by now are older than this message: they go first.
                for held in coalescer.due(_clock()):
                    yield _format(held)
                key = coalescer.key(msg)
                if key is not None:
                    msg = coalescer.offer(key, msg, _clock())
                    if msg is None:
                        continue
                if event_id is not None:
                    remember(event_id)
                yield _format(msg)
                last_write = time.monotonic()
    except bus.SubscriptionLost as exc:
        # The client reconnects after RETRY_MS with Last-Event-ID and replays what it missed.
        logger.info("closing a live stream: %s", exc)
    except bus.BusUnavailable as exc:
        logger.warning("live stream refused: %s", exc)
        yield f"retry: {RETRY_MS}\n\n".encode()
    except _StreamEnded:
        pass


class _StreamEnded(Exception):
    """The actor lost the right to this stream while it was open."""
