"""Hospital pages: the capacity board for dispatchers and the staff's big-button capacity page (no-JS path)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from siaga.dispatch import hospitals, services
from siaga.dispatch.models import Dispatch, HospitalCapacity, Unit


def test_the_board_shows_the_hospitals_of_my_area(fleet, make_org):
    hospitals.update_capacity(fleet.actor("hospital"), fleet.hospital.pk, accepting=True, emergency_beds_total=9,
                              emergency_beds_free=7)
    # Across the kab/kota border, same province: on the board. Another province: not.
    soekandar = make_org(kind="hospital", region_code="35.16.01", name="RSUD Soekandar")
    make_org(kind="hospital", region_code="31.71", name="RSUD Tarakan")
    r = fleet.client("dispatcher").get("/dispatch/rumah-sakit/")
    assert r.status_code == 200
    html = r.content.decode()
    row = re.search(r'<tr id="hospital-%d".*?</tr>' % fleet.hospital.pk, html, re.S).group(0)
    assert '<span data-field="emergency_beds_free">7</span>' in row
    assert '<span data-field="emergency_beds_total">9</span>' in row
    assert re.search(r'<tr id="hospital-%d".*?Soekandar.*?</tr>' % soekandar.pk, html, re.S)
    assert "Tarakan" not in html
    assert "topics=hospitals" in html and "hospitals_board.js" in html
    # Strict CSP: no inline script or handler.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert r["Cache-Control"].count("no-store") == 1


def test_the_board_is_refused_to_a_call_taker(fleet):
    assert fleet.client("call_taker").get("/dispatch/rumah-sakit/").status_code == 403


def test_the_capacity_page_saves_the_form(fleet):
    client = fleet.client("hospital")
    r = client.get("/dispatch/rumah-sakit/kapasitas/")
    assert r.status_code == 200
    html = r.content.decode()
    assert fleet.hospital.name in html and f"/api/dispatch/hospitals/{fleet.hospital.pk}/capacity" in html
    assert 'data-step="1"' in html and "hospitals_capacity.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    form = {"hospital": fleet.hospital.pk, "accepting": "1", "emergency_beds_free": "3", "emergency_beds_total": "8",
            "icu_beds_free": "0", "icu_beds_total": "2", "operating_theatres_free": "1",
            "operating_theatres_total": "1", "note": "Dokter bedah siaga"}
    r = client.post("/dispatch/rumah-sakit/kapasitas/", form)
    assert r.status_code == 302
    cap = HospitalCapacity.objects.get(organization=fleet.hospital)
    assert (cap.emergency_beds_free, cap.emergency_beds_total, cap.note) == (3, 8, "Dokter bedah siaga")
    # A free count above the total is refused with a message; nothing changes.
    r = client.post("/dispatch/rumah-sakit/kapasitas/", {**form, "emergency_beds_free": "9"}, follow=True)
    assert r.status_code == 200 and "msg--error" in r.content.decode()
    assert HospitalCapacity.objects.get(organization=fleet.hospital).emergency_beds_free == 3


def test_the_capacity_page_is_for_hospital_staff_only(fleet):
    assert fleet.client("dispatcher").get("/dispatch/rumah-sakit/kapasitas/").status_code == 403



def test_the_board_shows_incoming_ambulances_and_the_last_hand_over_to_dispatchers(fleet):
    first = services.dispatch_unit(fleet.actor("dispatcher"), incident_id=fleet.incident().pk, unit_id=fleet.amb1.pk)
    now = timezone.now()
    # The crew's steps belong to the lead's status machine; here only the times they record matter.
    Dispatch.objects.filter(pk=first.pk).update(status="completed", destination=fleet.hospital,
                                                at_hospital_at=now - dt.timedelta(minutes=30),
                                                handover_done_at=now - dt.timedelta(minutes=18))
    Unit.objects.filter(pk=fleet.amb1.pk).update(status="available", current_dispatch=None)
    second = services.dispatch_unit(fleet.actor("dispatcher"), incident_id=fleet.incident().pk,
                                    unit_id=fleet.amb1.pk)
    Dispatch.objects.filter(pk=second.pk).update(status="transporting", destination=fleet.hospital)

    summary = hospitals.handovers(fleet.actor("dispatcher"), [fleet.hospital.pk])[fleet.hospital.pk]
    assert summary["incoming"] == 1 and summary["last_handover_seconds"] == 12 * 60
    html = fleet.client("dispatcher").get("/dispatch/rumah-sakit/").content.decode()
    cell = re.search(r'data-field="handover">(.*?)</td>', html, re.S).group(1)
    assert re.search(r"<strong>1\b", cell) and re.search(r"\b12\b", cell)
    # Hospital staff see capacity, not the dispatches of other organisations.
    assert hospitals.handovers(fleet.actor("hospital"), [fleet.hospital.pk]) == {}
    assert 'data-field="handover"' not in fleet.client("hospital").get("/dispatch/rumah-sakit/").content.decode()
    # The next kabupaten's dispatcher sees the city's hospital (capacity is shared across the province) but not
    # the city's dispatches.
    assert hospitals.get_board_row(fleet.actor("other_dispatcher"), fleet.hospital.pk)["name"] == fleet.hospital.name
    assert hospitals.handovers(fleet.actor("other_dispatcher"), [fleet.hospital.pk]) == {}
