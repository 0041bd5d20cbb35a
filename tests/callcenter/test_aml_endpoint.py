"""POST /api/public/aml: the mobile network's AML feed puts the caller's position on the live call."""

import json

import pytest
from django.test import Client

from siaga.callcenter import services
from siaga.callcenter.aml import AmlMessage, format_sms
from siaga.callcenter.models import AmlReport, Call, Position
from siaga.callcenter.public import system_actor_for
from siaga.core.models import AuditLog

from .public_helpers import IN_KOTA, device_token, frozen, make_call_center, setup_public

pytestmark = pytest.mark.django_db

NUMBER = "+6281234567890"
VALID = ('A"ML=1;lt=-7.47230;lg=112.43380;rd=15;top=20260216103045;lc=68;pm=G;si=510101234567890;'
         'ei=358240051111110;mcc=510;mnc=10;ml=127')

NOT_TENANT_DATA = {
    "/api/public/aml": "acts only for the API token's own call center (never looks at another organisation's "
                       "calls): checked by test_it_never_attaches_to_another_organisations_call in "
                       "tests/callcenter/test_aml_endpoint.py",
}


@pytest.fixture
def center(regions):
    return setup_public(regions)


@pytest.fixture
def feed(center):
    return Client(HTTP_AUTHORIZATION=f"Bearer {device_token(center)}")


def start(center, number=NUMBER, channel="phone"):
    return services.start_call(system_actor_for(center), channel=channel, caller_number=number)


def post(client, data, as_json=False):
    if as_json:
        return client.post("/api/public/aml", data=json.dumps(data), content_type="application/json")
    return client.post("/api/public/aml", data=data)


def test_it_attaches_the_position_to_the_callers_live_call(center, feed, capture_events):
    call = start(center)
    with capture_events() as events:
        r = post(feed, {"payload": VALID, "from": "081234567890", "id": "sms-1"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "attached" and body["call_id"] == call.pk and not body["duplicate"]
    pos = Position.objects.get(pk=body["position_id"])
    assert (pos.call_id, pos.source, pos.accuracy_m, pos.lat, pos.lng) == (call.pk, "aml", 15, -7.4723, 112.4338)
    assert pos.measured_at.isoformat() == "2026-02-16T10:30:45+00:00"
    assert pos.raw == VALID
    assert [e["type"] for e in events if e["type"] == "call.position"] == ["call.position"]
    report = AmlReport.objects.get()
    assert (report.call_id, report.position_id, report.confidence_pct, report.method) == (call.pk, pos.pk, 68, "G")
    assert AuditLog.objects.filter(model="callcenter.amlreport", object_id=str(report.pk)).exists()


def test_it_moves_the_incident_of_the_call_to_the_aml_position(center, feed):
    call = start(center)
    actor = system_actor_for(center)
    incident = services.create_incident(actor, type_code="kecelakaan-lalu-lintas", call_id=call.pk,
                                        region_code="35.76")
    assert incident.location_source == "region"
    # The call is still live (not ended) after the incident was created from it.
    r = post(feed, {"payload": VALID, "from": NUMBER})
    assert r.json()["status"] == "attached"
    incident.refresh_from_db()
    assert (incident.lat, incident.lng, incident.location_source, incident.location_accuracy_m) == \
        (-7.4723, 112.4338, "aml", 15)


def test_the_https_json_variant(center, feed):
    call = start(center)
    r = post(feed, {"v": "1", "location_latitude": "-7.4723", "location_longitude": "112.4338",
                    "location_accuracy": "8", "location_source": "gps", "device_number": NUMBER}, as_json=True)
    assert r.status_code == 200, r.content
    assert Position.objects.get(call=call).accuracy_m == 8


def test_the_https_form_variant_with_sms_field_names(center, feed):
    call = start(center)
    r = post(feed, {"lt": "-7.4723", "lg": "112.4338", "rd": "20", "pm": "W", "msisdn": "6281234567890"})
    assert r.status_code == 200, r.content
    assert Position.objects.get(call=call).accuracy_m == 20


def test_without_a_live_call_the_report_waits_for_the_callers_next_call(center, feed):
    with frozen() as clock:
        r = post(feed, {"payload": VALID, "from": NUMBER})
        assert r.status_code == 202 and r.json()["status"] == "pending"
        assert not Position.objects.exists()
        clock.advance(minutes=2)
        call = start(center)
    pos = Position.objects.get()
    assert (pos.call_id, pos.source) == (call.pk, "aml")
    assert AmlReport.objects.get().call_id == call.pk


def test_a_waiting_report_expires(center, feed):
    with frozen() as clock:
        post(feed, {"payload": VALID, "from": NUMBER})
        clock.advance(minutes=11)
        late = start(center)
    assert not Position.objects.filter(call=late).exists()
    assert AmlReport.objects.get().call_id is None


def test_a_waiting_report_is_claimed_only_once(center, feed):
    with frozen():
        post(feed, {"payload": VALID, "from": NUMBER})
        first = start(center)
        second = start(center)
    assert Position.objects.filter(call=first).count() == 1
    assert not Position.objects.filter(call=second).exists()


@pytest.mark.parametrize("setup", ["ended", "old", "other_number"])
def test_ended_old_or_other_calls_are_not_live(center, feed, setup):
    with frozen() as clock:
        call = start(center, number="+6281299998888" if setup == "other_number" else NUMBER)
        if setup == "ended":
            services.end_call(system_actor_for(center), call.pk)
        if setup == "old":
            clock.advance(minutes=31)
        r = post(feed, {"payload": VALID, "from": NUMBER})
    assert r.json()["status"] == "pending"
    assert not Position.objects.filter(call=call).exists()


def test_a_redelivered_message_changes_nothing(center, feed):
    start(center)
    first = post(feed, {"payload": VALID, "from": NUMBER, "id": "gw-77"}).json()
    again = post(feed, {"payload": VALID, "from": NUMBER, "id": "gw-77"}).json()
    assert again["duplicate"] and again["report_id"] == first["report_id"]
    assert Position.objects.count() == 1 and AmlReport.objects.count() == 1


def test_no_position_is_kept_but_attaches_nothing(center, feed):
    start(center)
    text = format_sms(AmlMessage(method="N", mcc="510", mnc="10"))
    r = post(feed, {"payload": text, "from": NUMBER})
    assert r.status_code == 200 and r.json()["status"] == "no_position"
    assert not Position.objects.exists() and AmlReport.objects.count() == 1


@pytest.mark.parametrize("payload, field", [
    (VALID[:-3] + "ml=99", "ml"),
    (VALID[:70], "ml"),
    ('A"ML=1;lg=112.43380;ml=25', "lt"),
    ("hello", 'A"ML'),
])
def test_malformed_payloads_are_refused_with_the_field_and_nothing_written(center, feed, payload, field):
    start(center)
    r = post(feed, {"payload": payload, "from": NUMBER})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "aml_invalid" and err["details"]["field"] == field and field in err["message"]
    assert not AmlReport.objects.exists() and not Position.objects.exists()


def test_a_position_outside_indonesia_is_refused(center, feed):
    start(center)
    text = format_sms(AmlMessage(lat=-12.4634, lng=130.8456, radius_m=10, method="G"))  # Darwin
    r = post(feed, {"payload": text, "from": NUMBER})
    assert r.status_code == 400 and r.json()["error"]["code"] == "outside_indonesia"
    assert not AmlReport.objects.exists() and not Position.objects.exists()


@pytest.mark.parametrize("number", ["", "12"])
def test_a_missing_or_invalid_caller_number_is_refused(center, feed, number):
    r = post(feed, {"payload": VALID, "from": number})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_phone"
    assert not AmlReport.objects.exists()


def test_it_refuses_anonymous_and_roles_that_take_no_calls(center):
    assert Client().post("/api/public/aml", data={"payload": VALID, "from": NUMBER}).status_code == 401
    r = Client(HTTP_AUTHORIZATION=f"Bearer {device_token(center, role='dispatcher')}").post(
        "/api/public/aml", data={"payload": VALID, "from": NUMBER})
    assert r.status_code == 403
    assert not AmlReport.objects.exists()


def test_it_never_attaches_to_another_organisations_call(center, regions):
    """Isolation: the feed of one call center cannot put a position on another call center's call."""
    other = make_call_center(region_code="35.16", name="Call Center 112 Kabupaten Mojokerto")
    theirs = start(other)
    r = Client(HTTP_AUTHORIZATION=f"Bearer {device_token(center)}").post(
        "/api/public/aml", data={"payload": VALID, "from": NUMBER})
    assert r.json()["status"] == "pending" and r.json()["call_id"] is None
    assert not Position.objects.filter(call=theirs).exists()
    assert AmlReport.objects.get().organization_id == center.pk
    # ...and a call later started at the other center does not claim this center's report.
    services.start_call(system_actor_for(other), channel="phone", caller_number=NUMBER)
    assert not Position.objects.exists()


def test_the_live_call_of_this_center_is_chosen_not_the_other_centers(center):
    other = make_call_center(region_code="35.16")
    mine, theirs = start(center), start(other)
    r = Client(HTTP_AUTHORIZATION=f"Bearer {device_token(center)}").post(
        "/api/public/aml", data={"payload": VALID, "from": NUMBER})
    assert r.json()["call_id"] == mine.pk
    assert not Position.objects.filter(call=theirs).exists()
    assert Call.objects.count() == 2
    assert IN_KOTA  # the payload's point lies in Kota Mojokerto
