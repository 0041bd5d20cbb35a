"""The API end to end: a manager activates, a volunteer answers and checks in and out, the roster follows."""

from __future__ import annotations

import json

import pytest

from tests.conftest import client_for

from .conftest import CENTRE

pytestmark = pytest.mark.django_db


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_activate_answer_check_in_and_out_through_the_api(world, make_volunteer, english):
    v, _ = make_volunteer("Sari", km_north=2)
    manager, volunteer = client_for(world["m_mjk"]), client_for(v.user)
    r = _post(manager, "/api/disaster/teams/activations", {
        "event_id": world["event"].pk, "number_needed": 1, "skill_codes": ["first_aid"], "max_travel_km": 10,
        "meeting_lat": CENTRE[0], "meeting_lon": CENTRE[1], "meeting_text": "Posko Prajuritkulon",
        "message": "Banjir setinggi 1 m, bawa perlengkapan evakuasi."})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["alerted"] == 1 and body["activation"]["counts"]["alerted"] == 1
    mine = volunteer.get("/api/disaster/teams/my/alerts").json()
    assert [a["event_name"] for a in mine] == ["Banjir Kota Mojokerto"]
    alert = mine[0]
    assert alert["answer"] == "none" and alert["distance_km"] == pytest.approx(2, abs=0.01)
    assert alert["meeting_text"] == "Posko Prajuritkulon" and alert["assignment"] is None
    r = _post(volunteer, f"/api/disaster/teams/alerts/{alert['id']}/answer", {"answer": "yes"})
    assert r.status_code == 200 and r.json()["activation_state"] == "filled"
    assignment = r.json()["assignment"]
    assert _post(volunteer, f"/api/disaster/teams/alerts/{alert['id']}/answer", {"answer": "yes"}).status_code == 200
    r = _post(volunteer, f"/api/disaster/teams/alerts/{alert['id']}/answer", {"answer": "no"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "activation_filled"
    assert "terpenuhi" in r.json()["error"]["message"]  # "already filled", in the volunteer's Indonesian
    r = _post(volunteer, f"/api/disaster/teams/assignments/{assignment['id']}/check-in", {"lat": -7.47, "lon": 112.43})
    assert r.status_code == 200 and r.json()["check_in_at"]
    roster = manager.get(f"/api/disaster/teams/events/{world['event'].pk}/roster").json()
    (block,) = roster["activations"]
    (line,) = block["lines"]
    assert line["state"] == "on_site" and line["name"] == "Sari" and line["hours_on_shift"] == 0.0
    assert block["activation"]["counts"]["on_site"] == 1
    r = _post(volunteer, f"/api/disaster/teams/assignments/{assignment['id']}/check-out")
    assert r.status_code == 200 and r.json()["check_out_at"]
    line = manager.get(f"/api/disaster/teams/events/{world['event'].pk}/roster").json()["activations"][0]["lines"][0]
    assert line["state"] == "resting" and line["rest_until"]


def test_a_manager_cannot_activate_for_an_event_it_does_not_see(world):
    r = _post(client_for(world["m_dki"]), "/api/disaster/teams/activations",
              {"event_id": world["event"].pk, "number_needed": 1, "meeting_lat": CENTRE[0], "meeting_lon": CENTRE[1]})
    assert r.status_code == 404


def test_a_volunteer_cannot_activate_or_read_the_roster(world, make_volunteer):
    v, _ = make_volunteer("Sari")
    volunteer = client_for(v.user)
    r = _post(volunteer, "/api/disaster/teams/activations",
              {"event_id": world["event"].pk, "number_needed": 1, "meeting_lat": CENTRE[0], "meeting_lon": CENTRE[1]})
    assert r.status_code == 403
    assert volunteer.get(f"/api/disaster/teams/events/{world['event'].pk}/roster").status_code == 403
    assert volunteer.get("/api/disaster/teams/activations").status_code == 403


def test_bad_input_gets_a_clear_error(world, english):
    manager = client_for(world["m_mjk"])
    r = _post(manager, "/api/disaster/teams/activations",
              {"event_id": world["event"].pk, "number_needed": 1, "skill_codes": ["juggling"],
               "meeting_lat": CENTRE[0], "meeting_lon": CENTRE[1]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_skill"
    assert "juggling" in r.json()["error"]["message"]
    r = _post(manager, "/api/disaster/teams/activations", {"event_id": world["event"].pk, "number_needed": 0})
    assert r.status_code in (400, 422)


def test_teams_through_the_api(world, make_volunteer):
    v, _ = make_volunteer("Sari")
    manager = client_for(world["m_mjk"])
    r = _post(manager, "/api/disaster/teams/teams", {"name": "SATGANA Mojokerto", "kind": "satgana"})
    assert r.status_code == 201
    team_id = r.json()["id"]
    r = manager.put(f"/api/disaster/teams/teams/{team_id}/members/{v.pk}", data=json.dumps({"role": "leader"}),
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["members"] == [
        {"volunteer_id": v.pk, "name": "Sari", "role": "leader", "status": "available"}]
    r = manager.delete(f"/api/disaster/teams/teams/{team_id}/members/{v.pk}")
    assert r.status_code == 200 and r.json()["members"] == []
    assert [t["name"] for t in manager.get("/api/disaster/teams/teams").json()] == ["SATGANA Mojokerto"]
