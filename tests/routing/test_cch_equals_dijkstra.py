"""The CCH answers exactly what scipy's Dijkstra answers on the same graph, on both shipped networks."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from siaga.routing import compile as comp
from siaga.routing.engine import Engine

from .conftest import BALIKPAPAN, HELSINKI, need


def reference_matrix(a: dict, weights=None) -> csr_matrix:
    """Arc weights as a sparse matrix; of parallel arcs the cheapest counts (csr would add them up)."""
    w = a["travel_time_ds"] if weights is None else weights
    n = len(a["lat"])
    order = np.lexsort((w, a["head"], a["tail"]))
    t, h, w = a["tail"][order], a["head"][order], np.asarray(w)[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    return csr_matrix((w[first].astype(float), (t[first], h[first])), shape=(n, n))


@pytest.mark.parametrize("path", [BALIKPAPAN, HELSINKI], ids=["balikpapan-graphml", "helsinki-pbf"])
def test_cch_times_equal_dijkstra_on_1000_random_pairs(path):
    need(path)
    a = comp.compile_graph(comp.read_road_file(path), comp.speed_profile()).arrays
    engine = Engine(1, a)
    n = len(a["lat"])
    rng = np.random.default_rng(20261125)
    pairs = rng.integers(0, n, size=(1200, 2))
    sources = np.unique(pairs[:, 0])
    dist = dijkstra(reference_matrix(a), indices=sources)
    row = {int(s): i for i, s in enumerate(sources)}
    mismatches = [(s, t) for s, t in pairs if engine.node_time(s, t) != int(dist[row[int(s)], t])]
    assert not mismatches, mismatches[:5]
    # The many-to-one table (all nodes to one incident) and one-to-many agree with Dijkstra too.
    target = int(pairs[0, 1])
    to_target = dijkstra(reference_matrix(a).T.tocsr(), indices=[target])[0]
    assert engine.node_times_to(list(range(n)), target) == [int(d) for d in to_target]
    source = int(pairs[0, 0])
    assert engine.node_times_from(source, list(range(n))) == [int(d) for d in dist[row[source]]]
