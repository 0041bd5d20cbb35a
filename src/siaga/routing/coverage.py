"""Coverage planning: which share of a region's people stations reach within each priority's target time,
which kelurahan they miss, and where K new posts would add the most (greedy maximal covering).

The arithmetic (`shares`, `greedy_sites`) works on a plain travel-time matrix, stations x demand points, in
seconds (np.inf = unreachable), so it is tested on hand-checked numbers. `travel_matrix` fills such a matrix
from the region's road network with the CCH one-to-many tables; points off the network get the straight-line
estimate of `query` and are flagged.

Demand points: the kelurahan/desa (level-4 regions) under the region code, at their centroid (Region.lat/lng),
weighted by Region.population where every one of them has it, else one each.
Default stations: the organisations the actor can see, located in the region with a position, of kinds
psc119, pmi_branch, hospital, fire and bpbd (the services that send crews or take patients).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import routingkit_cch as rk
from django.utils.translation import gettext as _

from siaga.core.errors import NotFound, ServiceError
from siaga.core.permissions import Actor

from . import compile as comp
from .engine import INF, Engine
from .models import RoadNetwork
from .query import ACCESS_SPEED_KMH, DETOUR_FACTOR, _check_point, fallback_speed_mps, ready_engine

STATION_KINDS = ("psc119", "pmi_branch", "hospital", "fire", "bpbd")
MAX_STATIONS = 500
MAX_CANDIDATES = 2000
MAX_K = 10


# --- pure arithmetic on a travel-time matrix -----------------------------------------------------------
def best_times(times: np.ndarray, n_demand: int) -> tuple[np.ndarray, np.ndarray]:
    """(best seconds per demand point, index of the station giving it or -1) over the rows of times."""
    times = np.asarray(times, dtype=float).reshape(-1, n_demand)
    if times.shape[0] == 0:
        return np.full(n_demand, np.inf), np.full(n_demand, -1)
    arg = np.argmin(times, axis=0)
    best = times[arg, np.arange(n_demand)]
    arg = np.where(np.isfinite(best), arg, -1)
    return best, arg


def shares(best: np.ndarray, weights: np.ndarray, target_s: float) -> tuple[float, np.ndarray]:
    """Share of total weight whose best time is within target_s, and the covered mask."""
    weights = np.asarray(weights, dtype=float)
    covered = np.asarray(best, dtype=float) <= target_s
    total = weights.sum()
    return (float(weights[covered].sum() / total) if total > 0 else 0.0), covered


@dataclass
class Pick:
    candidate: int
    gained_weight: float
    gained_share: float
    covered_share: float  # coverage after this pick


def greedy_sites(cand_times: np.ndarray, weights: np.ndarray, covered: np.ndarray, target_s: float,
                 k: int) -> list[Pick]:
    """Greedy maximal covering: k times, take the candidate adding the most uncovered weight within target_s.

    Ties go to the lower candidate index; a pick that adds nothing ends the search (no useless posts).
    """
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    covered = np.asarray(covered, dtype=bool).copy()
    reach = np.asarray(cand_times, dtype=float).reshape(-1, len(weights)) <= target_s
    picks: list[Pick] = []
    taken: set[int] = set()
    for _round in range(k):
        gains = (reach & ~covered) @ weights
        for t in taken:
            gains[t] = -1.0
        if len(gains) == 0:
            break
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        taken.add(best)
        covered |= reach[best]
        picks.append(Pick(best, float(gains[best]), float(gains[best] / total) if total else 0.0,
                          float(weights[covered].sum() / total) if total else 0.0))
    return picks


# --- travel times on the network ----------------------------------------------------------------------
@dataclass
class Matrix:
    seconds: np.ndarray  # sources x targets
    estimate: np.ndarray  # bool, same shape: the time is a straight-line estimate
    snapped_sources: int = 0
    snapped_targets: int = 0


def _estimate_s(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(comp.haversine_m(a[0], a[1], b[0], b[1])) * DETOUR_FACTOR / fallback_speed_mps()


def _as_seconds_array(dist) -> np.ndarray:
    """Engine distances (deciseconds; None or INF = unreachable) as floats with np.inf."""
    d = np.asarray(dist, dtype=float)  # None becomes nan
    d[np.isnan(d) | (d >= INF)] = np.inf
    return d


def travel_matrix(engine: Engine, sources: list, targets: list) -> Matrix:
    """Seconds from every source point to every target point.

    The sweep runs from whichever side is smaller: one CCH one-to-many sweep per source departure, or one
    many-to-one sweep per target (500 units to 10 kecamatan centres is 10 sweeps, not 1,000). A point with
    no road within the snapping distance is linked by the straight-line estimate (flagged).
    """
    access = ACCESS_SPEED_KMH / 3.6
    src_snaps = engine.snap_many([p[0] for p in sources], [p[1] for p in sources]) if sources else []
    tgt_snaps = engine.snap_many([p[0] for p in targets], [p[1] for p in targets]) if targets else []
    out = np.full((len(sources), len(targets)), np.inf)
    est = np.zeros((len(sources), len(targets)), dtype=bool)
    src_access = np.array([min(x.distance_m for x in s) / access if s else 0.0 for s in src_snaps])
    tgt_access = np.array([min(x.distance_m for x in s) / access if s else 0.0 for s in tgt_snaps])
    deps = [engine.departures(s) if s else [] for s in src_snaps]
    n_departures = sum(len(d) for d in deps)
    if len([t for t in tgt_snaps if t]) < n_departures:
        for j, snaps in enumerate(tgt_snaps):
            if not snaps:
                continue
            times = engine.times_to(deps, engine.arrivals(snaps))
            for i, ds in enumerate(times):
                if ds is not None and src_snaps[i]:
                    out[i, j] = ds / 10 + src_access[i] + tgt_access[j]
    else:
        _one_to_many(engine, src_snaps, deps, tgt_snaps, out, src_access, tgt_access)
    for i, s in enumerate(src_snaps):
        for j, t in enumerate(tgt_snaps):
            if not s or not t:
                out[i, j] = _estimate_s(sources[i], targets[j])
                est[i, j] = True
    return Matrix(out, est, sum(1 for s in src_snaps if s), sum(1 for t in tgt_snaps if t))


def _one_to_many(engine: Engine, src_snaps, deps, tgt_snaps, out, src_access, tgt_access) -> None:
    arrivals = [engine.arrivals(s) if s else [] for s in tgt_snaps]
    nodes = sorted({c.node for cands in arrivals for c in cands})
    if not nodes:
        return
    col = {n: i for i, n in enumerate(nodes)}
    # Every target's ways onto the network, flattened: column of the node, offset, which target.
    flat = [(col[c.node], c.offset_ds, j, c.arc, c.fraction) for j, cands in enumerate(arrivals) for c in cands]
    f_col = np.array([x[0] for x in flat], dtype=np.int64)
    f_off = np.array([x[1] for x in flat], dtype=float)
    f_tgt = np.array([x[2] for x in flat], dtype=np.int64)
    by_arc: dict[int, list] = {}
    for _c, _o, j, arc, frac in flat:
        by_arc.setdefault(arc, []).append((j, frac))
    with engine.lock:
        q = rk.CCHOneToMany(engine.metric, nodes)
        for i, snaps in enumerate(src_snaps):
            if not snaps:
                continue
            node_best = np.full(len(nodes), np.inf)
            for dep in deps[i]:
                d = _as_seconds_array(q.distances_from(int(dep.node)))
                node_best = np.minimum(node_best, d + dep.offset_ds)
            row = np.full(out.shape[1], np.inf)
            np.minimum.at(row, f_tgt, node_best[f_col] + f_off)
            for dep in deps[i]:  # source and target on the same arc, target ahead: no node in between
                for j, frac in by_arc.get(dep.arc, ()):
                    if frac >= dep.fraction:
                        row[j] = min(row[j], (frac - dep.fraction) * engine._w(dep.arc))
            out[i] = row / 10 + src_access[i] + tgt_access
        del q


# --- the report -----------------------------------------------------------------------------------------
def targets_minutes() -> dict[int, int]:
    """Response-time target per priority from the PriorityPolicy table, seed values where a row is missing."""
    from siaga.callcenter.models import PriorityPolicy
    from siaga.callcenter.taxonomy import PRIORITY_POLICIES

    out = {p: minutes for p, minutes, _ack, _again in PRIORITY_POLICIES}
    out.update(dict(PriorityPolicy.objects.values_list("priority", "response_target_minutes")))
    return out


@dataclass
class Demand:
    code: str
    name: str
    lat: float
    lng: float
    weight: float


def demand_points(region_code: str) -> tuple[list[Demand], bool]:
    """Kelurahan centroids under region_code and whether population weights were used."""
    from siaga.geo.models import Region

    rows = list(Region.objects.filter(level=4, code__startswith=region_code + ".", lat__isnull=False,
                                      lng__isnull=False).order_by("code")
                .values_list("code", "name", "lat", "lng", "population"))
    weighted = bool(rows) and all(r[4] for r in rows)
    return [Demand(c, n, la, ln, float(p) if weighted else 1.0) for c, n, la, ln, p in rows], weighted


def default_stations(actor: Actor, region_code: str) -> list[dict]:
    from siaga.core.services import visible_organizations

    qs = (visible_organizations(actor).filter(kind__in=STATION_KINDS, active=True, lat__isnull=False,
                                              lng__isnull=False)
          .filter(region_code__startswith=region_code).order_by("name"))
    return [{"lat": o.lat, "lng": o.lng, "name": o.name, "kind": o.kind} for o in qs[:MAX_STATIONS]]


def _network(network_id, region_code) -> RoadNetwork:
    qs = RoadNetwork.objects.filter(active=True)
    net = qs.filter(pk=network_id).first() if network_id else qs.filter(region_code=region_code).first()
    if net is None:
        raise NotFound(_("Road network not found."))
    return net


def coverage(actor: Actor, *, network_id: int | None = None, region_code: str = "", stations=None,
             priority: int = 1, k: int = 0, candidates=None) -> dict:
    """The coverage report of a region's network (see the module docstring)."""
    actor.require("routing.view")
    if not network_id and not region_code:
        raise ServiceError(_("Give a road network or a region code."), code="network_required")
    if priority not in (1, 2, 3, 4):
        raise ServiceError(_("The priority must be 1 to 4."), code="invalid_priority")
    if not (0 <= int(k) <= MAX_K):
        raise ServiceError(_("Suggest between 0 and %(max)s new posts.") % {"max": MAX_K}, code="invalid_k")
    net = _network(network_id, region_code)
    region_code = net.region_code
    demand, weighted = demand_points(region_code)
    if not demand:
        raise ServiceError(_("Region %(code)s has no kelurahan with a centre point.") % {"code": region_code},
                           code="no_demand_points")
    if stations is None:
        station_rows = default_stations(actor, region_code)
    else:
        if len(stations) > MAX_STATIONS:
            raise ServiceError(_("Too many stations."), code="too_many_stations")
        station_rows = [dict(zip(("lat", "lng"), _check_point(p)), name="", kind="") for p in stations]
    if candidates is not None:
        if len(candidates) > MAX_CANDIDATES:
            raise ServiceError(_("Too many candidate sites."), code="too_many_candidates")
        cand_points = [_check_point(p) for p in candidates]
    else:
        cand_points = [(d.lat, d.lng) for d in demand]
    engine = ready_engine(net)
    dpts = [(d.lat, d.lng) for d in demand]
    weights = np.array([d.weight for d in demand])
    m = travel_matrix(engine, [(s["lat"], s["lng"]) for s in station_rows], dpts)
    best, arg = best_times(m.seconds, len(demand))
    best_est = np.array([bool(m.estimate[a, j]) if a >= 0 else False for j, a in enumerate(arg)])
    targets = targets_minutes()
    out_shares, uncovered = {}, {}
    for p in (1, 2, 3, 4):
        share, covered = shares(best, weights, targets[p] * 60)
        out_shares[str(p)] = round(share, 4)
        uncovered[str(p)] = [
            {"code": d.code, "name": d.name, "lat": d.lat, "lng": d.lng,
             "best_seconds": round(float(best[j]), 1) if np.isfinite(best[j]) else None,
             "estimate": bool(best_est[j])}
            for j, d in enumerate(demand) if not covered[j]]
    suggestions = []
    if k and cand_points:
        cm = travel_matrix(engine, cand_points, dpts)
        _s, covered = shares(best, weights, targets[priority] * 60)
        for pick in greedy_sites(cm.seconds, weights, covered, targets[priority] * 60, int(k)):
            lat, lng = cand_points[pick.candidate]
            suggestions.append({"lat": lat, "lng": lng, "gained_weight": round(pick.gained_weight, 2),
                                "gained_share": round(pick.gained_share, 4),
                                "covered_share": round(pick.covered_share, 4),
                                "estimate": bool(cm.estimate[pick.candidate].any())})
    return {"network_id": net.pk, "region_code": region_code, "weighted_by_population": weighted,
            "priority": priority, "targets_minutes": {str(p): v for p, v in targets.items()},
            "shares": out_shares, "uncovered": uncovered[str(priority)],
            "uncovered_by_priority": {p: len(v) for p, v in uncovered.items()},
            "demand_count": len(demand),
            "demand": [{"code": d.code, "name": d.name, "lat": d.lat, "lng": d.lng,
                        "best_seconds": round(float(best[j]), 1) if np.isfinite(best[j]) else None,
                        "estimate": bool(best_est[j])} for j, d in enumerate(demand)],
            "stations": [{"lat": s["lat"], "lng": s["lng"], "name": s["name"], "kind": s["kind"]}
                         for s in station_rows],
            "suggestions": suggestions, "estimate": bool(best_est.any())}
