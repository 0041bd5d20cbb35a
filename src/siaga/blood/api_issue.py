"""Blood service API, second half (/api/blood/...): hospital requests and their lines, crossmatch, reservation, FEFO
issue with the signed hand-over, transfusion, returns, discards, transfers with their cold chain, transfer
suggestions, donor recall, statistics and traceability from a unit, a patient or a donor.

Everything goes through services_issue.py, stats.py and trace.py. A hospital sees its own requests; a UDD sees
the requests addressed to it; nobody else sees either.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.core.errors import NotFound

from . import services, stats
from . import services_issue as si
from . import trace as trace_mod
from .models import (
    BloodRequest,
    Crossmatch,
    Issue,
    RecallCampaign,
    RequestLine,
    Return,
    Transfer,
    TransferSuggestion,
)

router = Router(tags=["blood: requests, issue, transfers"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Abo = Literal["O", "A", "B", "AB"]
Rhd = Literal["pos", "neg"]


# --- schemas ------------------------------------------------------------------------------------


class BloodRequestLineIn(Schema):
    component_type: str = Field(..., max_length=20)
    abo: Literal["", "O", "A", "B", "AB"] = ""
    rhd: Literal["", "pos", "neg"] = ""
    quantity: int = Field(..., ge=1, le=20)
    irradiated_required: bool = False


class BloodRequestIn(Schema):
    urgency: Literal["cito", "elective"]
    patient_name: str = Field(..., min_length=2, max_length=200)
    patient_mrn: str = Field("", max_length=40)
    patient_birth_date: dt.date | None = None
    patient_sex: Literal["", "M", "F"] = ""
    patient_abo: Literal["", "O", "A", "B", "AB"] = ""
    patient_rhd: Literal["", "pos", "neg"] = ""
    ward: str = Field("", max_length=100)
    diagnosis: str = Field("", max_length=300)
    hb_g_dl: Decimal | None = None
    payer: Literal["bpjs", "self", "other"] = "bpjs"
    payer_number: str = Field("", max_length=40)
    needed_by: dt.datetime | None = None
    hospital_site_id: int | None = None
    supplier_site_id: int | None = None
    external_ref: str = Field("", max_length=64)
    notes: str = Field("", max_length=2000)
    lines: list[BloodRequestLineIn] = Field(..., min_length=1, max_length=10)


class BloodRequestLineOut(Schema):
    id: int
    component_type: str
    abo: str
    rhd: str
    group: str
    quantity: int
    issued_quantity: int
    reserved: int
    irradiated_required: bool
    fee_bppd_rupiah: int
    status: str


class BloodRequestOut(Schema):
    id: int
    number: str
    status: str
    urgency: str
    organization_id: int
    hospital_name: str
    hospital_site_id: int | None
    supplier_id: int
    supplier_site_id: int
    supplier_site_name: str
    region_code: str
    patient_name: str
    patient_mrn: str
    patient_abo: str
    patient_rhd: str
    ward: str
    diagnosis: str
    payer: str
    fee_bppd_rupiah: int
    needed_by: dt.datetime | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    reject_reason: str
    external_ref: str
    lines: list[BloodRequestLineOut]


class BloodRequestListOut(Schema):
    count: int
    items: list[BloodRequestOut]


class BloodReasonIn(Schema):
    reason: str = Field("", max_length=300)


class PickOut(Schema):
    component_id: int
    din: str
    component_type: str
    group: str
    expires_at: dt.datetime
    rank: int
    reserved: bool
    reason: str


class PlanLineOut(Schema):
    line_id: int
    need: int
    short: int
    picks: list[PickOut]


class CrossmatchIn(Schema):
    component_id: int
    result: Literal["compatible", "incompatible"]
    method: Literal["immediate_spin", "gel", "tube_ahg", "electronic"] = "gel"
    sample_id: str = Field("", max_length=40)
    notes: str = Field("", max_length=300)


class CrossmatchOut(Schema):
    id: int
    line_id: int
    component_id: int
    din: str
    result: str
    method: str
    tested_at: dt.datetime


class ReserveIn(Schema):
    component_ids: list[int] | None = None
    minutes: int | None = Field(None, ge=5, le=10080)
    site_id: int | None = None


class ReservationOut(Schema):
    id: int
    component_id: int
    din: str
    line_id: int
    status: str
    expires_at: dt.datetime


class BloodIssueIn(Schema):
    recipient_kind: Literal["courier", "family", "hospital_staff"]
    recipient_name: str = Field(..., max_length=200)
    signed_by: str = Field(..., max_length=200)
    signature: str = Field("", max_length=20000)
    recipient_phone: str = Field("", max_length=20)
    recipient_id_number: str = Field("", max_length=40)
    cool_box_temperature_c: Decimal | None = None
    component_ids: list[int] | None = None
    site_id: int | None = None
    allow_partial: bool = False
    payer: Literal["bpjs", "self", "other"] | None = None


class IssueItemOut(Schema):
    id: int
    component_id: int
    din: str
    component_type: str
    group: str
    expires_at: dt.datetime
    substitution: str
    fee_bppd_rupiah: int
    transfused_at: dt.datetime | None
    returned: bool


class ReadingOut(Schema):
    at: dt.datetime
    temperature_c: Decimal
    place: str
    in_range: bool


class IssueOut(Schema):
    id: int
    number: str
    request_id: int
    request_number: str
    site_id: int
    organization_id: int
    hospital_id: int
    hospital_name: str
    issued_at: dt.datetime
    recipient_kind: str
    recipient_name: str
    signed_by: str
    cool_box_temperature_c: Decimal | None
    payer: str
    fee_bppd_rupiah: int
    items: list[IssueItemOut]
    readings: list[ReadingOut]


class ReadingIn(Schema):
    temperature_c: Decimal
    place: str = Field("", max_length=120)


class TransfusionIn(Schema):
    at: dt.datetime | None = None
    reaction: str = Field("", max_length=300)


class ReturnIn(Schema):
    temperature_c: Decimal
    minutes_out_of_storage: int = Field(..., ge=0, le=100000)
    seal_intact: bool = True
    returned_by_name: str = Field("", max_length=200)


class ReturnOut(Schema):
    id: int
    component_id: int
    din: str
    returned_at: dt.datetime
    temperature_c: Decimal | None
    minutes_out_of_storage: int | None
    seal_intact: bool
    cold_chain_ok: bool
    accepted: bool
    reason: str


class DiscardOut(Schema):
    id: int
    component_id: int
    din: str
    component_type: str
    group: str
    site_id: int
    reason: str
    notes: str
    discarded_at: dt.datetime


class TransferIn(Schema):
    from_site_id: int
    to_site_id: int
    component_ids: list[int] = Field(..., min_length=1, max_length=200)
    suggestion_id: int | None = None
    courier_name: str = Field("", max_length=200)
    vehicle: str = Field("", max_length=60)
    notes: str = Field("", max_length=300)


class BloodTransferDispatchIn(Schema):
    temperature_c: Decimal
    courier_name: str = Field("", max_length=200)
    vehicle: str = Field("", max_length=60)


class BloodTransferReceiveIn(Schema):
    temperature_c: Decimal
    rejected: dict[int, str] = {}


class TransferItemOut(Schema):
    component_id: int
    din: str
    component_type: str
    group: str
    expires_at: dt.datetime
    accepted: bool | None
    reason: str


class TransferOut(Schema):
    id: int
    number: str
    status: str
    organization_id: int
    to_organization_id: int
    from_site_id: int
    from_site_name: str
    to_site_id: int
    to_site_name: str
    courier_name: str
    requested_at: dt.datetime
    dispatched_at: dt.datetime | None
    received_at: dt.datetime | None
    suggestion_id: int | None
    items: list[TransferItemOut]
    readings: list[ReadingOut]


class BloodTransferSuggestionOut(Schema):
    id: int | None
    from_site_id: int
    from_site_name: str
    to_site_id: int
    to_site_name: str
    component_type: str
    abo: str
    rhd: str
    group: str
    quantity: int
    component_ids: list[int]
    score: float
    details: dict
    status: str


class SuggestIn(Schema):
    component_type: str = Field("PRC", max_length=20)


class RecallIn(Schema):
    site_id: int | None = None
    abo: Abo
    rhd: Rhd
    include_on_call_panel: bool = True
    message: str = Field("", max_length=480)
    reason: str = Field("", max_length=300)


class RecallOut(Schema):
    id: int
    site_id: int
    abo: str
    rhd: str
    group: str
    on_call_panel: bool
    reason: str
    message: str
    created_at: dt.datetime
    recipients: int
    sent: int
    status: str = "sent"  # "draft": proposed by a shortage alert, nobody texted yet; "withdrawn"
    sent_at: dt.datetime | None = None
    alert_id: int | None = None


class ShortageOut(Schema):
    abo: str
    rhd: str
    group: str
    days_of_cover: float
    amber_days: float
    target_days: float


class HintOut(Schema):
    make: list[str]
    why: dict[str, str]


class StatsOut(Schema):
    period: str
    year: int
    month: int | None
    zone: str
    donations_by_type: dict[str, int]
    bags_collected: int
    volume_collected_ml: int
    components_made: dict[str, int]
    issued_total: int
    issued_per_hospital: list[dict]
    issued_per_region: dict[str, int]
    issued_per_group: dict[str, int]
    discards_by_reason: dict[str, int]
    outdated: int
    outdate_rate_percent: float | None
    kantong_darah_dilayani: int


class ForecastWeekOut(Schema):
    week_start: dt.date
    units: float
    seasonal: bool


class ForecastOut(Schema):
    group: str
    abo: str
    rhd: str
    weeks: list[ForecastWeekOut]


class TraceUnitOut(Schema):
    component_id: int
    din: str
    component_type: str
    group: str
    status: str
    site_id: int
    site_name: str
    expires_at: dt.datetime
    history: list[dict]
    issue: dict | None
    transfers: list[dict]
    returns: list[dict]


class BloodUnitTraceOut(Schema):
    donation_id: int
    din: str
    collected_at: dt.datetime
    site_name: str
    donor_number: str
    donor_id: int | None
    donor_name: str | None
    results: list[dict]
    units: list[TraceUnitOut]


class TracePatientOut(Schema):
    request_id: int
    request_number: str
    patient_name: str
    hospital_name: str
    donations: list[BloodUnitTraceOut]


# --- converters ---------------------------------------------------------------------------------


def _line_out(ln: RequestLine, reserved: dict | None = None) -> dict:
    return {"id": ln.pk, "component_type": ln.component_type.code, "abo": ln.abo, "rhd": ln.rhd,
            "group": services.group_label(ln.abo, ln.rhd), "quantity": ln.quantity,
            "issued_quantity": ln.issued_quantity, "reserved": (reserved or {}).get(ln.pk, 0),
            "irradiated_required": ln.irradiated_required, "fee_bppd_rupiah": ln.fee_bppd_rupiah,
            "status": ln.status}


def _request_out(r: BloodRequest) -> dict:
    from django.db.models import Count, Q

    lines = list(r.lines.select_related("component_type").annotate(
        n_reserved=Count("reservations", filter=Q(reservations__status="active"))).order_by("pk"))
    reserved = {ln.pk: ln.n_reserved for ln in lines}
    return {
        "id": r.pk, "number": r.number, "status": r.status, "urgency": r.urgency, "organization_id": r.organization_id,
        "hospital_name": r.organization.name, "hospital_site_id": r.hospital_site_id, "supplier_id": r.supplier_id,
        "supplier_site_id": r.supplier_site_id, "supplier_site_name": r.supplier_site.name,
        "region_code": r.region_code, "patient_name": r.patient_name, "patient_mrn": r.patient_mrn,
        "patient_abo": r.patient_abo, "patient_rhd": r.patient_rhd, "ward": r.ward, "diagnosis": r.diagnosis,
        "payer": r.payer, "fee_bppd_rupiah": r.fee_bppd_rupiah, "needed_by": r.needed_by, "created_at": r.created_at,
        "closed_at": r.closed_at, "reject_reason": r.reject_reason, "external_ref": r.external_ref,
        "lines": [_line_out(ln, reserved) for ln in lines],
    }


def _reading_out(x) -> dict:
    return {"at": x.at, "temperature_c": x.temperature_c, "place": x.place, "in_range": x.in_range}


def _issue_out(i: Issue) -> dict:
    items = i.items.select_related("component__component_type").order_by("pk")
    return {
        "id": i.pk, "number": i.number, "request_id": i.request_id, "request_number": i.request.number,
        "site_id": i.site_id, "organization_id": i.organization_id, "hospital_id": i.hospital_id,
        "hospital_name": i.hospital.name, "issued_at": i.issued_at, "recipient_kind": i.recipient_kind,
        "recipient_name": i.recipient_name, "signed_by": i.signed_by,
        "cool_box_temperature_c": i.cool_box_temperature_c, "payer": i.payer, "fee_bppd_rupiah": i.fee_bppd_rupiah,
        "items": [{"id": it.pk, "component_id": it.component_id, "din": it.component.din,
                   "component_type": it.component.component_type.code, "group": it.component.group_label,
                   "expires_at": it.component.expires_at, "substitution": it.substitution,
                   "fee_bppd_rupiah": it.fee_bppd_rupiah, "transfused_at": it.transfused_at,
                   "returned": it.returned} for it in items],
        "readings": [_reading_out(x) for x in i.readings.all()],
    }


def _transfer_out(t: Transfer) -> dict:
    items = t.items.select_related("component__component_type").order_by("pk")
    return {
        "id": t.pk, "number": t.number, "status": t.status, "organization_id": t.organization_id,
        "to_organization_id": t.to_organization_id, "from_site_id": t.from_site_id,
        "from_site_name": t.from_site.name, "to_site_id": t.to_site_id, "to_site_name": t.to_site.name,
        "courier_name": t.courier_name, "requested_at": t.requested_at, "dispatched_at": t.dispatched_at,
        "received_at": t.received_at, "suggestion_id": t.suggestion_id,
        "items": [{"component_id": it.component_id, "din": it.component.din,
                   "component_type": it.component.component_type.code, "group": it.component.group_label,
                   "expires_at": it.component.expires_at, "accepted": it.accepted, "reason": it.reason}
                  for it in items],
        "readings": [_reading_out(x) for x in t.readings.all()],
    }


def _suggestion_out(s: TransferSuggestion) -> dict:
    return {"id": s.pk, "from_site_id": s.from_site_id, "from_site_name": s.from_site.name,
            "to_site_id": s.to_site_id, "to_site_name": s.to_site.name, "component_type": s.component_type.code,
            "abo": s.abo, "rhd": s.rhd, "group": services.group_label(s.abo, s.rhd), "quantity": s.quantity,
            "component_ids": list(s.component_ids), "score": s.score, "details": s.details, "status": s.status}


def _recall_out(c: RecallCampaign) -> dict:
    return {"id": c.pk, "site_id": c.site_id, "abo": c.abo, "rhd": c.rhd, "group": services.group_label(c.abo, c.rhd),
            "on_call_panel": c.on_call_panel, "reason": c.reason, "message": c.message, "created_at": c.created_at,
            "recipients": c.recipients, "sent": c.messages.filter(status="sent").count(), "status": c.status,
            "sent_at": c.sent_at, "alert_id": c.alert_id}


def _return_out(r: Return) -> dict:
    return {"id": r.pk, "component_id": r.component_id, "din": r.component.din, "returned_at": r.returned_at,
            "temperature_c": r.temperature_c, "minutes_out_of_storage": r.minutes_out_of_storage,
            "seal_intact": r.seal_intact, "cold_chain_ok": r.cold_chain_ok, "accepted": r.accepted,
            "reason": r.reason}


def _unit_out(row: dict) -> dict:
    c = row["component"]
    ii = row["issue_item"]
    return {
        "component_id": c.pk, "din": c.din, "component_type": c.component_type.code, "group": c.group_label,
        "status": c.status, "site_id": c.site_id, "site_name": c.site.name, "expires_at": c.expires_at,
        "history": [{"at": e.at.isoformat(), "from_status": e.from_status, "to_status": e.to_status,
                     "site_id": e.site_id, "site_name": e.site.name if e.site_id else None, "note": e.note}
                    for e in row["history"]],
        "issue": None if ii is None else {
            "issue_id": ii.issue_id, "number": ii.issue.number, "issued_at": ii.issue.issued_at.isoformat(),
            "hospital_id": ii.issue.hospital_id, "hospital_name": ii.issue.hospital.name,
            "request_id": ii.issue.request_id, "request_number": ii.issue.request.number,
            "patient_name": ii.issue.request.patient_name, "patient_mrn": ii.issue.request.patient_mrn,
            "signed_by": ii.issue.signed_by, "substitution": ii.substitution,
            "transfused_at": ii.transfused_at.isoformat() if ii.transfused_at else None, "returned": ii.returned},
        "transfers": [{"transfer_id": ti.transfer_id, "number": ti.transfer.number,
                       "from_site": ti.transfer.from_site.name, "to_site": ti.transfer.to_site.name,
                       "status": ti.transfer.status, "accepted": ti.accepted} for ti in row["transfers"]],
        "returns": [{"returned_at": r.returned_at.isoformat(), "accepted": r.accepted, "reason": r.reason}
                    for r in row["returns"]],
    }


def _donation_trace_out(part: dict, rows: list[dict]) -> dict:
    d = part["donation"]
    donor = part["donor"]
    return {"donation_id": d.pk, "din": d.din, "collected_at": d.collected_at, "site_name": d.site.name,
            "donor_number": part["donor_number"], "donor_id": donor.pk if donor else None,
            "donor_name": donor.name if donor else None,
            "results": [{"marker": r.marker, "result": r.result, "abo": r.abo, "rhd": r.rhd,
                         "tested_at": r.tested_at.isoformat()} for r in part["results"]],
            "units": [_unit_out(r) for r in rows]}


# --- requests -----------------------------------------------------------------------------------


@router.get("/requests", url_name="blood_list_requests", response={200: BloodRequestListOut, 403: ErrorOut},
            summary="Requests the caller's hospital made, or those addressed to the caller's UDD")
def list_requests(request, status: str | None = None, open: bool | None = None, urgency: str | None = None,
                  limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = si.visible_requests(request.auth)
    if status:
        qs = qs.filter(status=status)
    if open:
        qs = qs.filter(status__in=si.OPEN_REQUEST_STATUSES)
    if urgency:
        qs = qs.filter(urgency=urgency)
    qs = qs.order_by("-urgency", "-created_at") if open else qs.order_by("-created_at")
    return {"count": qs.count(), "items": [_request_out(r) for r in qs[offset:offset + limit]]}


@router.post("/requests", url_name="blood_create_request", response={201: BloodRequestOut, **ERRORS},
             summary="A hospital requests blood for a patient")
def create_request(request, body: BloodRequestIn):
    data = body.dict()
    lines = data.pop("lines")
    req = si.create_request(request.auth, lines=lines, **data)
    return Status(201, _request_out(req))


@router.get("/requests/{request_id}", url_name="blood_get_request", response={200: BloodRequestOut, **ERRORS},
            summary="One request with its lines")
def get_request(request, request_id: int):
    return _request_out(si.get_request(request.auth, request_id))


@router.post("/requests/{request_id}/accept", response={200: BloodRequestOut, **ERRORS}, summary="The UDD accepts")
def accept_request(request, request_id: int):
    return _request_out(si.accept_request(request.auth, request_id))


@router.post("/requests/{request_id}/reject", response={200: BloodRequestOut, **ERRORS},
             summary="The UDD rejects, with the reason")
def reject_request(request, request_id: int, body: BloodReasonIn):
    return _request_out(si.reject_request(request.auth, request_id, reason=body.reason))


@router.post("/requests/{request_id}/cancel", url_name="blood_cancel_request",
             response={200: BloodRequestOut, **ERRORS},
             summary="The hospital withdraws its request")
def cancel_request(request, request_id: int, body: BloodReasonIn):
    return _request_out(si.cancel_request(request.auth, request_id, reason=body.reason))


@router.get("/requests/{request_id}/plan", response={200: list[PlanLineOut], **ERRORS},
            summary="What a FEFO issue would pick now, and why (changes nothing)")
def plan_request(request, request_id: int):
    return [{"line_id": p["line"].pk, "need": p["need"], "short": p["short"], "picks": [
        {"component_id": x["component"].pk, "din": x["component"].din,
         "component_type": x["component"].component_type.code, "group": x["component"].group_label,
         "expires_at": x["component"].expires_at, "rank": x["rank"], "reserved": x["reserved"],
         "reason": x["reason"]} for x in p["picks"]]} for p in si.plan_issue(request.auth, request_id)]


@router.post("/requests/{request_id}/reserve", response={201: list[ReservationOut], **ERRORS},
             summary="Reserve units for a request (FEFO picks or the given units), released if not collected")
def reserve(request, request_id: int, body: ReserveIn):
    out = si.reserve(request.auth, request_id, **body.dict())
    return Status(201, [{"id": r.pk, "component_id": r.component_id, "din": r.component.din,
                         "line_id": r.request_line_id, "status": r.status, "expires_at": r.expires_at} for r in out])


@router.post("/requests/{request_id}/issue", response={201: IssueOut, **ERRORS},
             summary="Issue units (reserved first, then FEFO with compatible substitutes) with the signed hand-over")
def issue(request, request_id: int, body: BloodIssueIn):
    return Status(201, _issue_out(si.issue_request(request.auth, request_id, **body.dict())))


@router.get("/request-lines/{line_id}/crossmatches", response={200: list[CrossmatchOut], **ERRORS},
            summary="Crossmatches recorded for one request line")
def list_crossmatches(request, line_id: int):
    line = RequestLine.objects.filter(pk=line_id).first()
    if line is None:
        raise NotFound(_("Request line not found."))
    si.get_request(request.auth, line.request_id)
    return [{"id": x.pk, "line_id": x.request_line_id, "component_id": x.component_id, "din": x.component.din,
             "result": x.result, "method": x.method, "tested_at": x.tested_at}
            for x in Crossmatch.objects.filter(request_line=line).select_related("component")]


@router.post("/request-lines/{line_id}/crossmatches", response={201: CrossmatchOut, **ERRORS},
             summary="Record a crossmatch of one unit for a request line")
def crossmatch(request, line_id: int, body: CrossmatchIn):
    x = si.record_crossmatch(request.auth, line_id, **body.dict())
    return Status(201, {"id": x.pk, "line_id": x.request_line_id, "component_id": x.component_id,
                        "din": x.component.din, "result": x.result, "method": x.method, "tested_at": x.tested_at})


# --- issues, transfusion, returns, discards -----------------------------------------------------


@router.get("/issues", response={200: list[IssueOut], 403: ErrorOut},
            summary="Hand-overs made by the caller's UDD or received by the caller's hospital")
def list_issues(request, request_id: int | None = None, limit: int = Query(100, ge=1, le=500)):
    qs = si.visible_issues(request.auth)
    if request_id:
        qs = qs.filter(request_id=request_id)
    return [_issue_out(i) for i in qs.order_by("-issued_at")[:limit]]


@router.get("/issues/{issue_id}", response={200: IssueOut, **ERRORS}, summary="One hand-over with its units")
def get_issue(request, issue_id: int):
    return _issue_out(si.get_issue(request.auth, issue_id))


@router.post("/issues/{issue_id}/readings", response={201: ReadingOut, **ERRORS},
             summary="A cool-box temperature reading for a hand-over")
def issue_reading(request, issue_id: int, body: ReadingIn):
    return Status(201, _reading_out(si.add_issue_reading(request.auth, issue_id, **body.dict())))


@router.post("/issue-items/{item_id}/transfused", response={200: IssueItemOut, **ERRORS},
             summary="The hospital records the transfusion of an issued unit")
def transfused(request, item_id: int, body: TransfusionIn):
    it = si.record_transfusion(request.auth, item_id, **body.dict())
    return {"id": it.pk, "component_id": it.component_id, "din": it.component.din,
            "component_type": it.component.component_type.code, "group": it.component.group_label,
            "expires_at": it.component.expires_at, "substitution": it.substitution,
            "fee_bppd_rupiah": it.fee_bppd_rupiah, "transfused_at": it.transfused_at, "returned": it.returned}


@router.post("/issued-units/{component_id}/return", response={201: ReturnOut, **ERRORS},
             summary="An issued unit brought back: to stock if the cold chain held, else discarded")
def return_unit(request, component_id: int, body: ReturnIn):
    return Status(201, _return_out(si.return_unit(request.auth, component_id, **body.dict())))


@router.get("/returns", response={200: list[ReturnOut], 403: ErrorOut}, summary="Returns received by the caller's UDD")
def list_returns(request, limit: int = Query(100, ge=1, le=500)):
    return [_return_out(r) for r in si.visible_returns(request.auth).order_by("-returned_at")[:limit]]


@router.get("/discards", response={200: list[DiscardOut], 403: ErrorOut},
            summary="Discarded units of the caller's sites, with their reasons")
def list_discards(request, reason: str | None = None, limit: int = Query(100, ge=1, le=500)):
    qs = si.visible_discards(request.auth)
    if reason:
        qs = qs.filter(reason=reason)
    return [{"id": d.pk, "component_id": d.component_id, "din": d.component.din,
             "component_type": d.component.component_type.code, "group": d.component.group_label,
             "site_id": d.site_id, "reason": d.reason, "notes": d.notes, "discarded_at": d.discarded_at}
            for d in qs.order_by("-discarded_at")[:limit]]


# --- transfers and suggestions ------------------------------------------------------------------


@router.get("/transfers", response={200: list[TransferOut], 403: ErrorOut},
            summary="Shipments the caller's organisations send or receive")
def list_transfers(request, status: str | None = None, limit: int = Query(100, ge=1, le=500)):
    qs = si.visible_transfers(request.auth)
    if status:
        qs = qs.filter(status=status)
    return [_transfer_out(t) for t in qs.order_by("-requested_at")[:limit]]


@router.post("/transfers", response={201: TransferOut, **ERRORS}, summary="Plan a shipment of units to another site")
def create_transfer(request, body: TransferIn):
    return Status(201, _transfer_out(si.create_transfer(request.auth, **body.dict())))


@router.get("/transfers/{transfer_id}", response={200: TransferOut, **ERRORS}, summary="One transfer")
def get_transfer(request, transfer_id: int):
    return _transfer_out(si.get_transfer(request.auth, transfer_id))


@router.post("/transfers/{transfer_id}/dispatch", response={200: TransferOut, **ERRORS},
             summary="Send: units in transit, departure temperature")
def dispatch_transfer(request, transfer_id: int, body: BloodTransferDispatchIn):
    return _transfer_out(si.dispatch_transfer(request.auth, transfer_id, **body.dict()))


@router.post("/transfers/{transfer_id}/readings", response={201: ReadingOut, **ERRORS},
             summary="A temperature reading on the way")
def transfer_reading(request, transfer_id: int, body: ReadingIn):
    return Status(201, _reading_out(si.add_transfer_reading(request.auth, transfer_id, **body.dict())))


@router.post("/transfers/{transfer_id}/receive", response={200: TransferOut, **ERRORS},
             summary="Receive: units join the receiving site's stock if the cold chain held")
def receive_transfer(request, transfer_id: int, body: BloodTransferReceiveIn):
    return _transfer_out(si.receive_transfer(request.auth, transfer_id, **body.dict()))


@router.post("/transfers/{transfer_id}/cancel", response={200: TransferOut, **ERRORS},
             summary="Cancel a transfer not yet sent")
def cancel_transfer(request, transfer_id: int, body: BloodReasonIn):
    return _transfer_out(si.cancel_transfer(request.auth, transfer_id, reason=body.reason))


@router.get("/transfer-suggestions", response={200: list[BloodTransferSuggestionOut], 403: ErrorOut},
            summary="Open suggestions of what to move where (from or to the caller's sites)")
def list_suggestions(request):
    qs = si.visible_suggestions(request.auth).filter(status="open")
    return [_suggestion_out(s) for s in qs.order_by("-score")[:200]]


@router.post("/transfer-suggestions/compute", response={200: list[BloodTransferSuggestionOut], **ERRORS},
             summary="Recompute suggestions from days of cover, shelf life left and travel time")
def compute_suggestions(request, body: SuggestIn):
    return [_suggestion_out(s) for s in si.suggest_transfers(request.auth, component_type=body.component_type)]


@router.post("/transfer-suggestions/{suggestion_id}/dismiss", response={200: BloodTransferSuggestionOut, **ERRORS},
             summary="Dismiss a suggestion")
def dismiss_suggestion(request, suggestion_id: int):
    return _suggestion_out(si.dismiss_suggestion(request.auth, suggestion_id))


# --- recall, shortages, production hint ---------------------------------------------------------


@router.get("/recalls", response={200: list[RecallOut], 403: ErrorOut}, summary="Donor recall campaigns")
def list_recalls(request):
    return [_recall_out(c) for c in si.visible_recalls(request.auth).order_by("-created_at")[:100]]


@router.post("/recalls", response={201: RecallOut, **ERRORS},
             summary="Text eligible donors of a group running short (and the on-call RhD-negative panel)")
def create_recall(request, body: RecallIn):
    return Status(201, _recall_out(si.create_recall(request.auth, **body.dict())))


@router.get("/recalls/{campaign_id}", response={200: RecallOut, **ERRORS}, summary="One recall campaign")
def get_recall(request, campaign_id: int):
    c = si.visible_recalls(request.auth).filter(pk=campaign_id).first()
    if c is None:
        raise NotFound(_("Recall not found."))
    return _recall_out(c)


@router.get("/sites/{site_id}/shortages", response={200: list[ShortageOut], **ERRORS},
            summary="Red-cell groups projected below the amber level of cover at a site")
def shortages(request, site_id: int):
    return si.groups_running_short(services.get_site(request.auth, site_id))


@router.get("/sites/{site_id}/production-hint", response={200: HintOut, **ERRORS},
            summary="What to make from a new whole-blood bag of a group, from forecast demand")
def production_hint(request, site_id: int, abo: Abo, rhd: Rhd):
    return si.production_hint(services.get_site(request.auth, site_id), abo, rhd)


@router.get("/sites/{site_id}/forecast", response={200: list[ForecastOut], **ERRORS},
            summary="Forecast demand per group for the coming weeks (with seasonal factors)")
def forecast(request, site_id: int, weeks: int = Query(4, ge=1, le=12), component_type: str = "PRC"):
    return stats.forecast(request.auth, services.get_site(request.auth, site_id), weeks=weeks,
                          component_type=component_type)


# --- statistics ---------------------------------------------------------------------------------


@router.get("/stats", response={200: StatsOut, **ERRORS},
            summary="Figures of a month or year: donations, bags, components, issued, discards, outdate rate")
def stats_summary(request, year: int | None = None, month: int | None = None):
    return stats.summary(request.auth, year=year, month=month)


@router.get("/stats/monthly", response={200: list[dict], **ERRORS}, summary="The year month by month")
def stats_monthly(request, year: int | None = None):
    return stats.monthly(request.auth, year=year)


# --- traceability -------------------------------------------------------------------------------


@router.get("/trace/units/{component_id}", response={200: BloodUnitTraceOut, **ERRORS},
            summary="From a unit back to its donation, tests and donor, and forward to the patient")
def trace_unit(request, component_id: int):
    t = trace_mod.trace_component(request.auth, component_id)
    return _donation_trace_out(t, t["components"])


@router.get("/trace/requests/{request_id}", response={200: TracePatientOut, **ERRORS},
            summary="From a patient's request back to every donation and donor (by number) it received")
def trace_request(request, request_id: int):
    t = trace_mod.trace_request(request.auth, request_id)
    req = t["request"]
    return {"request_id": req.pk, "request_number": req.number, "patient_name": req.patient_name,
            "hospital_name": req.organization.name,
            "donations": [_donation_trace_out(d, [d["chain"]]) for d in t["donations"]]}

