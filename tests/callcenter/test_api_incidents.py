"""Incidents through the API: create, list with filters (without N+1), detail, status, merge, duplicates."""

import pytest

from siaga.callcenter.models import Incident

from .conftest import JATIREJO, patch, post

pytestmark = pytest.mark.django_db

NOT_TENANT_DATA = {
    "/api/callcenter/incident-types": "the national taxonomy (reference data, the same for every call center)",
    "/api/callcenter/priority-policies": "national response targets per priority (reference data)",
    "/api/callcenter/duplicates/check": "scores only the caller's own call center's open incidents; checked in "
                                        "tests/callcenter/test_api_incidents.py",
}


def create(client, **body):
    body.setdefault("type_code", "kecelakaan-lalu-lintas")
    body.setdefault("lat", JATIREJO[0])
    body.setdefault("lng", JATIREJO[1])
    return post(client, "/api/callcenter/incidents", body)


def test_it_creates_an_incident_from_a_call(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone", "caller_number": "081234567890"}).json()
    r = create(c, call_id=call["id"], description="Motor vs mobil", answers={"perdarahan_hebat": True},
               address="Jl. Raya Jatirejo", location_source="map")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["number"].startswith("112-") and body["priority"] == 1 and body["suggested_priority"] == 1
    assert body["status"] == "referred" and body["calls_count"] == 1
    assert body["calls"][0]["caller_number"] == "+6281234567890"
    assert {r["agency_id"] for r in body["referrals"]} == {cc.psc.pk, cc.police.pk}
    assert body["timeline"][0]["kind"] == "incident.created"
    assert body["positions"][0]["source"] == "map"
    assert "in_progress" in body["allowed_statuses"]


def test_override_without_reason_is_a_clear_error(cc):
    r = create(cc.client(), type_code="banjir", priority=1)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "priority_reason_required"
    assert not Incident.objects.exists()


@pytest.mark.parametrize("body,code", [
    ({"type_code": "tidak-ada"}, "unknown_type"),
    ({"lat": 1.29, "lng": 103.85 + 40}, "outside_indonesia"),
    ({"lat": 35.0, "lng": 139.0}, "outside_indonesia"),
])
def test_bad_input_is_refused_and_nothing_written(cc, body, code):
    r = create(cc.client(), **body)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == code
    assert not Incident.objects.exists()


def test_priority_five_is_invalid_input(cc):
    r = create(cc.client(), priority=5, priority_reason="x")
    assert r.status_code == 422


def test_list_with_filters(cc):
    c = cc.client()
    accident = cc.incident()
    flood = cc.incident("banjir", number="085600001111")
    ids = lambda r: [x["id"] for x in r.json()["items"]]  # noqa: E731
    assert ids(c.get("/api/callcenter/incidents")) == [flood.pk, accident.pk]
    assert ids(c.get("/api/callcenter/incidents", {"type": "banjir"})) == [flood.pk]
    assert ids(c.get("/api/callcenter/incidents", {"priority": 2})) == [accident.pk]
    assert ids(c.get("/api/callcenter/incidents", {"status": "referred"})) == [accident.pk]
    assert ids(c.get("/api/callcenter/incidents", {"status": "open"})) == [flood.pk, accident.pk]
    assert ids(c.get("/api/callcenter/incidents", {"q": accident.number})) == [accident.pk]
    r = c.get("/api/callcenter/incidents", {"status": "selesai"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_status"


def test_the_list_costs_the_same_few_queries_for_many_incidents(cc, django_assert_max_num_queries):
    for i in range(12):
        cc.incident(number=f"08131111{i:04d}")
    c = cc.client()
    c.get("/api/callcenter/incidents")  # warm the session and the actor
    with django_assert_max_num_queries(7):
        r = c.get("/api/callcenter/incidents")
    assert r.json()["count"] == 12
    assert all(item["calls_count"] == 1 for item in r.json()["items"])


def test_calls_count_is_right_when_the_incident_has_several_referrals_and_calls(cc):
    inc = cc.incident()
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone", "caller_number": "085643219876"}).json()
    post(c, f"/api/callcenter/calls/{call['id']}/attach", {"incident_id": inc.pk})
    for who in ("call_taker", "psc_liaison"):
        item = cc.client(who).get("/api/callcenter/incidents").json()["items"][0]
        assert item["calls_count"] == 2


def test_status_change_through_the_api(cc):
    inc = cc.incident()
    c = cc.client()
    r = patch(c, f"/api/callcenter/incidents/{inc.pk}/status", {"status": "in_progress", "note": "Ambulans OTW"})
    assert r.status_code == 200 and r.json()["status"] == "in_progress"
    r = patch(c, f"/api/callcenter/incidents/{inc.pk}/status", {"status": "new"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "invalid_transition"
    assert r.json()["error"]["details"]["allowed"] == ["cancelled", "resolved"]


def test_merge_through_the_api_and_a_second_merge_conflicts(cc):
    target, source = cc.incident(), cc.incident(number="085600001111")
    c = cc.client()
    r = post(c, f"/api/callcenter/incidents/{source.pk}/merge", {"target_id": target.pk})
    assert r.status_code == 200, r.content
    assert r.json()["id"] == target.pk and r.json()["calls_count"] == 2
    r = post(c, f"/api/callcenter/incidents/{source.pk}/merge", {"target_id": target.pk})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_merged"
    detail = c.get(f"/api/callcenter/incidents/{target.pk}").json()
    assert detail["merged_ids"] == [source.pk]
    assert c.get(f"/api/callcenter/incidents/{source.pk}").json()["merged_into_id"] == target.pk


def test_duplicates_of_an_incident(cc):
    first = cc.incident()
    second = cc.incident(number="085600001111", lat=JATIREJO[0] + 0.001)
    r = cc.client().get(f"/api/callcenter/incidents/{second.pk}/duplicates")
    assert r.status_code == 200
    hits = r.json()
    assert [h["incident_id"] for h in hits] == [first.pk]
    assert hits[0]["reasons"] and 0 < hits[0]["score"] <= 1


def test_duplicate_check_before_creating(cc):
    first = cc.incident()
    r = post(cc.client(), "/api/callcenter/duplicates/check",
             {"type_code": "kecelakaan-lalu-lintas", "lat": JATIREJO[0], "lng": JATIREJO[1],
              "description": "tabrakan motor", "caller_number": "085600001111"})
    assert r.status_code == 200, r.content
    assert [h["incident_id"] for h in r.json()] == [first.pk]


def test_duplicate_check_never_shows_another_call_centers_incidents(cc):
    cc.incident()
    r = post(cc.client("other_call_taker"), "/api/callcenter/duplicates/check",
             {"type_code": "kecelakaan-lalu-lintas", "lat": JATIREJO[0], "lng": JATIREJO[1]})
    assert r.status_code == 200 and r.json() == []


def test_duplicate_check_refuses_bad_input(cc):
    r = post(cc.client(), "/api/callcenter/duplicates/check", {"lat": 40.0, "lng": 10.0})
    assert r.status_code == 400 and r.json()["error"]["code"] == "outside_indonesia"
    r = post(cc.client(), "/api/callcenter/duplicates/check", {"type_code": "alien"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_type"
