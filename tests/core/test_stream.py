"""The live stream delivers committed events to an open connection served by a real uvicorn server."""

import httpx
import pytest

from siaga.core import services, tokens
from siaga.core.permissions import actor_for
from tests.conftest import client_for
from tests.servers import SSEClient, asgi_server, bearer  # noqa: F401  (asgi_server is a fixture)

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.2


@pytest.fixture
def admin(make_org, make_user):
    org = make_org(name="PMI Pusat")
    user = make_user("administrator", org)
    _, raw = tokens.issue(user.memberships.get(), "test")
    return user, org, raw


def test_it_streams_an_organisation_created_through_the_api(asgi_server, admin):
    user, org, raw = admin
    with SSEClient(asgi_server.url, headers=bearer(raw)) as sse:
        r = httpx.post(asgi_server.url + "/api/organizations", headers=bearer(raw), timeout=10,
                       json={"code": "pmi-kota-x", "name": "PMI Kota X", "kind": "pmi_branch"})
        assert r.status_code == 201, r.text
        ev = sse.next_event()
    assert ev.event == "organization.created"
    assert ev.data["payload"]["code"] == "pmi-kota-x"
    assert ev.data["payload"]["parent_id"] == org.pk  # a new child: visible although created after connecting
    assert ev.id == ev.data["id"]


def test_it_streams_an_event_committed_by_another_thread(asgi_server, admin):
    user, org, raw = admin
    with SSEClient(asgi_server.url, headers=bearer(raw)) as sse:
        services.update_organization(actor_for(user), org.pk, name="PMI Pusat Baru")
        ev = sse.next_event()
    assert (ev.event, ev.data["payload"]["name"]) == ("organization.updated", "PMI Pusat Baru")


def test_it_accepts_a_session_cookie(asgi_server, admin):
    user, org, _ = admin
    session = client_for(user).cookies["sessionid"].value
    with SSEClient(asgi_server.url, cookies={"sessionid": session}) as sse:
        services.update_organization(actor_for(user), org.pk, phone="112")
        assert sse.next_event().event == "organization.updated"


def test_it_answers_with_event_stream_headers_a_retry_hint_and_heartbeats(asgi_server, admin):
    with SSEClient(asgi_server.url, headers=bearer(admin[2])) as sse:
        assert sse.response.headers["content-type"].startswith("text/event-stream")
        assert sse.response.headers["cache-control"] == "no-cache"
        assert sse.response.headers["x-accel-buffering"] == "no"
        assert sse.retry == 3000
        assert not sse.wait_closed(timeout=0.7)  # only heartbeats arrive and the stream stays open
        assert sse.pings >= 2
