"""Snap any point to the nearest position on a road arc (shapely STRtree over arc polylines in local metres)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.geometry
import shapely.ops
from django.conf import settings

# Further than this from every road, a point is not on the network (sea, forest): callers fall back.
DEFAULT_MAX_SNAP_M = 2000.0
_EARTH_M = 6371008.8


def max_snap_m() -> float:
    return float(getattr(settings, "SIAGA_ROUTING_MAX_SNAP_M", DEFAULT_MAX_SNAP_M))


@dataclass(frozen=True)
class Snap:
    """A point on arc `arc` at `fraction` of its length (0 = tail, 1 = head), `distance_m` from the query point."""

    arc: int
    fraction: float
    distance_m: float
    lat: float
    lng: float


class Snapper:
    def __init__(self, arrays: dict):
        self.lat0 = float(np.mean(arrays["lat"]))
        self.lng0 = float(np.mean(arrays["lng"]))
        self.kx = math.radians(1) * _EARTH_M * math.cos(math.radians(self.lat0))
        self.ky = math.radians(1) * _EARTH_M
        lat, lng = arrays["lat"], arrays["lng"]
        tail, head = arrays["tail"], arrays["head"]
        off = arrays["shape_offsets"]
        slat, slng = arrays["shape_lat"], arrays["shape_lng"]
        lines = []
        for a in range(len(tail)):
            ys = [lat[tail[a]], *slat[off[a]:off[a + 1]], lat[head[a]]]
            xs = [lng[tail[a]], *slng[off[a]:off[a + 1]], lng[head[a]]]
            lines.append(np.column_stack(self.project(np.asarray(ys), np.asarray(xs))))
        self.lines = np.array([shapely.LineString(c) for c in lines], dtype=object)
        self.tree = shapely.STRtree(self.lines)

    def project(self, lat, lng):
        return (np.asarray(lng) - self.lng0) * self.kx, (np.asarray(lat) - self.lat0) * self.ky

    def unproject(self, x, y):
        return y / self.ky + self.lat0, x / self.kx + self.lng0

    def snap(self, lat: float, lng: float, max_m: float | None = None, usable=None) -> list[Snap]:
        """The nearest usable arcs (ties included: both directions of a two-way street); [] beyond max_m.

        usable is a boolean mask over arcs (closed roads are False): a point beside a flooded street
        snaps to the nearest street a crew can still drive.
        """
        max_m = max_snap_m() if max_m is None else max_m
        x, y = self.project(lat, lng)
        pt = shapely.Point(float(x), float(y))
        if usable is None:
            idx, dist = self.tree.query_nearest(pt, max_distance=max_m, return_distance=True, all_matches=True)
        else:
            idx = self.tree.query(pt, predicate="dwithin", distance=max_m)
            idx = idx[usable[idx]]
            dist = shapely.distance(self.lines[idx], pt)
        if len(idx) == 0:
            return []
        best = float(np.min(dist))
        out = []
        for a, d in zip(idx, dist):
            if d > best + 0.01:
                continue
            line = self.lines[a]
            frac = float(line.project(pt, normalized=True)) if line.length > 0 else 0.0
            p = line.interpolate(frac, normalized=True)
            plat, plng = self.unproject(p.x, p.y)
            out.append(Snap(arc=int(a), fraction=frac, distance_m=float(d), lat=float(plat), lng=float(plng)))
        return out

    def snap_many(self, lats, lngs, max_m: float | None = None, usable=None) -> list[list[Snap]]:
        """snap() for many points at once: one nearest-neighbour query and vectorised projections."""
        lats = np.asarray(lats, dtype=float)
        lngs = np.asarray(lngs, dtype=float)
        if usable is not None or len(lats) == 0:
            # Closed roads make the candidate set per point irregular; closures are rare, so loop.
            return [self.snap(float(a), float(b), max_m, usable) for a, b in zip(lats, lngs)]
        max_m = max_snap_m() if max_m is None else max_m
        x, y = self.project(lats, lngs)
        pts = shapely.points(x, y)
        (p_idx, a_idx), dist = self.tree.query_nearest(pts, max_distance=max_m, return_distance=True,
                                                       all_matches=True)
        out: list[list[Snap]] = [[] for _ in range(len(lats))]
        if len(p_idx) == 0:
            return out
        best = np.full(len(lats), np.inf)
        np.minimum.at(best, p_idx, dist)
        keep = dist <= best[p_idx] + 0.01
        p_idx, a_idx, dist = p_idx[keep], a_idx[keep], dist[keep]
        lines = self.lines[a_idx]
        fracs = shapely.line_locate_point(lines, pts[p_idx], normalized=True)
        fracs = np.where(shapely.length(lines) > 0, fracs, 0.0)
        on_line = shapely.line_interpolate_point(lines, fracs, normalized=True)
        plat, plng = self.unproject(shapely.get_x(on_line), shapely.get_y(on_line))
        for i, a, f, d, la, ln in zip(p_idx, a_idx, fracs, dist, plat, plng):
            out[int(i)].append(Snap(arc=int(a), fraction=float(f), distance_m=float(d), lat=float(la), lng=float(ln)))
        return out

    def arcs_in_area(self, geojson) -> np.ndarray:
        """Boolean mask of arcs that touch a GeoJSON (lon, lat) polygon."""
        geom = shapely.geometry.shape(geojson)
        local = shapely.transform(geom, lambda c: np.column_stack(self.project(c[:, 1], c[:, 0])))
        mask = np.zeros(len(self.lines), dtype=bool)
        mask[self.tree.query(local, predicate="intersects")] = True
        return mask

    def arc_points(self, arc: int, start: float = 0.0, end: float = 1.0) -> list[list[float]]:
        """[lat, lng] points of an arc between two fractions (for route geometry)."""
        line = self.lines[arc]
        if start > 0.0 or end < 1.0:
            line = shapely.ops.substring(line, start, end, normalized=True)
        coords = np.asarray(line.coords) if not line.is_empty else np.empty((0, 2))
        if coords.ndim == 1:  # a substring of zero length is a Point
            coords = coords.reshape(1, -1)
        plat, plng = self.unproject(coords[:, 0], coords[:, 1])
        return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(plat, plng)]
