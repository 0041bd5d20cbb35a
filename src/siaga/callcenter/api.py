"""Call-center API (/api/callcenter/...): calls, caller history, the taxonomy, incidents, duplicates, priority policies."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import duplicates, services, stats
from .models import Call, CallerNumber, Incident, IncidentStatus, IncidentType, PriorityPolicy, Referral

router = Router(tags=["callcenter"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
ChannelIn = Literal["phone", "sms", "web", "app"]
CloseOutcome = Literal["information", "prank", "silent", "accidental", "test"]
StatusIn = Literal["new", "referred", "in_progress", "resolved", "closed", "cancelled"]
SourceIn = Literal["", "aml", "link", "map", "coordinates", "region", "address", "reporter"]


# --- schemas: calls -----------------------------------------------------------------------------


class CallStartIn(Schema):
    channel: ChannelIn = "phone"
    caller_number: str = Field("", max_length=40, description="any common form: 0812..., +62812..., 62812...")
    external_id: str = Field("", max_length=100, description="client key of a web/app/SMS report (retry-safe)")


NUMBER_FIELD = Field(None, max_length=40, description="the caller's number, when typed after the call started")


class CallPatchIn(Schema):
    caller_number: str = Field(..., max_length=40)


class CallCloseIn(Schema):
    outcome: CloseOutcome
    reason: str = Field("", max_length=300, description="required for prank, silent and accidental")
    caller_number: str | None = NUMBER_FIELD


class CallAttachIn(Schema):
    incident_id: int
    caller_number: str | None = NUMBER_FIELD


class CallOut(Schema):
    id: int
    organization_id: int
    channel: str
    caller_number: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    taken_by_id: int | None
    outcome: str
    outcome_label: str
    outcome_reason: str
    outcome_at: datetime | None
    incident_id: int | None
    incident_number: str | None
    region_code: str
    caller_flagged: bool
    caller_policy: str
    warning: str | None


class CallListOut(Schema):
    count: int
    items: list[CallOut]


class HistoryCallOut(Schema):
    id: int
    channel: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str
    outcome_reason: str
    incident_id: int | None
    incident_number: str | None


class HistoryIncidentOut(Schema):
    id: int
    number: str
    type_code: str
    type_name: str
    status: str
    priority: int
    created_at: datetime


class CallerHistoryOut(Schema):
    number: str
    organization_id: int
    known: bool
    total_calls: int
    nuisance_calls: int
    recent_nuisance_calls: int
    window_days: int
    threshold: int
    flagged: bool
    flagged_at: datetime | None
    policy: str
    note: str
    last_call_at: datetime | None
    calls: list[HistoryCallOut]
    incidents: list[HistoryIncidentOut]


# --- schemas: taxonomy --------------------------------------------------------------------------


class KeyQuestionOut(Schema):
    id: str
    text: str
    if_yes: int | None = None


class IncidentTypeOut(Schema):
    code: str
    name: str
    category: str
    default_priority: int
    key_questions: list[KeyQuestionOut]
    default_agency_kinds: list[str]
    needs_capability: str
    keywords: str


class PriorityPolicyOut(Schema):
    priority: int
    label: str
    response_target_minutes: int
    ack_deadline_minutes: int
    escalate_again_minutes: int


# --- schemas: incidents -------------------------------------------------------------------------


class IncidentIn(Schema):
    type_code: str = Field(..., max_length=40)
    call_id: int | None = None
    description: str = Field("", max_length=4000)
    address: str = Field("", max_length=300)
    region_code: str = Field("", max_length=13)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    location_source: SourceIn = ""
    accuracy_m: float | None = Field(None, ge=0, le=1_000_000)
    answers: dict[str, bool] = Field(default_factory=dict, description="key question id -> yes/no")
    priority: int | None = Field(None, ge=1, le=4, description="omit to take the suggested priority")
    priority_reason: str = Field("", max_length=300, description="required when priority differs from the suggestion")
    caller_number: str | None = NUMBER_FIELD


class StatusChangeIn(Schema):
    status: StatusIn
    note: str = Field("", max_length=500)


class IncidentMergeIn(Schema):
    target_id: int = Field(..., description="the incident that stays; this one becomes 'merged' into it")


class IncidentOut(Schema):
    id: int
    number: str
    organization_id: int
    type_code: str
    type_name: str
    category: str
    needs_capability: str
    priority: int
    suggested_priority: int
    priority_override_reason: str
    status: str
    status_label: str
    description: str
    address: str
    region_code: str
    lat: float | None
    lng: float | None
    h3_cell: str
    location_source: str
    location_accuracy_m: int | None
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    calls_count: int


class IncidentListOut(Schema):
    count: int
    items: list[IncidentOut]


class IncidentCallOut(Schema):
    id: int
    channel: str
    caller_number: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str


class IncidentTimelineOut(Schema):
    id: int
    at: datetime
    kind: str
    text: str
    actor: str | None
    organization_id: int | None
    data: dict


class PositionOut(Schema):
    id: int
    lat: float
    lng: float
    accuracy_m: int | None
    source: str
    measured_at: datetime | None
    received_at: datetime
    call_id: int | None


class ReferralSummaryOut(Schema):
    id: int
    agency_id: int
    agency_name: str
    status: str
    requested_at: datetime
    ack_deadline: datetime
    acknowledged_at: datetime | None
    committed_at: datetime | None
    closed_at: datetime | None
    escalation_level: int


class IncidentDetailOut(IncidentOut):
    answers: dict
    key_questions: list[KeyQuestionOut]
    allowed_statuses: list[str]
    merged_ids: list[int]
    calls: list[IncidentCallOut]
    timeline: list[IncidentTimelineOut]
    positions: list[PositionOut]
    referrals: list[ReferralSummaryOut]


class DuplicateComponentsOut(Schema):
    distance_m: float | None
    minutes_apart: float
    distance: float
    time: float
    type: float
    text: float
    caller: float


class DuplicateOut(Schema):
    incident_id: int
    number: str
    score: float
    reasons: list[str]
    type_code: str
    type_name: str
    status: str
    priority: int
    created_at: datetime
    lat: float | None
    lng: float | None
    address: str
    components: DuplicateComponentsOut


class DuplicateCheckIn(Schema):
    type_code: str = Field("", max_length=40)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    region_code: str = Field("", max_length=13)
    description: str = Field("", max_length=4000)
    address: str = Field("", max_length=300)
    caller_number: str = Field("", max_length=40)
    limit: int = Field(5, ge=1, le=20)


# --- shaping ------------------------------------------------------------------------------------


def _warning(call: Call) -> str | None:
    if not call.caller_flagged:
        return None
    policy = CallerNumber.Policy(call.caller_policy).label if call.caller_policy in CallerNumber.Policy.values else "-"
    return _("This number is flagged for repeated nuisance calls (policy: %(policy)s). Answer it like any other "
             "call: it may be a real emergency.") % {"policy": policy}


def _call_out(call: Call) -> dict:
    return {
        "id": call.pk, "organization_id": call.organization_id, "channel": call.channel,
        "caller_number": call.caller_number, "started_at": call.started_at, "answered_at": call.answered_at,
        "ended_at": call.ended_at, "taken_by_id": call.taken_by_id, "outcome": call.outcome,
        "outcome_label": str(call.get_outcome_display()) if call.outcome else "",
        "outcome_reason": call.outcome_reason, "outcome_at": call.outcome_at, "incident_id": call.incident_id,
        "incident_number": call.incident.number if call.incident_id else None, "region_code": call.region_code,
        "caller_flagged": call.caller_flagged, "caller_policy": call.caller_policy, "warning": _warning(call),
    }


def _type_out(t: IncidentType) -> dict:
    return {"code": t.code, "name": t.name, "category": t.category, "default_priority": t.default_priority,
            "key_questions": t.key_questions or [], "default_agency_kinds": t.default_agency_kinds or [],
            "needs_capability": t.needs_capability, "keywords": t.keywords}


def _incident_out(inc: Incident, calls_count: int | None = None) -> dict:
    if calls_count is None:
        calls_count = getattr(inc, "calls_count", None)
        if calls_count is None:
            calls_count = inc.calls.count()
    return {
        "id": inc.pk, "number": inc.number, "organization_id": inc.organization_id, "type_code": inc.type.code,
        "type_name": inc.type.name, "category": inc.type.category, "needs_capability": inc.type.needs_capability,
        "priority": inc.priority, "suggested_priority": inc.suggested_priority,
        "priority_override_reason": inc.priority_override_reason, "status": inc.status,
        "status_label": str(inc.get_status_display()), "description": inc.description, "address": inc.address,
        "region_code": inc.region_code, "lat": inc.lat, "lng": inc.lng, "h3_cell": inc.h3_cell,
        "location_source": inc.location_source, "location_accuracy_m": inc.location_accuracy_m,
        "merged_into_id": inc.merged_into_id, "created_at": inc.created_at, "updated_at": inc.updated_at,
        "resolved_at": inc.resolved_at, "closed_at": inc.closed_at, "calls_count": calls_count,
    }


def _detail_out(inc: Incident, actor) -> dict:
    calls = list(inc.calls.order_by("started_at", "id"))
    out = _incident_out(inc, calls_count=len(calls))
    # Agencies act on the incident but may not see callers' numbers (personal data, UU 27/2022).
    show_numbers = actor.has("call.view")
    hidden = {c.caller_number: stats.mask_number(c.caller_number) for c in calls if c.caller_number}

    def number(value):
        return value if show_numbers or not value else stats.mask_number(value)

    def text(value):
        if not show_numbers:
            for raw, masked in hidden.items():
                value = value.replace(raw, masked)
        return value

    out.update(
        answers=inc.answers or {},
        key_questions=inc.type.key_questions or [],
        allowed_statuses=sorted(services.TRANSITIONS.get(inc.status, ())),
        merged_ids=list(inc.merged.values_list("pk", flat=True)),
        calls=[{"id": c.pk, "channel": c.channel, "caller_number": number(c.caller_number), "started_at": c.started_at,
                "answered_at": c.answered_at, "ended_at": c.ended_at, "outcome": c.outcome} for c in calls],
        timeline=[{"id": t.pk, "at": t.at, "kind": t.kind, "text": text(t.text),
                   "actor": t.actor.get_username() if t.actor_id else None, "organization_id": t.organization_id,
                   "data": json.loads(text(json.dumps(t.data or {})))}
                  for t in inc.timeline.select_related("actor").order_by("at", "id")],
        positions=[{"id": p.pk, "lat": p.lat, "lng": p.lng, "accuracy_m": p.accuracy_m, "source": p.source,
                    "measured_at": p.measured_at, "received_at": p.received_at, "call_id": p.call_id}
                   for p in inc.positions.order_by("-received_at", "-id")[:100]],
        referrals=[{"id": r.pk, "agency_id": r.agency_id, "agency_name": r.agency.name, "status": r.status,
                    "requested_at": r.requested_at, "ack_deadline": r.ack_deadline,
                    "acknowledged_at": r.acknowledged_at, "committed_at": r.committed_at, "closed_at": r.closed_at,
                    "escalation_level": r.escalation_level}
                   for r in Referral.objects.filter(incident=inc).select_related("agency").order_by("pk")],
    )
    return out


# --- calls --------------------------------------------------------------------------------------


@router.post("/calls", response={201: CallOut, **ERRORS}, summary="Start a call (or record a text report)")
def start_call(request, body: CallStartIn):
    call = services.start_call(request.auth, channel=body.channel, caller_number=body.caller_number,
                               external_id=body.external_id)
    return Status(201, _call_out(call))


@router.get("/calls", response={200: CallListOut, 403: ErrorOut}, summary="Calls of the caller's call center")
def list_calls(
    request,
    open: bool | None = Query(None, description="true: calls without an outcome yet"),
    outcome: str | None = Query(None, max_length=20),
    channel: str | None = Query(None, max_length=10),
    number: str | None = Query(None, max_length=40, description="caller number in any common form"),
    since: datetime | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    qs = services.visible_calls(request.auth).select_related("incident")
    if open is not None:
        qs = qs.filter(outcome="") if open else qs.exclude(outcome="")
    if outcome:
        qs = qs.filter(outcome=outcome)
    if channel:
        qs = qs.filter(channel=channel)
    if number:
        from .phones import normalize_phone

        qs = qs.filter(caller_number=normalize_phone(number))
    if since:
        qs = qs.filter(started_at__gte=since)
    qs = qs.order_by("-started_at", "-id")
    return {"count": qs.count(), "items": [_call_out(c) for c in qs[offset:offset + limit]]}


@router.get("/calls/{call_id}", response={200: CallOut, **ERRORS}, summary="One call")
def get_call(request, call_id: int):
    return _call_out(services.get_call(request.auth, call_id))


def _with_number(request, call_id: int | None, number: str | None) -> None:
    """Save a number typed after the call started, in the same transaction as the action that follows."""
    if call_id is not None and number:
        services.set_caller_number(request.auth, call_id, number)


@router.patch("/calls/{call_id}", response={200: CallOut, **ERRORS},
              summary="Set the caller's number on a call still open")
def update_call(request, call_id: int, body: CallPatchIn):
    return _call_out(services.set_caller_number(request.auth, call_id, body.caller_number))


@router.post("/calls/{call_id}/answer", response={200: CallOut, **ERRORS}, summary="The call-taker picks up")
def answer_call(request, call_id: int):
    return _call_out(services.answer_call(request.auth, call_id))


@router.post("/calls/{call_id}/end", response={200: CallOut, **ERRORS}, summary="The line went down")
def end_call(request, call_id: int):
    return _call_out(services.end_call(request.auth, call_id))


@router.post("/calls/{call_id}/close", response={200: CallOut, **ERRORS},
             summary="Close a call without an incident (information, prank, silent, accidental, test)")
def close_call(request, call_id: int, body: CallCloseIn):
    with transaction.atomic():
        _with_number(request, call_id, body.caller_number)
        call = services.close_call(request.auth, call_id, outcome=body.outcome, reason=body.reason)
    return _call_out(call)


@router.post("/calls/{call_id}/attach", response={200: CallOut, **ERRORS},
             summary="Attach the call to an incident already known")
def attach_call(request, call_id: int, body: CallAttachIn):
    with transaction.atomic():
        _with_number(request, call_id, body.caller_number)
        call = services.attach_call(request.auth, call_id, body.incident_id)
    return _call_out(call)


@router.get("/callers/{number}/history", response={200: CallerHistoryOut, **ERRORS},
            summary="A number's earlier calls, incidents and nuisance record at the caller's call center")
def caller_history(request, number: str):
    return services.caller_history(request.auth, number)


# --- taxonomy -----------------------------------------------------------------------------------


@router.get("/incident-types", response=list[IncidentTypeOut],
            summary="Active incident types, searchable by name, code, category and keywords")
def incident_types(request, q: str = Query("", max_length=100), limit: int = Query(50, ge=1, le=200)):
    request.auth.require("incident.view")
    return [_type_out(t) for t in services.search_types(q, limit=limit)]


@router.get("/priority-policies", response=list[PriorityPolicyOut],
            summary="Response-time targets and acknowledgement deadlines per priority")
def priority_policies(request):
    request.auth.require("incident.view")
    return [{"priority": p.priority, "label": str(p.get_priority_display()),
             "response_target_minutes": p.response_target_minutes, "ack_deadline_minutes": p.ack_deadline_minutes,
             "escalate_again_minutes": p.escalate_again_minutes} for p in PriorityPolicy.objects.order_by("priority")]


# --- incidents ----------------------------------------------------------------------------------


@router.post("/incidents", response={201: IncidentDetailOut, **ERRORS},
             summary="Create an incident (from a call or directly); it is routed to agencies")
def create_incident(request, body: IncidentIn):
    data = body.dict()
    with transaction.atomic():
        _with_number(request, data["call_id"], data.pop("caller_number", None))
        inc = services.create_incident(request.auth, **data)
    return Status(201, _detail_out(services.get_incident(request.auth, inc.pk), request.auth))


@router.get("/incidents", response={200: IncidentListOut, 400: ErrorOut, 403: ErrorOut},
            summary="Incidents the caller may see: its own and those referred to its organisation")
def list_incidents(
    request,
    status: str | None = Query(None, description="one status or several separated by commas; 'open' = new, "
                                                  "referred, in progress"),
    priority: int | None = Query(None, ge=1, le=4),
    type: str | None = Query(None, max_length=40, description="incident type code"),
    region: str | None = Query(None, max_length=13, description="Kemendagri code prefix"),
    q: str | None = Query(None, max_length=100, description="number, description or address"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    qs = services.visible_incidents(request.auth)
    if status:
        wanted = {s.strip() for s in status.split(",") if s.strip()}
        if "open" in wanted:
            wanted.discard("open")
            wanted |= {IncidentStatus.NEW, IncidentStatus.REFERRED, IncidentStatus.IN_PROGRESS}
        unknown = sorted(wanted - set(IncidentStatus.values))
        if unknown:
            from siaga.core.errors import ServiceError

            raise ServiceError(_("Unknown incident status: %(status)s.") % {"status": ", ".join(unknown)},
                               code="unknown_status")
        qs = qs.filter(status__in=wanted)
    if priority:
        qs = qs.filter(priority=priority)
    if type:
        qs = qs.filter(type__code=type)
    if region:
        qs = qs.filter(Q(region_code=region) | Q(region_code__startswith=region + "."))
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(description__icontains=q) | Q(address__icontains=q))
    count = qs.count()
    page = (qs.select_related("type").annotate(calls_count=Count("calls", distinct=True))
            .order_by("-created_at", "-id")[offset:offset + limit])
    return {"count": count, "items": [_incident_out(i) for i in page]}


@router.get("/incidents/{incident_id}", response={200: IncidentDetailOut, **ERRORS},
            summary="One incident with its calls, timeline, positions and referrals")
def get_incident(request, incident_id: int):
    return _detail_out(services.get_incident(request.auth, incident_id), request.auth)


@router.patch("/incidents/{incident_id}/status", url_name="incident_set_status", response={200: IncidentOut, **ERRORS},
              summary="Move an incident to its next status (see allowed_statuses)")
def set_status(request, incident_id: int, body: StatusChangeIn):
    inc = services.set_incident_status(request.auth, incident_id, body.status, note=body.note)
    return _incident_out(services.get_incident(request.auth, inc.pk))


@router.post("/incidents/{incident_id}/merge", url_name="incident_merge", response={200: IncidentOut, **ERRORS},
             summary="Merge this incident into target_id (confirmed by the call-taker; never automatic)")
def merge(request, incident_id: int, body: IncidentMergeIn):
    target = services.merge_incidents(request.auth, incident_id, body.target_id)
    return _incident_out(services.get_incident(request.auth, target.pk))


@router.get("/incidents/{incident_id}/duplicates", response={200: list[DuplicateOut], **ERRORS},
            summary="Open incidents that look like the same event")
def incident_duplicates(request, incident_id: int, limit: int = Query(5, ge=1, le=20)):
    return duplicates.duplicates_of(request.auth, incident_id, limit=limit)


@router.post("/duplicates/check", response={200: list[DuplicateOut], **ERRORS},
             summary="Score open incidents against a draft report before it is created")
def check_duplicates(request, body: DuplicateCheckIn):
    return duplicates.check_report(
        request.auth, type_code=body.type_code, lat=body.lat, lng=body.lng, region_code=body.region_code,
        text=" ".join(x for x in (body.description, body.address) if x), caller_number=body.caller_number,
        limit=body.limit,
    )
