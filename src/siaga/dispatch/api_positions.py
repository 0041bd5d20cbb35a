"""Dispatch API: live positions from crew phones and vehicle trackers (single and batched), and a unit's track.

Mounted by dispatch/api.py under /api/dispatch: POST /positions, POST /positions/batch,
GET /units/{unit_id}/track.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.core.errors import ServiceError

from . import positions

router = Router(tags=["dispatch"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
SourceIn = Literal["phone", "tracker", "manual"]
SOURCE_FIELD = Field(None, description="phone | tracker | manual; default: phone for the crew, tracker for a "
                                       "device token")


class PositionIn(Schema):
    unit_id: int
    lat: float
    lng: float
    measured_at: datetime = Field(..., description="when the device measured it, ISO 8601 with its zone")
    accuracy_m: float | None = None
    speed_kmh: float | None = None
    heading_deg: float | None = None
    source: SourceIn | None = SOURCE_FIELD


class PositionBatchIn(Schema):
    unit_id: int
    source: SourceIn | None = SOURCE_FIELD
    points: list[dict[str, Any]] = Field(
        ..., description="up to 500 points, each {lat, lng, measured_at, accuracy_m?, speed_kmh?, heading_deg?, "
                         "source?}; each is judged on its own (a malformed point is refused, not the batch)")


class PointResultOut(Schema):
    index: int
    status: str = Field(..., description="accepted | duplicate | flagged | refused")
    measured_at: datetime | None
    id: int | None = Field(None, description="the track point (for duplicate: the one already stored)")
    code: str = Field("", description="why it was flagged or refused (impossible_speed, in_sea, time_in_future...)")
    message: str = ""


class UnitPositionOut(Schema):
    unit_id: int
    call_sign: str
    lat: float | None
    lng: float | None
    position_at: datetime | None
    speed_kmh: float | None
    heading_deg: float | None
    snapped_lat: float | None
    snapped_lng: float | None
    snap_m: float | None


class IngestOut(Schema):
    unit: UnitPositionOut
    moved: bool = Field(..., description="whether these points advanced the unit's latest position")
    accepted: int
    duplicate: int
    flagged: int
    refused: int
    points: list[PointResultOut]


class TrackPointOut(Schema):
    id: int
    lat: float
    lng: float
    measured_at: datetime
    received_at: datetime
    accuracy_m: float | None
    speed_kmh: float | None
    heading_deg: float | None
    source: str
    flag: str


class TrackOut(Schema):
    unit: UnitPositionOut
    since: datetime
    until: datetime
    truncated: bool = Field(..., description="more points than the limit: the latest ones are given")
    points: list[TrackPointOut]


def _unit_out(unit) -> dict:
    return {"unit_id": unit.pk, "call_sign": unit.call_sign, "lat": unit.lat, "lng": unit.lng,
            "position_at": unit.position_at, "speed_kmh": unit.speed_kmh, "heading_deg": unit.heading_deg,
            "snapped_lat": unit.snapped_lat, "snapped_lng": unit.snapped_lng, "snap_m": unit.snap_m}


def _ingest_out(res: positions.IngestResult) -> dict:
    return {"unit": _unit_out(res.unit), "moved": res.moved,
            **{s: res.count(s) for s in (positions.ACCEPTED, positions.DUPLICATE, positions.FLAGGED,
                                         positions.REFUSED)},
            "points": [p.__dict__ for p in res.points]}


@router.post("/positions", response={200: IngestOut, 201: IngestOut, **ERRORS},
             summary="One position of a unit (crew phone or vehicle tracker)",
             description="201 when stored (accepted or flagged), 200 for a replay of a stored point, 422 when "
                         "refused (impossible coordinates, future time...).")
def post_position(request, body: PositionIn):
    point = body.model_dump(exclude={"unit_id", "source"})
    res = positions.record_positions(request.auth, body.unit_id, [point], source=body.source)
    (p,) = res.points
    if p.status == positions.REFUSED:
        raise ServiceError(p.message, code=p.code, status=422, details={"index": 0})
    return Status(200 if p.status == positions.DUPLICATE else 201, _ingest_out(res))


@router.post("/positions/batch", response={200: IngestOut, **ERRORS},
             summary="A batch of positions of one unit (an offline queue); per-point answers")
def post_positions(request, body: PositionBatchIn):
    return _ingest_out(positions.record_positions(request.auth, body.unit_id, body.points, source=body.source))


@router.get("/units/{unit_id}/track", response={200: TrackOut, **ERRORS},
            summary="A unit's track (default: the last two hours), oldest first")
def get_track(request, unit_id: int, since: datetime | None = None, until: datetime | None = None,
              include_flagged: bool = False, limit: int = Query(1000, ge=1, le=10000)):
    t = positions.track(request.auth, unit_id, since=since, until=until, include_flagged=include_flagged,
                        limit=limit)
    return {"unit": _unit_out(t.unit), "since": t.since, "until": t.until, "truncated": t.truncated,
            "points": [{"id": r.pk, "lat": r.lat, "lng": r.lng, "measured_at": r.measured_at,
                        "received_at": r.received_at, "accuracy_m": r.accuracy_m, "speed_kmh": r.speed_kmh,
                        "heading_deg": r.heading_deg, "source": r.source, "flag": r.flag} for r in t.points]}
