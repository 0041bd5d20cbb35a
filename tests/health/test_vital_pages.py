"""Dukcapil pages: a facility notifies on a form, Dukcapil answers from its queue, the facility corrects and resends."""

from __future__ import annotations

import re

import pytest

from siaga.health.models_vital import VitalEvent
from tests.conftest import client_for

from .conftest import make_nik
from .vital_support import vx  # noqa: F401

BIRTH_FORM = {"mother_name": "Siti Aminah", "mother_nik": "", "child_name": "", "sex": "F",
              "born_at": "2025-03-01T08:30", "birth_attendant": "midwife", "weight_g": "3100", "place": "Puskesmas"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_facility_notifies_a_birth_on_the_form_and_sees_it_waiting(vx):
    facility = client_for(vx.users["facility"])
    response = facility.post("/dukcapil/lapor/birth/", BIRTH_FORM)
    ev = VitalEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/dukcapil/{ev.pk}/"
    assert (ev.organization, ev.dukcapil, ev.status) == (vx.orgs["facility"], vx.orgs["dukcapil"], "notified")
    # The datetime-local field is read in the region's zone (WIB for Mojokerto): 08:30 WIB is 01:30 UTC.
    assert ev.born_at.isoformat() == "2025-03-01T01:30:00+00:00"
    page = _text(facility.get(f"/dukcapil/{ev.pk}/"))
    assert "Siti Aminah" in page and 'data-status="notified"' in page


def test_bad_input_is_explained_in_indonesian_and_nothing_is_stored(vx):
    facility = client_for(vx.users["facility"])
    response = facility.post("/dukcapil/lapor/birth/", {**BIRTH_FORM, "weight_g": "31000"})
    assert response.status_code == 422
    assert 'data-error-field="weight_g"' in _text(response)
    assert "tidak mungkin" in _text(response)
    response = facility.post("/dukcapil/lapor/birth/", {**BIRTH_FORM, "born_at": "kemarin"})
    assert response.status_code == 422 and 'data-error-field="born_at"' in _text(response)
    assert VitalEvent.objects.count() == 0


def test_dukcapil_sees_waiting_work_first_and_registers_it(vx):
    older, newer = vx.birth(), vx.death()
    vx.birth(who="other_facility")  # another kab/kota's Dukcapil office: not in this queue
    cro = client_for(vx.users["cro"])
    page = _text(cro.get("/dukcapil/"))
    assert page.count("data-vital-event=") == 2
    assert page.index(f'data-vital-event="{older.pk}"') < page.index(f'data-vital-event="{newer.pk}"')
    response = cro.post(f"/dukcapil/{older.pk}/putuskan/", {"action": "register", "registration_number": "3576-LU-1"})
    assert response.status_code == 302
    older.refresh_from_db()
    assert (older.status, older.registration_number) == ("registered", "3576-LU-1")
    assert 'data-registration-number>3576-LU-1' in _text(client_for(vx.users["facility"]).get(f"/dukcapil/{older.pk}/"))


def test_a_correction_loop_keeps_the_nik_that_was_not_retyped(vx):
    nik = make_nik(__import__("datetime").date(1995, 6, 2), "F")
    ev = vx.birth(mother_nik=nik)
    cro = client_for(vx.users["cro"])
    cro.post(f"/dukcapil/{ev.pk}/putuskan/", {"action": "correction", "reason": "Nama anak belum diisi"})
    facility = client_for(vx.users["facility"])
    form = _text(facility.get(f"/dukcapil/{ev.pk}/perbaiki/"))
    assert "Nama anak belum diisi" in form and nik not in form  # the full NIK is never shown back
    response = facility.post(f"/dukcapil/{ev.pk}/perbaiki/", {**BIRTH_FORM, "child_name": "Aisyah"})
    assert response.status_code == 302
    ev.refresh_from_db()
    assert (ev.status, ev.child_name, ev.mother_nik) == ("resubmitted", "Aisyah", nik)


def test_only_dukcapil_answers_and_only_the_facility_corrects(vx):
    ev = vx.birth()
    facility = client_for(vx.users["facility"])
    response = facility.post(f"/dukcapil/{ev.pk}/putuskan/", {"action": "register", "registration_number": "X"})
    assert response.status_code == 403
    other_cro = client_for(vx.users["other_cro"])
    assert other_cro.get(f"/dukcapil/{ev.pk}/").status_code == 404
    assert other_cro.post(f"/dukcapil/{ev.pk}/putuskan/", {"action": "reject", "reason": "x"}).status_code == 302
    ev.refresh_from_db()
    assert ev.status == "notified"
    cro = client_for(vx.users["cro"])
    assert cro.get(f"/dukcapil/{ev.pk}/perbaiki/").status_code == 403
    assert f"/dukcapil/{ev.pk}/putuskan/" not in _text(facility.get(f"/dukcapil/{ev.pk}/"))


@pytest.mark.parametrize("who", ["leader"])
def test_roles_without_vital_events_are_refused(vx, who):
    assert client_for(vx.users[who]).get("/dukcapil/").status_code == 403


def test_the_queue_fragment_is_what_the_live_script_reloads(vx):
    ev = vx.birth()
    fragment = client_for(vx.users["cro"]).get("/dukcapil/?fragment=1")
    body = _text(fragment)
    assert f'data-vital-event="{ev.pk}"' in body and "<html" not in body
