"""Scale-out: two server processes on one PostgreSQL database share events through Redis."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from siaga.core import bus, services, tokens
from siaga.core.models import OutboxEvent
from siaga.core.permissions import actor_for
from tests.servers import SSEClient, asgi_server, bearer, skip_without_scaleout, start_server_process  # noqa: F401

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(300)]


@pytest.fixture
def process_b(transactional_db, tmp_path):
    """A second `siaga serve` process on the same test database and Redis."""
    skip_without_scaleout()
    server = start_server_process(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin(make_org, make_user):
    org = make_org()
    user = make_user("administrator", org)
    return user, org, tokens.issue(user.memberships.get(), "test")[1]


def test_an_event_written_here_reaches_a_stream_on_another_process(process_b, admin):
    user, org, raw = admin
    with SSEClient(process_b.url, headers=bearer(raw)) as sse:
        services.update_organization(actor_for(user), org.pk, name="Lewat Redis")
        ev = sse.next_event()
    assert (ev.event, ev.data["payload"]["name"]) == ("organization.updated", "Lewat Redis")
    assert OutboxEvent.objects.get(pk=ev.id).published_at is not None


def test_a_write_on_server_a_reaches_a_stream_on_server_b(process_b, asgi_server, admin):
    user, org, raw = admin
    with SSEClient(process_b.url, headers=bearer(raw)) as sse:
        r = httpx.post(asgi_server.url + "/api/organizations", headers=bearer(raw), timeout=30,
                       json={"code": "lewat-a", "name": "Dibuat di A", "kind": "pmi_branch"})
        assert r.status_code == 201, r.text
        ev = sse.next_event()
    assert ev.data["payload"]["code"] == "lewat-a"


def test_each_process_delivers_an_event_once(process_b, asgi_server, admin):
    user, org, raw = admin
    with SSEClient(process_b.url, headers=bearer(raw)) as on_b, SSEClient(asgi_server.url, headers=bearer(raw)) as on_a:
        for name in ("Satu kali", "Dua kali"):
            services.update_organization(actor_for(user), org.pk, name=name)
        # A duplicate would show up in place of the second event.
        for sse in (on_a, on_b):
            assert [sse.next_event().data["payload"]["name"] for _ in range(2)] == ["Satu kali", "Dua kali"]


def test_the_relay_delivers_an_event_whose_writer_died(process_b, admin):
    user, org, raw = admin
    # Written and committed, but its process died before publishing: published_at stays NULL.
    ev = OutboxEvent.objects.create(type="organization.updated", topic="organizations", organization=org,
                                    payload={"id": org.pk, "code": org.code, "name": "Yatim", "changed": ["name"]})
    OutboxEvent.objects.filter(pk=ev.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    with SSEClient(process_b.url, headers=bearer(raw)) as sse:
        # This process relays it, unless a server's ticker (siaga.core.ticker) got there first.
        assert bus.relay_unpublished() in (0, 1)
        got = sse.next_event()
    assert (got.id, got.data["payload"]["name"]) == (ev.pk, "Yatim")
    ev.refresh_from_db()
    assert ev.published_at is not None


def test_another_process_replays_from_the_shared_outbox(process_b, admin):
    user, org, raw = admin
    actor = actor_for(user)
    services.update_organization(actor, org.pk, name="Satu")
    first = OutboxEvent.objects.latest("id").pk
    services.update_organization(actor, org.pk, name="Dua")
    with SSEClient(process_b.url, headers={**bearer(raw), "Last-Event-ID": str(first)}) as sse:
        assert sse.next_event().data["payload"]["name"] == "Dua"
