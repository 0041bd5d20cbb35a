"""The Redis bus: cross-process delivery, a dead Redis never breaks a write, and the listener reconnects."""

import asyncio
import time

import pytest
from django.conf import settings as django_settings

from siaga.core import bus, services, tokens
from siaga.core.models import OutboxEvent
from siaga.core.permissions import actor_for
from tests.servers import SSEClient, asgi_server, bearer, skip_without_scaleout  # noqa: F401

pytestmark = pytest.mark.timeout(30)

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def fresh_listener():
    bus.stop_listener()
    yield
    bus.stop_listener()


@pytest.fixture
def redis_bus():
    skip_without_scaleout(postgres=False)
    return django_settings.SIAGA_BUS


@pytest.fixture
def unreachable_bus(settings, monkeypatch):
    settings.SIAGA_BUS = UNREACHABLE
    monkeypatch.setattr(bus, "CONNECT_TIMEOUT_SECONDS", 0.3)


def _msg(n):
    return {"id": n, "type": "organization.updated", "topic": "organizations", "organization_id": None,
            "region_code": "", "shared_with": [], "payload": {}}


def test_subscribing_fails_cleanly_when_redis_is_unreachable(unreachable_bus):
    async def main():
        async with bus.subscribe():
            pass

    with pytest.raises(bus.BusUnavailable):
        asyncio.run(main())
    assert bus.subscriber_count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_write_commits_and_waits_for_the_relay_when_redis_is_down(unreachable_bus, make_org, make_user):
    org = make_org()
    actor = actor_for(make_user("administrator", org))
    services.update_organization(actor, org.pk, name="Tetap tersimpan")
    ev = OutboxEvent.objects.get(type="organization.updated")
    assert ev.published_at is None
    org.refresh_from_db()
    assert org.name == "Tetap tersimpan"


def test_the_stream_asks_the_client_to_retry_when_redis_is_down(unreachable_bus, asgi_server, make_org, make_user):
    raw = tokens.issue(make_user("dispatcher", make_org()).memberships.get(), "test")[1]
    with SSEClient(asgi_server.url, headers=bearer(raw)) as sse:
        assert sse.retry == 3000
        assert sse.wait_closed(timeout=5)


def test_a_process_receives_its_own_publication_once(redis_bus):
    async def main():
        async with bus.subscribe() as sub:
            await asyncio.to_thread(bus.publish, _msg(1))
            await asyncio.to_thread(bus.publish, _msg(2))
            return [(await asyncio.wait_for(sub.get(), 5))["id"] for _ in range(2)]

    assert asyncio.run(main()) == [1, 2]


def test_the_listener_reconnects_and_drops_subscribers_that_may_have_missed_events(redis_bus):
    import redis

    admin = redis.Redis.from_url(redis_bus)

    async def main():
        async with bus.subscribe() as before:
            name = bus._listener.client_name
            ids = [c["id"] for c in admin.client_list() if c.get("name") == name]
            assert ids, "the listener's connection is not visible in CLIENT LIST"
            for client_id in ids:
                admin.client_kill_filter(_id=client_id)
            with pytest.raises(bus.SubscriptionLost):
                await asyncio.wait_for(before.get(), 5)
        # A new subscriber waits for the reconnected listener, then receives again.
        started = time.monotonic()
        async with bus.subscribe() as after:
            await asyncio.to_thread(bus.publish, _msg(3))
            got = (await asyncio.wait_for(after.get(), 5))["id"]
        return got, time.monotonic() - started

    got, seconds = asyncio.run(main())
    assert got == 3 and seconds < 5
