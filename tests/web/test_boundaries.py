"""The web map's boundary GeoJSON: the level-N regions inside an area that have a boundary."""

import pytest
from django.urls import reverse

from siaga.geo.models import Region
from siaga.web import views

SQUARE = {"type": "Polygon", "coordinates": [[[112.4, -7.5], [112.41234567, -7.5], [112.41, -7.49], [112.4, -7.5]]]}


@pytest.fixture
def bounded(regions):
    Region.objects.filter(code__startswith="35.76.").filter(level=4).delete()
    rows = [
        ("35.76.01.1003", "Mentikan", SQUARE, False),
        ("35.76.02.1004", "Gunung Gedangan", SQUARE, True),
        ("35.76.02.1009", "No boundary", None, False),
        ("35.16.01.2001", "Elsewhere", SQUARE, False),
    ]
    for code, name, boundary, repaired in rows:
        Region.objects.update_or_create(code=code, defaults={
            "name": name, "level": 4, "parent_id": code.rsplit(".", 1)[0], "boundary": boundary,
            "boundary_repaired": repaired})


def url(**params):
    from urllib.parse import urlencode

    return reverse("web:map_boundaries") + "?" + urlencode(params)


def test_it_returns_the_kelurahan_of_the_area(bounded, orgs, make_user, login):
    r = login(make_user("call_taker", orgs["mine"], scope_code="35.76")).get(url(within="35.76", level=4))
    assert r.status_code == 200
    assert r["Content-Type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    props = [f["properties"] for f in body["features"]]
    assert props == [
        {"code": "35.76.01.1003", "name": "Mentikan", "level": 4, "repaired": False},
        {"code": "35.76.02.1004", "name": "Gunung Gedangan", "level": 4, "repaired": True},
    ]
    # Coordinates are shortened to about a metre to keep the payload small.
    assert body["features"][0]["geometry"]["coordinates"][0][1] == [112.41235, -7.5]
    assert "private" in r["Cache-Control"]


def test_it_caps_the_number_of_features(bounded, orgs, make_user, login, monkeypatch):
    monkeypatch.setattr(views, "MAX_BOUNDARY_FEATURES", 1)
    body = login(make_user("call_taker", orgs["mine"])).get(url(within="35.76", level=4)).json()
    assert len(body["features"]) == 1 and body["truncated"] is True


@pytest.mark.parametrize("params", [{"within": "35.76", "level": 2}, {"within": "x';--", "level": 4},
                                    {"within": "35", "level": "a"}, {"within": "35.76"}, {"level": 5}])
def test_it_rejects_bad_input(bounded, orgs, make_user, login, params):
    r = login(make_user("call_taker", orgs["mine"])).get(url(**params))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_input"


def test_it_needs_a_logged_in_actor(bounded, client, make_user, login):
    assert client.get(url(within="35.76", level=4)).status_code == 401
    assert login(make_user()).get(url(within="35.76", level=4)).status_code == 403
