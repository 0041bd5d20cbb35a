"""Benchmark: warning-to-affected-regions time over all loaded boundaries, STRtree vs a plain loop over polygons."""

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import load, machine_line  # noqa: E402

from siaga.disaster import affected, cap, quake  # noqa: E402
from siaga.geo.lookup import RegionIndex  # noqa: E402
from siaga.geo.services import repair_polygon  # noqa: E402


def _offset(k: int) -> list[float]:
    """Copy k (k >= 1) sits 15..180 degrees west and 0..75 degrees north of the originals: never on them."""
    return [-15.0 * ((k - 1) % 12 + 1), 25.0 * ((k - 1) // 12)]


def load_index(folder: Path, copies: int = 1) -> RegionIndex:
    """Every boundary of every GeoJSON file (kab/kota, kecamatan, kelurahan), repaired like the importer does.

    copies > 1 adds shifted copies of every boundary (never overlapping the originals, codes prefixed "cN."),
    to measure the country-scale case (~80,000 desa/kelurahan) with the data at hand; warnings stay over
    the originals, so the answers do not change, only the number of boundaries to search.
    """
    rows, names = [], {}
    for path in sorted(folder.glob("*.geojson")):
        for f in json.loads(path.read_text())["features"]:
            geom = shapely.geometry.shape(f["geometry"])
            if not geom.is_valid:
                geom = repair_polygon(geom)
            code = f["properties"]["kode"]
            level = code.count(".") + 1
            for k in range(copies):
                c = code if k == 0 else f"c{k}.{code}"
                g = geom if k == 0 else shapely.transform(geom, lambda xy, k=k: xy + _offset(k))
                names[c] = (f["properties"].get("nama", code), level)
                rows.append((c, level, g))
    return RegionIndex(rows, names)


def warnings(index: RegionIndex, n: int, seed: int) -> list:
    """The real Banten CAP polygons, ShakeMap MMI areas, and n nowcast-like polygons (convex hulls of a few
    points, 5-30 km across) placed over the loaded kelurahan."""
    data = Path(settings.DATA_DIR) / "bmkg"
    out = []
    alert = cap.parse_cap((data / "cap_banten.xml").read_bytes())
    areas = [{"polygons": [[[lon, lat] for lat, lon in ring] for ring in a.polygons], "circles": []}
             for a in alert.infos[0].areas]
    out.append(affected.area_geometry(areas)[0])
    for grid in sorted((data / "shakemap").glob("*_grid.xml")):
        area = quake.mmi_area(quake.parse_shakemap(grid.read_bytes()), 3.0)
        if not area.is_empty:
            out.append(area)
    rng = np.random.default_rng(seed)
    villages = [lv for lv in index.levels if lv.level == 4][0]
    originals = villages.geoms[[not str(c).startswith("c") for c in villages.codes]]
    centres = shapely.centroid(originals[rng.integers(0, len(originals), n)])
    for c in centres:
        size = rng.uniform(0.05, 0.3)
        pts = np.column_stack([c.x + rng.uniform(-size / 2, size / 2, 7), c.y + rng.uniform(-size / 2, size / 2, 7)])
        out.append(shapely.convex_hull(shapely.multipoints(pts)))
    return out


def timed(fn, geoms, index):
    times, results = [], []
    for g in geoms:
        t = time.perf_counter()
        results.append(fn(g, index))
        times.append(time.perf_counter() - t)
    return times, results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--warnings", type=int, default=200)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--copies", type=int, default=1, choices=range(1, 50), metavar="1..49",
                   help="copies of every boundary, shifted apart (40 is about the country's 80,000 desa/kelurahan)")
    a = p.parse_args()
    folder = Path(settings.DATA_DIR) / "regions"
    t = time.perf_counter()
    index = load_index(folder, a.copies)
    build_s = time.perf_counter() - t
    geoms = warnings(index, a.warnings, a.seed)
    counts = {lv.level: len(lv.codes) for lv in index.levels}
    print(f"machine: {machine_line()}; {load()}")
    print(f"boundaries: {index.size} ({', '.join(f'level {k}: {v}' for k, v in sorted(counts.items()))}), "
          f"index built in {build_s:.2f} s; warnings: {len(geoms)}")
    # Warm both paths once (GEOS prepares geometries lazily).
    affected.affected_regions(geoms[0], index)
    affected.affected_regions_plain(geoms[0], index)
    tree_t, tree_r = timed(affected.affected_regions, geoms, index)
    plain_t, plain_r = timed(affected.affected_regions_plain, geoms, index)
    for g, x, y in zip(geoms, tree_r, plain_r):
        assert [(h.code, round(h.share, 9)) for h in x] == [(h.code, round(h.share, 9)) for h in y], g.wkt[:80]
    hits = [len(r) for r in tree_r]
    print(f"affected regions per warning: median {statistics.median(hits):.0f}, max {max(hits)} "
          f"(both paths give identical codes and shares)")
    for name, ts in (("STRtree (siaga.disaster.affected.affected_regions)", tree_t),
                     ("baseline: plain loop over every boundary", plain_t)):
        ms = [x * 1000 for x in ts]
        print(f"{name}: total {sum(ms):.1f} ms, per warning median {statistics.median(ms):.2f} ms, "
              f"p95 {sorted(ms)[int(0.95 * (len(ms) - 1))]:.2f} ms")
    ratio = statistics.median(plain_t) / statistics.median(tree_t)
    print(f"ratio (median per warning, baseline / STRtree): {ratio:.1f}x; total {sum(plain_t) / sum(tree_t):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
