"""Who may open the stream and which events reach them: only what Actor.can_see_event allows, on chosen topics."""

import httpx
import pytest
from django.db import transaction

from siaga.core import permissions, services, tokens
from siaga.core.events import emit
from siaga.core.permissions import actor_for
from tests.servers import SSEClient, asgi_server, bearer  # noqa: F401

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.2


def token_for(user):
    return tokens.issue(user.memberships.order_by("pk").first(), "test")[1]


def _imported(source):
    with transaction.atomic():
        return emit("boundaries.imported", {"source": source, "imported": 1, "repaired": [], "level_counts": {}})


def test_it_refuses_anonymous_callers(asgi_server):
    r = httpx.get(asgi_server.url + "/api/stream", timeout=10)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_it_refuses_a_user_without_membership(asgi_server, make_user):
    from tests.conftest import client_for

    session = client_for(make_user()).cookies["sessionid"].value
    r = httpx.get(asgi_server.url + "/api/stream", cookies={"sessionid": session}, timeout=10)
    assert r.status_code == 401
    assert set(r.json()["error"]) == {"code", "message", "details"}


def test_it_refuses_an_invalid_token(asgi_server):
    r = httpx.get(asgi_server.url + "/api/stream", headers=bearer("sg_nope"), timeout=10)
    assert r.status_code == 401


def test_it_refuses_an_unknown_topic(asgi_server, make_org, make_user):
    raw = token_for(make_user("dispatcher", make_org()))
    r = httpx.get(asgi_server.url + "/api/stream", params={"topics": "regions,gossip"}, headers=bearer(raw),
                  timeout=10)
    assert r.status_code == 403
    err = r.json()["error"]
    assert err["code"] == "unknown_topic" and "gossip" in err["message"]


def test_it_refuses_a_topic_the_role_may_not_follow(asgi_server, make_org, make_user, monkeypatch):
    monkeypatch.setitem(permissions.TOPIC_PERMISSIONS, "audit", "audit.view")
    raw = token_for(make_user("call_taker", make_org()))
    r = httpx.get(asgi_server.url + "/api/stream", params={"topics": "audit"}, headers=bearer(raw), timeout=10)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden_topic"


def test_it_sends_only_the_chosen_topics(asgi_server, make_org, make_user):
    org = make_org()
    user = make_user("administrator", org)
    with SSEClient(asgi_server.url, headers=bearer(token_for(user)), params={"topics": "regions"}) as sse:
        services.update_organization(actor_for(user), org.pk, name="Tidak dikirim")
        ev = _imported("kept")
        got = sse.next_event()
    assert (got.id, got.event) == (ev.pk, "boundaries.imported")


def test_another_organisation_does_not_receive_the_event(asgi_server, make_org, make_user):
    ours, theirs = make_org(), make_org()
    our_admin, their_admin = make_user("administrator", ours), make_user("administrator", theirs)
    with SSEClient(asgi_server.url, headers=bearer(token_for(their_admin))) as sse:
        services.update_organization(actor_for(our_admin), ours.pk, name="Rahasia kami")
        services.update_organization(actor_for(their_admin), theirs.pk, name="Milik mereka")
        got = sse.next_event()
    # Events are delivered in order, so the first one they receive shows ours was withheld.
    assert got.data["organization_id"] == theirs.pk


def test_a_user_outside_the_geographic_scope_does_not_receive_the_event(asgi_server, make_org, make_user):
    org = make_org(region_code="35")
    kota = make_user("dispatcher", org, scope_code="35.76")
    with SSEClient(asgi_server.url, headers=bearer(token_for(kota))) as sse:
        with transaction.atomic():
            emit("organization.updated", {"id": org.pk, "code": org.code, "name": "x", "changed": ["name"]},
                 organization=org, region_code="35.16")
            inside = emit("organization.updated", {"id": org.pk, "code": org.code, "name": "y", "changed": ["name"]},
                          organization=org, region_code="35.76.01")
        assert sse.next_event().id == inside.pk


def test_an_organisation_given_sight_of_an_event_receives_it(asgi_server, make_org, make_user):
    owner, agency = make_org(), make_org(kind="bpbd")
    liaison = make_user("agency_liaison", agency)
    with SSEClient(asgi_server.url, headers=bearer(token_for(liaison))) as sse:
        with transaction.atomic():
            shared = emit("organization.updated", {"id": owner.pk, "code": owner.code, "name": "z", "changed": []},
                          organization=owner, shared_with=[agency.pk])
        assert sse.next_event().id == shared.pk


def test_the_stream_ends_when_the_membership_is_revoked(asgi_server, make_org, make_user, settings):
    settings.SIAGA_SSE_ACTOR_REFRESH = 0.2
    user = make_user("dispatcher", make_org())
    with SSEClient(asgi_server.url, headers=bearer(token_for(user))) as sse:
        user.memberships.update(active=False)
        assert sse.wait_closed(timeout=5)
