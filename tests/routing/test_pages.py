"""Pages: coverage for planners, closures for operators (login, permission, forms, no inline script)."""

from __future__ import annotations

import json
import re

import pytest

from siaga.geo.models import Region
from siaga.routing.models import RoadClosure
from tests.conftest import client_for

from .conftest import SQUARE_NODES


@pytest.fixture
def operator(db, make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    return make_user("dispatcher", org, scope_code="35.76")


@pytest.fixture
def kelurahan(regions):
    (la, ga), (lc, gc) = SQUARE_NODES["A"], SQUARE_NODES["C"]
    Region.objects.filter(code="35.76.01.1006").update(lat=la, lng=ga + 0.0001, population=1000)
    Region.objects.filter(code="35.76.01.1007").update(lat=lc, lng=gc - 0.0001, population=3000)
    Region.objects.filter(code="35.76.03.1001").update(lat=-7.0, lng=113.5, population=6000)


def _no_inline_script(html: str):
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"


def test_pages_need_login(db, client):
    for url in ("/routing/coverage/", "/routing/closures/"):
        r = client.get(url)
        assert r.status_code == 302 and "login" in r["Location"]


def test_a_user_without_membership_is_refused(db, make_user):
    c = client_for(make_user("dispatcher", None))
    assert c.get("/routing/coverage/").status_code == 403
    assert c.post("/routing/closures/", {"reason": "x"}).status_code == 403


def test_coverage_page_shows_shares_and_map(square_network, kelurahan, operator, make_org):
    own = operator.memberships.first().organization
    (la, ga) = SQUARE_NODES["A"]
    own.lat, own.lng = la, ga + 0.0002
    own.save()
    c = client_for(operator)
    r = c.get(f"/routing/coverage/?network={square_network.pk}&priority=1&k=1")
    assert r.status_code == 200
    html = r.content.decode()
    _no_inline_script(html)
    assert "routing/coverage.js" in html and "data-siaga-map" in html
    assert re.search(r"40[.,]0 %", html)  # P1 share
    assert "35.76.03.1001" in html  # the uncovered kelurahan
    data = json.loads(r.context["map_data"])
    assert len(data["demand"]) == 3 and len(data["stations"]) == 1 and len(data["suggestions"]) == 1
    assert 'href="/routing/coverage/"' in html  # the menu entry


def test_coverage_page_without_networks(db, operator):
    r = client_for(operator).get("/routing/coverage/")
    assert r.status_code == 200 and r.context["report"] is None


def test_closing_a_street_by_tapping_it_and_lifting_it(square_network, operator):
    c = client_for(operator)
    r = c.get("/routing/closures/")
    assert r.status_code == 200
    html = r.content.decode()
    _no_inline_script(html)
    assert "routing/closures.js" in html and "topics=roads" in html
    (la, ga), (lb, gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    r = c.post("/routing/closures/", {"network": square_network.pk, "mode": "road", "lat": (la + lb) / 2,
                                      "lng": ga + 0.00005, "reason": "Pohon tumbang", "ends_at": "2099-01-01T10:00"})
    assert r.status_code == 302
    closure = RoadClosure.objects.get()
    assert closure.kind == "arcs" and len(closure.arc_ids) == 1 and closure.ends_at.year == 2099  # one-way
    html = c.get("/routing/closures/").content.decode()
    assert "Pohon tumbang" in html and f"/routing/closures/{closure.pk}/lift" in html
    shapes = json.loads(c.get("/routing/closures/").context["shapes"])
    assert shapes[0]["id"] == closure.pk and len(shapes[0]["lines"][0]) >= 2
    r = c.post(f"/routing/closures/{closure.pk}/lift")
    assert r.status_code == 302
    closure.refresh_from_db()
    assert closure.lifted_at is not None


def test_closing_a_flooded_area(square_network, operator):
    (la, ga), (lb, gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    mid = (la + lb) / 2
    pts = [[mid - 0.001, ga - 0.001], [mid - 0.001, ga + 0.001], [mid + 0.001, ga + 0.001]]
    c = client_for(operator)
    r = c.post("/routing/closures/", {"network": square_network.pk, "mode": "area", "area_points": json.dumps(pts),
                                      "reason": "Banjir 50 cm"})
    assert r.status_code == 302
    area = RoadClosure.objects.get().area
    assert area["type"] == "Polygon" and area["coordinates"][0][0] == area["coordinates"][0][-1]
    assert area["coordinates"][0][0] == [ga - 0.001, mid - 0.001]


def test_bad_closure_forms_are_explained(square_network, operator):
    c = client_for(operator)
    r = c.post("/routing/closures/", {"network": square_network.pk, "mode": "area", "area_points": "[[1,2]]",
                                      "reason": "x"})
    assert r.status_code == 400 and RoadClosure.objects.count() == 0
    r = c.post("/routing/closures/", {"network": square_network.pk, "mode": "road", "lat": -7.0, "lng": 113.5,
                                      "reason": "x"})
    assert r.status_code == 400 and RoadClosure.objects.count() == 0
    r = c.post("/routing/closures/", {"network": square_network.pk, "mode": "road", "lat": SQUARE_NODES["A"][0],
                                      "lng": SQUARE_NODES["A"][1], "reason": " "})
    assert r.status_code == 400 and RoadClosure.objects.count() == 0


def test_another_organisation_cannot_lift(square_network, operator, make_org, make_user):
    from siaga.core.permissions import actor_for
    from siaga.routing import services

    closure = services.create_closure(actor_for(operator), network_id=square_network.pk, kind="arcs", arc_ids=[0],
                                      reason="Banjir")
    other = make_user("dispatcher", make_org(kind="psc119", region_code="35.76"), scope_code="35.76")
    r = client_for(other).post(f"/routing/closures/{closure.pk}/lift")
    assert r.status_code == 404
    closure.refresh_from_db()
    assert closure.lifted_at is None
    assert "Banjir" not in client_for(other).get("/routing/closures/").content.decode()
