"""The warnings API: BMKG warnings are public reference data for everyone with disaster.view."""

import json

import pytest

from siaga.disaster import cap, services

from .conftest import cap_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_org, make_user, login, regions):
    pmi = make_org(kind="pmi_province", region_code="36")
    other = make_org(kind="pmi_province", region_code="35")
    return {"manager": login(make_user("disaster_manager", pmi, scope_code="36")),
            "volunteer": login(make_user("volunteer", other, scope_code="35")),
            "call_taker": login(make_user("call_taker", other, scope_code="35"))}


def test_everyone_with_disaster_view_lists_bmkg_warnings(people, banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    r = people["volunteer"].get("/api/disaster/warnings")
    assert r.status_code == 200
    (item,) = r.json()["items"]
    assert item["id"] == w.pk and item["source"] == "bmkg_cap" and item["affected_count"] > 0
    assert people["call_taker"].get("/api/disaster/warnings").status_code == 403


def test_the_detail_lists_affected_areas_largest_share_first(people, banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    body = people["volunteer"].get(f"/api/disaster/warnings/{w.pk}").json()
    assert body["headline"] == "Hujan Lebat disertai Petir di Banten"
    assert body["affected"][0]["name"] == "Lebakgedong"
    assert body["areas"][0]["polygons"][0][0] == [105.994, -5.981]  # stored lon,lat


def test_the_map_is_geojson_with_shares(people, banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    fc = people["volunteer"].get(f"/api/disaster/warnings/{w.pk}/map").json()
    kinds = [f["properties"]["kind"] for f in fc["features"]]
    assert kinds[0] == "warning" and kinds.count("affected") == w.affected_areas.count()
    shares = {f["properties"]["name"]: f["properties"]["share"] for f in fc["features"][1:]}
    assert shares["Lebakgedong"] > 0.9


def test_the_cap_xml_of_a_bmkg_warning_is_what_bmkg_sent(people, banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    r = people["volunteer"].get(f"/api/disaster/warnings/{w.pk}/cap.xml")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/cap+xml")
    assert r.content == cap_banten


def test_filters_by_region_and_source(people, banten, cap_banten, system):
    services.ingest_cap(system, cap_banten, source_name="a")
    assert people["volunteer"].get("/api/disaster/warnings?region_code=36.02").json()["count"] == 1
    assert people["volunteer"].get("/api/disaster/warnings?region_code=31").json()["count"] == 0
    assert people["volunteer"].get("/api/disaster/warnings?source=bmkg_quake").json()["count"] == 0


def test_a_manager_imports_through_the_api_and_bad_items_are_kept(people):
    c = people["manager"]
    r = c.post("/api/disaster/warnings/import", data=json.dumps({"content": cap_xml().decode()}),
               content_type="application/json")
    assert r.status_code == 200 and r.json()[0]["status"] == "created"
    r = c.post("/api/disaster/warnings/import", data=json.dumps({"content": "<alert/>", "source_name": "upload"}),
               content_type="application/json")
    assert r.json()[0]["status"] == "malformed" and r.json()[0]["dead_letter_id"]


def test_a_volunteer_cannot_import(people):
    r = people["volunteer"].post("/api/disaster/warnings/import", data=json.dumps({"content": cap_xml().decode()}),
                                 content_type="application/json")
    assert r.status_code == 403


def test_xml_from_the_api_parses(people, system):
    w = services.ingest_cap(system, cap_xml(), source_name="a").warning
    assert cap.parse_cap(people["manager"].get(f"/api/disaster/warnings/{w.pk}/cap.xml").content).identifier == "test-1"
