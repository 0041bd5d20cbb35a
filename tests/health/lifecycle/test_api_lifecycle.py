"""The life-cycle API: round trips, the error shape for bad input and confirmation, query counts of the due list."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.health import services
from tests.conftest import client_for

from .conftest import register_woman

pytestmark = pytest.mark.django_db
API = "/api/health/lifecycle"


def _post(c, url, body):
    return c.post(url, data=json.dumps(body), content_type="application/json")


def test_pregnancy_round_trip(lx):
    mother = register_woman(lx)
    c = client_for(lx.user("midwife"))
    r = _post(c, f"{API}/pregnancies", {"person_id": mother.pk, "lmp_date": "2025-03-03", "gravida": 3, "para": 2,
                                         "previous_caesarean": True})
    assert r.status_code == 201, r.content
    p = r.json()
    assert p["edd"] == "2025-12-08" and p["risk_flags"] == ["previous_caesarean"] and p["high_risk"]
    for day in ("2025-04-01", "2025-06-20", "2025-09-01", "2025-10-01"):
        assert _post(c, f"{API}/pregnancies/{p['id']}/visits", {"visit_date": day}).status_code == 201
    detail = c.get(f"{API}/pregnancies/{p['id']}").json()
    assert [v["contact_number"] for v in detail["visits"]] == [1, 2, 3, 4]
    assert [v["trimester"] for v in detail["visits"]] == [1, 2, 3, 3]
    assert detail["anc"]["k4"] and not detail["anc"]["k6"]
    listed = c.get(f"{API}/pregnancies?posyandu_id={lx.posyandu.pk}").json()
    assert [i["id"] for i in listed["items"]] == [p["id"]]
    r = _post(c, f"{API}/pregnancies/{p['id']}/end", {"outcome": "live_birth", "ended_on": "2025-10-15"})
    assert r.status_code == 200 and r.json()["outcome"] == "live_birth"
    assert c.get(f"{API}/pregnancies").json()["count"] == 0  # ongoing only by default


def test_bad_input_gets_the_error_shape(lx):
    child = lx.child(birth_date=dt.date(2025, 2, 10))
    c = client_for(lx.user("kader"))
    r = _post(c, f"{API}/persons/{child.pk}/immunisations", {"vaccine": "bcg", "dose_number": 1,
                                                             "given_on": "2025-01-01"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "before_birth"
    r = _post(c, f"{API}/persons/{child.pk}/immunisations", {"vaccine": "dpt_hb_hib", "dose_number": 1,
                                                             "given_on": "2025-03-01"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "needs_confirmation"
    ok = _post(c, f"{API}/persons/{child.pk}/immunisations", {"vaccine": "bcg", "dose_number": 1,
                                                              "given_on": "2025-03-12"})
    assert ok.status_code == 201
    dup = _post(c, f"{API}/persons/{child.pk}/immunisations", {"vaccine": "bcg", "dose_number": 1,
                                                               "given_on": "2025-03-13"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate_dose"


def test_the_card_and_vitamin_a(lx):
    child = lx.child(birth_date=dt.date(2025, 2, 10))
    c = client_for(lx.user("kader"))
    assert _post(c, f"{API}/persons/{child.pk}/vitamin-a", {"given_on": "2025-08-12"}).json()["capsule"] == "blue"
    card = c.get(f"{API}/persons/{child.pk}/immunisations?on=2025-06-01&grace_days=28").json()
    states = {(i["vaccine"], i["dose"]): i["state"] for i in card["items"]}
    assert states[("hb0", 1)] == "missed" and states[("bcg", 1)] == "overdue"
    assert card["vitamin_a"][0]["round"] == "2025-08" and not card["complete_basic"]


def test_screening_round_trip(lx):
    adult = services.register_person(lx.actor("kader"), posyandu_id=lx.posyandu.pk, name="Bu Ani", sex="F",
                                     birth_date=dt.date(1960, 1, 1))
    c = client_for(lx.user("kader"))
    r = _post(c, f"{API}/persons/{adult.pk}/screenings", {"screened_on": "2025-10-14", "adl_score": 20,
                                                          "blood_sugar_mg_dl": 130, "blood_sugar_kind": "fasting"})
    assert r.status_code == 201 and r.json()["kind"] == "elderly" and r.json()["flags"] == ["diabetes_suspected"]
    assert [s["screened_on"] for s in c.get(f"{API}/persons/{adult.pk}/screenings").json()] == ["2025-10-14"]


def test_the_schedule_is_public_reference_with_sources(lx):
    body = client_for(lx.user("kader")).get(f"{API}/schedule").json()
    assert "Kemenkes" in body["source"] and len(body["entries"]) == 20


def test_the_due_list_does_not_grow_queries_with_children(lx):
    c = client_for(lx.user("kader"))
    url = f"{API}/posyandu/{lx.posyandu.pk}/due?on=2025-10-14"
    for i in range(2):
        lx.child(name=f"Anak {i}", birth_date=dt.date(2025, 1, 1) + dt.timedelta(days=30 * i))
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    for i in range(6):
        lx.child(name=f"Anak lagi {i}", birth_date=dt.date(2024, 6, 1) + dt.timedelta(days=40 * i))
    with CaptureQueriesContext(connection) as many:
        body = c.get(url).json()
    assert len(body["immunisation"]) == 8
    assert len(many) == len(few)
