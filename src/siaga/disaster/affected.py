"""Which kab/kota, kecamatan and kelurahan a warning's area covers, with the share of each region covered.

The candidates come from the boundary STRtrees the point lookup already keeps (siaga.geo.lookup), one per
level; only regions whose bounding box meets the warning area are intersected exactly. Shares are ratios of
areas in degrees², which is exact enough within one region (the cos(latitude) factor cancels); km² use the
cos(latitude) of the covered part's centroid.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext as _

from siaga.geo import lookup

from .cap import ParseError

KM_PER_DEG = 111.32
# Levels reported: kab/kota (2) where nothing finer is loaded, kecamatan (3) and desa/kelurahan (4).
LEVELS = (2, 3, 4)
# Below this share of a region's area (or one m² of cover) a touch along a shared border is not a hit.
MIN_SHARE = 1e-6


@dataclass(frozen=True)
class Hit:
    code: str
    level: int
    name: str
    share: float  # of the region's area covered (0..1)
    warning_share: float  # of the warning's area lying in the region (0..1)
    area_km2: float


def km2(geom) -> float:
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * KM_PER_DEG * KM_PER_DEG * math.cos(math.radians(lat))


def _polygonal(geom):
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in shapely.get_parts(geom) for p in _polygonal(part)]
    return []


def repair(geom, label: str) -> tuple[object, list[str]]:
    """A valid polygonal geometry and notes on what was repaired; ParseError when nothing polygonal is left."""
    if geom.is_valid:
        return geom, []
    reason = shapely.is_valid_reason(geom)
    parts = _polygonal(shapely.make_valid(geom))
    if not parts:
        raise ParseError(_("%(what)s is not a usable polygon (%(reason)s) and could not be repaired.")
                         % {"what": label, "reason": reason})
    fixed = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    return fixed, [_("%(what)s was invalid (%(reason)s) and was repaired.") % {"what": label, "reason": reason}]


def circle(lat: float, lng: float, radius_km: float, segments: int = 64):
    """A CAP circle as a polygon (an ellipse in degrees, so its ground radius is right in every direction)."""
    if radius_km <= 0:
        return shapely.Polygon()
    angles = np.linspace(0, 2 * math.pi, segments, endpoint=False)
    dlat = radius_km / KM_PER_DEG
    dlng = radius_km / (KM_PER_DEG * max(math.cos(math.radians(lat)), 1e-6))
    ring = np.column_stack([lng + dlng * np.cos(angles), lat + dlat * np.sin(angles)])
    return shapely.Polygon(ring)


def area_geometry(areas: list[dict]) -> tuple[object | None, list[str]]:
    """The union of stored CAP areas ({"desc", "polygons": [[[lon, lat], ...]], "circles": [[lat, lon, km]]}),
    repaired where a polygon crosses itself; (None, []) when the areas carry no geometry."""
    parts, notes = [], []
    for m, area in enumerate(areas, 1):
        for i, ring in enumerate(area.get("polygons") or [], 1):
            label = _("Polygon %(i)d of area %(n)d (%(desc)s)") % {"i": i, "n": m, "desc": area.get("desc", "")}
            try:
                geom = shapely.Polygon(ring)
            except (ValueError, TypeError, shapely.errors.GEOSException):
                raise ParseError(_("%(what)s has malformed coordinates.") % {"what": label})
            geom, why = repair(geom, label)
            notes += why
            parts.append(geom)
        for lat, lng, radius in area.get("circles") or []:
            parts.append(circle(lat, lng, radius))
    parts = [p for p in parts if not p.is_empty]
    if not parts:
        return None, notes
    union = shapely.union_all(parts)
    union, why = repair(union, _("The union of the areas"))
    return union, notes + why


def to_geojson(geom) -> dict | None:
    if geom is None or geom.is_empty:
        return None
    return json.loads(shapely.to_geojson(geom))


def from_geojson(data: dict | None):
    if not data:
        return None
    return shapely.from_geojson(json.dumps(data))


def affected_regions(geom, index: lookup.RegionIndex | None = None, levels=LEVELS) -> list[Hit]:
    """Regions of the given levels that geom covers, with shares; uses the STRtree of each level."""
    if geom is None or geom.is_empty:
        return []
    index = index or lookup.get_index()
    total = geom.area
    shapely.prepare(geom)
    hits: list[Hit] = []
    for lv in index.levels:
        if lv.level not in levels:
            continue
        candidates = lv.tree.query(geom, predicate="intersects")
        if not candidates.size:
            continue
        regions = lv.geoms[candidates]
        # A region wholly inside the warning is covered entirely: no need to build the intersection.
        inside = shapely.contains_properly(geom, regions)
        parts = regions.copy()
        if not inside.all():
            parts[~inside] = shapely.intersection(regions[~inside], geom)
        # Areas and centroids for all candidates at once: per-geometry Python calls would cost more than the tree saves.
        part_area = shapely.area(parts)
        region_area = shapely.area(regions)
        lat = shapely.get_y(shapely.centroid(parts))
        share = np.divide(part_area, region_area, out=np.zeros_like(part_area), where=region_area > 0)
        keep = share >= MIN_SHARE
        for code, sh, pa, la in zip(lv.codes[candidates][keep], share[keep], part_area[keep], lat[keep]):
            hits.append(Hit(code=str(code), level=int(lv.level), name=index.names.get(code, (code, 0))[0],
                            share=min(1.0, float(sh)),
                            warning_share=min(1.0, float(pa / total)) if total > 0 else 0.0,
                            area_km2=float(pa * KM_PER_DEG * KM_PER_DEG * math.cos(math.radians(la)))))
    hits.sort(key=lambda h: h.code)
    return hits


def _hit(code, level, region, part, total, index) -> Hit | None:
    region_area = region.area
    if part.is_empty or region_area <= 0:
        return None
    share = min(1.0, part.area / region_area)
    if share < MIN_SHARE:
        return None
    name = index.names.get(code, (code, level))[0]
    return Hit(code=str(code), level=int(level), name=name, share=share,
               warning_share=min(1.0, part.area / total) if total > 0 else 0.0, area_km2=km2(part))


def affected_regions_plain(geom, index: lookup.RegionIndex | None = None, levels=LEVELS) -> list[Hit]:
    """The same answer without the STRtree: every boundary is intersected (the benchmark's baseline)."""
    if geom is None or geom.is_empty:
        return []
    index = index or lookup.get_index()
    total = geom.area
    hits = []
    for lv in index.levels:
        if lv.level not in levels:
            continue
        for code, region in zip(lv.codes, lv.geoms):
            if region.intersects(geom):
                hit = _hit(code, lv.level, region, region.intersection(geom), total, index)
                if hit:
                    hits.append(hit)
    hits.sort(key=lambda h: h.code)
    return hits
