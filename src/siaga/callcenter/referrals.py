"""Referrals to agencies: routing rules, the referral lifecycle, acknowledgement deadlines and their escalation.

Routing (route_new_incident / resolve_agencies), applied when an incident is created:
  1. Every active RoutingRule of the incident's call center whose incident_type is the incident's
     type or empty (any type), and whose region_prefix is empty (the whole area) or contains the
     incident's region code, names one agency. All matching rules apply (type-specific and any-type).
  2. For each organisation kind in IncidentType.default_agency_kinds that no matched rule already
     named, the active organisations of that kind are looked up by area. The reference area is the
     incident's region code, or the call center's when the incident has no location yet. Among the
     organisations whose area contains it, the most specific wins (kelurahan before kecamatan before
     kab/kota before province before national); several at that same level are all referred. When
     none contains it, those lying inside it at the shallowest level are used instead.
  The call center never refers to itself. Each agency gets one Referral (unique per incident+agency).

Lifecycle (the EDXL-RM request/response idea), one table, TRANSITIONS below:
  requested -> acknowledged -> committed (resources) -> closed; requested/acknowledged -> declined
  (reason, by the agency); requested/acknowledged/committed -> cancelled (reason, by the call center);
  declined/cancelled/closed -> requested again when the call center refers the same agency anew.
  closed_at records when a referral ended, whether closed, declined or cancelled.

Deadlines: ack_deadline = requested_at + PriorityPolicy.ack_deadline_minutes of the incident's priority.
escalate_overdue() (a huey periodic task, every minute) raises a referral still "requested" past its
deadline to level 1 (the agency's administrators, else the agency itself, are notified), and to level 2
once PriorityPolicy.escalate_again_minutes more have passed after the deadline (the call center's
administrators are notified). Each level is claimed with a conditional update, so it happens once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import pydantic
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit, event_type
from siaga.core.models import AuditLog, Organization, OrgKind, Role, User
from siaga.core.permissions import Actor, in_scope, region_overlap_q, scopes_overlap, system_actor

from .models import (
    OPEN_STATUSES,
    Incident,
    IncidentStatus,
    IncidentType,
    Priority,
    PriorityPolicy,
    Referral,
    ReferralStatus,
    RoutingRule,
    TimelineEntry,
)

logger = logging.getLogger(__name__)

S = ReferralStatus
OPEN_REFERRAL_STATUSES = (S.REQUESTED, S.ACKNOWLEDGED, S.COMMITTED)
FINISHED_REFERRAL_STATUSES = (S.CLOSED, S.DECLINED, S.CANCELLED)

# Used only when the PriorityPolicy row of a priority is missing (the taxonomy seed creates all four).
DEFAULT_ACK_MINUTES = {1: 3, 2: 5, 3: 10, 4: 30}
DEFAULT_ESCALATE_AGAIN_MINUTES = 5

# Kinds of organisation that answer referrals: offered as targets of a manual referral.
RESPONDER_KINDS = (
    OrgKind.PSC_119, OrgKind.BPBD, OrgKind.FIRE, OrgKind.POLICE, OrgKind.HEALTH_OFFICE, OrgKind.SOCIAL_OFFICE,
    OrgKind.PUBLIC_WORKS, OrgKind.PLN, OrgKind.OTHER_AGENCY, OrgKind.GOVERNMENT, OrgKind.HOSPITAL,
    OrgKind.PUSKESMAS, OrgKind.PMI_BRANCH, OrgKind.PMI_PROVINCE,
)

AGENCY, CALL_CENTER = "agency", "call_center"


@dataclass(frozen=True)
class Transition:
    sources: frozenset
    target: str
    by: str  # AGENCY or CALL_CENTER: who may take it
    event: str
    stamp: str | None  # timestamp field set to the system's clock


TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition(frozenset({S.REQUESTED}), S.ACKNOWLEDGED, AGENCY, "referral.acknowledged",
                              "acknowledged_at"),
    "commit": Transition(frozenset({S.ACKNOWLEDGED}), S.COMMITTED, AGENCY, "referral.committed", "committed_at"),
    "close": Transition(frozenset({S.ACKNOWLEDGED, S.COMMITTED}), S.CLOSED, AGENCY, "referral.closed", "closed_at"),
    "decline": Transition(frozenset({S.REQUESTED, S.ACKNOWLEDGED}), S.DECLINED, AGENCY, "referral.declined",
                          "closed_at"),
    "cancel": Transition(frozenset({S.REQUESTED, S.ACKNOWLEDGED, S.COMMITTED}), S.CANCELLED, CALL_CENTER,
                         "referral.cancelled", "closed_at"),
    "rerequest": Transition(frozenset({S.DECLINED, S.CANCELLED, S.CLOSED}), S.REQUESTED, CALL_CENTER,
                            "referral.requested", "requested_at"),
}


def allowed_actions(referral: Referral, by: str | None = None) -> list[str]:
    """The transitions the referral's current status allows (optionally only those of one side)."""
    return [name for name, t in TRANSITIONS.items()
            if referral.status in t.sources and (by is None or t.by == by)]


# --- event types -------------------------------------------------------------------------------------


class ReferralEvent(pydantic.BaseModel):
    id: int
    incident_id: int
    incident_number: str
    call_center_id: int
    agency_id: int
    agency_name: str
    status: str
    priority: int
    region_code: str
    requested_at: dt.datetime
    ack_deadline: dt.datetime
    escalation_level: int


@event_type("referral.requested", topic="referrals")
class ReferralRequested(ReferralEvent):
    reason: str  # why this agency: "rule:<id>", "default:<kind>" or "manual"


@event_type("referral.acknowledged", topic="referrals")
class ReferralAcknowledged(ReferralEvent):
    acknowledged_at: dt.datetime
    within_deadline: bool


@event_type("referral.committed", topic="referrals")
class ReferralCommitted(ReferralEvent):
    committed_at: dt.datetime
    resources: str


@event_type("referral.closed", topic="referrals")
class ReferralClosed(ReferralEvent):
    closed_at: dt.datetime
    note: str


@event_type("referral.declined", topic="referrals")
class ReferralDeclined(ReferralEvent):
    closed_at: dt.datetime
    reason: str


@event_type("referral.cancelled", topic="referrals")
class ReferralCancelled(ReferralEvent):
    closed_at: dt.datetime
    reason: str


class Notified(pydantic.BaseModel):
    kind: str  # "user" or "organization"
    id: int
    name: str
    sms: bool  # an SMS was queued for this recipient


@event_type("referral.escalated", topic="referrals")
class ReferralEscalated(ReferralEvent):
    level: int
    escalated_at: dt.datetime
    notified: list[Notified]


def _payload(ref: Referral, **extra) -> dict:
    inc = ref.incident
    return {
        "id": ref.pk, "incident_id": inc.pk, "incident_number": inc.number, "call_center_id": inc.organization_id,
        "agency_id": ref.agency_id, "agency_name": ref.agency.name, "status": ref.status, "priority": inc.priority,
        "region_code": inc.region_code, "requested_at": ref.requested_at, "ack_deadline": ref.ack_deadline,
        "escalation_level": ref.escalation_level, **extra,
    }


def _emit(name: str, ref: Referral, **extra) -> None:
    inc = ref.incident
    # Owned by the call center; the referred agency (and only it) is given sight of it.
    emit(name, _payload(ref, **extra), organization=inc.organization_id, region_code=inc.region_code,
         shared_with=[ref.agency_id])


# --- helpers ----------------------------------------------------------------------------------------


def _timeline(incident: Incident, actor: Actor, kind: str, text: str = "", data: dict | None = None, at=None):
    """A timeline entry through the incident services when they offer it, else written here."""
    add_timeline = _services("add_timeline")
    if add_timeline is not None:
        return add_timeline(incident, actor, kind, text, data, **({"at": at} if at is not None else {}))
    user = getattr(actor, "user", None)
    return TimelineEntry.objects.create(
        incident=incident, at=at or timezone.now(), actor=user if getattr(user, "pk", None) else None,
        organization=getattr(actor, "organization", None), kind=kind, text=str(text)[:500], data=data or {},
    )


def _services(name: str):
    """A function of the incident services (engineer A's module), or None when it is not there."""
    try:
        from . import services
    except ImportError:
        return None
    return getattr(services, name, None)


def _advance_incident(actor: Actor, incident: Incident, status: str, note: str) -> None:
    """Move the incident forward as its referrals progress: new -> referred, and -> in progress on commitment.

    The referral service already checked the actor's right to act; the incident's own transition
    table still decides (apply_status), so an incident that moved on meanwhile is left alone.
    """
    allowed_from = {IncidentStatus.REFERRED: (IncidentStatus.NEW,),
                    IncidentStatus.IN_PROGRESS: (IncidentStatus.NEW, IncidentStatus.REFERRED)}[status]
    incident.refresh_from_db(fields=["status"])
    if incident.status not in allowed_from:
        return
    apply_status = _services("apply_status")
    if apply_status is not None:
        apply_status(actor, incident, status, note)
        incident.refresh_from_db(fields=["status"])
        return
    before = audit.snapshot(incident)
    if Incident.objects.filter(pk=incident.pk, status__in=allowed_from).update(status=status):
        previous = incident.status
        incident.refresh_from_db()
        audit.updated(actor, incident, before)
        _timeline(incident, actor, "incident.status",
                  _("Status: %(status)s.") % {"status": incident.get_status_display()},
                  {"from": previous, "to": status, "note": note})


def _mark_referred(actor: Actor, incident: Incident) -> None:
    _advance_incident(actor, incident, IncidentStatus.REFERRED, _("Referred to agencies."))


def policy_minutes(priority: int) -> tuple[int, int]:
    """(acknowledgement deadline, second escalation after) in minutes for a priority."""
    row = PriorityPolicy.objects.filter(priority=priority).values_list(
        "ack_deadline_minutes", "escalate_again_minutes").first()
    if row is None:
        return DEFAULT_ACK_MINUTES.get(priority, DEFAULT_ACK_MINUTES[4]), DEFAULT_ESCALATE_AGAIN_MINUTES
    return row


def ack_deadline_for(priority: int, requested_at: dt.datetime) -> dt.datetime:
    return requested_at + dt.timedelta(minutes=policy_minutes(priority)[0])


def local_time(moment: dt.datetime, region_code: str) -> str:
    """"07:12 WIB": a time as people in the incident's region read it (WIB, WITA or WIT)."""
    try:
        from .location import zone_for_region
    except ImportError:
        return timezone.localtime(moment).strftime("%H:%M %Z")
    return moment.astimezone(zone_for_region(region_code)).strftime("%H:%M %Z")


def _depth(code: str) -> int:
    return code.count(".") + 1 if code else 0


def _ancestors(code: str) -> list[str]:
    """"" and every code containing code, code itself included: "", "35", "35.76", ..."""
    parts = code.split(".") if code else []
    return [""] + [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def default_agencies(kind: str, area: str, exclude: set[int] = frozenset()) -> list[Organization]:
    """Active organisations of a kind responsible for an area: the most specific ones containing it."""
    base = Organization.objects.filter(kind=kind, active=True).exclude(pk__in=exclude)
    containing = list(base.filter(region_code__in=_ancestors(area)))
    if containing:
        deepest = max(_depth(o.region_code) for o in containing)
        return sorted((o for o in containing if _depth(o.region_code) == deepest), key=lambda o: o.pk)
    if not area:
        return []
    inside = list(base.filter(region_code__startswith=area + "."))
    if not inside:
        return []
    shallowest = min(_depth(o.region_code) for o in inside)
    return sorted((o for o in inside if _depth(o.region_code) == shallowest), key=lambda o: o.pk)


def resolve_agencies(incident: Incident) -> list[tuple[Organization, str]]:
    """The agencies an incident goes to, each with why: "rule:<id>" or "default:<kind>" (see module doc)."""
    cc_id = incident.organization_id
    region = incident.region_code or ""
    chosen: dict[int, tuple[Organization, str]] = {}
    rules = (
        RoutingRule.objects.filter(organization_id=cc_id, active=True, agency__active=True)
        .filter(Q(incident_type_id=incident.type_id) | Q(incident_type__isnull=True))
        .select_related("agency")
        .order_by("incident_type_id", "pk")
    )
    for rule in rules:
        if rule.region_prefix and not in_scope(rule.region_prefix, region):
            continue
        if rule.agency_id != cc_id:
            chosen.setdefault(rule.agency_id, (rule.agency, f"rule:{rule.pk}"))
    named_kinds = {agency.kind for agency, _why in chosen.values()}
    area = region or incident.organization.region_code or ""
    for kind in incident.type.default_agency_kinds or []:
        if kind in named_kinds:
            continue
        for agency in default_agencies(kind, area, exclude={cc_id}):
            chosen.setdefault(agency.pk, (agency, f"default:{kind}"))
    return list(chosen.values())


def _create_referral(actor: Actor, incident: Incident, agency: Organization, reason: str) -> Referral:
    now = timezone.now()
    try:
        with transaction.atomic():
            ref = Referral.objects.create(incident=incident, agency=agency, status=S.REQUESTED, requested_at=now,
                                          ack_deadline=ack_deadline_for(incident.priority, now))
    except IntegrityError:
        raise Conflict(_("This incident is already referred to %(agency)s.") % {"agency": agency.name},
                       code="already_referred") from None
    audit.created(actor, ref)
    _timeline(incident, actor, "referral.requested",
              _("Referred to %(agency)s; acknowledgement due by %(deadline)s.")
              % {"agency": agency.name, "deadline": local_time(ref.ack_deadline, incident.region_code)},
              {"referral_id": ref.pk, "agency_id": agency.pk, "reason": reason,
               "ack_deadline": ref.ack_deadline.isoformat()})
    _emit("referral.requested", ref, reason=reason)
    return ref


# --- routing ----------------------------------------------------------------------------------------


@transaction.atomic
def route_new_incident(actor: Actor, incident: Incident) -> list[Referral]:
    """Refer a just-created incident to the agencies its routing gives; returns the referrals created.

    Part of creating the incident (whose service checked incident.create), so it asks no permission itself.
    """
    # The caller's own object is used (not a fresh copy), so the status change below reaches it too.
    existing = set(incident.referrals.values_list("agency_id", flat=True))
    created = []
    for agency, reason in resolve_agencies(incident):
        if agency.pk not in existing:
            created.append(_create_referral(actor, incident, agency, reason))
    if not created and not existing:
        _timeline(incident, actor, "referral.unrouted",
                  _("No routing rule or default agency matched this incident: refer it by hand."),
                  {"type": incident.type.code, "region_code": incident.region_code})
    if created:
        _mark_referred(actor, incident)
    return created


def _own_incident(actor: Actor, incident_id: int) -> Incident:
    """An incident of the actor's own call center (not one merely shared with it), else 404."""
    inc = Incident.objects.select_related("organization", "type").filter(pk=incident_id).first()
    if inc is None or not (actor.is_platform_admin or (
            inc.organization_id in actor.org_ids and scopes_overlap(actor.scope_code, inc.region_code))):
        raise NotFound(_("Incident not found."))
    return inc


@transaction.atomic
def refer(actor: Actor, incident_id: int, agency_id: int, *, note: str = "") -> Referral:
    """Refer an incident to one more agency (or again to one that declined, was cancelled or closed)."""
    actor.require("referral.manage")
    incident = _own_incident(actor, incident_id)
    if incident.status not in OPEN_STATUSES:
        raise Conflict(
            _("The incident is %(status)s: it cannot be referred.") % {"status": incident.get_status_display()},
            code="incident_not_open")
    agency = Organization.objects.filter(pk=agency_id, active=True).first()
    if agency is None:
        raise NotFound(_("Agency not found."), code="unknown_agency")
    if agency.pk == incident.organization_id:
        raise ServiceError(_("A call center cannot refer an incident to itself."), code="self_referral")
    existing = Referral.objects.filter(incident=incident, agency=agency).select_related("incident", "agency").first()
    if existing is None:
        ref = _create_referral(actor, incident, agency, "manual")
    elif existing.status in OPEN_REFERRAL_STATUSES:
        raise Conflict(_("This incident is already referred to %(agency)s.") % {"agency": agency.name},
                       code="already_referred", details={"referral_id": existing.pk})
    else:
        now = timezone.now()
        ref = _transition(actor, existing, "rerequest", now=now, fields={
            "ack_deadline": ack_deadline_for(incident.priority, now), "acknowledged_at": None,
            "committed_at": None, "closed_at": None, "escalation_level": 0, "escalated_at": None,
            "resources": "", "note": note[:500]},
            text=_("Referred again to %(agency)s.") % {"agency": agency.name}, event_extra={"reason": "manual"})
    _mark_referred(actor, incident)
    return ref


# --- lifecycle --------------------------------------------------------------------------------------


def load_referral(referral_id: int) -> Referral | None:
    return (Referral.objects.select_related("incident", "incident__organization", "incident__type", "agency")
            .filter(pk=referral_id).first())


def _for_agency(actor: Actor, referral_id: int) -> Referral:
    """A referral to one of the actor's organisations; anything else does not exist for them (404)."""
    actor.require("referral.respond")
    ref = load_referral(referral_id)
    if ref is None or ref.agency_id not in actor.org_ids or not scopes_overlap(actor.scope_code,
                                                                             ref.incident.region_code):
        raise NotFound(_("Referral not found."))
    return ref


def _for_call_center(actor: Actor, referral_id: int) -> Referral:
    """A referral of an incident of the actor's own call center, else 404."""
    actor.require("referral.manage")
    ref = load_referral(referral_id)
    if ref is None:
        raise NotFound(_("Referral not found."))
    inc = ref.incident
    if not (actor.is_platform_admin or (inc.organization_id in actor.org_ids
                                        and scopes_overlap(actor.scope_code, inc.region_code))):
        raise NotFound(_("Referral not found."))
    return ref


def _transition(actor: Actor, ref: Referral, action: str, *, now=None, fields: dict | None = None, text: str = "",
                event_extra: dict | None = None) -> Referral:
    t = TRANSITIONS[action]
    now = now or timezone.now()
    updates = {"status": t.target, **(fields or {})}
    if t.stamp:
        updates[t.stamp] = now
    before = audit.snapshot(ref)
    # A conditional update: two people pressing at once cannot both move the same referral.
    if not Referral.objects.filter(pk=ref.pk, status__in=t.sources).update(**updates):
        ref.refresh_from_db(fields=["status"])
        raise Conflict(
            _("The referral is %(status)s: this action is not possible now.") % {"status": ref.get_status_display()},
            code="invalid_transition",
            details={"status": ref.status, "action": action, "allowed": allowed_actions(ref)},
        )
    for name, value in updates.items():
        setattr(ref, name, value)
    audit.updated(actor, ref, before)
    _timeline(ref.incident, actor, f"referral.{t.target}", text,
              {"referral_id": ref.pk, "agency_id": ref.agency_id, "action": action, **(event_extra or {})}, at=now)
    extra = dict(event_extra or {})
    if t.stamp and t.stamp != "requested_at":
        extra[t.stamp] = now
    _emit(t.event, ref, **extra)
    return ref


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason."), code="reason_required")
    return reason[:500]


@transaction.atomic
def acknowledge(actor: Actor, referral_id: int, *, note: str = "") -> Referral:
    """The agency has seen the referral and is handling it."""
    ref = _for_agency(actor, referral_id)
    now = timezone.now()
    fields = {"note": note.strip()[:500]} if note.strip() else {}
    return _transition(actor, ref, "acknowledge", now=now, fields=fields,
                       text=_("%(agency)s acknowledged the referral.") % {"agency": ref.agency.name},
                       event_extra={"within_deadline": now <= ref.ack_deadline})


@transaction.atomic
def commit_resources(actor: Actor, referral_id: int, *, resources: str, note: str = "") -> Referral:
    """The agency commits resources (free text: "1 ambulans, 2 personel")."""
    ref = _for_agency(actor, referral_id)
    resources = (resources or "").strip()
    if not resources:
        raise ServiceError(_("Say which resources are committed."), code="resources_required")
    fields = {"resources": resources[:300]}
    if note.strip():
        fields["note"] = note.strip()[:500]
    ref = _transition(actor, ref, "commit", fields=fields,
                      text=_("%(agency)s committed: %(resources)s") % {"agency": ref.agency.name,
                                                                       "resources": resources[:300]},
                      event_extra={"resources": resources[:300]})
    _advance_incident(actor, ref.incident, IncidentStatus.IN_PROGRESS,
                      _("%(agency)s committed resources.") % {"agency": ref.agency.name})
    return ref


@transaction.atomic
def close_referral(actor: Actor, referral_id: int, *, note: str = "") -> Referral:
    """The agency has finished its part."""
    ref = _for_agency(actor, referral_id)
    note = (note or "").strip()[:500]
    fields = {"note": note} if note else {}
    return _transition(actor, ref, "close", fields=fields,
                       text=_("%(agency)s closed the referral.") % {"agency": ref.agency.name},
                       event_extra={"note": note})


@transaction.atomic
def decline(actor: Actor, referral_id: int, *, reason: str) -> Referral:
    """The agency cannot take it; the reason goes to the call center on the timeline and the board."""
    ref = _for_agency(actor, referral_id)
    reason = _reason(reason)
    return _transition(actor, ref, "decline", fields={"note": reason},
                       text=_("%(agency)s declined: %(reason)s") % {"agency": ref.agency.name, "reason": reason},
                       event_extra={"reason": reason})


@transaction.atomic
def cancel_referral(actor: Actor, referral_id: int, *, reason: str) -> Referral:
    """The call center withdraws a referral (wrong agency, incident resolved)."""
    ref = _for_call_center(actor, referral_id)
    reason = _reason(reason)
    return _transition(actor, ref, "cancel", fields={"note": reason},
                       text=_("Referral to %(agency)s cancelled: %(reason)s") % {"agency": ref.agency.name,
                                                                                "reason": reason},
                       event_extra={"reason": reason})


# --- reading ----------------------------------------------------------------------------------------


def visible_referrals(actor: Actor):
    """Referrals of the actor's call center's incidents, and referrals to the actor's organisations."""
    actor.require("referral.view")
    qs = Referral.objects.select_related("incident", "incident__type", "incident__organization", "agency")
    if actor.is_platform_admin:
        return qs
    area = region_overlap_q("incident__region_code", actor.scope_code) if actor.scope_code else Q()
    below = actor.org_ids - {actor.organization_id}
    # Referrals to our own agency wherever the incident lies (as its incident is, see Actor.scope_queryset);
    # our call centres' incidents and referrals to the agencies below ours within our area.
    return qs.filter(Q(agency_id=actor.organization_id)
                     | ((Q(incident__organization__in=actor.org_ids) | Q(agency__in=below)) & area))


def get_referral(actor: Actor, referral_id: int) -> Referral:
    ref = visible_referrals(actor).filter(pk=referral_id).first()
    if ref is None:
        raise NotFound(_("Referral not found."))
    return ref


def referrals_to_me(actor: Actor):
    """Only the referrals addressed to the actor's own organisations (the agency's page)."""
    qs = visible_referrals(actor)
    return qs if actor.is_platform_admin and not actor.org_ids else qs.filter(agency__in=actor.org_ids)


def seconds_remaining(ref: Referral, now: dt.datetime) -> int | None:
    """Seconds until the acknowledgement deadline (negative when overdue); None once acknowledged."""
    if ref.status != S.REQUESTED:
        return None
    return int((ref.ack_deadline - now).total_seconds())


def board_state(ref: Referral, now: dt.datetime) -> str:
    """The colour of a referral on the board: waiting, overdue, escalated, acknowledged, committed."""
    if ref.status == S.REQUESTED:
        if ref.escalation_level:
            return "escalated"
        return "overdue" if now > ref.ack_deadline else "waiting"
    return ref.status


def open_board(actor: Actor, now: dt.datetime | None = None) -> list[Referral]:
    """Open referrals the actor may see, the most urgent first, each with .seconds_remaining and .state."""
    now = now or timezone.now()
    refs = list(visible_referrals(actor).filter(status__in=OPEN_REFERRAL_STATUSES)
                .order_by("ack_deadline", "pk")[:1000])
    for ref in refs:
        ref.seconds_remaining = seconds_remaining(ref, now)
        ref.state = board_state(ref, now)
    # Unanswered first (overdue on top), then acknowledged, then committed.
    rank = {S.REQUESTED: 0, S.ACKNOWLEDGED: 1, S.COMMITTED: 2}
    refs.sort(key=lambda r: (rank[r.status], r.ack_deadline, r.pk))
    return refs


def referral_targets(actor: Actor):
    """Agencies a call center may refer to: responders whose area overlaps its own, and those its rules name."""
    actor.require("referral.manage")
    area = actor.organization.region_code if actor.organization else ""
    qs = Organization.objects.filter(active=True, kind__in=RESPONDER_KINDS).exclude(pk__in=actor.org_ids)
    if area:
        qs = qs.filter(Q(region_code__in=_ancestors(area)) | Q(region_code__startswith=area + "."))
    named = RoutingRule.objects.filter(organization__in=actor.org_ids).values_list("agency_id", flat=True)
    return Organization.objects.filter(Q(pk__in=qs.values("pk")) | Q(pk__in=named), active=True).order_by("name")


# --- escalation -------------------------------------------------------------------------------------


def _administrators(org: Organization) -> list[User]:
    return list(
        User.objects.filter(memberships__organization=org, memberships__role=Role.ADMINISTRATOR,
                            memberships__active=True, is_active=True).distinct().order_by("pk")
    )


def _send_sms(sender: Organization, number: str, text: str) -> bool:
    """Queue one SMS through the call center's gateway when that module is installed; never fails the caller."""
    if not number:
        return False
    try:
        from .sms import send_sms
    except ImportError:
        return False
    try:
        with transaction.atomic():
            send_sms(sender, number, text, kind="referral_escalation")
    except Exception:  # a bad number or a gateway refusal must not undo the escalation
        logger.warning("escalation SMS to %s not sent", number, exc_info=True)
        return False
    return True


def _notify(supervised: Organization, sender: Organization, text: str) -> list[dict]:
    """Tell an organisation's administrators (or, when it has none, the organisation itself)."""
    admins = _administrators(supervised)
    if not admins:
        return [{"kind": "organization", "id": supervised.pk, "name": supervised.name,
                 "sms": _send_sms(sender, supervised.phone, text)}]
    return [{"kind": "user", "id": u.pk, "name": u.get_full_name() or u.get_username(),
             "sms": _send_sms(sender, u.phone, text)} for u in admins]


def _escalation_text(ref: Referral, level: int) -> str:
    inc = ref.incident
    with translation.override(settings.LANGUAGE_CODE):
        params = {"number": inc.number, "type": inc.type.name, "priority": inc.priority, "agency": ref.agency.name,
                  "deadline": local_time(ref.ack_deadline, inc.region_code)}
        if level == 1:
            return _("Siaga: referral %(number)s (%(type)s, P%(priority)s) to %(agency)s was not acknowledged "
                     "by %(deadline)s.") % params
        return _("Siaga: %(agency)s still has not acknowledged referral %(number)s (%(type)s, P%(priority)s), "
                 "due %(deadline)s.") % params


def _escalate(referral_id: int, level: int, now: dt.datetime) -> dict | None:
    with transaction.atomic():
        before = Referral.objects.filter(pk=referral_id).values_list("escalated_at", flat=True).first()
        claimed = Referral.objects.filter(pk=referral_id, status=S.REQUESTED, escalation_level=level - 1).update(
            escalation_level=level, escalated_at=now)
        if not claimed:
            return None  # acknowledged meanwhile, or another worker got there first
        ref = load_referral(referral_id)
        inc = ref.incident
        supervised = ref.agency if level == 1 else inc.organization
        notified = _notify(supervised, inc.organization, _escalation_text(ref, level))
        actor = system_actor()
        audit.record(actor, AuditLog.Action.UPDATE, ref, {"escalation_level": [level - 1, level],
                                                          "escalated_at": [before.isoformat() if before else None,
                                                                           now.isoformat()]})
        who = ", ".join(n["name"] for n in notified)
        text = (_("Not acknowledged by %(agency)s in time: its supervisors were notified (%(who)s).")
                if level == 1 else
                _("Still not acknowledged by %(agency)s: the call center supervisors were notified (%(who)s)."))
        _timeline(inc, actor, "referral.escalated", text % {"agency": ref.agency.name, "who": who},
                  {"referral_id": ref.pk, "agency_id": ref.agency_id, "level": level, "notified": notified}, at=now)
        _emit("referral.escalated", ref, level=level, escalated_at=now, notified=notified)
    return {"referral_id": ref.pk, "incident_id": inc.pk, "agency_id": ref.agency_id, "level": level,
            "notified": notified}


def escalate_overdue(now: dt.datetime | None = None) -> list[dict]:
    """Escalate referrals not acknowledged in time; safe to run at any rate from any number of workers."""
    now = now or timezone.now()
    done: list[dict] = []

    def run(ids, level):
        for pk in ids:
            try:
                result = _escalate(pk, level, now)
            except Exception:  # one broken referral must not stop the others being escalated
                logger.exception("escalating referral %s to level %s failed", pk, level)
                continue
            if result:
                done.append(result)

    base = Referral.objects.filter(status=S.REQUESTED)
    run(list(base.filter(escalation_level=0, ack_deadline__lte=now).order_by("ack_deadline", "pk")
             .values_list("pk", flat=True)), 1)
    second = Q()
    for priority in Priority.values:
        again = policy_minutes(priority)[1]
        second |= Q(incident__priority=priority, ack_deadline__lte=now - dt.timedelta(minutes=again))
    run(list(base.filter(second, escalation_level=1).order_by("ack_deadline", "pk").values_list("pk", flat=True)), 2)
    return done


# --- routing rules (configuration) --------------------------------------------------------------------


def visible_rules(actor: Actor):
    actor.require("callcenter.configure")
    qs = RoutingRule.objects.select_related("agency", "incident_type", "organization")
    return actor.scope_queryset(qs, region_field="region_prefix").order_by("organization_id", "pk")


def get_rule(actor: Actor, rule_id: int) -> RoutingRule:
    rule = visible_rules(actor).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("Routing rule not found."))
    return rule


def _rule_type(code: str | None) -> IncidentType | None:
    if not code:
        return None
    t = IncidentType.objects.filter(code=code).first()
    if t is None:
        raise ServiceError(_("Unknown incident type: %(code)s.") % {"code": code}, code="unknown_type",
                           details={"incident_type": code})
    return t


def _rule_agency(agency_id: int, owner_id: int) -> Organization:
    agency = Organization.objects.filter(pk=agency_id, active=True).first()
    if agency is None:
        raise ServiceError(_("Agency not found."), code="unknown_agency", details={"agency_id": agency_id})
    if agency.pk == owner_id:
        raise ServiceError(_("A call center cannot refer an incident to itself."), code="self_referral")
    return agency


def _rule_region(actor: Actor, code: str) -> str:
    from siaga.core.services import validate_region_code

    code = validate_region_code(code)
    actor.require_region(code)
    return code


@transaction.atomic
def create_rule(actor: Actor, *, agency_id: int, incident_type: str | None = None, region_prefix: str = "",
                active: bool = True, organization_id: int | None = None) -> RoutingRule:
    actor.require("callcenter.configure")
    owner_id = organization_id or actor.organization_id
    if owner_id is None or not (actor.is_platform_admin or owner_id in actor.org_ids):
        raise NotFound(_("Organisation not found."))
    rule = RoutingRule.objects.create(
        organization_id=owner_id, incident_type=_rule_type(incident_type),
        region_prefix=_rule_region(actor, region_prefix), agency=_rule_agency(agency_id, owner_id), active=active,
    )
    audit.created(actor, rule)
    return rule


@transaction.atomic
def update_rule(actor: Actor, rule_id: int, **changes) -> RoutingRule:
    rule = get_rule(actor, rule_id)
    before = audit.snapshot(rule)
    if "incident_type" in changes:
        rule.incident_type = _rule_type(changes["incident_type"])
    if "region_prefix" in changes and changes["region_prefix"] is not None:
        rule.region_prefix = _rule_region(actor, changes["region_prefix"])
    if changes.get("agency_id") is not None:
        rule.agency = _rule_agency(changes["agency_id"], rule.organization_id)
    if changes.get("active") is not None:
        rule.active = changes["active"]
    rule.save()
    audit.updated(actor, rule, before)
    return rule


@transaction.atomic
def delete_rule(actor: Actor, rule_id: int) -> None:
    rule = get_rule(actor, rule_id)
    before = audit.snapshot(rule)
    audit.deleted(actor, rule, before)
    rule.delete()
