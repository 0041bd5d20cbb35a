"""Benchmark: point-to-kelurahan lookups per second, STRtree index (batch and single) vs a plain loop over polygons."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
import django  # noqa: E402

django.setup()

import shapely  # noqa: E402
from django.conf import settings  # noqa: E402

from siaga.geo.lookup import RegionIndex  # noqa: E402
from siaga.geo.services import repair_polygon  # noqa: E402


def load_boundaries(folder: Path):
    """(code, level, geometry) for every feature of every GeoJSON file, repaired like the importer does."""
    rows = []
    for path in sorted(folder.glob("*.geojson")):
        for f in json.loads(path.read_text())["features"]:
            geom = shapely.geometry.shape(f["geometry"])
            if not geom.is_valid:
                geom = repair_polygon(geom)
            code = f["properties"]["kode"]
            rows.append((code, code.count(".") + 1, geom))
    return rows


def random_points(rows, n: int, seed: int):
    """Points spread over the kelurahan boxes (most hit a kelurahan, some fall between or outside)."""
    rng = np.random.default_rng(seed)
    boxes = np.array([g.bounds for _c, lv, g in rows if lv == 4])
    pick = boxes[rng.integers(0, len(boxes), n)]
    lngs = rng.uniform(pick[:, 0], pick[:, 2])
    lats = rng.uniform(pick[:, 1], pick[:, 3])
    return lats, lngs


def plain_loop(ordered, lat: float, lng: float):
    """The baseline: test every polygon in turn, deepest level first, then code order."""
    point = shapely.Point(lng, lat)
    for code, geom in ordered:
        if geom.intersects(point):
            return code
    return None


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def synthetic(n_cells: int, n_points: int):
    """A grid of n_cells squares over Indonesia's extent: index build time and lookup rate at national scale."""
    side = int(np.ceil(np.sqrt(n_cells)))
    xs = np.linspace(95.0, 141.0, side + 1)
    ys = np.linspace(-11.0, 6.0, side + 1)
    rows, k = [], 0
    for i in range(side):
        for j in range(side):
            if k == n_cells:
                break
            rows.append((f"{k:013d}", 4, shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1])))
            k += 1
    t = time.perf_counter()
    index = RegionIndex(rows, {})
    build = time.perf_counter() - t
    rng = np.random.default_rng(7)
    lats, lngs = rng.uniform(-11, 6, n_points), rng.uniform(95, 141, n_points)
    t = time.perf_counter()
    codes = index.codes_at(lats, lngs)
    batch = time.perf_counter() - t
    plain = [(c, shapely.box(*g.bounds)) for c, _lv, g in rows]
    nb = 200
    t = time.perf_counter()
    base = [plain_loop(plain, lat, lng) for lat, lng in zip(lats[:nb], lngs[:nb])]
    base_s = time.perf_counter() - t
    return build, rate(n_points, batch), rate(nb, base_s), base == codes[:nb]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--points", type=int, default=50_000, help="random points for the STRtree batch lookup")
    p.add_argument("--baseline-points", type=int, default=1_000, help="of those, how many the plain loop answers")
    p.add_argument("--single-points", type=int, default=5_000, help="of those, how many are timed one by one")
    p.add_argument("--synthetic", type=int, default=83_762, help="grid cells for the national-scale check (0: skip)")
    p.add_argument("--seed", type=int, default=20261125)
    a = p.parse_args()

    folder = Path(settings.DATA_DIR) / "regions"
    if not any(folder.glob("*.geojson")):
        print(f"no boundary files in {folder}; set SIAGA_DATA_DIR", file=sys.stderr)
        return 2
    t = time.perf_counter()
    rows = load_boundaries(folder)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    index = RegionIndex(rows, {})
    build_s = time.perf_counter() - t
    levels = {lv: sum(1 for r in rows if r[1] == lv) for lv in (2, 3, 4)}
    print(f"boundaries: {len(rows)} polygons from {folder} (kab/kota {levels[2]}, kecamatan {levels[3]}, "
          f"kelurahan {levels[4]}); parse+repair {load_s:.2f} s, index build {build_s * 1000:.0f} ms")

    lats, lngs = random_points(rows, a.points, a.seed)

    t = time.perf_counter()
    batch_codes = index.codes_at(lats, lngs)
    batch_s = time.perf_counter() - t
    hits = sum(c is not None and c.count(".") == 3 for c in batch_codes)

    n1 = min(a.single_points, a.points)
    latencies = []
    for lat, lng in zip(lats[:n1], lngs[:n1]):
        t = time.perf_counter()
        index.code_at(lat, lng)
        latencies.append(time.perf_counter() - t)
    single_s = sum(latencies)

    # The baseline gets its own, unprepared geometries: preparing is part of what the index adds.
    ordered = sorted(((c, lv, shapely.from_wkb(shapely.to_wkb(g))) for c, lv, g in rows), key=lambda r: (-r[1], r[0]))
    ordered = [(c, g) for c, _lv, g in ordered]
    nb = min(a.baseline_points, a.points)
    t = time.perf_counter()
    baseline_codes = [plain_loop(ordered, lat, lng) for lat, lng in zip(lats[:nb], lngs[:nb])]
    base_s = time.perf_counter() - t
    same = baseline_codes == batch_codes[:nb]

    batch_rate, single_rate, base_rate = rate(a.points, batch_s), rate(n1, single_s), rate(nb, base_s)
    print(f"points: {a.points:,} random ({hits:,} inside a kelurahan), seed {a.seed}")
    print(f"STRtree batch  : {batch_rate:12,.0f} points/s  ({a.points:,} points in {batch_s:.3f} s)")
    print(f"STRtree single : {single_rate:12,.0f} points/s  (latency median {statistics.median(latencies) * 1e6:.0f} µs, "
          f"p99 {np.percentile(latencies, 99) * 1e6:.0f} µs over {n1:,} points)")
    print(f"plain loop     : {base_rate:12,.0f} points/s  ({nb:,} points in {base_s:.3f} s) [baseline]")
    print(f"ratio batch/baseline  : {batch_rate / base_rate:,.0f}x")
    print(f"ratio single/baseline : {single_rate / base_rate:,.0f}x")
    print(f"answers identical to the baseline on the {nb:,} shared points: {same}")
    if a.synthetic:
        build, syn_rate, syn_base, syn_same = synthetic(a.synthetic, a.points)
        print(f"national scale: {a.synthetic:,} synthetic kelurahan squares, index build {build:.2f} s; "
              f"STRtree batch {syn_rate:,.0f} points/s, plain loop {syn_base:,.0f} points/s (200 points) [baseline], "
              f"ratio {syn_rate / syn_base:,.0f}x, identical: {syn_same}")
        same = same and syn_same
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
