"""Hospital capacity updates: who may change which hospital, validation, audit, the area-wide event, retries."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from siaga.core import tokens
from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied, actor_for
from siaga.dispatch import hospitals
from siaga.dispatch.models import HospitalCapacity

from .conftest import member

FULL = {"emergency_beds_total": 10, "emergency_beds_free": 4, "icu_beds_total": 6, "icu_beds_free": 1,
        "operating_theatres_total": 3, "operating_theatres_free": 2}


def _audits(org):
    cap = HospitalCapacity.objects.get(organization=org)
    return list(AuditLog.objects.filter(model="dispatch.hospitalcapacity", object_id=str(cap.pk)))


def test_the_hospital_officer_sets_capacity_and_every_dispatcher_around_hears_it(fleet, capture_events, make_org):
    with capture_events() as evs:
        cap = hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, accepting=True, **FULL)
    assert (cap.emergency_beds_free, cap.icu_beds_total, cap.operating_theatres_free) == (4, 6, 2)
    assert cap.updated_by == fleet.users["hospital"] and cap.updated_at is not None
    assert cap.region_code == "35.76"
    [ev] = [e for e in evs if e["type"] == "hospital.capacity"]
    # Announced to the province (Jawa Timur), not just the city: capacity is shared across kab/kota borders.
    assert ev["organization_id"] is None and ev["region_code"] == "35"
    assert ev["payload"]["emergency_beds_free"] == 4 and ev["payload"]["name"] == fleet.hospital.name
    # The city's dispatchers (of other organisations) see it, and so does the kabupaten's around the city...
    assert fleet.actor("dispatcher").can_see_event(ev)
    assert fleet.actor("pmi_dispatcher").can_see_event(ev)
    assert fleet.actor("other_dispatcher").can_see_event(ev)
    # ...but not a dispatcher in another province.
    jakarta = make_org(kind="psc119", region_code="31.71", name="PSC 119 Jakarta Pusat")
    assert not actor_for(member("dispatcher", jakarta, "31.71", "dispatcher-jakpus")).can_see_event(ev)
    assert not fleet.actor("call_taker").can_see_event(ev)  # no hospital.view
    [rec] = _audits(fleet.hospital)
    assert rec.action == AuditLog.Action.CREATE and rec.actor == fleet.users["hospital"]


def test_a_partial_update_keeps_the_other_numbers_and_is_audited(fleet):
    hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, **FULL,
                              now=timezone.now() - dt.timedelta(minutes=5))
    cap = hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, emergency_beds_free=3)
    assert (cap.emergency_beds_free, cap.emergency_beds_total, cap.icu_beds_free) == (3, 10, 1)
    update = [r for r in _audits(fleet.hospital) if r.action == AuditLog.Action.UPDATE]
    assert len(update) == 1 and update[0].changes["emergency_beds_free"] == [4, 3]


def test_an_officer_cannot_update_another_hospital_even_in_the_same_city(fleet, make_org):
    other = make_org(kind="hospital", region_code="35.76", name="RS Gatoel")
    with pytest.raises(PermissionDenied):
        hospitals.update_capacity(fleet.actor("hospital"), other.pk, emergency_beds_free=1, emergency_beds_total=2)
    assert not HospitalCapacity.objects.filter(organization=other).exists()


def test_a_dispatcher_cannot_change_capacity(fleet):
    with pytest.raises(PermissionDenied):
        hospitals.update_capacity(fleet.actor("dispatcher"), fleet.hospital.pk, emergency_beds_free=1)


def test_only_hospitals_have_capacity(fleet):
    with pytest.raises(NotFound):
        hospitals.update_capacity(actor_for(fleet.users["hospital"]), fleet.psc.pk, emergency_beds_free=1)


@pytest.mark.parametrize("bad, code, field", [
    ({"emergency_beds_total": 2, "emergency_beds_free": 3}, "free_exceeds_total", "emergency_beds_free"),
    ({"icu_beds_free": 5}, "free_exceeds_total", "icu_beds_free"),  # the stored total is 0
    ({"operating_theatres_total": -1}, "invalid_capacity", "operating_theatres_total"),
    ({"emergency_beds_total": 999999}, "invalid_capacity", "emergency_beds_total"),
    ({"emergency_beds_free": "3"}, "invalid_capacity", "emergency_beds_free"),
])
def test_bad_numbers_are_refused_with_a_clear_error_and_nothing_changes(fleet, capture_events, bad, code, field):
    with capture_events() as evs, pytest.raises(ServiceError) as exc:
        hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, **bad)
    assert exc.value.code == code and field in exc.value.details
    assert exc.value.message and exc.value.message != code
    assert not evs
    assert not HospitalCapacity.objects.filter(organization=fleet.hospital, updated_at__isnull=False).exists()


def test_the_error_names_the_kind_of_bed(fleet):
    with pytest.raises(ServiceError) as exc:
        hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, emergency_beds_total=1,
                                  emergency_beds_free=2)
    # The message names the kind of bed, in the user's language (Bahasa Indonesia by default).
    assert str(hospitals.NEED_LABELS["emergency"]) in exc.value.message
    assert str(hospitals.NEED_LABELS["icu"]) not in exc.value.message


def test_a_retried_update_changes_nothing_twice(fleet, capture_events):
    actor = fleet.actor("hospital")
    with capture_events() as evs:
        first = hospitals.update_capacity(actor, fleet.hospital.pk, **FULL)
        again = hospitals.update_capacity(actor, fleet.hospital.pk, **FULL)
    assert again.updated_at == first.updated_at
    assert len([e for e in evs if e["type"] == "hospital.capacity"]) == 1
    assert len(_audits(fleet.hospital)) == 1


def test_confirming_the_same_numbers_later_makes_the_report_fresh_without_an_audit_row(fleet):
    actor = fleet.actor("hospital")
    old = timezone.now() - dt.timedelta(hours=7)
    hospitals.update_capacity(actor, fleet.hospital.pk, **FULL, now=old)
    assert hospitals.get_board_row(fleet.actor(), fleet.hospital.pk)["stale"] is True
    cap = hospitals.update_capacity(actor, fleet.hospital.pk, **FULL)
    assert cap.updated_at > old
    assert hospitals.get_board_row(fleet.actor(), fleet.hospital.pk)["stale"] is False
    assert len(_audits(fleet.hospital)) == 1


def test_a_hospital_system_updates_through_a_device_token(fleet, client):
    membership = fleet.users["hospital"].memberships.get()
    _tok, raw = tokens.issue(membership, "SIMRS RSUD Wahidin")
    r = client.put(f"/api/dispatch/hospitals/{fleet.hospital.pk}/capacity", data=json.dumps(FULL),
                   content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200, r.content
    assert r.json()["emergency_beds_free"] == 4 and r.json()["reported"] is True
    # The same token cannot touch another hospital.
    other = fleet.hospital.__class__.objects.create(code="rs-lain", name="RS Lain", kind="hospital",
                                                    region_code="35.76")
    r = client.put(f"/api/dispatch/hospitals/{other.pk}/capacity", data=json.dumps(FULL),
                   content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def test_a_hospital_group_officer_manages_its_member_hospitals(fleet, make_org, capture_events):
    group = make_org(kind="hospital", region_code="35.76", name="Yayasan RS")
    branch = make_org(kind="hospital", region_code="35.76.01", name="RS Cabang", parent=group)
    officer = member("hospital_officer", group, "35.76", "rs-yayasan")
    with capture_events() as evs:
        cap = hospitals.update_capacity(actor_for(officer), branch.pk, icu_beds_total=2, icu_beds_free=2)
    # The row keeps the hospital's own region; the event goes to its province.
    assert cap.icu_beds_free == 2 and cap.region_code == "35.76.01"
    assert [e["region_code"] for e in evs if e["type"] == "hospital.capacity"] == ["35"]
