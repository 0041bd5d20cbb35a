"""Dispatch API, rosters and statistics (/api/dispatch/...): crew members, shifts, roster warnings, response times."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.core.errors import ServiceError
from siaga.core.models import Membership, User

from . import rosters, services, stats
from .models import CrewQualification, Shift

router = Router(tags=["dispatch"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
RoleIn = Literal["driver", "nurse", "paramedic", "doctor", "firefighter", "rescuer"]


# --- schemas --------------------------------------------------------------------------------------


class CrewMemberIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    qualifications: list[RoleIn] = Field(..., min_length=1)
    phone: str = Field("", max_length=20)
    user_id: int | None = Field(None, description="the member's own login, to ring their phone when on shift")
    organization_id: int | None = Field(None, description="default: the caller's organisation")


class CrewMemberOut(Schema):
    id: int
    organization_id: int
    name: str
    phone: str
    qualifications: list[str]
    user_id: int | None
    active: bool


class CrewMemberListOut(Schema):
    count: int
    items: list[CrewMemberOut]


class ShiftIn(Schema):
    unit_id: int | None = Field(None, description="a shift is on a unit...")
    station_id: int | None = Field(None, description="...or at a station (a doctor on duty at a hospital post)")
    role: RoleIn
    starts_at: dt.datetime = Field(..., description="ISO 8601 with its zone")
    ends_at: dt.datetime
    member_id: int | None = Field(None, description="none: the slot is uncovered")
    note: str = Field("", max_length=300)


class ShiftPatchIn(Schema):
    role: RoleIn | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    note: str | None = Field(None, max_length=300)


class AssignIn(Schema):
    member_id: int | None = Field(..., description="null leaves the slot uncovered")


class CopyWeekIn(Schema):
    week_start: dt.datetime = Field(..., description="start of the week to copy (ISO with zone); 7 days from it")
    weeks: int = Field(1, ge=1, le=rosters.MAX_COPY_WEEKS)
    unit_id: int | None = None
    station_id: int | None = None
    with_members: bool = True


class ShiftOut(Schema):
    id: int
    organization_id: int
    unit_id: int | None
    call_sign: str | None
    station_id: int | None
    station_name: str | None
    role: str
    role_label: str
    member_id: int | None
    member_name: str | None
    covered: bool
    starts_at: dt.datetime
    ends_at: dt.datetime
    region_code: str
    note: str


class ShiftListOut(Schema):
    start: dt.datetime
    end: dt.datetime
    count: int
    items: list[ShiftOut]


class CopyWeekOut(Schema):
    created: int
    skipped: int
    uncovered: list[dict]
    items: list[ShiftOut]


class RosterWarningOut(Schema):
    kind: Literal["uncovered", "undercrewed", "double_booked"]
    message: str
    unit_id: int | None = None
    call_sign: str | None = None
    station_id: int | None = None
    shift_id: int | None = None
    other_shift_id: int | None = None
    member_id: int | None = None
    role: str | None = None
    missing: list[list[str]] = []
    starts_at: dt.datetime
    ends_at: dt.datetime


class RosterWarningListOut(Schema):
    start: dt.datetime
    end: dt.datetime
    count: int
    items: list[RosterWarningOut]


class IntervalOut(Schema):
    count: int
    median: float | None
    p90: float | None


class ResponseSummaryOut(Schema):
    dispatches: int
    acknowledged: int
    intervals: dict[str, IntervalOut]
    responses: int
    within_target: int
    over_target: int
    share_within_target: float | None
    target_seconds: int | None


class GroupOut(ResponseSummaryOut):
    key: int | str | None
    label: str


class ResponseStatsOut(Schema):
    first_day: dt.date
    last_day: dt.date
    zone: str
    by: str
    targets_minutes: dict[int, int | None]
    overall: ResponseSummaryOut
    items: list[GroupOut]


# --- helpers --------------------------------------------------------------------------------------


def _shift_out(s: Shift) -> dict:
    return {
        "id": s.pk, "organization_id": s.organization_id, "unit_id": s.unit_id,
        "call_sign": s.unit.call_sign if s.unit_id else None, "station_id": s.station_id,
        "station_name": s.station.name if s.station_id else None, "role": s.role,
        "role_label": str(CrewQualification(s.role).label) if s.role in CrewQualification.values else s.role,
        "member_id": s.member_id, "member_name": s.member.name if s.member_id else None,
        "covered": s.member_id is not None, "starts_at": s.starts_at, "ends_at": s.ends_at,
        "region_code": s.region_code, "note": s.note,
    }


def _period(actor, start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """The given period, or the current local week (Monday to Monday) of the actor's region."""
    if start is None and end is not None:
        return end - rosters.WEEK, end
    if start is None:
        tz = stats.actor_zone(actor)
        today = timezone.now().astimezone(tz).date()
        start = dt.datetime.combine(today - dt.timedelta(days=today.weekday()), dt.time.min, tzinfo=tz)
    if end is None:
        end = start + rosters.WEEK
    return start, end


def warning_items(result: dict) -> list[dict]:
    """roster_warnings() flattened to one list, each with a sentence a dispatcher can act on."""
    items = []
    for s in result["uncovered"]:
        place = s.unit.call_sign if s.unit_id else (s.station.name if s.station_id else "-")
        items.append({"kind": "uncovered", "unit_id": s.unit_id, "call_sign": s.unit.call_sign if s.unit_id else None,
                      "station_id": s.station_id, "shift_id": s.pk, "role": s.role, "starts_at": s.starts_at,
                      "ends_at": s.ends_at,
                      "message": _("%(place)s: no %(role)s on this shift.")
                      % {"place": place, "role": CrewQualification(s.role).label}})
    for w in result["undercrewed"]:
        or_ = _("or")
        roles = ", ".join(f" {or_} ".join(str(CrewQualification(r).label) for r in need)
                          for need in w["missing"])
        items.append({"kind": "undercrewed", "unit_id": w["unit"].pk, "call_sign": w["unit"].call_sign,
                      "missing": w["missing"], "starts_at": w["starts_at"], "ends_at": w["ends_at"],
                      "message": _("%(cs)s cannot be dispatched: missing %(roles)s.")
                      % {"cs": w["unit"].call_sign, "roles": roles}})
    for w in result["double_booked"]:
        first, second = w["first"], w["second"]
        items.append({"kind": "double_booked", "member_id": w["member"].pk, "shift_id": first.pk,
                      "other_shift_id": second.pk, "unit_id": first.unit_id,
                      "call_sign": first.unit.call_sign if first.unit_id else None,
                      "starts_at": max(first.starts_at, second.starts_at),
                      "ends_at": min(first.ends_at, second.ends_at),
                      "message": _("%(name)s is booked on two shifts at once.") % {"name": w["member"].name}})
    items.sort(key=lambda i: (i["starts_at"], i["kind"]))
    return items


# --- crew members ---------------------------------------------------------------------------------


@router.get("/crew-members", response={200: CrewMemberListOut, 403: ErrorOut}, summary="People who can be rostered")
def list_crew_members(request, qualification: RoleIn | None = None, active: bool | None = True):
    qs = rosters.visible_crew_members(request.auth)
    if active is not None:
        qs = qs.filter(active=active)
    items = [m for m in qs.order_by(Lower("name"), "pk") if qualification is None or qualification in m.qualifications]
    return {"count": len(items), "items": items}


@router.post("/crew-members", response={201: CrewMemberOut, **ERRORS}, summary="Add a person to the roster")
def create_crew_member(request, body: CrewMemberIn):
    actor = request.auth
    actor.require("roster.manage")
    user = None
    with transaction.atomic():
        org_ids = actor.org_ids if not actor.is_platform_admin else None
        if body.user_id is not None:
            members = Membership.objects.filter(user_id=body.user_id, active=True)
            if org_ids is not None:
                members = members.filter(organization_id__in=org_ids)
            if not members.exists():
                raise ServiceError(_("That login does not belong to your organisation."), code="invalid_user")
            user = User.objects.get(pk=body.user_id)
        member = services.create_crew_member(actor, name=body.name, qualifications=list(body.qualifications),
                                             user=user, phone=body.phone, organization=body.organization_id)
    return Status(201, member)


# --- shifts ---------------------------------------------------------------------------------------


@router.get("/shifts", response={200: ShiftListOut, **ERRORS}, summary="Shifts overlapping a period")
def list_shifts(
    request,
    start: dt.datetime | None = Query(None, alias="from", description="default: this week's Monday 00:00 local"),
    end: dt.datetime | None = Query(None, alias="to", description="default: 7 days after the start"),
    unit_id: int | None = None,
    station_id: int | None = None,
    member_id: int | None = None,
    uncovered: bool | None = Query(None, description="true: only slots without a member"),
):
    start, end = _period(request.auth, start, end)
    qs = rosters.shifts_between(request.auth, start, end, unit_id=unit_id, station_id=station_id,
                                member_id=member_id)
    if uncovered is not None:
        qs = qs.filter(member__isnull=uncovered)
    items = [_shift_out(s) for s in qs]
    return {"start": start, "end": end, "count": len(items), "items": items}


@router.post("/shifts", response={201: ShiftOut, **ERRORS}, summary="Create a shift (with or without its member)")
def create_shift(request, body: ShiftIn):
    shift = rosters.create_shift(request.auth, role=body.role, starts_at=body.starts_at, ends_at=body.ends_at,
                                 unit=body.unit_id, station=body.station_id, member=body.member_id, note=body.note)
    return Status(201, _shift_out(rosters.get_shift(request.auth, shift.pk)))


@router.post("/shifts/copy-week", response={201: CopyWeekOut, **ERRORS},
             summary="Repeat a week's shifts for the following weeks")
def copy_week(request, body: CopyWeekIn):
    result = rosters.copy_week(request.auth, week_start=body.week_start, weeks=body.weeks, unit_id=body.unit_id,
                               station_id=body.station_id, with_members=body.with_members)
    return Status(201, {"created": len(result.created), "skipped": result.skipped,
                        "uncovered": [{"shift_id": s.pk, "member_name": name} for s, name in result.uncovered],
                        "items": [_shift_out(s) for s in result.created]})


@router.get("/shifts/{shift_id}", response={200: ShiftOut, **ERRORS}, summary="One shift")
def get_shift(request, shift_id: int):
    return _shift_out(rosters.get_shift(request.auth, shift_id))


@router.patch("/shifts/{shift_id}", response={200: ShiftOut, **ERRORS}, summary="Move or change a shift")
def update_shift(request, shift_id: int, body: ShiftPatchIn):
    rosters.update_shift(request.auth, shift_id, role=body.role, starts_at=body.starts_at, ends_at=body.ends_at,
                         note=body.note)
    return _shift_out(rosters.get_shift(request.auth, shift_id))


@router.post("/shifts/{shift_id}/assign", response={200: ShiftOut, **ERRORS},
             summary="Put a qualified, free person on a shift (null: leave it uncovered)")
def assign_shift(request, shift_id: int, body: AssignIn):
    rosters.assign(request.auth, shift_id, body.member_id)
    return _shift_out(rosters.get_shift(request.auth, shift_id))


@router.delete("/shifts/{shift_id}", response={204: None, **ERRORS}, summary="Delete a shift")
def delete_shift(request, shift_id: int):
    rosters.delete_shift(request.auth, shift_id)
    return Status(204, None)


# --- warnings and statistics ------------------------------------------------------------------------


@router.get("/roster-warnings", response={200: RosterWarningListOut, **ERRORS},
            summary="Uncovered slots, units lacking a required role, people booked twice")
def roster_warnings(
    request,
    start: dt.datetime | None = Query(None, alias="from"),
    end: dt.datetime | None = Query(None, alias="to"),
    unit_id: int | None = None,
):
    start, end = _period(request.auth, start, end)
    items = warning_items(rosters.roster_warnings(request.auth, start, end, unit_id=unit_id))
    return {"start": start, "end": end, "count": len(items), "items": items}


@router.get("/stats", response={200: ResponseStatsOut, **ERRORS},
            summary="Response-time intervals (median, 90th percentile) against the priority targets")
def response_stats(
    request,
    start: str | None = Query(None, alias="from", description="first local day, YYYY-MM-DD"),
    end: str | None = Query(None, alias="to", description="last local day, YYYY-MM-DD"),
    by: Literal["unit", "station", "priority", "kecamatan", "month"] = "unit",
    unit: int | None = None,
    station: int | None = None,
    priority: int | None = None,
    kecamatan: str | None = Query(None, max_length=13),
):
    params = {"from": start, "to": end, "unit": unit, "station": station, "priority": priority,
              "kecamatan": kecamatan}
    filters = stats.parse_filters(request.auth, params)
    result = stats.statistics(request.auth, filters)
    return {"first_day": filters.first_day, "last_day": filters.last_day, "zone": filters.zone, "by": by,
            "targets_minutes": result["targets"], "overall": result["overall"], "items": result["groups"][by]}
