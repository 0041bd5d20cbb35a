"""Dispatch write path: fleet records, sending units, the unit status machine, acknowledgement alarms,
cancel / divert / reassign, and requests for another organisation's unit.

A unit is dispatched by its owner or by the dispatch center it is assigned to; anyone else requests
it (UnitRequest) and the owner accepts with one action. A dispatch counts once a crew member aboard
acknowledges it; the crew's phone may send status steps late (offline queue), so each step carries
the device's time, checked against the previous step and the server's clock, and a client id that
makes a replay harmless.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog, Organization
from siaga.core.permissions import Actor, PermissionDenied, in_tree, tree_q
from siaga.core.services import validate_region_code

from . import crewing
from .models import (
    CrewMember,
    Dispatch,
    DispatchStatus,
    Station,
    StationKind,
    StatusChange,
    Unit,
    UnitKind,
    UnitRequest,
    UnitRequestStatus,
    UnitStatus,
)

logger = logging.getLogger(__name__)
DS, US = DispatchStatus, UnitStatus

# Capability each kind brings by default (the incident type's `needs_capability` is matched against these).
KIND_CAPABILITIES: dict[str, list[str]] = {
    UnitKind.AMBULANCE_BASIC: ["ambulance"],
    UnitKind.AMBULANCE_ADVANCED: ["ambulance", "ambulance_advanced"],
    UnitKind.PATIENT_TRANSPORT: ["patient_transport"],
    UnitKind.FIRE_ENGINE: ["fire"],
    UnitKind.RESCUE: ["rescue"],
    UnitKind.MOTORCYCLE: ["ambulance", "first_response"],
}

# The crew's steps, in order. A crew may skip forward (no transport: on scene -> returning), never back.
STEP_ORDER = [DS.ALERTED, DS.ACKNOWLEDGED, DS.EN_ROUTE, DS.ON_SCENE, DS.TRANSPORTING, DS.AT_HOSPITAL,
              DS.HANDOVER_DONE, DS.RETURNING, DS.COMPLETED]
NEXT_STEPS: dict[str, set[str]] = {
    DS.ALERTED: {DS.ACKNOWLEDGED},
    DS.ACKNOWLEDGED: {DS.EN_ROUTE},
    DS.EN_ROUTE: {DS.ON_SCENE},
    DS.ON_SCENE: {DS.TRANSPORTING, DS.RETURNING, DS.COMPLETED},
    DS.TRANSPORTING: {DS.AT_HOSPITAL},
    DS.AT_HOSPITAL: {DS.HANDOVER_DONE},
    DS.HANDOVER_DONE: {DS.RETURNING, DS.COMPLETED},
    DS.RETURNING: {DS.COMPLETED},
}
LIVE = (DS.ALERTED, DS.ACKNOWLEDGED, DS.EN_ROUTE, DS.ON_SCENE, DS.TRANSPORTING, DS.AT_HOSPITAL, DS.HANDOVER_DONE)
ENDED = (DS.COMPLETED, DS.CANCELLED, DS.DIVERTED, DS.REASSIGNED)
# The unit's own status for each dispatch step (returning keeps the unit busy but dispatchable).
UNIT_STATUS_FOR = {DS.ALERTED: US.ALERTED, DS.ACKNOWLEDGED: US.ACKNOWLEDGED, DS.EN_ROUTE: US.EN_ROUTE,
                   DS.ON_SCENE: US.ON_SCENE, DS.TRANSPORTING: US.TRANSPORTING, DS.AT_HOSPITAL: US.AT_HOSPITAL,
                   DS.HANDOVER_DONE: US.HANDOVER_DONE, DS.RETURNING: US.RETURNING, DS.COMPLETED: US.AVAILABLE}
DISPATCHABLE_STATUSES = (US.AVAILABLE, US.RETURNING)
# How far ahead of the server's clock a phone's clock may run before its time is refused.
MAX_CLOCK_SKEW = dt.timedelta(minutes=2)


def ack_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "SIAGA_DISPATCH_ACK_SECONDS", 60)))


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


# --- reading ------------------------------------------------------------------------------------






def unit_visibility_q(actor: Actor) -> Q:
    """Units an actor sees: its organisations' own, those its organisations dispatch, those working for it
    (an organisation below the actor's only in the actor's area, see tree_q)."""
    return (tree_q(actor, "organization", "region_code") | tree_q(actor, "dispatch_center", "region_code")
            | Q(pk__in=UnitRequest.objects.filter(tree_q(actor, "organization", "region_code")).values("unit_id")))


def visible_units(actor: Actor) -> QuerySet:
    actor.require("unit.view")
    qs = Unit.objects.select_related("station", "organization", "current_dispatch")
    if actor.is_platform_admin:
        return qs
    return qs.filter(unit_visibility_q(actor))


def get_unit(actor: Actor, unit_id: int) -> Unit:
    unit = visible_units(actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def _dispatch_q(actor: Actor) -> Q:
    return (tree_q(actor, "organization", "region_code")
            | tree_q(actor, "unit__organization", "region_code", "unit__region_code")
            | tree_q(actor, "unit__dispatch_center", "region_code", "unit__region_code"))


def visible_dispatches(actor: Actor) -> QuerySet:
    actor.require("unit.view")
    qs = Dispatch.objects.select_related("unit", "incident", "incident__type", "destination")
    if actor.is_platform_admin:
        return qs
    return qs.filter(_dispatch_q(actor))


def get_dispatch(actor: Actor, dispatch_id: int) -> Dispatch:
    d = visible_dispatches(actor).filter(pk=dispatch_id).first()
    if d is None:
        raise NotFound(_("Dispatch not found."))
    return d


def visible_stations(actor: Actor) -> QuerySet:
    actor.require("unit.view")
    return actor.scope_queryset(Station.objects.select_related("organization"))


def can_dispatch_directly(actor: Actor, unit: Unit) -> bool:
    if actor.is_platform_admin:
        return True
    return in_tree(actor, unit.organization_id, unit.region_code) or in_tree(actor, unit.dispatch_center_id,
                                                                              unit.region_code)


def shared_region(*codes: str) -> str:
    """The deepest region containing every given code: the area of an event both parties of a cross-region job
    follow ("" when they lie in different provinces, which every scope overlaps)."""
    split = [c.split(".") for c in codes if c]
    if not split:
        return ""
    common = []
    for parts in zip(*split):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return ".".join(common)


def unit_parties(unit: Unit, dispatch: Dispatch | None = None) -> list[int]:
    """Organisations besides the owner that follow a unit: its dispatch center and whoever it works for now."""
    ids = {unit.dispatch_center_id} if unit.dispatch_center_id else set()
    if dispatch is not None:
        ids.add(dispatch.organization_id)
    ids.discard(unit.organization_id)
    return sorted(i for i in ids if i)


# --- fleet ----------------------------------------------------------------------------------------


def _owner(actor: Actor, organization) -> Organization:
    if organization is None:
        if actor.organization is None:
            raise ServiceError(_("Name the organisation that owns this record."), code="organization_required")
        return actor.organization
    org_id = organization.pk if hasattr(organization, "pk") else int(organization)
    if not actor.is_platform_admin and org_id not in actor.org_ids:
        raise PermissionDenied(_("You can only manage your own organisation's fleet."))
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("Organisation not found."))
    return org


def _check_latlng(lat, lng) -> None:
    if (lat is None) != (lng is None):
        raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_position")
    if lat is not None and not (-90 <= float(lat) <= 90 and -180 <= float(lng) <= 180):
        raise ServiceError(_("The position is outside the valid latitude/longitude range."), code="invalid_position")


@transaction.atomic
def create_station(actor: Actor, *, name: str, kind: str, region_code: str = "", lat=None, lng=None,
                   address: str = "", organization=None) -> Station:
    actor.require("unit.manage")
    org = _owner(actor, organization)
    if kind not in StationKind.values:
        raise ServiceError(_("Unknown station kind: %(kind)s.") % {"kind": kind}, code="invalid_kind")
    if not (name or "").strip():
        raise ServiceError(_("A station needs a name."), code="name_required")
    region_code = region_code or org.region_code
    if region_code:
        validate_region_code(region_code)
    actor.require_region(region_code)
    _check_latlng(lat, lng)
    st = Station.objects.create(organization=org, name=name.strip(), kind=kind, region_code=region_code or "",
                                lat=lat, lng=lng, address=address)
    audit.created(actor, st)
    return st


def _unit_event(unit: Unit) -> dict:
    return {"id": unit.pk, "call_sign": unit.call_sign, "organization_id": unit.organization_id, "kind": unit.kind,
            "status": unit.status, "active": unit.active}


@transaction.atomic
def create_unit(actor: Actor, *, call_sign: str, kind: str, station: Station | int | None = None,
                capabilities: list[str] | None = None, equipment: list[str] | None = None, plate_number: str = "",
                region_code: str = "", dispatch_center=None, mutual_aid: bool = False, always_crewed: bool = False,
                organization=None) -> Unit:
    actor.require("unit.manage")
    org = _owner(actor, organization)
    if kind not in UnitKind.values:
        raise ServiceError(_("Unknown unit kind: %(kind)s.") % {"kind": kind}, code="invalid_kind")
    call_sign = (call_sign or "").strip()
    if not call_sign:
        raise ServiceError(_("A unit needs a call sign."), code="call_sign_required")
    st = None
    if station is not None:
        st = Station.objects.filter(pk=station.pk if hasattr(station, "pk") else int(station),
                                    organization=org).first()
        if st is None:
            raise ServiceError(_("The home station must belong to the unit's organisation."), code="invalid_station")
    region_code = region_code or (st.region_code if st else "") or org.region_code
    if region_code:
        validate_region_code(region_code)
    actor.require_region(region_code)
    center = None
    if dispatch_center is not None:
        center = Organization.objects.filter(pk=getattr(dispatch_center, "pk", dispatch_center)).first()
        if center is None:
            raise ServiceError(_("Unknown dispatch center."), code="invalid_dispatch_center")
    caps = sorted(set(KIND_CAPABILITIES.get(kind, [])) | set(capabilities or []))
    unit = Unit(organization=org, call_sign=call_sign, kind=kind, station=st, capabilities=caps,
                equipment=list(equipment or []), plate_number=plate_number, region_code=region_code or "",
                dispatch_center=center, mutual_aid=mutual_aid, always_crewed=always_crewed,
                status_changed_at=timezone.now())
    if st is not None and st.lat is not None:
        unit.lat, unit.lng = st.lat, st.lng
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError as exc:
        raise Conflict(_("Call sign %(cs)s is already used in this organisation.") % {"cs": call_sign},
                       code="duplicate_call_sign") from exc
    audit.created(actor, unit)
    emit("unit.updated", _unit_event(unit), organization=org, region_code=unit.region_code,
         shared_with=unit_parties(unit))
    return unit


@transaction.atomic
def create_crew_member(actor: Actor, *, name: str, qualifications: list[str], user=None, phone: str = "",
                       organization=None) -> CrewMember:
    from .models import CrewQualification

    actor.require("roster.manage")
    org = _owner(actor, organization)
    bad = [q for q in qualifications if q not in CrewQualification.values]
    if bad or not qualifications:
        raise ServiceError(_("Unknown or missing qualification: %(q)s.") % {"q": ", ".join(bad) or "-"},
                           code="invalid_qualification")
    member = CrewMember.objects.create(organization=org, name=name.strip(), qualifications=sorted(set(qualifications)),
                                       user=user, phone=phone, region_code=org.region_code)
    audit.created(actor, member)
    return member


# --- status machine ---------------------------------------------------------------------------------


def _lock_unit(unit_id: int) -> Unit:
    unit = Unit.objects.select_for_update().filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("Unit not found."))
    return unit


def _lock_dispatch(actor: Actor, dispatch_id: int) -> Dispatch:
    d = get_dispatch(actor, dispatch_id)  # visibility first: another organisation's dispatch does not exist
    return Dispatch.objects.select_for_update().select_related("incident", "incident__type", "unit").get(pk=d.pk)


def _dispatch_event(d: Dispatch, at: dt.datetime) -> dict:
    return {"id": d.pk, "incident_id": d.incident_id, "incident_number": d.incident.number, "unit_id": d.unit_id,
            "call_sign": d.unit.call_sign, "organization_id": d.organization_id, "status": d.status, "at": at}


def _emit_dispatch(name: str, d: Dispatch, at: dt.datetime, **extra) -> None:
    emit(name, {**_dispatch_event(d, at), **extra}, organization=d.unit.organization_id,
         region_code=shared_region(d.region_code, d.unit.region_code), shared_with=unit_parties(d.unit, d))


def _set_unit_status(actor: Actor | None, unit: Unit, status: str, at: dt.datetime, dispatch: Dispatch | None,
                     *, client_id: str = "", note: str = "", current: Dispatch | None | bool = False) -> None:
    previous = unit.status
    unit.status = status
    unit.status_changed_at = at
    fields = ["status", "status_changed_at"]
    if current is not False:
        unit.current_dispatch = current
        fields.append("current_dispatch")
    unit.save(update_fields=fields)
    StatusChange.objects.create(unit=unit, dispatch=dispatch, from_status=previous, to_status=status, at=at,
                                received_at=timezone.now(), actor=_user(actor) if actor else None,
                                client_id=client_id, note=note[:300])
    from siaga.disaster.mutualaid import live as mutual_aid

    loans = mutual_aid.active_requests_for_unit(unit.pk)  # a lent unit is followed by its borrower too
    emit("unit.status", {"id": unit.pk, "call_sign": unit.call_sign, "organization_id": unit.organization_id,
                         "status": status, "previous_status": previous, "at": at,
                         "dispatch_id": dispatch.pk if dispatch else None},
         organization=unit.organization_id,
         region_code=shared_region(unit.region_code, dispatch.region_code if dispatch else ""),
         shared_with={*unit_parties(unit, dispatch), *(r.organization_id for r in loans)})
    mutual_aid.announce_status(unit, previous, at, loans)


def _require_dispatchable(actor: Actor, unit: Unit, now: dt.datetime, *, via_request: bool = False) -> None:
    if not via_request and not can_dispatch_directly(actor, unit):
        raise PermissionDenied(_("Unit %(cs)s belongs to another organisation: request it from its owner.")
                               % {"cs": unit.call_sign})
    if not unit.active:
        raise ServiceError(_("Unit %(cs)s is not in service.") % {"cs": unit.call_sign}, code="unit_inactive")
    if unit.status not in DISPATCHABLE_STATUSES:
        raise Conflict(_("Unit %(cs)s is busy (%(status)s).") % {"cs": unit.call_sign,
                                                                  "status": unit.get_status_display()},
                       code="unit_busy")
    if not crewing.is_crewed(unit, now):
        raise ServiceError(_("Unit %(cs)s has no crew on shift and cannot be dispatched.") % {"cs": unit.call_sign},
                           code="unit_not_crewed")


def _create_dispatch(actor: Actor, incident, unit: Unit, now: dt.datetime, *, eta=None, organization=None,
                     unit_request: UnitRequest | None = None, note: str = "") -> Dispatch:
    from siaga.callcenter import services as cc

    org = organization or actor.organization or incident.organization
    d = Dispatch(organization=org, incident=incident, unit=unit, region_code=incident.region_code or "",
                 created_by=_user(actor), alerted_at=now, ack_deadline_at=now + ack_timeout(),
                 unit_request=unit_request)
    if eta:
        d.eta_seconds, d.distance_m, d.eta_estimate = eta.get("seconds"), eta.get("metres"), bool(eta.get("estimate"))
    try:
        with transaction.atomic():
            d.save()
    except IntegrityError as exc:
        raise Conflict(_("Unit %(cs)s was just dispatched by someone else.") % {"cs": unit.call_sign},
                       code="unit_busy") from exc
    _set_unit_status(actor, unit, US.ALERTED, now, d, current=d, note=note)
    audit.created(actor, d)
    cc.add_timeline(incident, actor, "dispatch", _("Unit %(cs)s dispatched.") % {"cs": unit.call_sign},
                    {"dispatch_id": d.pk, "unit_id": unit.pk}, at=now)
    if incident.status in ("new", "referred"):
        cc.apply_status(actor, incident, "in_progress", note=_("Unit %(cs)s dispatched.") % {"cs": unit.call_sign})
    _emit_dispatch("dispatch.created", d, now, ack_deadline_at=d.ack_deadline_at, eta_seconds=d.eta_seconds,
                   distance_m=d.distance_m, eta_estimate=d.eta_estimate, incident_lat=incident.lat,
                   incident_lng=incident.lng, incident_address=incident.address or "",
                   incident_type=incident.type.name, priority=incident.priority)
    return d


def _eta_for(actor: Actor, unit: Unit, incident) -> dict | None:
    """The travel time the recommendation would show, kept on the dispatch for evaluation."""
    if unit.lat is None or incident.lat is None:
        return None
    from .recommend import travel_times

    try:
        return travel_times([unit], incident)[0]
    except ServiceError:
        return None


def _incident_for_dispatch(actor: Actor, incident_id: int):
    from siaga.callcenter import services as cc
    from siaga.callcenter.models import OPEN_STATUSES

    incident = cc.get_incident(actor, incident_id)
    if incident.status not in OPEN_STATUSES:
        raise ServiceError(_("Incident %(n)s is %(status)s: units are sent only to open incidents.")
                           % {"n": incident.number, "status": incident.get_status_display()}, code="incident_closed")
    return incident


@transaction.atomic
def dispatch_unit(actor: Actor, *, incident_id: int, unit_id: int, note: str = "") -> Dispatch:
    """Send a unit to an incident: the crew's phones ring; it counts when one of them acknowledges."""
    actor.require("dispatch.create")
    incident = _incident_for_dispatch(actor, incident_id)
    visible = get_unit(actor, unit_id)
    unit = _lock_unit(visible.pk)
    now = timezone.now()
    _require_dispatchable(actor, unit, now)
    if Dispatch.objects.filter(incident=incident, unit=unit, status__in=LIVE).exists():
        raise Conflict(_("Unit %(cs)s is already on this incident.") % {"cs": unit.call_sign}, code="already_sent")
    return _create_dispatch(actor, incident, unit, now, eta=_eta_for(actor, unit, incident), note=note)


def _device_time(at: dt.datetime | None, previous: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The time a step happened, as the phone says, refused when it cannot be true."""
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ServiceError(_("A status time needs its time zone."), code="naive_time")
    if at > now + MAX_CLOCK_SKEW:
        raise ServiceError(_("The status time lies in the future; check the phone's clock."), code="time_in_future")
    if previous is not None and at < previous:
        raise ServiceError(_("The status time is earlier than the previous step."), code="status_out_of_order")
    return at


def _step_time(d: Dispatch) -> dt.datetime:
    times = [getattr(d, f"{s}_at") for s in STEP_ORDER if getattr(d, f"{s}_at", None)]
    return max(times) if times else d.alerted_at


def _may_step(actor: Actor, d: Dispatch, status: str, now: dt.datetime) -> None:
    """Acknowledging needs someone aboard; later steps may also be recorded by a dispatcher (radio)."""
    aboard = actor.has("unit.update_status") and crewing.is_crew_of(actor.user, d.unit, now)
    if status == DS.ACKNOWLEDGED:
        if not aboard:
            raise PermissionDenied(_("Only the crew on shift aboard %(cs)s can acknowledge its dispatch.")
                                   % {"cs": d.unit.call_sign})
        return
    if aboard:
        return
    if actor.has("dispatch.create") and (in_tree(actor, d.organization_id, d.region_code)
                                         or can_dispatch_directly(actor, d.unit)):
        return
    raise PermissionDenied(_("Only the crew aboard %(cs)s or its dispatcher can change this dispatch.")
                           % {"cs": d.unit.call_sign})


@transaction.atomic
def set_dispatch_status(actor: Actor, dispatch_id: int, status: str, *, at: dt.datetime | None = None,
                        client_id: str = "", note: str = "", destination_id: int | None = None) -> Dispatch:
    """One step of the crew's progress. Replaying a step with the same client id returns the dispatch unchanged."""
    d = _lock_dispatch(actor, dispatch_id)
    client_id = (client_id or "")[:64]
    if client_id and StatusChange.objects.filter(unit_id=d.unit_id, client_id=client_id).exists():
        return d
    if status not in NEXT_STEPS and status != DS.COMPLETED:
        raise ServiceError(_("Unknown status: %(s)s.") % {"s": status}, code="invalid_status")
    now = timezone.now()
    _may_step(actor, d, status, now)
    if d.status in ENDED:
        raise Conflict(_("This dispatch has ended (%(s)s).") % {"s": d.get_status_display()}, code="dispatch_ended")
    if status not in NEXT_STEPS.get(d.status, set()):
        raise Conflict(_("%(cs)s cannot go from %(from)s to %(to)s.")
                       % {"cs": d.unit.call_sign, "from": d.get_status_display(), "to": DS(status).label},
                       code="status_out_of_order", details={"current": d.status, "requested": status})
    when = _device_time(at, _step_time(d), now)
    previous = d.status
    d.status = status
    setattr(d, f"{status}_at", when)
    fields = ["status", f"{status}_at"]
    if status == DS.ACKNOWLEDGED:
        d.acknowledged_by = _user(actor)
        fields.append("acknowledged_by")
    if destination_id is not None:
        d.destination = _hospital(destination_id)
        fields.append("destination")
    d.save(update_fields=fields)
    unit = _lock_unit(d.unit_id)
    ended = status == DS.COMPLETED
    _set_unit_status(actor, unit, UNIT_STATUS_FOR[status], when, d, client_id=client_id, note=note,
                     current=None if ended else d)
    from siaga.callcenter import services as cc

    cc.add_timeline(d.incident, actor, f"dispatch_{status}",
                    _("%(cs)s: %(status)s") % {"cs": unit.call_sign, "status": DS(status).label},
                    {"dispatch_id": d.pk, "unit_id": unit.pk, "status": status}, at=when)
    _emit_dispatch("dispatch.status", d, when, previous_status=previous, note=note[:300],
                   destination_id=d.destination_id)
    return d


def _hospital(org_id: int) -> Organization:
    org = Organization.objects.filter(pk=org_id, kind="hospital", active=True).first()
    if org is None:
        raise ServiceError(_("The destination must be an active hospital."), code="invalid_destination")
    return org


@transaction.atomic
def set_destination(actor: Actor, dispatch_id: int, hospital_id: int) -> Dispatch:
    d = _lock_dispatch(actor, dispatch_id)
    _may_step(actor, d, "destination", timezone.now())
    if d.status in ENDED:
        raise Conflict(_("This dispatch has ended (%(s)s).") % {"s": d.get_status_display()}, code="dispatch_ended")
    before = audit.snapshot(d)
    d.destination = _hospital(hospital_id)
    d.save(update_fields=["destination"])
    audit.updated(actor, d, before)
    _emit_dispatch("dispatch.status", d, timezone.now(), previous_status=d.status, destination_id=d.destination_id,
                   note=_("Destination: %(h)s") % {"h": d.destination.name})
    return d


def _end(actor: Actor, d: Dispatch, status: str, now: dt.datetime, reason: str, replaced_by=None) -> None:
    previous = d.status
    d.status = status
    d.cancelled_at = now
    d.cancel_reason = reason[:300]
    d.replaced_by = replaced_by
    d.save(update_fields=["status", "cancelled_at", "cancel_reason", "replaced_by"])
    unit = _lock_unit(d.unit_id)
    # A unit that never left is free at once; one on the road drives back.
    back = US.AVAILABLE if previous in (DS.ALERTED, DS.ACKNOWLEDGED) else US.RETURNING
    _set_unit_status(actor, unit, back, now, d, note=reason, current=None)
    from siaga.callcenter import services as cc

    cc.add_timeline(d.incident, actor, f"dispatch_{status}",
                    _("%(cs)s: %(status)s (%(reason)s)") % {"cs": unit.call_sign, "status": DS(status).label,
                                                            "reason": reason},
                    {"dispatch_id": d.pk, "unit_id": unit.pk}, at=now)
    _emit_dispatch("dispatch.status", d, now, previous_status=previous, note=reason[:300],
                   replaced_by_id=replaced_by.pk if replaced_by else None)


def _require_controls(actor: Actor, d: Dispatch) -> None:
    actor.require("dispatch.create")
    if not (in_tree(actor, d.organization_id, d.region_code) or can_dispatch_directly(actor, d.unit)):
        raise PermissionDenied(_("Only the organisation that sent this unit can change its dispatch."))
    if d.status in ENDED:
        raise Conflict(_("This dispatch has ended (%(s)s).") % {"s": d.get_status_display()}, code="dispatch_ended")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give a reason."), code="reason_required")
    return reason


@transaction.atomic
def cancel_dispatch(actor: Actor, dispatch_id: int, *, reason: str) -> Dispatch:
    d = _lock_dispatch(actor, dispatch_id)
    _require_controls(actor, d)
    _end(actor, d, DS.CANCELLED, timezone.now(), _reason(reason))
    audit.record(actor, AuditLog.Action.UPDATE, d, {"operation": [None, "cancel"], "status": [None, d.status],
                                                  "reason": [None, d.cancel_reason]})
    return d


@transaction.atomic
def divert_dispatch(actor: Actor, dispatch_id: int, *, incident_id: int, reason: str = "") -> Dispatch:
    """Send a unit already on the road to a more urgent incident; the first incident gets the unit back later."""
    d = _lock_dispatch(actor, dispatch_id)
    _require_controls(actor, d)
    if d.status not in (DS.ALERTED, DS.ACKNOWLEDGED, DS.EN_ROUTE):
        raise Conflict(_("Only a unit not yet on scene can be diverted."), code="cannot_divert")
    target = _incident_for_dispatch(actor, incident_id)
    if target.pk == d.incident_id:
        raise ServiceError(_("The unit is already on this incident."), code="already_sent")
    now = timezone.now()
    reason = reason.strip() or _("Diverted to incident %(n)s.") % {"n": target.number}
    # End the old dispatch first: the database allows one live dispatch per unit.
    _end(actor, d, DS.DIVERTED, now, reason)
    unit = _lock_unit(d.unit_id)
    new = _create_dispatch(actor, target, unit, now, eta=_eta_for(actor, unit, target), organization=d.organization,
                           unit_request=d.unit_request, note=reason)
    d.replaced_by = new
    d.save(update_fields=["replaced_by"])
    audit.record(actor, AuditLog.Action.UPDATE, d, {"operation": [None, "divert"], "replaced_by": [None, new.pk]})
    return new


@transaction.atomic
def reassign_dispatch(actor: Actor, dispatch_id: int, *, unit_id: int, reason: str) -> Dispatch:
    """Give an incident another unit in place of this dispatch's (which is released)."""
    d = _lock_dispatch(actor, dispatch_id)
    _require_controls(actor, d)
    reason = _reason(reason)
    other = _lock_unit(get_unit(actor, unit_id).pk)
    if other.pk == d.unit_id:
        raise ServiceError(_("Choose another unit."), code="same_unit")
    now = timezone.now()
    _require_dispatchable(actor, other, now)
    _end(actor, d, DS.REASSIGNED, now, reason)
    new = _create_dispatch(actor, d.incident, other, now, eta=_eta_for(actor, other, d.incident),
                           organization=d.organization, note=reason)
    d.replaced_by = new
    d.save(update_fields=["replaced_by"])
    audit.record(actor, AuditLog.Action.UPDATE, d, {"operation": [None, "reassign"], "replaced_by": [None, new.pk]})
    return new


@transaction.atomic
def set_unit_service(actor: Actor, unit_id: int, *, in_service: bool, reason: str = "") -> Unit:
    """Take a unit out of service (breakdown, maintenance) or back; a unit on a dispatch must be released first."""
    actor.require("unit.manage")
    unit = _lock_unit(get_unit(actor, unit_id).pk)
    if not can_dispatch_directly(actor, unit):
        raise PermissionDenied(_("Only the unit's organisation or its dispatch center can change its service."))
    now = timezone.now()
    if in_service:
        if unit.status != US.OUT_OF_SERVICE:
            return unit
        _set_unit_status(actor, unit, US.AVAILABLE, now, None, note=reason, current=None)
    else:
        if unit.status == US.OUT_OF_SERVICE:
            return unit
        if unit.current_dispatch_id and unit.current_dispatch.status in LIVE:
            raise Conflict(_("Unit %(cs)s is on a dispatch: cancel or reassign it first.") % {"cs": unit.call_sign},
                           code="unit_busy")
        _set_unit_status(actor, unit, US.OUT_OF_SERVICE, now, None, note=_reason(reason), current=None)
    return unit


@transaction.atomic
def return_to_station(actor: Actor, unit_id: int, *, client_id: str = "", at: dt.datetime | None = None) -> Unit:
    """A returning unit is back at its station (or free on the road): available again."""
    unit = _lock_unit(get_unit(actor, unit_id).pk)
    now = timezone.now()
    if not ((actor.has("unit.update_status") and crewing.is_crew_of(actor.user, unit, now))
            or (actor.has("dispatch.create") and can_dispatch_directly(actor, unit))):
        raise PermissionDenied(_("Only the crew aboard %(cs)s or its dispatcher can change its status.")
                               % {"cs": unit.call_sign})
    if client_id and StatusChange.objects.filter(unit=unit, client_id=client_id[:64]).exists():
        return unit
    if unit.status != US.RETURNING:
        raise Conflict(_("%(cs)s is not returning.") % {"cs": unit.call_sign}, code="status_out_of_order")
    when = _device_time(at, unit.status_changed_at, now)
    _set_unit_status(actor, unit, US.AVAILABLE, when, None, client_id=(client_id or "")[:64], current=None)
    return unit


# --- acknowledgement alarms --------------------------------------------------------------------------


def raise_ack_alarms(now: dt.datetime | None = None) -> list[int]:
    """Alarm the dispatcher for every dispatch not acknowledged by its deadline; once each, safe on any worker."""
    now = now or timezone.now()
    raised = []
    due = list(Dispatch.objects.filter(status=DS.ALERTED, ack_alarm_at__isnull=True, ack_deadline_at__lte=now)
               .order_by("ack_deadline_at", "pk").values_list("pk", flat=True))
    for pk in due:
        try:
            with transaction.atomic():
                # The conditional update claims the alarm: two workers never raise it twice.
                if not Dispatch.objects.filter(pk=pk, status=DS.ALERTED, ack_alarm_at__isnull=True).update(
                        ack_alarm_at=now):
                    continue
                d = Dispatch.objects.select_related("incident", "unit").get(pk=pk)
                from siaga.callcenter import services as cc

                cc.add_timeline(d.incident, None, "dispatch_ack_overdue",
                                _("%(cs)s has not acknowledged its dispatch.") % {"cs": d.unit.call_sign},
                                {"dispatch_id": d.pk}, at=now)
                _emit_dispatch("dispatch.ack_overdue", d, now, ack_deadline_at=d.ack_deadline_at)
                raised.append(pk)
        except Exception:  # one broken row must not keep the other alarms silent
            logger.exception("raising the acknowledgement alarm of dispatch %s failed", pk)
    return raised


# --- requests across organisations -------------------------------------------------------------------


def visible_unit_requests(actor: Actor) -> QuerySet:
    actor.require("unit.view")
    qs = UnitRequest.objects.select_related("unit", "incident", "organization", "owner")
    if actor.is_platform_admin:
        return qs
    return qs.filter(tree_q(actor, "organization", "region_code")
                     | tree_q(actor, "owner", "region_code", "unit__region_code"))


def _request_event(r: UnitRequest, at: dt.datetime, dispatch_id=None) -> None:
    emit("unit_request.updated", {"id": r.pk, "organization_id": r.organization_id, "owner_id": r.owner_id,
                                  "unit_id": r.unit_id, "call_sign": r.unit.call_sign, "incident_id": r.incident_id,
                                  "incident_number": r.incident.number, "status": r.status, "at": at,
                                  "dispatch_id": dispatch_id},
         organization=r.owner_id, region_code=shared_region(r.region_code, r.unit.region_code),
         shared_with=[r.organization_id])


@transaction.atomic
def request_unit(actor: Actor, *, incident_id: int, unit_id: int, note: str = "") -> UnitRequest:
    """Ask another organisation for one of its units (offered for mutual aid) for our incident."""
    actor.require("dispatch.create")
    incident = _incident_for_dispatch(actor, incident_id)
    unit = Unit.objects.filter(pk=unit_id, active=True).first()
    if unit is None or not (unit.mutual_aid or can_dispatch_directly(actor, unit)):
        raise NotFound(_("Unit not found."))
    if can_dispatch_directly(actor, unit):
        raise ServiceError(_("You can dispatch %(cs)s yourself.") % {"cs": unit.call_sign}, code="own_unit")
    if UnitRequest.objects.filter(unit=unit, incident=incident, status=UnitRequestStatus.REQUESTED).exists():
        raise Conflict(_("This unit has already been requested for this incident."), code="already_requested")
    now = timezone.now()
    r = UnitRequest.objects.create(organization=actor.organization or incident.organization, owner=unit.organization,
                                   unit=unit, incident=incident, region_code=incident.region_code or "",
                                   note=note[:300], requested_by=_user(actor), requested_at=now)
    audit.created(actor, r)
    from siaga.callcenter import services as cc

    cc.add_timeline(incident, actor, "unit_requested",
                    _("Unit %(cs)s requested from %(org)s.") % {"cs": unit.call_sign, "org": unit.organization.name},
                    {"unit_request_id": r.pk}, at=now)
    _request_event(r, now)
    return r


@transaction.atomic
def respond_unit_request(actor: Actor, request_id: int, *, accept: bool, note: str = "") -> UnitRequest:
    """The owner accepts (the unit is dispatched at once, both follow it) or declines with a reason."""
    actor.require("dispatch.create")
    r = visible_unit_requests(actor).filter(pk=request_id).first()
    if r is None:
        raise NotFound(_("Unit request not found."))
    r = UnitRequest.objects.select_for_update().select_related("unit", "incident", "incident__type").get(pk=r.pk)
    if not in_tree(actor, r.owner_id, r.region_code, r.unit.region_code):
        raise PermissionDenied(_("Only the unit's owner can answer this request."))
    if r.status != UnitRequestStatus.REQUESTED:
        raise Conflict(_("This request was already answered (%(s)s).") % {"s": r.get_status_display()},
                       code="already_answered")
    now = timezone.now()
    dispatch = None
    if accept:
        unit = _lock_unit(r.unit_id)
        _require_dispatchable(actor, unit, now, via_request=True)
        # The incident's number is needed in events; the requester's organisation runs the dispatch.
        dispatch = _create_dispatch(actor, r.incident, unit, now, eta=_eta_for(actor, unit, r.incident),
                                    organization=r.organization, unit_request=r, note=note)
        r.status = UnitRequestStatus.ACCEPTED
    else:
        r.status = UnitRequestStatus.DECLINED
        r.response_note = _reason(note)[:300]
    r.responded_by, r.responded_at = _user(actor), now
    r.save(update_fields=["status", "responded_by", "responded_at", "response_note"])
    audit.record(actor, AuditLog.Action.UPDATE, r, {"operation": [None, "respond"], "status": ["requested", r.status]})
    _request_event(r, now, dispatch.pk if dispatch else None)
    return r
