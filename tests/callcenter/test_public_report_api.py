"""POST /api/public/reports and GET /api/public/reports/{token}: citizens' apps, idempotent under retries."""

import json

import pytest
from django.test import Client

from siaga.callcenter import services
from siaga.callcenter.models import Call, Incident, RateLimitHit
from siaga.callcenter.public import system_actor_for

from .public_helpers import IN_JAKARTA, IN_KOTA, OUTSIDE, setup_public

pytestmark = pytest.mark.django_db

NOT_TENANT_DATA = {
    "/api/public/reports": "citizens' reports: no login, nothing read back but the report's own tracking token; "
                           "rate-limited per number and IP (tests/callcenter/test_public_report_api.py)",
    "/api/public/reports/{token}": "status words and two times of one report, reached only by its unguessable "
                                   "tracking token; nothing private (tests/callcenter/test_public_report_api.py)",
}

REPORT = {"type_code": "kecelakaan-lalu-lintas", "phone": "0812-3456-7890", "lat": IN_KOTA[0], "lng": IN_KOTA[1],
          "accuracy_m": 9, "description": "Motor tabrakan dengan truk di Jl. Mojopahit, satu orang berdarah"}


@pytest.fixture
def center(regions):
    return setup_public(regions)


def report(data=None, key="key-1", client=None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return (client or Client()).post("/api/public/reports", data=json.dumps(REPORT if data is None else data),
                                     content_type="application/json", **headers)


def test_a_report_creates_a_call_and_an_incident_of_the_responsible_call_center(center, capture_events):
    with capture_events() as events:
        r = report()
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "received" and body["created"]
    assert body["tracking_url"].endswith(f"/lapor/status/{body['tracking_token']}/")
    call = Call.objects.get()
    incident = Incident.objects.get()
    assert (call.channel, call.caller_number, call.outcome, call.incident_id) == ("app", "+6281234567890",
                                                                                 "new_incident", incident.pk)
    assert call.external_id == "key-1" and call.ended_at is not None
    assert (incident.organization_id, incident.type.code, incident.region_code) == (center.pk,
                                                                                    "kecelakaan-lalu-lintas", "35.76")
    assert (incident.location_source, incident.location_accuracy_m, incident.tracking_token) == \
        ("reporter", 9, body["tracking_token"])
    assert incident.description == REPORT["description"] and incident.created_by is None
    assert {"call.started", "incident.created"} <= {e["type"] for e in events}


def test_a_retry_with_the_same_key_returns_the_same_token_and_creates_nothing(center):
    first = report()
    again = report()
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_token"] == first.json()["tracking_token"] and not again.json()["created"]
    assert Incident.objects.count() == 1 and Call.objects.count() == 1
    assert RateLimitHit.objects.filter(bucket__startswith="report:number").count() == 1  # retries cost nothing


def test_different_keys_are_different_reports(center):
    a, b = report(key="a").json(), report(key="b").json()
    assert a["tracking_token"] != b["tracking_token"] and Incident.objects.count() == 2


def test_the_idempotency_key_is_required(center):
    r = report(key=None)
    assert r.status_code == 400 and r.json()["error"]["code"] == "idempotency_key_required"
    assert not Call.objects.exists()


def test_a_key_reused_for_another_number_is_refused(center):
    report()
    r = report(dict(REPORT, phone="081299998888"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"
    assert Incident.objects.count() == 1


def test_the_status_shows_nothing_private(center):
    token = report().json()["tracking_token"]
    r = Client().get(f"/api/public/reports/{token}")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"status", "label", "step", "reported_at", "updated_at"}
    assert body["status"] == "received" and body["step"] == 1
    text = r.content.decode()
    for private in ("3456", "Mojopahit", "tabrakan", str(IN_KOTA[0]), "35.76", "kecelakaan"):
        assert private not in text


@pytest.mark.parametrize("status, expected", [("referred", "handled"), ("in_progress", "on_the_way"),
                                              ("resolved", "closed"), ("cancelled", "closed")])
def test_the_status_in_citizens_words(center, status, expected):
    token = report().json()["tracking_token"]
    incident = Incident.objects.get()
    actor = system_actor_for(center)
    services.set_incident_status(actor, incident.pk, status, note="Laporan ganda dari warga")
    assert Client().get(f"/api/public/reports/{token}").json()["status"] == expected


def test_a_merged_report_follows_the_incident_it_was_merged_into(center):
    mine = report().json()["tracking_token"]
    report(key="other")
    source, target = Incident.objects.get(tracking_token=mine), Incident.objects.exclude(tracking_token=mine).get()
    actor = system_actor_for(center)
    services.merge_incidents(actor, source.pk, target.pk)
    services.set_incident_status(actor, target.pk, "in_progress")
    assert Client().get(f"/api/public/reports/{mine}").json()["status"] == "on_the_way"


def test_an_unknown_token_is_not_found(db):
    r = Client().get("/api/public/reports/tidak-ada")
    assert r.status_code == 404 and "error" in r.json()


@pytest.mark.parametrize("change, code", [
    ({"lat": OUTSIDE[0], "lng": OUTSIDE[1]}, "outside_indonesia"),
    ({"lat": IN_KOTA[0], "lng": None}, "invalid_position"),
    ({"phone": "12345"}, "invalid_phone"),
    ({"phone": ""}, "invalid_phone"),
    ({"type_code": "tidak-ada"}, "unknown_type"),
    ({"lat": None, "lng": None, "place": ""}, "location_required"),
    ({"lat": None, "lng": None, "place": "Kota Atlantis"}, "place_unknown"),
])
def test_bad_input_is_refused_with_nothing_written(center, change, code):
    r = report(dict(REPORT, **change))
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == code
    assert not Call.objects.exists() and not Incident.objects.exists() and not RateLimitHit.objects.exists()


def test_schema_errors_are_refused(center):
    r = report(dict(REPORT, lat="utara"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    assert not Call.objects.exists()


def test_a_typed_kelurahan_routes_the_report_without_gps(center):
    r = report(dict(REPORT, lat=None, lng=None, accuracy_m=None, place="Kranggan, Kota Mojokerto"))
    assert r.status_code == 201, r.content
    incident = Incident.objects.get()
    assert incident.organization_id == center.pk and incident.region_code.startswith("35.76.03")
    assert incident.address == "Kranggan, Kota Mojokerto"


def test_a_place_with_no_call_center_gets_a_clear_error(center):
    r = report(dict(REPORT, lat=IN_JAKARTA[0], lng=IN_JAKARTA[1]))
    assert r.status_code == 503
    err = r.json()["error"]
    assert err["code"] == "no_call_center" and "112" in err["message"]
    assert not Call.objects.exists()


def test_with_gps_a_misspelt_place_does_not_block_the_report(center):
    r = report(dict(REPORT, place="Jalan yang tidak ada namanya"))
    assert r.status_code == 201
    incident = Incident.objects.get()
    assert incident.region_code == "35.76" and incident.address == "Jalan yang tidak ada namanya"
