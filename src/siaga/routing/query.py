"""Travel-time tables and routes between points: on a road network where one covers them, else estimated."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor
from siaga.geo import lookup
from siaga.geo.lookup import LandCheck

from . import compile as comp
from .engine import Engine, get_engine
from .models import RoadNetwork
from .services import active_closures

# Median ratio of shortest road distance to straight-line distance over random node pairs more than 500 m
# apart (200 x 50 pairs per network, `benchmarks/bench_routing.py --calibrate`): Kota Balikpapan 1.67,
# central Helsinki 1.49, about 1.6 pooled. Winding Indonesian street grids sit at the top of that range.
DETOUR_FACTOR = 1.6
# Road class whose profile speed an estimate assumes (with the emergency factor).
FALLBACK_ROAD_CLASS = "secondary"
# Between the point and its snapped road position a crew walks or crawls through an alley.
ACCESS_SPEED_KMH = 10.0


def fallback_speed_mps() -> float:
    p = comp.speed_profile()
    return p["speeds_kmh"][FALLBACK_ROAD_CLASS] * p["emergency_factor"] / 3.6


def _check_point(p) -> tuple[float, float]:
    try:
        lat, lng = float(p[0]), float(p[1])
    except (TypeError, ValueError, IndexError) as exc:
        raise ServiceError(_("A point is given as [latitude, longitude]."), code="invalid_point") from exc
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ServiceError(_("The position is outside the valid latitude/longitude range."), code="invalid_position")
    return lat, lng


def coast_tolerance_m() -> float:
    """Within this distance of a loaded boundary (or of a road) a point counts as on land (the shore)."""
    return float(getattr(settings, "SIAGA_ROUTING_COAST_TOLERANCE_M", lookup.DEFAULT_COAST_TOLERANCE_M))


def sea_near_m() -> float:
    """Farther than this from every loaded boundary, nobody knows whether a point is land or sea."""
    return float(getattr(settings, "SIAGA_ROUTING_SEA_NEAR_M", lookup.DEFAULT_NEAR_M))


def land_checks(points: list[tuple[float, float]]) -> list[LandCheck]:
    """Land, sea or unknown for each (lat, lng), decided before any snapping (see siaga.geo.lookup.LandCheck).

    A road is land: a "sea" point within the coast tolerance of a road of a loaded network (a pier, a
    causeway, reclaimed land the boundaries predate) is on land.
    """
    if not points:
        return []
    tol = coast_tolerance_m()
    checks = lookup.land_status_many([p[0] for p in points], [p[1] for p in points], tolerance_m=tol,
                                     near_m=sea_near_m())
    for i, c in enumerate(checks):
        if c.status == lookup.SEA and _beside_road(*points[i], tol):
            checks[i] = replace(c, status=lookup.LAND)
    return checks


def _beside_road(lat: float, lng: float, tolerance_m: float) -> bool:
    # Distance to any road, open or closed (a closed road is still land): no routing snap happens here.
    return any(get_engine(net).snapper.snap(lat, lng, max_m=tolerance_m) for net in networks_covering(lat, lng))


def _sea_point(lat: float, lng: float, c: LandCheck, **extra) -> dict:
    return {**extra, "lat": lat, "lng": lng, "distance_m": c.distance_m, "nearest_region_code": c.nearest_code,
            "nearest_region": c.nearest_name}


def _sea_message(lat: float, lng: float, c: LandCheck) -> str:
    km = (c.distance_m or 0.0) / 1000
    return _("The point %(lat).5f, %(lng).5f is in the sea: %(km).1f km from the nearest coast "
             "(boundary of %(region)s).") % {"lat": lat, "lng": lng, "km": km,
                                              "region": c.nearest_name or c.nearest_code or "?"}


def check_on_land(lat: float, lng: float) -> LandCheck:
    """For other apps (dispatch): the land check of a position; ServiceError "point_in_sea" (422) in the sea.

    Returns the check otherwise: "land", or "unknown" where no boundaries are loaded nearby (callers carry
    on as before there: snap where a network reaches, else estimate).
    """
    lat, lng = _check_point((lat, lng))
    c = land_checks([(lat, lng)])[0]
    if c.status == lookup.SEA:
        raise ServiceError(_sea_message(lat, lng, c), code="point_in_sea", status=422,
                           details={"points": [_sea_point(lat, lng, c)]})
    return c


def _margin_deg() -> float:
    return getattr(settings, "SIAGA_ROUTING_MAX_SNAP_M", 2000.0) / 111_000.0


def networks_covering(lat: float, lng: float):
    m = _margin_deg()
    for net in RoadNetwork.objects.filter(active=True).order_by("-created_at", "-pk"):
        b = net.bbox or []
        if len(b) == 4 and b[0] - m <= lng <= b[2] + m and b[1] - m <= lat <= b[3] + m:
            yield net


@dataclass
class Located:
    """A point as the engine sees it: snapped onto a network, or not covered (estimate)."""

    lat: float
    lng: float
    network: RoadNetwork | None = None
    engine: Engine | None = None
    snaps: list | None = None

    @property
    def snap_m(self) -> float:
        return min(s.distance_m for s in self.snaps) if self.snaps else 0.0


def locate(lat: float, lng: float, network: RoadNetwork | None = None) -> Located:
    nets = [network] if network is not None else networks_covering(lat, lng)
    for net in nets:
        engine = ready_engine(net)
        snaps = engine.snap(lat, lng)
        if snaps:
            return Located(lat, lng, net, engine, snaps)
    return Located(lat, lng)


def ready_engine(net: RoadNetwork) -> Engine:
    """The network's engine with its metric matching the closures live right now (all processes agree)."""
    engine = get_engine(net)
    engine.sync_closures(active_closures(net.pk))
    return engine


def _estimate(a: Located, b: Located) -> dict:
    metres = float(comp.haversine_m(a.lat, a.lng, b.lat, b.lng)) * DETOUR_FACTOR
    return {"seconds": round(metres / fallback_speed_mps(), 1), "metres": round(metres, 1), "estimate": True}


def _access_s(*located: Located) -> float:
    return sum(x.snap_m for x in located) / (ACCESS_SPEED_KMH / 3.6)


def table(actor: Actor, sources: list, target, *, metres: bool = True) -> dict:
    """Travel time from every source (units) to one target (the incident), one many-to-one sweep per network.

    The road distance of each row needs its own path query; a caller that shows only the fastest few rows
    (a recommendation) passes metres=False and asks again for those rows.
    """
    actor.require("routing.view")
    if not sources:
        raise ServiceError(_("Give at least one source point."), code="sources_required")
    if len(sources) > 5000:
        raise ServiceError(_("At most 5,000 source points per table."), code="too_many_sources")
    tlat, tlng = _check_point(target)
    points = [_check_point(p) for p in sources]
    # Land or sea before any snapping: a unit position in the sea is a broken tracker, not a coast road.
    checks = land_checks([(tlat, tlng), *points])
    sea = [i for i, c in enumerate(checks[1:]) if c.status == lookup.SEA]
    if checks[0].status == lookup.SEA or sea:
        first = (tlat, tlng, checks[0]) if checks[0].status == lookup.SEA else (*points[sea[0]], checks[sea[0] + 1])
        details = {"target_in_sea": checks[0].status == lookup.SEA, "sources_in_sea": sea,
                   "points": ([_sea_point(tlat, tlng, checks[0], role="target")]
                              if checks[0].status == lookup.SEA else [])
                   + [_sea_point(*points[i], checks[i + 1], role="source", index=i) for i in sea]}
        message = _sea_message(*first)
        if sea:
            message = "%s %s" % (message, _("Sources in the sea (0-based): %(indices)s.")
                                 % {"indices": ", ".join(str(i) for i in sea)})
        raise ServiceError(message, code="point_in_sea", status=422, details=details)
    tgt = locate(tlat, tlng)
    if tgt.network is None:
        located = [Located(lat, lng) for lat, lng in points]
    else:
        # The target's engine is already in step with the closures: snap every source on it in one query.
        all_snaps = tgt.engine.snap_many([p[0] for p in points], [p[1] for p in points])
        located = [Located(lat, lng, tgt.network, tgt.engine, snaps) if snaps else Located(lat, lng)
                   for (lat, lng), snaps in zip(points, all_snaps)]
    rows = [None] * len(located)
    on_net = [i for i, s in enumerate(located) if s.network is not None]
    if tgt.network is not None and on_net:
        eng = tgt.engine
        arrivals = eng.arrivals(tgt.snaps)
        times = eng.times_to([eng.departures(located[i].snaps) for i in on_net], arrivals)
        for i, ds in zip(on_net, times):
            if ds is None:
                continue
            road_m = None
            if metres:
                p = eng.path(eng.departures(located[i].snaps), arrivals)
                road_m = p[1] if p else None
            rows[i] = {"seconds": round(ds / 10 + _access_s(located[i], tgt), 1),
                       "metres": round(road_m + located[i].snap_m + tgt.snap_m, 1) if road_m is not None else None,
                       "estimate": False}
    results = []
    for i, s in enumerate(located):
        row = rows[i] or _estimate(s, tgt)
        row["snap_m"] = round(s.snap_m, 1) if s.snaps else None
        results.append(row)
    return {"network_id": tgt.network.pk if tgt.network else None, "target_snap_m":
            round(tgt.snap_m, 1) if tgt.snaps else None, "results": results,
            "estimate": any(r["estimate"] for r in results)}


def _instructions(engine: Engine, pieces) -> list[dict]:
    names = engine.a["names"]
    out: list[dict] = []
    for arc, f0, f1 in pieces:
        name = str(names[engine.a["name_code"][arc]])
        metres = float(engine.a["length_m"][arc]) * (f1 - f0)
        if metres <= 0:
            continue
        if out and out[-1]["street"] == name:
            out[-1]["metres"] += metres
        else:
            out.append({"street": name, "metres": metres})
    for step in out:
        street = step["street"] or _("unnamed road")
        step["metres"] = round(step["metres"], 1)
        dist = f"{step['metres'] / 1000:.1f} km" if step["metres"] >= 1000 else f"{step['metres']:.0f} m"
        step["text"] = f"{street} {dist}"
    return out


def route(actor: Actor, origin, destination) -> dict:
    """The fastest route with its geometry ([lat, lng] points) and street-by-street instructions."""
    actor.require("routing.view")
    (olat, olng), (dlat, dlng) = _check_point(origin), _check_point(destination)
    checks = land_checks([(olat, olng), (dlat, dlng)])
    sea = [(role, lat, lng, c) for role, lat, lng, c in
           (("origin", olat, olng, checks[0]), ("destination", dlat, dlng, checks[1])) if c.status == lookup.SEA]
    if sea:
        raise ServiceError(_sea_message(*sea[0][1:]), code="point_in_sea", status=422,
                           details={"points": [_sea_point(lat, lng, c, role=role) for role, lat, lng, c in sea]})
    a = locate(olat, olng)
    b = Located(dlat, dlng)
    if a.network is not None:
        snaps = a.engine.snap(b.lat, b.lng)
        if snaps:
            b = Located(b.lat, b.lng, a.network, a.engine, snaps)
    if a.network is not None and b.network is not None:
        eng = a.engine
        p = eng.path(eng.departures(a.snaps), eng.arrivals(b.snaps))
        if p is not None:
            ds, metres, pieces = p
            geometry = [[a.lat, a.lng]]
            for arc, f0, f1 in pieces:
                pts = eng.snapper.arc_points(arc, f0, f1)
                geometry.extend(pts[1:] if geometry and pts and pts[0] == geometry[-1] else pts)
            geometry.append([b.lat, b.lng])
            return {"network_id": a.network.pk, "seconds": round(ds / 10 + _access_s(a, b), 1),
                    "metres": round(metres + a.snap_m + b.snap_m, 1), "estimate": False,
                    "geometry": geometry, "instructions": _instructions(eng, pieces),
                    "snap_m": [round(a.snap_m, 1), round(b.snap_m, 1)]}
    est = _estimate(a, b)
    return {"network_id": None, **est, "geometry": [[a.lat, a.lng], [b.lat, b.lng]], "instructions": [],
            "snap_m": [None, None]}
