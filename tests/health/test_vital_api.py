"""Vital events through the API: notify, correction asked, resubmitted, registered; refusals as 409 and 422."""

import json

import pytest

from tests.conftest import client_for

from .vital_support import vx  # noqa: F401

pytestmark = pytest.mark.django_db

BIRTH = {"mother_name": "Siti Aminah", "sex": "P", "born_at": "2025-03-01T08:30:00+07:00",
         "birth_attendant": "midwife", "weight_g": 3100, "place": "Puskesmas Kranggan"}


def _post(c, url, body):
    return c.post(url, data=json.dumps(body), content_type="application/json")


def test_a_birth_goes_round_the_correction_loop_and_is_registered(vx):
    facility, cro = client_for(vx.users["facility"]), client_for(vx.users["cro"])
    r = _post(facility, "/api/health/vital-events/births", BIRTH)
    assert r.status_code == 201, r.content
    ev = r.json()
    assert (ev["status"], ev["sex"], ev["dukcapil_id"]) == ("notified", "F", vx.orgs["dukcapil"].pk)
    url = f"/api/health/vital-events/{ev['id']}"

    queue = cro.get("/api/health/vital-events?status=notified").json()
    assert [i["id"] for i in queue["items"]] == [ev["id"]]

    r = _post(cro, url + "/request-correction", {"reason": "Nama ibu tidak sesuai KK"})
    assert r.status_code == 200 and r.json()["correction_reason"] == "Nama ibu tidak sesuai KK"
    seen = facility.get(url).json()
    assert seen["status"] == "correction_requested" and seen["correction_reason"] == "Nama ibu tidak sesuai KK"

    r = _post(facility, url + "/resubmit", {**BIRTH, "mother_name": "Siti Aminah Rahayu"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "resubmitted" and r.json()["mother_name"] == "Siti Aminah Rahayu"

    r = _post(cro, url + "/register", {"registration_number": "3576-LU-0001"})
    assert r.status_code == 200
    done = facility.get(url).json()
    assert done["status"] == "registered" and done["registration_number"] == "3576-LU-0001"
    assert [h["to_status"] for h in done["history"]] == ["notified", "correction_requested", "resubmitted",
                                                           "registered"]


def test_a_refused_move_is_a_409_with_a_clear_message(vx):
    ev = vx.birth()
    cro = client_for(vx.users["cro"])
    assert _post(cro, f"/api/health/vital-events/{ev.pk}/reject", {"reason": "Duplikat"}).status_code == 200
    r = _post(cro, f"/api/health/vital-events/{ev.pk}/register", {"registration_number": "R-1"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "invalid_transition"
    assert r.json()["error"]["message"]


def test_the_facility_cannot_resubmit_before_a_correction_is_asked(vx):
    ev = vx.birth()
    r = _post(client_for(vx.users["facility"]), f"/api/health/vital-events/{ev.pk}/resubmit", BIRTH)
    assert r.status_code == 409


def test_a_future_birth_is_a_422(vx):
    r = _post(client_for(vx.users["facility"]), "/api/health/vital-events/births",
              {**BIRTH, "born_at": "2999-01-01T08:00:00+07:00"})
    assert r.status_code in (400, 422)
    assert r.json()["error"]["code"] == "future_date"
