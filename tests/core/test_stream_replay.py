"""Resuming a stream: Last-Event-ID replays what the client missed, then live events follow without repeats."""

import pytest

from siaga.core import bus, services, tokens
from siaga.core.models import OutboxEvent
from siaga.core.permissions import actor_for
from tests.servers import SSEClient, asgi_server, bearer  # noqa: F401

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.2


@pytest.fixture
def admin(make_org, make_user):
    org = make_org()
    user = make_user("administrator", org)
    _, raw = tokens.issue(user.memberships.get(), "test")
    return actor_for(user), org, raw


def _rename(actor, org, *names):
    ids = []
    for name in names:
        services.update_organization(actor, org.pk, name=name)
        ids.append(OutboxEvent.objects.latest("id").pk)
    return ids


def test_it_replays_after_last_event_id(asgi_server, admin):
    actor, org, raw = admin
    first, second, third = _rename(actor, org, "Satu", "Dua", "Tiga")
    with SSEClient(asgi_server.url, headers={**bearer(raw), "Last-Event-ID": str(first)}) as sse:
        got = [sse.next_event(), sse.next_event()]
    assert [e.id for e in got] == [second, third]
    assert [e.data["payload"]["name"] for e in got] == ["Dua", "Tiga"]


def test_it_accepts_the_last_event_id_as_a_query_parameter(asgi_server, admin):
    actor, org, raw = admin
    first, second = _rename(actor, org, "Satu", "Dua")
    with SSEClient(asgi_server.url, headers=bearer(raw), params={"last_event_id": first}) as sse:
        assert sse.next_event().id == second


def test_it_replays_in_batches(asgi_server, admin, monkeypatch):
    from siaga.core import stream

    monkeypatch.setattr(stream, "REPLAY_BATCH", 2)
    actor, org, raw = admin
    ids = _rename(actor, org, *[f"Nama {n}" for n in range(5)])
    with SSEClient(asgi_server.url, headers={**bearer(raw), "Last-Event-ID": "0"}) as sse:
        got = sse.events_until(lambda e: e.id == ids[-1])
    assert [e.id for e in got][-5:] == ids


def test_live_events_follow_the_replay_without_repeating_it(asgi_server, admin):
    actor, org, raw = admin
    first, second = _rename(actor, org, "Satu", "Dua")
    with SSEClient(asgi_server.url, headers={**bearer(raw), "Last-Event-ID": str(first)}) as sse:
        assert sse.next_event().id == second
        # A relay sending an already-replayed event again must not reach the client twice.
        bus.publish(sse_message(second))
        (third,) = _rename(actor, org, "Tiga")
        assert sse.next_event().id == third


def test_without_last_event_id_it_starts_live(asgi_server, admin):
    actor, org, raw = admin
    _rename(actor, org, "Lama")
    with SSEClient(asgi_server.url, headers=bearer(raw)) as sse:
        (new,) = _rename(actor, org, "Baru")
        assert sse.next_event().id == new


def sse_message(event_id):
    from siaga.core.events import as_message

    return as_message(OutboxEvent.objects.get(pk=event_id))
