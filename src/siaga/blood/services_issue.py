"""Write path of hospital requests, crossmatch, reservation, FEFO issue, hand-over, returns, discards, transfers
between sites, transfer suggestions and donor recall (the second half of the blood service).

Every function checks permission, runs in one transaction, writes the audit trail and queues its events.
A refused write changes nothing (its transaction is rolled back) and is itself auditable: the refusal is
recorded (action "refused", with the operation, code and reason) outside the rolled-back transaction.
Units change status only through services.transition_component(), a conditional update on (pk, status,
version): two issuers racing for the last unit cannot both get it; the loser moves on to the next candidate.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog
from siaga.core.permissions import Actor, PermissionDenied, region_overlap_q, tree_q
from siaga.core.permissions import in_tree as _in_orgs

from . import services
from .models import (
    ABO,
    BloodRequest,
    ColdChainReading,
    Component,
    ComponentGroup,
    ComponentStatus,
    ComponentType,
    Crossmatch,
    Discard,
    DiscardReason,
    Issue,
    IssueItem,
    Payer,
    RecallCampaign,
    RecallMessage,
    RequestLine,
    Reservation,
    Return,
    RhD,
    Sex,
    Site,
    StockAlert,
    Transfer,
    TransferItem,
    TransferSuggestion,
    Urgency,
)

log = logging.getLogger(__name__)
CS = ComponentStatus

# --- compatibility tables (data) ------------------------------------------------------------------
# Recipient group -> donor groups that may be given, in order of preference (first = identical).
#
# Red cells: the donor's red cells must carry no ABO antigen the recipient lacks (the recipient's plasma has
# anti-A/anti-B against the antigens it lacks), and an RhD-negative recipient receives RhD-negative cells only
# (anti-D immunisation). Among the compatible groups: identical first; then the same ABO of the other RhD;
# group O last and O-negative, the universal donor, as the very last resort, so that RhD-negative and group O
# units stay for the patients who can take nothing else (AABB Technical Manual ch. 17; WHO, "The clinical use of
# blood", 2001; Permenkes 91/2015 on pelayanan transfusi darah).
RED_CELL_PREFERENCE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("O", "pos"): [("O", "pos"), ("O", "neg")],
    ("O", "neg"): [("O", "neg")],
    ("A", "pos"): [("A", "pos"), ("A", "neg"), ("O", "pos"), ("O", "neg")],
    ("A", "neg"): [("A", "neg"), ("O", "neg")],
    ("B", "pos"): [("B", "pos"), ("B", "neg"), ("O", "pos"), ("O", "neg")],
    ("B", "neg"): [("B", "neg"), ("O", "neg")],
    ("AB", "pos"): [("AB", "pos"), ("AB", "neg"), ("A", "pos"), ("A", "neg"), ("B", "pos"), ("B", "neg"),
                    ("O", "pos"), ("O", "neg")],
    ("AB", "neg"): [("AB", "neg"), ("A", "neg"), ("B", "neg"), ("O", "neg")],
}

# Plasma (and cryoprecipitate) follows the reverse rule: the donor's plasma must carry no antibody against the
# recipient's antigens. Group AB plasma (no anti-A, no anti-B) suits everyone and is kept for last; group O
# plasma suits only group O patients. RhD does not matter for acellular plasma: identical RhD first only.
PLASMA_PREFERENCE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("O", "pos"): [("O", "pos"), ("O", "neg"), ("A", "pos"), ("A", "neg"), ("B", "pos"), ("B", "neg"),
                   ("AB", "pos"), ("AB", "neg")],
    ("O", "neg"): [("O", "neg"), ("O", "pos"), ("A", "neg"), ("A", "pos"), ("B", "neg"), ("B", "pos"),
                   ("AB", "neg"), ("AB", "pos")],
    ("A", "pos"): [("A", "pos"), ("A", "neg"), ("AB", "pos"), ("AB", "neg")],
    ("A", "neg"): [("A", "neg"), ("A", "pos"), ("AB", "neg"), ("AB", "pos")],
    ("B", "pos"): [("B", "pos"), ("B", "neg"), ("AB", "pos"), ("AB", "neg")],
    ("B", "neg"): [("B", "neg"), ("B", "pos"), ("AB", "neg"), ("AB", "pos")],
    ("AB", "pos"): [("AB", "pos"), ("AB", "neg")],
    ("AB", "neg"): [("AB", "neg"), ("AB", "pos")],
}

# Platelets: ABO-identical preferred; then donors whose plasma is compatible with the recipient's cells (minor
# compatible), then the rest (acceptable for platelets when identical ones are short, BCSH platelet guideline
# 2017). Platelet concentrates hold some red cells, so RhD-negative recipients get RhD-negative platelets.
PLATELET_PREFERENCE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("O", "pos"): [("O", "pos"), ("O", "neg"), ("A", "pos"), ("A", "neg"), ("B", "pos"), ("B", "neg"),
                   ("AB", "pos"), ("AB", "neg")],
    ("O", "neg"): [("O", "neg"), ("A", "neg"), ("B", "neg"), ("AB", "neg")],
    ("A", "pos"): [("A", "pos"), ("A", "neg"), ("AB", "pos"), ("AB", "neg"), ("O", "pos"), ("O", "neg"),
                   ("B", "pos"), ("B", "neg")],
    ("A", "neg"): [("A", "neg"), ("AB", "neg"), ("O", "neg"), ("B", "neg")],
    ("B", "pos"): [("B", "pos"), ("B", "neg"), ("AB", "pos"), ("AB", "neg"), ("O", "pos"), ("O", "neg"),
                   ("A", "pos"), ("A", "neg")],
    ("B", "neg"): [("B", "neg"), ("AB", "neg"), ("O", "neg"), ("A", "neg")],
    ("AB", "pos"): [("AB", "pos"), ("AB", "neg"), ("A", "pos"), ("A", "neg"), ("B", "pos"), ("B", "neg"),
                    ("O", "pos"), ("O", "neg")],
    ("AB", "neg"): [("AB", "neg"), ("A", "neg"), ("B", "neg"), ("O", "neg")],
}

# Whole blood carries both cells and plasma: ABO-identical only; RhD as for red cells.
WHOLE_BLOOD_PREFERENCE: dict[tuple[str, str], list[tuple[str, str]]] = {
    (abo, rhd): [(abo, rhd)] + ([(abo, "neg")] if rhd == "pos" else []) for abo in ("O", "A", "B", "AB")
    for rhd in ("pos", "neg")
}

PREFERENCE_BY_GROUP = {
    ComponentGroup.RED_CELLS: RED_CELL_PREFERENCE,
    ComponentGroup.WHOLE_BLOOD: WHOLE_BLOOD_PREFERENCE,
    ComponentGroup.PLASMA: PLASMA_PREFERENCE,
    ComponentGroup.CRYO: PLASMA_PREFERENCE,
    ComponentGroup.PLATELETS: PLATELET_PREFERENCE,
}

# Temperature a unit must travel at (°C, inclusive), by compatibility group: red cells and whole blood 1-10 °C
# in a validated cool box, platelets at room temperature 20-24 °C, frozen plasma and cryo at -18 °C or colder.
TRANSPORT_RANGE_C: dict[str, tuple[Decimal, Decimal]] = {
    ComponentGroup.RED_CELLS: (Decimal("1"), Decimal("10")),
    ComponentGroup.WHOLE_BLOOD: (Decimal("1"), Decimal("10")),
    ComponentGroup.PLATELETS: (Decimal("20"), Decimal("24")),
    ComponentGroup.PLASMA: (Decimal("-40"), Decimal("-18")),
    ComponentGroup.CRYO: (Decimal("-40"), Decimal("-18")),
}


def preference(component_group: str, abo: str, rhd: str) -> list[tuple[str, str]]:
    """Donor groups a recipient of (abo, rhd) may receive for this component group, best first."""
    table = PREFERENCE_BY_GROUP.get(component_group, RED_CELL_PREFERENCE)
    return list(table.get((abo, rhd), []))


def compatible(component_group: str, recipient: tuple[str, str], donor: tuple[str, str]) -> bool:
    return donor in preference(component_group, *recipient)


# --- settings -------------------------------------------------------------------------------------


def reservation_minutes(urgency: str = Urgency.ELECTIVE) -> int:
    """How long a reserved unit waits for collection before it returns to stock."""
    if urgency == Urgency.CITO:
        return int(getattr(settings, "SIAGA_BLOOD_RESERVATION_MINUTES_CITO", 120))
    return int(getattr(settings, "SIAGA_BLOOD_RESERVATION_MINUTES", 24 * 60))


def return_max_minutes() -> int:
    """A returned unit goes back to stock only if it was out of controlled storage at most this long."""
    return int(getattr(settings, "SIAGA_BLOOD_RETURN_MAX_MINUTES", 30))


def issue_min_shelf_minutes() -> int:
    """A unit expiring sooner than this is not handed over (it could not be transfused in time)."""
    return int(getattr(settings, "SIAGA_BLOOD_ISSUE_MIN_SHELF_MINUTES", 60))


# --- refusals are auditable -----------------------------------------------------------------------


refusable = audit.refusable


def refusals(model_label: str | None = None, object_id=None) -> QuerySet:
    qs = AuditLog.objects.filter(action="refused")
    if model_label:
        qs = qs.filter(model=model_label)
    if object_id is not None:
        qs = qs.filter(object_id=str(object_id))
    return qs


# --- small helpers --------------------------------------------------------------------------------


def _user(actor):
    return services._user(actor)


def _dec(value, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ServiceError(_("%(what)s is not a number.") % {"what": what}, code="invalid_number") from None
    if not d.is_finite() or abs(d) >= 100:
        raise ServiceError(_("%(what)s is out of range.") % {"what": what}, code="invalid_number")
    return d.quantize(Decimal("0.1"))


def _require_any(actor: Actor, *perms: str) -> None:
    if not any(actor.has(p) for p in perms):
        actor.require(perms[0])






def _request_payload(req: BloodRequest) -> dict:
    return {
        "request_id": req.pk, "number": req.number, "status": req.status, "urgency": req.urgency,
        "organization_id": req.organization_id, "supplier_id": req.supplier_id,
        "supplier_site_id": req.supplier_site_id, "hospital_name": req.organization.name,
        "lines": [{"line_id": ln.pk, "component_type": ln.component_type.code, "abo": ln.abo, "rhd": ln.rhd,
                   "quantity": ln.quantity, "issued_quantity": ln.issued_quantity, "status": ln.status}
                  for ln in req.lines.select_related("component_type").order_by("pk")],
    }


def _emit_request(req: BloodRequest) -> None:
    # No region: a UDD serves hospitals in neighbouring kab/kota; the organisations decide who sees it.
    emit("blood.request.changed", _request_payload(req), organization=req.organization_id,
         shared_with=[req.supplier_id])


# --- requests: visibility -------------------------------------------------------------------------


def visible_requests(actor: Actor) -> QuerySet:
    """Requests a hospital made (within its area) and requests addressed to the actor's UDD (wherever from)."""
    actor.require("blood.view")
    qs = BloodRequest.objects.select_related("organization", "supplier", "supplier_site", "hospital_site")
    if actor.is_platform_admin:
        return qs
    own = Q(organization_id__in=actor.org_ids)
    if actor.scope_code:
        own &= region_overlap_q("region_code", actor.scope_code)
    return qs.filter(own | tree_q(actor, "supplier", "region_code", "supplier_site__region_code"))


def get_request(actor: Actor, request_id: int) -> BloodRequest:
    req = visible_requests(actor).filter(pk=request_id).first()
    if req is None:
        raise NotFound(_("Blood request not found."))
    return req


def _request_as_supplier(actor: Actor, request_id: int) -> BloodRequest:
    """The request, locked, for the UDD it is addressed to (crossmatch, reservation, issue)."""
    actor.require("blood.manage")
    req = get_request(actor, request_id)
    if not _in_orgs(actor, req.supplier_id, req.region_code, req.supplier_site.region_code):
        raise PermissionDenied(_("Only the UDD this request is addressed to may handle it."))
    return BloodRequest.objects.select_for_update(of=("self",)).select_related(
        "organization", "supplier", "supplier_site", "hospital_site").get(pk=req.pk)


def _line_as_supplier(actor: Actor, line_id: int) -> RequestLine:
    line = RequestLine.objects.filter(pk=line_id).select_related("component_type").first()
    if line is None:
        raise NotFound(_("Request line not found."))
    req = _request_as_supplier(actor, line.request_id)
    line.request = req
    return line


OPEN_REQUEST_STATUSES = (BloodRequest.Status.SUBMITTED, BloodRequest.Status.ACCEPTED,
                         BloodRequest.Status.CROSSMATCHING, BloodRequest.Status.RESERVED,
                         BloodRequest.Status.PARTIALLY_ISSUED)


def _require_open(req: BloodRequest) -> None:
    if req.status not in OPEN_REQUEST_STATUSES:
        raise ServiceError(_("Request %(number)s is %(status)s; nothing more can be done on it.")
                           % {"number": req.number, "status": BloodRequest.Status(req.status).label},
                           code="request_closed")


# --- requests: create, cancel, reject -------------------------------------------------------------


@dataclass
class LineIn:
    component_type: str
    abo: str
    rhd: str
    quantity: int
    irradiated_required: bool = False


@refusable("blood.request.create", "blood.bloodrequest")
def create_request(actor: Actor, *, urgency: str, patient_name: str, lines: list[dict], patient_mrn: str = "",
                   patient_birth_date: dt.date | None = None, patient_sex: str = "", patient_abo: str = "",
                   patient_rhd: str = "", ward: str = "", diagnosis: str = "", hb_g_dl=None,
                   payer: str = Payer.BPJS, payer_number: str = "", needed_by: dt.datetime | None = None,
                   hospital_site_id: int | None = None, supplier_site_id: int | None = None,
                   external_ref: str = "", notes: str = "") -> BloodRequest:
    """A hospital asks its UDD for blood for one patient (cito or elective); the UDD sees it as supplier."""
    actor.require("blood.request")
    urgency = services._choice(urgency, Urgency, "urgency")
    payer = services._choice(payer, Payer, "payer")
    patient_sex = services._choice(patient_sex, Sex, "sex", blank=True)
    patient_abo = services._choice(patient_abo, ABO, "ABO", blank=True)
    patient_rhd = services._choice(patient_rhd, RhD, "RhD", blank=True)
    patient_name = (patient_name or "").strip()
    if len(patient_name) < 2:
        raise ServiceError(_("Give the patient's name."), code="patient_required")
    hospital_site = None
    if hospital_site_id is not None:
        hospital_site = services.own_site(actor, hospital_site_id)
    else:
        hospital_site = actor.scope_queryset(Site.objects.filter(active=True, kind=Site.Kind.HOSPITAL_BANK)).filter(
            organization_id=actor.organization_id).select_related("supplier").first()
    hospital = hospital_site.organization if hospital_site else actor.organization
    if hospital is None:
        raise ServiceError(_("Act for a hospital to request blood."), code="hospital_required")
    if supplier_site_id is not None:
        supplier_site = Site.objects.filter(pk=supplier_site_id, kind=Site.Kind.UDD, active=True).select_related(
            "organization").first()
        if supplier_site is None:
            raise NotFound(_("Blood site not found."))
    else:
        supplier_site = hospital_site.supplier if hospital_site and hospital_site.supplier_id else None
        if supplier_site is None:
            raise ServiceError(_("Choose the UDD that supplies this request."), code="supplier_required")
    if not lines:
        raise ServiceError(_("Ask for at least one product."), code="lines_required")
    if len(lines) > 10:
        raise ServiceError(_("At most 10 products per request."), code="too_many_lines")
    parsed = []
    for raw in lines:
        code = str(raw.get("component_type", "")).upper()
        ctype = ComponentType.objects.filter(code=code, active=True).first()
        if ctype is None:
            raise ServiceError(_("Unknown component type: %(code)s.") % {"code": code or "-"},
                               code="unknown_component")
        abo = services._choice(raw.get("abo") or patient_abo, ABO, "ABO")
        rhd = services._choice(raw.get("rhd") or patient_rhd, RhD, "RhD")
        if (patient_abo and abo != patient_abo) or (patient_rhd and rhd != patient_rhd):
            raise ServiceError(_("A line asks for %(line)s but the patient is %(patient)s: a request names the "
                                 "patient's own group; the UDD chooses compatible substitutes.")
                               % {"line": services.group_label(abo, rhd),
                                  "patient": services.group_label(patient_abo, patient_rhd)},
                               code="group_mismatch")
        try:
            qty = int(raw.get("quantity", 0))
        except (TypeError, ValueError):
            qty = 0
        if not 1 <= qty <= 20:
            raise ServiceError(_("Between 1 and 20 units per product."), code="invalid_quantity")
        parsed.append((ctype, abo, rhd, qty, bool(raw.get("irradiated_required", False))))
    if needed_by is not None and needed_by < timezone.now() - dt.timedelta(hours=1):
        raise ServiceError(_("The time needed lies in the past."), code="invalid_times")
    now = timezone.now()
    number = f"PD-{now.year}-{services.next_number(f'request:{hospital.pk}', now.year):05d}"
    fee_total = sum(ct.default_fee_bppd_rupiah * q for ct, _a, _r, q, _i in parsed)
    req = BloodRequest.objects.create(
        organization=hospital, region_code=(hospital_site.region_code if hospital_site else hospital.region_code),
        hospital_site=hospital_site, supplier=supplier_site.organization, supplier_site=supplier_site, number=number,
        urgency=urgency, needed_by=needed_by, patient_name=patient_name[:200], patient_mrn=patient_mrn.strip()[:40],
        patient_birth_date=patient_birth_date, patient_sex=patient_sex, patient_abo=patient_abo,
        patient_rhd=patient_rhd, ward=ward.strip()[:100], diagnosis=diagnosis.strip()[:300],
        hb_g_dl=_dec(hb_g_dl, _("Hb")), payer=payer, payer_number=payer_number.strip()[:40],
        fee_bppd_rupiah=fee_total, external_ref=external_ref.strip()[:64], notes=notes.strip(),
        requested_by=_user(actor), created_at=now,
    )
    audit.created(actor, req)
    for ctype, abo, rhd, qty, irr in parsed:
        line = RequestLine.objects.create(request=req, component_type=ctype, abo=abo, rhd=rhd, quantity=qty,
                                          irradiated_required=irr, fee_bppd_rupiah=ctype.default_fee_bppd_rupiah)
        audit.created(actor, line)
    _emit_request(req)
    return req


def _set_request_status(actor, req: BloodRequest, status: str, **extra) -> None:
    before = audit.snapshot(req)
    req.status = status
    for k, v in extra.items():
        setattr(req, k, v)
    if status in (BloodRequest.Status.ISSUED, BloodRequest.Status.REJECTED, BloodRequest.Status.CANCELLED):
        req.closed_at = req.closed_at or timezone.now()
    req.save()
    audit.updated(actor, req, before)


def _release_line_reservations(actor, req: BloodRequest, note: str) -> None:
    for res in Reservation.objects.filter(request_line__request=req, status=Reservation.Status.ACTIVE).select_related(
            "component__component_type", "component__site"):
        _end_reservation(actor, res, Reservation.Status.RELEASED, note)


@refusable("blood.request.cancel", "blood.bloodrequest", "request_id")
def cancel_request(actor: Actor, request_id: int, *, reason: str = "") -> BloodRequest:
    """The hospital withdraws its request; reserved units return to stock."""
    actor.require("blood.request")
    req = get_request(actor, request_id)
    if not _in_orgs(actor, req.organization_id, req.region_code):
        raise PermissionDenied(_("Only the requesting hospital may cancel its request."))
    req = BloodRequest.objects.select_for_update(of=("self",)).select_related("organization").get(pk=req.pk)
    _require_open(req)
    if req.lines.filter(issued_quantity__gt=0).exists():
        raise ServiceError(_("Units were issued already; return them instead."), code="already_issued")
    _release_line_reservations(actor, req, _("request cancelled"))
    req.lines.update(status=RequestLine.Status.CANCELLED)
    _set_request_status(actor, req, BloodRequest.Status.CANCELLED, reject_reason=reason.strip()[:300])
    _emit_request(req)
    return req


@refusable("blood.request.reject", "blood.bloodrequest", "request_id")
def reject_request(actor: Actor, request_id: int, *, reason: str) -> BloodRequest:
    """The UDD declines a request, with the reason shown to the hospital."""
    req = _request_as_supplier(actor, request_id)
    _require_open(req)
    if not (reason or "").strip():
        raise ServiceError(_("Say why the request is rejected."), code="reason_required")
    if req.lines.filter(issued_quantity__gt=0).exists():
        raise ServiceError(_("Units were issued already."), code="already_issued")
    _release_line_reservations(actor, req, _("request rejected"))
    req.lines.update(status=RequestLine.Status.CANCELLED)
    _set_request_status(actor, req, BloodRequest.Status.REJECTED, reject_reason=reason.strip()[:300])
    _emit_request(req)
    return req


@refusable("blood.request.accept", "blood.bloodrequest", "request_id")
def accept_request(actor: Actor, request_id: int) -> BloodRequest:
    req = _request_as_supplier(actor, request_id)
    if req.status != BloodRequest.Status.SUBMITTED:
        raise ServiceError(_("Only a submitted request can be accepted."), code="request_not_submitted")
    _set_request_status(actor, req, BloodRequest.Status.ACCEPTED)
    _emit_request(req)
    return req


# --- FEFO allocation ------------------------------------------------------------------------------


@dataclass
class Pick:
    component: Component
    rank: int  # 0 = identical group
    reason: str
    reservation: Reservation | None = None

    @property
    def substitution(self) -> str:
        return "" if self.rank == 0 else self.reason


def incompatible_ids(line: RequestLine) -> set[int]:
    return set(Crossmatch.objects.filter(request_line=line, result=Crossmatch.Result.INCOMPATIBLE)
               .values_list("component_id", flat=True))


def candidates(site: Site, line: RequestLine, *, now: dt.datetime | None = None, exclude=()):
    """Available units at `site` that may be given for `line`, best first: preference order, then soonest expiry.

    Expired units, units expiring before they could be transfused, quarantined, reserved or issued units
    and units with an incompatible crossmatch for this line are never candidates.
    """
    now = now or timezone.now()
    ctype = line.component_type
    prefs = preference(ctype.group, line.abo, line.rhd)
    bad = incompatible_ids(line) | set(exclude)
    min_expiry = now + dt.timedelta(minutes=issue_min_shelf_minutes())
    for rank, (abo, rhd) in enumerate(prefs):
        qs = Component.objects.filter(site=site, component_type=ctype, abo=abo, rhd=rhd, status=CS.AVAILABLE,
                                      expires_at__gt=min_expiry)
        if line.irradiated_required:
            qs = qs.filter(irradiated=True)
        if bad:
            qs = qs.exclude(pk__in=bad)
        last = None
        while True:  # keyset pages, so a long run of units taken meanwhile is walked through, not re-read
            page = qs if last is None else qs.filter(Q(expires_at__gt=last[0]) | Q(expires_at=last[0], pk__gt=last[1]))
            batch = list(page.select_related("component_type", "site").order_by("expires_at", "pk")[:50])
            for comp in batch:
                yield rank, comp
            if len(batch) < 50:
                break
            last = (batch[-1].expires_at, batch[-1].pk)


def _pick_reason(line: RequestLine, comp: Component, rank: int) -> str:
    patient = services.group_label(line.abo, line.rhd)
    unit = services.group_label(comp.abo, comp.rhd)
    if rank == 0:
        return _("identical group %(group)s, soonest expiry (%(expires)s)") % {
            "group": unit, "expires": timezone.localtime(comp.expires_at).strftime("%Y-%m-%d %H:%M")}
    return _("%(unit)s for a %(patient)s patient: compatible substitute no. %(rank)s in the order of preference "
             "(no %(patient)s unit available), soonest expiry") % {"unit": unit, "patient": patient, "rank": rank}


def plan_issue(actor: Actor, request_id: int, *, site_id: int | None = None) -> list[dict]:
    """What a FEFO issue would pick now, line by line, with the reason (nothing is changed)."""
    req = get_request(actor, request_id)
    site = _issue_site(actor, req, site_id) if actor.has("blood.manage") and _in_orgs(
        actor, req.supplier_id, req.region_code, req.supplier_site.region_code) \
        else req.supplier_site
    out = []
    now = timezone.now()
    taken: set[int] = set()
    for line in req.lines.select_related("component_type").order_by("pk"):
        need = max(0, line.quantity - line.issued_quantity)
        picks = []
        for res in _active_reservations(line, now):
            if len(picks) >= need:
                break
            picks.append({"component": res.component, "rank": _rank(line, res.component), "reserved": True,
                          "reason": _("reserved for this request") + "; " + _pick_reason(
                              line, res.component, _rank(line, res.component))})
            taken.add(res.component_id)
        if len(picks) < need:
            for rank, comp in candidates(site, line, now=now, exclude=taken):
                if len(picks) >= need:
                    break
                picks.append({"component": comp, "rank": rank, "reserved": False,
                              "reason": _pick_reason(line, comp, rank)})
                taken.add(comp.pk)
        out.append({"line": line, "need": need, "picks": picks, "short": need - len(picks)})
    return out


def _rank(line: RequestLine, comp: Component) -> int:
    prefs = preference(line.component_type.group, line.abo, line.rhd)
    try:
        return prefs.index((comp.abo, comp.rhd))
    except ValueError:
        return -1


def _active_reservations(line: RequestLine, now: dt.datetime) -> list[Reservation]:
    return list(Reservation.objects.filter(request_line=line, status=Reservation.Status.ACTIVE, expires_at__gt=now,
                                           component__status=CS.RESERVED)
                .select_related("component__component_type", "component__site").order_by("component__expires_at"))


def _issue_site(actor: Actor, req: BloodRequest, site_id: int | None) -> Site:
    if site_id is None or site_id == req.supplier_site_id:
        return req.supplier_site
    site = services.own_site(actor, site_id)
    if site.organization_id != req.supplier_id:
        raise PermissionDenied(_("Units are issued from a site of the UDD the request is addressed to."))
    return site


# --- crossmatch and reservation -------------------------------------------------------------------


@refusable("blood.crossmatch", "blood.requestline", "line_id")
def record_crossmatch(actor: Actor, line_id: int, *, component_id: int, result: str,
                      method: str = Crossmatch.Method.GEL, sample_id: str = "", notes: str = "",
                      tested_at: dt.datetime | None = None) -> Crossmatch:
    """Record a crossmatch of one unit against the patient's sample. An incompatible unit is never issued for
    this line (a reservation of it is released); an ABO/RhD-incompatible unit cannot be recorded compatible."""
    line = _line_as_supplier(actor, line_id)
    req = line.request
    _require_open(req)
    result = services._choice(result, Crossmatch.Result, "result")
    method = services._choice(method, Crossmatch.Method, "method")
    comp = services.visible_components(actor).filter(pk=component_id).first()
    if comp is None:
        raise NotFound(_("Unit not found."))
    if comp.component_type_id != line.component_type_id:
        raise ServiceError(_("Unit %(din)s is %(unit)s; the line asks for %(line)s.")
                           % {"din": comp.din, "unit": comp.component_type.code, "line": line.component_type.code},
                           code="wrong_component_type")
    if result == Crossmatch.Result.COMPATIBLE and not compatible(line.component_type.group, (line.abo, line.rhd),
                                                                 (comp.abo, comp.rhd)):
        raise ServiceError(_("A %(unit)s unit is not compatible with a %(patient)s patient; recheck the sample and "
                             "the unit label.") % {"unit": services.group_label(comp.abo, comp.rhd),
                                                   "patient": services.group_label(line.abo, line.rhd)},
                           code="abo_incompatible")
    xm = Crossmatch.objects.create(organization_id=req.supplier_id, region_code=req.supplier_site.region_code,
                                   request_line=line, component=comp, sample_id=sample_id.strip()[:40],
                                   method=method, result=result, notes=notes.strip()[:300],
                                   tested_at=tested_at or timezone.now(), tested_by=_user(actor))
    audit.created(actor, xm)
    if result == Crossmatch.Result.INCOMPATIBLE:
        for res in Reservation.objects.filter(component=comp, request_line=line, status=Reservation.Status.ACTIVE):
            _end_reservation(actor, res, Reservation.Status.RELEASED, _("incompatible crossmatch"))
    if req.status in (BloodRequest.Status.SUBMITTED, BloodRequest.Status.ACCEPTED):
        _set_request_status(actor, req, BloodRequest.Status.CROSSMATCHING)
        _emit_request(req)
    emit("blood.crossmatch.recorded", {"crossmatch_id": xm.pk, "request_id": req.pk, "line_id": line.pk,
                                       "component_id": comp.pk, "result": result},
         organization=req.supplier_id, region_code=req.supplier_site.region_code)
    return xm


def _end_reservation(actor, res: Reservation, status: str, note: str) -> None:
    """Close a reservation; its unit, if still reserved, goes back to available stock."""
    updated = Reservation.objects.filter(pk=res.pk, status=Reservation.Status.ACTIVE).update(
        status=status, released_at=timezone.now())
    if not updated:
        return
    comp = Component.objects.select_related("component_type", "site").get(pk=res.component_id)
    if comp.status == CS.RESERVED:
        services.transition_component(actor, comp, CS.AVAILABLE, expected=(CS.RESERVED,), note=note,
                                      ref={"reservation": res.pk})
    line = RequestLine.objects.select_related("request").get(pk=res.request_line_id)
    if line.status == RequestLine.Status.RESERVED:
        RequestLine.objects.filter(pk=line.pk).update(status=RequestLine.Status.OPEN)
    req = line.request
    emit("blood.reservation.changed", {"reservation_id": res.pk, "request_id": req.pk, "component_id": comp.pk,
                                       "status": status, "expires_at": res.expires_at},
         organization=req.supplier_id, shared_with=[req.organization_id])


@refusable("blood.reserve", "blood.bloodrequest", "request_id")
def reserve(actor: Actor, request_id: int, *, component_ids: list[int] | None = None, minutes: int | None = None,
            site_id: int | None = None) -> list[Reservation]:
    """Hold units for a request until collected: the given ones, or the FEFO picks for every open line.

    A reservation lapses after `minutes` (settings by urgency); the periodic job and every issue release
    lapsed reservations back to stock.
    """
    req = _request_as_supplier(actor, request_id)
    _require_open(req)
    site = _issue_site(actor, req, site_id)
    now = timezone.now()
    minutes = minutes if minutes is not None else reservation_minutes(req.urgency)
    if not 5 <= minutes <= 7 * 24 * 60:
        raise ServiceError(_("A reservation lasts between 5 minutes and 7 days."), code="invalid_minutes")
    expires_at = now + dt.timedelta(minutes=minutes)
    lines = list(req.lines.select_related("component_type").exclude(status=RequestLine.Status.CANCELLED)
                 .order_by("pk"))
    chosen: list[tuple[RequestLine, Component, int]] = []
    if component_ids:
        for cid in component_ids:
            comp = Component.objects.filter(pk=cid, site=site).select_related("component_type", "site").first()
            if comp is None:
                raise NotFound(_("Unit not found."))
            line = _line_for_unit(lines, comp, chosen)
            _check_issuable(comp, line, now)
            chosen.append((line, comp, _rank(line, comp)))
    else:
        for line in lines:
            held = Reservation.objects.filter(request_line=line, status=Reservation.Status.ACTIVE).count()
            need = line.quantity - line.issued_quantity - held
            taken = {c.pk for _l, c, _r in chosen}
            for rank, comp in candidates(site, line, now=now, exclude=taken):
                if need <= 0:
                    break
                chosen.append((line, comp, rank))
                need -= 1
        if not chosen:
            raise ServiceError(_("No compatible unit is available to reserve."), code="no_compatible_unit")
    out = []
    for line, comp, _rank_ in chosen:
        services.transition_component(actor, comp, CS.RESERVED, expected=(CS.AVAILABLE,),
                                      note=_("reserved for %(number)s") % {"number": req.number},
                                      ref={"request": req.pk})
        xm = Crossmatch.objects.filter(request_line=line, component=comp,
                                       result=Crossmatch.Result.COMPATIBLE).order_by("-tested_at").first()
        res = Reservation.objects.create(organization_id=req.supplier_id, region_code=site.region_code,
                                         component=comp, request_line=line, crossmatch=xm, reserved_at=now,
                                         expires_at=expires_at, reserved_by=_user(actor))
        audit.created(actor, res)
        out.append(res)
        emit("blood.reservation.changed", {"reservation_id": res.pk, "request_id": req.pk, "component_id": comp.pk,
                                           "status": res.status, "expires_at": res.expires_at},
             organization=req.supplier_id, shared_with=[req.organization_id])
    for line in lines:
        held = Reservation.objects.filter(request_line=line, status=Reservation.Status.ACTIVE).count()
        if line.status == RequestLine.Status.OPEN and held + line.issued_quantity >= line.quantity:
            RequestLine.objects.filter(pk=line.pk).update(status=RequestLine.Status.RESERVED)
    if req.status != BloodRequest.Status.PARTIALLY_ISSUED:
        _set_request_status(actor, req, BloodRequest.Status.RESERVED)
    _emit_request(req)
    return out


def _line_for_unit(lines: list[RequestLine], comp: Component, chosen) -> RequestLine:
    """The open line a hand-picked unit can serve (right type, compatible group, quantity not yet met)."""
    for line in lines:
        if line.component_type_id != comp.component_type_id:
            continue
        if not compatible(line.component_type.group, (line.abo, line.rhd), (comp.abo, comp.rhd)):
            continue
        held = Reservation.objects.filter(request_line=line, status=Reservation.Status.ACTIVE).count()
        used = sum(1 for ln, _c, _r in chosen if ln.pk == line.pk)
        if line.issued_quantity + held + used < line.quantity:
            return line
    label = services.group_label(comp.abo, comp.rhd)
    raise ServiceError(_("Unit %(din)s (%(type)s %(group)s) is not compatible with any open line of this request.")
                       % {"din": comp.din, "type": comp.component_type.code, "group": label},
                       code="incompatible_unit", details={"component_id": comp.pk})


def _check_issuable(comp: Component, line: RequestLine, now: dt.datetime, *, reserved_for_line: bool = False) -> None:
    """Refuse a unit that must not be given: expired, in quarantine, taken, incompatible or crossmatch-incompatible."""
    if comp.expires_at <= now + dt.timedelta(minutes=issue_min_shelf_minutes()):
        raise ServiceError(_("Unit %(din)s has expired or expires too soon to be transfused (%(expires)s).")
                           % {"din": comp.din, "expires": timezone.localtime(comp.expires_at).strftime("%Y-%m-%d %H:%M")},
                           code="expired", details={"component_id": comp.pk})
    allowed = (CS.AVAILABLE, CS.RESERVED) if reserved_for_line else (CS.AVAILABLE,)
    if comp.status not in allowed:
        code = "quarantined" if comp.status == CS.QUARANTINE else "not_available"
        raise ServiceError(_("Unit %(din)s is %(status)s and cannot be given.")
                           % {"din": comp.din, "status": CS(comp.status).label}, code=code,
                           details={"component_id": comp.pk, "status": comp.status})
    if not compatible(line.component_type.group, (line.abo, line.rhd), (comp.abo, comp.rhd)):
        raise ServiceError(_("Unit %(din)s (%(unit)s) is not compatible with a %(patient)s patient.")
                           % {"din": comp.din, "unit": services.group_label(comp.abo, comp.rhd),
                              "patient": services.group_label(line.abo, line.rhd)},
                           code="incompatible_unit", details={"component_id": comp.pk})
    if Crossmatch.objects.filter(request_line=line, component=comp, result=Crossmatch.Result.INCOMPATIBLE).exists():
        raise ServiceError(_("Unit %(din)s was crossmatch-incompatible with this patient.") % {"din": comp.din},
                           code="crossmatch_incompatible", details={"component_id": comp.pk})


def expire_reservations(now: dt.datetime | None = None) -> int:
    """Release reservations not collected in time (periodic job; issue does the same check for its request)."""
    from siaga.core.permissions import system_actor

    now = now or timezone.now()
    actor = system_actor()
    n = 0
    for res in Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now).order_by("pk")[:500]:
        try:
            with transaction.atomic():
                _end_reservation(actor, res, Reservation.Status.EXPIRED, _("reservation lapsed: not collected"))
                n += 1
        except Conflict:
            continue
    return n


# --- issue (with the signed hand-over) ------------------------------------------------------------


def _transport_check(groups: set[str], temperature_c: Decimal | None) -> bool | None:
    if temperature_c is None:
        return None
    for g in groups:
        lo, hi = TRANSPORT_RANGE_C.get(g, (Decimal("-50"), Decimal("50")))
        if not lo <= temperature_c <= hi:
            return False
    return True


@refusable("blood.issue", "blood.bloodrequest", "request_id")
def issue_request(actor: Actor, request_id: int, *, recipient_kind: str, recipient_name: str, signed_by: str,
                  signature: str = "", recipient_phone: str = "", recipient_id_number: str = "",
                  cool_box_temperature_c=None, component_ids: list[int] | None = None, site_id: int | None = None,
                  allow_partial: bool = False, payer: str | None = None, at: dt.datetime | None = None) -> Issue:
    """Hand units over to the hospital's courier, the patient's family or hospital staff, against a signature.

    Units: reserved ones for this request first, then FEFO picks: the identical group first, then compatible
    substitutes in the order of preference, soonest expiry first within each group. Hand-picked units
    (component_ids) are checked the same way. Never an expired, quarantined, incompatible or taken unit;
    a unit another issuer took meanwhile is skipped for the next candidate.
    """
    req = _request_as_supplier(actor, request_id)
    _require_open(req)
    site = _issue_site(actor, req, site_id)
    now = at or timezone.now()
    recipient_kind = services._choice(recipient_kind, Issue.RecipientKind, "recipient")
    recipient_name, signed_by = (recipient_name or "").strip(), (signed_by or "").strip()
    if len(recipient_name) < 2 or len(signed_by) < 2:
        raise ServiceError(_("The hand-over needs the name of who collects and who signed."),
                           code="handover_required")
    payer = services._choice(payer or req.payer, Payer, "payer")
    temp = _dec(cool_box_temperature_c, _("Cool-box temperature"))
    lines = list(req.lines.select_related("component_type").exclude(status=RequestLine.Status.CANCELLED)
                 .order_by("pk"))
    # Lapsed reservations go back to stock before anything is picked (they are no longer this request's).
    for res in Reservation.objects.filter(request_line__request=req, status=Reservation.Status.ACTIVE,
                                          expires_at__lte=now):
        _end_reservation(actor, res, Reservation.Status.EXPIRED, _("reservation lapsed: not collected"))
    picks: list[tuple[RequestLine, Pick]] = []
    if component_ids:
        for cid in dict.fromkeys(component_ids):
            comp = Component.objects.filter(pk=cid).select_related("component_type", "site").first()
            if comp is None or comp.site_id != site.pk:
                raise NotFound(_("Unit not found."))
            res = Reservation.objects.filter(component=comp, status=Reservation.Status.ACTIVE).first()
            if res is not None and res.request_line.request_id != req.pk:
                raise ServiceError(_("Unit %(din)s is reserved for another request.") % {"din": comp.din},
                                   code="reserved_elsewhere", details={"component_id": comp.pk})
            if res is not None:
                line = next(ln for ln in lines if ln.pk == res.request_line_id)
            else:
                line = _line_for_unit_issue(lines, comp, picks)
            _check_issuable(comp, line, now, reserved_for_line=res is not None)
            rank = _rank(line, comp)
            picks.append((line, Pick(comp, rank, _pick_reason(line, comp, rank), res)))
    else:
        for line in lines:
            need = line.quantity - line.issued_quantity
            for res in _active_reservations(line, now):
                if need <= 0:
                    break
                rank = _rank(line, res.component)
                picks.append((line, Pick(res.component, rank, _pick_reason(line, res.component, rank), res)))
                need -= 1
            line._need = need  # what FEFO must still find
    issued: list[tuple[RequestLine, Pick]] = []
    for line, pick in picks:
        expected = (CS.RESERVED,) if pick.reservation else (CS.AVAILABLE,)
        services.transition_component(actor, pick.component, CS.ISSUED, expected=expected,
                                      note=_("issued for %(number)s") % {"number": req.number},
                                      ref={"request": req.pk}, at=now)
        issued.append((line, pick))
    if not component_ids:
        taken = {p.component.pk for _l, p in issued}
        for line in lines:
            need = getattr(line, "_need", 0)
            if need <= 0:
                continue
            for rank, comp in candidates(site, line, now=now, exclude=taken):
                if need <= 0:
                    break
                try:
                    services.transition_component(actor, comp, CS.ISSUED, expected=(CS.AVAILABLE,),
                                                  note=_("issued for %(number)s") % {"number": req.number},
                                                  ref={"request": req.pk}, at=now)
                except Conflict:
                    continue  # another issuer took it first: the next candidate
                taken.add(comp.pk)
                issued.append((line, Pick(comp, rank, _pick_reason(line, comp, rank))))
                need -= 1
            if need > 0 and not allow_partial:
                raise ServiceError(
                    _("Not enough compatible %(type)s for a %(group)s patient at %(site)s: %(missing)s of %(wanted)s "
                      "units missing. Nothing was issued.")
                    % {"type": line.component_type.code, "group": services.group_label(line.abo, line.rhd),
                       "site": site.name, "missing": need, "wanted": line.quantity - line.issued_quantity},
                    code="no_compatible_unit", details={"line_id": line.pk, "missing": need})
    if not issued:
        raise ServiceError(_("No compatible unit is available; nothing was issued."), code="no_compatible_unit")
    groups = {p.component.component_type.group for _l, p in issued}
    in_range = _transport_check(groups, temp)
    if in_range is False:
        raise ServiceError(_("The cool box is at %(t)s °C, outside the transport range for these units; cool it "
                             "before the hand-over.") % {"t": temp}, code="cold_chain")
    number = f"KLR-{now.year}-{services.next_number(f'issue:{req.supplier_id}', now.year):05d}"
    fee = sum(line.fee_bppd_rupiah for line, _p in issued)
    issue = Issue.objects.create(
        organization_id=req.supplier_id, region_code=site.region_code, site=site, request=req,
        hospital_id=req.organization_id, number=number, issued_at=now, issued_by=_user(actor),
        recipient_kind=recipient_kind, recipient_name=recipient_name[:200], recipient_phone=recipient_phone[:20],
        recipient_id_number=recipient_id_number[:40], signed_by=signed_by[:200], signature=signature[:20000],
        cool_box_temperature_c=temp, payer=payer, fee_bppd_rupiah=fee,
    )
    audit.created(actor, issue)
    if temp is not None:
        ColdChainReading.objects.create(issue=issue, at=now, temperature_c=temp, place="hand-over",
                                        in_range=bool(in_range), recorded_by=_user(actor))
    for line, pick in issued:
        item = IssueItem.objects.create(issue=issue, component=pick.component, request_line=line,
                                        fee_bppd_rupiah=line.fee_bppd_rupiah, substitution=pick.substitution[:120])
        audit.created(actor, item)
        if pick.reservation is not None:
            Reservation.objects.filter(pk=pick.reservation.pk).update(status=Reservation.Status.ISSUED,
                                                                      released_at=now)
        comp = pick.component
        services.record_usage(site, comp.component_type, comp.abo, comp.rhd, "issued", on=timezone.localdate(now))
        RequestLine.objects.filter(pk=line.pk).update(issued_quantity=line.issued_quantity + 1)
        line.issued_quantity += 1
    for line in lines:
        if line.issued_quantity >= line.quantity:
            RequestLine.objects.filter(pk=line.pk).update(status=RequestLine.Status.ISSUED)
    done = all(ln.issued_quantity >= ln.quantity for ln in lines)
    _set_request_status(actor, req, BloodRequest.Status.ISSUED if done else BloodRequest.Status.PARTIALLY_ISSUED)
    emit("blood.issue.created", {
        "issue_id": issue.pk, "number": issue.number, "request_id": req.pk, "site_id": site.pk,
        "hospital_id": req.organization_id, "issued_at": now,
        "units": [{"component_id": p.component.pk, "din": p.component.din,
                   "component_type": p.component.component_type.code, "abo": p.component.abo,
                   "rhd": p.component.rhd, "expires_at": p.component.expires_at, "substitution": p.substitution}
                  for _l, p in issued],
    }, organization=req.supplier_id, shared_with=[req.organization_id])
    _emit_request(req)
    issue.picks = [{"line": line, "component": p.component, "rank": p.rank, "reason": p.reason} for line, p in issued]
    return issue


def _line_for_unit_issue(lines, comp, picks) -> RequestLine:
    for line in lines:
        if line.component_type_id != comp.component_type_id:
            continue
        if not compatible(line.component_type.group, (line.abo, line.rhd), (comp.abo, comp.rhd)):
            continue
        used = sum(1 for ln, _p in picks if ln.pk == line.pk)
        if line.issued_quantity + used < line.quantity:
            return line
    raise ServiceError(_("Unit %(din)s (%(type)s %(group)s) is not compatible with any open line of this request.")
                       % {"din": comp.din, "type": comp.component_type.code,
                          "group": services.group_label(comp.abo, comp.rhd)},
                       code="incompatible_unit", details={"component_id": comp.pk})


def visible_issues(actor: Actor) -> QuerySet:
    """Hand-overs made by the actor's UDD or received by the actor's hospital."""
    actor.require("blood.view")
    qs = Issue.objects.select_related("request", "hospital", "site")
    if actor.is_platform_admin:
        return qs
    return qs.filter(tree_q(actor, "organization", "region_code")
                     | tree_q(actor, "hospital", "region_code", "request__region_code"))


def get_issue(actor: Actor, issue_id: int) -> Issue:
    issue = visible_issues(actor).filter(pk=issue_id).first()
    if issue is None:
        raise NotFound(_("Issue not found."))
    return issue


@refusable("blood.issue.reading", "blood.issue", "issue_id")
def add_issue_reading(actor: Actor, issue_id: int, *, temperature_c, place: str = "") -> ColdChainReading:
    """A cool-box temperature taken on the way or at the hospital, against the hand-over."""
    _require_any(actor, "blood.manage", "blood.request")
    issue = get_issue(actor, issue_id)
    temp = _dec(temperature_c, _("Temperature"))
    if temp is None:
        raise ServiceError(_("Give the temperature."), code="temperature_required")
    groups = set(issue.items.values_list("component__component_type__group", flat=True))
    reading = ColdChainReading.objects.create(issue=issue, at=timezone.now(), temperature_c=temp,
                                              place=place.strip()[:120],
                                              in_range=bool(_transport_check(groups, temp)), recorded_by=_user(actor))
    audit.created(actor, reading)
    return reading


@refusable("blood.transfusion", "blood.issueitem", "item_id")
def record_transfusion(actor: Actor, item_id: int, *, at: dt.datetime | None = None, reaction: str = "") -> IssueItem:
    """The hospital records that an issued unit was transfused (closing the vein-to-vein chain)."""
    _require_any(actor, "blood.request", "blood.manage")
    item = IssueItem.objects.filter(pk=item_id).select_related("issue__request", "component__component_type",
                                                               "component__site").first()
    if item is None or not (_in_orgs(actor, item.issue.hospital_id, item.issue.region_code,
                                              item.issue.request.region_code)
                             or _in_orgs(actor, item.issue.organization_id, item.issue.region_code)):
        raise NotFound(_("Issued unit not found."))
    if item.returned:
        raise ServiceError(_("This unit was returned."), code="returned")
    at = at or timezone.now()
    if at < item.issue.issued_at:
        raise ServiceError(_("A transfusion cannot precede the hand-over."), code="invalid_times")
    services.transition_component(actor, item.component, CS.TRANSFUSED, expected=(CS.ISSUED,),
                                  note=_("transfused"), ref={"issue": item.issue_id}, at=at)
    before = audit.snapshot(item)
    item.transfused_at, item.transfusion_reaction = at, reaction.strip()[:300]
    item.save(update_fields=["transfused_at", "transfusion_reaction"])
    audit.updated(actor, item, before)
    comp = item.component
    services.record_usage(comp.site, comp.component_type, comp.abo, comp.rhd, "transfused", on=timezone.localdate(at))
    return item


# --- returns and discards -------------------------------------------------------------------------


@refusable("blood.return", "blood.component", "component_id")
def return_unit(actor: Actor, component_id: int, *, temperature_c, minutes_out_of_storage: int,
                seal_intact: bool = True, returned_by_name: str = "", at: dt.datetime | None = None) -> Return:
    """An issued unit brought back. Back to stock only with the seal intact, the temperature in its transport range
    and no longer out of controlled storage than allowed; otherwise it is discarded (cold chain / returned)."""
    actor.require("blood.manage")
    item = (IssueItem.objects.filter(component_id=component_id, returned=False)
            .select_related("issue", "component__component_type", "component__site").first())
    if item is None or not _in_orgs(actor, item.issue.organization_id, item.issue.region_code):
        raise NotFound(_("No issued unit with this number from your UDD."))
    comp = item.component
    if comp.status != CS.ISSUED:
        raise ServiceError(_("Unit %(din)s is %(status)s, not issued.") % {"din": comp.din,
                                                                          "status": CS(comp.status).label},
                           code="not_issued")
    temp = _dec(temperature_c, _("Temperature"))
    if temp is None:
        raise ServiceError(_("Measure the unit's temperature on return."), code="temperature_required")
    try:
        minutes = int(minutes_out_of_storage)
    except (TypeError, ValueError):
        minutes = -1
    if minutes < 0:
        raise ServiceError(_("Give the minutes the unit spent out of controlled storage."), code="minutes_required")
    at = at or timezone.now()
    lo, hi = TRANSPORT_RANGE_C.get(comp.component_type.group, (Decimal("-50"), Decimal("50")))
    reasons = []
    if not seal_intact:
        reasons.append(_("seal broken"))
    if not lo <= temp <= hi:
        reasons.append(_("temperature %(t)s °C outside %(lo)s..%(hi)s °C") % {"t": temp, "lo": lo, "hi": hi})
    if minutes > return_max_minutes():
        reasons.append(_("%(m)s minutes out of storage (at most %(max)s)") % {"m": minutes,
                                                                             "max": return_max_minutes()})
    expired = comp.expires_at <= at
    if expired:
        reasons.append(_("expired"))
    cold_chain_ok = seal_intact and lo <= temp <= hi and minutes <= return_max_minutes()
    accepted = cold_chain_ok and not expired
    IssueItem.objects.filter(pk=item.pk).update(returned=True)
    if accepted:
        services.transition_component(actor, comp, CS.AVAILABLE, expected=(CS.ISSUED,), site=item.issue.site,
                                      note=_("returned, cold chain kept"), ref={"issue": item.issue_id}, at=at)
        services.record_usage(item.issue.site, comp.component_type, comp.abo, comp.rhd, "issued", n=-1,
                              on=timezone.localdate(item.issue.issued_at))
    else:
        reason = DiscardReason.COLD_CHAIN if not cold_chain_ok else DiscardReason.EXPIRED
        services._discard(actor, comp, reason, _("returned: %(why)s") % {"why": "; ".join(str(r) for r in reasons)},
                          at=at)
    ret = Return.objects.create(organization_id=item.issue.organization_id, region_code=item.issue.region_code,
                                component=comp, issue_item=item, returned_at=at,
                                returned_by_name=returned_by_name.strip()[:200], temperature_c=temp,
                                minutes_out_of_storage=minutes, seal_intact=seal_intact, cold_chain_ok=cold_chain_ok,
                                accepted=accepted, reason="; ".join(str(r) for r in reasons)[:300],
                                received_by=_user(actor))
    audit.created(actor, ret)
    emit("blood.return.recorded", {"return_id": ret.pk, "component_id": comp.pk, "accepted": accepted,
                                   "cold_chain_ok": cold_chain_ok, "reason": ret.reason},
         organization=item.issue.organization_id, shared_with=[item.issue.hospital_id])
    return ret


def visible_returns(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(Return.objects.select_related("component", "component__component_type"))


@refusable("blood.discard", "blood.component", "component_id")
def discard(actor: Actor, component_id: int, *, reason: str, notes: str = "") -> Discard:
    """Take a unit out of use with its reason (through services.discard_component, audited when refused)."""
    return services.discard_component(actor, component_id, reason=reason, notes=notes)


def visible_discards(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(Discard.objects.select_related("component", "component__component_type", "site"))


# --- transfers between sites ----------------------------------------------------------------------


def visible_transfers(actor: Actor) -> QuerySet:
    """Shipments the actor's organisations send or receive."""
    actor.require("blood.view")
    qs = Transfer.objects.select_related("from_site", "to_site", "organization", "to_organization")
    if actor.is_platform_admin:
        return qs
    return qs.filter(tree_q(actor, "organization", "region_code")
                     | tree_q(actor, "to_organization", "region_code", "to_site__region_code"))


def get_transfer(actor: Actor, transfer_id: int) -> Transfer:
    t = visible_transfers(actor).filter(pk=transfer_id).first()
    if t is None:
        raise NotFound(_("Transfer not found."))
    return t


def _transfer_for_update(actor: Actor, transfer_id: int) -> Transfer:
    _require_any(actor, "blood.manage", "blood.request")
    t = get_transfer(actor, transfer_id)
    return Transfer.objects.select_for_update(of=("self",)).select_related("from_site", "to_site").get(pk=t.pk)


def _emit_transfer(t: Transfer, accepted: int | None = None) -> None:
    emit("blood.transfer.changed", {"transfer_id": t.pk, "number": t.number, "status": t.status,
                                    "from_site_id": t.from_site_id, "to_site_id": t.to_site_id,
                                    "units": t.items.count(), "accepted": accepted},
         organization=t.organization_id, shared_with=[t.to_organization_id])


def _shipment_groups(t: Transfer) -> set[str]:
    return set(t.items.values_list("component__component_type__group", flat=True))


@refusable("blood.transfer.create", "blood.transfer")
def create_transfer(actor: Actor, *, from_site_id: int, to_site_id: int, component_ids: list[int],
                    suggestion_id: int | None = None, courier_name: str = "", vehicle: str = "",
                    notes: str = "") -> Transfer:
    """Plan a shipment of available units from one of the actor's sites to another site (across kab/kota)."""
    _require_any(actor, "blood.manage", "blood.request")
    from_site = services.own_site(actor, from_site_id)
    to_site = Site.objects.filter(pk=to_site_id, active=True).select_related("organization").first()
    if to_site is None:
        raise NotFound(_("Blood site not found."))
    if to_site.pk == from_site.pk:
        raise ServiceError(_("A transfer goes to another site."), code="same_site")
    ids = list(dict.fromkeys(int(i) for i in component_ids or []))
    if not ids:
        raise ServiceError(_("Choose the units to send."), code="units_required")
    comps = {c.pk: c for c in Component.objects.filter(pk__in=ids, site=from_site).select_related("component_type")}
    now = timezone.now()
    for cid in ids:
        comp = comps.get(cid)
        if comp is None:
            raise NotFound(_("Unit not found."))
        if comp.status != CS.AVAILABLE or comp.expires_at <= now:
            raise ServiceError(_("Unit %(din)s is %(status)s and cannot be sent.")
                               % {"din": comp.din, "status": _("expired") if comp.expires_at <= now
                                  else CS(comp.status).label}, code="not_available", details={"component_id": cid})
        if TransferItem.objects.filter(component=comp, transfer__status=Transfer.Status.REQUESTED).exists():
            raise Conflict(_("Unit %(din)s is already on a planned transfer.") % {"din": comp.din},
                           code="already_planned")
    suggestion = None
    if suggestion_id is not None:
        suggestion = TransferSuggestion.objects.filter(pk=suggestion_id, from_site=from_site, to_site=to_site).first()
        if suggestion is None:
            raise NotFound(_("Transfer suggestion not found."))
    number = f"MUT-{now.year}-{services.next_number(f'transfer:{from_site.organization_id}', now.year):05d}"
    t = Transfer.objects.create(organization_id=from_site.organization_id, region_code=from_site.region_code,
                                to_organization_id=to_site.organization_id, from_site=from_site, to_site=to_site,
                                number=number, suggestion=suggestion, courier_name=courier_name.strip()[:200],
                                vehicle=vehicle.strip()[:60], requested_at=now, requested_by=_user(actor),
                                notes=notes.strip()[:300])
    audit.created(actor, t)
    for cid in ids:
        TransferItem.objects.create(transfer=t, component_id=cid)
    if suggestion is not None:
        TransferSuggestion.objects.filter(pk=suggestion.pk).update(status=TransferSuggestion.Status.ACCEPTED)
    _emit_transfer(t)
    return t


@refusable("blood.transfer.dispatch", "blood.transfer", "transfer_id")
def dispatch_transfer(actor: Actor, transfer_id: int, *, temperature_c, courier_name: str = "",
                      vehicle: str = "") -> Transfer:
    """The sender packs the cool box and sends it: units go in transit, with the departure temperature."""
    t = _transfer_for_update(actor, transfer_id)
    if not _in_orgs(actor, t.organization_id, t.region_code):
        raise PermissionDenied(_("Only the sending site dispatches a transfer."))
    if t.status != Transfer.Status.REQUESTED:
        raise ServiceError(_("Transfer %(number)s is %(status)s.") % {"number": t.number,
                                                                     "status": Transfer.Status(t.status).label},
                           code="transfer_state")
    temp = _dec(temperature_c, _("Temperature"))
    if temp is None:
        raise ServiceError(_("Record the cool-box temperature at departure."), code="temperature_required")
    in_range = _transport_check(_shipment_groups(t), temp)
    if not in_range:
        raise ServiceError(_("The cool box is at %(t)s °C, outside the transport range; do not send it like this.")
                           % {"t": temp}, code="cold_chain")
    now = timezone.now()
    for item in t.items.select_related("component__component_type", "component__site"):
        services.transition_component(actor, item.component, CS.IN_TRANSIT, expected=(CS.AVAILABLE,),
                                      note=_("sent on %(number)s") % {"number": t.number}, ref={"transfer": t.pk},
                                      at=now)
    before = audit.snapshot(t)
    t.status, t.dispatched_at, t.dispatched_by = Transfer.Status.DISPATCHED, now, _user(actor)
    t.courier_name = courier_name.strip()[:200] or t.courier_name
    t.vehicle = vehicle.strip()[:60] or t.vehicle
    t.save()
    audit.updated(actor, t, before)
    # "departure", "arrival", "hand-over" are stored as codes (the pages translate them); staff readings are free text.
    ColdChainReading.objects.create(transfer=t, at=now, temperature_c=temp, place="departure", in_range=True,
                                    recorded_by=_user(actor))
    _emit_transfer(t)
    return t


@refusable("blood.transfer.reading", "blood.transfer", "transfer_id")
def add_transfer_reading(actor: Actor, transfer_id: int, *, temperature_c, place: str = "") -> ColdChainReading:
    t = _transfer_for_update(actor, transfer_id)
    if t.status != Transfer.Status.DISPATCHED:
        raise ServiceError(_("Readings are taken while the shipment travels."), code="transfer_state")
    temp = _dec(temperature_c, _("Temperature"))
    if temp is None:
        raise ServiceError(_("Give the temperature."), code="temperature_required")
    r = ColdChainReading.objects.create(transfer=t, at=timezone.now(), temperature_c=temp, place=place.strip()[:120],
                                        in_range=bool(_transport_check(_shipment_groups(t), temp)),
                                        recorded_by=_user(actor))
    audit.created(actor, r)
    return r


@refusable("blood.transfer.receive", "blood.transfer", "transfer_id")
def receive_transfer(actor: Actor, transfer_id: int, *, temperature_c, rejected: dict | None = None) -> Transfer:
    """The receiving site unpacks: with the cold chain kept (every reading in range) units join its stock
    (transition_component(site=...)); a broken cold chain or a rejected unit is discarded with the reason."""
    t = _transfer_for_update(actor, transfer_id)
    if not _in_orgs(actor, t.to_organization_id, t.region_code, t.to_site.region_code):
        raise PermissionDenied(_("Only the receiving site takes a transfer in."))
    if t.status != Transfer.Status.DISPATCHED:
        raise ServiceError(_("Transfer %(number)s is %(status)s.") % {"number": t.number,
                                                                     "status": Transfer.Status(t.status).label},
                           code="transfer_state")
    temp = _dec(temperature_c, _("Temperature"))
    if temp is None:
        raise ServiceError(_("Record the cool-box temperature on arrival."), code="temperature_required")
    rejected = {int(k): str(v) for k, v in (rejected or {}).items()}
    now = timezone.now()
    arrival_ok = bool(_transport_check(_shipment_groups(t), temp))
    ColdChainReading.objects.create(transfer=t, at=now, temperature_c=temp, place="arrival", in_range=arrival_ok,
                                    recorded_by=_user(actor))
    chain_ok = not t.readings.filter(in_range=False).exists()
    to_site = Site.objects.select_related("organization").get(pk=t.to_site_id)
    accepted = 0
    for item in t.items.select_related("component__component_type", "component__site"):
        comp = item.component
        reason = ""
        if not chain_ok:
            reason = _("cold chain broken in transit")
        elif comp.pk in rejected:
            reason = rejected[comp.pk] or _("rejected on arrival")
        elif comp.expires_at <= now:
            reason = _("expired in transit")
        if reason:
            comp = services.transition_component(actor, comp, CS.IN_TRANSIT, expected=(CS.IN_TRANSIT,), site=to_site,
                                                 note=reason, ref={"transfer": t.pk}, at=now)
            services._discard(actor, comp, DiscardReason.COLD_CHAIN if not chain_ok
                              else (DiscardReason.EXPIRED if comp.expires_at <= now else DiscardReason.OTHER),
                              reason, at=now)
            TransferItem.objects.filter(pk=item.pk).update(accepted=False, reason=str(reason)[:300])
        else:
            services.transition_component(actor, comp, CS.AVAILABLE, expected=(CS.IN_TRANSIT,), site=to_site,
                                          note=_("received on %(number)s") % {"number": t.number},
                                          ref={"transfer": t.pk}, at=now)
            TransferItem.objects.filter(pk=item.pk).update(accepted=True)
            accepted += 1
    before = audit.snapshot(t)
    t.status, t.received_at, t.received_by = Transfer.Status.RECEIVED, now, _user(actor)
    t.save()
    audit.updated(actor, t, before)
    _emit_transfer(t, accepted=accepted)
    return t


@refusable("blood.transfer.cancel", "blood.transfer", "transfer_id")
def cancel_transfer(actor: Actor, transfer_id: int, *, reason: str = "") -> Transfer:
    t = _transfer_for_update(actor, transfer_id)
    if t.status != Transfer.Status.REQUESTED:
        raise ServiceError(_("Only a transfer not yet sent can be cancelled."), code="transfer_state")
    before = audit.snapshot(t)
    t.status = Transfer.Status.CANCELLED
    t.notes = (t.notes + " " + reason.strip()).strip()[:300]
    t.save()
    audit.updated(actor, t, before)
    _emit_transfer(t)
    return t


# --- transfer suggestions: the arithmetic (pure) --------------------------------------------------

# A unit must arrive with at least this much shelf life left for the receiving site to use it.
MIN_SHELF_ON_ARRIVAL_DAYS = 1.0
# Score: a unit saved from outdating counts twice a unit that only relieves a shortage; relief below the amber
# level counts double; every hour on the road costs half a point.
SAVED_WEIGHT = 2.0
RELIEF_WEIGHT = 1.0
BELOW_AMBER_FACTOR = 2.0
TRAVEL_PENALTY_PER_HOUR = 0.5


def units_at_risk(expiry_days: list[float], daily_use: float) -> list[int]:
    """Indices (into expiry_days) of units that will expire before the site uses them.

    The site uses daily_use units a day, soonest-expiring first (FEFO): the k-th unit (0-based, sorted by
    expiry) is used at time (k + 1) / daily_use days; it is at risk if that is later than its expiry.
    """
    order = sorted(range(len(expiry_days)), key=lambda i: expiry_days[i])
    if daily_use <= 0:
        return order
    return [i for k, i in enumerate(order) if (k + 1) / daily_use > expiry_days[i]]


def plan_move(*, source_expiry_days: list[float], source_daily_use: float, source_target_days: float,
              dest_expiry_days: list[float], dest_daily_use: float, dest_target_days: float,
              dest_amber_days: float, travel_hours: float) -> dict:
    """Which source units to move to the destination, and why (pure arithmetic, tested with hand-made numbers).

    Source: units it will not use before they expire (at risk), then its surplus above target cover
    (target_days x daily use), each group soonest-expiring first. Destination: needs enough units to reach
    its target cover, counting only its own units it will use in time. A unit moves only if it reaches the
    destination with MIN_SHELF_ON_ARRIVAL_DAYS left and the destination, using FEFO, reaches it before it
    expires. Score = urgency x (SAVED_WEIGHT x saved + RELIEF_WEIGHT x moved) - TRAVEL_PENALTY_PER_HOUR x hours,
    where saved = moved units that were at risk at the source, urgency = BELOW_AMBER_FACTOR when the
    destination is below its amber level, else 1.
    """
    travel_days = travel_hours / 24.0
    risk = units_at_risk(source_expiry_days, source_daily_use)
    risk_set = set(risk)
    useful_src = sorted((i for i in range(len(source_expiry_days)) if i not in risk_set),
                        key=lambda i: source_expiry_days[i])
    keep = math.ceil(source_target_days * source_daily_use - 1e-9)
    surplus = useful_src[keep:] if len(useful_src) > keep else []
    # Of the useful units, the source keeps its soonest-expiring `keep` (it uses them first); surplus is the rest.
    dest_risk = set(units_at_risk(dest_expiry_days, dest_daily_use))
    dest_useful = sorted(e for i, e in enumerate(dest_expiry_days) if i not in dest_risk)
    dest_cover = len(dest_useful) / dest_daily_use if dest_daily_use > 0 else None
    need = max(0, math.ceil(dest_target_days * dest_daily_use - 1e-9) - len(dest_useful))
    moved: list[int] = []
    queue = list(dest_useful)  # expiry (days from now) of the units the destination will use, FEFO order
    for i in sorted(risk, key=lambda i: source_expiry_days[i]) + surplus:
        if len(moved) >= need or dest_daily_use <= 0:
            break
        e = source_expiry_days[i]
        if e - travel_days < MIN_SHELF_ON_ARRIVAL_DAYS:
            continue
        position = sum(1 for q in queue if q <= e)  # units the destination uses before this one
        used_at = max(travel_days, (position + 1) / dest_daily_use)
        if used_at > e:
            continue
        queue.append(e)
        queue.sort()
        moved.append(i)
    saved = sum(1 for i in moved if i in risk_set)
    below_amber = dest_cover is not None and dest_cover < dest_amber_days
    urgency = BELOW_AMBER_FACTOR if below_amber else 1.0
    score = (urgency * (SAVED_WEIGHT * saved + RELIEF_WEIGHT * len(moved)) - TRAVEL_PENALTY_PER_HOUR * travel_hours
             if moved else 0.0)
    src_after = len(source_expiry_days) - len(moved)
    return {
        "move": moved, "moved": len(moved), "saved": saved, "at_risk": len(risk), "surplus": len(surplus),
        "need": need, "travel_hours": round(travel_hours, 2), "below_amber": below_amber, "score": round(score, 2),
        "source_cover_before": round(len(source_expiry_days) / source_daily_use, 2) if source_daily_use > 0 else None,
        "source_cover_after": round(src_after / source_daily_use, 2) if source_daily_use > 0 else None,
        "dest_cover_before": round(dest_cover, 2) if dest_cover is not None else None,
        "dest_cover_after": round((len(dest_useful) + len(moved)) / dest_daily_use, 2) if dest_daily_use > 0 else None,
    }


# --- transfer suggestions: from the records -------------------------------------------------------


def network_sites(actor: Actor) -> list[Site]:
    """The sites the actor plans for: its own, the hospital banks its UDDs supply, and their suppliers."""
    own = list(actor.scope_queryset(Site.objects.filter(active=True)) if not actor.is_platform_admin
               else Site.objects.filter(active=True))
    ids = {s.pk for s in own}
    udd_ids = {s.pk for s in own if s.kind == Site.Kind.UDD} | {s.supplier_id for s in own if s.supplier_id}
    extra = Site.objects.filter(active=True).filter(Q(supplier_id__in=udd_ids) | Q(pk__in=udd_ids)).exclude(pk__in=ids)
    return own + list(extra)


def travel_hours(a: Site, b: Site) -> tuple[float, bool]:
    """Road travel time between two sites in hours, and whether it is an estimate (no road network, no position)."""
    from siaga.core.permissions import system_actor

    if None in (a.lat, a.lng, b.lat, b.lng):
        return 2.0, True  # unknown positions: a flagged guess of two hours within a province
    try:
        from siaga.routing import query

        t = query.table(system_actor(), [(a.lat, a.lng)], (b.lat, b.lng))
        row = t["results"][0]
        return row["seconds"] / 3600.0, bool(row.get("estimate"))
    except Exception:  # routing unavailable: straight line x detour at 40 km/h, flagged
        from siaga.routing.compile import haversine_m

        metres = float(haversine_m(a.lat, a.lng, b.lat, b.lng)) * 1.6
        return metres / 40000.0, True


def _mean_daily_use(site: Site, ctype: ComponentType, abo: str, rhd: str, on: dt.date, days: int = 7) -> float:
    means = services.weekday_means(site, ctype, abo, rhd, on=on)
    if means is None:
        return 0.0
    factors = services._factors(site, on, on + dt.timedelta(days=days))
    return sum(means[(on + dt.timedelta(days=i)).weekday()] * services._factor_on(factors, on + dt.timedelta(days=i))
               for i in range(days)) / days


def _plan_suggestions(sites: list[Site], ctype: ComponentType, groups, now: dt.datetime, *,
                      to_site_ids=None, exclude_units=frozenset()) -> list[TransferSuggestion]:
    """What to move where among `sites` (one suggestion per source, destination and group), best score first;
    only to the destinations in to_site_ids when given, never offering the units in exclude_units."""
    on = timezone.localdate(now)
    travel_cache: dict[tuple[int, int], tuple[float, bool]] = {}
    out = []
    for abo, rhd in groups:
        state = {}
        for s in sites:
            units = list(Component.objects.filter(site=s, component_type=ctype, abo=abo, rhd=rhd, status=CS.AVAILABLE,
                                                  expires_at__gt=now).order_by("expires_at", "pk")
                         .values_list("pk", "expires_at"))
            target, amber = services.stock_target(s, ctype, abo, rhd)
            state[s.pk] = {"site": s, "ids": [u[0] for u in units],
                           "expiry": [(u[1] - now).total_seconds() / 86400 for u in units],
                           "use": _mean_daily_use(s, ctype, abo, rhd, on), "target": float(target),
                           "amber": float(amber)}
        for src in sites:
            S = state[src.pk]
            if not S["ids"]:
                continue
            for dst in sites:
                if dst.pk == src.pk or (to_site_ids is not None and dst.pk not in to_site_ids):
                    continue
                D = state[dst.pk]
                if D["use"] <= 0:
                    continue
                key = (src.pk, dst.pk)
                if key not in travel_cache:
                    travel_cache[key] = travel_hours(src, dst)
                hours, estimate = travel_cache[key]
                plan = plan_move(source_expiry_days=S["expiry"], source_daily_use=S["use"],
                                 source_target_days=S["target"], dest_expiry_days=D["expiry"],
                                 dest_daily_use=D["use"], dest_target_days=D["target"], dest_amber_days=D["amber"],
                                 travel_hours=hours)
                if not plan["moved"]:
                    continue
                ids = [S["ids"][i] for i in plan["move"]]
                details = {k: v for k, v in plan.items() if k != "move"}
                details.update(travel_estimate=estimate, source_daily_use=round(S["use"], 2),
                               dest_daily_use=round(D["use"], 2))
                sug = TransferSuggestion(organization_id=dst.organization_id, region_code=dst.region_code,
                                         from_site=src, to_site=dst, component_type=ctype, abo=abo, rhd=rhd,
                                         quantity=len(ids), component_ids=ids, score=plan["score"], details=details,
                                         created_at=now)
                out.append(sug)
    out.sort(key=lambda s: -s.score)
    # One destination is not filled twice from the same need, one unit not offered twice: greedy by score.
    used_units: set[int] = set(exclude_units)
    filled: dict[tuple, int] = {}
    final = []
    for sug in out:
        ids = [i for i in sug.component_ids if i not in used_units]
        key = (sug.to_site_id, sug.abo, sug.rhd)
        room = sug.details["need"] - filled.get(key, 0)
        ids = ids[:max(0, room)]
        if not ids:
            continue
        sug.component_ids, sug.quantity = ids, len(ids)
        used_units.update(ids)
        filled[key] = filled.get(key, 0) + len(ids)
        final.append(sug)
    return final


def _save_suggestions(final: list[TransferSuggestion], ctype: ComponentType, groups, *, from_site_ids,
                      to_site_ids) -> None:
    """Store a computation: the open suggestion of the same source, destination, product and group is updated in
    place (it keeps its id, so a page showing it still points at it); open ones no longer made are removed."""
    group_q = Q()
    for abo, rhd in groups:
        group_q |= Q(abo=abo, rhd=rhd)
    scope = TransferSuggestion.objects.filter(group_q, status=TransferSuggestion.Status.OPEN, component_type=ctype,
                                              from_site_id__in=from_site_ids, to_site_id__in=to_site_ids)
    existing: dict[tuple, TransferSuggestion] = {}
    stale = []
    for old in scope.order_by("pk"):
        key = (old.from_site_id, old.to_site_id, old.abo, old.rhd)
        if key in existing:
            stale.append(old.pk)
        else:
            existing[key] = old
    for sug in final:
        old = existing.pop((sug.from_site_id, sug.to_site_id, sug.abo, sug.rhd), None)
        if old is not None:
            sug.pk = old.pk
            sug.save(force_update=True)
        else:
            sug.save()
    stale += [old.pk for old in existing.values()]
    if stale:
        TransferSuggestion.objects.filter(pk__in=stale, status=TransferSuggestion.Status.OPEN).delete()


@transaction.atomic
def suggest_transfers(actor: Actor, *, component_type: str = "PRC", groups=None, persist: bool = True,
                      now: dt.datetime | None = None) -> list[TransferSuggestion]:
    """Compute what to move where within the actor's network (one suggestion per source, destination and group),
    best score first; replaces the open suggestions of the same pairs and groups."""
    actor.require("blood.view")
    _require_any(actor, "blood.manage", "blood.request")
    ctype = ComponentType.objects.filter(code=component_type.upper()).first()
    if ctype is None:
        raise ServiceError(_("Unknown component type: %(code)s.") % {"code": component_type}, code="unknown_component")
    now = now or timezone.now()
    sites = network_sites(actor)
    groups = list(groups or services.GROUPS)
    final = _plan_suggestions(sites, ctype, groups, now)
    if persist:
        site_ids = [s.pk for s in sites]
        _save_suggestions(final, ctype, groups, from_site_ids=site_ids, to_site_ids=site_ids)
    return final


def shortage_network(site: Site) -> list[Site]:
    """The sites that can send units to `site`: itself, the UDD that supplies it (or itself, a UDD) and every
    hospital blood bank that UDD supplies."""
    udd_ids = {site.pk} if site.kind == Site.Kind.UDD else set()
    if site.supplier_id:
        udd_ids.add(site.supplier_id)
    return list(Site.objects.filter(active=True).filter(Q(pk=site.pk) | Q(pk__in=udd_ids) | Q(supplier_id__in=udd_ids))
                .order_by("pk"))


@transaction.atomic
def suggest_for_shortage(site: Site, ctype: ComponentType, abo: str, rhd: str,
                         now: dt.datetime | None = None) -> list[TransferSuggestion]:
    """Suggestions that bring units of one group to one site short of it, from the sites of its network (no actor:
    the stock itself asks). Recomputing replaces, never duplicates; units already offered elsewhere stay there."""
    now = now or timezone.now()
    sites = shortage_network(site)
    offered: set[int] = set()
    elsewhere = TransferSuggestion.objects.filter(status=TransferSuggestion.Status.OPEN, component_type=ctype,
                                                  abo=abo, rhd=rhd).exclude(to_site=site)
    for ids in elsewhere.values_list("component_ids", flat=True):
        offered.update(ids or [])
    final = _plan_suggestions(sites, ctype, [(abo, rhd)], now, to_site_ids={site.pk}, exclude_units=offered)
    _save_suggestions(final, ctype, [(abo, rhd)], from_site_ids=[s.pk for s in sites], to_site_ids=[site.pk])
    return final


def visible_suggestions(actor: Actor) -> QuerySet:
    """Open suggestions touching one of the actor's organisations (as source or destination)."""
    actor.require("blood.view")
    qs = TransferSuggestion.objects.select_related("from_site", "to_site", "component_type")
    if actor.is_platform_admin:
        return qs
    return qs.filter(tree_q(actor, "organization", "region_code")
                     | tree_q(actor, "from_site__organization", "region_code", "from_site__region_code"))


@refusable("blood.suggestion.dismiss", "blood.transfersuggestion", "suggestion_id")
def dismiss_suggestion(actor: Actor, suggestion_id: int) -> TransferSuggestion:
    _require_any(actor, "blood.manage", "blood.request")
    sug = visible_suggestions(actor).filter(pk=suggestion_id).first()
    if sug is None:
        raise NotFound(_("Transfer suggestion not found."))
    if sug.status != TransferSuggestion.Status.OPEN:
        raise ServiceError(_("This suggestion is closed."), code="suggestion_closed")
    TransferSuggestion.objects.filter(pk=sug.pk).update(status=TransferSuggestion.Status.DISMISSED)
    audit.record(actor, "update", sug, {"status": [sug.status, TransferSuggestion.Status.DISMISSED]})
    sug.status = TransferSuggestion.Status.DISMISSED
    return sug


# --- donor recall ---------------------------------------------------------------------------------

RED_CELL_CODES = ("PRC", "PRC-LD", "WB")


def groups_running_short(site: Site, *, on: dt.date | None = None, component_type: str = "PRC") -> list[dict]:
    """Red-cell groups whose projected days of cover (forecast with seasonal factors) is below amber."""
    on = on or timezone.localdate()
    ctype = ComponentType.objects.filter(code=component_type).first()
    if ctype is None:
        return []
    out = []
    for abo, rhd in services.GROUPS:
        cover = services.days_of_cover(site, ctype, abo, rhd, on=on)
        target, amber = services.stock_target(site, ctype, abo, rhd)
        if cover is not None and cover < float(amber):
            out.append({"abo": abo, "rhd": rhd, "group": services.group_label(abo, rhd), "days_of_cover": cover,
                        "amber_days": float(amber), "target_days": float(target)})
    return out


def recall_min_days() -> int:
    """A donor is texted at most once in this many days."""
    return int(getattr(settings, "SIAGA_BLOOD_RECALL_MIN_DAYS", 14))


def default_recall_text(site: Site, abo: str, rhd: str) -> str:
    return _("PMI: stok darah golongan %(group)s di %(site)s menipis. Anda sudah boleh donor lagi; kami tunggu "
             "kedatangan Anda. Terima kasih.") % {"group": services.group_label(abo, rhd), "site": site.name}


def _recall_text(site: Site, abo: str, rhd: str, message: str = "") -> str:
    text = (message or "").strip() or default_recall_text(site, abo, rhd)
    if len(text) > 480:
        raise ServiceError(_("The SMS text is too long."), code="sms_too_long")
    return text


def recall_recipients(actor: Actor, site: Site, abo: str, rhd: str, *, include_on_call_panel: bool = True,
                      on: dt.date | None = None) -> dict:
    """Donors a recall of a group at a site would text now, by id: eligible (interval passed, not deferred, SMS
    consent, group confirmed) and not texted in the last recall_min_days(); for a RhD-negative group also the
    on-call panel donors whose RhD-negative red cells can substitute."""
    cutoff = timezone.now() - dt.timedelta(days=recall_min_days())
    recent = RecallMessage.objects.filter(Q(campaign__sent_at__gte=cutoff)
                                          | Q(campaign__sent_at__isnull=True, campaign__created_at__gte=cutoff))
    donors = {d.pk: d for d in services.eligible_donors(actor, site, abo, rhd, on).exclude(recalls__in=recent)}
    if include_on_call_panel and rhd == RhD.NEG:
        for d_abo, d_rhd in preference(ComponentGroup.RED_CELLS, abo, rhd):
            for d in services.eligible_donors(actor, site, d_abo, d_rhd, on, on_call_panel=True).exclude(
                    recalls__in=recent):
                donors.setdefault(d.pk, d)
    return donors


def _no_donors(abo: str, rhd: str) -> ServiceError:
    return ServiceError(_("No eligible %(group)s donor can be texted now (interval, deferral, consent or a recent "
                          "recall).") % {"group": services.group_label(abo, rhd)}, code="no_eligible_donors")


def _queue_recall(actor: Actor, campaign: RecallCampaign, donors: dict) -> None:
    """Queue one text per donor, announce the campaign and hand the texts to the SMS outbox after commit."""
    RecallMessage.objects.bulk_create([RecallMessage(campaign=campaign, donor=d, phone=d.phone)
                                       for d in donors.values()], ignore_conflicts=True)
    emit("blood.recall.created", {"campaign_id": campaign.pk, "site_id": campaign.site_id, "abo": campaign.abo,
                                  "rhd": campaign.rhd, "on_call_panel": campaign.on_call_panel,
                                  "recipients": len(donors)},
         organization=campaign.organization_id, region_code=campaign.region_code)
    transaction.on_commit(lambda: send_recall_messages(campaign.pk), robust=True)


@refusable("blood.recall", "blood.recallcampaign")
def create_recall(actor: Actor, *, site_id: int | None, abo: str, rhd: str, include_on_call_panel: bool = True,
                  message: str = "", reason: str = "") -> RecallCampaign:
    """Text eligible donors of a group running short (interval passed, not deferred, SMS consent, not texted in the
    last days); for a RhD-negative group also the on-call panel donors whose RhD-negative units can substitute."""
    actor.require("blood.manage")
    site = services.own_site(actor, site_id, kind=Site.Kind.UDD)
    abo = services._choice(abo, ABO, "ABO")
    rhd = services._choice(rhd, RhD, "RhD")
    text = _recall_text(site, abo, rhd, message)
    now = timezone.now()
    donors = recall_recipients(actor, site, abo, rhd, include_on_call_panel=include_on_call_panel)
    if not donors:
        raise _no_donors(abo, rhd)
    campaign = RecallCampaign.objects.create(organization_id=site.organization_id, region_code=site.region_code,
                                             site=site, abo=abo, rhd=rhd, on_call_panel=include_on_call_panel,
                                             reason=reason.strip()[:300], message=text, created_at=now,
                                             created_by=_user(actor), recipients=len(donors),
                                             status=RecallCampaign.Status.SENT, sent_at=now, sent_by=_user(actor))
    audit.created(actor, campaign)
    _queue_recall(actor, campaign, donors)
    return campaign


@refusable("blood.recall.propose", "blood.recallcampaign")
def propose_recall(actor: Actor, *, site_id: int | None, abo: str, rhd: str, include_on_call_panel: bool = True,
                   message: str = "", reason: str = "", alert_id: int | None = None) -> RecallCampaign:
    """A draft recall of a group for an officer to check and send (nobody is texted yet). The open draft of the
    same site and group is reused, so a shortage raised again does not propose a second one."""
    actor.require("blood.manage")
    site = services.own_site(actor, site_id, kind=Site.Kind.UDD)
    abo = services._choice(abo, ABO, "ABO")
    rhd = services._choice(rhd, RhD, "RhD")
    text = _recall_text(site, abo, rhd, message)
    n = len(recall_recipients(actor, site, abo, rhd, include_on_call_panel=include_on_call_panel))
    draft = (RecallCampaign.objects.select_for_update().filter(site=site, abo=abo, rhd=rhd,
                                                               status=RecallCampaign.Status.DRAFT)
             .order_by("pk").first())
    if draft is not None:
        before = audit.snapshot(draft)
        draft.recipients = n
        if alert_id is not None:
            draft.alert_id = alert_id
        draft.save(update_fields=["recipients", "alert"])
        audit.updated(actor, draft, before)
        return draft
    campaign = RecallCampaign.objects.create(organization_id=site.organization_id, region_code=site.region_code,
                                             site=site, abo=abo, rhd=rhd, on_call_panel=include_on_call_panel,
                                             reason=reason.strip()[:300], message=text, created_at=timezone.now(),
                                             created_by=_user(actor), recipients=n,
                                             status=RecallCampaign.Status.DRAFT, alert_id=alert_id)
    audit.created(actor, campaign)
    emit("blood.recall.proposed", {"campaign_id": campaign.pk, "site_id": site.pk, "abo": abo, "rhd": rhd,
                                   "eligible": n, "alert_id": alert_id},
         organization=site.organization_id, region_code=site.region_code)
    return campaign


def _own_recall(actor: Actor, campaign_id: int) -> RecallCampaign:
    actor.require("blood.manage")
    c = visible_recalls(actor).filter(pk=campaign_id).first()
    if c is None:
        raise NotFound(_("Recall not found."))
    services.own_site(actor, c.site_id, kind=Site.Kind.UDD)  # the UDD's own officers only
    return c


@refusable("blood.recall.send", "blood.recallcampaign", "campaign_id")
def send_recall(actor: Actor, campaign_id: int) -> RecallCampaign:
    """Send a proposed recall: the donors eligible now (checked again at this moment) are texted once. Sending a
    recall already sent changes nothing; a withdrawn one cannot be sent."""
    c = _own_recall(actor, campaign_id)
    if c.status == RecallCampaign.Status.SENT:
        return c
    if c.status == RecallCampaign.Status.WITHDRAWN:
        raise ServiceError(_("This recall was withdrawn; propose a new one."), code="recall_withdrawn")
    donors = recall_recipients(actor, c.site, c.abo, c.rhd, include_on_call_panel=c.on_call_panel)
    if not donors:
        raise _no_donors(c.abo, c.rhd)
    now = timezone.now()
    # Claimed with a conditional update: two officers pressing Send at once text the donors once.
    claimed = RecallCampaign.objects.filter(pk=c.pk, status=RecallCampaign.Status.DRAFT).update(
        status=RecallCampaign.Status.SENT, sent_at=now, sent_by=_user(actor), recipients=len(donors))
    if not claimed:
        return RecallCampaign.objects.get(pk=c.pk)
    audit.record(actor, "update", c, {"status": [c.status, RecallCampaign.Status.SENT],
                                      "recipients": [c.recipients, len(donors)]})
    c.refresh_from_db()
    _queue_recall(actor, c, donors)
    return c


@refusable("blood.recall.withdraw", "blood.recallcampaign", "campaign_id")
def withdraw_recall(actor: Actor, campaign_id: int) -> RecallCampaign:
    """Set a proposed recall aside without texting anyone."""
    c = _own_recall(actor, campaign_id)
    if c.status != RecallCampaign.Status.DRAFT:
        raise ServiceError(_("Only a proposed recall can be withdrawn."), code="recall_not_draft")
    RecallCampaign.objects.filter(pk=c.pk, status=RecallCampaign.Status.DRAFT).update(
        status=RecallCampaign.Status.WITHDRAWN)
    audit.record(actor, "update", c, {"status": [c.status, RecallCampaign.Status.WITHDRAWN]})
    c.status = RecallCampaign.Status.WITHDRAWN
    return c


# --- what Siaga does by itself when red cells run short ------------------------------------------------

SHORTAGE_SWEEP_AFTER = dt.timedelta(minutes=2)


def respond_to_shortage(alert_id: int) -> dict | None:
    """When a red-cell shortage alert is raised: compute the transfer suggestions that bring that group to that
    site, and (at a UDD) propose a draft recall of the group's eligible donors for an officer to send. Runs after
    the commit that raised the alert (and from the periodic sweep if that process stopped before); once per
    alert, the answer kept in the alert's details["response"]. Returns it, or None for an alert it does not
    concern (cleared, near expiry, not red cells)."""
    from siaga.core.permissions import system_actor

    with transaction.atomic():
        alert = (StockAlert.objects.select_for_update(of=("self",)).select_related("site", "component_type")
                 .filter(pk=alert_id).first())
        if (alert is None or alert.cleared_at is not None or alert.kind != StockAlert.Kind.SHORTAGE
                or alert.component_type.code not in RED_CELL_CODES or not alert.abo or not alert.rhd):
            return None
        if "response" in (alert.details or {}):
            return alert.details["response"]
        site, abo, rhd = alert.site, alert.abo, alert.rhd
        suggestions = suggest_for_shortage(site, alert.component_type, abo, rhd)
        recall = None
        if site.kind == Site.Kind.UDD:
            try:
                recall = propose_recall(system_actor(), site_id=site.pk, abo=abo, rhd=rhd, alert_id=alert.pk)
            except (ServiceError, PermissionDenied):  # recorded as refused; the suggestions still stand
                log.exception("no recall proposed for alert %s", alert.pk)
        response = {"suggestions": len(suggestions), "units": sum(s.quantity for s in suggestions),
                    "suggestion_ids": [s.pk for s in suggestions], "recall_id": recall.pk if recall else None,
                    "recall_eligible": recall.recipients if recall else 0, "at": timezone.now().isoformat()}
        StockAlert.objects.filter(pk=alert.pk).update(details={**alert.details, "response": response})
        emit("blood.shortage.response", {"alert_id": alert.pk, "site_id": site.pk,
                                         "component_type": alert.component_type.code, "abo": abo, "rhd": rhd,
                                         **{k: response[k] for k in ("suggestions", "units", "recall_id",
                                                                     "recall_eligible")}},
             organization=site.organization_id, region_code=site.region_code)
    return response


def respond_to_open_shortages(now: dt.datetime | None = None) -> int:
    """Periodic: red-cell shortage alerts still without a response (the process that raised one stopped before
    its after-commit step) get one. Returns how many were answered."""
    now = now or timezone.now()
    pending = (StockAlert.objects.filter(kind=StockAlert.Kind.SHORTAGE, cleared_at__isnull=True,
                                         component_type__code__in=RED_CELL_CODES,
                                         raised_at__lte=now - SHORTAGE_SWEEP_AFTER)
               .exclude(details__has_key="response").values_list("pk", flat=True))
    done = 0
    for pk in list(pending):
        try:
            done += respond_to_shortage(pk) is not None
        except Exception:  # one site's failure must not stop the others
            log.exception("shortage response failed for alert %s", pk)
    return done


def send_recall_messages(campaign_id: int | None = None, limit: int = 1000) -> int:
    """Hand queued recall texts to the SMS outbox (siaga.callcenter.sms: stored, then the configured gateway);
    each RecallMessage is claimed with a conditional update so two workers never send one twice."""
    from siaga.callcenter import sms

    qs = RecallMessage.objects.filter(status=RecallMessage.Status.QUEUED).select_related("campaign")
    if campaign_id is not None:
        qs = qs.filter(campaign_id=campaign_id)
    sent = 0
    for msg in qs.order_by("pk")[:limit]:
        with transaction.atomic():
            claimed = RecallMessage.objects.filter(pk=msg.pk, status=RecallMessage.Status.QUEUED).update(
                status=RecallMessage.Status.SENT, sent_at=timezone.now())
            if not claimed:
                continue
            try:
                with transaction.atomic():
                    out = sms.send_sms(msg.campaign.organization, msg.phone, msg.campaign.message, kind="blood_recall")
            except ServiceError as exc:
                RecallMessage.objects.filter(pk=msg.pk).update(status=RecallMessage.Status.FAILED,
                                                               gateway_id=str(exc.code)[:100])
                continue
            RecallMessage.objects.filter(pk=msg.pk).update(gateway_id=f"sms:{out.pk}")
            sent += 1
    return sent


def visible_recalls(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(RecallCampaign.objects.select_related("site"))


# --- production hint ------------------------------------------------------------------------------


def production_hint(site: Site, abo: str, rhd: str, *, on: dt.date | None = None, horizon_days: int = 7) -> dict:
    """What to make from a new whole-blood bag, from forecast demand: red cells always; platelets when the
    forecast platelet use over their short shelf life is not covered; plasma when its cover is under target."""
    on = on or timezone.localdate()
    hint = ["PRC"]
    why = {"PRC": _("red cells are always separated")}
    for code in ("TC", "FFP"):
        ctype = ComponentType.objects.filter(code=code).first()
        if ctype is None:
            continue
        use = _mean_daily_use(site, ctype, abo, rhd, on, days=horizon_days)
        cover = services.days_of_cover(site, ctype, abo, rhd, on=on)
        target, _amber = services.stock_target(site, ctype, abo, rhd)
        if use > 0 and (cover is None or cover < float(target)):
            hint.append(code)
            why[code] = _("forecast %(use).1f a day, cover %(cover)s days below the %(target)s-day target") % {
                "use": use, "cover": "-" if cover is None else f"{cover:.1f}", "target": target}
        else:
            why[code] = _("no forecast demand") if use <= 0 else _("cover %(cover).1f days meets the target") % {
                "cover": cover}
    return {"make": hint, "why": why}
