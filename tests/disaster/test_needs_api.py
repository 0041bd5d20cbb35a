"""Needs over the API: report figures per kelurahan, read the estimate per profile; isolation of both paths."""

import json

import pytest
from django.utils import timezone

from siaga.disaster.models import DisasterEvent, NeedsReport
from tests.isolation import OrgIsolationSpec

pytestmark = pytest.mark.django_db


def send(c, url, body):
    return c.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def lead(make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="35")
    c = login(make_user("disaster_manager", org, scope_code="35"))
    r = send(c, "/api/disaster/events", {"name": "Banjir Mojokerto", "type_code": "banjir",
                                         "affected_region_codes": ["35.76"]})
    assert r.status_code == 201, r.content
    return c, r.json()["id"]


def test_report_and_read_the_needs_in_both_profiles(lead):
    c, ev = lead
    r = send(c, f"/api/disaster/events/{ev}/needs/reports",
             {"region_code": "35.76.01.1006", "displaced": 137, "affected": 137, "source": "pmi"})
    assert r.status_code == 201, r.content
    assert r.json()["source"] == "pmi" and r.json()["displaced"] == 137
    body = c.get(f"/api/disaster/events/{ev}/needs").json()
    assert body["profile"] == "bnpb" and body["days"] == 7
    assert {x["item"]: x["quantity"] for x in body["total"]} == {
        "rice": 384, "drinking_water": 2398, "clean_water": 9179, "toilet": 7, "family_kit": 28}
    assert body["areas"][0]["lines"][0]["unit"] == "kg"
    body = c.get(f"/api/disaster/events/{ev}/needs?profile=sphere&days=1").json()
    # One day: 137 × 7/12 = 79.92 -> 80 kg; 137 × 15 = 2,055 L; 137 × 250/30 = 1,141.67 -> 1,142 g.
    assert {x["item"]: x["quantity"] for x in body["total"]} == {
        "rice_equivalent": 80, "water": 2055, "toilet": 7, "bathing_soap": 1142, "household_kit": 28}


def test_bad_input_is_refused_with_a_clear_error(lead):
    c, ev = lead
    r = send(c, f"/api/disaster/events/{ev}/needs/reports",
             {"region_code": "35.76.01.1006", "displaced": -3, "affected": 10, "source": "pmi"})
    assert r.status_code in (400, 422) and r.json()["error"]["code"] == "negative_count"
    r = send(c, f"/api/disaster/events/{ev}/needs/reports",
             {"region_code": "35.76.01.1006", "displaced": 30, "affected": 10, "source": "pmi"})
    assert r.json()["error"]["code"] == "displaced_exceeds_affected"
    assert not NeedsReport.objects.exists()
    assert c.get(f"/api/disaster/events/{ev}/needs?profile=unicef").status_code in (400, 422)
    assert c.get(f"/api/disaster/events/{ev}/needs?days=0").status_code in (400, 422)


def _event_with_report(org):
    ev = DisasterEvent.objects.create(organization=org, region_code=org.region_code, name="Banjir",
                                      type_id="banjir", started_at=timezone.now())
    NeedsReport.objects.create(event=ev, organization=org, region_code=org.region_code + ".01.1006", displaced=10,
                               affected=20, source="pmi", reported_at=timezone.now())
    return ev


class TestNeedsIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/events/{id}/needs", "/api/disaster/events/{id}/needs?profile=sphere&days=3"]
    write_requests = [("post", "/api/disaster/events/{id}/needs/reports",
                       {"region_code": "35.16.01.1001", "displaced": 1, "affected": 1, "source": "pmi"})]

    def make_record(self, org):
        return _event_with_report(org)

    def snapshot(self, record):
        return list(record.needs_reports.values_list("pk", "displaced", "affected"))


class TestNeedsVolunteerIsolation(TestNeedsIsolation):
    role = "volunteer"
    write_requests = []
