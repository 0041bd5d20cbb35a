"""Hospitals API: the board by area, one hospital, capacity writes, retries, and isolation between hospitals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from siaga.core.permissions import system_actor
from siaga.dispatch import hospitals
from siaga.dispatch.models import HospitalCapacity
from tests.conftest import client_for
from tests.isolation import OrgIsolationSpec

from .conftest import member

NOT_TENANT_DATA = {
    "/api/dispatch/hospitals/suggest": "hospital capacity is shared across the province among emergency services "
                                       "(any crew may take a patient to any hospital nearby, across kab/kota "
                                       "borders); filtered to the caller's province like the board: "
                                       "test_suggestions_leave_out_hospitals_outside_my_area",
    "/api/dispatch/hospitals/edxl-have.xml": "the board as EDXL-HAVE XML, filtered to the caller's province like the "
                                             "board: test_the_export_leaves_out_hospitals_outside_my_area",
}

FULL = {"emergency_beds_total": 8, "emergency_beds_free": 2, "icu_beds_total": 4, "icu_beds_free": 0,
        "operating_theatres_total": 2, "operating_theatres_free": 1, "accepting": True}


def _put(client, org_id, body, **headers):
    return client.put(f"/api/dispatch/hospitals/{org_id}/capacity", data=json.dumps(body),
                      content_type="application/json", **headers)


class TestHospitalCapacityIsolation(OrgIsolationSpec):
    """A hospital officer lists the hospitals of its province only, and cannot write another hospital's numbers."""

    role = "hospital_officer"
    org_kind = "hospital"
    # Capacity is shared across the province (hospitals.sharing_area): a hospital in Kabupaten Mojokerto (35.16,
    # the spec's default "other" region) is on a Kota Mojokerto officer's board on purpose. What must stay apart is
    # a hospital in another province, so the other organisation sits in Jakarta Pusat (31.71, province 31).
    other_region_code = "31.71"
    list_url = "/api/dispatch/hospitals"
    list_key = "organization_id"
    detail_urls = ["/api/dispatch/hospitals/{id}"]
    write_requests = [("put", "/api/dispatch/hospitals/{id}/capacity", {"emergency_beds_free": 0}),
                      ("post", "/api/dispatch/hospitals/{id}/capacity", {"accepting": False})]

    def make_record(self, org):
        org.lat, org.lng = -7.47, 112.43
        org.save(update_fields=["lat", "lng"])
        hospitals.update_capacity(system_actor(), org.pk, accepting=True, emergency_beds_total=5,
                                  emergency_beds_free=5)
        return org

    def snapshot(self, record):
        cap = HospitalCapacity.objects.get(organization=record)
        return (cap.accepting, cap.emergency_beds_free, cap.updated_at)


def test_the_board_lists_the_hospitals_of_my_province_with_their_numbers(fleet, make_org):
    hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, **FULL)
    # Across the kab/kota border (Kota Mojokerto lies inside Kabupaten Mojokerto), same province: shared.
    soekandar = make_org(kind="hospital", region_code="35.16.01", name="RSUD Prof. dr. Soekandar")
    silent = make_org(kind="hospital", region_code="35.76.02", name="RS Reksa Waluya")
    # Another province: not shared.
    tarakan = make_org(kind="hospital", region_code="31.71", name="RSUD Tarakan")
    r = fleet.client("dispatcher").get("/api/dispatch/hospitals")
    assert r.status_code == 200
    rows = {h["organization_id"]: h for h in r.json()}
    assert set(rows) == {fleet.hospital.pk, silent.pk, soekandar.pk}
    assert tarakan.pk not in rows
    mine = rows[fleet.hospital.pk]
    assert (mine["emergency_beds_free"], mine["emergency_beds_total"], mine["accepting"]) == (2, 8, True)
    assert mine["stale"] is False and mine["age_seconds"] is not None and mine["lat"] == pytest.approx(-7.4751)
    assert rows[silent.pk]["reported"] is False and rows[silent.pk]["stale"] is True
    assert rows[soekandar.pk]["region_code"] == "35.16.01"
    # The kabupaten's dispatcher sees the city's hospitals too (same province), and its own.
    other = {h["organization_id"] for h in fleet.client("other_dispatcher").get("/api/dispatch/hospitals").json()}
    assert other == {fleet.hospital.pk, silent.pk, soekandar.pk}
    # A dispatcher in Jakarta sees Jakarta's hospital only.
    jakarta = make_org(kind="psc119", region_code="31.71", name="PSC 119 Jakarta Pusat")
    far_dispatcher = member("dispatcher", jakarta, "31.71", "dispatcher-jakpus")
    far = {h["organization_id"] for h in client_for(far_dispatcher).get("/api/dispatch/hospitals").json()}
    assert far == {tarakan.pk}


def test_the_board_flags_a_report_older_than_the_configured_age(fleet, settings):
    settings.SIAGA_HOSPITAL_STALE_HOURS = 2
    hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, **FULL,
                              now=timezone.now() - dt.timedelta(hours=3))
    [row] = fleet.client("dispatcher").get("/api/dispatch/hospitals").json()
    assert row["stale"] is True and row["age_seconds"] >= 3 * 3600 - 5
    settings.SIAGA_HOSPITAL_STALE_HOURS = 4
    [row] = fleet.client("dispatcher").get("/api/dispatch/hospitals").json()
    assert row["stale"] is False


def test_the_board_filters_by_region(fleet, make_org):
    kranggan = make_org(kind="hospital", region_code="35.76.03.1001", name="RS Kranggan")
    soekandar = make_org(kind="hospital", region_code="35.16.01", name="RSUD Soekandar")
    make_org(kind="hospital", region_code="31.71", name="RSUD Tarakan")
    r = fleet.client("dispatcher").get("/api/dispatch/hospitals?region_code=35.76.03")
    assert [h["organization_id"] for h in r.json()] == [kranggan.pk]
    # The kabupaten next door is inside the city dispatcher's province: it may look there.
    r = fleet.client("dispatcher").get("/api/dispatch/hospitals?region_code=35.16")
    assert r.status_code == 200 and [h["organization_id"] for h in r.json()] == [soekandar.pk]
    # Another province is not.
    r = fleet.client("dispatcher").get("/api/dispatch/hospitals?region_code=31.71")
    assert r.status_code == 403


def test_crews_see_the_board_and_call_takers_do_not(fleet):
    assert fleet.client("crew").get("/api/dispatch/hospitals").status_code == 200
    assert fleet.client("call_taker").get("/api/dispatch/hospitals").status_code == 403


def test_the_officer_updates_through_the_api(fleet):
    r = _put(fleet.client("hospital"), fleet.hospital.pk, FULL)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["emergency_beds_free"] == 2 and body["icu_beds_total"] == 4 and body["stale"] is False
    r = fleet.client("hospital").post(f"/api/dispatch/hospitals/{fleet.hospital.pk}/capacity",
                                      data=json.dumps({"accepting": False, "note": "IGD penuh, alihkan"}),
                                      content_type="application/json")
    assert r.status_code == 200 and r.json()["accepting"] is False and r.json()["note"] == "IGD penuh, alihkan"
    assert r.json()["emergency_beds_free"] == 2


def test_bad_numbers_get_a_clear_422_or_400(fleet):
    r = _put(fleet.client("hospital"), fleet.hospital.pk, {"emergency_beds_free": -2})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = _put(fleet.client("hospital"), fleet.hospital.pk, {"emergency_beds_total": 1, "emergency_beds_free": 2})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "free_exceeds_total" and "emergency_beds_free" in err["details"]


def test_a_retry_with_the_same_idempotency_key_is_answered_once(fleet, capture_events):
    client = fleet.client("hospital")
    with capture_events() as evs:
        a = _put(client, fleet.hospital.pk, FULL, HTTP_IDEMPOTENCY_KEY="cap-1")
        b = _put(client, fleet.hospital.pk, FULL, HTTP_IDEMPOTENCY_KEY="cap-1")
    assert a.status_code == b.status_code == 200
    assert a.json() == b.json()
    assert len([e for e in evs if e["type"] == "hospital.capacity"]) == 1


def test_another_hospital_cannot_be_written_even_in_the_same_area(fleet, make_org):
    gatoel = make_org(kind="hospital", region_code="35.76", name="RS Gatoel")
    r = _put(fleet.client("hospital"), gatoel.pk, FULL)
    assert r.status_code == 403
    assert not HospitalCapacity.objects.filter(organization=gatoel).exists()
    # ...but it is visible: capacity is shared by area.
    assert fleet.client("hospital").get(f"/api/dispatch/hospitals/{gatoel.pk}").status_code == 200
    # So is a hospital across the kab/kota border, and it is just as read-only.
    soekandar = make_org(kind="hospital", region_code="35.16.01", name="RSUD Soekandar")
    assert fleet.client("hospital").get(f"/api/dispatch/hospitals/{soekandar.pk}").status_code == 200
    assert _put(fleet.client("hospital"), soekandar.pk, FULL).status_code == 403
    assert not HospitalCapacity.objects.filter(organization=soekandar).exists()


def test_the_detail_of_a_hospital_outside_my_area_is_not_found(fleet, make_org):
    far = make_org(kind="hospital", region_code="31.71", name="RSUD Tarakan")
    r = fleet.client("dispatcher").get(f"/api/dispatch/hospitals/{far.pk}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    # Across the kab/kota border but in the same province: found.
    near = make_org(kind="hospital", region_code="35.16.01", name="RSUD Soekandar")
    r = fleet.client("dispatcher").get(f"/api/dispatch/hospitals/{near.pk}")
    assert r.status_code == 200 and r.json()["name"] == "RSUD Soekandar"


def test_the_board_costs_the_same_queries_for_many_hospitals(fleet, make_org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = fleet.client("dispatcher")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/dispatch/hospitals").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(10):
        org = make_org(kind="hospital", region_code="35.76", name=f"RS {i}")
        hospitals.update_capacity(system_actor(), org.pk, emergency_beds_total=3, emergency_beds_free=i % 4)
    assert count() == few
