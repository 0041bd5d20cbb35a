"""Live positions reach browsers coalesced: at most one per unit per interval, the last of a burst always delivered.

Time is a fake clock (stream._clock): nothing here waits for the interval or asserts how long anything took.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from siaga.core import bus, stream, tokens
from siaga.core.events import publish_transient
from siaga.core.models import OutboxEvent
from siaga.core.stream import Coalescer
from tests.servers import SSEClient, asgi_server, bearer  # noqa: F401  (asgi_server is a fixture)

# --- the coalescer alone -------------------------------------------------------------------------------


def _pos(unit_id: int, n: int, org_id: int = 1) -> dict:
    return {"id": None, "type": "unit.position", "topic": "units", "organization_id": org_id, "region_code": "35.76",
            "shared_with": [], "payload": {"id": unit_id, "call_sign": f"AMB-{unit_id}", "lat": -7.47 - n * 1e-4,
                                           "lng": 112.43, "at": "2026-11-25T10:00:00+00:00", "n": n}}


def _n(msgs) -> list[tuple[int, int]]:
    return [(m["payload"]["id"], m["payload"]["n"]) for m in msgs]


def test_the_first_position_goes_out_at_once_and_a_burst_ends_with_its_last():
    c = Coalescer(1.0)
    sent = [m for n in range(10) if (m := c.offer(Coalescer.key(_pos(7, n)), _pos(7, n), 0.0 + n * 0.01))]
    assert _n(sent) == [(7, 0)]  # leading edge
    assert c.held() == 1 and c.next_due() == 1.0
    assert c.due(0.99) == []
    assert _n(c.due(1.0)) == [(7, 9)]  # trailing edge: the latest of the burst, once
    assert c.due(5.0) == [] and c.held() == 0


def test_units_are_coalesced_independently_and_never_more_than_once_per_interval():
    c = Coalescer(1000)  # milliseconds: whole numbers keep float noise out of the comparison
    flushed: list[tuple[float, dict]] = []
    now = 0
    # 200 positions a second for 3 units over 5 seconds, in steps of 5 ms.
    for step in range(1000):
        now = step * 5
        for held in c.due(now):
            flushed.append((now, held))
        unit = step % 3
        msg = _pos(unit, step)
        out = c.offer(Coalescer.key(msg), msg, now)
        if out is not None:
            flushed.append((now, out))
    for held in c.due(now + 1000):
        flushed.append((now + 1000, held))
    for unit in range(3):
        times = [t for t, m in flushed if m["payload"]["id"] == unit]
        assert all(b - a >= 1000 for a, b in zip(times, times[1:])), times
        assert 5 <= len(times) <= 7
        last_sent = [m for _, m in flushed if m["payload"]["id"] == unit][-1]
        last_offered = max(s for s in range(1000) if s % 3 == unit)
        assert last_sent["payload"]["n"] == last_offered


def test_other_events_are_not_coalesced():
    status = {**_pos(7, 0), "type": "unit.status"}
    assert Coalescer.key(status) is None
    assert Coalescer.key({**_pos(7, 0), "payload": {}}) is None


def test_a_transient_event_is_written_without_an_id_line():
    raw = stream._format(_pos(7, 1)).decode()
    assert raw.startswith("event: unit.position\ndata: ")
    assert "\nid:" not in raw and not raw.startswith("id:")
    durable = stream._format({**_pos(7, 1), "id": 42}).decode()
    assert durable.startswith("id: 42\n")


# --- through the stream ----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch, settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.2
    settings.SIAGA_SSE_COALESCE_SECONDS = 1.0
    fake = FakeClock()
    monkeypatch.setattr(stream, "_clock", fake)
    return fake


@pytest.fixture
def dispatcher(make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    user = make_user("dispatcher", org, scope_code="35.76")
    _, raw = tokens.issue(user.memberships.get(), "test")
    return org, raw


def _marker(org_id: int, n: int) -> dict:
    # A unit.status message: not coalesced, and it is read in order after everything published before it.
    return {**_pos(99, n, org_id), "type": "unit.status", "payload": {"id": 99, "n": n}}


def _read_to_marker(sse, n: int) -> list:
    got = sse.events_until(lambda e: e.event == "unit.status" and e.data["payload"]["n"] == n)
    return [(e.data["payload"]["id"], e.data["payload"]["n"]) for e in got[:-1]]


@pytest.mark.timeout(30)
def test_the_stream_coalesces_positions_per_unit(asgi_server, dispatcher, clock):
    org, raw = dispatcher
    with SSEClient(asgi_server.url, headers=bearer(raw), params={"topics": "units"}) as sse:
        for n in range(1, 6):
            bus.publish(_pos(1, n, org.pk))
        for n in range(1, 4):
            bus.publish(_pos(2, n, org.pk))
        bus.publish(_marker(org.pk, 1))
        # Only the first position of each unit so far; the rest are held.
        assert _read_to_marker(sse, 1) == [(1, 1), (2, 1)]

        clock.now += 1.0
        bus.publish(_marker(org.pk, 2))
        # The interval has passed: the latest held position of each unit, once, before the newer marker.
        assert sorted(_read_to_marker(sse, 2)) == [(1, 5), (2, 3)]

        bus.publish(_pos(1, 6, org.pk))  # sent a moment ago: held
        bus.publish(_marker(org.pk, 3))
        assert _read_to_marker(sse, 3) == []
        clock.now += 0.5
        bus.publish(_marker(org.pk, 4))
        assert _read_to_marker(sse, 4) == []
        clock.now += 0.5
        # Nobody publishes anything: the held position still goes out once it is due (trailing edge).
        ev = sse.next_event()
        assert (ev.event, ev.data["payload"]["n"], ev.id) == ("unit.position", 6, None)

        clock.now += 10.0
        bus.publish(_pos(1, 7, org.pk))  # quiet for long enough: straight through
        assert sse.next_event().data["payload"]["n"] == 7


@pytest.mark.timeout(30)
def test_a_committed_transient_position_streams_without_id_and_is_never_replayed(asgi_server, dispatcher, clock):
    org, raw = dispatcher
    payload = {"id": 5, "call_sign": "AMB-05", "lat": -7.47, "lng": 112.43, "at": timezone.now()}
    outbox_before = OutboxEvent.objects.count()
    with SSEClient(asgi_server.url, headers=bearer(raw), params={"topics": "units"}) as sse:
        with transaction.atomic():
            publish_transient("unit.position", payload, organization=org, region_code="35.76")
            assert bus.subscriber_count() >= 1
        ev = sse.next_event()
    assert (ev.event, ev.id, ev.data["id"], ev.data["payload"]["call_sign"]) == ("unit.position", None, None, "AMB-05")
    assert OutboxEvent.objects.count() == outbox_before
    # A reconnect from the start replays the outbox only: the transient position is not there.
    with SSEClient(asgi_server.url, headers={**bearer(raw), "Last-Event-ID": "0"}, params={"topics": "units"}) as sse:
        bus.publish(_marker(org.pk, 1))
        assert _read_to_marker(sse, 1) == []


@pytest.mark.django_db
def test_a_transient_event_is_published_on_commit_only(dispatcher, django_capture_on_commit_callbacks, monkeypatch,
                                                      settings):
    settings.SIAGA_BUS = "memory"  # watch the in-process hub (the Redis path is covered by the stream tests above)
    org, _ = dispatcher
    received = []
    monkeypatch.setattr(bus._hub, "fanout", received.append)
    payload = {"id": 5, "call_sign": "AMB-05", "lat": -7.47, "lng": 112.43,
               "at": timezone.now() - dt.timedelta(seconds=1)}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            publish_transient("unit.position", payload, organization=org)
            raise RuntimeError("rolled back")
    assert callbacks == [] and received == []
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            publish_transient("unit.position", payload, organization=org, shared_with=[org.pk + 1])
    assert [(m["type"], m["id"], m["payload"]["call_sign"], m["shared_with"]) for m in received] == [
        ("unit.position", None, "AMB-05", [org.pk + 1])]


@pytest.mark.django_db
def test_publish_transient_checks_the_schema(dispatcher):
    org, _ = dispatcher
    with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
        publish_transient("unit.position", {"id": 5}, organization=org)
    with pytest.raises(KeyError):
        publish_transient("no.such.event", {}, organization=org)
