"""Send location link: a one-time SMS link whose page posts the phone's GPS position back to the call."""

import json

import pytest
from django.test import Client

from siaga.callcenter import services
from siaga.callcenter.models import LocationLink, OutboundSms, Position, RateLimitHit
from siaga.callcenter.public import system_actor_for
from siaga.core.models import AuditLog
from tests.conftest import client_for
from tests.web.conftest import parse_markup

from .public_helpers import IN_KOTA, OUTSIDE, frozen, make_call_center, make_member, setup_public

pytestmark = pytest.mark.django_db

NUMBER = "+6281234567890"

NOT_TENANT_DATA = {
    "/api/public/staff/location-links": "the call is named in the body, not the path: isolation checked by "
                                        "test_it_refuses_another_organisations_call in "
                                        "tests/callcenter/test_location_link.py",
    "/api/public/location/{token}": "citizen's one-time link: the unguessable token is the credential, the answer "
                                    "is only 'recorded' (tests/callcenter/test_location_link.py)",
}


@pytest.fixture
def center(regions):
    return setup_public(regions)


@pytest.fixture
def staff(center):
    return client_for(make_member(center, "call_taker", scope_code="35.76"))


@pytest.fixture
def call(center):
    return services.start_call(system_actor_for(center), channel="phone", caller_number=NUMBER)


def send(client, call_id):
    return client.post("/api/public/staff/location-links", data=json.dumps({"call_id": call_id}),
                       content_type="application/json")


def post_position(token, lat=IN_KOTA[0], lng=IN_KOTA[1], accuracy_m=12, client=None, **extra):
    return (client or Client()).post(f"/api/public/location/{token}",
                                     data=json.dumps({"lat": lat, "lng": lng, "accuracy_m": accuracy_m}),
                                     content_type="application/json", **extra)


def test_it_texts_the_caller_a_one_time_link(staff, call, settings):
    settings.SIAGA_PUBLIC_BASE_URL = "https://siaga.mojokertokota.go.id"
    r = send(staff, call.pk)
    assert r.status_code == 201, r.content
    body = r.json()
    link = LocationLink.objects.get(pk=body["id"])
    assert link.call_id == call.pk and len(link.token) >= 32
    assert 29 * 60 <= (link.expires_at - link.created_at).total_seconds() <= 30 * 60 + 1
    sms = OutboundSms.objects.get(pk=body["sms_id"])
    url = f"https://siaga.mojokertokota.go.id/lapor/lokasi/{link.token}/"
    assert body["url"] == url
    assert (sms.to_number, sms.kind, sms.status, sms.organization_id) == (NUMBER, "location_link", "queued",
                                                                          call.organization_id)
    assert url in sms.text
    audit = AuditLog.objects.get(model="callcenter.locationlink", object_id=str(link.pk))
    assert link.token not in json.dumps(audit.changes)  # the secret stays out of the audit trail


def test_each_link_gets_its_own_token(staff, call):
    a, b = send(staff, call.pk).json(), send(staff, call.pk).json()
    assert a["url"] != b["url"]


def test_the_page_asks_for_gps_without_inline_code(staff, call):
    token = LocationLink.objects.get(pk=send(staff, call.pk).json()["id"]).token
    r = Client().get(f"/lapor/lokasi/{token}/")
    assert r.status_code == 200
    html = r.content.decode()
    markup = parse_markup(html)
    assert markup.viewport and not markup.inline_scripts and not markup.handlers and not markup.style_attrs
    assert f'data-post-url="/api/public/location/{token}"' in html
    assert "callcenter/location.js" in html
    assert NUMBER not in html and "0812" not in html
    assert "no-store" in r["Cache-Control"]


def test_the_phone_position_goes_to_the_call_and_the_link_is_used_up(staff, call, capture_events):
    token = LocationLink.objects.get(pk=send(staff, call.pk).json()["id"]).token
    with capture_events() as events:
        r = post_position(token, accuracy_m=12.4)
    assert r.status_code == 200 and r.json() == {"status": "recorded"}
    pos = Position.objects.get(call=call)
    assert (pos.source, pos.accuracy_m, pos.lat, pos.lng) == ("link", 12, IN_KOTA[0], IN_KOTA[1])
    assert LocationLink.objects.get(token=token).used_at is not None
    assert "call.position" in [e["type"] for e in events]
    again = post_position(token)
    assert again.status_code == 410 and again.json()["error"]["code"] == "link_used"
    assert Position.objects.filter(call=call).count() == 1
    page = Client().get(f"/lapor/lokasi/{token}/")
    assert page.status_code == 410 and "location.js" not in page.content.decode()


def test_the_position_moves_the_incident_when_the_call_has_one(staff, call, center):
    incident = services.create_incident(system_actor_for(center), type_code="tidak-sadar", call_id=call.pk,
                                        region_code="35.76")
    token = LocationLink.objects.get(pk=send(staff, call.pk).json()["id"]).token
    assert post_position(token, accuracy_m=7).status_code == 200
    incident.refresh_from_db()
    assert (incident.location_source, incident.location_accuracy_m) == ("link", 7)
    assert incident.timeline.filter(kind="location_link_sent").exists()


def test_an_expired_link_is_refused(staff, call):
    with frozen() as clock:
        token = LocationLink.objects.get(pk=send(staff, call.pk).json()["id"]).token
        clock.advance(minutes=29)
        assert Client().get(f"/lapor/lokasi/{token}/").status_code == 200
        clock.advance(minutes=1, seconds=1)
        r = post_position(token)
        page = Client().get(f"/lapor/lokasi/{token}/")
    assert r.status_code == 410 and r.json()["error"]["code"] == "link_expired"
    assert page.status_code == 410
    assert not Position.objects.exists()
    assert LocationLink.objects.get(token=token).used_at is None


def test_an_unknown_token_is_not_found(db):
    assert post_position("no-such-token").status_code == 404
    assert Client().get("/lapor/lokasi/no-such-token/").status_code == 404


def test_a_position_outside_indonesia_is_refused_and_the_link_stays_usable(staff, call):
    token = LocationLink.objects.get(pk=send(staff, call.pk).json()["id"]).token
    r = post_position(token, lat=OUTSIDE[0], lng=OUTSIDE[1])
    assert r.status_code == 400 and r.json()["error"]["code"] == "outside_indonesia"
    assert not Position.objects.exists() and LocationLink.objects.get(token=token).used_at is None
    assert post_position(token).status_code == 200


def test_invalid_bodies_are_refused(staff, call):
    token = LocationLink.objects.get(pk=send(staff, call.pk).json()["id"]).token
    r = Client().post(f"/api/public/location/{token}", data=json.dumps({"lat": "utara"}),
                      content_type="application/json")
    assert r.status_code == 422 and "error" in r.json()
    assert not Position.objects.exists()


def test_posts_are_rate_limited_per_ip(staff, call, settings):
    settings.SIAGA_RATE_LIMITS = {"location_ip": "2/600"}
    with frozen() as clock:
        for _ in range(2):
            assert post_position("unknown-token").status_code == 404
        r = post_position("unknown-token")
        assert r.status_code == 429 and int(r["Retry-After"]) > 0
        assert RateLimitHit.objects.count() == 2
        clock.advance(minutes=10, seconds=1)
        assert post_position("unknown-token").status_code == 404


def test_the_caller_needs_a_number(staff, center):
    silent = services.start_call(system_actor_for(center), channel="phone", caller_number="")
    r = send(staff, silent.pk)
    assert r.status_code == 400 and r.json()["error"]["code"] == "no_caller_number"
    assert not LocationLink.objects.exists() and not OutboundSms.objects.exists()


def test_it_refuses_another_organisations_call(center, regions):
    """Isolation: a call-taker of another call center gets 404 and nothing is sent."""
    other = make_call_center(region_code="35.16")
    theirs = services.start_call(system_actor_for(other), channel="phone", caller_number=NUMBER)
    r = send(client_for(make_member(center, "call_taker", scope_code="35.76")), theirs.pk)
    assert r.status_code == 404 and "error" in r.json()
    assert not LocationLink.objects.exists() and not OutboundSms.objects.exists()


def test_it_refuses_anonymous_and_roles_without_call_create(center, call):
    assert send(Client(), call.pk).status_code == 401
    r = send(client_for(make_member(center, "dispatcher", scope_code="35.76")), call.pk)
    assert r.status_code == 403
    assert not LocationLink.objects.exists()


def test_a_session_needs_the_csrf_token(center, call):
    c = Client(enforce_csrf_checks=True)
    c.force_login(make_member(center, "call_taker"))
    assert send(c, call.pk).status_code in (401, 403)
    assert not LocationLink.objects.exists()
