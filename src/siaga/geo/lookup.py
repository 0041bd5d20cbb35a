"""Point-to-region lookup: which desa/kelurahan (or the deepest region with a boundary) contains a point.

The index is built in process from every region that has a boundary: one STRtree of prepared
polygons per level. A point is matched against the deepest level first (desa/kelurahan, then
kecamatan, kab/kota, province), so an area whose kelurahan are not loaded still answers with its
kecamatan or kab/kota. A point on a shared border belongs to the region with the smallest code,
so answers are deterministic. The index is rebuilt lazily when boundaries change (see cache.py).

land_status tells land from sea where boundaries are loaded: routing refuses a point in the sea instead
of snapping it onto the nearest coast road (see LandCheck for the rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely
from django.db.models import TextField
from django.db.models.functions import Cast

from .cache import VersionedCache


@dataclass(frozen=True)
class RegionRef:
    code: str
    name: str
    level: int


@dataclass(frozen=True)
class LookupResult:
    """The region containing a point and its ancestors, province first."""

    region: RegionRef
    ancestors: list[RegionRef] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.region.code

    @property
    def chain(self) -> list[RegionRef]:
        """Province down to the region itself."""
        return [*self.ancestors, self.region]


LAND = "land"
SEA = "sea"
UNKNOWN = "unknown"
# Defaults of land_status: a point this close to a loaded boundary is on the shore (boundaries are drawn
# coarsely, piers and beaches stick out); this far from every loaded boundary, nothing is known about it.
DEFAULT_COAST_TOLERANCE_M = 250.0
DEFAULT_NEAR_M = 30_000.0
_EARTH_M = 6371008.8
_M_PER_DEG = math.radians(1) * _EARTH_M


@dataclass(frozen=True)
class LandCheck:
    """Whether a point is on land, in the sea, or in an area without loaded boundaries.

    status: "land" (inside a loaded boundary or within the coast tolerance of one), "sea" (outside every
    loaded boundary, farther than the tolerance from all of them, but within the near distance and inside
    the convex hull of the nearest province's loaded boundaries, so the area is mapped: a bay, a strait,
    water between the coast and islands) or "unknown" (anything else: no loaded boundary near, outside
    that hull, or an invalid position). distance_m and the nearest region are given for "unknown" too
    when a boundary lies within the near distance.
    distance_m is the distance to the nearest loaded boundary (0 inside one; None when none is near),
    nearest_code and nearest_name name that region.
    """

    status: str
    distance_m: float | None = None
    nearest_code: str | None = None
    nearest_name: str | None = None


@dataclass
class _Level:
    level: int
    codes: np.ndarray  # object array of codes, ascending
    geoms: np.ndarray  # prepared shapely geometries, same order
    tree: shapely.STRtree


class RegionIndex:
    """STRtrees over the boundaries of one snapshot of the region table."""

    def __init__(self, rows: list[tuple[str, int, object]], names: dict[str, tuple[str, int]],
                 complete: set[str] | None = None):
        self.names = names
        # kab/kota codes ("31.72") whose loaded boundaries cover all of it (None: assume every one does).
        self.complete = complete
        by_level: dict[int, list[tuple[str, object]]] = {}
        for code, level, geom in rows:
            if geom is not None and not geom.is_empty:
                by_level.setdefault(level, []).append((code, geom))
        self.levels: list[_Level] = []
        for level in sorted(by_level, reverse=True):
            items = sorted(by_level[level], key=lambda item: item[0])
            codes = np.array([c for c, _g in items], dtype=object)
            geoms = np.array([g for _c, g in items], dtype=object)
            # Prepared polygons answer point-in-polygon far faster when many points hit the same polygon.
            shapely.prepare(geoms)
            self.levels.append(_Level(level, codes, geoms, shapely.STRtree(geoms)))
        self.size = sum(len(lv.codes) for lv in self.levels)

    # --- queries --------------------------------------------------------------------------------
    def code_at(self, lat: float, lng: float) -> str | None:
        """The code of the deepest region covering the point, or None."""
        if not _valid(lat, lng):
            return None
        point = shapely.Point(lng, lat)
        for lv in self.levels:
            candidates = lv.tree.query(point)
            if candidates.size:
                # Tree order is arbitrary; code order makes a border point's answer stable.
                for i in np.sort(candidates):
                    if shapely.intersects(lv.geoms[i], point):
                        return lv.codes[i]
        return None

    def codes_at(self, lats, lngs) -> list[str | None]:
        """Vectorised code_at for many points (sequences or numpy arrays of equal length)."""
        lats = np.asarray(lats, dtype=float)
        lngs = np.asarray(lngs, dtype=float)
        if lats.shape != lngs.shape or lats.ndim != 1:
            raise ValueError("lats and lngs must be 1-d sequences of equal length")
        out = np.full(lats.shape[0], None, dtype=object)
        ok = np.isfinite(lats) & np.isfinite(lngs) & (np.abs(lats) <= 90) & (np.abs(lngs) <= 180)
        remaining = np.flatnonzero(ok)
        points = shapely.points(lngs[remaining], lats[remaining]) if remaining.size else np.array([], dtype=object)
        for lv in self.levels:
            if not remaining.size:
                break
            p_idx, g_idx = lv.tree.query(points)
            if p_idx.size:
                hit = shapely.intersects(lv.geoms[g_idx], points[p_idx])
                p_idx, g_idx = p_idx[hit], g_idx[hit]
            if not p_idx.size:
                continue
            # Per point, keep the hit with the smallest code (geometries are stored in code order).
            order = np.lexsort((g_idx, p_idx))
            p_idx, g_idx = p_idx[order], g_idx[order]
            first = np.unique(p_idx, return_index=True)[1]
            found_p, found_g = p_idx[first], g_idx[first]
            out[remaining[found_p]] = lv.codes[found_g]
            keep = np.ones(remaining.size, dtype=bool)
            keep[found_p] = False
            remaining, points = remaining[keep], points[keep]
        return out.tolist()

    @cached_property
    def _all(self) -> tuple[np.ndarray, np.ndarray, shapely.STRtree | None]:
        """One tree over every boundary of every level, for distances to the nearest one."""
        if not self.levels:
            return np.array([], dtype=object), np.array([], dtype=object), None
        codes = np.concatenate([lv.codes for lv in self.levels])
        geoms = np.concatenate([lv.geoms for lv in self.levels])
        return codes, geoms, shapely.STRtree(geoms)

    @cached_property
    def _hulls(self) -> dict[str, object]:
        """Per kab/kota code, the convex hull of its loaded boundaries: the area its data maps."""
        codes, geoms, _tree = self._all
        groups: dict[str, list] = {}
        for code, geom in zip(codes.tolist(), geoms.tolist()):
            groups.setdefault(_kabkota(code), []).append(geom)
        hulls = {group: shapely.convex_hull(shapely.geometrycollections(gs)) for group, gs in groups.items()}
        shapely.prepare(list(hulls.values()))
        return hulls

    def land_status(self, lat: float, lng: float, tolerance_m: float = DEFAULT_COAST_TOLERANCE_M,
                    near_m: float = DEFAULT_NEAR_M) -> LandCheck:
        """Land, sea or unknown for one point (see LandCheck)."""
        return self.land_status_many([lat], [lng], tolerance_m, near_m)[0]

    def land_status_many(self, lats, lngs, tolerance_m: float = DEFAULT_COAST_TOLERANCE_M,
                         near_m: float = DEFAULT_NEAR_M) -> list[LandCheck]:
        """Vectorised land_status: one nearest-boundary query for all points, distances in metres."""
        lats = np.asarray(lats, dtype=float)
        lngs = np.asarray(lngs, dtype=float)
        if lats.shape != lngs.shape or lats.ndim != 1:
            raise ValueError("lats and lngs must be 1-d sequences of equal length")
        out = [LandCheck(UNKNOWN)] * lats.shape[0]
        codes, geoms, tree = self._all
        ok = np.isfinite(lats) & np.isfinite(lngs) & (np.abs(lats) <= 90) & (np.abs(lngs) <= 180)
        valid = np.flatnonzero(ok)
        if tree is None or not valid.size:
            return out
        points = shapely.points(lngs[valid], lats[valid])
        # The tree measures in degrees; a degree of longitude is shorter than one of latitude, so the
        # search radius is widened by the worst cos(latitude) among the points and cut exactly below.
        widest = max(math.cos(math.radians(min(float(np.max(np.abs(lats[valid]))), 89.0))), 1e-3)
        p_idx, g_idx = tree.query_nearest(points, max_distance=near_m / _M_PER_DEG / widest, all_matches=False)
        if not p_idx.size:
            return out
        lines = shapely.shortest_line(geoms[g_idx], points[p_idx])
        ends = shapely.get_coordinates(shapely.get_point(lines, 0))  # the nearest point on the boundary (lng, lat)
        inside = shapely.intersects(geoms[g_idx], points[p_idx])
        dist = np.where(inside, 0.0, _haversine_m(lats[valid][p_idx], lngs[valid][p_idx], ends[:, 1], ends[:, 0]))
        hulls = self._hulls
        for p, g, d in zip(p_idx.tolist(), g_idx.tolist(), dist.tolist()):
            if d > near_m:
                continue
            code = codes[g]
            group = _kabkota(code)
            if d <= tolerance_m:
                status = LAND
            elif (self.complete is None or group in self.complete) and hulls[group].intersects(points[p]):
                status = SEA
            else:
                # Outside the area the nearest kab/kota's boundaries span, or beside a kab/kota only partly
                # loaded, "outside every boundary" may be land whose boundaries are not loaded (Depok beside
                # DKI Jakarta alone): refusing an emergency there would be worse than estimating open water.
                status = UNKNOWN
            out[int(valid[p])] = LandCheck(status, round(float(d), 1), code, self.names.get(code, (code, 0))[0])
        return out

    def result_for(self, code: str | None) -> LookupResult | None:
        if code is None:
            return None
        name, level = self.names.get(code, (code, code.count(".") + 1))
        parts = code.split(".")
        ancestors = []
        for i in range(1, len(parts)):
            acode = ".".join(parts[:i])
            if acode in self.names:
                aname, alevel = self.names[acode]
                ancestors.append(RegionRef(acode, aname, alevel))
        return LookupResult(RegionRef(code, name, level), ancestors)


def _valid(lat, lng) -> bool:
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError):
        return False
    return np.isfinite(lat) and np.isfinite(lng) and abs(lat) <= 90 and abs(lng) <= 180


def _kabkota(code: str) -> str:
    """The kab/kota part of a code ("31.72.01.1001" -> "31.72"; a province code stays itself)."""
    return ".".join(code.split(".")[:2])


def _haversine_m(lat1, lng1, lat2, lng2):
    lat1, lng1, lat2, lng2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lng1, lat2, lng2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * _EARTH_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _ancestor_codes(codes) -> set[str]:
    out = set()
    for code in codes:
        parts = code.split(".")
        out.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return out


def build_index() -> RegionIndex:
    """Read every boundary from the database and build the trees."""
    from .models import Region

    # The raw JSON text goes straight to GEOS (vectorised), skipping a Python dict per polygon.
    rows = list(
        Region.objects.filter(boundary__isnull=False)
        .annotate(boundary_text=Cast("boundary", TextField()))
        .values_list("code", "level", "boundary_text")
    )
    geoms = shapely.from_geojson([text for _c, _l, text in rows], on_invalid="ignore") if rows else []
    wanted = _ancestor_codes(code for code, _l, _t in rows)
    names: dict[str, tuple[str, int]] = {}
    wanted_list = sorted(wanted)
    for i in range(0, len(wanted_list), 500):
        for code, name, level in Region.objects.filter(code__in=wanted_list[i:i + 500]).values_list(
                "code", "name", "level"):
            names[code] = (name, level)
    return RegionIndex([(code, level, geom) for (code, level, _t), geom in zip(rows, geoms)], names,
                       _complete_kabkota([(code, level) for code, level, _t in rows]))


def _complete_kabkota(loaded: list[tuple[str, int]]) -> set[str]:
    """kab/kota codes fully covered by loaded boundaries: their own (or their province's) boundary is
    loaded, or every region of the deepest loaded level below them has one (the region table is the roll)."""
    from django.db.models import Count
    from django.db.models.functions import Substr

    from .models import Region

    deepest: dict[str, int] = {}
    counts: dict[tuple[str, int], int] = {}
    whole: set[str] = set()
    for code, level in loaded:
        group = _kabkota(code)
        if level <= 2:
            whole.add(group)
        deepest[group] = max(deepest.get(group, 0), level)
        counts[(group, level)] = counts.get((group, level), 0) + 1
    provinces = {g for g in whole if "." not in g}
    complete = set(whole) | {g for g in deepest if g.split(".")[0] in provinces}
    pending = {g: lv for g, lv in deepest.items() if g not in complete}
    if pending:
        # Kab/kota codes are five characters ("31.72"): one grouped count for every pending one.
        rows = (Region.objects.filter(level__in=set(pending.values()), level__gte=3)
                .annotate(kab=Substr("code", 1, 5)).values("kab", "level").annotate(n=Count("code")))
        for row in rows:
            group = row["kab"]
            if pending.get(group) == row["level"] and counts.get((group, row["level"]), 0) >= row["n"]:
                complete.add(group)
    return complete


_cache: VersionedCache[RegionIndex] = VersionedCache(build_index)


def get_index() -> RegionIndex:
    """The current index (built on first use; rebuilt when boundaries changed)."""
    return _cache.get()


def invalidate() -> None:
    """Drop this process's index; the next lookup rebuilds it."""
    _cache.invalidate()


def lookup(lat: float, lng: float) -> LookupResult | None:
    """The deepest region whose boundary covers (lat, lng), with its ancestors; None if none does."""
    index = get_index()
    return index.result_for(index.code_at(lat, lng))


def lookup_code(lat: float, lng: float) -> str | None:
    return get_index().code_at(lat, lng)


def lookup_many(lats, lngs) -> list[LookupResult | None]:
    """Batch lookup: one result (or None) per point, in input order."""
    index = get_index()
    return [index.result_for(code) for code in index.codes_at(lats, lngs)]


def lookup_codes(lats, lngs) -> list[str | None]:
    return get_index().codes_at(lats, lngs)


def land_status(lat: float, lng: float, tolerance_m: float = DEFAULT_COAST_TOLERANCE_M,
                near_m: float = DEFAULT_NEAR_M) -> LandCheck:
    """Is (lat, lng) on land, in the sea, or somewhere no boundary is loaded? See LandCheck."""
    return get_index().land_status(lat, lng, tolerance_m, near_m)


def land_status_many(lats, lngs, tolerance_m: float = DEFAULT_COAST_TOLERANCE_M,
                     near_m: float = DEFAULT_NEAR_M) -> list[LandCheck]:
    return get_index().land_status_many(lats, lngs, tolerance_m, near_m)
