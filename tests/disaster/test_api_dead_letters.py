"""The dead-letter list over the API: managers list, read and review; volunteers do not see it."""

import json

import pytest

from siaga.disaster import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(make_org, make_user, login, regions):
    org = make_org(kind="bpbd", region_code="36")
    return login(make_user("disaster_manager", org, scope_code="36")), login(make_user("volunteer", org))


def test_a_manager_lists_and_reviews(clients, system):
    manager, _ = clients
    services.ingest_cap(system, b"<alert>", source_name="bad.xml")
    body = manager.get("/api/disaster/dead-letters?reviewed=false").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["reason"] == "malformed" and item["payload"] == "<alert>"
    assert manager.get(f"/api/disaster/dead-letters/{item['id']}").json()["source"] == "bad.xml"
    r = manager.post(f"/api/disaster/dead-letters/{item['id']}/review", data=json.dumps({"note": "HTML page"}),
                     content_type="application/json")
    assert r.status_code == 200 and r.json()["reviewed"] and r.json()["review_note"] == "HTML page"
    assert manager.get("/api/disaster/dead-letters?reviewed=false").json()["count"] == 0


def test_a_volunteer_gets_403(clients):
    _, volunteer = clients
    assert volunteer.get("/api/disaster/dead-letters").status_code == 403


def test_a_duplicate_cannot_be_retried(clients, system):
    from .conftest import cap_xml

    manager, _ = clients
    services.ingest_cap(system, cap_xml(), source_name="a")
    services.ingest_cap(system, cap_xml(), source_name="a")
    item = manager.get("/api/disaster/dead-letters").json()["items"][0]
    r = manager.post(f"/api/disaster/dead-letters/{item['id']}/retry")
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_retryable"


def test_feeds_are_configured_only_with_national_scope(make_org, make_user, login, regions):
    org = make_org(kind="pmi_hq")
    national = login(make_user("disaster_manager", org))
    province = login(make_user("disaster_manager", make_org(kind="pmi_province", region_code="36"), scope_code="36"))
    feed = {"name": "BMKG nowcast", "url": "https://www.bmkg.go.id/alerts/nowcast/id/rss.xml", "kind": "cap_rss"}
    r = national.post("/api/disaster/feeds", data=json.dumps(feed), content_type="application/json")
    assert r.status_code == 201 and r.json()["enabled"]
    r = province.post("/api/disaster/feeds", data=json.dumps(feed), content_type="application/json")
    assert r.status_code == 403
    feed_id = national.get("/api/disaster/feeds").json()[0]["id"]
    r = national.put(f"/api/disaster/feeds/{feed_id}", data=json.dumps({**feed, "enabled": False}),
                     content_type="application/json")
    assert r.status_code == 200 and not r.json()["enabled"]
