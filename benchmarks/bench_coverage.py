"""Coverage-planning benchmark on Kota Balikpapan: CCH one-to-many tables against scipy's Dijkstra.

    .venv/bin/python benchmarks/bench_coverage.py [--demand 500] [--stations 3] [--candidates 150] [--k 5] [--runs 5]

The network is /work/shared/data/roads/balikpapan_kota_drive.graphml (SIAGA_DATA_DIR/roads/), compiled in process
by the importer's compile_graph (no database; SIAGA_VAR_DIR is a temporary folder). Our data has no kelurahan
points for Balikpapan, so the demand points are stand-ins:
--demand network nodes drawn at random (seed 4), equal weight (Balikpapan has 34 kelurahan; 500 points is a
heavier load on purpose). Stations and candidate sites are other random nodes. Target: P1, 8 minutes.

Per run, both methods compute the same thing: the travel-time matrix stations x demand and candidates x demand,
then the P1-P4 shares and K greedy picks (siaga.routing.coverage, identical for both).
  CCH:   one CCHOneToMany object pinned on the demand nodes, one sweep per station/candidate.
  scipy: scipy.sparse.csgraph.dijkstra from the station/candidate nodes (one-to-all), columns of the demand nodes.
Also timed: the full point-level matrix (snapping every point, access legs, fallback check) as the API runs it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("SIAGA_VAR_DIR", tempfile.mkdtemp(prefix="bench-coverage-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")

import django  # noqa: E402

django.setup()

import routingkit_cch as rk  # noqa: E402
from django.conf import settings  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from siaga.routing import compile as comp  # noqa: E402
from siaga.routing import coverage  # noqa: E402
from siaga.routing.engine import Engine  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_routing import reference  # noqa: E402

TARGETS_S = {1: 8 * 60, 2: 15 * 60, 3: 30 * 60, 4: 60 * 60}


def report(times_s: np.ndarray, cand_s: np.ndarray, weights: np.ndarray, k: int):
    best, _arg = coverage.best_times(times_s, len(weights))
    out = {p: coverage.shares(best, weights, t)[0] for p, t in TARGETS_S.items()}
    _s, covered = coverage.shares(best, weights, TARGETS_S[1])
    picks = coverage.greedy_sites(cand_s, weights, covered, TARGETS_S[1], k)
    return out, [(p.candidate, round(p.gained_share, 4)) for p in picks]


def cch_matrix(engine: Engine, sources, targets) -> np.ndarray:
    q = rk.CCHOneToMany(engine.metric, [int(t) for t in targets])
    out = np.empty((len(sources), len(targets)))
    for i, s in enumerate(sources):
        out[i] = coverage._as_seconds_array(q.distances_from(int(s)))
    del q
    return out / 10.0


def scipy_matrix(graph, sources, targets) -> np.ndarray:
    return dijkstra(graph, directed=True, indices=np.asarray(sources))[:, np.asarray(targets)] / 10.0


def stats(xs):
    xs = np.asarray(xs) * 1000
    return f"median {np.median(xs):8.1f} ms  p99 {np.percentile(xs, 99):8.1f} ms"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demand", type=int, default=500)
    ap.add_argument("--stations", type=int, default=3)
    ap.add_argument("--candidates", type=int, default=150)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    path = Path(settings.DATA_DIR) / "roads" / "balikpapan_kota_drive.graphml"
    if not path.is_file():
        sys.exit(f"{path} is missing: set SIAGA_DATA_DIR to the folder holding roads/")
    t0 = time.perf_counter()
    arrays = comp.compile_graph(comp.read_road_file(path), comp.speed_profile()).arrays
    engine = Engine(0, arrays)
    print(f"Kota Balikpapan: {engine.n:,} nodes, {engine.m:,} arcs; compiled and contracted in "
          f"{time.perf_counter() - t0:.1f} s")
    graph = reference(arrays)
    rng = np.random.default_rng(4)
    picked = rng.choice(engine.n, args.demand + args.stations + args.candidates, replace=False)
    demand = picked[:args.demand]
    stations = picked[args.demand:args.demand + args.stations]
    cands = picked[args.demand + args.stations:]
    weights = np.ones(len(demand))
    print(f"demand points {len(demand)}, stations {len(stations)}, candidates {len(cands)}, K={args.k}, "
          f"{args.runs} runs")

    cch_t, sp_t, results = [], [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        a = report(cch_matrix(engine, stations, demand), cch_matrix(engine, cands, demand), weights, args.k)
        cch_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        b = report(scipy_matrix(graph, stations, demand), scipy_matrix(graph, cands, demand), weights, args.k)
        sp_t.append(time.perf_counter() - t)
        results.append((a, b))
    a, b = results[-1]
    assert a == b, f"CCH and Dijkstra disagree: {a} != {b}"
    print(f"shares P1..P4: {', '.join(f'{v:.3f}' for v in a[0].values())}; greedy picks: {a[1]}")
    print(f"coverage with CCH tables      : {stats(cch_t)}")
    print(f"coverage with scipy Dijkstra  : {stats(sp_t)}")
    print(f"ratio scipy / CCH (median)    : {np.median(sp_t) / np.median(cch_t):.1f}x")

    pts = lambda nodes: [(float(arrays["lat"][n]), float(arrays["lng"][n])) for n in nodes]  # noqa: E731
    s_pts, d_pts, c_pts = pts(stations), pts(demand), pts(cands)
    full = []
    for _ in range(max(1, args.runs // 2)):
        t = time.perf_counter()
        m1 = coverage.travel_matrix(engine, s_pts, d_pts)
        m2 = coverage.travel_matrix(engine, c_pts, d_pts)
        report(m1.seconds, m2.seconds, weights, args.k)
        full.append(time.perf_counter() - t)
    print(f"point-level (snap + tables, as the API): {stats(full)}; estimates: {int(m1.estimate.sum())}")


if __name__ == "__main__":
    main()
