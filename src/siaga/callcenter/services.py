"""Write path of the call center: calls, incidents, triage, attaching and merging, positions, nuisance records.

Every function here checks permission, runs in one transaction, writes the audit trail and queues
its events. Times are the system's clock (timezone.now()), never typed by a user.

Calls and incidents: a call is one contact; it ends with exactly one outcome. new_incident and
attached come from create_incident() and attach_call(); close_call() sets the others. A call is
closed once. Nuisance record: every call closed with an outcome counts in CallerNumber; a number
is flagged when it has SIAGA_NUISANCE_FLAG_THRESHOLD (default 3) prank/silent/accidental calls
within the last SIAGA_NUISANCE_WINDOW_DAYS (default 30) days - a rolling window, so one old prank
does not mark a number for ever, while a prank wave flags at once. A flag stays until an
administrator clears it; its policy (default "warn") is shown when the number calls again. A
flagged number is always answered: start_call() only returns the warning with the call.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import Organization
from siaga.core.permissions import Actor
from siaga.core.services import h3_cell, validate_region_code

from .location import check_coordinates, zone_for_region
from .models import (
    NUISANCE_OUTCOMES,
    OPEN_STATUSES,
    Call,
    CallerNumber,
    CallOutcome,
    Channel,
    Incident,
    IncidentCounter,
    IncidentStatus,
    IncidentType,
    LocationSource,
    Position,
    Priority,
    Referral,
    ReferralStatus,
    TimelineEntry,
)
from .phones import normalize_phone

log = logging.getLogger(__name__)

S = IncidentStatus

# The one table of incident status transitions. "merged" is reached only through merge_incidents();
# closed, merged and cancelled are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.REFERRED, S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.REFERRED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),  # reopened when help turns out to be needed again
    S.CLOSED: frozenset(),
    S.MERGED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINAL_STATUSES = (S.CLOSED, S.MERGED, S.CANCELLED)

# Outcomes close_call() sets; the other two belong to create_incident() and attach_call().
CLOSE_OUTCOMES = (CallOutcome.INFORMATION, CallOutcome.PRANK, CallOutcome.SILENT, CallOutcome.ACCIDENTAL,
                  CallOutcome.TEST)

# Where a position came from, as far as replacing an incident's location goes: positions a person
# chose on purpose (map click, typed coordinates) are kept; approximate ones give way to any fix;
# automatic fixes give way to a more accurate automatic fix.
APPROXIMATE_SOURCES = ("", LocationSource.REGION, LocationSource.ADDRESS)
AUTOMATIC_SOURCES = (LocationSource.AML, LocationSource.LINK, LocationSource.REPORTER)

NUMBER_PREFIX = {"cc112": "112", "psc119": "119"}
HISTORY_LIMIT = 20

_OPEN_REFERRALS = (ReferralStatus.REQUESTED, ReferralStatus.ACKNOWLEDGED, ReferralStatus.COMMITTED)


# --- settings -----------------------------------------------------------------------------------


def nuisance_threshold() -> int:
    return int(getattr(settings, "SIAGA_NUISANCE_FLAG_THRESHOLD", 3))


def nuisance_window_days() -> int:
    return int(getattr(settings, "SIAGA_NUISANCE_WINDOW_DAYS", 30))


def nuisance_default_policy() -> str:
    return getattr(settings, "SIAGA_NUISANCE_DEFAULT_POLICY", CallerNumber.Policy.WARN)


# --- reading ------------------------------------------------------------------------------------


def _shared_q(actor: Actor):
    # A subquery rather than a join: no duplicate rows, and list counts stay right.
    return lambda ids: Q(pk__in=Referral.objects.filter(agency_id__in=ids).values("incident_id"))


def visible_incidents(actor: Actor) -> QuerySet:
    """Incidents of the actor's organisations (within its area) plus those referred to them."""
    actor.require("incident.view")
    return actor.scope_queryset(Incident.objects.all(), shared_q=_shared_q(actor))


def get_incident(actor: Actor, incident_id: int) -> Incident:
    """One visible incident; another organisation's incident does not exist for the actor (404)."""
    inc = visible_incidents(actor).select_related("type", "organization", "merged_into").filter(pk=incident_id).first()
    if inc is None:
        raise NotFound(_("Incident not found."))
    return inc


def visible_calls(actor: Actor) -> QuerySet:
    actor.require("call.view")
    return actor.scope_queryset(Call.objects.all())


def get_call(actor: Actor, call_id: int) -> Call:
    call = visible_calls(actor).select_related("incident", "organization").filter(pk=call_id).first()
    if call is None:
        raise NotFound(_("Call not found."))
    return call


def _own_incident_for_update(actor: Actor, incident_id: int) -> Incident:
    """An incident of the actor's own organisations (not one merely referred to it), row-locked."""
    inc = actor.scope_queryset(Incident.objects.all()).filter(pk=incident_id).values_list("pk", flat=True).first()
    if inc is None:
        raise NotFound(_("Incident not found."))
    return Incident.objects.select_for_update().get(pk=inc)


def _call_for_update(actor: Actor, call_id: int) -> Call:
    pk = visible_calls(actor).filter(pk=call_id).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("Call not found."))
    return Call.objects.select_for_update().get(pk=pk)


def _organization(actor: Actor, organization) -> Organization:
    """The call center acted for: the given one (if the actor belongs to it) or the actor's own."""
    if organization is None:
        if actor.organization is None:
            raise ServiceError(_("Act through a call-center membership, or name the call center."),
                               code="organization_required")
        return actor.organization
    org = organization if isinstance(organization, Organization) else Organization.objects.filter(
        pk=organization).first()
    if org is None or not (actor.is_platform_admin or org.pk in actor.org_ids):
        raise NotFound(_("Call center not found."))
    return org


def _user(actor: Actor):
    user = getattr(actor, "user", None)
    return user if getattr(user, "pk", None) else None


# --- timeline -----------------------------------------------------------------------------------


def add_timeline(incident: Incident, actor: Actor | None, kind: str, text: str = "", data: dict | None = None,
                 *, at: dt.datetime | None = None) -> TimelineEntry:
    """Append to an incident's timeline (part of a services call that already checked permission)."""
    return TimelineEntry.objects.create(
        incident=incident, at=at or timezone.now(), actor=_user(actor) if actor else None,
        organization=getattr(actor, "organization", None) if actor else None,
        kind=kind, text=str(text or "")[:500], data=data or {},
    )


# --- triage -------------------------------------------------------------------------------------


def _clean_answers(incident_type: IncidentType, answers) -> dict[str, bool]:
    if answers is None:
        return {}
    if not isinstance(answers, dict):
        raise ServiceError(_("Answers must map question ids to yes or no."), code="invalid_answers")
    known = {q.get("id") for q in incident_type.key_questions or []}
    unknown = sorted(str(k) for k in answers if k not in known)
    if unknown:
        raise ServiceError(
            _("Unknown key question for %(type)s: %(ids)s.") % {"type": incident_type.name, "ids": ", ".join(unknown)},
            code="unknown_question", details={"unknown": unknown, "known": sorted(known)},
        )
    out = {}
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise ServiceError(_("Answer %(id)s must be yes (true) or no (false).") % {"id": key},
                               code="invalid_answers")
        out[key] = value
    return out


def suggest_priority(incident_type: IncidentType, answers: dict | None) -> int:
    """The type's default priority, raised by every key question answered "yes" (the lowest number wins)."""
    priority = int(incident_type.default_priority)
    answers = answers or {}
    for question in incident_type.key_questions or []:
        raise_to = question.get("if_yes")
        if raise_to and answers.get(question.get("id")) is True:
            priority = min(priority, int(raise_to))
    return priority


def _final_priority(suggested: int, priority, reason: str) -> tuple[int, str]:
    if priority is None or int(priority) == suggested:
        return suggested, ""
    if int(priority) not in Priority.values:
        raise ServiceError(_("Priority must be 1 (P1) to 4 (P4)."), code="invalid_priority")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("The suggested priority is P%(suggested)d; give a reason to use P%(priority)d instead.")
            % {"suggested": suggested, "priority": int(priority)},
            code="priority_reason_required", details={"suggested_priority": suggested},
        )
    return int(priority), reason[:300]


def get_type(code: str, *, active_only: bool = True) -> IncidentType:
    qs = IncidentType.objects.filter(code=(code or "").strip())
    if active_only:
        qs = qs.filter(active=True)
    itype = qs.first()
    if itype is None:
        raise ServiceError(_("Unknown incident type: %(code)s.") % {"code": code}, code="unknown_type",
                           details={"type_code": code})
    return itype


def search_types(query: str = "", *, limit: int = 50) -> list[IncidentType]:
    """Active incident types matching every word of the query in name, code, category or keywords."""
    qs = IncidentType.objects.filter(active=True)
    for word in (query or "").lower().split()[:8]:
        qs = qs.filter(Q(name__icontains=word) | Q(keywords__icontains=word) | Q(code__icontains=word)
                       | Q(category__icontains=word))
    return list(qs.order_by("sort_order", "name")[: max(1, min(limit, 200))])


# --- location -----------------------------------------------------------------------------------


def _lookup_region(lat: float, lng: float) -> str:
    from siaga.geo.lookup import lookup_code

    try:
        return lookup_code(lat, lng) or ""
    except Exception:  # noqa: BLE001 - a broken boundary index must not stop an emergency report
        log.exception("region lookup failed for %s,%s", lat, lng)
        return ""


def _region_centroid(code: str) -> tuple[float | None, float | None]:
    from siaga.geo.models import Region

    row = Region.objects.filter(code=code).values_list("lat", "lng").first()
    return row if row and row[0] is not None and row[1] is not None else (None, None)


def _accuracy(value) -> int | None:
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ServiceError(_("Accuracy must be a number of metres."), code="invalid_accuracy") from None
    if value < 0 or value != value:
        raise ServiceError(_("Accuracy must be a number of metres."), code="invalid_accuracy")
    return int(round(value))


def resolve_location(*, region_code: str = "", lat=None, lng=None, location_source: str = "",
                     accuracy_m=None) -> dict:
    """Checked location fields of an incident from what the call-taker gave.

    Coordinates must lie inside Indonesia. Coordinates without a region code get the region whose
    boundary covers them (kept empty when no boundary does); a region code without coordinates gets
    the region's centroid, marked as such (location_source "region").
    """
    lat, lng = check_coordinates(lat, lng)
    region_code = validate_region_code(region_code)
    source = (location_source or "").strip()
    if source and source not in LocationSource.values:
        raise ServiceError(_("Unknown location source: %(source)s.") % {"source": source}, code="invalid_position")
    accuracy = _accuracy(accuracy_m)
    if lat is not None:
        if not region_code:
            region_code = _lookup_region(lat, lng)
        source = source or LocationSource.COORDINATES
    elif region_code:
        lat, lng = _region_centroid(region_code)
        source, accuracy = LocationSource.REGION, None
    else:
        source, accuracy = "", None
    return {"region_code": region_code, "lat": lat, "lng": lng, "h3_cell": h3_cell(lat, lng),
            "location_source": source, "location_accuracy_m": accuracy}


# --- numbering ----------------------------------------------------------------------------------


def _next_number(org: Organization, now: dt.datetime) -> str:
    """"112-2026-000123": the organisation's next number for the local year.

    The counter row is locked (select_for_update) until the transaction ends, so two call-takers
    creating incidents at once get consecutive numbers; SQLite serialises writers anyway.
    """
    year = timezone.localtime(now, zone_for_region(org.region_code)).year
    counter, _created = IncidentCounter.objects.select_for_update().get_or_create(organization=org, year=year)
    IncidentCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    prefix = NUMBER_PREFIX.get(org.kind, "INC")
    return f"{prefix}-{year}-{counter.last:06d}"


# --- nuisance record ----------------------------------------------------------------------------


def _caller_record(org_id: int, number: str) -> CallerNumber | None:
    if not number:
        return None
    return CallerNumber.objects.filter(organization_id=org_id, number=number).first()


def _recent_nuisance(org_id: int, number: str, now: dt.datetime) -> int:
    since = now - dt.timedelta(days=nuisance_window_days())
    return Call.objects.filter(organization_id=org_id, caller_number=number, outcome__in=NUISANCE_OUTCOMES,
                               outcome_at__gte=since).count()


def _record_caller(actor: Actor, call: Call, now: dt.datetime) -> CallerNumber | None:
    """Count a closed call in its number's record and flag the number on repeated nuisance calls."""
    if not call.caller_number:
        return None
    nuisance = call.outcome in NUISANCE_OUTCOMES
    try:
        with transaction.atomic():
            rec, _created = CallerNumber.objects.get_or_create(organization_id=call.organization_id,
                                                               number=call.caller_number)
    except IntegrityError:
        rec = CallerNumber.objects.get(organization_id=call.organization_id, number=call.caller_number)
    CallerNumber.objects.filter(pk=rec.pk).update(
        total_calls=F("total_calls") + 1,
        nuisance_calls=F("nuisance_calls") + (1 if nuisance else 0),
        last_call_at=call.started_at,
    )
    rec = CallerNumber.objects.select_for_update().get(pk=rec.pk)
    if nuisance and not rec.flagged:
        recent = _recent_nuisance(call.organization_id, call.caller_number, now)
        if recent >= nuisance_threshold():
            before = audit.snapshot(rec)
            rec.flagged, rec.flagged_at = True, now
            if rec.policy == CallerNumber.Policy.NONE:
                rec.policy = nuisance_default_policy()
            rec.save(update_fields=["flagged", "flagged_at", "policy"])
            audit.updated(actor, rec, before)
            emit("caller.flagged", {"number": rec.number, "nuisance_calls": rec.nuisance_calls,
                                    "recent_nuisance_calls": recent, "policy": rec.policy},
                 organization=call.organization_id)
    return rec


def _sms_warning(org: Organization, number: str) -> None:
    """The "sms_warning" policy: text the number that calls to 112 are for emergencies."""
    try:
        from . import sms
    except ImportError:
        return
    if not hasattr(sms, "send_sms"):
        return
    text = _("This is %(org)s. Calls to the emergency number are recorded. Misuse keeps help from people "
             "in danger. Call only in an emergency.") % {"org": org.name}
    try:
        with transaction.atomic():
            sms.send_sms(org, number, text, kind="nuisance_warning")
    except ServiceError:
        log.warning("nuisance warning SMS to %s refused", number)


# --- calls --------------------------------------------------------------------------------------


def _call_event(call: Call) -> dict:
    return {"id": call.pk, "organization_id": call.organization_id, "channel": call.channel,
            "caller_number": call.caller_number, "started_at": call.started_at, "answered_at": call.answered_at,
            "caller_flagged": call.caller_flagged, "caller_policy": call.caller_policy}


def _emit_closed(call: Call) -> None:
    emit("call.closed", {"id": call.pk, "outcome": call.outcome, "reason": call.outcome_reason,
                         "incident_id": call.incident_id, "outcome_at": call.outcome_at,
                         "caller_number": call.caller_number},
         organization=call.organization_id, region_code=call.region_code)


@transaction.atomic
def start_call(actor: Actor, *, channel: str, caller_number: str = "", external_id: str = "",
               organization=None) -> Call:
    """Record a new contact. Never refused because of the caller's record: a flagged number comes back with
    call.caller_flagged / call.caller_policy set so the screen can warn. A repeated external_id (a client
    retrying a web/app/SMS report) returns the call already recorded.
    """
    actor.require("call.create")
    if channel not in Channel.values:
        raise ServiceError(_("Unknown channel: %(channel)s.") % {"channel": channel}, code="unknown_channel")
    number = normalize_phone(caller_number)
    org = _organization(actor, organization)
    external_id = (external_id or "").strip()[:100]
    if external_id:
        existing = Call.objects.filter(organization=org, channel=channel, external_id=external_id).first()
        if existing is not None:
            return existing
    now = timezone.now()
    rec = _caller_record(org.pk, number)
    call = Call(organization=org, channel=channel, caller_number=number, started_at=now, external_id=external_id,
                # A text report is "answered" the moment it arrives; a phone call when a call-taker picks up.
                answered_at=None if channel == Channel.PHONE else now,
                caller_flagged=bool(rec and rec.flagged),
                caller_policy=(rec.policy if rec and rec.flagged else ""))
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:
        existing = Call.objects.filter(organization=org, channel=channel, external_id=external_id).first()
        if existing is None:
            raise
        return existing
    audit.created(actor, call)
    emit("call.started", _call_event(call), organization=org)
    _claim_pending_aml(actor, call)
    return call


def _claim_pending_aml(actor: Actor, call: Call) -> None:
    """A handset's AML position that arrived just before the call rang belongs to this call."""
    try:
        from . import aml
    except ImportError:
        return
    if hasattr(aml, "claim_pending") and call.caller_number:
        aml.claim_pending(actor, call)


@transaction.atomic
def set_caller_number(actor: Actor, call_id: int, caller_number: str) -> Call:
    """Put the number on a call still open (the screen opens the call at the first keystroke, often
    before the number is typed). The caller's nuisance record is looked up again for the warning."""
    actor.require("call.create")
    number = normalize_phone(caller_number)
    call = _call_for_update(actor, call_id)
    if number == call.caller_number:
        return call
    _require_open_call(call)
    before = audit.snapshot(call)
    rec = _caller_record(call.organization_id, number)
    call.caller_number = number
    call.caller_flagged = bool(rec and rec.flagged)
    call.caller_policy = rec.policy if rec and rec.flagged else ""
    call.save(update_fields=["caller_number", "caller_flagged", "caller_policy"])
    audit.updated(actor, call, before)
    emit("call.updated", {"id": call.pk, "caller_number": call.caller_number, "caller_flagged": call.caller_flagged,
                          "caller_policy": call.caller_policy},
         organization=call.organization_id, region_code=call.region_code)
    _claim_pending_aml(actor, call)
    return call


@transaction.atomic
def answer_call(actor: Actor, call_id: int) -> Call:
    actor.require("call.create")
    call = _call_for_update(actor, call_id)
    if call.answered_at is not None:
        raise Conflict(_("This call was already answered."), code="already_answered")
    if call.ended_at is not None or call.outcome:
        raise Conflict(_("This call has already ended."), code="call_ended")
    before = audit.snapshot(call)
    call.answered_at = timezone.now()
    call.taken_by = call.taken_by or _user(actor)
    call.save(update_fields=["answered_at", "taken_by"])
    audit.updated(actor, call, before)
    emit("call.answered", {"id": call.pk, "answered_at": call.answered_at, "taken_by_id": call.taken_by_id},
         organization=call.organization_id, region_code=call.region_code)
    return call


@transaction.atomic
def end_call(actor: Actor, call_id: int) -> Call:
    """The line went down (or the call-taker hung up); the outcome may still be set afterwards."""
    actor.require("call.create")
    call = _call_for_update(actor, call_id)
    if call.ended_at is not None:
        raise Conflict(_("This call has already ended."), code="call_ended")
    before = audit.snapshot(call)
    call.ended_at = timezone.now()
    call.save(update_fields=["ended_at"])
    audit.updated(actor, call, before)
    emit("call.ended", {"id": call.pk, "ended_at": call.ended_at, "answered": call.answered_at is not None},
         organization=call.organization_id, region_code=call.region_code)
    return call


def _require_open_call(call: Call) -> None:
    if call.outcome:
        raise Conflict(
            _("This call was already closed as %(outcome)s.") % {"outcome": call.get_outcome_display()},
            code="call_closed", details={"outcome": call.outcome, "incident_id": call.incident_id},
        )


def _finish_call(actor: Actor, call: Call, now: dt.datetime, outcome: str, reason: str = "",
                 incident: Incident | None = None) -> None:
    call.outcome, call.outcome_reason, call.outcome_at = outcome, reason, now
    call.taken_by = call.taken_by or _user(actor)
    if incident is not None:
        call.incident = incident
        call.region_code = incident.region_code
        # Positions the caller's phone sent during the call belong to the incident now.
        Position.objects.filter(call=call, incident__isnull=True).update(incident=incident)
    call.save()
    _record_caller(actor, call, now)


@transaction.atomic
def close_call(actor: Actor, call_id: int, *, outcome: str, reason: str = "") -> Call:
    """Close a call without an incident: information, prank, silent, accidental or test.

    Prank, silent and accidental need a reason (one key on the screen plus a few words).
    """
    actor.require("call.create")
    if outcome in (CallOutcome.NEW_INCIDENT, CallOutcome.ATTACHED):
        raise ServiceError(_("Create an incident or attach the call to one instead."), code="invalid_outcome")
    if outcome not in CLOSE_OUTCOMES:
        raise ServiceError(_("Unknown call outcome: %(outcome)s.") % {"outcome": outcome}, code="invalid_outcome")
    reason = (reason or "").strip()[:300]
    if outcome in NUISANCE_OUTCOMES and not reason:
        raise ServiceError(_("Give a reason when closing a call as prank, silent or accidental."),
                           code="reason_required")
    call = _call_for_update(actor, call_id)
    _require_open_call(call)
    before = audit.snapshot(call)
    now = timezone.now()
    if call.ended_at is None:
        call.ended_at = now
    _finish_call(actor, call, now, outcome, reason)
    audit.updated(actor, call, before)
    _emit_closed(call)
    rec = _caller_record(call.organization_id, call.caller_number)
    if outcome in NUISANCE_OUTCOMES and rec is not None and rec.flagged \
            and rec.policy == CallerNumber.Policy.SMS_WARNING:
        _sms_warning(call.organization, call.caller_number)
    return call


# --- incidents ----------------------------------------------------------------------------------


def _incident_event(inc: Incident, call_id, referral_ids) -> dict:
    return {"id": inc.pk, "number": inc.number, "organization_id": inc.organization_id, "type_code": inc.type.code,
            "type_name": inc.type.name, "category": inc.type.category, "priority": inc.priority,
            "suggested_priority": inc.suggested_priority, "status": inc.status, "region_code": inc.region_code,
            "lat": inc.lat, "lng": inc.lng, "address": inc.address, "created_at": inc.created_at,
            "call_id": call_id, "referral_ids": referral_ids}


def agency_ids(incident: Incident | int) -> list[int]:
    """Organisations an incident is referred to: they are given sight of its events."""
    pk = incident.pk if isinstance(incident, Incident) else incident
    return sorted(set(Referral.objects.filter(incident_id=pk).values_list("agency_id", flat=True)))


def _route(actor: Actor, incident: Incident) -> list:
    try:
        from . import referrals
    except ImportError:
        return []
    if not hasattr(referrals, "route_new_incident"):
        return []
    return list(referrals.route_new_incident(actor, incident) or [])


@transaction.atomic
def create_incident(actor: Actor, *, type_code: str, call_id: int | None = None, description: str = "",
                    region_code: str = "", lat: float | None = None, lng: float | None = None, address: str = "",
                    location_source: str = "", accuracy_m=None, answers: dict | None = None,
                    priority: int | None = None, priority_reason: str = "", organization=None) -> Incident:
    """Create an incident (from a call, or directly), suggest and set its priority, route it to agencies."""
    actor.require("incident.create")
    itype = get_type(type_code)
    answers = _clean_answers(itype, answers)
    suggested = suggest_priority(itype, answers)
    final, reason = _final_priority(suggested, priority, priority_reason)
    call = None
    if call_id is not None:
        actor.require("call.create")
        call = _call_for_update(actor, call_id)
        _require_open_call(call)
        if organization is not None and _organization(actor, organization).pk != call.organization_id:
            raise ServiceError(_("The call was received by another call center."), code="different_organization")
        org = call.organization
    else:
        org = _organization(actor, organization)
    location = resolve_location(region_code=region_code, lat=lat, lng=lng, location_source=location_source,
                                accuracy_m=accuracy_m)
    best = None
    if call is not None and location["lat"] is None and not location["region_code"]:
        # Nothing typed: the caller's own phone position (AML, location link) is the best we have.
        best = call.positions.order_by(F("accuracy_m").asc(nulls_last=True), "-received_at").first()
        if best is not None:
            location = resolve_location(lat=best.lat, lng=best.lng, location_source=best.source,
                                        accuracy_m=best.accuracy_m)
    if not location["region_code"]:
        location["region_code"] = org.region_code
    actor.require_region(location["region_code"])
    now = timezone.now()
    incident = Incident.objects.create(
        organization=org, number=_next_number(org, now), type=itype, priority=final, suggested_priority=suggested,
        priority_override_reason=reason, answers=answers, status=S.NEW, description=(description or "").strip(),
        address=(address or "").strip()[:300], tracking_token=secrets.token_urlsafe(24), created_by=_user(actor),
        created_at=now, **location,
    )
    audit.created(actor, incident)
    add_timeline(incident, actor, "incident.created",
                 _("Incident %(number)s created: %(type)s, P%(priority)d.")
                 % {"number": incident.number, "type": itype.name, "priority": final},
                 {"type": itype.code, "priority": final, "suggested_priority": suggested, "answers": answers,
                  "call_id": call.pk if call else None}, at=now)
    if reason:
        add_timeline(incident, actor, "incident.priority",
                     _("Priority set to P%(priority)d instead of the suggested P%(suggested)d: %(reason)s")
                     % {"priority": final, "suggested": suggested, "reason": reason},
                     {"priority": final, "suggested_priority": suggested, "reason": reason}, at=now)
    if location["lat"] is not None and location["location_source"] != LocationSource.REGION and best is None:
        Position.objects.create(call=call, incident=incident, lat=location["lat"], lng=location["lng"],
                                accuracy_m=location["location_accuracy_m"], source=location["location_source"],
                                measured_at=now)
    if call is not None:
        before = audit.snapshot(call)
        _finish_call(actor, call, now, CallOutcome.NEW_INCIDENT, incident=incident)
        audit.updated(actor, call, before)
        add_timeline(incident, actor, "call.linked",
                     _("Call from %(number)s.") % {"number": call.caller_number or _("unknown number")},
                     {"call_id": call.pk, "channel": call.channel, "caller_number": call.caller_number}, at=now)
    referrals = _route(actor, incident)
    incident.refresh_from_db()
    agencies = agency_ids(incident)
    emit("incident.created", _incident_event(incident, call.pk if call else None, [r.pk for r in referrals]),
         organization=org, region_code=incident.region_code, shared_with=agencies)
    if call is not None:
        _emit_closed(call)
    incident.new_referrals = referrals
    return incident


def _require_attachable(incident: Incident) -> None:
    if incident.status == S.MERGED:
        target = incident.merged_into
        raise Conflict(
            _("Incident %(number)s was merged into %(into)s; use that one.")
            % {"number": incident.number, "into": target.number if target else "-"},
            code="incident_merged", details={"merged_into": incident.merged_into_id},
        )
    if incident.status not in OPEN_STATUSES:
        raise Conflict(
            _("Incident %(number)s is %(status)s; it takes no more calls.")
            % {"number": incident.number, "status": incident.get_status_display()},
            code="incident_closed", details={"status": incident.status},
        )


@transaction.atomic
def attach_call(actor: Actor, call_id: int, incident_id: int) -> Call:
    """The call reports an incident already known (a second caller to the same crash)."""
    actor.require("call.create")
    actor.require("incident.update")
    call = _call_for_update(actor, call_id)
    _require_open_call(call)
    incident = _own_incident_for_update(actor, incident_id)
    if incident.organization_id != call.organization_id:
        raise NotFound(_("Incident not found."))
    _require_attachable(incident)
    now = timezone.now()
    before = audit.snapshot(call)
    _finish_call(actor, call, now, CallOutcome.ATTACHED, incident=incident)
    audit.updated(actor, call, before)
    add_timeline(incident, actor, "call.attached",
                 _("Another call from %(number)s attached.") % {"number": call.caller_number or _("unknown number")},
                 {"call_id": call.pk, "channel": call.channel, "caller_number": call.caller_number}, at=now)
    _emit_closed(call)
    emit("incident.call_attached", {"id": incident.pk, "number": incident.number, "call_id": call.pk,
                                    "calls_count": incident.calls.count()},
         organization=incident.organization_id, region_code=incident.region_code, shared_with=agency_ids(incident))
    return call


def _withdraw_referral(actor: Actor, ref: Referral, reason: str) -> None:
    """Cancel an open referral because its incident ended or was merged away."""
    try:
        from . import referrals
    except ImportError:
        referrals = None
    if referrals is not None and hasattr(referrals, "cancel_referral") and actor.has("referral.manage"):
        referrals.cancel_referral(actor, ref.pk, reason=reason)
        return
    # Roles that may end an incident but not manage referrals (dispatchers) still must not leave
    # agencies working on it: the referral is withdrawn as part of the incident's change.
    before = audit.snapshot(ref)
    if Referral.objects.filter(pk=ref.pk, status__in=_OPEN_REFERRALS).update(
            status=ReferralStatus.CANCELLED, closed_at=timezone.now(), note=reason[:500]):
        ref.refresh_from_db()
        audit.updated(actor, ref, before)
        add_timeline(ref.incident, actor, "referral.cancelled",
                     _("Referral to %(agency)s cancelled: %(reason)s") % {"agency": ref.agency.name, "reason": reason},
                     {"referral_id": ref.pk, "agency_id": ref.agency_id})


def _apply_status(actor: Actor, incident: Incident, status: str, note: str = "") -> Incident:
    current = incident.status
    if status == S.MERGED:
        raise ServiceError(_("Merge incidents with the merge action."), code="invalid_transition",
                           details={"from": current, "to": status})
    if status not in S.values:
        raise ServiceError(_("Unknown incident status: %(status)s.") % {"status": status}, code="unknown_status")
    allowed = TRANSITIONS[current]
    if status not in allowed:
        raise Conflict(
            _("An incident that is %(from)s cannot become %(to)s.")
            % {"from": S(current).label, "to": S(status).label},
            code="invalid_transition", details={"from": current, "to": status, "allowed": sorted(allowed)},
        )
    note = (note or "").strip()[:500]
    if status == S.CANCELLED and not note:
        raise ServiceError(_("Give a reason for cancelling the incident."), code="reason_required")
    now = timezone.now()
    before = audit.snapshot(incident)
    incident.status = status
    if status == S.RESOLVED:
        incident.resolved_at = now
    elif status == S.IN_PROGRESS and current == S.RESOLVED:
        incident.resolved_at = None
    if status in FINAL_STATUSES:
        incident.closed_at = now
    incident.save()
    audit.updated(actor, incident, before)
    add_timeline(incident, actor, "incident.status",
                 _("Status: %(status)s.") % {"status": S(status).label} + (f" {note}" if note else ""),
                 {"from": current, "to": status, "note": note}, at=now)
    if status == S.CANCELLED:
        for ref in incident.referrals.filter(status__in=_OPEN_REFERRALS).select_related("agency", "incident"):
            _withdraw_referral(actor, ref, note)
    emit("incident.status_changed", {"id": incident.pk, "number": incident.number, "from_status": current,
                                     "to_status": status, "note": note, "at": now},
         organization=incident.organization_id, region_code=incident.region_code, shared_with=agency_ids(incident))
    return incident


@transaction.atomic
def set_incident_status(actor: Actor, incident_id: int, status: str, note: str = "") -> Incident:
    """Move an incident along TRANSITIONS; anything else is refused with the allowed next statuses."""
    actor.require("incident.update")
    incident = _own_incident_for_update(actor, incident_id)
    return _apply_status(actor, incident, status, note)


def apply_status(actor: Actor, incident: Incident, status: str, note: str = "") -> Incident:
    """set_incident_status for another service that already checked its own permission (e.g. an agency
    committing resources puts the incident "in progress"); the same transition table applies."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        return _apply_status(actor, locked, status, note)


@transaction.atomic
def merge_incidents(actor: Actor, source_id: int, target_id: int) -> Incident:
    """Fold a duplicate (source) into target: its calls, timeline, positions and referrals move over.

    The source becomes "merged" (merged_into = target) and can never be merged again. An open
    referral of the source to an agency the target already has is cancelled; the others move to
    the target with their state. The target takes the more urgent of the two priorities.
    """
    actor.require("incident.update")
    if int(source_id) == int(target_id):
        raise ServiceError(_("An incident cannot be merged into itself."), code="merge_into_itself")
    # Lock in id order so two opposite merges cannot deadlock.
    first, second = sorted([int(source_id), int(target_id)])
    locked = {first: _own_incident_for_update(actor, first), second: _own_incident_for_update(actor, second)}
    source, target = locked[int(source_id)], locked[int(target_id)]
    if source.organization_id != target.organization_id:
        raise ServiceError(_("Only incidents of the same call center can be merged."), code="different_organization")
    if source.status == S.MERGED:
        raise Conflict(_("Incident %(number)s was already merged into %(into)s.")
                       % {"number": source.number, "into": source.merged_into.number},
                       code="already_merged", details={"merged_into": source.merged_into_id})
    if source.status not in OPEN_STATUSES:
        raise Conflict(_("Incident %(number)s is %(status)s and cannot be merged.")
                       % {"number": source.number, "status": source.get_status_display()},
                       code="incident_closed", details={"status": source.status})
    _require_attachable(target)
    now = timezone.now()
    before_source, before_target = audit.snapshot(source), audit.snapshot(target)
    calls_moved = Call.objects.filter(incident=source).update(incident=target)
    Position.objects.filter(incident=source).update(incident=target)
    target_agencies = set(target.referrals.values_list("agency_id", flat=True))
    moved, cancelled = [], []
    for ref in source.referrals.select_related("agency", "incident").order_by("pk"):
        if ref.agency_id in target_agencies:
            if ref.status in _OPEN_REFERRALS:
                _withdraw_referral(actor, ref, _("Incident merged into %(number)s, which is already referred to "
                                                 "this agency.") % {"number": target.number})
                cancelled.append(ref.pk)
        else:
            ref_before = audit.snapshot(ref)
            Referral.objects.filter(pk=ref.pk).update(incident=target)
            ref.incident = target
            audit.updated(actor, ref, ref_before)
            moved.append(ref.pk)
    # The whole story (including the referral changes just made) continues on the target.
    TimelineEntry.objects.filter(incident=source).update(incident=target)
    changed = []
    if source.priority < target.priority:
        add_timeline(target, actor, "incident.priority",
                     _("Priority raised from P%(old)d to P%(new)d by the merge of %(number)s.")
                     % {"old": target.priority, "new": source.priority, "number": source.number},
                     {"priority": source.priority, "previous": target.priority, "merged_id": source.pk}, at=now)
        target.priority = source.priority
        changed.append("priority")
    if target.status == S.NEW and moved:
        # The moved referrals make the target a referred incident (new -> referred in TRANSITIONS).
        target.status = S.REFERRED
        changed.append("status")
        add_timeline(target, actor, "incident.status", _("Status: %(status)s.") % {"status": S.REFERRED.label},
                     {"from": S.NEW, "to": S.REFERRED, "note": ""}, at=now)
    target.save()
    source.status, source.merged_into, source.closed_at = S.MERGED, target, now
    source.save()
    audit.updated(actor, source, before_source)
    audit.updated(actor, target, before_target)
    add_timeline(target, actor, "incident.merged",
                 _("Incident %(number)s merged into this one (%(calls)d calls).")
                 % {"number": source.number, "calls": calls_moved},
                 {"source_id": source.pk, "source_number": source.number, "calls_moved": calls_moved,
                  "description": source.description, "referrals_moved": moved, "referrals_cancelled": cancelled},
                 at=now)
    add_timeline(source, actor, "incident.merged_into",
                 _("Merged into %(number)s.") % {"number": target.number}, {"target_id": target.pk}, at=now)
    shared = sorted(set(agency_ids(target)) | set(agency_ids(source)))
    emit("incident.merged", {"id": source.pk, "number": source.number, "into_id": target.pk,
                             "into_number": target.number, "calls_moved": calls_moved, "referrals_moved": moved,
                             "referrals_cancelled": cancelled},
         organization=target.organization_id, region_code=target.region_code, shared_with=shared)
    if changed:
        _emit_updated(target, changed)
    return target


def _emit_updated(incident: Incident, changed: list[str]) -> None:
    emit("incident.updated", {"id": incident.pk, "number": incident.number, "changed": changed,
                              "priority": incident.priority, "region_code": incident.region_code,
                              "lat": incident.lat, "lng": incident.lng, "location_source": incident.location_source},
         organization=incident.organization_id, region_code=incident.region_code, shared_with=agency_ids(incident))


# --- positions ----------------------------------------------------------------------------------


def _better(incident: Incident, source: str, accuracy_m: int | None) -> bool:
    if incident.lat is None or incident.location_source in APPROXIMATE_SOURCES:
        return True
    if incident.location_source in AUTOMATIC_SOURCES and source in AUTOMATIC_SOURCES:
        if accuracy_m is None:
            return False
        return incident.location_accuracy_m is None or accuracy_m < incident.location_accuracy_m
    return False


@transaction.atomic
def record_position(actor: Actor, *, call=None, incident=None, lat: float, lng: float, accuracy_m=None,
                    source: str, measured_at: dt.datetime | None = None, raw: str = "") -> Position:
    """Keep a caller's or incident's position with its source and accuracy; move the incident there if better.

    "Better": the incident has no position or only an approximate one (kelurahan centroid, address),
    or both are automatic fixes (AML, location link, public report GPS) and the new one is more
    accurate. A position a call-taker chose on the map or typed is never replaced automatically.
    """
    if call is None and incident is None:
        raise ServiceError(_("A position belongs to a call or an incident."), code="invalid_position")
    lat, lng = check_coordinates(lat, lng)
    if lat is None:
        raise ServiceError(_("Give both latitude and longitude."), code="invalid_position")
    if source not in LocationSource.values:
        raise ServiceError(_("Unknown location source: %(source)s.") % {"source": source}, code="invalid_position")
    accuracy = _accuracy(accuracy_m)
    if call is not None:
        actor.require("call.create")
        call = _call_for_update(actor, call.pk if isinstance(call, Call) else call)
        if incident is None and call.incident_id:
            incident = call.incident_id
    if incident is not None:
        actor.require("incident.update")
        incident = _own_incident_for_update(actor, incident.pk if isinstance(incident, Incident) else incident)
        if call is not None and call.organization_id != incident.organization_id:
            raise NotFound(_("Incident not found."))
    position = Position.objects.create(call=call, incident=incident, lat=lat, lng=lng, accuracy_m=accuracy,
                                       source=source, measured_at=measured_at, raw=(raw or "")[:4000])
    audit.created(actor, position)
    if call is not None:
        emit("call.position", {"id": call.pk, "position_id": position.pk, "lat": lat, "lng": lng,
                               "accuracy_m": accuracy, "source": source},
             organization=call.organization_id, region_code=call.region_code)
    if incident is not None:
        label = LocationSource(source).label
        text = (_("Position from %(source)s, accuracy %(m)d m.") % {"source": label, "m": accuracy}
                if accuracy is not None else _("Position from %(source)s.") % {"source": label})
        add_timeline(incident, actor, "position.recorded", text,
                     {"position_id": position.pk, "lat": lat, "lng": lng, "accuracy_m": accuracy, "source": source})
        if _better(incident, source, accuracy):
            before = audit.snapshot(incident)
            incident.lat, incident.lng, incident.h3_cell = lat, lng, h3_cell(lat, lng)
            incident.location_source, incident.location_accuracy_m = source, accuracy
            incident.region_code = _lookup_region(lat, lng) or incident.region_code
            incident.save()
            audit.updated(actor, incident, before)
            add_timeline(incident, actor, "incident.location", _("Location updated from the new position."),
                         {"position_id": position.pk})
            _emit_updated(incident, ["location"])
    return position


# --- caller history and nuisance statistics -----------------------------------------------------


def caller_history(actor: Actor, number: str, *, organization=None) -> dict:
    """What the call-taker sees as the number is typed: earlier calls, incidents, nuisance record and flag."""
    actor.require("call.view")
    number = normalize_phone(number, required=True)
    org = _organization(actor, organization)
    now = timezone.now()
    calls = list(
        visible_calls(actor).filter(organization=org, caller_number=number)
        .select_related("incident", "incident__type").order_by("-started_at", "-id")[:HISTORY_LIMIT]
    )
    incidents, seen = [], set()
    for c in calls:
        inc = c.incident
        if inc is not None and inc.pk not in seen:
            seen.add(inc.pk)
            incidents.append({"id": inc.pk, "number": inc.number, "type_code": inc.type.code,
                              "type_name": inc.type.name, "status": inc.status, "priority": inc.priority,
                              "created_at": inc.created_at})
    rec = _caller_record(org.pk, number)
    return {
        "number": number,
        "organization_id": org.pk,
        "known": rec is not None or bool(calls),
        "total_calls": rec.total_calls if rec else 0,
        "nuisance_calls": rec.nuisance_calls if rec else 0,
        "recent_nuisance_calls": _recent_nuisance(org.pk, number, now),
        "window_days": nuisance_window_days(),
        "threshold": nuisance_threshold(),
        "flagged": bool(rec and rec.flagged),
        "flagged_at": rec.flagged_at if rec else None,
        "policy": rec.policy if rec and rec.flagged else CallerNumber.Policy.NONE,
        "note": rec.note if rec else "",
        "last_call_at": rec.last_call_at if rec else (calls[0].started_at if calls else None),
        "calls": [{"id": c.pk, "channel": c.channel, "started_at": c.started_at, "answered_at": c.answered_at,
                   "ended_at": c.ended_at, "outcome": c.outcome, "outcome_reason": c.outcome_reason,
                   "incident_id": c.incident_id, "incident_number": c.incident.number if c.incident else None}
                  for c in calls],
        "incidents": incidents,
    }


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def nuisance_stats(actor: Actor, date_from: dt.date, date_to: dt.date, *, organization=None) -> dict:
    """Nuisance (prank, silent, accidental) calls per day, per hour of day and per number, with their share.

    Days and hours are the call center's local time (WIB/WITA/WIT); both dates are included. The
    share is nuisance calls over all calls started in the period.
    """
    actor.require("callcenter.stats")
    if date_to < date_from:
        raise ServiceError(_("The end date is before the start date."), code="invalid_period")
    if (date_to - date_from).days > 366:
        raise ServiceError(_("Choose a period of at most one year."), code="invalid_period")
    qs = actor.scope_queryset(Call.objects.all())
    zone_code = ""
    if organization is not None:
        org = _organization(actor, organization)
        qs, zone_code = qs.filter(organization=org), org.region_code
    elif actor.organization is not None:
        zone_code = actor.organization.region_code
    tz = zone_for_region(zone_code)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    rows = qs.filter(started_at__gte=start, started_at__lt=end).values_list("started_at", "outcome", "caller_number")
    days: dict[dt.date, list[int]] = {}
    d = date_from
    while d <= date_to:
        days[d] = [0, 0]
        d += dt.timedelta(days=1)
    hours = [[0, 0] for _h in range(24)]
    numbers: dict[str, list[int]] = {}
    by_outcome: dict[str, int] = {}
    total = nuisance = 0
    for started_at, outcome, number in rows.iterator(chunk_size=2000):
        local = started_at.astimezone(tz)
        is_nuisance = outcome in NUISANCE_OUTCOMES
        total += 1
        nuisance += is_nuisance
        by_outcome[outcome or "open"] = by_outcome.get(outcome or "open", 0) + 1
        for bucket in (days[local.date()], hours[local.hour], numbers.setdefault(number or "", [0, 0])):
            bucket[0] += 1
            bucket[1] += is_nuisance
    flagged = set(CallerNumber.objects.filter(number__in=[n for n in numbers if n], flagged=True)
                  .filter(organization_id__in=qs.values("organization_id")).values_list("number", flat=True))
    per_number = sorted(((n, t, k) for n, (t, k) in numbers.items() if n and k), key=lambda x: (-x[2], -x[1], x[0]))
    return {
        "date_from": date_from, "date_to": date_to, "time_zone": tz.key,
        "total": total, "nuisance": nuisance, "share": _share(nuisance, total), "by_outcome": by_outcome,
        "per_day": [{"date": day, "total": t, "nuisance": k, "share": _share(k, t)} for day, (t, k) in days.items()],
        "per_hour": [{"hour": h, "total": t, "nuisance": k, "share": _share(k, t)} for h, (t, k) in enumerate(hours)],
        "per_number": [{"number": n, "total": t, "nuisance": k, "share": _share(k, t), "flagged": n in flagged}
                       for n, t, k in per_number[:100]],
    }


# --- caller records (administration) ------------------------------------------------------------


@transaction.atomic
def set_caller_policy(actor: Actor, number: str, *, flagged: bool, policy: str = "", note: str = "",
                      organization=None) -> CallerNumber:
    """An administrator flags or clears a number and picks its policy."""
    actor.require("callcenter.configure")
    number = normalize_phone(number, required=True)
    org = _organization(actor, organization)
    if policy and policy not in CallerNumber.Policy.values:
        raise ServiceError(_("Unknown policy: %(policy)s.") % {"policy": policy}, code="invalid_policy")
    rec, created = CallerNumber.objects.select_for_update().get_or_create(organization=org, number=number)
    before = audit.snapshot(rec)
    rec.flagged = flagged
    rec.flagged_at = (rec.flagged_at or timezone.now()) if flagged else None
    rec.policy = policy or (rec.policy if flagged and rec.policy != CallerNumber.Policy.NONE else
                            (nuisance_default_policy() if flagged else CallerNumber.Policy.NONE))
    rec.note = (note or rec.note)[:300]
    rec.save()
    audit.created(actor, rec) if created else audit.updated(actor, rec, before)
    return rec


__all__ = [
    "TRANSITIONS", "add_timeline", "agency_ids", "answer_call", "apply_status", "attach_call", "caller_history",
    "close_call", "create_incident", "end_call", "get_call", "get_incident", "get_type", "merge_incidents",
    "nuisance_stats", "record_position", "resolve_location", "search_types", "set_caller_number",
    "set_caller_policy", "set_incident_status", "start_call", "suggest_priority", "visible_calls", "visible_incidents",
]
