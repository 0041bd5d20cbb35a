"""The event bus: committed outbox events fanned out to live subscribers, in process or across processes via Redis.

settings.SIAGA_BUS == "memory": publish_event() hands the message straight to this process's subscribers.
settings.SIAGA_BUS == "redis://...": publish_event() PUBLISHes it on a Redis channel and does not deliver
locally; every process (this one included) receives it through its one Redis listener, so nobody gets
it twice. Either way the outbox row is then marked published; relay_unpublished() re-sends rows whose
process died between commit and publish.

Subscribers are asyncio consumers (the SSE view): each has its own bounded queue on its own event
loop. Publishers may run in any thread and never block: a subscriber whose queue is full is dropped,
its stream closes and the client reconnects with Last-Event-ID to replay from the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1000
# How long a new subscriber waits for the Redis listener before the stream gives up (client retries).
CONNECT_TIMEOUT_SECONDS = 5.0
# Rows younger than this are left to the process that wrote them (its on_commit publish is still due).
RELAY_MIN_AGE_SECONDS = 5.0

_LOST = object()  # queue sentinel: the subscription ended, see Subscription.lost


class BusUnavailable(Exception):
    """The bus cannot accept a subscriber now (Redis unreachable); the client should retry later."""


class SubscriptionLost(Exception):
    """The subscriber missed events (queue overflow, bus reconnect): it must resume from the outbox."""


def _bus_url() -> str:
    return getattr(settings, "SIAGA_BUS", "memory") or "memory"


def _is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def channel_name() -> str:
    """The Redis channel; named after the database because outbox ids only mean something within one."""
    explicit = getattr(settings, "SIAGA_BUS_CHANNEL", None)
    if explicit:
        return explicit
    name = str(connections["default"].settings_dict.get("NAME") or "default")
    return f"siaga:events:{name}"


# --- subscribers (this process) -----------------------------------------------------------------


class Subscription:
    """One consumer's queue, bound to the event loop it was created on."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int):
        self.loop = loop
        self._queue: asyncio.Queue = asyncio.Queue(maxsize=maxsize)
        # None while healthy, else why it ended ("overflow", "bus reconnected", ...).
        self.lost: str | None = None

    @property
    def overflowed(self) -> bool:
        return self.lost == "overflow"

    async def get(self) -> dict:
        """The next message; raises SubscriptionLost once the subscription has dropped events."""
        if self.lost:
            raise SubscriptionLost(self.lost)
        msg = await self._queue.get()
        if msg is _LOST:
            raise SubscriptionLost(self.lost)
        return msg

    def qsize(self) -> int:
        return self._queue.qsize()

    # The two methods below run on self.loop (scheduled with call_soon_threadsafe).
    def _deliver(self, message: dict) -> None:
        if self.lost:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._lose("overflow")

    def _lose(self, reason: str) -> None:
        if self.lost:
            return
        self.lost = reason
        # Buffered messages are dropped: the client replays them from the outbox after reconnecting.
        while True:
            try:
                self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        self._queue.put_nowait(_LOST)


class _Hub:
    """This process's subscribers; safe to publish to from any thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()

    def add(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.add(sub)

    def remove(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def count(self) -> int:
        with self._lock:
            return len(self._subs)

    def holds(self, sub: Subscription) -> bool:
        with self._lock:
            return sub in self._subs

    def _each(self, method: str, arg) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(getattr(sub, method), arg)
            except RuntimeError:
                # Its event loop is closed: the consumer is gone without unsubscribing.
                self.remove(sub)

    def fanout(self, message: dict) -> None:
        self._each("_deliver", message)

    def drop_all(self, reason: str) -> None:
        self._each("_lose", reason)


_hub = _Hub()


def subscriber_count() -> int:
    """Live subscribers in this process (tests and health checks)."""
    return _hub.count()


@contextlib.asynccontextmanager
async def subscribe(maxsize: int | None = None):
    """async with subscribe() as sub: msg = await sub.get()  -- receive every event published from now on.

    In Redis mode this returns only once the process's listener is subscribed on Redis, so a caller
    that subscribes and then reads the outbox cannot miss an event in between.
    """
    size = maxsize or int(getattr(settings, "SIAGA_BUS_QUEUE_SIZE", DEFAULT_QUEUE_SIZE))
    sub = Subscription(asyncio.get_running_loop(), size)
    _hub.add(sub)
    try:
        url = _bus_url()
        if _is_redis(url):
            listener = _ensure_listener(url, channel_name())
            deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
            while not listener.ready.is_set():
                if time.monotonic() > deadline:
                    raise BusUnavailable("the Redis event bus is not reachable")
                await asyncio.sleep(0.02)
        yield sub
    finally:
        _hub.remove(sub)


# --- Redis listener (one per process) -------------------------------------------------------------


class _RedisListener(threading.Thread):
    """Receives the channel from Redis and fans it out locally; reconnects with backoff.

    A thread rather than a task on some request's event loop: subscribers live on whatever loop
    serves them (several in tests), and the listener must outlive any single one.
    """

    def __init__(self, url: str, channel: str):
        super().__init__(name="siaga-bus-listener", daemon=True)
        self.url, self.channel = url, channel
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.client_name = f"siaga-bus-listener-{os.getpid()}"

    def run(self) -> None:
        import redis

        backoff = 0.2
        while not self.stopping.is_set():
            client = pubsub = None
            try:
                # Named so operators (and tests) can find each process's listener in CLIENT LIST.
                client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_keepalive=True,
                                              health_check_interval=10, client_name=self.client_name)
                pubsub = client.pubsub()
                pubsub.subscribe(self.channel)
                # Wait for Redis to confirm: only then are publications guaranteed to reach us.
                deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
                while True:
                    msg = pubsub.get_message(timeout=0.5)
                    if msg and msg["type"] == "subscribe":
                        break
                    if self.stopping.is_set():
                        return
                    if time.monotonic() > deadline:
                        raise TimeoutError("Redis did not confirm the subscription")
                self.ready.set()
                backoff = 0.2
                while not self.stopping.is_set():
                    msg = pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if msg and msg["type"] == "message":
                        try:
                            _hub.fanout(json.loads(msg["data"]))
                        except ValueError:
                            logger.warning("ignoring a malformed bus message on %s", self.channel)
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect
                if self.stopping.is_set():
                    break
                logger.warning("event bus listener lost Redis (%s); reconnecting in %.1fs", exc, backoff)
            finally:
                was_ready = self.ready.is_set()
                self.ready.clear()
                if was_ready:
                    # Whatever was published while we were away is lost to live subscribers:
                    # close their streams so clients reconnect and replay from the outbox.
                    _hub.drop_all("bus reconnected")
                for closable in (pubsub, client):
                    with contextlib.suppress(Exception):
                        if closable is not None:
                            closable.close()
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def stop(self) -> None:
        self.stopping.set()


_listener: _RedisListener | None = None
_listener_lock = threading.Lock()


def _ensure_listener(url: str, channel: str) -> _RedisListener:
    global _listener
    with _listener_lock:
        current = _listener
        if current is not None and current.is_alive() and (current.url, current.channel) == (url, channel):
            return current
        if current is not None:
            current.stop()
        _listener = _RedisListener(url, channel)
        _listener.start()
        return _listener


def stop_listener() -> None:
    """Stop this process's Redis listener (tests; a new subscriber starts it again)."""
    global _listener
    with _listener_lock:
        if _listener is not None:
            _listener.stop()
            _listener.join(timeout=3)
            _listener = None


# --- publishing -------------------------------------------------------------------------------------

_redis_clients: dict[str, object] = {}
_redis_clients_lock = threading.Lock()


def _redis_client(url: str):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    with _redis_clients_lock:
        client = _redis_clients.get(url)
        if client is None:
            # Short timeouts and one retry: a write that already committed must not hang on a dead Redis;
            # the relay publishes it later.
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2,
                                          retry=Retry(NoBackoff(), 1))
            _redis_clients[url] = client
        return client


def publish(message: dict) -> None:
    """Send a message on the bus without touching the outbox (raises if Redis is unreachable)."""
    url = _bus_url()
    if _is_redis(url):
        _redis_client(url).publish(channel_name(), json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    else:
        _hub.fanout(message)


def _mark_published(event_id: int) -> int:
    from .models import OutboxEvent

    # Conditional, so several processes (the writer, relays) may race and only one row changes.
    return OutboxEvent.objects.filter(pk=event_id, published_at__isnull=True).update(published_at=timezone.now())


def publish_event(event_id: int, message: dict) -> bool:
    """Publish a committed outbox event and mark it published; never raises (the write has committed)."""
    try:
        publish(message)
    except Exception:  # noqa: BLE001 - the row stays unpublished and the relay retries it
        logger.warning("could not publish event %s; the relay will retry", event_id, exc_info=True)
        return False
    try:
        _mark_published(event_id)
    except Exception:  # noqa: BLE001 - a later relay re-sends it; streams drop the duplicate
        logger.warning("could not mark event %s published", event_id, exc_info=True)
    return True


def relay_unpublished(limit: int = 500, min_age_seconds: float = RELAY_MIN_AGE_SECONDS) -> int:
    """Publish outbox rows still unpublished after min_age_seconds, oldest first; returns how many were sent."""
    from .events import as_message
    from .models import OutboxEvent

    cutoff = timezone.now() - timedelta(seconds=min_age_seconds)
    rows = list(
        OutboxEvent.objects.filter(published_at__isnull=True, created_at__lte=cutoff).order_by("id")[:limit]
    )
    sent = 0
    for ev in rows:
        if not publish_event(ev.pk, as_message(ev)):
            break  # the bus is down: keep order, try again next round
        sent += 1
    return sent
