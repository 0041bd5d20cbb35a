"""Closures and slow-downs re-customise the metric for every following query and are undone when lifted."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied, actor_for
from siaga.routing import query, services
from siaga.routing.engine import Engine, get_engine
from siaga.routing.models import RoadClosure

from .conftest import BALIKPAPAN, SQUARE_NODES, need
from .test_cch_equals_dijkstra import reference_matrix


@pytest.fixture
def dispatcher(db, make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    return actor_for(make_user("dispatcher", org, scope_code="35.76"))


def _arc(engine, u, v):
    z = engine.a
    tu, tv = (int(np.flatnonzero(z["node_ids"] == x)[0]) for x in (u, v))
    return int(np.flatnonzero((z["tail"] == tu) & (z["head"] == tv))[0])


def _a_to_b(actor):
    (la, ga), (lb, gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    return query.route(actor, [la + 0.0001, ga], [lb - 0.0001, gb])


def test_closing_a_street_changes_the_route_and_lifting_restores_it(square_network, dispatcher):
    before = _a_to_b(dispatcher)
    assert [s["street"] for s in before["instructions"]] == ["Jl. Satu Arah"]
    e = get_engine(square_network)
    c = services.create_closure(dispatcher, network_id=square_network.pk, kind="arcs",
                                arc_ids=[_arc(e, "A", "B")], reason="Banjir 50 cm")
    closed = _a_to_b(dispatcher)
    assert not closed["estimate"]
    assert [s["street"] for s in closed["instructions"]] == ["Jl. Selatan", "Jl. Timur", "Jl. Utara"]
    assert closed["seconds"] > before["seconds"] * 2
    services.lift_closure(dispatcher, c.pk)
    assert _a_to_b(dispatcher) == before
    with pytest.raises(ServiceError):
        services.lift_closure(dispatcher, c.pk)


def test_a_flooded_area_closes_the_roads_inside(square_network, dispatcher):
    (la, ga), (lb, gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    mid = (la + lb) / 2
    flood = {"type": "Polygon", "coordinates": [[[ga - 0.001, mid - 0.001], [ga + 0.001, mid - 0.001],
                                                 [ga + 0.001, mid + 0.001], [ga - 0.001, mid + 0.001],
                                                 [ga - 0.001, mid - 0.001]]]}
    before = _a_to_b(dispatcher)["seconds"]
    services.create_closure(dispatcher, network_id=square_network.pk, kind="area", area=flood, reason="Banjir")
    assert _a_to_b(dispatcher)["seconds"] > before * 2


def test_a_slow_down_multiplies_a_road_class(square_network, dispatcher):
    before = _a_to_b(dispatcher)["seconds"]
    c = services.create_closure(dispatcher, network_id=square_network.pk, kind="road_class_factor",
                                road_class="primary", factor=1.5, reason="Macet")
    assert _a_to_b(dispatcher)["seconds"] == pytest.approx(before * 1.5, rel=0.05)
    services.lift_closure(dispatcher, c.pk)
    assert _a_to_b(dispatcher)["seconds"] == before


def test_a_closure_past_its_end_no_longer_applies(square_network, dispatcher):
    before = _a_to_b(dispatcher)["seconds"]
    e = get_engine(square_network)
    now = timezone.now()
    services.create_closure(dispatcher, network_id=square_network.pk, kind="arcs", arc_ids=[_arc(e, "A", "B")],
                            reason="Pawai", starts_at=now - datetime.timedelta(hours=2),
                            ends_at=now - datetime.timedelta(hours=1))
    assert _a_to_b(dispatcher)["seconds"] == before


def test_closing_an_unknown_road_is_refused(square_network, dispatcher):
    with pytest.raises(ServiceError) as exc:
        services.create_closure(dispatcher, network_id=square_network.pk, kind="arcs", arc_ids=[999], reason="x")
    assert exc.value.code == "unknown_arc"
    with pytest.raises(ServiceError):
        services.create_closure(dispatcher, network_id=square_network.pk, kind="road_class_factor",
                                road_class="jalan_tikus", factor=2, reason="x")
    with pytest.raises(ServiceError):
        services.create_closure(dispatcher, network_id=square_network.pk, kind="area",
                                area={"type": "Point", "coordinates": [1, 2]}, reason="x")
    assert not RoadClosure.objects.exists()


def test_a_call_taker_may_not_close_roads(square_network, make_org, make_user):
    org = make_org(kind="cc112", region_code="35.76")
    actor = actor_for(make_user("call_taker", org, scope_code="35.76"))
    with pytest.raises(PermissionDenied):
        services.create_closure(actor, network_id=square_network.pk, kind="road_class_factor",
                                road_class="primary", factor=2, reason="x")


def test_partial_and_full_recustomisation_agree_with_dijkstra():
    need(BALIKPAPAN)
    from scipy.sparse.csgraph import dijkstra

    from siaga.routing import compile as comp
    from siaga.routing.engine import INF

    a = comp.compile_graph(comp.read_road_file(BALIKPAPAN), comp.speed_profile()).arrays
    partial, full = Engine(1, a), Engine(2, a)
    rng = np.random.default_rng(5)
    closed = rng.choice(len(a["tail"]), 100, replace=False)
    w = a["travel_time_ds"].astype(np.int64)
    w[closed] = INF
    assert partial.set_weights(w, partial=True) == "partial"
    assert full.set_weights(w, partial=False) == "full"
    ref_w = a["travel_time_ds"].astype(float)
    ref_w[closed] = np.inf
    keep = np.isfinite(ref_w)
    ref = {k: v[keep] if k in ("tail", "head") else v for k, v in a.items()}
    dist = dijkstra(reference_matrix(ref, ref_w[keep]), indices=list(range(0, len(a["lat"]), 97)))
    for i, s in enumerate(range(0, len(a["lat"]), 97)):
        expect = [None if not np.isfinite(d) else int(d) for d in dist[i]]
        assert partial.node_times_from(s, list(range(len(a["lat"])))) == expect
        assert full.node_times_from(s, list(range(len(a["lat"])))) == expect


def test_a_closure_applied_from_another_thread_than_the_one_that_loaded_the_engine(square_network):
    """Requests run on any thread: a partial re-customisation must not depend on the loading thread."""
    import threading

    engine = get_engine(square_network)  # loaded on this thread
    w = engine.weights.copy()
    w[0] = w[0] * 3
    result, errors = [], []

    def other():
        try:
            result.append(engine.set_weights(w, partial=True))
        except BaseException as exc:  # a Rust panic surfaces as a BaseException
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert errors == [] and result == ["partial"]
    assert int(engine.weights[0]) == int(w[0])


def test_snapping_many_points_at_once_equals_snapping_each(square_network):
    engine = get_engine(square_network)
    rng = np.random.default_rng(1)
    lats = -7.49 + rng.random(300) * 0.03
    lngs = 112.41 + rng.random(300) * 0.03
    many = engine.snap_many(lats, lngs)

    def key(snaps):
        return sorted((s.arc, round(s.fraction, 9), round(s.distance_m, 6), round(s.lat, 9)) for s in snaps)

    assert sum(1 for m in many if m) > 100  # most points lie within reach of the square: the check is real
    for la, ln, m in zip(lats, lngs, many):
        assert key(engine.snap(la, ln)) == key(m)
