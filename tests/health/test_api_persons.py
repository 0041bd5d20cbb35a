"""Persons over the API: registered with a checked NIK, listed masked, searched by full NIK, growth chart data."""

import datetime as dt
import json

import pytest

from tests.conftest import client_for

from .conftest import make_nik

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_register_and_list_masked(hx):
    c = client_for(hx.user("kader"))
    born = dt.date(2024, 2, 3)
    nik = make_nik(born, "M")
    r = _post(c, "/api/health/persons", {"posyandu_id": hx.posyandu.pk, "name": "Bima", "sex": "L",
                                         "birth_date": born.isoformat(), "nik": nik})
    assert r.status_code == 201, r.content
    listed = c.get("/api/health/persons").json()
    assert listed["count"] == 1 and nik not in json.dumps(listed)
    assert listed["items"][0]["nik_masked"] == nik[:4] + "*" * 8 + nik[12:]
    found = c.get(f"/api/health/persons?q={nik}").json()
    assert [p["name"] for p in found["items"]] == ["Bima"]


def test_a_duplicate_nik_is_a_409(hx):
    c = client_for(hx.user("kader"))
    born = dt.date(2024, 2, 3)
    body = {"posyandu_id": hx.posyandu.pk, "name": "Bima", "sex": "L", "birth_date": born.isoformat(),
            "nik": make_nik(born, "M")}
    assert _post(c, "/api/health/persons", body).status_code == 201
    r = _post(c, "/api/health/persons", body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_nik"


def test_registering_at_another_posyandu_is_a_404(hx):
    c = client_for(hx.user("kader"))
    r = _post(c, "/api/health/persons", {"posyandu_id": hx.other_posyandu.pk, "name": "X", "sex": "P",
                                         "birth_date": "2024-01-01"})
    assert r.status_code == 404


def test_growth_chart_data_has_points_and_reference_curves(hx):
    child = hx.child(birth_date=dt.date(2024, 1, 10))
    c = client_for(hx.user("kader"))
    _post(c, f"/api/health/persons/{child.pk}/measurements",
          {"measured_on": "2025-01-14", "weight_g": 9000, "length_height_mm": 750, "position": "lying"})
    body = c.get(f"/api/health/persons/{child.pk}/growth").json()
    assert len(body["measurements"]) == 1
    assert set(body["reference"]) == {"wfa", "lhfa", "bmi", "wfl", "wfh"}
    assert set(body["reference"]["wfa"]["lines"]) == {"-3", "-2", "-1", "0", "1", "2", "3"}


def test_a_measurement_without_date_outside_a_session_is_refused(hx):
    child = hx.child()
    r = _post(client_for(hx.user("kader")), f"/api/health/persons/{child.pk}/measurements", {"weight_g": 9000})
    assert r.status_code == 400 and r.json()["error"]["code"] == "date_required"


def test_assess_computes_without_storing(hx):
    r = _post(client_for(hx.user("leader")), "/api/health/growth/assess", {})
    assert r.status_code == 422
    r = _post(client_for(hx.user("kader")), "/api/health/growth/assess",
              {"sex": "F", "birth_date": "2023-01-10", "measured_on": "2025-01-20", "length_height_mm": 760,
               "position": "standing"})
    assert r.status_code == 200 and r.json()["category"]["lhfa"] == "severely_stunted"


def test_a_leader_without_health_view_is_refused(hx):
    assert client_for(hx.user("leader")).get("/api/health/persons").status_code == 403
