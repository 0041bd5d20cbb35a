"""Disaster events over the API: open, change, move phases, write the timeline."""

import json

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="36")
    dki = make_org(kind="pmi_province", region_code="31")
    return login(make_user("disaster_manager", org, scope_code="36")), dki


def send(c, method, url, body):
    return getattr(c, method)(url, data=json.dumps(body), content_type="application/json")


def test_open_change_and_close_an_event(lead):
    c, dki = lead
    r = send(c, "post", "/api/disaster/events", {"name": "Banjir Tangerang", "type_code": "banjir",
                                                 "affected_region_codes": ["36.71"], "participant_ids": [dki.pk]})
    assert r.status_code == 201, r.content
    ev = r.json()
    assert ev["type_name"] == "Banjir" and ev["participant_ids"] == [dki.pk] and len(ev["timeline"]) == 1
    r = send(c, "patch", f"/api/disaster/events/{ev['id']}", {"description": "Curah hujan tinggi."})
    assert r.json()["description"] == "Curah hujan tinggi."
    r = send(c, "post", f"/api/disaster/events/{ev['id']}/phase", {"phase": "emergency_response"})
    assert r.json()["phase"] == "emergency_response"
    r = send(c, "post", f"/api/disaster/events/{ev['id']}/phase", {"phase": "warning"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "phase_out_of_order"
    r = send(c, "post", f"/api/disaster/events/{ev['id']}/timeline", {"text": "Posko dibuka di Karawaci."})
    assert r.status_code == 201
    timeline = c.get(f"/api/disaster/events/{ev['id']}").json()["timeline"]
    assert [t["kind"] for t in timeline] == ["created", "phase", "note"]
    assert c.get("/api/disaster/events?phase=emergency_response").json()["count"] == 1


def test_types_list_the_perka_categories(lead):
    c, _ = lead
    codes = [t["code"] for t in c.get("/api/disaster/types").json()]
    assert codes[0] == "banjir" and "gempa_bumi" in codes
