"""Our own alerts over the API: author, a second person approves, publish; public XML and RSS without login."""

import json

import pytest

from siaga.disaster import cap

pytestmark = pytest.mark.django_db

ALERT = {"event": "Banjir", "category": "Met", "urgency": "Expected", "severity": "Severe", "certainty": "Likely",
         "headline_id": "Waspada banjir", "description_id": "Sungai meluap.", "area_desc": "Kota Cilegon",
         "polygons": [[[-6.0, 106.0], [-6.0, 106.05], [-6.05, 106.05], [-6.0, 106.0]]],
         "effective": "2026-02-17T06:00:00+07:00", "expires": "2026-02-17T18:00:00+07:00"}


@pytest.fixture
def two(make_org, make_user, login, regions):
    org = make_org(kind="bpbd", region_code="36")
    return login(make_user("disaster_manager", org, scope_code="36")), login(make_user("disaster_manager", org,
                                                                                       scope_code="36"))


def post(c, url, body=None):
    return c.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_the_whole_path_from_draft_to_public_feed(two, client):
    author, approver = two
    r = post(author, "/api/disaster/alerts", ALERT)
    assert r.status_code == 201, r.content
    alert = r.json()
    assert alert["state"] == "draft" and alert["source"] == "own"
    # Nothing public yet.
    assert client.get(f"/bencana/cap/{alert['id']}.xml").status_code == 404
    assert post(author, f"/api/disaster/alerts/{alert['id']}/approve").status_code == 403
    assert post(approver, f"/api/disaster/alerts/{alert['id']}/approve").json()["state"] == "approved"
    published = post(author, f"/api/disaster/alerts/{alert['id']}/publish").json()
    assert published["state"] == "published"
    xml = client.get(f"/bencana/cap/{alert['id']}.xml")
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/cap+xml")
    assert cap.validate(xml.content) == []
    assert cap.parse_cap(xml.content).identifier == alert["identifier"]
    rss = client.get("/bencana/cap/rss.xml")
    assert rss.status_code == 200
    assert [i.guid for i in cap.parse_rss_index(rss.content)] == [alert["identifier"]]


def test_a_bad_alert_is_refused_with_the_error_shape(two):
    author, _ = two
    r = post(author, "/api/disaster/alerts", {**ALERT, "polygons": [[[-6.0, 106.0], [-6.0, 106.1]]]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_polygon"
    r = post(author, "/api/disaster/alerts", {**ALERT, "severity": "Huge"})
    assert r.status_code == 422


def test_publishing_twice_is_a_conflict(two):
    author, approver = two
    alert = post(author, "/api/disaster/alerts", ALERT).json()
    post(approver, f"/api/disaster/alerts/{alert['id']}/approve")
    post(author, f"/api/disaster/alerts/{alert['id']}/publish")
    r = post(author, f"/api/disaster/alerts/{alert['id']}/publish")
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_approved"
