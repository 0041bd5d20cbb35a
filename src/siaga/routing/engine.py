"""The CCH engine: one contraction per network and process, a metric re-customised for live closures."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np
import routingkit_cch as rk

from .snap import Snapper

INF = 2**31 - 1  # RoutingKit's infinite weight: an arc with it is never used


@dataclass
class Candidate:
    """A way onto or off the network from a snapped point: graph node, travel time and metres to/from it."""

    node: int
    offset_ds: float
    offset_m: float
    arc: int
    fraction: float


class Engine:
    """Queries on one RoadNetwork. Calls are serialised by a lock: RoutingKit forbids re-customising a metric
    while a query object is alive, and query objects are created per call and dropped before returning."""

    def __init__(self, network_id: int, arrays: dict):
        started = time.perf_counter()
        self.network_id = network_id
        self.a = arrays
        self.n = len(arrays["lat"])
        self.m = len(arrays["tail"])
        self.base = arrays["travel_time_ds"].astype(np.int64)
        self.weights = self.base.copy()
        self.cch = rk.CCH(arrays["order"].tolist(), arrays["tail"].tolist(), arrays["head"].tolist(), False)
        self.metric = rk.CCHMetric(self.cch, self.weights.tolist())
        self.closure_key: tuple = ()
        self.metric_version = 0
        self.lock = threading.RLock()
        self._snapper: Snapper | None = None
        self.build_seconds = time.perf_counter() - started

    @property
    def snapper(self) -> Snapper:
        if self._snapper is None:
            self._snapper = Snapper(self.a)
        return self._snapper

    # --- metric ----------------------------------------------------------------------------------
    def set_weights(self, new: np.ndarray, *, partial: bool | None = None) -> str:
        """Re-customise to new weights; partial (changed arcs only) when few changed. Returns the mode used."""
        new = np.asarray(new, dtype=np.int64)
        with self.lock:
            changed = np.flatnonzero(new != self.weights)
            if len(changed) == 0:
                return "none"
            if partial is None:
                partial = len(changed) < max(1, self.m // 20)
            if partial:
                # The updater is bound to the thread that made it (RoutingKit's binding is "unsendable"), and
                # requests run on any thread: make it here, use it, and drop it before leaving.
                updater = rk.CCHMetricPartialUpdater(self.cch)
                updater.apply(self.metric, {int(i): int(new[i]) for i in changed})
                del updater
                mode = "partial"
            else:
                self.metric.reset(new.tolist())
                mode = "full"
            self.weights = new
            self.metric_version += 1
            return mode

    def sync_closures(self, closures) -> None:
        """Bring the metric in line with the given active closures (no work when they did not change)."""
        closures = list(closures)
        key = tuple((c.pk, c.kind, tuple(c.arc_ids or ()), c.road_class, c.factor) for c in closures)
        if key == self.closure_key:
            return
        from .services import closure_weights

        with self.lock:
            new = closure_weights(self.base, self.a["road_class"], closures, self.snapper.arcs_in_area)
            self.set_weights(new)
            self.closure_key = key

    def snap(self, lat: float, lng: float):
        """Snap onto an arc that is open right now."""
        closed = self.weights >= INF
        return self.snapper.snap(lat, lng, usable=~closed if closed.any() else None)

    def snap_many(self, lats, lngs):
        """snap() for many points in one vectorised query."""
        closed = self.weights >= INF
        return self.snapper.snap_many(lats, lngs, usable=~closed if closed.any() else None)

    # --- candidates ------------------------------------------------------------------------------
    def _w(self, arc: int) -> int:
        return int(self.weights[arc])

    def departures(self, snaps) -> list[Candidate]:
        """Leaving a snapped point: drive the rest of its arc to the head."""
        out = []
        for s in snaps:
            w = self._w(s.arc)
            if w >= INF:
                continue
            out.append(Candidate(int(self.a["head"][s.arc]), (1 - s.fraction) * w,
                                 (1 - s.fraction) * float(self.a["length_m"][s.arc]), s.arc, s.fraction))
        return out

    def arrivals(self, snaps) -> list[Candidate]:
        """Reaching a snapped point: arrive at its arc's tail and drive the first part of the arc."""
        out = []
        for s in snaps:
            w = self._w(s.arc)
            if w >= INF:
                continue
            out.append(Candidate(int(self.a["tail"][s.arc]), s.fraction * w,
                                 s.fraction * float(self.a["length_m"][s.arc]), s.arc, s.fraction))
        return out

    # --- node-level queries (tests and benchmarks compare these with Dijkstra) ---------------------
    def node_times_to(self, sources: list[int], target: int) -> list[int | None]:
        with self.lock:
            q = rk.CCHManyToOne(self.metric, list(sources))
            out = q.distances_to(int(target))
            del q
            return out

    def node_times_from(self, source: int, targets: list[int]) -> list[int | None]:
        with self.lock:
            q = rk.CCHOneToMany(self.metric, list(targets))
            out = q.distances_from(int(source))
            del q
            return out

    def node_time(self, source: int, target: int) -> int | None:
        with self.lock:
            q = rk.CCHQuery(self.metric)
            r = q.run(int(source), int(target))
            d = r.distance
            del r, q
            return d

    # --- point-level queries ---------------------------------------------------------------------
    def times_to(self, source_cands: list[list[Candidate]], target_cands: list[Candidate]) -> list[float | None]:
        """Travel time (deciseconds) from each source's departures to the target: one many-to-one sweep."""
        nodes = sorted({c.node for cands in source_cands for c in cands})
        if not nodes or not target_cands:
            return [None] * len(source_cands)
        with self.lock:
            q = rk.CCHManyToOne(self.metric, nodes)
            dist = q.distances_to_multi([(c.node, int(round(c.offset_ds))) for c in target_cands])
            del q
        by_node = dict(zip(nodes, dist))
        out = []
        for cands in source_cands:
            best = None
            for c in cands:
                d = by_node.get(c.node)
                if d is not None and d < INF:
                    t = d + c.offset_ds
                    best = t if best is None else min(best, t)
            for c in cands:  # source and target on the same arc, target ahead: no graph node in between
                for t in target_cands:
                    if t.arc == c.arc and t.fraction >= c.fraction:
                        direct = (t.fraction - c.fraction) * self._w(c.arc)
                        best = direct if best is None else min(best, direct)
            out.append(best)
        return out

    def path(self, source_cands: list[Candidate], target_cands: list[Candidate]):
        """The fastest path: (deciseconds, metres, [(arc, start_fraction, end_fraction)...]) or None."""
        if not source_cands or not target_cands:
            return None
        for s in source_cands:
            for t in target_cands:
                if s.arc == t.arc and t.fraction >= s.fraction:
                    w = self._w(s.arc)
                    return ((t.fraction - s.fraction) * w,
                            (t.fraction - s.fraction) * float(self.a["length_m"][s.arc]),
                            [(s.arc, s.fraction, t.fraction)])
        with self.lock:
            q = rk.CCHQuery(self.metric)
            r = q.run_multi([(c.node, int(round(c.offset_ds))) for c in source_cands],
                            [(c.node, int(round(c.offset_ds))) for c in target_cands])
            dist, nodes, arcs = r.distance, list(r.node_path), list(r.arc_path)
            del r, q
        if dist is None or dist >= INF or not nodes:
            return None
        s = min((c for c in source_cands if c.node == nodes[0]), key=lambda c: c.offset_ds)
        t = min((c for c in target_cands if c.node == nodes[-1]), key=lambda c: c.offset_ds)
        pieces = [(s.arc, s.fraction, 1.0)] + [(int(a), 0.0, 1.0) for a in arcs] + [(t.arc, 0.0, t.fraction)]
        metres = s.offset_m + float(self.a["length_m"][np.asarray(arcs, dtype=np.int64)].sum()) + t.offset_m
        seconds_ds = s.offset_ds + sum(self._w(int(a)) for a in arcs) + t.offset_ds
        return seconds_ds, metres, pieces


_cache: dict[int, tuple[str, Engine]] = {}
_cache_lock = threading.Lock()


def get_engine(network) -> Engine:
    """The process's engine for a RoadNetwork row (loaded from its .npz on first use)."""
    from .services import load_arrays

    hit = _cache.get(network.pk)
    if hit is not None and hit[0] == network.file_path:
        return hit[1]
    with _cache_lock:
        hit = _cache.get(network.pk)
        if hit is not None and hit[0] == network.file_path:
            return hit[1]
        engine = Engine(network.pk, load_arrays(network.file_path))
        _cache[network.pk] = (network.file_path, engine)
        return engine


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
