"""Live positions: ingest of points from crew phones and vehicle trackers into a unit's track, and its latest position.

Points come one at a time or in batches (a phone's or tracker's offline queue). Each point is judged on
its own and answered accepted / duplicate / flagged / refused with a reason; the valid points of a batch
are written in one transaction.

- Idempotent: a unit has one point per instant (measured_at); a replay is answered "duplicate".
- Out of order: an older point joins the track in time order but never moves the unit back; the unit's
  lat/lng/position_at only advance.
- Refused (not stored): impossible coordinates (outside range, not finite, 0,0 "null island"), a time
  without zone, in the future beyond MAX_CLOCK_SKEW, or older than SIAGA_DISPATCH_POSITION_MAX_AGE_HOURS.
- Flagged (stored, never moves the unit, never a neighbour for later checks): a jump from the neighbouring
  accepted point implying more than SIAGA_DISPATCH_MAX_SPEED_KMH ("impossible_speed"), or a point in the
  sea where the routing app can tell ("in_sea").

Each point is telemetry, not a decision: there is no audit row per point (200 points a second would
drown the audit log); the track row itself keeps source and arrival time. The new latest position is
snapped onto the road network and announced as a transient "unit.position" event (no outbox row: the
next position supersedes it within seconds). A unit lent under an active mutual-aid grant is announced to its
borrower as well (shared_with), and on both sides' mutual-aid request page (siaga.disaster.mutualaid.live).
"""

from __future__ import annotations

import bisect
import datetime as dt
import logging
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from siaga.core.errors import NotFound, ServiceError
from siaga.core.events import publish_transient
from siaga.core.permissions import Actor, PermissionDenied

from . import crewing, services
from .models import Dispatch, PositionReport, PositionSource, Unit

logger = logging.getLogger(__name__)

MAX_CLOCK_SKEW = services.MAX_CLOCK_SKEW
DEFAULT_MAX_SPEED_KMH = 250.0
DEFAULT_BATCH_LIMIT = 500
DEFAULT_MAX_AGE_HOURS = 24 * 7
# GPS fixes jitter by their accuracy: a jump is measured after taking off both points' accuracy (capped, so
# a tracker claiming 5 km accuracy cannot excuse anything) and a few metres of jitter.
JITTER_M = 20.0
MAX_ACCURACY_SLACK_M = 200.0
# Closer than this to 0,0 (in degrees) is a receiver without a fix reporting zeros, not a place.
NULL_ISLAND_DEG = 0.001

ACCEPTED, DUPLICATE, FLAGGED, REFUSED = "accepted", "duplicate", "flagged", "refused"


def max_speed_kmh() -> float:
    return float(getattr(settings, "SIAGA_DISPATCH_MAX_SPEED_KMH", DEFAULT_MAX_SPEED_KMH))


def batch_limit() -> int:
    return int(getattr(settings, "SIAGA_DISPATCH_POSITION_BATCH", DEFAULT_BATCH_LIMIT))


def max_age() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "SIAGA_DISPATCH_POSITION_MAX_AGE_HOURS",
                                            DEFAULT_MAX_AGE_HOURS)))


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lng2 - lng1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(min(a, 1.0)))


# --- results ----------------------------------------------------------------------------------------------


@dataclass
class PointResult:
    index: int
    status: str
    measured_at: dt.datetime | None = None
    id: int | None = None
    code: str = ""
    message: str = ""


@dataclass
class IngestResult:
    unit: Unit
    points: list[PointResult] = field(default_factory=list)
    moved: bool = False

    def count(self, status: str) -> int:
        return sum(1 for p in self.points if p.status == status)


class _Refused(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class _Point:
    index: int
    lat: float
    lng: float
    measured_at: dt.datetime
    accuracy_m: float | None
    speed_kmh: float | None
    heading_deg: float | None
    source: str


# --- checking one point -------------------------------------------------------------------------------------


def _number(raw: dict, name: str, *, required: bool = False) -> float | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise _Refused("invalid_position", _("The point has no %(field)s.") % {"field": name})
        return None
    if isinstance(value, bool):
        value = "x"  # true/false is not a number, whatever Python thinks
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Refused("invalid_number", _("%(field)s is not a number.") % {"field": name}) from None
    if not math.isfinite(number):
        raise _Refused("invalid_number", _("%(field)s is not a finite number.") % {"field": name})
    return number


def _time(raw: dict, now: dt.datetime) -> dt.datetime:
    value = raw.get("measured_at")
    if isinstance(value, str):
        try:
            value = parse_datetime(value)
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        raise _Refused("invalid_time", _("measured_at must be a date and time (ISO 8601 with its zone)."))
    if timezone.is_naive(value):
        raise _Refused("naive_time", _("measured_at needs its time zone."))
    value = value.astimezone(dt.UTC)
    if value > now + MAX_CLOCK_SKEW:
        raise _Refused("time_in_future", _("The point's time lies in the future; check the device's clock."))
    if value < now - max_age():
        raise _Refused("time_too_old", _("The point is too old to join the track."))
    return value


def _parse(index: int, raw, now: dt.datetime, default_source: str) -> _Point:
    if hasattr(raw, "model_dump"):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        raise _Refused("invalid_point", _("A point is an object with lat, lng and measured_at."))
    lat = _number(raw, "lat", required=True)
    lng = _number(raw, "lng", required=True)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise _Refused("invalid_position", _("The position is outside the valid latitude/longitude range."))
    if abs(lat) < NULL_ISLAND_DEG and abs(lng) < NULL_ISLAND_DEG:
        raise _Refused("null_island", _("The position is 0,0: the device has no fix yet."))
    accuracy = _number(raw, "accuracy_m")
    if accuracy is not None and accuracy < 0:
        raise _Refused("invalid_accuracy", _("accuracy_m cannot be negative."))
    speed = _number(raw, "speed_kmh")
    if speed is not None and not (0 <= speed <= 1000):
        raise _Refused("invalid_speed", _("speed_kmh must lie between 0 and 1000."))
    heading = _number(raw, "heading_deg")
    if heading is not None:
        if not (0 <= heading <= 360):
            raise _Refused("invalid_heading", _("heading_deg must lie between 0 and 360."))
        heading = heading % 360
    source = raw.get("source") or default_source
    if source not in PositionSource.values:
        raise _Refused("invalid_source", _("Unknown position source: %(source)s.") % {"source": source})
    return _Point(index, lat, lng, _time(raw, now), accuracy, speed, heading, source)


@dataclass
class _Fix:
    """An accepted point of the track, as the speed check needs it."""

    at: dt.datetime
    lat: float
    lng: float
    accuracy_m: float | None


def _implied_kmh(a: _Fix, b: _Point | _Fix) -> float:
    slack = min((a.accuracy_m or 0.0) + (b.accuracy_m or 0.0), MAX_ACCURACY_SLACK_M) + JITTER_M
    metres = max(0.0, haversine_m(a.lat, a.lng, b.lat, b.lng) - slack)
    seconds = max(abs((b.at if isinstance(b, _Fix) else b.measured_at) - a.at).total_seconds(), 1.0)
    return metres / seconds * 3.6


def _in_sea(lat: float, lng: float) -> bool:
    """Whether the routing app says the point is in the sea (a check another engineer adds; absent = never)."""
    from siaga.routing import query

    check = getattr(query, "check_on_land", None)
    if check is None:
        return False
    try:
        check(lat, lng)
    except ServiceError as exc:
        return exc.code == "point_in_sea"
    return False


# --- who may report ------------------------------------------------------------------------------------------


def _is_device(actor: Actor) -> bool:
    return bool((actor.extra or {}).get("token_id"))


def _authorize(actor: Actor, unit: Unit | None, now: dt.datetime) -> str:
    """The crew aboard the unit now, or a device token of the unit's organisation (a vehicle tracker).

    Returns the source the points default to.
    """
    if unit is None:
        raise NotFound(_("Unit not found."))
    if _is_device(actor) and actor.can_see(unit.organization_id, unit.region_code):
        return PositionSource.TRACKER
    if crewing.is_crew_of(actor.user, unit, now):
        return PositionSource.PHONE
    if actor.is_platform_admin:
        return PositionSource.MANUAL
    if actor.has("unit.view") and services.visible_units(actor).filter(pk=unit.pk).exists():
        raise PermissionDenied(_("Only the crew aboard %(cs)s or its organisation's tracker may report its "
                                 "position.") % {"cs": unit.call_sign})
    raise NotFound(_("Unit not found."))  # another organisation's unit does not exist for this actor


# --- ingest ---------------------------------------------------------------------------------------------------


def _stored(unit: Unit, first: dt.datetime, last: dt.datetime) -> tuple[dict[dt.datetime, int], list[_Fix]]:
    """For a batch spanning first..last: the points already stored in that span (instant -> id), and the accepted
    points of the track its points are compared with (those in the span and the nearest on either side)."""
    cols = ("measured_at", "lat", "lng", "accuracy_m")
    existing: dict[dt.datetime, int] = {}
    fixes: list[_Fix] = []
    for at, pk, flag, lat, lng, acc in (PositionReport.objects.filter(unit=unit, measured_at__gte=first,
                                                                      measured_at__lte=last)
                                        .order_by("measured_at").values_list("measured_at", "pk", "flag", *cols[1:])):
        existing[at] = pk
        if not flag:
            fixes.append(_Fix(at, lat, lng, acc))
    accepted = PositionReport.objects.filter(unit=unit, flag="")
    before = accepted.filter(measured_at__lt=first).order_by("-measured_at").values_list(*cols).first()
    # The unit's position is the newest accepted point: nothing accepted lies after it (saves a query per post).
    after = None
    if unit.position_at is not None and unit.position_at > last:
        after = accepted.filter(measured_at__gt=last).order_by("measured_at").values_list(*cols).first()
    return existing, ([_Fix(*before)] if before else []) + fixes + ([_Fix(*after)] if after else [])


def _snap(lat: float, lng: float) -> tuple[float | None, float | None, float | None]:
    """The nearest open road position (lat, lng, metres away), or Nones where no network reaches."""
    from siaga.routing.query import locate

    try:
        located = locate(lat, lng)
    except Exception:  # noqa: BLE001 - a broken network file must not stop positions being recorded
        logger.warning("could not snap a unit position to the road network", exc_info=True)
        return None, None, None
    if not located.snaps:
        return None, None, None
    best = min(located.snaps, key=lambda s: s.distance_m)
    return float(best.lat), float(best.lng), round(float(best.distance_m), 1)


def position_payload(unit: Unit) -> dict:
    return {"id": unit.pk, "call_sign": unit.call_sign, "lat": unit.lat, "lng": unit.lng, "at": unit.position_at,
            "speed_kmh": unit.speed_kmh, "heading_deg": unit.heading_deg, "snapped_lat": unit.snapped_lat,
            "snapped_lng": unit.snapped_lng}


def _announce(unit: Unit) -> None:
    from siaga.disaster.mutualaid import live as mutual_aid

    working_for = None
    if unit.current_dispatch_id:
        working_for = Dispatch.objects.only("organization_id", "region_code").filter(pk=unit.current_dispatch_id).first()
    # A unit on loan under an active mutual-aid grant is followed by its borrower too, for the loan's duration.
    loans = mutual_aid.active_requests_for_unit(unit.pk)
    publish_transient("unit.position", position_payload(unit), organization=unit.organization_id,
                      region_code=services.shared_region(unit.region_code,
                                                         working_for.region_code if working_for else ""),
                      shared_with={*services.unit_parties(unit, working_for), *(r.organization_id for r in loans)})
    mutual_aid.announce_position(unit, loans)


def record_positions(actor: Actor, unit_id: int, points: list, *, source: str | None = None) -> IngestResult:
    """Add points to a unit's track and advance its latest position; see the module docstring for the rules."""
    now = timezone.now()
    actor.require("position.create")
    if not isinstance(points, (list, tuple)) or not points:
        raise ServiceError(_("Give at least one point."), code="points_required", status=422)
    limit = batch_limit()
    if len(points) > limit:
        raise ServiceError(_("At most %(n)d points per batch.") % {"n": limit}, code="batch_too_large", status=422,
                           details={"limit": limit, "given": len(points)})
    if source is not None and source not in PositionSource.values:
        raise ServiceError(_("Unknown position source: %(source)s.") % {"source": source}, code="invalid_source",
                           status=422)

    results: dict[int, PointResult] = {}
    moved = False
    with transaction.atomic():
        # One writer per unit at a time: the duplicate check and "only advance" below rely on it.
        unit = Unit.objects.select_for_update().filter(pk=unit_id).first()
        authorized_as = _authorize(actor, unit, now)
        default_source = source or authorized_as
        reporter = actor.user if getattr(actor.user, "pk", None) else None
        valid: list[_Point] = []
        for i, raw in enumerate(points):
            try:
                valid.append(_parse(i, raw, now, default_source))
            except _Refused as exc:
                results[i] = PointResult(i, REFUSED, code=exc.code, message=exc.message)
        if valid:
            valid.sort(key=lambda p: (p.measured_at, p.index))
            existing, track = _stored(unit, valid[0].measured_at, valid[-1].measured_at)
            times = [f.at for f in track]
            limit_kmh = max_speed_kmh()
            seen: set[dt.datetime] = set()
            new_rows: list[tuple[_Point, PositionReport]] = []
            for p in valid:
                if p.measured_at in existing or p.measured_at in seen:
                    results[p.index] = PointResult(p.index, DUPLICATE, p.measured_at, existing.get(p.measured_at),
                                                   code="duplicate",
                                                   message=_("This point is already in the track."))
                    continue
                seen.add(p.measured_at)
                at = bisect.bisect_left(times, p.measured_at)
                near = [track[j] for j in (at - 1, at) if 0 <= j < len(track)]
                flag, message = "", ""
                if any(_implied_kmh(f, p) > limit_kmh for f in near):
                    flag = "impossible_speed"
                    message = (_("The jump from the neighbouring point implies more than %(kmh)d km/h; kept in the "
                                 "track, flagged, and the unit was not moved.") % {"kmh": round(limit_kmh)})
                elif _in_sea(p.lat, p.lng):
                    flag = "in_sea"
                    message = _("The point lies in the sea; kept in the track, flagged, and the unit was not moved.")
                if not flag:
                    track.insert(at, _Fix(p.measured_at, p.lat, p.lng, p.accuracy_m))
                    times.insert(at, p.measured_at)
                row = PositionReport(unit=unit, lat=p.lat, lng=p.lng, measured_at=p.measured_at, received_at=now,
                                     accuracy_m=p.accuracy_m, speed_kmh=p.speed_kmh, heading_deg=p.heading_deg,
                                     source=p.source, flag=flag, reported_by=reporter)
                new_rows.append((p, row))
                results[p.index] = PointResult(p.index, FLAGGED if flag else ACCEPTED, p.measured_at, code=flag,
                                               message=message)
            if new_rows:
                PositionReport.objects.bulk_create([row for _, row in new_rows])
                for p, row in new_rows:
                    results[p.index].id = row.pk
            newest = max((p for p, row in new_rows if not row.flag), key=lambda p: p.measured_at, default=None)
            if newest is not None and (unit.position_at is None or newest.measured_at > unit.position_at):
                unit.lat, unit.lng, unit.position_at = newest.lat, newest.lng, newest.measured_at
                unit.speed_kmh, unit.heading_deg = newest.speed_kmh, newest.heading_deg
                unit.snapped_lat, unit.snapped_lng, unit.snap_m = _snap(newest.lat, newest.lng)
                unit.save(update_fields=["lat", "lng", "position_at", "speed_kmh", "heading_deg", "snapped_lat",
                                         "snapped_lng", "snap_m"])
                _announce(unit)
                moved = True
    return IngestResult(unit=unit, points=[results[i] for i in range(len(points))], moved=moved)


# --- reading --------------------------------------------------------------------------------------------------


@dataclass
class Track:
    unit: Unit
    since: dt.datetime
    until: dt.datetime
    points: list[PositionReport]
    truncated: bool  # more points than the limit: the latest ones are given


def track(actor: Actor, unit_id: int, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
          include_flagged: bool = False, limit: int = 1000) -> Track:
    """A unit's track between since and until (default: the last two hours), oldest first."""
    unit = services.get_unit(actor, unit_id)
    until = until or timezone.now() + MAX_CLOCK_SKEW
    since = since or until - dt.timedelta(hours=2)
    for value in (since, until):
        if timezone.is_naive(value):
            raise ServiceError(_("Give times with their zone."), code="naive_time", status=422)
    if since > until:
        raise ServiceError(_("since must not be later than until."), code="invalid_range", status=422)
    qs = PositionReport.objects.filter(unit=unit, measured_at__gte=since, measured_at__lte=until)
    if not include_flagged:
        qs = qs.filter(flag="")
    rows = list(qs.order_by("-measured_at")[: limit + 1])
    return Track(unit, since, until, list(reversed(rows[:limit])), len(rows) > limit)
