"""The posyandu-day API a kader's phone uses: open, roster, record with immediate classification, confirm, close."""

import datetime as dt
import json

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def day(hx):
    today = dt.date.today()
    client = client_for(hx.user("kader"))
    child = hx.child(name="Aisyah", birth_date=today - dt.timedelta(days=400))
    older = hx.child(name="Kakak", birth_date=today - dt.timedelta(days=365 * 8))
    r = _post(client, "/api/health/sessions", {"posyandu_id": hx.posyandu.pk, "date": today.isoformat()})
    assert r.status_code == 201, r.content
    return {"client": client, "child": child, "older": older, "session": r.json()}


def test_the_roster_lists_children_under_five_only(day):
    r = day["client"].get(f"/api/health/sessions/{day['session']['id']}")
    assert r.status_code == 200
    names = [e["person"]["name"] for e in r.json()["roster"]]
    assert names == ["Aisyah"]
    assert "*" in r.json()["roster"][0]["person"]["nik_masked"]


def test_recording_returns_the_classification_at_once(day):
    r = _post(day["client"], f"/api/health/sessions/{day['session']['id']}/measurements",
              {"person_id": day["child"].pk, "weight_g": 9200, "length_height_mm": 760, "position": "lying"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["measured_on"] == dt.date.today().isoformat()
    assert body["category_lhfa"] and body["category_labels"]["lhfa"]
    assert body["growth_status"] == "B"
    roster = day["client"].get(f"/api/health/sessions/{day['session']['id']}").json()["roster"]
    assert roster[0]["attended"] and roster[0]["measurement"]["id"] == body["id"]


def test_an_implausible_value_asks_for_confirmation_then_is_kept_flagged(day):
    url = f"/api/health/sessions/{day['session']['id']}/measurements"
    body = {"person_id": day["child"].pk, "weight_g": 18_000}
    r = _post(day["client"], url, body)
    assert r.status_code == 422 and r.json()["error"]["code"] == "needs_confirmation"
    r = _post(day["client"], url, {**body, "confirm": True})
    assert r.status_code == 201 and r.json()["implausible"] and r.json()["implausible_indicators"] == ["wfa"]


def test_an_impossible_value_is_refused(day):
    r = _post(day["client"], f"/api/health/sessions/{day['session']['id']}/measurements",
              {"person_id": day["child"].pk, "weight_g": 40_000, "confirm": True})
    assert r.status_code == 400 and r.json()["error"]["code"] == "impossible_measurement"


def test_closing_the_day(day):
    r = _post(day["client"], f"/api/health/sessions/{day['session']['id']}/close")
    assert r.status_code == 200 and r.json()["status"] == "closed"
    r = _post(day["client"], f"/api/health/sessions/{day['session']['id']}/attendance", {"person_id": day["child"].pk})
    assert r.status_code == 409


def test_sessions_list_counts_attendance(day):
    _post(day["client"], f"/api/health/sessions/{day['session']['id']}/attendance", {"person_id": day["child"].pk})
    items = day["client"].get("/api/health/sessions").json()["items"]
    assert items[0]["attendance_count"] == 1 and items[0]["measurement_count"] == 0
