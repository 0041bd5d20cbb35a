"""Referrals API (/api/callcenter/referrals): the call center's and the agencies' view, actions, routing rules."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.geo.models import Region

from . import referrals as svc
from .models import Referral

router = Router(tags=["callcenter-referrals"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class ReferralOut(Schema):
    id: int
    incident_id: int
    incident_number: str
    incident_type: str
    incident_type_name: str
    priority: int
    incident_status: str
    region_code: str
    region_name: str
    address: str
    description: str
    call_center_id: int
    call_center_name: str
    agency_id: int
    agency_name: str
    agency_kind: str
    status: str
    state: str = Field(..., description="waiting, overdue, escalated, acknowledged, committed, closed, declined, "
                                        "cancelled: the board's colour")
    requested_at: datetime
    ack_deadline: datetime
    acknowledged_at: datetime | None
    committed_at: datetime | None
    closed_at: datetime | None
    escalation_level: int
    escalated_at: datetime | None
    resources: str
    note: str
    seconds_remaining: int | None = Field(..., description="Until the acknowledgement deadline; negative when "
                                                           "overdue; null once acknowledged")
    allowed_actions: list[str] = Field(..., description="Actions the caller may take now")


class BoardOut(Schema):
    now: datetime
    items: list[ReferralOut]


class ReferIn(Schema):
    incident_id: int
    agency_id: int
    note: str = Field("", max_length=500)


class ReferralNoteIn(Schema):
    note: str = Field("", max_length=500)


class CommitIn(Schema):
    resources: str = Field(..., min_length=1, max_length=300, description="What is sent: \"1 ambulans, 2 perawat\"")
    note: str = Field("", max_length=500)


class ReferralReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class AgencyOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str


class RuleOut(Schema):
    id: int
    organization_id: int
    incident_type: str | None = Field(..., description="Type code; null = every type")
    incident_type_name: str | None
    region_prefix: str = Field(..., description="Kemendagri code prefix; \"\" = the whole area")
    agency_id: int
    agency_name: str
    agency_kind: str
    active: bool


class RuleIn(Schema):
    agency_id: int
    incident_type: str | None = Field(None, max_length=40)
    region_prefix: str = Field("", max_length=13)
    active: bool = True
    organization_id: int | None = None


class RulePatch(Schema):
    agency_id: int | None = None
    incident_type: str | None = Field(None, max_length=40)
    region_prefix: str | None = Field(None, max_length=13)
    active: bool | None = None


# --- serialisation ----------------------------------------------------------------------------------


def _caller_actions(actor, ref: Referral) -> list[str]:
    sides = []
    if actor.has("referral.respond") and ref.agency_id in actor.org_ids:
        sides.append(svc.AGENCY)
    if actor.has("referral.manage") and (actor.is_platform_admin or ref.incident.organization_id in actor.org_ids):
        sides.append(svc.CALL_CENTER)
    return [a for a in svc.allowed_actions(ref) if svc.TRANSITIONS[a].by in sides]


def _out(actor, refs: list[Referral], now: datetime) -> list[dict]:
    codes = {r.incident.region_code for r in refs if r.incident.region_code}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    out = []
    for r in refs:
        inc = r.incident
        out.append({
            "id": r.pk, "incident_id": inc.pk, "incident_number": inc.number, "incident_type": inc.type.code,
            "incident_type_name": inc.type.name, "priority": inc.priority, "incident_status": inc.status,
            "region_code": inc.region_code, "region_name": names.get(inc.region_code, ""), "address": inc.address,
            "description": inc.description, "call_center_id": inc.organization_id,
            "call_center_name": inc.organization.name, "agency_id": r.agency_id, "agency_name": r.agency.name,
            "agency_kind": r.agency.kind, "status": r.status, "state": svc.board_state(r, now),
            "requested_at": r.requested_at, "ack_deadline": r.ack_deadline, "acknowledged_at": r.acknowledged_at,
            "committed_at": r.committed_at, "closed_at": r.closed_at, "escalation_level": r.escalation_level,
            "escalated_at": r.escalated_at, "resources": r.resources, "note": r.note,
            "seconds_remaining": svc.seconds_remaining(r, now), "allowed_actions": _caller_actions(actor, r),
        })
    return out


def _one(request, ref: Referral) -> dict:
    """The referral as it is now in the database, after an action."""
    return _out(request.auth, [svc.load_referral(ref.pk)], timezone.now())[0]


def _rule_out(rule) -> dict:
    return {
        "id": rule.pk, "organization_id": rule.organization_id,
        "incident_type": rule.incident_type.code if rule.incident_type else None,
        "incident_type_name": rule.incident_type.name if rule.incident_type else None,
        "region_prefix": rule.region_prefix, "agency_id": rule.agency_id, "agency_name": rule.agency.name,
        "agency_kind": rule.agency.kind, "active": rule.active,
    }


# --- reading ----------------------------------------------------------------------------------------


@router.get("", response={200: list[ReferralOut], 403: ErrorOut},
            summary="Referrals of the caller's incidents (call center) or addressed to the caller (agency)")
def list_referrals(request, status: str | None = None, open: bool = False, incident_id: int | None = None,
                   agency_id: int | None = None, limit: int = 200):
    qs = svc.visible_referrals(request.auth)
    if status:
        qs = qs.filter(status__in=[s.strip() for s in status.split(",") if s.strip()])
    if open:
        qs = qs.filter(status__in=svc.OPEN_REFERRAL_STATUSES)
    if incident_id is not None:
        qs = qs.filter(incident_id=incident_id)
    if agency_id is not None:
        qs = qs.filter(agency_id=agency_id)
    refs = list(qs.order_by("-requested_at", "-pk")[: max(1, min(limit, 1000))])
    return _out(request.auth, refs, timezone.now())


@router.get("/board", response={200: BoardOut, 403: ErrorOut},
            summary="Open referrals, unanswered first, with seconds left to the acknowledgement deadline")
def board(request):
    now = timezone.now()
    return {"now": now, "items": _out(request.auth, svc.open_board(request.auth, now), now)}


@router.get("/agencies", response={200: list[AgencyOut], 403: ErrorOut},
            summary="Agencies the caller's call center can refer incidents to")
def agencies(request):
    return list(svc.referral_targets(request.auth)[:500])


# --- routing rules ----------------------------------------------------------------------------------


@router.get("/rules", response={200: list[RuleOut], 403: ErrorOut}, summary="Routing rules of the caller's call center")
def list_rules(request):
    return [_rule_out(r) for r in svc.visible_rules(request.auth)]


@router.post("/rules", response={201: RuleOut, **ERRORS},
             summary="Add a routing rule (incident type x region -> agency)")
def create_rule(request, body: RuleIn):
    return Status(201, _rule_out(svc.create_rule(request.auth, **body.dict())))


@router.get("/rules/{rule_id}", response={200: RuleOut, 403: ErrorOut, 404: ErrorOut})
def get_rule(request, rule_id: int):
    return _rule_out(svc.get_rule(request.auth, rule_id))


@router.patch("/rules/{rule_id}", response={200: RuleOut, **ERRORS})
def update_rule(request, rule_id: int, body: RulePatch):
    return _rule_out(svc.update_rule(request.auth, rule_id, **body.dict(exclude_unset=True)))


@router.delete("/rules/{rule_id}", response={204: None, 403: ErrorOut, 404: ErrorOut})
def delete_rule(request, rule_id: int):
    svc.delete_rule(request.auth, rule_id)
    return Status(204, None)


# --- one referral -----------------------------------------------------------------------------------


@router.post("", response={201: ReferralOut, **ERRORS}, summary="Refer an incident to one more agency")
def refer(request, body: ReferIn):
    ref = svc.refer(request.auth, body.incident_id, body.agency_id, note=body.note)
    return Status(201, _one(request, ref))


@router.get("/{referral_id}", response={200: ReferralOut, 403: ErrorOut, 404: ErrorOut})
def get_referral(request, referral_id: int):
    return _out(request.auth, [svc.get_referral(request.auth, referral_id)], timezone.now())[0]


@router.post("/{referral_id}/acknowledge", response={200: ReferralOut, **ERRORS},
             summary="Agency: we have seen it and are handling it")
def acknowledge(request, referral_id: int, body: ReferralNoteIn | None = None):
    return _one(request, svc.acknowledge(request.auth, referral_id, note=body.note if body else ""))


@router.post("/{referral_id}/commit", response={200: ReferralOut, **ERRORS}, summary="Agency: resources committed")
def commit(request, referral_id: int, body: CommitIn):
    return _one(request, svc.commit_resources(request.auth, referral_id, resources=body.resources, note=body.note))


@router.post("/{referral_id}/close", response={200: ReferralOut, **ERRORS}, summary="Agency: our part is done")
def close(request, referral_id: int, body: ReferralNoteIn | None = None):
    return _one(request, svc.close_referral(request.auth, referral_id, note=body.note if body else ""))


@router.post("/{referral_id}/decline", url_name="referral_decline", response={200: ReferralOut, **ERRORS},
             summary="Agency: we cannot take it (reason required; the call center is told)")
def decline(request, referral_id: int, body: ReferralReasonIn):
    return _one(request, svc.decline(request.auth, referral_id, reason=body.reason))


@router.post("/{referral_id}/cancel", url_name="referral_cancel", response={200: ReferralOut, **ERRORS},
             summary="Call center: withdraw the referral (reason required)")
def cancel(request, referral_id: int, body: ReferralReasonIn):
    return _one(request, svc.cancel_referral(request.auth, referral_id, reason=body.reason))
