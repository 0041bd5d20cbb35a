"""Needs API (/api/disaster/events/{id}/needs...): displaced and affected figures per kelurahan, and the relief
needs they imply under a selectable profile (Perka BNPB 7/2008 by default, or Sphere 2018)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import services
from .needs import DEFAULT_PROFILE, MAX_DAYS

router = Router(tags=["disaster"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class NeedsReportIn(Schema):
    region_code: str = Field(..., max_length=13, description="kelurahan code (Kemendagri, 4 levels)")
    displaced: int = Field(..., description="people displaced (part of the affected)")
    affected: int = Field(..., description="people affected, displaced included")
    source: Literal["pmi", "government", "other"]
    source_note: str = Field("", max_length=300)
    reported_at: datetime | None = None


class NeedsReportOut(Schema):
    id: int
    event_id: int
    organization_id: int
    region_code: str
    displaced: int
    affected: int
    source: str
    source_note: str
    reported_at: datetime
    reporter_id: int | None


class NeedLineOut(Schema):
    item: str
    label: str
    unit: str
    quantity: int
    people: int
    applies_to: str
    basis: str


class AreaNeedsOut(Schema):
    region_code: str
    name: str
    displaced: int
    affected: int
    source: str
    reported_at: datetime
    report_id: int
    lines: list[NeedLineOut]


class NeedsOut(Schema):
    event_id: int
    profile: str
    profile_label: str
    source: str
    days: int
    displaced: int
    affected: int
    areas: list[AreaNeedsOut]
    total: list[NeedLineOut]


@router.post("/events/{event_id}/needs/reports", response={201: NeedsReportOut, **ERRORS},
             summary="Report displaced and affected people in one kelurahan (lead or participant)")
def record_needs_report(request, event_id: int, payload: NeedsReportIn):
    return Status(201, services.record_needs_report(request.auth, event_id, **payload.dict()))


@router.get("/events/{event_id}/needs", response={200: NeedsOut, **ERRORS},
            summary="Relief needs per kelurahan and overall, from the latest report of each kelurahan")
def event_needs(request, event_id: int, profile: Literal["bnpb", "sphere"] = DEFAULT_PROFILE,
                days: int = Query(7, ge=1, le=MAX_DAYS)):
    return services.needs_for_event(request.auth, event_id, profile, days)
