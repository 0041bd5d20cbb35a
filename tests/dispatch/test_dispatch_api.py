"""The dispatch API: errors in the user's language, idempotent dispatch, and isolation between organisations."""

import json

import pytest
from django.utils import timezone

from siaga.callcenter.models import Incident
from siaga.dispatch import services
from siaga.dispatch.models import Dispatch, Station, Unit, UnitRequest
from tests.isolation import OrgIsolationSpec

NOT_TENANT_DATA = {
    "/api/dispatch/me": "answers only with the caller's own rostered units (crewing.units_of_user); "
                        "covered by test_me_shows_only_my_unit",
    "/api/dispatch/coverage-now": "computed from the caller's own visible units; covered by "
                                  "test_coverage_now_refuses_another_area",
}


def _post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_dispatch_through_the_api_is_idempotent_under_retry(fleet):
    inc = fleet.incident()
    c = fleet.client()
    body = {"incident_id": inc.pk, "unit_id": fleet.amb1.pk}
    r1 = _post(c, "/api/dispatch/dispatches", body, HTTP_IDEMPOTENCY_KEY="klik-1")
    r2 = _post(c, "/api/dispatch/dispatches", body, HTTP_IDEMPOTENCY_KEY="klik-1")
    assert r1.status_code == 201, r1.content
    assert r2.status_code == 201 and r2.json()["id"] == r1.json()["id"]
    assert Dispatch.objects.count() == 1


def test_a_busy_unit_answers_409_in_indonesian(fleet):
    inc = fleet.incident()
    c = fleet.client()
    _post(c, "/api/dispatch/dispatches", {"incident_id": inc.pk, "unit_id": fleet.amb1.pk})
    r = _post(c, "/api/dispatch/dispatches", {"incident_id": inc.pk, "unit_id": fleet.amb1.pk})
    assert r.status_code == 409
    assert r.json()["error"]["code"] in {"unit_busy", "already_sent"}
    assert "AMB-01" in r.json()["error"]["message"]


def test_crew_steps_through_the_api_with_a_replay(fleet):
    inc = fleet.incident()
    d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    crew = fleet.client("crew")
    body = {"status": "acknowledged", "client_id": "c-1", "at": timezone.now().isoformat()}
    assert _post(crew, f"/api/dispatch/dispatches/{d.pk}/status", body).status_code == 200
    again = _post(crew, f"/api/dispatch/dispatches/{d.pk}/status", body)
    assert again.status_code == 200 and again.json()["status"] == "acknowledged"
    bad = _post(crew, f"/api/dispatch/dispatches/{d.pk}/status", {"status": "at_hospital"})
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "status_out_of_order"


def test_me_shows_only_my_unit(fleet):
    inc = fleet.incident()
    d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    body = fleet.client("crew").get("/api/dispatch/me").json()
    assert [u["call_sign"] for u in body["units"]] == ["AMB-01"]
    assert body["dispatch"]["id"] == d.pk and body["dispatch"]["incident_lat"] == inc.lat
    off = fleet.client("crew_off").get("/api/dispatch/me").json()
    assert off == {"units": [], "dispatch": None}
    other = fleet.client("other_crew").get("/api/dispatch/me").json()
    assert [u["call_sign"] for u in other["units"]] == ["AMB-K1"] and other["dispatch"] is None


def test_coverage_now_refuses_another_area(fleet):
    r = fleet.client().get("/api/dispatch/coverage-now", {"region_code": "35.16"})
    assert r.status_code == 403


def test_the_recommendation_lists_our_crewed_units_and_offered_ones(fleet):
    inc = fleet.incident()
    r = fleet.client().get(f"/api/dispatch/incidents/{inc.pk}/recommendation")
    assert r.status_code == 200, r.content
    rows = {u["call_sign"]: u for u in r.json()["units"]}
    assert set(rows) == {"AMB-01", "AMB-K1"}  # AMB-02 has no crew
    assert rows["AMB-01"]["direct"] is True and rows["AMB-K1"]["direct"] is False
    assert rows["AMB-01"]["eta_seconds"] < rows["AMB-K1"]["eta_seconds"]
    assert r.json()["capability"] == "ambulance"


def test_another_organisation_cannot_send_a_unit_to_our_incident(fleet):
    inc = fleet.incident()
    other_unit = fleet.amb_k1
    r = _post(fleet.client("other_dispatcher"), "/api/dispatch/dispatches",
              {"incident_id": inc.pk, "unit_id": other_unit.pk})
    assert r.status_code == 404 and not Dispatch.objects.exists()


def test_another_organisation_cannot_ask_for_our_recommendation(fleet):
    inc = fleet.incident()
    assert fleet.client("other_dispatcher").get(f"/api/dispatch/incidents/{inc.pk}/recommendation").status_code == 404


# --- isolation specs -----------------------------------------------------------------------------------------


def _unit(org):
    st = Station.objects.create(organization=org, name=f"Pos {org.pk}", kind="psc119", region_code=org.region_code,
                                lat=-7.47, lng=112.43)
    return Unit.objects.create(organization=org, station=st, call_sign=f"U-{org.pk}", kind="ambulance_basic",
                               capabilities=["ambulance"], region_code=org.region_code, always_crewed=True)


def _incident(org):
    import secrets

    from siaga.callcenter.models import IncidentType
    from siaga.callcenter.taxonomy import seed_taxonomy

    seed_taxonomy()
    return Incident.objects.create(organization=org, number=f"119-{secrets.randbelow(10**6)}",
                                   type=IncidentType.objects.get(code="kecelakaan-lalu-lintas"), priority=1,
                                   suggested_priority=1, region_code=org.region_code, lat=-7.47, lng=112.43,
                                   tracking_token=secrets.token_urlsafe(24), created_at=timezone.now())


class TestUnitIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "psc119"
    list_url = "/api/dispatch/units"
    detail_urls = ["/api/dispatch/units/{id}"]
    write_requests = [("post", "/api/dispatch/units/{id}/service", {"in_service": False, "reason": "x"}),
                      ("post", "/api/dispatch/units/{id}/available", {})]

    def make_record(self, org):
        return _unit(org)


class TestStationIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "psc119"
    list_url = "/api/dispatch/stations"

    def make_record(self, org):
        return Station.objects.create(organization=org, name=f"Pos {org.pk}", kind="psc119",
                                      region_code=org.region_code)


class TestDispatchIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "psc119"
    list_url = "/api/dispatch/dispatches"
    detail_urls = ["/api/dispatch/dispatches/{id}"]
    write_requests = [
        ("post", "/api/dispatch/dispatches/{id}/status", {"status": "en_route"}),
        ("post", "/api/dispatch/dispatches/{id}/cancel", {"reason": "x"}),
        ("post", "/api/dispatch/dispatches/{id}/divert", {"incident_id": 1}),
        ("post", "/api/dispatch/dispatches/{id}/reassign", {"unit_id": 1, "reason": "x"}),
        ("post", "/api/dispatch/dispatches/{id}/destination", {"hospital_id": 1}),
    ]

    def make_record(self, org):
        now = timezone.now()
        return Dispatch.objects.create(organization=org, incident=_incident(org), unit=_unit(org), alerted_at=now,
                                       ack_deadline_at=now, region_code=org.region_code)


class TestRecommendationIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "psc119"
    detail_urls = ["/api/dispatch/incidents/{id}/recommendation"]

    def make_record(self, org):
        _unit(org)
        return _incident(org)


class TestUnitRequestIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "psc119"
    list_url = "/api/dispatch/unit-requests"
    write_requests = [("post", "/api/dispatch/unit-requests/{id}/respond", {"accept": True})]

    def make_record(self, org):
        from siaga.core.models import Organization

        requester = Organization.objects.create(code=f"req-{org.pk}", name="Peminta", kind="psc119",
                                                region_code=org.region_code)
        return UnitRequest.objects.create(organization=requester, owner=org, unit=_unit(org),
                                          incident=_incident(requester), requested_at=timezone.now(),
                                          region_code=org.region_code)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, Dispatch.objects.count())


pytestmark = pytest.mark.django_db
