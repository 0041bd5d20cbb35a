"""Routing benchmark: units-to-incident tables with the CCH against scipy and networkx Dijkstra, closures, load time.

    .venv/bin/python benchmarks/bench_routing.py [--grid SIDE] [--runs N] [--grid-networkx-budget S] [--calibrate]

Prints, per network and per number of units (50, 200, 1,000): the median and 99th percentile of one table
(all units to one incident) with the CCH (siaga.routing.engine), with scipy's one-to-all Dijkstra on the
reversed graph, with networkx's one-to-all Dijkstra from the incident on the reversed graph cut off at the
farthest unit, and with networkx's Dijkstra run once per unit (on the grid within a time budget, beyond which
the table time is extrapolated from the measured calls and marked "~"); the ratios; the partial and full
re-customisation after closing 100 random arcs; the load time of a persisted network.
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
os.environ.setdefault("SIAGA_VAR_DIR", tempfile.mkdtemp(prefix="bench-routing-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")

import django  # noqa: E402

django.setup()

import routingkit_cch as rk  # noqa: E402
from django.conf import settings  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from scipy.sparse.csgraph import dijkstra  # noqa: E402

from siaga.routing import compile as comp  # noqa: E402
from siaga.routing import services  # noqa: E402
from siaga.routing.engine import INF, Engine  # noqa: E402


def reference(a):
    """The arc weights as a sparse matrix; of parallel arcs the cheapest."""
    n = len(a["lat"])
    w = a["travel_time_ds"]
    order = np.lexsort((w, a["head"], a["tail"]))
    t, h, w = a["tail"][order], a["head"][order], w[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    return csr_matrix((w[first].astype(float), (t[first], h[first])), shape=(n, n))


def grid(side: int) -> dict:
    """A side x side street grid (100 m blocks, two-way, every 10th street primary) as compiled arrays."""
    n = side * side
    idx = np.arange(n).reshape(side, side)
    pairs = [np.stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()], 1), np.stack([idx[:-1, :].ravel(), idx[1:, :].ravel()], 1)]
    e = np.concatenate(pairs)
    tail = np.concatenate([e[:, 0], e[:, 1]]).astype(np.int32)
    head = np.concatenate([e[:, 1], e[:, 0]]).astype(np.int32)
    rows = tail // side
    primary = (rows % 10 == 0) & (head // side == rows)
    kmh = np.where(primary, 35.0, 20.0) * 1.25
    tt = np.maximum(1, np.rint(100.0 / (kmh / 3.6) * 10)).astype(np.int32)
    lat = -6.2 + (np.arange(n) // side) * 0.0009
    lng = 106.8 + (np.arange(n) % side) * 0.0009
    return {"lat": lat, "lng": lng, "tail": tail, "head": head, "travel_time_ds": tt,
            "length_m": np.full(len(tail), 100.0, dtype=np.float32),
            "road_class": np.where(primary, 2, 6).astype(np.int8),
            "order": np.asarray(rk.compute_order_inertial(n, tail.tolist(), head.tolist(), lat.tolist(),
                                                          lng.tolist()), dtype=np.int32)}


def stats(xs):
    xs = np.asarray(xs) * 1000
    return float(np.median(xs)), float(np.percentile(xs, 99))


def fmt(ms):
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def nx_graph(G):
    """The same weighted digraph in networkx (of parallel arcs the cheapest, as in `reference`)."""
    import networkx as nx

    nxg = nx.DiGraph()
    coo = G.tocoo()
    nxg.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    return nxg


def bench_tables(name: str, a: dict, runs: int, nx_runs: int | None = None, nx_budget_s: float | None = None):
    """One table per run for 50, 200 and 1,000 units; every baseline's answer is checked against the CCH's.

    networkx is timed two ways: per unit (`dijkstra_path_length` from each unit to the incident, stopping at
    the incident) and one-to-all from the incident on the reversed graph with the cutoff set to the farthest
    unit's travel time (networkx's best case: it stops as soon as every unit is settled). With nx_budget_s,
    the per-unit calls for one units count stop once they took that long (0: not run); when no full table
    fitted, the table time is extrapolated as units x the mean measured call, printed with "~" and the count.
    """
    import networkx as nx

    engine = Engine(0, a)
    n = len(a["lat"])
    G = reference(a)
    GT = G.T.tocsr()
    t0 = time.perf_counter()
    nxg = nx_graph(G)
    rev = nxg.reverse(copy=False)
    nx_build = time.perf_counter() - t0
    rng = np.random.default_rng(42)
    per_call: list[float] = []
    print(f"\n## {name}: {n:,} nodes, {len(a['tail']):,} arcs; CCH built in {engine.build_seconds * 1000:.0f} ms; "
          f"networkx graph built in {nx_build:.1f} s")
    print("| units | CCH median / p99 (ms) | scipy one-to-all median / p99 (ms) | networkx one-to-all to the farthest "
          "unit median / p99 (ms) | networkx per-unit median / p99 (ms) | scipy / CCH | networkx one-to-all / CCH "
          "| networkx per-unit / CCH |")
    print("|---|---|---|---|---|---|---|---|")
    for k in (50, 200, 1000):
        t_cch, t_sp, t_nx1, t_nx, calls = [], [], [], [], []
        spent = 0.0
        reps = runs if nx_runs is None else min(runs, nx_runs)
        for r in range(runs):
            target = int(rng.integers(n))
            units = rng.choice(n, size=min(k, n), replace=False).tolist()
            t0 = time.perf_counter()
            got = engine.node_times_to(units, target)
            t_cch.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = dijkstra(GT, indices=target)
            t_sp.append(time.perf_counter() - t0)
            assert got == [None if not np.isfinite(ref[u]) else int(ref[u]) for u in units]
            if r >= reps:
                continue
            cutoff = max(x for x in got if x is not None)
            t0 = time.perf_counter()
            d = nx.single_source_dijkstra_path_length(rev, target, cutoff=cutoff)
            t_nx1.append(time.perf_counter() - t0)
            assert [None if d.get(u) is None else int(d[u]) for u in units] == got
            if nx_budget_s is not None and spent >= nx_budget_s:
                continue
            if nx_runs is None and r >= max(3, runs // (k // 50)):
                continue
            total, done = 0.0, 0
            for u, want in zip(units, got):
                t0 = time.perf_counter()
                length = nx.dijkstra_path_length(nxg, u, target)
                dt = time.perf_counter() - t0
                assert int(length) == want
                total += dt
                calls.append(dt)
                done += 1
                if nx_budget_s is not None and spent + total >= nx_budget_s:
                    break
            spent += total
            if done == len(units):
                t_nx.append(total)
        c, s, x1 = stats(t_cch), stats(t_sp), stats(t_nx1)
        if t_nx:
            x = stats(t_nx)
            nx_cells = f"{fmt(x[0])} / {fmt(x[1])} ({len(t_nx)} runs)", f"{x[0] / c[0]:,.0f}x"
        elif calls:
            est = k * float(np.mean(calls)) * 1000
            nx_cells = (f"~{fmt(est)} (extrapolated: {k:,} x mean of {len(calls)} measured calls)",
                        f"~{est / c[0]:,.0f}x")
        else:
            nx_cells = "not run", "-"
        print(f"| {k:,} | {fmt(c[0])} / {fmt(c[1])} | {fmt(s[0])} / {fmt(s[1])} | {fmt(x1[0])} / {fmt(x1[1])} "
              f"({len(t_nx1)} runs) | {nx_cells[0]} | {s[0] / c[0]:,.0f}x | {x1[0] / c[0]:,.0f}x | {nx_cells[1]} |",
              flush=True)
        per_call.extend(calls)
    if per_call:
        m, p = stats(per_call)
        print(f"networkx per-unit calls measured: {len(per_call):,}, one call median {fmt(m)} ms, p99 {fmt(p)} ms, "
              f"mean {fmt(float(np.mean(per_call)) * 1000)} ms", flush=True)
    return engine


def bench_closures(engine: Engine, runs: int = 5):
    rng = np.random.default_rng(7)
    part, full, revert = [], [], []
    for _ in range(runs):
        closed = rng.choice(engine.m, 100, replace=False)
        w = engine.base.copy()
        w[closed] = INF
        t0 = time.perf_counter()
        engine.set_weights(w, partial=True)
        part.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        engine.set_weights(engine.base, partial=True)
        revert.append(time.perf_counter() - t0)
        w2 = engine.base.copy()
        w2[closed] = INF
        t0 = time.perf_counter()
        engine.set_weights(w2, partial=False)
        full.append(time.perf_counter() - t0)
        engine.set_weights(engine.base, partial=False)
    p, f, rv = stats(part), stats(full), stats(revert)
    print(f"\nClosing 100 random arcs: partial re-customisation {fmt(p[0])} ms (median of {runs}), "
          f"full re-customisation {fmt(f[0])} ms, ratio {f[0] / p[0]:.1f}x; lifting them (partial) {fmt(rv[0])} ms")


def bench_load(a: dict, name: str):
    path = Path(settings.VAR_DIR) / "roads" / f"bench-{name}.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    services.save_arrays(a, path)
    t0 = time.perf_counter()
    arrays = services.load_arrays(path)
    t1 = time.perf_counter()
    engine = Engine(0, arrays)
    t2 = time.perf_counter()
    engine.snapper  # noqa: B018  (built lazily on the first snap)
    t3 = time.perf_counter()
    print(f"Persisted network ({path.stat().st_size / 1e6:.1f} MB .npz): load {1000 * (t1 - t0):.0f} ms + CCH "
          f"{1000 * (t2 - t1):.0f} ms + snapping index {1000 * (t3 - t2):.0f} ms = {1000 * (t3 - t0):.0f} ms; "
          f"baseline re-import from the source file: see 'compile' above")


def calibrate():
    for f in ("balikpapan_kota_drive.graphml", "helsinki.osm.pbf"):
        a = comp.compile_graph(comp.read_road_file(Path(settings.DATA_DIR) / "roads" / f), comp.speed_profile()).arrays
        n = len(a["lat"])
        G = reference({**a, "travel_time_ds": a["length_m"]})
        rng = np.random.default_rng(7)
        S = rng.choice(n, 200, replace=False)
        T = rng.integers(0, n, (200, 50))
        D = dijkstra(G, indices=S)
        nd = D[np.arange(200)[:, None], T]
        hv = comp.haversine_m(a["lat"][S][:, None], a["lng"][S][:, None], a["lat"][T], a["lng"][T])
        ok = hv > 500
        print(f"{f}: median network/straight-line distance {np.median(nd[ok] / hv[ok]):.2f} over {ok.sum()} pairs")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--grid", type=int, default=0, help="also a synthetic grid of GRID x GRID nodes")
    ap.add_argument("--grid-networkx-runs", type=int, default=5,
                    help="networkx runs per units count on the grid (it takes seconds per run)")
    ap.add_argument("--grid-networkx-budget", type=float, default=150.0,
                    help="seconds of networkx per-unit calls per units count on the grid; beyond, extrapolate")
    ap.add_argument("--calibrate", action="store_true")
    args = ap.parse_args()
    if args.calibrate:
        return calibrate()
    path = Path(settings.DATA_DIR) / "roads" / "helsinki.osm.pbf"
    t0 = time.perf_counter()
    a = comp.compile_graph(comp.read_road_file(path), comp.speed_profile()).arrays
    print(f"compile {path.name} (read, weigh, SCC, nested-dissection order): {time.perf_counter() - t0:.2f} s")
    engine = bench_tables("Helsinki (OSM PBF)", a, args.runs)
    sys.stdout.flush()
    bench_closures(engine)
    bench_load(a, "helsinki")
    if args.grid:
        t0 = time.perf_counter()
        g = grid(args.grid)
        print(f"\ngrid {args.grid}x{args.grid} built and ordered in {time.perf_counter() - t0:.1f} s")
        engine = bench_tables(f"Synthetic grid {args.grid}x{args.grid}", g, max(5, args.runs // 10),
                              nx_runs=args.grid_networkx_runs, nx_budget_s=args.grid_networkx_budget)
        bench_closures(engine)


if __name__ == "__main__":
    main()
