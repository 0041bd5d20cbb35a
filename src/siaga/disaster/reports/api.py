"""Disaster reports API (/api/disaster/reports/...): field reports and corrections, sitreps, 3W, exports, and the
versioned read endpoint for PMI headquarters' information management system (/hq/v1/...)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import exports, services
from .models import FIGURES, FieldReport, ResponseActivity, SituationReport

router = Router(tags=["disaster_reports"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
SourceIn = Literal["pmi", "government", "other"]
SectorIn = Literal["search_rescue", "health", "wash", "shelter", "food", "nutrition", "protection", "psychosocial",
                   "logistics", "education", "camp", "early_recovery", "other"]
StatusIn = Literal["planned", "ongoing", "completed"]


# --- schemas ------------------------------------------------------------------------------------------


class Figures(Schema):
    """People and houses; whole numbers, never negative. A figure left out counts as 0."""

    dead: int = 0
    missing: int = 0
    injured: int = 0
    displaced: int = 0
    affected: int = 0
    houses_damaged_light: int = 0
    houses_damaged_moderate: int = 0
    houses_damaged_heavy: int = 0
    assisted: int = 0


class FieldReportIn(Figures):
    region_code: str = Field(..., max_length=13, description="kecamatan or kelurahan code inside the event's regions")
    reported_at: datetime | None = Field(None, description="figures as of this time (default now); not in the future")
    source: SourceIn
    source_name: str = Field("", max_length=200, description="e.g. BPBD Kabupaten Lebak; required for 'other'")
    notes: str = Field("", max_length=4000)
    client_id: str = Field("", max_length=64, description="chosen by the client; a retry with it creates nothing")


class CorrectionIn(Schema):
    reason: str = Field(..., max_length=300)
    figures: dict[str, int] = Field(default_factory=dict, description="only the figures that change")
    reported_at: datetime | None = None
    source: SourceIn | None = None
    source_name: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=4000)
    client_id: str = Field("", max_length=64)


class FieldReportOut(Figures):
    id: int
    event_id: int
    organization_id: int
    region_code: str
    reported_at: datetime
    source: str
    source_name: str
    notes: str
    reporter_id: int | None
    series: str
    version: int
    is_current: bool
    correction_reason: str
    created_at: datetime


class SitrepQuery(Schema):
    period_start: datetime | None = None
    period_end: datetime | None = None


class SitrepIssueIn(Schema):
    period_start: datetime | None = None
    period_end: datetime | None = None
    final: bool = False
    client_id: str = Field("", max_length=64)


class IssuedOut(Schema):
    id: int
    event_id: int
    kind: str
    number: int
    period_start: datetime
    period_end: datetime
    issued_at: datetime
    issued_by_id: int | None
    totals: dict[str, int]


class IssuedDetailOut(IssuedOut):
    data: dict


class DisasterActivityIn(Schema):
    sector: SectorIn
    activity: str = Field(..., max_length=300)
    region_code: str = Field(..., max_length=13, description="kab/kota, kecamatan or kelurahan inside the event")
    reached: int = 0
    start_date: date
    end_date: date | None = None
    status: StatusIn = "ongoing"
    organization_id: int | None = Field(None, description="another participant's line (the lead only)")
    client_id: str = Field("", max_length=64)


class ActivityPatch(Schema):
    sector: SectorIn | None = None
    activity: str | None = Field(None, max_length=300)
    region_code: str | None = Field(None, max_length=13)
    reached: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: StatusIn | None = None


class DisasterActivityOut(Schema):
    id: int
    event_id: int
    organization_id: int
    organization: str
    sector: str
    sector_label: str
    activity: str
    region_code: str
    reached: int
    start_date: str
    end_date: str | None
    status: str
    status_label: str
    adm1_code: str | None = None
    adm1_name: str | None = None
    adm2_code: str | None = None
    adm2_name: str | None = None
    adm3_code: str | None = None
    adm3_name: str | None = None
    adm4_code: str | None = None
    adm4_name: str | None = None


def _report_out(r: FieldReport) -> dict:
    return {"id": r.pk, "event_id": r.event_id, "organization_id": r.organization_id, "region_code": r.region_code,
            "reported_at": r.reported_at, "source": r.source, "source_name": r.source_name, "notes": r.notes,
            "reporter_id": r.reporter_id, "series": str(r.series), "version": r.version, "is_current": r.is_current,
            "correction_reason": r.correction_reason, "created_at": r.created_at, **r.figures()}


def _issued_out(s: SituationReport) -> dict:
    return {"id": s.pk, "event_id": s.event_id, "kind": s.kind, "number": s.number, "period_start": s.period_start,
            "period_end": s.period_end, "issued_at": s.issued_at, "issued_by_id": s.issued_by_id,
            "totals": s.data.get("totals", {})}


def _activity_out(actor, act: ResponseActivity) -> dict:
    return next(r for r in services.activity_rows(actor, act.event_id) if r["id"] == act.pk)


# --- field reports ------------------------------------------------------------------------------------


@router.get("/events/{event_id}/field-reports", response={200: list[FieldReportOut], **ERRORS})
def list_field_reports(request, event_id: int, history: bool = False):
    """Field reports of an event: the current version of each (every version with history=true)."""
    return [_report_out(r) for r in services.field_reports(request.auth, event_id, history=history)[:1000]]


@router.post("/events/{event_id}/field-reports", response={200: FieldReportOut, 201: FieldReportOut, **ERRORS})
def create_field_report(request, event_id: int, body: FieldReportIn):
    """Record figures for one area. 201 when created; 200 with the earlier report when client_id was used before."""
    figures = {f: getattr(body, f) for f in FIGURES}
    report, created = services.create_field_report(
        request.auth, event_id, region_code=body.region_code, source=body.source, source_name=body.source_name,
        reported_at=body.reported_at, figures=figures, notes=body.notes, client_id=body.client_id)
    return Status(201 if created else 200, _report_out(report))


@router.get("/field-reports/{report_id}", response={200: FieldReportOut, **ERRORS})
def get_field_report(request, report_id: int):
    return _report_out(services.get_field_report(request.auth, report_id))


@router.get("/field-reports/{report_id}/versions", response={200: list[FieldReportOut], **ERRORS})
def field_report_versions(request, report_id: int):
    """Every version of a report, oldest first (corrections never overwrite)."""
    return [_report_out(r) for r in services.report_versions(request.auth, report_id)]


@router.post("/field-reports/{report_id}/corrections", response={200: FieldReportOut, 201: FieldReportOut, **ERRORS})
def correct_field_report(request, report_id: int, body: CorrectionIn):
    """Correct the current version: a new version becomes current; 409 when report_id is outdated."""
    report, created = services.correct_field_report(
        request.auth, report_id, reason=body.reason, figures=body.figures, reported_at=body.reported_at,
        source=body.source, source_name=body.source_name, notes=body.notes, client_id=body.client_id)
    return Status(201 if created else 200, _report_out(report))


# --- situation reports --------------------------------------------------------------------------------


@router.get("/events/{event_id}/sitrep", response={200: dict, **ERRORS})
def current_sitrep(request, event_id: int, q: Query[SitrepQuery]):
    """The sitrep computed now for a period (default: since the last issued sitrep). Every figure names its source."""
    return services.compute_sitrep(request.auth, event_id, period_start=q.period_start, period_end=q.period_end)


@router.get("/events/{event_id}/final-report", response={200: dict, **ERRORS})
def final_report(request, event_id: int):
    """The final report of a closed event: the whole event, with the timeline (409 while it is open)."""
    return services.compute_sitrep(request.auth, event_id, final=True)


@router.get("/events/{event_id}/sitreps", response={200: list[IssuedOut], **ERRORS})
def list_issued(request, event_id: int):
    return [_issued_out(s) for s in services.issued_sitreps(request.auth, event_id)]


@router.post("/events/{event_id}/sitreps", response={200: IssuedDetailOut, 201: IssuedDetailOut, **ERRORS})
def issue_sitrep(request, event_id: int, body: SitrepIssueIn):
    """Issue (freeze and number) the sitrep for a period, or the final report (final=true, closed events)."""
    sr, created = services.issue_sitrep(request.auth, event_id, period_start=body.period_start,
                                        period_end=body.period_end, final=body.final, client_id=body.client_id)
    return Status(201 if created else 200, {**_issued_out(sr), "data": sr.data})


@router.get("/sitreps/{sitrep_id}", response={200: IssuedDetailOut, **ERRORS})
def get_issued(request, sitrep_id: int):
    sr = services.get_issued_sitrep(request.auth, sitrep_id)
    return {**_issued_out(sr), "data": sr.data}


EXPORTS = {"pdf": ("application/pdf", exports.sitrep_pdf), "xlsx": (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", exports.sitrep_xlsx),
    "csv": ("text/csv; charset=utf-8", exports.sitrep_csv)}


def _file(content, content_type: str, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@router.get("/sitreps/{sitrep_id}/export/{fmt}", response={200: None, **ERRORS})
def export_issued(request, sitrep_id: int, fmt: Literal["pdf", "xlsx", "csv"]):
    """An issued sitrep as PDF, XLSX or CSV (the frozen figures)."""
    sr = services.get_issued_sitrep(request.auth, sitrep_id)
    content_type, build = EXPORTS[fmt]
    return _file(build(sr.data), content_type, f"sitrep-{sr.event_id}-{sr.number}.{fmt}")


@router.get("/events/{event_id}/3w.csv", response={200: None, **ERRORS})
def export_3w(request, event_id: int):
    """The 3W (who does what where) as HXL-tagged CSV: a header row, the hashtag row, then the activities."""
    rows = services.activity_rows(request.auth, event_id)
    return _file(exports.hxl_3w_csv(rows), "text/csv; charset=utf-8", f"3w-{event_id}.csv")


# --- 3W -----------------------------------------------------------------------------------------------


@router.get("/events/{event_id}/activities", url_name="disaster_list_activities",
            response={200: list[DisasterActivityOut], **ERRORS})
def list_activities(request, event_id: int):
    return services.activity_rows(request.auth, event_id)


@router.post("/events/{event_id}/activities", url_name="disaster_record_activity",
             response={200: DisasterActivityOut, 201: DisasterActivityOut, **ERRORS})
def record_activity(request, event_id: int, body: DisasterActivityIn):
    act, created = services.record_activity(request.auth, event_id, **body.dict())
    return Status(201 if created else 200, _activity_out(request.auth, act))


@router.patch("/activities/{activity_id}", response={200: DisasterActivityOut, **ERRORS})
def update_activity(request, activity_id: int, body: ActivityPatch):
    act = services.update_activity(request.auth, activity_id, **body.dict(exclude_unset=True))
    return _activity_out(request.auth, act)


# --- PMI headquarters (versioned, stable) --------------------------------------------------------------


class HqEventSummary(Schema):
    id: int
    name: str
    type: str
    phase: str
    started_at: datetime
    ended_at: datetime | None
    region_code: str
    lead_organization_id: int
    lead_organization: str


class HqEventOut(Schema):
    api_version: str = Field(..., description='always "1" on this path; a change that breaks readers gets /hq/v2/')
    event: dict = Field(..., description="id, name, type, phase, started_at, ended_at, region_code, "
                                         "affected_region_codes, lead {id,name,kind}, participants [{id,name,kind}]")
    sitrep: dict = Field(..., description="the sitrep computed now: period, rules, areas with every figure's "
                                          "value/source/source_name/report_id/reported_at, totals, "
                                          "previous_totals, change, needs, activities")
    issued_sitreps: list[dict] = Field(..., description="id, kind, number, period_start, period_end, issued_at, "
                                                        "totals")
    activities: list[dict] = Field(..., description="3W lines with adm1..adm4 codes and names")


@router.get("/hq/v1/events", response={200: list[HqEventSummary], **ERRORS}, tags=["disaster_reports_hq"])
def hq_list_events(request):
    """PMI headquarters, version 1: the events visible to the token's national organisation.

    Needs `Authorization: Bearer <API token>` of a membership with national scope in a national organisation.
    """
    actor = request.auth
    services.require_national_token(actor, request)
    return [{"id": e.pk, "name": e.name, "type": e.type_id, "phase": e.phase, "started_at": e.started_at,
             "ended_at": e.ended_at, "region_code": e.region_code, "lead_organization_id": e.organization_id,
             "lead_organization": e.organization.name} for e in services.hq_events(actor)[:500]]


@router.get("/hq/v1/events/{event_id}", response={200: HqEventOut, **ERRORS}, tags=["disaster_reports_hq"])
def hq_event(request, event_id: int):
    """PMI headquarters, version 1: one event with its current sitrep, issued sitreps and 3W.

    Fields are only ever added within v1; times are ISO 8601 with offset (UTC); figures are whole numbers.
    """
    actor = request.auth
    services.require_national_token(actor, request)
    return services.hq_event(actor, event_id)
