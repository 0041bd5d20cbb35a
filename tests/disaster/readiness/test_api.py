"""The readiness API writes modules, checklists and drills through the services and answers in its schemas."""

import json

import pytest

from tests.conftest import client_for

from .conftest import KEL, QUIZ, days_ago

pytestmark = pytest.mark.django_db
R = "/api/disaster/readiness"


def _post(c, url, body):
    return c.post(url, data=json.dumps(body), content_type="application/json")


def test_a_manager_writes_a_module_a_checklist_and_a_drill(area):
    c = client_for(area["manager"])
    r = _post(c, f"{R}/modules", {"code": "evakuasi", "title": "Evakuasi", "body": "# Langkah\n- keluar",
                                   "quiz": QUIZ, "pass_mark_percent": 60, "validity_months": 6})
    assert r.status_code == 201, r.content
    assert r.json()["sections"] == ["Langkah"] and r.json()["questions"] == 4
    assert "answer" not in json.dumps(r.json()["quiz"])
    assert [m["code"] for m in c.get(f"{R}/modules").json()] == ["evakuasi"]
    r = _post(c, f"{R}/checklists", {"type_code": "banjir", "title": "SOP banjir", "items": ["Pantau", "Evakuasi"]})
    assert r.status_code == 201, r.content
    checklist = r.json()
    r = _post(c, f"{R}/drills", {"checklist_id": checklist["id"], "held_on": days_ago(1).isoformat(),
                                  "region_code": KEL, "title": "Simulasi",
                                  "completed_item_ids": [checklist["items"][0]["id"]], "participants": 12})
    assert r.status_code == 201, r.content
    assert (r.json()["completed_item_ids"], r.json()["total_items"]) == ([checklist["items"][0]["id"]], 2)
    readiness = c.get(f"{R}/regions/36.71").json()
    sop = next(x for x in readiness["components"] if x["key"] == "sop")
    assert sop["value"] == pytest.approx(0.5) and sop["rule"]


def test_bad_input_comes_back_as_an_error_body_and_writes_nothing(area):
    c = client_for(area["manager"])
    r = _post(c, f"{R}/modules", {"code": "x", "title": "X", "body": "teks",
                                   "quiz": [{"question": "q", "options": ["a", "a"], "answer": 0}]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_quiz"
    r = _post(c, f"{R}/drills", {"checklist_id": 999, "held_on": days_ago(1).isoformat(), "region_code": KEL,
                                  "title": "x"})
    assert r.status_code == 404
    assert c.get(f"{R}/modules").json() == []
