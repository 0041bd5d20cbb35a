"""Point-to-region lookup: which desa/kelurahan (or the deepest region with a boundary) contains a point.

The index is built in process from every region that has a boundary: one STRtree of prepared
polygons per level. A point is matched against the deepest level first (desa/kelurahan, then
kecamatan, kab/kota, province), so an area whose kelurahan are not loaded still answers with its
kecamatan or kab/kota. A point on a shared border belongs to the region with the smallest code,
so answers are deterministic. The index is rebuilt lazily when boundaries change (see cache.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class _Level:
    level: int
    codes: np.ndarray  # object array of codes, ascending
    geoms: np.ndarray  # prepared shapely geometries, same order
    tree: shapely.STRtree


class RegionIndex:
    """STRtrees over the boundaries of one snapshot of the region table."""

    def __init__(self, rows: list[tuple[str, int, object]], names: dict[str, tuple[str, int]]):
        self.names = names
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
    return RegionIndex([(code, level, geom) for (code, level, _t), geom in zip(rows, geoms)], names)


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
