"""Write path of mutual aid across provinces: requests, the lender's one-action acceptance, every later step,
and attached letters.

The state machine (who may move a request, from where to where):

    requested --accept (lender, with what it lends)--> accepted --dispatch (lender)--> dispatched
    dispatched --arrive (borrower)--> arrived --release (borrower)--> released
    released --return (lender)--> returned        released --consume (lender, items only)--> consumed
    requested --decline (lender)--> declined      requested|accepted --cancel (borrower)--> cancelled

The borrower releases because only the side using the help knows when it is no longer needed; the lender
closes the loan because only the side that owns the resources knows they are back (or written off).
Every step checks the side (PermissionDenied for the other side or a third organisation), checks the state
(Conflict "illegal_transition", nothing changed), records a Transition, an audit record and an event on
topic "mutual_aid" shared with both organisations. Repeating the step a request is already in is a no-op
success: a client retrying after a lost answer neither fails nor acts twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog, Organization
from siaga.core.permissions import Actor, PermissionDenied, descendant_ids, region_overlap_q, scopes_overlap

from . import grants
from .models import (Letter, LineKind, MutualAidLine, MutualAidRequest, MutualAidResource, Side,
                     State, Transition)

MAX_LINES = 20
MAX_QUANTITY = 100_000
AMBULANCE_KINDS = ("ambulance_basic", "ambulance_advanced", "patient_transport")
DEFAULT_LETTER_MAX_BYTES = 5 * 1024 * 1024
# What a letter may be, told by its first bytes: the declared type must agree with the content.
LETTER_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
LETTER_EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
MODEL_LABEL = "disaster_mutualaid.mutualaidrequest"


@dataclass(frozen=True)
class Step:
    action: str
    target: str
    sources: tuple[str, ...]
    side: str


STEPS: dict[str, Step] = {s.action: s for s in (
    Step("accept", State.ACCEPTED, (State.REQUESTED,), Side.LENDER),
    Step("decline", State.DECLINED, (State.REQUESTED,), Side.LENDER),
    Step("cancel", State.CANCELLED, (State.REQUESTED, State.ACCEPTED), Side.BORROWER),
    Step("dispatch", State.DISPATCHED, (State.ACCEPTED,), Side.LENDER),
    Step("arrive", State.ARRIVED, (State.DISPATCHED,), Side.BORROWER),
    Step("release", State.RELEASED, (State.ARRIVED,), Side.BORROWER),
    Step("return", State.RETURNED, (State.RELEASED,), Side.LENDER),
    Step("consume", State.CONSUMED, (State.RELEASED,), Side.LENDER),
)}
TIMESTAMP_FIELD = {State.REQUESTED: "requested_at", State.ACCEPTED: "accepted_at", State.DECLINED: "declined_at",
                   State.CANCELLED: "cancelled_at", State.DISPATCHED: "dispatched_at", State.ARRIVED: "arrived_at",
                   State.RELEASED: "released_at", State.RETURNED: "returned_at", State.CONSUMED: "consumed_at"}


def letter_max_bytes() -> int:
    return int(getattr(settings, "SIAGA_MUTUAL_AID_LETTER_MAX_BYTES", DEFAULT_LETTER_MAX_BYTES))


# --- reading ------------------------------------------------------------------------------------------


def _side_q(actor: Actor, side: str) -> Q:
    if side == Side.BORROWER:
        q = Q(organization__in=actor.org_ids)
        if actor.scope_code:
            q &= region_overlap_q("region_code", actor.scope_code)
    else:
        q = Q(lender__in=actor.org_ids)
        if actor.scope_code:
            q &= region_overlap_q("lender_region_code", actor.scope_code)
    return q


def lender_q(actor: Actor) -> Q:
    """Requests addressed to the actor's organisations as lender, inside its area."""
    return _side_q(actor, Side.LENDER)


def visible_requests(actor: Actor, *, side: str | None = None) -> QuerySet:
    """Requests the actor's organisations made (borrower side) or were asked (lender side), inside its area.

    Nobody else sees them: not a third province, not an organisation merely taking part in the same event.
    """
    actor.require("disaster.view")
    qs = MutualAidRequest.objects.select_related("organization", "lender", "event")
    if actor.is_platform_admin:
        return qs
    if side in (Side.BORROWER, Side.LENDER):
        return qs.filter(_side_q(actor, side))
    return qs.filter(_side_q(actor, Side.BORROWER) | _side_q(actor, Side.LENDER))


def get_request(actor: Actor, request_id: int) -> MutualAidRequest:
    r = visible_requests(actor).filter(pk=request_id).first()
    if r is None:
        raise NotFound(_("Mutual aid request not found."))
    return r


def sides_of(actor: Actor, r: MutualAidRequest) -> set[str]:
    """The sides of this request the actor may act for (an organisation above both may act for both)."""
    if actor.is_platform_admin:
        return {Side.BORROWER, Side.LENDER}
    out = set()
    if r.organization_id in actor.org_ids and scopes_overlap(actor.scope_code, r.region_code):
        out.add(Side.BORROWER)
    if r.lender_id in actor.org_ids and scopes_overlap(actor.scope_code, r.lender_region_code):
        out.add(Side.LENDER)
    return out


def next_actions(actor: Actor, r: MutualAidRequest) -> list[str]:
    """The steps this actor may take now (for one-tap buttons): its side's turn only."""
    if not actor.has("disaster.manage"):
        return []
    sides = sides_of(actor, r)
    return [s.action for s in STEPS.values() if r.state in s.sources and s.side in sides]


# Whose move the request waits for (the borrower may also cancel while it waits for the lender).
TURN = {State.REQUESTED: Side.LENDER, State.ACCEPTED: Side.LENDER, State.DISPATCHED: Side.BORROWER,
        State.ARRIVED: Side.BORROWER, State.RELEASED: Side.LENDER}


def whose_turn(r: MutualAidRequest) -> str | None:
    return TURN.get(r.state)


def lendable_units(actor: Actor, r: MutualAidRequest) -> QuerySet:
    """Active units of the lender (and the organisations below it) the actor may choose from."""
    from siaga.dispatch.models import Unit

    return (Unit.objects.filter(active=True, organization_id__in=_lender_pool(actor, r))
            .exclude(pk__in=_lent_elsewhere(r, "unit_id")).order_by("call_sign"))


def lendable_volunteers(actor: Actor, r: MutualAidRequest) -> QuerySet:
    from siaga.disaster.volunteers.models import Volunteer

    return (Volunteer.objects.filter(active=True, merged_into__isnull=True, organization_id__in=_lender_pool(actor, r))
            .exclude(status=Volunteer.Status.UNAVAILABLE).exclude(pk__in=_lent_elsewhere(r, "volunteer_id"))
            .order_by("name"))


def _lent_elsewhere(r: MutualAidRequest, field: str):
    return (MutualAidResource.objects.filter(grants.active_q(prefix="request__"), **{f"{field}__isnull": False})
            .exclude(request=r).values(field))


def _lender_pool(actor: Actor, r: MutualAidRequest) -> set[int]:
    pool = descendant_ids({r.lender_id})
    return pool if actor.is_platform_admin else pool & set(actor.org_ids)


# --- helpers ------------------------------------------------------------------------------------------


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _common_region(*codes: str) -> str:
    """The deepest region containing every code: "" when the two sides lie in different provinces."""
    if not codes or not all(codes):
        return ""
    split = [c.split(".") for c in codes]
    common = []
    for parts in zip(*split):
        if len(set(parts)) > 1:
            break
        common.append(parts[0])
    return ".".join(common)


def _resources_out(r: MutualAidRequest) -> list[dict]:
    return [{"id": x.pk, "line_id": x.line_id, "kind": x.kind, "unit_id": x.unit_id, "volunteer_id": x.volunteer_id,
             "item_code": x.item_code, "quantity": x.quantity, "consumed_quantity": x.consumed_quantity}
            for x in r.resources.all().order_by("pk")]


def _emit(name: str, r: MutualAidRequest, payload: dict) -> None:
    # Owned by the borrower, shared with the lender: both sides (and the organisations above them) see it live.
    emit(name, payload, organization=r.organization_id, region_code=_common_region(r.region_code, r.lender_region_code),
         shared_with=[r.lender_id])


def _text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _org(org_id: int, what: str) -> Organization:
    org = Organization.objects.filter(pk=org_id, active=True).first()
    if org is None:
        raise ServiceError(_("Unknown or inactive organisation (%(what)s).") % {"what": what},
                           code="unknown_organization", details={"field": what})
    return org


def _require_side(actor: Actor, r: MutualAidRequest, step: Step) -> None:
    sides = sides_of(actor, r)
    if step.side in sides:
        return
    lender, borrower = r.lender.name, r.organization.name
    if not sides:
        # Who asked whom is none of a third organisation's business: no names here.
        raise PermissionDenied(_("This mutual aid request is addressed to other organisations; yours is not a "
                                 "party to it."), code="not_a_party")
    if step.side == Side.LENDER:
        msg = _("Only the lending organisation (%(org)s) may %(action)s this request.")
        org = lender
    else:
        msg = _("Only the requesting organisation (%(org)s) may %(action)s this request.")
        org = borrower
    raise PermissionDenied(msg % {"org": org, "action": action_label(step.action)}, code="wrong_side")


def action_label(action: str) -> str:
    return {"accept": _("accept"), "decline": _("decline"), "cancel": _("cancel"), "dispatch": _("dispatch"),
            "arrive": _("confirm the arrival of"), "release": _("release"), "return": _("confirm the return of"),
            "consume": _("close as consumed")}[action]


def _locked_for_step(actor: Actor, request_id: int, step: Step) -> MutualAidRequest:
    actor.require("disaster.manage")
    r = (MutualAidRequest.objects.select_for_update(of=("self",)).select_related("organization", "lender")
         .filter(pk=request_id).first())
    if r is None:
        raise NotFound(_("Mutual aid request not found."))
    _require_side(actor, r, step)
    return r


def _illegal(r: MutualAidRequest, step: Step) -> Conflict:
    return Conflict(
        _("A request that is %(state)s cannot be %(target)s (allowed from: %(sources)s).")
        % {"state": str(State(r.state).label).lower(), "target": str(State(step.target).label).lower(),
           "sources": ", ".join(str(State(s).label).lower() for s in step.sources)},
        code="illegal_transition",
        details={"state": r.state, "action": step.action, "target": step.target, "allowed_from": list(step.sources)})


def _move(actor: Actor, r: MutualAidRequest, step: Step, note: str, before: dict) -> None:
    """Set the new state and its timestamp, record the transition, audit it and announce it."""
    now = timezone.now()
    from_state = r.state
    r.state = step.target
    setattr(r, TIMESTAMP_FIELD[step.target], now)
    r.save()
    Transition.objects.create(request=r, from_state=from_state, to_state=step.target, side=step.side, at=now,
                              actor=_user(actor), actor_organization=actor.organization, note=note[:500])
    audit.updated(actor, r, before)
    _emit("mutual_aid.state_changed", r, {
        "id": r.pk, "request_id": r.pk, "organization_id": r.organization_id, "lender_id": r.lender_id,
        "event_id": r.event_id, "from_state": from_state, "state": r.state, "side": step.side,
        "actor_organization_id": actor.organization_id, "note": note[:500], "resources": _resources_out(r),
        "at": now})


def _simple_step(actor: Actor, request_id: int, action: str, note: str = "", *, require_note: bool = False,
                 before_move=None) -> MutualAidRequest:
    step = STEPS[action]
    r = _locked_for_step(actor, request_id, step)
    if r.state == step.target:
        return r  # the same step again: already done
    if r.state not in step.sources:
        raise _illegal(r, step)
    note = _text(note, 500)
    if require_note and not note:
        raise ServiceError(_("Give a reason."), code="reason_required", details={"field": "note"})
    before = audit.snapshot(r)
    if before_move:
        before_move(r)
    _move(actor, r, step, note, before)
    return r


# --- create -------------------------------------------------------------------------------------------


def _clean_lines(lines) -> list[dict]:
    if not lines:
        raise ServiceError(_("Ask for at least one thing: volunteers, an ambulance, a vehicle or items."),
                           code="no_lines", details={"field": "lines"})
    if len(lines) > MAX_LINES:
        raise ServiceError(_("At most %(n)d lines per request.") % {"n": MAX_LINES}, code="too_many_lines",
                           details={"field": "lines"})
    out = []
    for i, raw in enumerate(lines):
        kind = str(raw.get("kind", ""))
        if kind not in LineKind.values:
            raise ServiceError(_("Line %(n)d: choose volunteers, ambulance, vehicle or items.") % {"n": i + 1},
                               code="invalid_kind", details={"field": "lines", "line": i})
        try:
            quantity = int(raw.get("quantity"))
        except (TypeError, ValueError):
            quantity = 0
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ServiceError(_("Line %(n)d: the quantity must be between 1 and %(max)d.")
                               % {"n": i + 1, "max": MAX_QUANTITY}, code="invalid_quantity",
                               details={"field": "lines", "line": i})
        item_code = _text(raw.get("item_code"), 40)
        description = _text(raw.get("description"), 300)
        if kind == LineKind.ITEMS and not (item_code or description):
            raise ServiceError(_("Line %(n)d: say which items (an item code or a description).") % {"n": i + 1},
                               code="item_unspecified", details={"field": "lines", "line": i})
        out.append({"kind": kind, "quantity": quantity, "item_code": item_code if kind == LineKind.ITEMS else "",
                    "description": description})
    return out


@audit.refusable("mutual_aid.create", MODEL_LABEL)
def create_request(actor: Actor, *, lender_id: int, lines: list[dict], region_code: str, needed_from: dt.datetime,
                   contact_name: str, needed_until: dt.datetime | None = None, event_id: int | None = None,
                   destination: str = "", lat: float | None = None, lon: float | None = None, purpose: str = "",
                   contact_phone: str = "", client_ref: str = "", organization_id: int | None = None
                   ) -> MutualAidRequest:
    """The borrower asks another organisation for help. A repeated client_ref returns the first request."""
    actor.require("disaster.manage")
    if organization_id is None:
        if actor.organization is None:
            raise ServiceError(_("Choose the requesting organisation."), code="organization_required",
                               details={"field": "organization_id"})
        borrower = actor.organization
    else:
        borrower = _org(organization_id, "organization_id")
        if not actor.is_platform_admin and borrower.pk not in actor.org_ids:
            raise PermissionDenied(_("You can only ask for help on behalf of your own organisation."),
                                   code="not_your_organization")
    client_ref = _text(client_ref, 64)
    if client_ref:
        existing = MutualAidRequest.objects.filter(organization=borrower, client_ref=client_ref).first()
        if existing is not None:
            return existing
    lender = _org(lender_id, "lender_id")
    if lender.pk == borrower.pk or (not actor.is_platform_admin and lender.pk in actor.org_ids):
        raise ServiceError(_("%(org)s is your own organisation: use its resources directly, no mutual aid request "
                             "is needed.") % {"org": lender.name}, code="own_organization",
                           details={"field": "lender_id"})
    clean = _clean_lines(lines)
    from siaga.geo.models import Region

    region_code = _text(region_code, 13)
    if not region_code or not Region.objects.filter(code=region_code).exists():
        raise ServiceError(_("Choose the destination region (a Kemendagri code)."), code="invalid_region",
                           details={"field": "region_code"})
    actor.require_region(region_code)
    if lat is not None or lon is not None:
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ServiceError(_("Give both latitude and longitude of the destination, or neither."),
                               code="invalid_point", details={"field": "lat"})
    if needed_from is None:
        raise ServiceError(_("Say from when the help is needed."), code="needed_from_required",
                           details={"field": "needed_from"})
    if needed_until is not None and needed_until < needed_from:
        raise ServiceError(_("'Needed until' lies before 'needed from'."), code="invalid_period",
                           details={"field": "needed_until"})
    contact_name = _text(contact_name, 200)
    if not contact_name:
        raise ServiceError(_("Name a contact person at the destination."), code="contact_required",
                           details={"field": "contact_name"})
    from siaga.callcenter.phones import normalize_phone

    try:
        contact_phone = normalize_phone(contact_phone)
    except ServiceError as exc:
        raise ServiceError(exc.message, code=exc.code, details={"field": "contact_phone"}) from None
    event = None
    if event_id is not None:
        from siaga.disaster import services as disaster_services

        event = disaster_services.get_event(actor, event_id)
    now = timezone.now()
    try:
        with transaction.atomic():
            r = MutualAidRequest.objects.create(
                organization=borrower, lender=lender, event=event, region_code=region_code,
                destination=_text(destination, 300), lat=lat, lon=lon, lender_region_code=lender.region_code or "",
                needed_from=needed_from, needed_until=needed_until, purpose=_text(purpose, 4000),
                contact_name=contact_name, contact_phone=contact_phone, client_ref=client_ref, requested_at=now,
                requested_by=_user(actor))
    except IntegrityError:
        # The same client_ref submitted twice at once: the other submit won.
        existing = MutualAidRequest.objects.filter(organization=borrower, client_ref=client_ref).first()
        if client_ref and existing is not None:
            return existing
        raise
    MutualAidLine.objects.bulk_create([MutualAidLine(request=r, position=i, **line) for i, line in enumerate(clean)])
    Transition.objects.create(request=r, from_state="", to_state=State.REQUESTED, side=Side.BORROWER, at=now,
                              actor=_user(actor), actor_organization=actor.organization)
    audit.created(actor, r)
    _emit("mutual_aid.requested", r, {
        "id": r.pk, "request_id": r.pk, "organization_id": r.organization_id, "lender_id": r.lender_id,
        "event_id": r.event_id, "region_code": r.region_code, "state": r.state, "lines": clean, "needed_from": r.needed_from,
        "needed_until": r.needed_until, "at": now})
    return r


# --- accept: the lender's one action ------------------------------------------------------------------


def _ids(values) -> list[int]:
    out = []
    for v in values or ():
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            raise ServiceError(_("%(v)s is not an id.") % {"v": str(v)[:20]}, code="invalid_id") from None
    return out


def _plan_resources(actor: Actor, r: MutualAidRequest, lent: list[dict]) -> list[MutualAidResource]:
    """Check what the lender offers against the lines and its own resources; build (unsaved) resource rows."""
    from siaga.disaster.volunteers.models import Volunteer
    from siaga.dispatch.models import Unit

    lines = {ln.pk: ln for ln in r.lines.all()}
    pool = _lender_pool(actor, r)
    rows: list[MutualAidResource] = []
    used: dict[int, int] = {}
    for i, entry in enumerate(lent or ()):
        try:
            line = lines[int(entry.get("line_id"))]
        except (KeyError, TypeError, ValueError):
            raise ServiceError(_("Entry %(n)d does not name a line of this request.") % {"n": i + 1},
                               code="unknown_line", details={"entry": i}) from None
        unit_ids, volunteer_ids = _ids(entry.get("unit_ids")), _ids(entry.get("volunteer_ids"))
        description = _text(entry.get("description"), 300)
        if line.kind == LineKind.VOLUNTEERS:
            if not volunteer_ids or unit_ids:
                raise ServiceError(_("Line %(n)d asks for volunteers: choose them by name.") % {"n": line.position + 1},
                                   code="volunteers_required", details={"line_id": line.pk})
            found = {v.pk: v for v in Volunteer.objects.filter(pk__in=volunteer_ids)}
            for vid in volunteer_ids:
                v = found.get(vid)
                if v is None or v.organization_id not in pool or not v.active or v.merged_into_id:
                    raise ServiceError(_("Volunteer #%(id)s is not one of the lending organisation's active "
                                         "volunteers.") % {"id": vid}, code="unknown_volunteer",
                                       details={"line_id": line.pk, "volunteer_id": vid})
                if v.status == Volunteer.Status.UNAVAILABLE:
                    raise ServiceError(_("%(name)s is marked unavailable.") % {"name": v.name},
                                       code="volunteer_unavailable", details={"volunteer_id": vid})
                rows.append(MutualAidResource(request=r, line=line, kind=line.kind, volunteer=v, quantity=1,
                                              description=description))
            count = len(volunteer_ids)
        elif line.kind in (LineKind.AMBULANCE, LineKind.VEHICLE):
            if line.kind == LineKind.AMBULANCE and not unit_ids:
                raise ServiceError(_("Line %(n)d asks for an ambulance: choose the units.") % {"n": line.position + 1},
                                   code="units_required", details={"line_id": line.pk})
            if volunteer_ids:
                raise ServiceError(_("Line %(n)d asks for vehicles, not volunteers.") % {"n": line.position + 1},
                                   code="wrong_resource", details={"line_id": line.pk})
            found = {u.pk: u for u in Unit.objects.filter(pk__in=unit_ids)}
            for uid in unit_ids:
                u = found.get(uid)
                if u is None or u.organization_id not in pool or not u.active:
                    raise ServiceError(_("Unit #%(id)s is not one of the lending organisation's active units.")
                                       % {"id": uid}, code="unknown_unit", details={"line_id": line.pk, "unit_id": uid})
                if line.kind == LineKind.AMBULANCE and u.kind not in AMBULANCE_KINDS:
                    raise ServiceError(_("%(cs)s is not an ambulance.") % {"cs": u.call_sign}, code="not_an_ambulance",
                                       details={"unit_id": uid})
                rows.append(MutualAidResource(request=r, line=line, kind=line.kind, unit=u, quantity=1,
                                              description=description))
            count = len(unit_ids)
            if not unit_ids:
                # A vehicle that is not a dispatch unit (a truck, a boat): a count and a description.
                count = _quantity(entry, line)
                if not description:
                    raise ServiceError(_("Describe the vehicles lent (type, plate numbers)."),
                                       code="description_required", details={"line_id": line.pk})
                rows.append(MutualAidResource(request=r, line=line, kind=line.kind, quantity=count,
                                              description=description))
        else:
            if unit_ids or volunteer_ids:
                raise ServiceError(_("Line %(n)d asks for items: give an item code and a quantity.")
                                   % {"n": line.position + 1}, code="wrong_resource", details={"line_id": line.pk})
            count = _quantity(entry, line)
            item_code = _text(entry.get("item_code"), 40) or line.item_code
            if not (item_code or description or line.description):
                raise ServiceError(_("Say which items are lent."), code="item_unspecified",
                                   details={"line_id": line.pk})
            rows.append(MutualAidResource(request=r, line=line, kind=line.kind, item_code=item_code, quantity=count,
                                          description=description or line.description))
        used[line.pk] = used.get(line.pk, 0) + count
        if used[line.pk] > line.quantity:
            raise ServiceError(_("Line %(n)d asks for %(asked)d; you offer %(offered)d. Lend at most what was asked.")
                               % {"n": line.position + 1, "asked": line.quantity, "offered": used[line.pk]},
                               code="more_than_asked", details={"line_id": line.pk})
    if not rows:
        raise ServiceError(_("Say what you lend: at least one volunteer, unit or item."), code="nothing_lent")
    seen_units = [x.unit_id for x in rows if x.unit_id]
    seen_volunteers = [x.volunteer_id for x in rows if x.volunteer_id]
    if len(set(seen_units)) != len(seen_units) or len(set(seen_volunteers)) != len(seen_volunteers):
        raise ServiceError(_("The same unit or volunteer is listed twice."), code="duplicate_resource")
    busy = MutualAidResource.objects.filter(grants.active_q(prefix="request__"), ~Q(request=r)).filter(
        Q(unit_id__in=seen_units) | Q(volunteer_id__in=seen_volunteers)).select_related("unit", "volunteer").first()
    if busy is not None:
        raise Conflict(_("%(what)s is already lent under mutual aid request #%(id)s.")
                       % {"what": busy.unit.call_sign if busy.unit_id else busy.volunteer.name, "id": busy.request_id},
                       code="already_lent", details={"request_id": busy.request_id})
    return rows


def _quantity(entry: dict, line: MutualAidLine) -> int:
    try:
        q = int(entry.get("quantity") or 0)
    except (TypeError, ValueError):
        q = 0
    if q < 1:
        raise ServiceError(_("Give the quantity lent for line %(n)d.") % {"n": line.position + 1},
                           code="invalid_quantity", details={"line_id": line.pk})
    return q


def _signature(rows) -> list[tuple]:
    return sorted((x.line_id, x.kind, x.unit_id or 0, x.volunteer_id or 0, x.item_code, x.quantity) for x in rows)


@audit.refusable("mutual_aid.accept", MODEL_LABEL, "request_id")
def accept(actor: Actor, request_id: int, *, resources: list[dict], note: str = "") -> MutualAidRequest:
    """The lender accepts in one action, saying what it lends: volunteers and units by id, items by code and
    quantity (at most what each line asks). Accepting again with the same resources changes nothing."""
    step = STEPS["accept"]
    r = _locked_for_step(actor, request_id, step)
    if r.state not in step.sources and r.state != step.target:
        raise _illegal(r, step)
    rows = _plan_resources(actor, r, resources)
    if r.state == step.target:
        if _signature(rows) == _signature(r.resources.all()):
            return r
        raise Conflict(_("This request was already accepted with other resources."), code="already_accepted")
    before = audit.snapshot(r)
    for row in rows:
        row.save()
    r.decision_note = _text(note, 500)
    _move(actor, r, step, r.decision_note, before)
    return r


@audit.refusable("mutual_aid.decline", MODEL_LABEL, "request_id")
def decline(actor: Actor, request_id: int, *, note: str) -> MutualAidRequest:
    """The lender cannot help: a reason is required, the borrower reads it."""

    def keep_reason(r):
        r.decision_note = _text(note, 500)

    return _simple_step(actor, request_id, "decline", note, require_note=True, before_move=keep_reason)


@audit.refusable("mutual_aid.cancel", MODEL_LABEL, "request_id")
def cancel(actor: Actor, request_id: int, *, note: str = "") -> MutualAidRequest:
    """The borrower no longer needs the help (only before anything was dispatched)."""
    return _simple_step(actor, request_id, "cancel", note)


def _set_volunteers(actor: Actor, r: MutualAidRequest, status: str, reason: str) -> None:
    from siaga.disaster.volunteers import services as volunteer_services

    for res in r.resources.filter(volunteer__isnull=False).select_related("volunteer"):
        if res.volunteer.merged_into_id:
            continue
        # This service already checked the side; the volunteers app records the change and announces it.
        volunteer_services.set_status(actor, res.volunteer_id, status, reason=reason, system=True)


@audit.refusable("mutual_aid.dispatch", MODEL_LABEL, "request_id")
def dispatch(actor: Actor, request_id: int, *, note: str = "") -> MutualAidRequest:
    """The lender sends what it lent; lent volunteers become deployed."""

    def deploy(r):
        _set_volunteers(actor, r, "deployed", _("Lent under mutual aid request #%(id)s") % {"id": r.pk})

    return _simple_step(actor, request_id, "dispatch", note, before_move=deploy)


@audit.refusable("mutual_aid.arrive", MODEL_LABEL, "request_id")
def arrive(actor: Actor, request_id: int, *, note: str = "") -> MutualAidRequest:
    """The borrower confirms that what was lent has arrived at the destination."""
    return _simple_step(actor, request_id, "arrive", note)


@audit.refusable("mutual_aid.release", MODEL_LABEL, "request_id")
def release(actor: Actor, request_id: int, *, note: str = "", consumed: list[dict] | None = None) -> MutualAidRequest:
    """The borrower no longer needs the help and hands it back; for items it says how much was used up
    (consumed: [{"resource_id", "quantity"}]). The grant ends here."""

    def record_consumed(r):
        items = {x.pk: x for x in r.resources.filter(kind=LineKind.ITEMS)}
        for entry in consumed or ():
            try:
                res, qty = items[int(entry.get("resource_id"))], int(entry.get("quantity"))
            except (KeyError, TypeError, ValueError):
                raise ServiceError(_("Consumed quantities are given for the items lent, by their line."),
                                   code="invalid_consumed") from None
            if not 0 <= qty <= res.quantity:
                raise ServiceError(_("Consumed %(q)d of %(code)s, but %(n)d were lent.")
                                   % {"q": qty, "code": res.item_code or res.description, "n": res.quantity},
                                   code="invalid_consumed", details={"resource_id": res.pk})
            res.consumed_quantity = qty
            res.save(update_fields=["consumed_quantity"])

    return _simple_step(actor, request_id, "release", note, before_move=record_consumed)


@audit.refusable("mutual_aid.return", MODEL_LABEL, "request_id")
def confirm_return(actor: Actor, request_id: int, *, note: str = "") -> MutualAidRequest:
    """The lender confirms that its people, vehicles and unused items are back; volunteers become available."""

    def come_home(r):
        _set_volunteers(actor, r, "available", _("Back from mutual aid request #%(id)s") % {"id": r.pk})

    return _simple_step(actor, request_id, "return", note, before_move=come_home)


@audit.refusable("mutual_aid.consume", MODEL_LABEL, "request_id")
def confirm_consumed(actor: Actor, request_id: int, *, note: str = "") -> MutualAidRequest:
    """The lender closes a loan of items that were used up: nothing comes back. Only for items."""

    def all_items(r):
        if r.resources.exclude(kind=LineKind.ITEMS).exists():
            raise ServiceError(_("People and vehicles come back: confirm the return instead."),
                               code="not_only_items")
        for res in r.resources.all():
            if res.consumed_quantity != res.quantity:
                res.consumed_quantity = res.quantity
                res.save(update_fields=["consumed_quantity"])

    return _simple_step(actor, request_id, "consume", note, before_move=all_items)


ACTIONS = {"accept": accept, "decline": decline, "cancel": cancel, "dispatch": dispatch, "arrive": arrive,
           "release": release, "return": confirm_return, "consume": confirm_consumed}


# --- letters ------------------------------------------------------------------------------------------


def sniff_letter(data: bytes) -> str | None:
    """The letter type the first bytes show (PDF, JPEG, PNG), or None."""
    for content_type, magics in LETTER_TYPES.items():
        if any(data.startswith(m) for m in magics):
            return content_type
    return None


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def _safe_filename(name: str, content_type: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _SAFE_NAME.sub("_", base).strip(" .")[:150] or "surat"
    ext = LETTER_EXTENSIONS[content_type]
    if not base.lower().endswith((ext, ".jpeg") if ext == ".jpg" else (ext,)):
        base += ext
    return base


@audit.refusable("mutual_aid.letter", MODEL_LABEL, "request_id")
def add_letter(actor: Actor, request_id: int, *, kind: str, filename: str, content_type: str, data: bytes) -> Letter:
    """Attach a letter (PDF, JPEG or PNG, at most SIAGA_MUTUAL_AID_LETTER_MAX_BYTES). The borrower attaches the
    request letter, the lender the assignment letter; either side another document. The same file again
    returns the letter already attached."""
    actor.require("disaster.manage")
    r = get_request(actor, request_id)
    if kind not in Letter.Kind.values:
        raise ServiceError(_("Choose the kind of letter."), code="invalid_letter_kind", details={"field": "kind"})
    sides = sides_of(actor, r)
    need = {Letter.Kind.REQUEST_LETTER: Side.BORROWER, Letter.Kind.ASSIGNMENT_LETTER: Side.LENDER}.get(kind)
    if need is not None and need not in sides:
        raise PermissionDenied(_("The request letter comes from the requesting organisation, the assignment letter "
                                 "from the lending organisation."), code="wrong_side")
    size = len(data or b"")
    check_letter_size(size)
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if declared not in LETTER_TYPES:
        raise ServiceError(_("Only PDF, JPEG or PNG files are accepted."), code="unsupported_type",
                           details={"field": "file", "content_type": declared[:60]}, status=415)
    actual = sniff_letter(bytes(data[:16]))
    if actual != declared:
        raise ServiceError(_("The file's content is not the %(type)s its name or type claims.")
                           % {"type": declared.split("/")[1].upper()}, code="content_mismatch",
                           details={"field": "file", "declared": declared, "detected": actual}, status=415)
    digest = hashlib.sha256(data).hexdigest()
    existing = r.letters.filter(sha256=digest).first()
    if existing is not None:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            letter = Letter.objects.create(request=r, kind=kind, filename=_safe_filename(filename, declared),
                                           content_type=declared, size_bytes=size, sha256=digest, data=bytes(data),
                                           organization=actor.organization or r.organization,
                                           uploaded_by=_user(actor), uploaded_at=now)
    except IntegrityError:
        # The same file uploaded twice at once: the first upload is the letter.
        return r.letters.get(sha256=digest)
    audit.record(actor, AuditLog.Action.CREATE, r, {"letter": [None, {"id": letter.pk, "kind": kind,
                                                                      "filename": letter.filename,
                                                                      "size_bytes": size, "sha256": digest}]})
    _emit("mutual_aid.letter_added", r, {
        "id": letter.pk, "request_id": r.pk, "kind": kind, "filename": letter.filename, "content_type": declared,
        "size_bytes": size, "organization_id": letter.organization_id, "at": now})
    return letter


def check_letter_size(size: int) -> None:
    """Refuse an empty letter or one above SIAGA_MUTUAL_AID_LETTER_MAX_BYTES (status 413)."""
    limit = letter_max_bytes()
    if size <= 0:
        raise ServiceError(_("The file is empty."), code="empty_file", details={"field": "file"})
    if size > limit:
        raise ServiceError(_("The file is %(size)s; at most %(limit)s is accepted.")
                           % {"size": _megabytes(size), "limit": _megabytes(limit)}, code="file_too_large",
                           details={"field": "file", "size_bytes": size, "max_bytes": limit}, status=413)


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def get_letter(actor: Actor, request_id: int, letter_id: int) -> Letter:
    """A letter of a request the actor sees (the two parties and the organisations above them)."""
    r = get_request(actor, request_id)
    letter = r.letters.filter(pk=letter_id).first()
    if letter is None:
        raise NotFound(_("Letter not found."))
    return letter
