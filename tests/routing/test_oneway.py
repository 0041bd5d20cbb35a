"""One-way streets: a route never drives against the arrow, on GraphML and on PBF tags."""

from __future__ import annotations

import numpy as np

from siaga.core.permissions import system_actor
from siaga.routing import compile as comp
from siaga.routing import query
from siaga.routing.engine import get_engine

from .conftest import SQUARE_NODES


def _node(engine, label):
    z = engine.a
    return int(np.flatnonzero(z["node_ids"] == label)[0])


def test_one_way_street_is_used_with_the_arrow_only(square_network):
    e = get_engine(square_network)
    a, b = _node(e, "A"), _node(e, "B")
    forward, backward = e.node_time(a, b), e.node_time(b, a)
    # A->B is the one-way road itself; B->A must go round three sides.
    assert forward < backward
    ab = int(np.flatnonzero((e.a["tail"] == a) & (e.a["head"] == b))[0])
    assert forward == e.a["travel_time_ds"][ab]
    assert backward == sum(int(e.a["travel_time_ds"][i]) for i in range(e.m) if e.a["tail"][i] != a
                           and (e.a["tail"][i], e.a["head"][i]) in {(b, _node(e, "C")), (_node(e, "C"), _node(e, "D")),
                                                                   (_node(e, "D"), a)})


def test_route_instructions_follow_streets(square_network):
    lat_a, lng_a = SQUARE_NODES["A"]
    lat_b, lng_b = SQUARE_NODES["B"]
    r = query.route(system_actor(), [lat_b + 0.0005, lng_b + 0.0001], [lat_a, lng_a + 0.0001])
    assert not r["estimate"]
    streets = [s["street"] for s in r["instructions"]]
    # Starting just north of B, the arrow of Jl. Satu Arah points away: the crew goes round.
    assert streets == ["Jl. Utara", "Jl. Timur", "Jl. Selatan"]
    assert r["instructions"][0]["text"].endswith(" m") or r["instructions"][0]["text"].endswith(" km")
    assert r["geometry"][0] == [lat_b + 0.0005, lng_b + 0.0001]


def _pbf_oneway(tmp_path, tags):
    """A two-node PBF way written with osmium, to check how its one-way tags become arcs."""
    import osmium

    path = tmp_path / f"way-{len(list(tmp_path.iterdir()))}.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        w.add_node(osmium.osm.mutable.Node(id=1, location=(112.42, -7.48)))
        w.add_node(osmium.osm.mutable.Node(id=2, location=(112.43, -7.48)))
        w.add_way(osmium.osm.mutable.Way(id=10, nodes=[1, 2], tags=tags))
    raw = comp.read_pbf(path)
    return sorted((raw.node_ids[t], raw.node_ids[h]) for t, h in zip(raw.tail, raw.head))


def test_pbf_one_way_tags(tmp_path):
    assert _pbf_oneway(tmp_path, {"highway": "primary"}) == [("1", "2"), ("2", "1")]
    assert _pbf_oneway(tmp_path, {"highway": "primary", "oneway": "yes"}) == [("1", "2")]
    assert _pbf_oneway(tmp_path, {"highway": "primary", "oneway": "-1"}) == [("2", "1")]
    assert _pbf_oneway(tmp_path, {"highway": "primary", "junction": "roundabout"}) == [("1", "2")]
    assert _pbf_oneway(tmp_path, {"highway": "motorway"}) == [("1", "2")]
    assert _pbf_oneway(tmp_path, {"highway": "footway"}) == []
    assert _pbf_oneway(tmp_path, {"highway": "residential", "access": "private"}) == []


def test_maxspeed_caps_the_profile_speed():
    assert comp.parse_maxspeed("['40', '30']") == 30
    assert round(comp.parse_maxspeed("20 mph")) == 32
    assert comp.parse_maxspeed("none") is None
    assert comp.road_class("['residential', 'primary_link']") == "primary"
