"""Write path of the blood service (donors to components and stock): every function checks permission, runs in one
transaction, writes the audit trail and queues its events. Requests, issue and transfers are in services_issue.py.

Units change status only through transition_component(): a conditional UPDATE on (pk, status, version)
that bumps version, so two writers can never move one unit twice (on SQLite and PostgreSQL alike).
Screening: a donation's components stay in quarantine until the four infectious markers and the
grouping are in; all non-reactive releases them; any reactive discards every component of the
donation, defers the donor permanently and raises a lookback over the donor's earlier donations.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections import defaultdict
from decimal import Decimal

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import Organization
from siaga.core.permissions import Actor
from siaga.core.services import validate_region_code

from . import eligibility, isbt
from . import nik as nik_mod
from .models import (
    ABO,
    INFECTIOUS_MARKERS,
    Appointment,
    ON_SHELF_STATUSES,
    Component,
    ComponentEvent,
    ComponentStatus,
    ComponentType,
    Counter,
    DailyUsage,
    DemandFactor,
    Deferral,
    Discard,
    DiscardReason,
    Donation,
    DonationSession,
    Donor,
    DonorType,
    DonorVisit,
    IssueItem,
    Lookback,
    LookbackItem,
    Procedure,
    ProductCode,
    RecallCampaign,
    Reservation,
    RhD,
    ScreeningResult,
    Sex,
    Site,
    StockAlert,
    StockTarget,
)

log = logging.getLogger(__name__)

CS = ComponentStatus

# Which status may follow which; transitions outside this table are refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    CS.QUARANTINE: frozenset({CS.AVAILABLE, CS.DISCARDED, CS.EXPIRED}),
    CS.AVAILABLE: frozenset({CS.RESERVED, CS.ISSUED, CS.IN_TRANSIT, CS.DISCARDED, CS.EXPIRED, CS.QUARANTINE}),
    CS.RESERVED: frozenset({CS.AVAILABLE, CS.ISSUED, CS.DISCARDED, CS.EXPIRED}),
    CS.ISSUED: frozenset({CS.TRANSFUSED, CS.AVAILABLE, CS.DISCARDED}),  # AVAILABLE: returned with cold chain kept
    CS.IN_TRANSIT: frozenset({CS.AVAILABLE, CS.DISCARDED, CS.EXPIRED}),
    CS.TRANSFUSED: frozenset(),
    CS.DISCARDED: frozenset(),
    CS.EXPIRED: frozenset({CS.DISCARDED}),  # an outdated unit is destroyed and recorded as discarded (outdate)
}

DEFAULT_TARGET_DAYS = Decimal("6")
DEFAULT_AMBER_DAYS = Decimal("2")
FORECAST_WEEKS = 8
NEAR_EXPIRY_HOURS = 72
# Whole-blood components a bag can be split into, and the ones only made from another component.
PRIMARY_FROM_WHOLE_BLOOD = {"WB", "PRC", "PRC-LD", "TC", "FFP"}
PRIMARY_FROM_APHERESIS = {Procedure.APHERESIS_PLATELETS: {"TC-APH"}, Procedure.APHERESIS_PLASMA: {"FFP"}}
ALL_MARKERS = (*INFECTIOUS_MARKERS, ScreeningResult.Marker.GROUPING)


# --- helpers ------------------------------------------------------------------------------------


def _user(actor: Actor):
    user = getattr(actor, "user", None)
    return user if getattr(user, "pk", None) else None


def next_number(key: str, year: int) -> int:
    """The next number of a counter (row-locked: concurrent callers queue, none gets the same number)."""
    for _attempt in range(3):
        Counter.objects.get_or_create(key=key, year=year)
        updated = Counter.objects.filter(key=key, year=year).update(last=F("last") + 1)
        if updated:
            return Counter.objects.get(key=key, year=year).last
    raise Conflict(_("Could not draw a number; try again."))  # pragma: no cover


def normalize_phone(raw: str) -> str:
    """A phone number in E.164 (+62...), read as Indonesian when it has no country code; "" stays ""."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, "ID")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ServiceError(_("%(phone)s is not a valid phone number.") % {"phone": raw[:30]}, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _choice(value: str, choices, label: str, *, blank: bool = False) -> str:
    value = value or ""
    if blank and value == "":
        return ""
    if value not in choices.values:
        raise ServiceError(_("Unknown %(what)s: %(value)s.") % {"what": label, "value": value or "-"},
                           code="invalid_choice", details={"field": label, "allowed": list(choices.values)})
    return value


def group_label(abo: str, rhd: str) -> str:
    return (abo or "?") + {"pos": "+", "neg": "−"}.get(rhd, "")


# --- refusals are auditable -----------------------------------------------------------------------


# Refused writes leave an audit record of the attempt (shared with every app: siaga.core.audit).
record_refusal = audit.record_refusal
refusable = audit.refusable


# --- sites --------------------------------------------------------------------------------------


def visible_sites(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(Site.objects.all()).select_related("organization")


def get_site(actor: Actor, site_id: int) -> Site:
    site = visible_sites(actor).filter(pk=site_id).first()
    if site is None:
        raise NotFound(_("Blood site not found."))
    return site


def own_site(actor: Actor, site_id: int | None, *, kind: str | None = None) -> Site:
    """A site of the actor's own organisations (the one given, or the actor's only one of that kind)."""
    qs = actor.scope_queryset(Site.objects.filter(active=True)).select_related("organization")
    if kind:
        qs = qs.filter(kind=kind)
    if site_id is None:
        sites = list(qs[:2])
        if len(sites) != 1:
            raise ServiceError(_("Choose a blood site."), code="site_required")
        return sites[0]
    site = qs.filter(pk=site_id).first()
    if site is None:
        raise NotFound(_("Blood site not found."))
    return site


@refusable("create_site", "blood.site")
def create_site(actor: Actor, *, organization_id: int, code: str, name: str, kind: str, region_code: str = "",
                address: str = "", phone: str = "", lat: float | None = None, lng: float | None = None,
                isbt_fin: str = "", supplier_id: int | None = None, public: bool = True) -> Site:
    """Register a UDD or a hospital blood bank of an organisation the actor manages."""
    if not (actor.has("blood.manage") or actor.has("organization.manage")):
        actor.require("blood.manage")
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None or not actor.can_see(org.pk, org.region_code):
        raise NotFound(_("Organisation not found."))
    kind = _choice(kind, Site.Kind, "kind")
    region_code = validate_region_code(region_code or org.region_code)
    actor.require_region(region_code)
    if isbt_fin:
        isbt.make_din(isbt_fin, 2000, 1)  # validates the FIN's shape
    if Site.objects.filter(code=code).exists():
        raise Conflict(_("A blood site with code %(code)s exists already.") % {"code": code}, code="duplicate_code")
    supplier = Site.objects.filter(pk=supplier_id, kind=Site.Kind.UDD).first() if supplier_id else None
    site = Site.objects.create(organization=org, code=code, name=name, kind=kind, region_code=region_code,
                               address=address, phone=phone, lat=lat, lng=lng, isbt_fin=isbt_fin.upper(),
                               supplier=supplier, public=public)
    audit.created(actor, site)
    return site


# --- donors -------------------------------------------------------------------------------------


def visible_donors(actor: Actor) -> QuerySet:
    """Donors registered by the actor's organisations (a UDD sees its own donors)."""
    actor.require("blood.view")
    return actor.scope_queryset(Donor.objects.all())


def get_donor(actor: Actor, donor_id: int) -> Donor:
    donor = visible_donors(actor).select_related("site", "organization").filter(pk=donor_id).first()
    if donor is None:
        raise NotFound(_("Donor not found."))
    return donor


def _donor_for_update(actor: Actor, donor_id: int) -> Donor:
    actor.require("blood.manage")
    pk = visible_donors(actor).filter(pk=donor_id).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("Donor not found."))
    return Donor.objects.select_for_update().get(pk=pk)


def find_donor_by_nik(actor: Actor, raw_nik: str) -> Donor | None:
    """The actor's donor with this NIK, found through the keyed hash (no scan of plain NIKs)."""
    return visible_donors(actor).filter(nik_hash=nik_mod.nik_hash(raw_nik)).first()


def possible_duplicates(actor: Actor, *, name: str, birth_date: dt.date, phone: str = "") -> list[Donor]:
    """Donors who may be the same person registered under another NIK: same birth date and name or phone."""
    qs = visible_donors(actor).filter(birth_date=birth_date)
    cond = Q(name__iexact=name.strip())
    if phone:
        try:
            cond |= Q(phone=normalize_phone(phone))
        except ServiceError:
            pass
    return list(qs.filter(cond)[:10])


@refusable("register_donor", "blood.donor")
def register_donor(actor: Actor, *, nik: str, name: str, sex: str, birth_date: dt.date, site_id: int | None = None,
                   phone: str = "", address: str = "", home_region_code: str = "", abo: str = "", rhd: str = "",
                   donor_type: str = DonorType.VOLUNTARY, on_call_panel: bool = False,
                   sms_consent: bool = True) -> Donor:
    """Register a donor at one of the actor's UDDs. A NIK already registered there is refused (with its donor)."""
    actor.require("blood.manage")
    site = own_site(actor, site_id, kind=Site.Kind.UDD)
    info = nik_mod.parse(nik)
    sex = _choice(sex, Sex, "sex")
    nik_mod.check_matches(info, birth_date, sex)
    name = (name or "").strip()
    if len(name) < 2:
        raise ServiceError(_("Give the donor's name."), code="name_required")
    abo = _choice(abo, ABO, "ABO", blank=True)
    rhd = _choice(rhd, RhD, "RhD", blank=True)
    donor_type = _choice(donor_type, DonorType, "donor type")
    home_region_code = validate_region_code(home_region_code)
    hashed = nik_mod.nik_hash(info.nik)
    existing = Donor.objects.filter(organization=site.organization, nik_hash=hashed).first()
    if existing is not None:
        raise Conflict(_("This NIK is registered already as donor %(number)s.") % {"number": existing.number},
                       code="duplicate_donor", details={"donor_id": existing.pk})
    number = f"D{site.organization_id:03d}-{next_number(f'donor:{site.organization_id}', 0):06d}"
    try:
        with transaction.atomic():
            donor = Donor.objects.create(
                organization=site.organization, region_code=site.region_code, site=site, number=number,
                nik=info.nik, nik_hash=hashed, name=name, sex=sex, birth_date=birth_date,
                phone=normalize_phone(phone), address=address.strip(), home_region_code=home_region_code,
                abo=abo, rhd=rhd, donor_type=donor_type, on_call_panel=on_call_panel, sms_consent=sms_consent,
                next_eligible_on=timezone.localdate(), created_by=_user(actor),
            )
    except IntegrityError:
        raise Conflict(_("This NIK is registered already."), code="duplicate_donor") from None
    audit.created(actor, donor)
    emit("blood.donor.registered", {"donor_id": donor.pk, "number": donor.number, "abo": abo, "rhd": rhd},
         organization=donor.organization, region_code=donor.region_code)
    return donor


DONOR_EDITABLE = ("name", "phone", "address", "home_region_code", "donor_type", "on_call_panel", "sms_consent")


@refusable("update_donor", "blood.donor", "donor_id")
def update_donor(actor: Actor, donor_id: int, **changes) -> Donor:
    """Change a donor's contact details and preferences (the NIK, birth date and a confirmed group stay)."""
    donor = _donor_for_update(actor, donor_id)
    unknown = sorted(set(changes) - set(DONOR_EDITABLE) - {"abo", "rhd"})
    if unknown:
        raise ServiceError(_("These donor fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)},
                           code="not_editable")
    before = audit.snapshot(donor)
    if "phone" in changes:
        changes["phone"] = normalize_phone(changes["phone"])
    if "home_region_code" in changes:
        changes["home_region_code"] = validate_region_code(changes["home_region_code"])
    if "donor_type" in changes:
        _choice(changes["donor_type"], DonorType, "donor type")
    if "abo" in changes or "rhd" in changes:
        if donor.group_confirmed:
            raise ServiceError(_("The donor's group was confirmed by the laboratory and cannot be typed over."),
                               code="group_confirmed")
        changes["abo"] = _choice(changes.get("abo", donor.abo), ABO, "ABO", blank=True)
        changes["rhd"] = _choice(changes.get("rhd", donor.rhd), RhD, "RhD", blank=True)
    for field, value in changes.items():
        setattr(donor, field, value.strip() if isinstance(value, str) and field in ("name", "address") else value)
    donor.save()
    audit.updated(actor, donor, before)
    return donor


def refresh_donor_status(donor: Donor) -> Donor:
    """Recompute the denormalised next eligible date and permanent-deferral flag (part of a services call)."""
    day = timezone.localdate()
    permanent = donor.deferrals.filter(kind=Deferral.Kind.PERMANENT, lifted_at__isnull=True).exists()
    donor.permanently_deferred = permanent
    donor.next_eligible_on = None if permanent else eligibility.next_eligible_date(donor, on=day)
    agg = donor.donations.aggregate(n=Count("pk"))
    donor.donation_count = agg["n"]
    last = donor.donations.order_by("-collected_at").values_list("collected_at", flat=True).first()
    donor.last_donation_at = last
    Donor.objects.filter(pk=donor.pk).update(permanently_deferred=permanent, next_eligible_on=donor.next_eligible_on,
                                             donation_count=donor.donation_count, last_donation_at=last)
    return donor


# --- deferrals ----------------------------------------------------------------------------------


def _create_deferral(actor: Actor, donor: Donor, *, kind: str, reason_code: str, reason: str, ends_on=None,
                     source: str = Deferral.Source.MANUAL, donation: Donation | None = None,
                     starts_on: dt.date | None = None) -> Deferral:
    deferral = Deferral.objects.create(
        organization_id=donor.organization_id, region_code=donor.region_code, donor=donor, kind=kind, source=source,
        reason_code=reason_code[:40], reason=str(reason)[:300], starts_on=starts_on or timezone.localdate(),
        ends_on=None if kind == Deferral.Kind.PERMANENT else ends_on, donation=donation, created_by=_user(actor),
    )
    audit.created(actor, deferral)
    refresh_donor_status(donor)
    emit("blood.donor.deferred", {"donor_id": donor.pk, "deferral_id": deferral.pk, "kind": kind, "source": source,
                                  "reason_code": deferral.reason_code, "ends_on": deferral.ends_on},
         organization=donor.organization_id, region_code=donor.region_code)
    return deferral


@refusable("defer_donor", "blood.donor", "donor_id")
def defer_donor(actor: Actor, donor_id: int, *, kind: str, reason_code: str, reason: str,
                ends_on: dt.date | None = None) -> Deferral:
    """Defer a donor for a period (temporary, with an end date) or for ever (permanent), with the reason."""
    donor = _donor_for_update(actor, donor_id)
    kind = _choice(kind, Deferral.Kind, "deferral kind")
    if not (reason or "").strip() or not (reason_code or "").strip():
        raise ServiceError(_("A deferral needs a reason."), code="reason_required")
    if kind == Deferral.Kind.TEMPORARY and (ends_on is None or ends_on <= timezone.localdate()):
        raise ServiceError(_("A temporary deferral needs an end date after today."), code="ends_on_required")
    return _create_deferral(actor, donor, kind=kind, reason_code=reason_code.strip(), reason=reason.strip(),
                            ends_on=ends_on)


@refusable("lift_deferral", "blood.deferral", "deferral_id")
def lift_deferral(actor: Actor, deferral_id: int, *, reason: str) -> Deferral:
    actor.require("blood.manage")
    deferral = actor.scope_queryset(Deferral.objects.select_for_update()).filter(pk=deferral_id).first()
    if deferral is None:
        raise NotFound(_("Deferral not found."))
    if deferral.lifted_at is not None:
        raise Conflict(_("This deferral was lifted already."), code="already_lifted")
    if deferral.source == Deferral.Source.SCREENING:
        raise ServiceError(_("A deferral for a reactive screening result cannot be lifted here."),
                           code="screening_deferral")
    if not (reason or "").strip():
        raise ServiceError(_("Say why the deferral is lifted."), code="reason_required")
    before = audit.snapshot(deferral)
    deferral.lifted_at, deferral.lifted_by, deferral.lift_reason = timezone.now(), _user(actor), reason.strip()[:300]
    deferral.save()
    audit.updated(actor, deferral, before)
    refresh_donor_status(deferral.donor)
    return deferral


# --- sessions -----------------------------------------------------------------------------------


def visible_sessions(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(DonationSession.objects.all()).select_related("site")


def get_session(actor: Actor, session_id: int) -> DonationSession:
    s = visible_sessions(actor).filter(pk=session_id).first()
    if s is None:
        raise NotFound(_("Donation session not found."))
    return s


def public_sessions(*, site_ids=None, days: int = 60) -> QuerySet:
    """Upcoming public sessions (the donors' schedule of mobile drives): no login needed, nothing personal."""
    now = timezone.now()
    qs = DonationSession.objects.filter(public=True, ends_at__gte=now, starts_at__lte=now + dt.timedelta(days=days),
                                        status__in=[DonationSession.Status.PLANNED, DonationSession.Status.OPEN])
    if site_ids is not None:
        qs = qs.filter(site_id__in=site_ids)
    return qs.select_related("site").order_by("starts_at")


def _emit_session(s: DonationSession):
    emit("blood.session.changed", {"session_id": s.pk, "site_id": s.site_id, "kind": s.kind, "name": s.name,
                                   "status": s.status, "starts_at": s.starts_at},
         organization=s.organization_id, region_code=s.region_code)


@refusable("create_session", "blood.donationsession")
def create_session(actor: Actor, *, site_id: int | None, kind: str, name: str, starts_at: dt.datetime,
                   ends_at: dt.datetime, location: str = "", location_region_code: str = "", organiser: str = "",
                   organiser_phone: str = "", target_donors: int = 0, lat: float | None = None,
                   lng: float | None = None, public: bool = True) -> DonationSession:
    """Plan a collection session at the UDD or a mobile drive (location, organiser, target)."""
    actor.require("blood.manage")
    site = own_site(actor, site_id, kind=Site.Kind.UDD)
    kind = _choice(kind, DonationSession.Kind, "session kind")
    if ends_at <= starts_at:
        raise ServiceError(_("A session must end after it starts."), code="invalid_times")
    if kind == DonationSession.Kind.MOBILE and not (location or "").strip():
        raise ServiceError(_("A mobile drive needs a location."), code="location_required")
    if target_donors < 0:
        raise ServiceError(_("The target cannot be negative."), code="invalid_target")
    s = DonationSession.objects.create(
        organization=site.organization, region_code=site.region_code, site=site, kind=kind, name=name.strip(),
        location=location.strip() or site.address, location_region_code=validate_region_code(location_region_code),
        lat=lat, lng=lng, organiser=organiser.strip(), organiser_phone=normalize_phone(organiser_phone),
        starts_at=starts_at, ends_at=ends_at, target_donors=target_donors, public=public, created_by=_user(actor),
    )
    audit.created(actor, s)
    _emit_session(s)
    return s


SESSION_TRANSITIONS = {
    DonationSession.Status.PLANNED: {DonationSession.Status.OPEN, DonationSession.Status.CANCELLED},
    DonationSession.Status.OPEN: {DonationSession.Status.CLOSED},
    DonationSession.Status.CLOSED: set(),
    DonationSession.Status.CANCELLED: set(),
}


@refusable("set_session_status", "blood.donationsession", "session_id")
def set_session_status(actor: Actor, session_id: int, status: str) -> DonationSession:
    actor.require("blood.manage")
    pk = visible_sessions(actor).filter(pk=session_id).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("Donation session not found."))
    s = DonationSession.objects.select_for_update().get(pk=pk)
    status = _choice(status, DonationSession.Status, "session status")
    if status not in SESSION_TRANSITIONS[s.status]:
        raise ServiceError(_("A %(from)s session cannot become %(to)s.") % {"from": s.get_status_display(),
                                                                           "to": DonationSession.Status(status).label},
                           code="invalid_transition")
    before = audit.snapshot(s)
    s.status = status
    s.save()
    audit.updated(actor, s, before)
    _emit_session(s)
    return s


# --- visits (eligibility) -----------------------------------------------------------------------


@refusable("record_visit", "blood.donor", "donor_id")
def record_visit(actor: Actor, donor_id: int, *, procedure: str = Procedure.WHOLE_BLOOD, bag_volume_ml: int = 350,
                 session_id: int | None = None, weight_kg=None, hb_g_dl=None, systolic_mmhg=None,
                 diastolic_mmhg=None, pulse_bpm=None, pulse_regular: bool = True, temperature_c=None,
                 platelet_count_k=None, notes: str = "", at: dt.datetime | None = None) -> DonorVisit:
    """Record the pre-donation check and decide eligibility with every rule; refusals carry their reasons.

    A failed rule that asks for a deferral (e.g. fever) defers the donor for that many days.
    """
    donor = _donor_for_update(actor, donor_id)
    procedure = _choice(procedure, Procedure, "procedure")
    if bag_volume_ml not in (250, 350, 450) and procedure == Procedure.WHOLE_BLOOD:
        raise ServiceError(_("A whole-blood bag is 250, 350 or 450 ml."), code="invalid_bag_volume")
    session = None
    if session_id is not None:
        session = visible_sessions(actor).filter(pk=session_id, organization_id=donor.organization_id).first()
        if session is None:
            raise NotFound(_("Donation session not found."))
        if session.status in (DonationSession.Status.CLOSED, DonationSession.Status.CANCELLED):
            raise ServiceError(_("This session is closed."), code="session_closed")
    at = at or timezone.now()
    measurements = {"weight_kg": weight_kg, "hb_g_dl": hb_g_dl, "systolic_mmhg": systolic_mmhg,
                    "diastolic_mmhg": diastolic_mmhg, "pulse_bpm": pulse_bpm, "temperature_c": temperature_c,
                    "platelet_count_k": platelet_count_k}
    for key, value in measurements.items():
        if value is not None and Decimal(str(value)) < 0:
            raise ServiceError(_("%(field)s cannot be negative.") % {"field": key}, code="invalid_measurement")
    refusals = eligibility.check(donor, at=at, procedure=procedure, bag_volume_ml=bag_volume_ml,
                                 pulse_regular=pulse_regular, **measurements)
    visit = DonorVisit.objects.create(
        organization_id=donor.organization_id, region_code=donor.region_code, donor=donor, session=session, at=at,
        procedure=procedure, bag_volume_ml=bag_volume_ml, pulse_regular=pulse_regular, eligible=not refusals,
        refusals=[r.as_dict() for r in refusals], notes=notes[:300], checked_by=_user(actor),
        **{k: (Decimal(str(v)) if k in ("weight_kg", "hb_g_dl", "temperature_c") and v is not None else v)
           for k, v in measurements.items()},
    )
    audit.created(actor, visit)
    longest = max((r for r in refusals if r.deferral_days), key=lambda r: r.deferral_days, default=None)
    if longest is not None:
        _create_deferral(actor, donor, kind=Deferral.Kind.TEMPORARY, reason_code=longest.rule,
                         reason=longest.reason, ends_on=timezone.localdate(at) + dt.timedelta(days=longest.deferral_days),
                         source=Deferral.Source.ELIGIBILITY)
    emit("blood.visit.checked", {"visit_id": visit.pk, "donor_id": donor.pk, "eligible": visit.eligible,
                                 "refusal_codes": [r.code for r in refusals]},
         organization=donor.organization_id, region_code=donor.region_code)
    return visit


# --- donations ----------------------------------------------------------------------------------


def visible_donations(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(Donation.objects.all()).select_related("donor", "site")


def get_donation(actor: Actor, donation_id: int) -> Donation:
    d = visible_donations(actor).filter(pk=donation_id).first()
    if d is None:
        raise NotFound(_("Donation not found."))
    return d


def find_donation(actor: Actor, din_text: str) -> Donation:
    """A donation by its DIN as typed or scanned; a wrong check character is refused (and audited) first."""
    try:
        din = isbt.parse(din_text)
    except isbt.InvalidDin as exc:
        record_refusal(actor, "find_donation", "blood.donation", (din_text or "")[:40], exc)
        raise
    d = visible_donations(actor).filter(din=din.din).first()
    if d is None:
        raise NotFound(_("No donation with number %(din)s.") % {"din": din.din})
    return d


def _donation_for_update(actor: Actor, donation_id: int) -> Donation:
    actor.require("blood.manage")
    pk = visible_donations(actor).filter(pk=donation_id).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound(_("Donation not found."))
    return Donation.objects.select_for_update().select_related("donor", "site").get(pk=pk)


def production_hint(site: Site, abo: str, rhd: str, on: dt.date | None = None) -> list[str]:
    """Which components to make from a new whole-blood bag: red cells always; platelets and plasma when forecast
    demand for them is not covered by stock (platelets keep 5 days, so they are made only when needed)."""
    hint = ["PRC"]
    if not abo or not rhd:
        return hint + ["FFP"]
    for code in ("TC", "FFP"):
        ctype = ComponentType.objects.filter(code=code).first()
        if ctype is None:
            continue
        cover = days_of_cover(site, ctype, abo, rhd, on=on)
        target, _amber = stock_target(site, ctype, abo, rhd)
        if cover is not None and cover < float(target):
            hint.append(code)
        elif cover is None and code == "FFP":
            hint.append(code)  # plasma keeps a year: make it unless demand is known to be covered
    return hint


@refusable("record_donation", "blood.donorvisit", "visit_id")
def record_donation(actor: Actor, *, visit_id: int, bag_type: str, volume_ml: int,
                    anticoagulant: str = Donation.Anticoagulant.CPDA1, donor_type: str | None = None,
                    collected_at: dt.datetime | None = None, site_id: int | None = None) -> Donation:
    """Record a collection after an eligible visit: the donation gets its ISBT 128 DIN and check character."""
    actor.require("blood.manage")
    visit = actor.scope_queryset(DonorVisit.objects.select_for_update()).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound(_("Visit not found."))
    if not visit.eligible:
        raise ServiceError(_("This donor was not eligible at the check: %(reasons)s")
                           % {"reasons": "; ".join(r.get("reason", "") for r in visit.refusals)},
                           code="not_eligible", details={"refusals": visit.refusals})
    if Donation.objects.filter(visit=visit).exists():
        raise Conflict(_("A donation was recorded for this visit already."), code="visit_used")
    collected_at = collected_at or timezone.now()
    if collected_at < visit.at or collected_at - visit.at > dt.timedelta(hours=12):
        raise ServiceError(_("The donation must follow its check on the same day; check the donor again."),
                           code="visit_stale")
    donor = Donor.objects.select_for_update().get(pk=visit.donor_id)
    # The state may have changed since the check (a result came in, another donation was recorded).
    again = eligibility.check(donor, at=collected_at, procedure=visit.procedure, bag_volume_ml=visit.bag_volume_ml,
                              pulse_regular=visit.pulse_regular,
                              **{m: getattr(visit, m) for m in eligibility.MEASURED})
    if again:
        raise ServiceError(_("This donor is not eligible now: %(reasons)s")
                           % {"reasons": "; ".join(str(r.reason) for r in again)},
                           code="not_eligible", details={"refusals": [r.as_dict() for r in again]})
    site = own_site(actor, site_id or (visit.session.site_id if visit.session_id else donor.site_id),
                    kind=Site.Kind.UDD)
    if not site.isbt_fin:
        raise ServiceError(_("The site %(site)s has no ISBT 128 facility identification number.") % {"site": site.name},
                           code="fin_missing")
    bag_type = _choice(bag_type, Donation.BagType, "bag type")
    anticoagulant = _choice(anticoagulant, Donation.Anticoagulant, "anticoagulant")
    if not 50 <= volume_ml <= 700:
        raise ServiceError(_("The volume must be between 50 and 700 ml."), code="invalid_volume")
    year = timezone.localdate(collected_at).year
    din = isbt.make_din(site.isbt_fin, year, next_number(f"din:{site.isbt_fin}", year))
    donation = Donation.objects.create(
        organization=site.organization, region_code=site.region_code, site=site, session=visit.session,
        donor=donor, visit=visit, din=din.din, din_flags=din.flags, din_check=din.check,
        procedure=visit.procedure, donor_type=_choice(donor_type or donor.donor_type, DonorType, "donor type"),
        bag_type=bag_type, anticoagulant=anticoagulant, volume_ml=volume_ml, collected_at=collected_at,
        production_hint=production_hint(site, donor.abo if donor.group_confirmed else "",
                                        donor.rhd if donor.group_confirmed else ""),
        collected_by=_user(actor),
    )
    audit.created(actor, donation)
    refresh_donor_status(donor)
    emit("blood.donation.recorded", {"donation_id": donation.pk, "din": donation.din, "site_id": site.pk,
                                     "donor_id": donor.pk, "procedure": donation.procedure,
                                     "volume_ml": donation.volume_ml, "collected_at": donation.collected_at,
                                     "production_hint": donation.production_hint},
         organization=site.organization, region_code=site.region_code)
    return donation


@refusable("record_adverse_reaction", "blood.donation", "donation_id")
def record_adverse_reaction(actor: Actor, donation_id: int, *, severity: str, notes: str = "",
                            defer_days: int = 0) -> Donation:
    """Record a donor's reaction to the donation; optionally defer the donor for a while."""
    donation = _donation_for_update(actor, donation_id)
    severity = _choice(severity, Donation.Reaction, "reaction")
    before = audit.snapshot(donation)
    donation.adverse_reaction, donation.adverse_reaction_notes = severity, notes.strip()[:300]
    donation.save()
    audit.updated(actor, donation, before)
    if defer_days:
        if defer_days < 0:
            raise ServiceError(_("The deferral must be a positive number of days."), code="invalid_deferral")
        _create_deferral(actor, donation.donor, kind=Deferral.Kind.TEMPORARY, reason_code="adverse_reaction",
                         reason=_("Adverse reaction at donation %(din)s") % {"din": donation.din},
                         ends_on=timezone.localdate() + dt.timedelta(days=defer_days),
                         source=Deferral.Source.ADVERSE_REACTION, donation=donation)
    return donation


# --- components ---------------------------------------------------------------------------------


def visible_components(actor: Actor) -> QuerySet:
    """Units held by the actor's organisations (a hospital sees its own blood bank's stock)."""
    actor.require("blood.view")
    return actor.scope_queryset(Component.objects.all()).select_related("component_type", "site")


def get_component(actor: Actor, component_id: int) -> Component:
    c = visible_components(actor).filter(pk=component_id).first()
    if c is None:
        raise NotFound(_("Unit not found."))
    return c


def shelf_life_hours(ctype: ComponentType, product: ProductCode | None) -> int:
    return product.shelf_life_hours if product is not None and product.shelf_life_hours else ctype.shelf_life_hours


def _donation_group(donation: Donation) -> tuple[str, str]:
    grouping = donation.results.filter(marker=ScreeningResult.Marker.GROUPING).first()
    if grouping is not None:
        return grouping.abo, grouping.rhd
    if donation.donor.group_confirmed:
        return donation.donor.abo, donation.donor.rhd
    return "", ""


@refusable("separate_components", "blood.donation", "donation_id")
def separate_components(actor: Actor, donation_id: int, *, components: list[dict],
                        prepared_at: dt.datetime | None = None) -> list[Component]:
    """Split a donation into components: [{"type": "PRC", "volume_ml": 200, "product_code": "PRC-CPDA1"}, ...].

    Expiry counts from the collection time (shelf life of the product code, else of the component type).
    Units stay in quarantine until screening releases the donation.
    """
    donation = _donation_for_update(actor, donation_id)
    if donation.status == Donation.Status.DISCARDED:
        raise ServiceError(_("This donation was discarded."), code="donation_discarded")
    if not components:
        raise ServiceError(_("Name at least one component."), code="components_required")
    prepared_at = prepared_at or timezone.now()
    if prepared_at < donation.collected_at:
        raise ServiceError(_("Components cannot be prepared before the blood was collected."), code="invalid_times")
    allowed = (PRIMARY_FROM_WHOLE_BLOOD if donation.procedure == Procedure.WHOLE_BLOOD
               else PRIMARY_FROM_APHERESIS.get(donation.procedure, set()))
    abo, rhd = _donation_group(donation)
    status = CS.AVAILABLE if donation.status == Donation.Status.RELEASED else CS.QUARANTINE
    total = 0
    made = []
    seen = set()
    for spec in components:
        code = str(spec.get("type", "")).upper()
        ctype = ComponentType.objects.filter(code=code, active=True).first()
        if ctype is None:
            raise ServiceError(_("Unknown component type: %(code)s.") % {"code": code or "-"}, code="unknown_component")
        if code not in allowed:
            raise ServiceError(_("%(code)s cannot be made directly from this donation.") % {"code": code},
                               code="component_not_allowed")
        division = str(spec.get("division", ""))[:2].upper()
        if (code, division) in seen or donation.components.filter(component_type=ctype, division=division).exists():
            raise Conflict(_("This donation already has a %(code)s unit.") % {"code": code}, code="duplicate_component")
        seen.add((code, division))
        product = None
        if spec.get("product_code"):
            product = ProductCode.objects.filter(code=spec["product_code"], component_type=ctype, active=True).first()
            if product is None:
                raise ServiceError(_("Product code %(code)s is not a %(type)s code.")
                                   % {"code": spec["product_code"], "type": code}, code="unknown_product_code")
        volume = int(spec.get("volume_ml") or ctype.default_volume_ml)
        if volume <= 0:
            raise ServiceError(_("A unit's volume must be positive."), code="invalid_volume")
        total += volume if code != "WB" else 0
        expires_at = donation.collected_at + dt.timedelta(hours=shelf_life_hours(ctype, product))
        comp = Component.objects.create(
            organization_id=donation.organization_id, region_code=donation.region_code, site=donation.site,
            origin_organization_id=donation.organization_id, donation=donation, component_type=ctype,
            product_code=product, din=donation.din, division=division, abo=abo, rhd=rhd, volume_ml=volume,
            collected_at=donation.collected_at, prepared_at=prepared_at, expires_at=expires_at, status=status,
            status_changed_at=prepared_at,
        )
        ComponentEvent.objects.create(component=comp, at=prepared_at, to_status=status, site=donation.site,
                                      actor=_user(actor), note=_("prepared"))
        audit.created(actor, comp)
        made.append(comp)
    if total > donation.volume_ml:
        raise ServiceError(_("The components add up to %(total)s ml, more than the %(volume)s ml collected.")
                           % {"total": total, "volume": donation.volume_ml}, code="volume_exceeded")
    donation.separated_at = donation.separated_at or prepared_at
    donation.save(update_fields=["separated_at"])
    for comp in made:
        if comp.abo and comp.rhd:
            record_usage(comp.site, comp.component_type, comp.abo, comp.rhd, "collected",
                         on=timezone.localdate(donation.collected_at))
        _stock_changed(comp.site, comp.component_type, comp.abo, comp.rhd)
    return made


@refusable("derive_component", "blood.component", "component_id")
def derive_component(actor: Actor, component_id: int, *, type_code: str, volume_ml: int | None = None,
                     prepared_at: dt.datetime | None = None) -> Component:
    """Make a component from another one (washed red cells from PRC, cryo from FFP); the parent is used up."""
    actor.require("blood.manage")
    parent = get_component(actor, component_id)
    ctype = ComponentType.objects.filter(code=type_code.upper(), active=True).first()
    if ctype is None or ctype.derived_from_id != parent.component_type_id:
        raise ServiceError(_("%(code)s is not made from %(parent)s.") % {"code": type_code,
                                                                        "parent": parent.component_type.code},
                           code="component_not_allowed")
    if parent.status not in (CS.AVAILABLE, CS.QUARANTINE):
        raise ServiceError(_("Only a unit in stock can be processed."), code="not_in_stock")
    prepared_at = prepared_at or timezone.now()
    if prepared_at >= parent.expires_at:
        raise ServiceError(_("The unit has expired."), code="expired")
    # Processing opens the bag: the new product's own shelf life runs from now, never past the parent's.
    expires_at = min(parent.expires_at, prepared_at + dt.timedelta(hours=ctype.shelf_life_hours))
    status = parent.status
    child = Component.objects.create(
        organization_id=parent.organization_id, region_code=parent.region_code, site=parent.site,
        origin_organization_id=parent.origin_organization_id, donation_id=parent.donation_id, parent=parent,
        component_type=ctype, din=parent.din, division=parent.division, abo=parent.abo, rhd=parent.rhd,
        volume_ml=volume_ml or ctype.default_volume_ml or parent.volume_ml, collected_at=parent.collected_at,
        prepared_at=prepared_at, expires_at=expires_at, status=status, status_changed_at=prepared_at,
    )
    ComponentEvent.objects.create(component=child, at=prepared_at, to_status=status, site=parent.site,
                                  actor=_user(actor), note=_("prepared from %(code)s") % {"code": parent.component_type.code},
                                  ref={"parent": parent.pk})
    audit.created(actor, child)
    _discard(actor, parent, DiscardReason.PROCESSED, _("processed into %(code)s") % {"code": ctype.code})
    _stock_changed(child.site, ctype, child.abo, child.rhd)
    return child


def transition_component(actor: Actor | None, component: Component | int, to_status: str, *,
                         expected: tuple[str, ...] | None = None, site: Site | None = None, note: str = "",
                         ref: dict | None = None, at: dt.datetime | None = None) -> Component:
    """Move one unit to another status (and optionally to another site), or refuse if someone else moved it first.

    The UPDATE matches (pk, status in `expected`, version): if another writer changed the unit since
    it was read, nothing is written and Conflict("component_changed") is raised. Must run inside the
    caller's transaction; writes the unit's history, the audit record and the stock events.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition_component() must run inside transaction.atomic()")
    comp = component if isinstance(component, Component) else Component.objects.select_related(
        "component_type", "site").get(pk=component)
    expected = tuple(expected) if expected else (comp.status,)
    if comp.status not in expected:
        raise Conflict(_("Unit %(din)s is %(status)s, not %(expected)s.")
                       % {"din": comp.din, "status": CS(comp.status).label,
                          "expected": ", ".join(str(CS(s).label) for s in expected)},
                       code="component_changed", details={"component_id": comp.pk, "status": comp.status})
    if to_status not in TRANSITIONS.get(comp.status, ()) and not (site is not None and to_status == comp.status):
        raise ServiceError(_("A unit that is %(from)s cannot become %(to)s.")
                           % {"from": CS(comp.status).label, "to": CS(to_status).label},
                           code="invalid_transition", details={"component_id": comp.pk})
    at = at or timezone.now()
    before = audit.snapshot(comp)
    old_site = comp.site
    fields = {"status": to_status, "status_changed_at": at, "version": F("version") + 1}
    if site is not None and site.pk != comp.site_id:
        fields.update(site=site, organization_id=site.organization_id, region_code=site.region_code)
    updated = Component.objects.filter(pk=comp.pk, status=comp.status, version=comp.version).update(**fields)
    if updated != 1:
        raise Conflict(_("Unit %(din)s was changed by someone else meanwhile; reload and try again.")
                       % {"din": comp.din}, code="component_changed", details={"component_id": comp.pk})
    from_status = comp.status
    comp.refresh_from_db()
    ComponentEvent.objects.create(component=comp, at=at, from_status=from_status, to_status=to_status,
                                  site=comp.site, actor=_user(actor) if actor else None, note=note[:300],
                                  ref=ref or {})
    audit.updated(actor, comp, before)
    moved = old_site.pk != comp.site_id
    emit("blood.component.status", {
        "component_id": comp.pk, "din": comp.din, "component_type": comp.component_type.code, "abo": comp.abo,
        "rhd": comp.rhd, "site_id": comp.site_id, "organization_id": comp.organization_id,
        "region_code": comp.region_code, "from_status": from_status, "to_status": to_status,
        "expires_at": comp.expires_at, "moved_from_site_id": old_site.pk if moved else None,
    }, organization=comp.organization_id, region_code=comp.region_code,
        shared_with=[old_site.organization_id] if moved and old_site.organization_id != comp.organization_id else ())
    _stock_changed(comp.site, comp.component_type, comp.abo, comp.rhd)
    if moved:
        _stock_changed(old_site, comp.component_type, comp.abo, comp.rhd)
    return comp


def _discard(actor, comp: Component, reason: str, notes: str = "", at: dt.datetime | None = None) -> Discard:
    at = at or timezone.now()
    site = comp.site
    comp = transition_component(actor, comp, CS.DISCARDED, expected=(comp.status,), note=notes or reason, at=at,
                                ref={"discard_reason": reason})
    discard = Discard.objects.create(organization_id=comp.organization_id, region_code=comp.region_code, site=site,
                                     component=comp, reason=reason, notes=str(notes)[:300], discarded_at=at,
                                     discarded_by=_user(actor) if actor else None)
    audit.created(actor, discard)
    if comp.abo and comp.rhd and reason != DiscardReason.PROCESSED:
        record_usage(site, comp.component_type, comp.abo, comp.rhd,
                     "expired" if reason == DiscardReason.EXPIRED else "discarded", on=timezone.localdate(at))
    return discard


@refusable("discard_component", "blood.component", "component_id")
def discard_component(actor: Actor, component_id: int, *, reason: str, notes: str = "") -> Discard:
    """Take a unit out of use for good, with the reason (a unit already transfused or discarded is refused)."""
    actor.require("blood.manage")
    comp = get_component(actor, component_id)
    reason = _choice(reason, DiscardReason, "discard reason")
    if reason == DiscardReason.PROCESSED:
        raise ServiceError(_("Use the processing action to make a product from a unit."), code="invalid_choice")
    if reason == DiscardReason.OTHER and not (notes or "").strip():
        raise ServiceError(_("Say why the unit is discarded."), code="reason_required")
    if comp.status in (CS.TRANSFUSED, CS.DISCARDED, CS.ISSUED, CS.IN_TRANSIT):
        raise ServiceError(_("Unit %(din)s is %(status)s and cannot be discarded here.")
                           % {"din": comp.din, "status": CS(comp.status).label}, code="not_in_stock")
    _release_reservations(comp)
    return _discard(actor, comp, reason, notes)


def _release_reservations(comp: Component) -> None:
    Reservation.objects.filter(component=comp, status=Reservation.Status.ACTIVE).update(
        status=Reservation.Status.RELEASED, released_at=timezone.now())


def expire_components(now: dt.datetime | None = None) -> int:
    """Mark units past their expiry as expired (periodic job); each expired unit counts in the outdate rate."""
    from siaga.core.permissions import system_actor

    now = now or timezone.now()
    actor = system_actor()
    count = 0
    ids = list(Component.objects.filter(status__in=(CS.AVAILABLE, CS.QUARANTINE, CS.RESERVED, CS.IN_TRANSIT),
                                        expires_at__lte=now).values_list("pk", flat=True)[:1000])
    for pk in ids:
        try:
            with transaction.atomic():
                comp = Component.objects.select_related("component_type", "site").get(pk=pk)
                if comp.expires_at > now:
                    continue
                _release_reservations(comp)
                transition_component(actor, comp, CS.EXPIRED, expected=(comp.status,), note="expired", at=now)
                if comp.abo and comp.rhd:
                    record_usage(comp.site, comp.component_type, comp.abo, comp.rhd, "expired",
                                 on=timezone.localdate(now))
                count += 1
        except Conflict:
            continue  # issued or moved meanwhile: not ours to expire
    return count


# --- screening ----------------------------------------------------------------------------------


@refusable("record_screening_result", "blood.donation", "donation_id")
def record_screening_result(actor: Actor, donation_id: int, *, marker: str, result: str, abo: str = "",
                            rhd: str = "", method: str = "", kit_lot: str = "",
                            tested_at: dt.datetime | None = None) -> ScreeningResult:
    """Enter one test result. All five in and non-reactive releases the donation's units from quarantine;
    a reactive marker discards them, defers the donor permanently and raises a lookback."""
    donation = _donation_for_update(actor, donation_id)
    marker = _choice(marker, ScreeningResult.Marker, "test")
    if donation.screening == Donation.Screening.REACTIVE:
        raise ServiceError(_("This donation is reactive and discarded; no further results are taken."),
                           code="donation_reactive")
    if donation.results.filter(marker=marker).exists():
        raise Conflict(_("The %(marker)s result of %(din)s is recorded already.")
                       % {"marker": ScreeningResult.Marker(marker).label, "din": donation.din},
                       code="duplicate_result")
    tested_at = tested_at or timezone.now()
    if tested_at < donation.collected_at:
        raise ServiceError(_("A test cannot precede the collection."), code="invalid_times")
    if marker == ScreeningResult.Marker.GROUPING:
        abo = _choice(abo, ABO, "ABO")
        rhd = _choice(rhd, RhD, "RhD")
        result = ScreeningResult.Result.GROUPED
        donor = donation.donor
        if donor.group_confirmed and (donor.abo, donor.rhd) != (abo, rhd):
            raise ServiceError(
                _("Grouping %(new)s differs from the donor's confirmed group %(old)s: repeat the test on a new "
                  "sample before entering it.") % {"new": group_label(abo, rhd), "old": group_label(donor.abo, donor.rhd)},
                code="group_mismatch")
    else:
        if result not in (ScreeningResult.Result.NONREACTIVE, ScreeningResult.Result.REACTIVE):
            raise ServiceError(_("An infectious-marker result is reactive or non-reactive."), code="invalid_result")
        abo = rhd = ""
    res = ScreeningResult.objects.create(
        organization_id=donation.organization_id, region_code=donation.region_code, donation=donation, marker=marker,
        result=result, abo=abo, rhd=rhd, method=method[:60], kit_lot=kit_lot[:60], tested_at=tested_at,
        entered_by=_user(actor),
    )
    audit.created(actor, res)
    if marker == ScreeningResult.Marker.GROUPING:
        _apply_grouping(actor, donation, abo, rhd)
    markers_in = set(donation.results.values_list("marker", flat=True))
    complete = markers_in >= set(ALL_MARKERS)
    emit("blood.screening.result", {"donation_id": donation.pk, "din": donation.din, "marker": marker,
                                    "result": result, "complete": complete},
         organization=donation.organization_id, region_code=donation.region_code)
    if result == ScreeningResult.Result.REACTIVE:
        _handle_reactive(actor, donation, res)
    elif complete:
        _release(actor, donation)
    return res


def _apply_grouping(actor, donation: Donation, abo: str, rhd: str) -> None:
    donor = Donor.objects.select_for_update().get(pk=donation.donor_id)
    if not donor.group_confirmed:
        before = audit.snapshot(donor)
        donor.abo, donor.rhd, donor.group_confirmed, donor.group_confirmed_at = abo, rhd, True, timezone.now()
        donor.save()
        audit.updated(actor, donor, before)
    for comp in donation.components.select_related("component_type", "site").filter(abo=""):
        before = audit.snapshot(comp)
        Component.objects.filter(pk=comp.pk).update(abo=abo, rhd=rhd)
        comp.abo, comp.rhd = abo, rhd
        audit.updated(actor, comp, before)
        record_usage(comp.site, comp.component_type, abo, rhd, "collected", on=timezone.localdate(donation.collected_at))


def _release(actor, donation: Donation) -> None:
    donation.status, donation.screening, donation.screened_at = (Donation.Status.RELEASED,
                                                                 Donation.Screening.NEGATIVE, timezone.now())
    donation.save(update_fields=["status", "screening", "screened_at"])
    comps = list(donation.components.select_related("component_type", "site").filter(status=CS.QUARANTINE))
    for comp in comps:
        if comp.expires_at <= timezone.now():
            transition_component(actor, comp, CS.EXPIRED, expected=(CS.QUARANTINE,), note="expired in quarantine")
        else:
            transition_component(actor, comp, CS.AVAILABLE, expected=(CS.QUARANTINE,),
                                 note=_("released: all tests non-reactive"), ref={"donation": donation.pk})
    emit("blood.screening.completed", {"donation_id": donation.pk, "din": donation.din, "outcome": "released",
                                       "reactive_markers": [], "components": len(comps)},
         organization=donation.organization_id, region_code=donation.region_code)


def _handle_reactive(actor, donation: Donation, result: ScreeningResult) -> None:
    now = timezone.now()
    donation.status, donation.screening, donation.screened_at = (Donation.Status.DISCARDED,
                                                                 Donation.Screening.REACTIVE, now)
    donation.save(update_fields=["status", "screening", "screened_at"])
    comps = list(donation.components.select_related("component_type", "site"))
    for comp in comps:
        if comp.status in (CS.QUARANTINE, CS.AVAILABLE, CS.RESERVED, CS.EXPIRED):
            _release_reservations(comp)
            _discard(actor, comp, DiscardReason.REACTIVE,
                     _("%(marker)s reactive") % {"marker": ScreeningResult.Marker(result.marker).label}, at=now)
    donor = Donor.objects.select_for_update().get(pk=donation.donor_id)
    _create_deferral(actor, donor, kind=Deferral.Kind.PERMANENT, reason_code=f"reactive_{result.marker}",
                     reason=_("Reactive %(marker)s screening result on donation %(din)s")
                     % {"marker": ScreeningResult.Marker(result.marker).label, "din": donation.din},
                     source=Deferral.Source.SCREENING, donation=donation)
    emit("blood.screening.completed", {"donation_id": donation.pk, "din": donation.din, "outcome": "reactive",
                                       "reactive_markers": [result.marker], "components": len(comps)},
         organization=donation.organization_id, region_code=donation.region_code)
    raise_lookback(actor, donation, [result.marker])


def raise_lookback(actor, donation: Donation, markers: list[str]) -> Lookback:
    """List every component of the donor's earlier donations with where it is or went; pull those still on a
    shelf of this UDD's network (they are discarded for lookback), and tell the hospitals that received some."""
    now = timezone.now()
    lookback = Lookback.objects.create(organization_id=donation.organization_id, region_code=donation.region_code,
                                       donor_id=donation.donor_id, trigger_donation=donation, markers=markers,
                                       raised_at=now)
    audit.created(actor, lookback)
    earlier = Donation.objects.filter(donor_id=donation.donor_id, collected_at__lt=donation.collected_at)
    comps = (Component.objects.filter(donation__in=earlier).select_related("component_type", "site", "donation")
             .order_by("donation__collected_at", "pk"))
    hospitals: set[int] = set()
    items = 0
    for comp in comps:
        issue_item = (IssueItem.objects.filter(component=comp).select_related("issue", "issue__request")
                      .order_by("-issue__issued_at").first())
        issued_to = issue_item.issue.hospital_id if issue_item else None
        item = LookbackItem(lookback=lookback, donation=comp.donation, component=comp, status_at_lookback=comp.status,
                            site=comp.site, holder_id=comp.organization_id, issued_to_id=issued_to,
                            request_id=issue_item.issue.request_id if issue_item else None)
        if comp.status in ON_SHELF_STATUSES:
            _release_reservations(comp)
            _discard(actor, comp, DiscardReason.LOOKBACK, _("lookback %(id)s") % {"id": lookback.pk}, at=now)
            item.action, item.action_at = LookbackItem.Action.QUARANTINED, now
        if issued_to:
            hospitals.add(issued_to)
        if comp.organization_id != donation.organization_id:
            hospitals.add(comp.organization_id)  # a blood bank holding (or having used) a transferred unit
        item.save()
        items += 1
    emit("blood.lookback.raised", {"lookback_id": lookback.pk, "donor_id": donation.donor_id,
                                   "trigger_donation_id": donation.pk, "markers": markers, "items": items,
                                   "hospital_ids": sorted(hospitals)},
         organization=donation.organization_id, region_code=donation.region_code, shared_with=sorted(hospitals))
    return lookback


def visible_lookbacks(actor: Actor) -> QuerySet:
    actor.require("blood.view")
    return actor.scope_queryset(Lookback.objects.all())


# --- usage, forecast, days of cover -------------------------------------------------------------


USAGE_FIELDS = ("collected", "issued", "transfused", "discarded", "expired")


def record_usage(site: Site, component_type: ComponentType, abo: str, rhd: str, field: str, n: int = 1,
                 on: dt.date | None = None) -> None:
    """Add n to one DailyUsage counter (part of a services call; a negative n takes back a counted event)."""
    if field not in USAGE_FIELDS:
        raise ValueError(field)
    on = on or timezone.localdate()
    DailyUsage.objects.get_or_create(site=site, date=on, component_type=component_type, abo=abo, rhd=rhd,
                                     defaults={"organization_id": site.organization_id,
                                               "region_code": site.region_code})
    qs = DailyUsage.objects.filter(site=site, date=on, component_type=component_type, abo=abo, rhd=rhd)
    if n < 0:
        qs = qs.filter(**{f"{field}__gte": -n})
    qs.update(**{field: F(field) + n})


def _factors(site: Site, start: dt.date, end: dt.date) -> list[DemandFactor]:
    return list(DemandFactor.objects.filter(Q(organization__isnull=True) | Q(organization_id=site.organization_id),
                                            starts_on__lte=end, ends_on__gte=start, applies_to_supply=False))


def _factor_on(factors: list[DemandFactor], day: dt.date) -> float:
    f = 1.0
    for df in factors:
        if df.starts_on <= day <= df.ends_on:
            f *= float(df.factor)
    return f


def weekday_means(site: Site, component_type: ComponentType, abo: str, rhd: str,
                  on: dt.date | None = None) -> list[float] | None:
    """Mean units issued per weekday (Monday=0) over the FORECAST_WEEKS weeks before `on`; None without history."""
    on = on or timezone.localdate()
    start = on - dt.timedelta(weeks=FORECAST_WEEKS)
    rows = DailyUsage.objects.filter(site=site, component_type=component_type, abo=abo, rhd=rhd,
                                     date__gte=start, date__lt=on).values_list("date", "issued")
    return _means_from_rows(list(rows))


def _means_from_rows(rows) -> list[float] | None:
    if not rows or not any(n for _d, n in rows):
        return None
    sums = [0.0] * 7
    for day, n in rows:
        sums[day.weekday()] += n
    return [s / FORECAST_WEEKS for s in sums]


def forecast_daily_use(site: Site, component_type: ComponentType, abo: str, rhd: str, on: dt.date) -> float:
    """Forecast units used at the site on `on`: the weekday mean of the last weeks, times seasonal factors."""
    means = weekday_means(site, component_type, abo, rhd, on=timezone.localdate())
    if means is None:
        return 0.0
    return means[on.weekday()] * _factor_on(_factors(site, on, on), on)


def cover_from(stock: int, means: list[float] | None, on: dt.date, factors=()) -> float | None:
    """Days of cover: how many days (fractional) `stock` lasts when each day takes its weekday's forecast."""
    if means is None or not any(means):
        return None
    remaining = float(stock)
    days = 0.0
    for i in range(366):
        day = on + dt.timedelta(days=i)
        use = means[day.weekday()] * _factor_on(list(factors), day)
        if use <= 0:
            days += 1
            continue
        if remaining >= use:
            remaining -= use
            days += 1
        else:
            return round(days + remaining / use, 2)
    return float(days)


def stock_target(site: Site, component_type: ComponentType, abo: str, rhd: str) -> tuple[Decimal, Decimal]:
    """(target days, amber days) for a cell: the most specific StockTarget, else the national default (6, 2)."""
    targets = {(t.abo, t.rhd): t for t in StockTarget.objects.filter(site=site, component_type=component_type)}
    for key in ((abo, rhd), (abo, ""), ("", "")):
        if key in targets:
            return targets[key].target_days, targets[key].amber_days
    return DEFAULT_TARGET_DAYS, DEFAULT_AMBER_DAYS


def cover_level(cover: float | None, target_days, amber_days, available: int | None = None) -> str:
    """"green" at or above target, "amber" from amber_days, "red" below; "" when demand is unknown."""
    if cover is None:
        return ""
    if cover >= float(target_days):
        return "green"
    if cover >= float(amber_days):
        return "amber"
    return "red"


def days_of_cover(site: Site, component_type: ComponentType, abo: str, rhd: str,
                  on: dt.date | None = None) -> float | None:
    on = on or timezone.localdate()
    available = Component.objects.filter(site=site, component_type=component_type, abo=abo, rhd=rhd,
                                         status=CS.AVAILABLE, expires_at__gt=timezone.now()).count()
    means = weekday_means(site, component_type, abo, rhd, on=on)
    return cover_from(available, means, on, _factors(site, on, on + dt.timedelta(days=366)))


def _cell_counts(site_id: int, component_type_id: int, abo: str, rhd: str) -> dict[str, int]:
    rows = (Component.objects.filter(site_id=site_id, component_type_id=component_type_id, abo=abo, rhd=rhd,
                                     status__in=ON_SHELF_STATUSES)
            .values("status").annotate(n=Count("pk")))
    counts = {s: 0 for s in (CS.AVAILABLE, CS.RESERVED, CS.QUARANTINE)}
    for r in rows:
        counts[r["status"]] = r["n"]
    return counts


def _stock_changed(site: Site, component_type: ComponentType, abo: str, rhd: str) -> None:
    """Announce a cell's new counts and cover; raise or clear its shortage alert."""
    if not abo or not rhd:
        return  # ungrouped units are not stock anyone can issue yet
    counts = _cell_counts(site.pk, component_type.pk, abo, rhd)
    on = timezone.localdate()
    means = weekday_means(site, component_type, abo, rhd, on=on)
    cover = cover_from(counts[CS.AVAILABLE], means, on, _factors(site, on, on + dt.timedelta(days=366)))
    target, amber = stock_target(site, component_type, abo, rhd)
    level = cover_level(cover, target, amber)
    emit("blood.stock.changed", {
        "site_id": site.pk, "site_name": site.name, "organization_id": site.organization_id,
        "region_code": site.region_code, "component_type": component_type.code, "abo": abo, "rhd": rhd,
        "available": counts[CS.AVAILABLE], "reserved": counts[CS.RESERVED], "quarantine": counts[CS.QUARANTINE],
        "days_of_cover": cover, "level": level,
    }, organization=site.organization_id, region_code=site.region_code)
    _update_alert(site, StockAlert.Kind.SHORTAGE, component_type, abo, rhd, level == "red", level,
                  {"days_of_cover": cover, "available": counts[CS.AVAILABLE], "target_days": float(target)})


def _update_alert(site, kind, component_type, abo, rhd, active: bool, level: str, details: dict) -> None:
    open_alert = StockAlert.objects.filter(site=site, kind=kind, component_type=component_type, abo=abo, rhd=rhd,
                                           cleared_at__isnull=True).first()
    if active and open_alert is None:
        alert = StockAlert.objects.create(organization_id=site.organization_id, region_code=site.region_code,
                                          site=site, kind=kind, component_type=component_type, abo=abo, rhd=rhd,
                                          level=level, details=details, raised_at=timezone.now())
        emit("blood.stock.alert", {"site_id": site.pk, "kind": kind, "component_type": component_type.code,
                                   "abo": abo, "rhd": rhd, "level": level, "details": details},
             organization=site.organization_id, region_code=site.region_code)
        if kind == StockAlert.Kind.SHORTAGE:
            # Red cells short: suggest transfers and propose a recall once the alert is committed (see
            # services_issue.respond_to_shortage; the periodic sweep catches a process that stopped first).
            transaction.on_commit(functools.partial(_respond_to_shortage, alert.pk), robust=True)
    elif not active and open_alert is not None:
        StockAlert.objects.filter(pk=open_alert.pk).update(cleared_at=timezone.now())
        # A recall proposed for a shortage that has cleared is no longer wanted; one already sent stays.
        RecallCampaign.objects.filter(alert_id=open_alert.pk, status=RecallCampaign.Status.DRAFT).update(
            status=RecallCampaign.Status.WITHDRAWN)


def _respond_to_shortage(alert_id: int) -> None:
    from . import services_issue

    services_issue.respond_to_shortage(alert_id)


def scan_near_expiry(now: dt.datetime | None = None, hours: int = NEAR_EXPIRY_HOURS) -> int:
    """Raise a near-expiry alert per site and cell with available units expiring within `hours` (periodic job)."""
    now = now or timezone.now()
    rows = (Component.objects.filter(status=CS.AVAILABLE, expires_at__gt=now,
                                     expires_at__lte=now + dt.timedelta(hours=hours))
            .exclude(abo="").values("site_id", "component_type_id", "abo", "rhd").annotate(n=Count("pk")))
    raised = 0
    seen = set()
    sites = {s.pk: s for s in Site.objects.all()}
    types = {t.pk: t for t in ComponentType.objects.all()}
    with transaction.atomic():
        for r in rows:
            key = (r["site_id"], r["component_type_id"], r["abo"], r["rhd"])
            seen.add(key)
            before = StockAlert.objects.filter(site_id=key[0], kind=StockAlert.Kind.NEAR_EXPIRY,
                                               component_type_id=key[1], abo=key[2], rhd=key[3],
                                               cleared_at__isnull=True).exists()
            _update_alert(sites[key[0]], StockAlert.Kind.NEAR_EXPIRY, types[key[1]], key[2], key[3], True, "",
                          {"units": r["n"], "within_hours": hours})
            raised += 0 if before else 1
        for alert in StockAlert.objects.filter(kind=StockAlert.Kind.NEAR_EXPIRY, cleared_at__isnull=True):
            if (alert.site_id, alert.component_type_id, alert.abo, alert.rhd) not in seen:
                StockAlert.objects.filter(pk=alert.pk).update(cleared_at=now)
    return raised


# --- stock queries ------------------------------------------------------------------------------

GROUPS = [(abo, rhd) for abo in ("O", "A", "B", "AB") for rhd in ("pos", "neg")]


def stock_rows(site_ids, *, now: dt.datetime | None = None, near_expiry_hours: int = NEAR_EXPIRY_HOURS) -> list[dict]:
    """Per site, component type and group: units available, reserved, quarantined and expiring soon (one query)."""
    now = now or timezone.now()
    soon = now + dt.timedelta(hours=near_expiry_hours)
    qs = (Component.objects.filter(site_id__in=list(site_ids), status__in=ON_SHELF_STATUSES, expires_at__gt=now)
          .exclude(abo="")
          .values("site_id", "component_type_id", "abo", "rhd")
          .annotate(available=Count("pk", filter=Q(status=CS.AVAILABLE)),
                    reserved=Count("pk", filter=Q(status=CS.RESERVED)),
                    quarantine=Count("pk", filter=Q(status=CS.QUARANTINE)),
                    expiring=Count("pk", filter=Q(status=CS.AVAILABLE, expires_at__lte=soon))))
    return list(qs)


def stock_table(site: Site, *, on: dt.date | None = None) -> list[dict]:
    """The dashboard of one site: every component type x group with counts, forecast, days of cover and colour."""
    on = on or timezone.localdate()
    types = list(ComponentType.objects.filter(active=True))
    counts = {(r["component_type_id"], r["abo"], r["rhd"]): r for r in stock_rows([site.pk])}
    start = on - dt.timedelta(weeks=FORECAST_WEEKS)
    usage: dict[tuple, list] = defaultdict(list)
    for ct, abo, rhd, day, n in DailyUsage.objects.filter(site=site, date__gte=start, date__lt=on).values_list(
            "component_type_id", "abo", "rhd", "date", "issued"):
        usage[(ct, abo, rhd)].append((day, n))
    targets = {(t.component_type_id, t.abo, t.rhd): t for t in StockTarget.objects.filter(site=site)}
    factors = _factors(site, on, on + dt.timedelta(days=366))
    out = []
    for ctype in types:
        for abo, rhd in GROUPS:
            key = (ctype.pk, abo, rhd)
            c = counts.get(key, {})
            if not c and key not in usage:
                continue
            means = _means_from_rows(usage.get(key, []))
            available = c.get("available", 0)
            cover = cover_from(available, means, on, factors)
            t = targets.get(key) or targets.get((ctype.pk, abo, "")) or targets.get((ctype.pk, "", ""))
            target, amber = (t.target_days, t.amber_days) if t else (DEFAULT_TARGET_DAYS, DEFAULT_AMBER_DAYS)
            out.append({
                "component_type": ctype.code, "component_name": ctype.name, "abo": abo, "rhd": rhd,
                "group": group_label(abo, rhd), "available": available, "reserved": c.get("reserved", 0),
                "quarantine": c.get("quarantine", 0), "expiring": c.get("expiring", 0),
                "forecast_per_day": round(means[on.weekday()] * _factor_on(factors, on), 2) if means else None,
                "days_of_cover": cover, "target_days": float(target), "amber_days": float(amber),
                "level": cover_level(cover, target, amber),
            })
    return out


def stock_by_expiry(site_ids, *, component_type: str | None = None) -> list[dict]:
    """Available units per day of expiry (the near-expiry view), soonest first."""
    from django.db.models.functions import TruncDate

    qs = Component.objects.filter(site_id__in=list(site_ids), status=CS.AVAILABLE, expires_at__gt=timezone.now())
    if component_type:
        qs = qs.filter(component_type__code=component_type)
    rows = (qs.annotate(day=TruncDate("expires_at")).values("site_id", "component_type__code", "abo", "rhd", "day")
            .annotate(n=Count("pk")).order_by("day", "site_id"))
    return [{"site_id": r["site_id"], "component_type": r["component_type__code"], "abo": r["abo"], "rhd": r["rhd"],
             "expires_on": r["day"], "units": r["n"]} for r in rows]


RED_CELL_CODES = ("WB", "PRC", "PRC-LD", "PRC-W")


def public_board() -> dict:
    """What the public stock board shows: red-cell availability by group per public site, and totals.

    Aggregates only (no unit, donor or patient data); a level per group from days of cover where a
    forecast exists, else from the count alone.
    """
    sites = list(Site.objects.filter(public=True, active=True).order_by("name"))
    rows = (Component.objects.filter(site__in=sites, status=CS.AVAILABLE, expires_at__gt=timezone.now(),
                                     component_type__code__in=RED_CELL_CODES).exclude(abo="")
            .values("site_id", "abo", "rhd").annotate(n=Count("pk")))
    counts = {(r["site_id"], r["abo"], r["rhd"]): r["n"] for r in rows}
    prc = ComponentType.objects.filter(code="PRC").first()
    on = timezone.localdate()
    start = on - dt.timedelta(weeks=FORECAST_WEEKS)
    usage: dict[tuple, list] = defaultdict(list)
    if prc is not None:
        for site_id, abo, rhd, day, n in DailyUsage.objects.filter(
                site__in=sites, date__gte=start, date__lt=on, component_type__code__in=RED_CELL_CODES).values_list(
                "site_id", "abo", "rhd", "date", "issued"):
            usage[(site_id, abo, rhd)].append((day, n))
    out_sites, totals = [], {group_label(a, r): 0 for a, r in GROUPS}
    for site in sites:
        groups = []
        for abo, rhd in GROUPS:
            n = counts.get((site.pk, abo, rhd), 0)
            means = _means_from_rows(usage.get((site.pk, abo, rhd), []))
            cover = cover_from(n, means, on)
            level = cover_level(cover, DEFAULT_TARGET_DAYS, DEFAULT_AMBER_DAYS) or ("red" if n == 0 else "")
            groups.append({"group": group_label(abo, rhd), "abo": abo, "rhd": rhd, "units": n, "level": level})
            totals[group_label(abo, rhd)] += n
        out_sites.append({"id": site.pk, "name": site.name, "kind": site.kind, "region_code": site.region_code,
                          "groups": groups})
    return {"updated_at": timezone.now().isoformat(), "sites": out_sites, "totals": totals}


# --- donors for recall -----------------------------------------------------------------------------


def eligible_donors(actor: Actor, site: Site, abo: str = "", rhd: str = "", on: dt.date | None = None,
                    *, on_call_panel: bool | None = None) -> QuerySet:
    """Donors of the site's organisation whose interval has passed, not deferred, who accept SMS (for recall)."""
    actor.require("blood.view")
    on = on or timezone.localdate()
    qs = visible_donors(actor).filter(organization_id=site.organization_id, permanently_deferred=False,
                                      sms_consent=True).exclude(phone="")
    qs = qs.filter(Q(next_eligible_on__isnull=True) | Q(next_eligible_on__lte=on))
    qs = qs.exclude(deferrals__in=Deferral.objects.filter(lifted_at__isnull=True, starts_on__lte=on)
                    .filter(Q(kind=Deferral.Kind.PERMANENT) | Q(ends_on__gt=on)))
    if abo:
        qs = qs.filter(abo=abo, group_confirmed=True)
    if rhd:
        qs = qs.filter(rhd=rhd, group_confirmed=True)
    if on_call_panel is not None:
        qs = qs.filter(on_call_panel=on_call_panel)
    return qs.distinct()


# --- traceability ---------------------------------------------------------------------------------


def trace_donation(actor: Actor, donation_id: int) -> dict:
    """Vein to vein from a donation: donor, tests, components, their history and where each went."""
    donation = get_donation(actor, donation_id)
    comps = list(Component.objects.filter(donation=donation).select_related("component_type", "site",
                                                                            "organization"))
    history = defaultdict(list)
    for ev in ComponentEvent.objects.filter(component__in=comps).select_related("site").order_by("at", "pk"):
        history[ev.component_id].append(ev)
    issued = {ii.component_id: ii for ii in IssueItem.objects.filter(component__in=comps)
              .select_related("issue__hospital", "issue__request")}
    return {"donation": donation, "donor": donation.donor, "results": list(donation.results.all()),
            "components": [{"component": c, "history": history[c.pk], "issue_item": issued.get(c.pk)}
                           for c in comps]}



# --- donor self-service -------------------------------------------------------------------------

SELF_SERVICE_SALT = "siaga.blood.donor-self-service"
SELF_SERVICE_MAX_AGE = 30 * 24 * 3600


def self_service_token(donor: Donor) -> str:
    """A signed link token for a donor's own page (no login): it names the donor and expires in 30 days."""
    from django.core import signing

    return signing.dumps({"d": donor.pk, "h": donor.nik_hash[:12]}, salt=SELF_SERVICE_SALT, compress=True)


def donor_from_token(token: str) -> Donor:
    from django.core import signing

    try:
        data = signing.loads(token, salt=SELF_SERVICE_SALT, max_age=SELF_SERVICE_MAX_AGE)
    except signing.BadSignature:
        raise NotFound(_("This link is not valid or has expired. Ask for a new one at the UDD, or use your NIK "
                         "and birth date.")) from None
    donor = Donor.objects.filter(pk=data.get("d")).select_related("organization", "site").first()
    # A donor record re-keyed (NIK corrected) invalidates old links.
    if donor is None or not donor.nik_hash.startswith(data.get("h", "-")):
        raise NotFound(_("This link is not valid or has expired."))
    return donor


def donor_by_nik_and_birth_date(raw_nik: str, birth_date: dt.date) -> Donor:
    """The self-service sign-in: both must match one donor; a miss says nothing about which one was wrong."""
    donor = (Donor.objects.filter(nik_hash=nik_mod.nik_hash(raw_nik), birth_date=birth_date)
             .order_by("-last_donation_at", "pk").first())
    if donor is None:
        raise NotFound(_("No donor with this NIK and birth date."))
    return donor


@transaction.atomic
def book_appointment(donor: Donor, session_id: int) -> Appointment:
    """A donor books a public session of their UDD from the self-service page (no staff actor involved)."""
    session = public_sessions(site_ids=None).filter(pk=session_id, organization_id=donor.organization_id).first()
    if session is None:
        raise NotFound(_("This session is not open for booking."))
    if donor.permanently_deferred:
        raise ServiceError(_("You cannot book a donation; please contact the UDD."), code="deferred")
    day = timezone.localdate(session.starts_at)
    next_day = eligibility.next_eligible_date(donor, on=day)
    if next_day is None or next_day > day:
        raise ServiceError(_("You may donate again from %(date)s; choose a session on or after that day.")
                           % {"date": next_day or "-"}, code="not_yet_eligible")
    if Appointment.objects.filter(donor=donor, session=session, status=Appointment.Status.BOOKED).exists():
        raise Conflict(_("You have booked this session already."), code="already_booked")
    appt = Appointment.objects.create(organization_id=donor.organization_id, region_code=donor.region_code,
                                      donor=donor, session=session, site=session.site,
                                      scheduled_at=session.starts_at, self_service=True)
    audit.created(None, appt)
    return appt


def trace_din(actor: Actor, din_text: str) -> dict:
    """Vein to vein for one DIN: donor -> donation -> tests -> components -> issue -> hospital and patient.

    The collecting UDD sees everything; an organisation that holds or received one of the units
    (a hospital blood bank) sees those units with their history and tests, and the donor only by number.
    """
    actor.require("blood.view")
    din = isbt.parse(din_text)
    donation = Donation.objects.select_related("donor", "site", "session").filter(din=din.din).first()
    if donation is None:
        raise NotFound(_("No donation with number %(din)s.") % {"din": din.din})
    full = actor.can_see(donation.organization_id, donation.region_code)
    comps = list(Component.objects.filter(donation=donation).select_related(
        "component_type", "site", "organization", "product_code").order_by("component_type__sort_order", "pk"))
    items = {ii.component_id: ii for ii in IssueItem.objects.filter(component__in=comps).select_related(
        "issue__hospital", "issue__request", "request_line").order_by("issue__issued_at")}
    if not full:
        from .services_issue import _in_orgs

        comps = [c for c in comps if _in_orgs(actor, c.organization_id, c.region_code)
                 or (c.pk in items and _in_orgs(actor, items[c.pk].issue.hospital_id, items[c.pk].issue.region_code,
                                                items[c.pk].issue.request.region_code))]
        if not comps:
            raise NotFound(_("No donation with number %(din)s.") % {"din": din.din})
    history = defaultdict(list)
    for ev in ComponentEvent.objects.filter(component__in=comps).select_related("site").order_by("at", "pk"):
        history[ev.component_id].append(ev)
    return {
        "donation": donation, "full": full, "donor": donation.donor if full else None,
        "donor_number": donation.donor.number, "results": list(donation.results.all()),
        "components": [{"component": c, "history": history[c.pk], "issue_item": items.get(c.pk)} for c in comps],
    }
