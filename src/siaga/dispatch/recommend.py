"""Which unit to send: dispatchable units ranked by road travel time from their live positions, with the
kecamatan each one would leave without a unit within target; and the coverage of the area right now.

Travel times come from the routing engine (one many-to-one sweep for all units). A unit whose
position is unknown stands at its home station. Coverage is judged at kecamatan centres against the
response target of priority SIAGA_DISPATCH_COVERAGE_PRIORITY (default 1, the strictest): a kecamatan
is covered when at least one dispatchable unit reaches it within the target; sending a unit
uncovers the kecamatan that only it covers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor, system_actor
from siaga.routing import query
from siaga.routing.compile import haversine_m
from siaga.routing.coverage import targets_minutes, travel_matrix

from . import crewing
from .models import Unit
from .services import DISPATCHABLE_STATUSES, can_dispatch_directly, unit_visibility_q, visible_units

# A position older than this is shown as stale (the unit may have moved since).
STALE_AFTER = dt.timedelta(minutes=5)


def coverage_priority() -> int:
    return int(getattr(settings, "SIAGA_DISPATCH_COVERAGE_PRIORITY", 1))


def unit_point(unit: Unit) -> tuple[float, float] | None:
    """Where a unit is: its live position, else its home station; None if neither is known."""
    if unit.lat is not None and unit.lng is not None:
        return unit.lat, unit.lng
    if unit.station_id and unit.station.lat is not None:
        return unit.station.lat, unit.station.lng
    return None


def travel_times(units: list[Unit], incident, *, metres: bool = True) -> list[dict | None]:
    """Road travel time from each unit to the incident (None for a unit with no known position)."""
    if incident.lat is None or incident.lng is None:
        raise ServiceError(_("The incident has no position yet: give its location first."), code="no_location")
    points = [unit_point(u) for u in units]
    idx = [i for i, p in enumerate(points) if p is not None]
    out: list[dict | None] = [None] * len(units)
    if not idx:
        return out
    # Permission was checked by the caller (dispatch.create / unit.view); the table reads no tenant rows.
    sys = system_actor()
    target = [incident.lat, incident.lng]
    try:
        rows = query.table(sys, [list(points[i]) for i in idx], target, metres=metres)["results"]
    except ServiceError as exc:
        if exc.code != "point_in_sea" or (exc.details or {}).get("target_in_sea"):
            raise
        # A unit's bad fix (a position in the sea) must not hide every other unit: leave those out.
        bad = set((exc.details or {}).get("sources_in_sea") or [])
        keep = [k for k in range(len(idx)) if k not in bad]
        rows = [None] * len(idx)
        if keep:
            good = query.table(sys, [list(points[idx[k]]) for k in keep], target, metres=metres)["results"]
            for k, row in zip(keep, good):
                rows[k] = row
    for i, row in zip(idx, rows):
        out[i] = row
    return out


def _mutual_aid_radius_m() -> float:
    return float(getattr(settings, "SIAGA_DISPATCH_MUTUAL_AID_RADIUS_KM", 60)) * 1000


def _candidates(actor: Actor, capability: str, now: dt.datetime, near=None) -> list[tuple[Unit, bool]]:
    """Units the actor may send (direct) plus units of others offered for mutual aid near `near` (request needed)."""
    mine = list(visible_units(actor).filter(active=True, status__in=DISPATCHABLE_STATUSES))
    offered = []
    if not actor.is_platform_admin and near is not None:
        offered = list(Unit.objects.filter(active=True, status__in=DISPATCHABLE_STATUSES, mutual_aid=True)
                       .exclude(unit_visibility_q(actor)).select_related("station", "organization"))
        # Across provinces is the point of mutual aid, across the country is not: a radius around the incident.
        radius = _mutual_aid_radius_m()
        offered = [u for u in offered if (p := unit_point(u)) is not None
                   and float(haversine_m(p[0], p[1], near[0], near[1])) <= radius]
    units = [(u, can_dispatch_directly(actor, u)) for u in mine] + [(u, False) for u in offered]
    # JSON containment is not portable to SQLite; capability lists are short, so they are filtered here.
    units = [(u, d) for u, d in units if not capability or capability in (u.capabilities or [])]
    crewed = crewing.crewed_among([u for u, _d in units], now)
    return [(u, d) for u, d in units if u.pk in crewed]


def _kecamatan(region_code: str) -> list[dict]:
    from siaga.geo.models import Region

    kab = ".".join(region_code.split(".")[:2]) if region_code else ""
    if kab.count(".") != 1:
        return []
    return [{"code": c, "name": n, "lat": la, "lng": ln} for c, n, la, ln in
            Region.objects.filter(level=3, code__startswith=kab + ".", lat__isnull=False, lng__isnull=False)
            .order_by("code").values_list("code", "name", "lat", "lng")]


def _seconds_matrix(points: list[tuple[float, float]], kec: list[dict]) -> np.ndarray:
    """Seconds from every unit point to every kecamatan centre: on the road network where one covers them."""
    targets = [(k["lat"], k["lng"]) for k in kec]
    if not points or not targets:
        return np.zeros((len(points), len(targets)))
    net = next(iter(query.networks_covering(*targets[0])), None)
    if net is not None:
        return travel_matrix(query.ready_engine(net), points, targets).seconds
    speed = query.fallback_speed_mps()
    out = np.zeros((len(points), len(targets)))
    for i, (la, ln) in enumerate(points):
        for j, (tla, tln) in enumerate(targets):
            out[i, j] = float(haversine_m(la, ln, tla, tln)) * query.DETOUR_FACTOR / speed
    return out


def coverage_now(actor: Actor, region_code: str, *, units: list[Unit] | None = None, leaving: list[int] = (),
                 targets: dict[int, int] | None = None) -> dict:
    """Kecamatan of region_code's kab/kota and whether a dispatchable unit reaches each within target;
    `uncovered_if[unit_id]` lists the kecamatan that only that unit covers."""
    actor.require("unit.view")
    kec = _kecamatan(region_code)
    target_s = (targets or targets_minutes())[coverage_priority()] * 60
    now = timezone.now()
    if units is None:
        units = [u for u, direct in _candidates(actor, "", now) if direct]
    units = [u for u in units if u.pk not in set(leaving)]
    located = [(u, unit_point(u)) for u in units]
    located = [(u, p) for u, p in located if p is not None]
    secs = _seconds_matrix([p for _u, p in located], kec)
    within = secs <= target_s if secs.size else np.zeros((len(located), len(kec)), dtype=bool)
    count = within.sum(axis=0) if within.size else np.zeros(len(kec), dtype=int)
    best = secs.min(axis=0) if secs.size else np.full(len(kec), np.inf)
    rows = [{**k, "covered": bool(count[j] > 0), "units_within": int(count[j]),
             "best_seconds": round(float(best[j]), 1) if np.isfinite(best[j]) else None} for j, k in enumerate(kec)]
    uncovered_if = {}
    for i, (u, _p) in enumerate(located):
        lost = [kec[j]["code"] for j in range(len(kec)) if within[i, j] and count[j] == 1]
        uncovered_if[u.pk] = lost
    return {"region_code": ".".join(region_code.split(".")[:2]), "priority": coverage_priority(),
            "target_minutes": target_s // 60, "kecamatan": rows, "uncovered_if": uncovered_if,
            "uncovered": [r["code"] for r in rows if not r["covered"]]}


def recommend(actor: Actor, incident_id: int, *, limit: int = 20) -> dict:
    """Dispatchable units with the capability the incident's type needs, fastest first."""
    from siaga.callcenter import services as cc

    actor.require("dispatch.create")
    incident = cc.get_incident(actor, incident_id)
    capability = incident.type.needs_capability or ""
    now = timezone.now()
    near = (incident.lat, incident.lng) if incident.lat is not None else None
    cands = _candidates(actor, capability, now, near)
    # Times for every candidate in one sweep; road distances (a path query each) only for the rows shown.
    times = travel_times([u for u, _d in cands], incident, metres=False)
    targets = targets_minutes()
    cov = coverage_now(actor, incident.region_code or "", units=[u for u, d in cands if d], targets=targets) \
        if incident.region_code else {"uncovered_if": {}, "kecamatan": []}
    names = {k["code"]: k["name"] for k in cov["kecamatan"]}
    rows = []
    for (u, direct), t in zip(cands, times):
        point = unit_point(u)
        stale = u.position_at is None or now - u.position_at > STALE_AFTER
        rows.append({
            "unit_id": u.pk, "call_sign": u.call_sign, "organization_id": u.organization_id,
            "organization_name": u.organization.name, "kind": u.kind, "status": u.status,
            "lat": point[0] if point else None, "lng": point[1] if point else None,
            "position_at": u.position_at, "position_stale": stale,
            "at_station": u.lat is None and point is not None,
            "eta_seconds": t["seconds"] if t else None, "distance_m": t["metres"] if t else None,
            "estimate": bool(t["estimate"]) if t else True, "direct": direct,
            "leaves_uncovered": [{"code": c, "name": names.get(c, c)} for c in cov["uncovered_if"].get(u.pk, [])],
        })
    # Fastest first; a unit of ours before one that must be requested at the same time; unknown positions last.
    rows.sort(key=lambda r: (r["eta_seconds"] is None, r["eta_seconds"] or 0, not r["direct"], r["call_sign"]))
    rows = rows[:limit]
    shown = [r for r in rows if r["eta_seconds"] is not None and not r["estimate"]]
    if shown:
        by_id = {u.pk: u for u, _d in cands}
        for r, t in zip(shown, travel_times([by_id[r["unit_id"]] for r in shown], incident)):
            r["distance_m"] = t["metres"] if t else None
    return {"incident": {"id": incident.pk, "number": incident.number, "lat": incident.lat, "lng": incident.lng,
                         "type": incident.type.name, "priority": incident.priority,
                         "region_code": incident.region_code},
            "capability": capability, "target_minutes": targets[incident.priority],
            "coverage_target_minutes": targets[coverage_priority()],
            "units": rows}
