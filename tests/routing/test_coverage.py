"""Coverage planning: hand-checked arithmetic on a small matrix and graph, then the real Balikpapan network."""

from __future__ import annotations

import json

import numpy as np
import pytest

from siaga.core.errors import ServiceError
from siaga.core.permissions import actor_for
from siaga.geo.models import Region
from siaga.routing import coverage
from siaga.routing.engine import get_engine
from tests.conftest import client_for

from .conftest import BALIKPAPAN, SQUARE_NODES, need

INF = np.inf

NOT_TENANT_DATA = {
    "/api/routing/coverage": "kelurahan and road networks are reference data; the default stations are the "
                             "caller's visible organisations only (test_default_stations_are_the_visible_organisations)",
}


def test_best_times_and_shares_on_a_hand_checked_matrix():
    # 2 stations x 4 kelurahan, seconds.
    t = np.array([[100, 700, 2000, INF],
                  [900, 300, 1900, INF]])
    best, arg = coverage.best_times(t, 4)
    assert best.tolist()[:3] == [100, 300, 1900] and best[3] == INF
    assert arg.tolist() == [0, 1, 1, -1]
    weights = np.array([100, 200, 300, 400])
    share, covered = coverage.shares(best, weights, 480)  # P1: 8 min
    assert share == pytest.approx(0.3) and covered.tolist() == [True, True, False, False]
    share, _c = coverage.shares(best, weights, 1800)  # P3: 30 min
    assert share == pytest.approx(0.3)
    share, _c = coverage.shares(best, weights, 1900)
    assert share == pytest.approx(0.6)
    # No station at all: nothing covered, nothing divided by zero.
    best0, arg0 = coverage.best_times(np.zeros((0, 4)), 4)
    assert coverage.shares(best0, weights, 480)[0] == 0.0 and arg0.tolist() == [-1] * 4


def test_greedy_picks_the_candidate_adding_most_uncovered_weight():
    weights = np.array([100, 200, 300, 400])
    covered = np.array([True, True, False, False])
    cand = np.array([[10, 10, 10, 9999],   # adds 300 (only kelurahan 2 is new)
                     [9999, 9999, 9999, 10],  # adds 400
                     [9999, 9999, 10, 10],  # adds 700: the first pick
                     [10, 9999, 9999, 9999]])  # adds nothing
    picks = coverage.greedy_sites(cand, weights, covered, 480, 3)
    # After candidate 2 everything is covered: the search stops rather than suggest useless posts.
    assert [(p.candidate, p.gained_weight) for p in picks] == [(2, 700.0)]
    assert picks[0].gained_share == pytest.approx(0.7) and picks[0].covered_share == pytest.approx(1.0)
    picks = coverage.greedy_sites(cand, weights, np.zeros(4, dtype=bool), 480, 3)
    # From nothing: 2 (700), then 0 (100+200=300), then nothing is left.
    assert [(p.candidate, p.gained_weight) for p in picks] == [(2, 700.0), (0, 300.0)]
    assert [p.covered_share for p in picks] == pytest.approx([0.7, 1.0])


@pytest.fixture
def square_kelurahan(regions):
    """Three kelurahan of Kota Mojokerto put at corners of the test square (A, C and off the map at sea)."""
    (la, ga), (lc, gc) = SQUARE_NODES["A"], SQUARE_NODES["C"]
    Region.objects.filter(code="35.76.01.1006").update(lat=la, lng=ga + 0.0001, population=1000)
    Region.objects.filter(code="35.76.01.1007").update(lat=lc, lng=gc - 0.0001, population=3000)
    Region.objects.filter(code="35.76.03.1001").update(lat=-7.0, lng=113.5, population=6000)


@pytest.fixture
def planner(db, make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    return make_user("dispatcher", org, scope_code="35.76")


def test_travel_matrix_on_the_square_matches_the_route(square_network, regions):
    (la, ga), (lc, gc) = SQUARE_NODES["A"], SQUARE_NODES["C"]
    e = get_engine(square_network)
    m = coverage.travel_matrix(e, [(la, ga + 0.0001)], [(lc, gc - 0.0001), (-7.0, 113.5)])
    from siaga.core.permissions import system_actor
    from siaga.routing import query

    r = query.route(system_actor(), [la, ga + 0.0001], [lc, gc - 0.0001])
    assert m.seconds[0, 0] == pytest.approx(r["seconds"], abs=0.2)
    assert m.estimate.tolist() == [[False, True]]
    assert m.seconds[0, 1] > 10_000  # 120 km over sea, estimated


def test_coverage_report_on_the_square(square_network, square_kelurahan, planner):
    actor = actor_for(planner)
    (la, ga) = SQUARE_NODES["A"]
    rep = coverage.coverage(actor, region_code="35.76", stations=[[la, ga + 0.0002]], priority=1, k=2)
    assert rep["network_id"] == square_network.pk and rep["weighted_by_population"] is True
    # Both kelurahan on the square lie within minutes; the one at sea does not (estimate, flagged).
    assert rep["shares"]["1"] == pytest.approx(0.4)
    assert rep["shares"]["4"] == pytest.approx(0.4)
    assert [u["code"] for u in rep["uncovered"]] == ["35.76.03.1001"]
    assert rep["uncovered"][0]["estimate"] is True
    # The only candidate that reaches the kelurahan at sea is its own centroid: +60 %.
    assert [(s["lat"], s["gained_share"], s["covered_share"]) for s in rep["suggestions"]] == [(-7.0, 0.6, 1.0)]


def test_default_stations_are_the_visible_organisations(square_network, square_kelurahan, planner, make_org):
    (la, ga) = SQUARE_NODES["A"]
    own = planner.memberships.first().organization
    post = make_org(kind="fire", region_code="35.76.01", parent=own)  # a post below the planner's organisation
    stranger = make_org(kind="hospital", region_code="35.76.01")  # another tenant: not visible, not a station
    elsewhere = make_org(kind="fire", region_code="35.16", parent=own)  # another kab: not in this region
    for o in (post, stranger, elsewhere):
        o.lat, o.lng = la, ga + 0.0002
        o.save()
    rep = coverage.coverage(actor_for(planner), region_code="35.76")
    assert [s["name"] for s in rep["stations"]] == [post.name]
    assert rep["shares"]["1"] == pytest.approx(0.4)
    rep = coverage.coverage(actor_for(planner), region_code="35.76", stations=[])
    assert rep["shares"] == {"1": 0.0, "2": 0.0, "3": 0.0, "4": 0.0} and len(rep["uncovered"]) == 3


def test_bad_requests_are_clear_errors(square_network, square_kelurahan, planner):
    actor = actor_for(planner)
    with pytest.raises(ServiceError) as exc:
        coverage.coverage(actor, region_code="35.76", priority=7)
    assert exc.value.code == "invalid_priority"
    with pytest.raises(ServiceError) as exc:
        coverage.coverage(actor, region_code="35.76", k=11)
    assert exc.value.code == "invalid_k"


def test_coverage_api(square_network, square_kelurahan, planner):
    (la, ga) = SQUARE_NODES["A"]
    c = client_for(planner)
    r = c.post("/api/routing/coverage", data=json.dumps({"network_id": square_network.pk,
                                                          "stations": [[la, ga + 0.0002]], "k": 1}),
               content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["shares"]["1"] == pytest.approx(0.4) and len(body["suggestions"]) == 1
    assert body["uncovered"][0]["code"] == "35.76.03.1001"
    r = c.post("/api/routing/coverage", data=json.dumps({"region_code": "35.76", "priority": 9}),
               content_type="application/json")
    assert r.status_code in (400, 422)
    assert c.post("/api/routing/coverage", data="{}", content_type="application/json").status_code == 400


def test_coverage_on_balikpapan(db, balikpapan_region, make_org, make_user):
    need(BALIKPAPAN)
    from siaga.core.permissions import system_actor
    from siaga.routing import services

    net = services.import_roads(system_actor(), BALIKPAPAN, region_code="64.71").network
    # Our data has no Balikpapan kelurahan points: synthesise 30 from network nodes (seeded, reproducible).
    e = get_engine(net)
    rng = np.random.default_rng(4)
    for i, n in enumerate(sorted(rng.choice(e.n, 30, replace=False))):
        Region.objects.create(code=f"64.71.01.{1001 + i}", name=f"Kelurahan {i}", level=4, parent_id=None,
                              search_key="x", lat=float(e.a["lat"][n]), lng=float(e.a["lng"][n]),
                              population=1000 + 100 * i)
    org = make_org(kind="psc119", region_code="64.71")
    actor = actor_for(make_user("dispatcher", org, scope_code="64.71"))
    centre = [-1.2654, 116.8312]  # Balikpapan city centre (Klandasan)
    rep = coverage.coverage(actor, network_id=net.pk, stations=[centre], priority=1, k=3)
    s = rep["shares"]
    assert 0 < s["1"] <= s["2"] <= s["3"] <= s["4"] <= 1
    assert not rep["estimate"]
    gained = [x["gained_share"] for x in rep["suggestions"]]
    assert gained == sorted(gained, reverse=True) and all(g > 0 for g in gained)
    assert rep["suggestions"][-1]["covered_share"] == pytest.approx(s["1"] + sum(gained), abs=1e-3)


def test_a_kelurahan_cut_off_by_closures_is_unreachable_not_estimated(square_network, square_kelurahan, planner):
    from siaga.routing import services

    e = get_engine(square_network)
    z = e.a
    c_node = int(np.flatnonzero(z["node_ids"] == "C")[0])
    into_c = [int(a) for a in np.flatnonzero(z["head"] == c_node)]
    actor = actor_for(planner)
    services.create_closure(actor, network_id=square_network.pk, kind="arcs", arc_ids=into_c, reason="Banjir")
    (la, ga) = SQUARE_NODES["A"]
    rep = coverage.coverage(actor, region_code="35.76", stations=[[la, ga + 0.0002]], priority=4)
    assert rep["shares"]["4"] == pytest.approx(0.1)
    cut = next(u for u in rep["uncovered"] if u["code"] == "35.76.01.1007")
    assert cut["best_seconds"] is None and cut["estimate"] is False
