"""Regions API: browse, search, lookup and boundaries; authentication required; JSON error shapes."""

import pytest

# Regions are public reference data (Kemendagri codes and boundaries), the same for every organisation:
# the endpoints need a logged-in actor with region.view but are not filtered by organisation.
NOT_TENANT_DATA = {
    "/api/regions": "public reference data: Kemendagri regions, the same for every organisation",
    "/api/regions/search": "public reference data: region names",
    "/api/regions/lookup": "public reference data: which region contains a point",
    "/api/regions/boundaries": "imports public reference boundaries; needs boundary.import, owns no tenant rows",
    "/api/regions/{code}": "public reference data: one region",
    "/api/regions/{code}/children": "public reference data: the regions below one region",
    "/api/regions/{code}/boundary": "public reference data: one region's boundary",
    "/api/regions/{code}/children/boundaries": "public reference data: boundaries for the map",
}


@pytest.fixture
def client(mojokerto, make_org, make_user, login):
    user = make_user("call_taker", make_org(kind="cc112", region_code="35.16"), scope_code="35.16")
    return login(user)


def test_it_lists_provinces_and_children(client):
    r = client.get("/api/regions")
    assert r.status_code == 200
    assert [p["code"] for p in r.json()] == ["35"]
    kids = client.get("/api/regions", {"parent": "35.76"}).json()
    assert [k["code"] for k in kids] == ["35.76.01", "35.76.02", "35.76.03"]
    assert kids[0]["level_label"] and kids[0]["has_boundary"] is False
    first = client.get("/api/regions/35.76.01/children").json()[0]
    h3_cell = client.get("/api/regions/35.76.01.1003").json()["h3_cell"]
    assert first == {
        "code": "35.76.01.1003", "name": "Mentikan", "level": 4, "level_label": first["level_label"],
        "parent_code": "35.76.01", "lat": pytest.approx(-7.4677, abs=1e-3), "lng": pytest.approx(112.4287, abs=1e-3),
        "h3_cell": h3_cell, "has_boundary": True,
    }
    assert first["level_label"]  # translated: "Desa/kelurahan" or "Village (desa/kelurahan)"


def test_it_shows_one_region_with_ancestors(client):
    body = client.get("/api/regions/35.76.01.1003").json()
    assert body["name"] == "Mentikan"
    assert [a["code"] for a in body["ancestors"]] == ["35", "35.76", "35.76.01"]
    assert body["has_boundary"] is True and body["children_count"] == 0
    assert body["boundary_source"] == "kel_kota_mojokerto_3576.geojson"
    assert len(body["bbox"]) == 4


def test_unknown_codes_answer_404_with_the_error_shape(client):
    for url in ("/api/regions/35.99", "/api/regions/35.99/children", "/api/regions/35.99/boundary",
                "/api/regions/35.99/children/boundaries", "/api/regions?parent=35.99"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["error"]["code"] == "not_found"
        assert r.json()["error"]["message"]


def test_malformed_codes_answer_422(client):
    for url in ("/api/regions/35.7", "/api/regions/abc/children", "/api/regions?parent=x",
                "/api/regions/search?q=a&within=3"):
        r = client.get(url)
        assert r.status_code == 422, url
        assert r.json()["error"]["code"] == "invalid_input"


def test_search_endpoint_returns_ranked_hits_with_labels(client):
    r = client.get("/api/regions/search", {"q": "kranggan", "within": "35.76"})
    assert r.status_code == 200
    hits = r.json()
    assert [h["code"] for h in hits] == ["35.76.03", "35.76.03.1001"]
    assert hits[0]["label"] == "Kranggan, Kota Mojokerto, Jawa Timur"
    assert client.get("/api/regions/search", {"q": "prajurit kulon", "level": 4}).json()[0]["code"] == "35.76.01.1006"
    assert client.get("/api/regions/search", {"q": "x", "level": 5}).status_code == 422
    assert client.get("/api/regions/search").status_code == 422


def test_lookup_endpoint_finds_the_kelurahan_and_says_when_nothing_is_there(client):
    body = client.get("/api/regions/lookup", {"lat": -7.467706, "lng": 112.428670}).json()
    assert body["found"] is True
    assert body["region"] == {"code": "35.76.01.1003", "name": "Mentikan", "level": 4}
    assert [a["code"] for a in body["ancestors"]] == ["35", "35.76", "35.76.01"]
    sea = client.get("/api/regions/lookup", {"lat": -6.0, "lng": 110.0}).json()
    assert sea == {"lat": -6.0, "lng": 110.0, "found": False, "region": None, "ancestors": []}


def test_lookup_validates_coordinate_ranges(client):
    assert client.get("/api/regions/lookup", {"lat": 91, "lng": 112}).status_code == 422
    assert client.get("/api/regions/lookup", {"lat": -7, "lng": 181}).status_code == 422
    assert client.get("/api/regions/lookup", {"lat": "x", "lng": 112}).status_code == 422


def test_boundary_endpoint_returns_a_geojson_feature(client):
    f = client.get("/api/regions/35.76.01.1003/boundary").json()
    assert f["type"] == "Feature" and f["id"] == "35.76.01.1003"
    assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert f["properties"] == {"code": "35.76.01.1003", "name": "Mentikan", "level": 4, "repaired": False,
                               "source": "kel_kota_mojokerto_3576.geojson"}


def test_a_region_without_boundary_answers_404_no_boundary(client):
    r = client.get("/api/regions/35.76/boundary")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "no_boundary"


def test_children_boundaries_is_a_feature_collection_for_the_map(client):
    fc = client.get("/api/regions/35.76.01/children/boundaries").json()
    assert fc["type"] == "FeatureCollection"
    assert [f["id"] for f in fc["features"]] == ["35.76.01.1003", "35.76.01.1004", "35.76.01.1005",
                                                 "35.76.01.1006", "35.76.01.1007", "35.76.01.1008"]
    assert set(fc["features"][0]["properties"]) == {"code", "name", "level", "repaired", "source"}
    assert client.get("/api/regions/35/children/boundaries").json()["features"] == []


@pytest.mark.parametrize("url", [
    "/api/regions", "/api/regions/search?q=kranggan", "/api/regions/lookup?lat=-7.4&lng=112.4",
    "/api/regions/35.76", "/api/regions/35.76/children", "/api/regions/35.76.01.1003/boundary",
    "/api/regions/35.76.01/children/boundaries",
])
def test_anonymous_callers_get_401(db, client_anonymous, url):
    r = client_anonymous.get(url)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


@pytest.fixture
def client_anonymous():
    from django.test import Client

    return Client()


def test_a_user_without_a_membership_gets_401(mojokerto, make_user, login):
    assert login(make_user()).get("/api/regions").status_code == 401


def test_not_tenant_data_names_exactly_the_regions_paths_of_the_openapi_document(db):
    from siaga.api import api

    paths = {p for p in api.get_openapi_schema()["paths"] if p.startswith("/api/regions")}
    assert paths == set(NOT_TENANT_DATA)
