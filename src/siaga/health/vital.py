"""Write path of vital events: facilities notify births and deaths, the Dukcapil office confirms, corrects or rejects.

State machine (anything else is a Conflict):
    notified             -> registered | correction_requested | rejected   (Dukcapil)
    correction_requested -> resubmitted                                     (the facility, with corrected data)
    resubmitted          -> registered | correction_requested | rejected   (Dukcapil)
    registered, rejected: final.

The facility (a puskesmas or hospital) owns the row; the Dukcapil office whose area contains the
facility's kab/kota receives it, sees it through the share, and is the only one that may move it on.
Another facility or another Dukcapil office sees nothing (404). Every change is audited (never the
NIK itself), kept in the status history, and announced as an event shared with the Dukcapil office.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog, Organization, OrgKind
from siaga.core.permissions import Actor
from siaga.core.services import validate_region_code

from . import nik as nik_mod
from . import services as health_services
from .models import Sex
from .models_vital import (
    BirthAttendant,
    CauseCategory,
    VitalEvent,
    VitalEventKind,
    VitalEventStatus,
    VitalEventStatusChange,
)

FACILITY_KINDS = (OrgKind.PUSKESMAS, OrgKind.HOSPITAL)
BIRTH_WEIGHT_G_RANGE = (300, 7_000)
S = VitalEventStatus

# (from, to) pairs allowed, and who moves them.
DUKCAPIL_MOVES = {
    (S.NOTIFIED, S.REGISTERED), (S.NOTIFIED, S.CORRECTION_REQUESTED), (S.NOTIFIED, S.REJECTED),
    (S.RESUBMITTED, S.REGISTERED), (S.RESUBMITTED, S.CORRECTION_REQUESTED), (S.RESUBMITTED, S.REJECTED),
}
FACILITY_MOVES = {(S.CORRECTION_REQUESTED, S.RESUBMITTED)}
ALLOWED = DUKCAPIL_MOVES | FACILITY_MOVES

_AUDIT_HIDDEN = {"nik", "nik_hash", "mother_nik", "mother_nik_hash"}
_DATA_FIELDS = ("place", "sex", "mother_name", "mother_nik", "mother_nik_hash", "mother_nik_masked", "child_name",
                "born_at", "birth_attendant", "weight_g", "person_name", "nik", "nik_hash", "nik_masked",
                "birth_date", "died_at", "cause_category", "notes")


# --- helpers ------------------------------------------------------------------------------------


def _snap(obj) -> dict:
    return {k: v for k, v in audit.snapshot(obj).items() if k not in _AUDIT_HIDDEN}


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def dukcapil_for(facility: Organization) -> Organization | None:
    """The active Dukcapil office whose area contains the facility's kab/kota (the most specific one)."""
    parts = (facility.region_code or "").split(".")
    if len(parts) < 2:
        return None
    kabkota = ".".join(parts[:2])
    candidates = Organization.objects.filter(kind=OrgKind.DUKCAPIL, active=True,
                                             region_code__in=[parts[0], kabkota])
    return max(candidates, key=lambda o: (len(o.region_code), -o.pk), default=None)


def _clean_sex(sex: str) -> str:
    key = (sex or "").strip().upper()
    if key in ("M", "L"):
        return Sex.MALE
    if key in ("F", "P"):
        return Sex.FEMALE
    raise ServiceError(_("Sex must be L (male) or P (female)."), code="invalid_sex", details={"field": "sex"})


def _nik_error(exc: nik_mod.NikError, field: str) -> ServiceError:
    return ServiceError(exc.message, code=exc.code, details={"field": field})


def _not_future(value, field: str) -> None:
    now = timezone.now()
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ServiceError(_("Give the time with its time zone."), code="naive_datetime", details={"field": field})
        future = value > now
    else:
        future = value > health_services.latest_allowed_date()  # today in WIT: no one's today is refused
    if future:
        raise ServiceError(_("This date is in the future."), code="future_date", details={"field": field})


def _required(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ServiceError(message, code="required", details={"field": field})
    return value


def clean_birth(*, mother_name: str, mother_nik: str = "", child_name: str = "", sex: str, born_at: dt.datetime,
                place: str = "", birth_attendant: str, weight_g: int | None = None, notes: str = "") -> dict:
    """The stored fields of a birth, or ServiceError on the first thing wrong."""
    mother_name = _required(mother_name, "mother_name", _("The mother's name is required."))
    sex = _clean_sex(sex)
    if born_at is None:
        raise ServiceError(_("The time of birth is required."), code="required", details={"field": "born_at"})
    _not_future(born_at, "born_at")
    if birth_attendant not in BirthAttendant.values:
        raise ServiceError(_("Unknown birth attendant: choose doctor, midwife, nurse or other."),
                           code="invalid_birth_attendant", details={"field": "birth_attendant"})
    if weight_g is not None and not BIRTH_WEIGHT_G_RANGE[0] <= weight_g <= BIRTH_WEIGHT_G_RANGE[1]:
        raise ServiceError(_("A birth weight of %(g)s g is impossible: check the number and the unit (grams).")
                           % {"g": weight_g}, code="impossible_weight", details={"field": "weight_g"})
    clean_nik = ""
    if nik_mod.normalize(mother_nik):
        try:
            clean_nik = nik_mod.normalize(mother_nik)
            parts = nik_mod.parse(clean_nik)
            if not parts.female:
                raise nik_mod.NikError("nik_sex_mismatch", _("The mother's NIK is that of a man (a woman's NIK adds "
                                                             "40 to the day of birth)."))
            nik_mod.check_region(parts)
        except nik_mod.NikError as exc:
            raise _nik_error(exc, "mother_nik") from None
    return {"mother_name": mother_name[:200], "mother_nik": clean_nik, "mother_nik_hash": nik_mod.nik_hash(clean_nik),
            "mother_nik_masked": nik_mod.mask(clean_nik), "child_name": (child_name or "").strip()[:200], "sex": sex,
            "born_at": born_at, "place": (place or "").strip()[:300], "birth_attendant": birth_attendant,
            "weight_g": weight_g, "notes": notes or ""}


def clean_death(*, person_name: str, nik: str = "", sex: str, birth_date: dt.date | None = None,
                died_at: dt.datetime, place: str = "", cause_category: str, notes: str = "") -> dict:
    """The stored fields of a death, or ServiceError on the first thing wrong."""
    person_name = _required(person_name, "person_name", _("The name of the deceased is required."))
    sex = _clean_sex(sex)
    if died_at is None:
        raise ServiceError(_("The time of death is required."), code="required", details={"field": "died_at"})
    _not_future(died_at, "died_at")
    if birth_date is not None:
        _not_future(birth_date, "birth_date")
        if birth_date > died_at.date():
            raise ServiceError(_("The date of birth is after the date of death."), code="birth_after_death",
                               details={"field": "birth_date"})
    if cause_category not in CauseCategory.values:
        raise ServiceError(_("Unknown cause category: choose an ICD-10 chapter."), code="invalid_cause_category",
                           details={"field": "cause_category"})
    clean_nik = ""
    if nik_mod.normalize(nik):
        if birth_date is None:
            raise ServiceError(_("Give the date of birth with the NIK: they are checked against each other."),
                               code="required", details={"field": "birth_date"})
        try:
            clean_nik = nik_mod.validate(nik, birth_date, sex)
        except nik_mod.NikError as exc:
            raise _nik_error(exc, "nik") from None
    return {"person_name": person_name[:200], "nik": clean_nik, "nik_hash": nik_mod.nik_hash(clean_nik),
            "nik_masked": nik_mod.mask(clean_nik), "sex": sex, "birth_date": birth_date, "died_at": died_at,
            "place": (place or "").strip()[:300], "cause_category": cause_category, "notes": notes or ""}


def _clean(kind: str, data: dict) -> dict:
    if kind == VitalEventKind.BIRTH:
        return clean_birth(**data)
    if kind == VitalEventKind.DEATH:
        return clean_death(**data)
    raise ServiceError(_("A vital event is a birth or a death."), code="invalid_kind", details={"field": "kind"})


def _occurred_on(ev: VitalEvent) -> dt.date:
    return (ev.born_at or ev.died_at).date()


def _payload(ev: VitalEvent) -> dict:
    return {"id": ev.pk, "kind": ev.kind, "status": ev.status, "facility_id": ev.organization_id,
            "dukcapil_id": ev.dukcapil_id, "region_code": ev.region_code}


def _emit(name: str, ev: VitalEvent, **extra) -> None:
    emit(name, {**_payload(ev), **extra}, organization=ev.organization_id, region_code=ev.region_code,
         shared_with=[ev.dukcapil_id])


def _history(actor: Actor, ev: VitalEvent, from_status: str, reason: str = "") -> None:
    VitalEventStatusChange.objects.create(event=ev, from_status=from_status, to_status=ev.status, reason=reason,
                                          actor=_user(actor), actor_organization=actor.organization, at=timezone.now())


# --- reading ------------------------------------------------------------------------------------


def visible_events(actor: Actor) -> QuerySet:
    """Events of the actor's facilities (health.view) or in its Dukcapil office's queue (vital_event.view)."""
    if not (actor.has("health.view") or actor.has("vital_event.view")):
        actor.require("vital_event.view")
    shared = (lambda ids: Q(dukcapil_id__in=ids)) if actor.has("vital_event.view") else None
    qs = VitalEvent.objects.all()
    if not actor.has("health.view") and not actor.is_platform_admin:
        # A Dukcapil office sees its queue only, never a facility's other rows below it.
        qs = qs.filter(dukcapil_id__in=actor.org_ids)
    return actor.scope_queryset(qs, shared_q=shared)


def get_event(actor: Actor, event_id: int) -> VitalEvent:
    ev = visible_events(actor).filter(pk=event_id).first()
    if ev is None:
        raise NotFound(_("Vital event not found."))
    return ev


def history(actor: Actor, event_id: int) -> list[VitalEventStatusChange]:
    return list(get_event(actor, event_id).history.all())


# --- facility -----------------------------------------------------------------------------------


def _facility(actor: Actor, facility_id: int | None) -> Organization:
    actor.require("vital_event.notify")
    org = actor.organization if facility_id is None else Organization.objects.filter(pk=facility_id).first()
    if org is None or not actor.can_see(org.pk, org.region_code):
        raise NotFound(_("Organisation not found."))
    if org.kind not in FACILITY_KINDS:
        raise ServiceError(_("Only a puskesmas or a hospital can notify births and deaths."),
                           code="not_health_facility")
    return org


@transaction.atomic
def notify(actor: Actor, *, kind: str, facility_id: int | None = None, region_code: str = "", **data) -> VitalEvent:
    """Record a birth or a death at a facility; it goes to the queue of the Dukcapil office of its kab/kota."""
    facility = _facility(actor, facility_id)
    fields = _clean(kind, data)
    region_code = validate_region_code(region_code, allow_national=False) if region_code else facility.region_code
    actor.require_region(region_code)
    dukcapil = dukcapil_for(facility)
    if dukcapil is None:
        raise ServiceError(_("No Dukcapil office covers this facility's kab/kota: ask the administrator to add one."),
                           code="no_dukcapil")
    ev = VitalEvent.objects.create(organization=facility, dukcapil=dukcapil, region_code=region_code, kind=kind,
                                   status=S.NOTIFIED, notified_by=_user(actor), notified_at=timezone.now(), **fields)
    audit.record(actor, AuditLog.Action.CREATE, ev,
                 {k: [None, v] for k, v in _snap(ev).items() if v not in (None, "")})
    _history(actor, ev, "")
    _emit("health.vital_event_notified", ev, occurred_on=_occurred_on(ev))
    return ev


def _move(actor: Actor, ev: VitalEvent, to: str, *, reason: str = "", registration_number: str = "",
          fields: dict | None = None) -> VitalEvent:
    if (ev.status, to) not in ALLOWED:
        raise Conflict(_("A vital event that is %(status)s cannot become %(to)s.")
                       % {"status": S(ev.status).label, "to": S(to).label}, code="invalid_transition",
                       details={"status": ev.status, "to": to})
    before = _snap(ev)
    from_status = ev.status
    now = timezone.now()
    ev.status = to
    setattr(ev, f"{to}_at", now)
    if to == S.CORRECTION_REQUESTED:
        ev.correction_reason = reason
    elif to == S.REJECTED:
        ev.rejection_reason = reason
    elif to == S.REGISTERED:
        ev.registration_number = registration_number
    for k, v in (fields or {}).items():
        setattr(ev, k, v)
    try:
        with transaction.atomic():
            ev.save()
    except IntegrityError:
        raise Conflict(_("This registration number is already used for another vital event."),
                       code="duplicate_registration_number", details={"field": "registration_number"}) from None
    changes = audit.diff(before, _snap(ev))
    changes.pop("updated_at", None)
    audit.record(actor, AuditLog.Action.UPDATE, ev, changes)
    _history(actor, ev, from_status, reason)
    _emit("health.vital_event_status_changed", ev, from_status=from_status,
          registration_number=ev.registration_number)
    return ev


def _locked(qs: QuerySet, event_id: int) -> VitalEvent:
    # Visibility first, then the lock on the bare row: PostgreSQL refuses FOR UPDATE on the DISTINCT
    # queryset a shared scope produces.
    if not qs.filter(pk=event_id).exists():
        raise NotFound(_("Vital event not found."))
    return VitalEvent.objects.select_for_update().get(pk=event_id)


@transaction.atomic
def resubmit(actor: Actor, event_id: int, **data) -> VitalEvent:
    """The facility sends the corrected data after Dukcapil asked for a correction."""
    actor.require("vital_event.notify")
    ev = _locked(visible_events(actor).filter(organization_id__in=actor.org_ids), event_id)
    if ev.status != S.CORRECTION_REQUESTED:
        raise Conflict(_("Only a vital event whose correction was requested can be resubmitted."),
                       code="invalid_transition", details={"status": ev.status, "to": S.RESUBMITTED})
    fields = _clean(ev.kind, data)
    return _move(actor, ev, S.RESUBMITTED, fields=fields)


# --- Dukcapil -----------------------------------------------------------------------------------


def queue(actor: Actor, status: str | None = None) -> QuerySet:
    """The Dukcapil office's queue: events notified to it, waiting ones first."""
    actor.require("vital_event.view")
    qs = visible_events(actor).filter(dukcapil_id__in=actor.org_ids)
    if status:
        qs = qs.filter(status=status)
    return qs


def _for_dukcapil(actor: Actor, event_id: int) -> VitalEvent:
    actor.require("vital_event.register")
    return _locked(visible_events(actor).filter(dukcapil_id__in=actor.org_ids), event_id)


@transaction.atomic
def register(actor: Actor, event_id: int, *, registration_number: str) -> VitalEvent:
    """Confirm and register the event with Dukcapil's registration number (birth or death certificate)."""
    ev = _for_dukcapil(actor, event_id)
    number = _required(registration_number, "registration_number", _("The registration number is required."))
    return _move(actor, ev, S.REGISTERED, registration_number=number[:50])


@transaction.atomic
def request_correction(actor: Actor, event_id: int, *, reason: str) -> VitalEvent:
    ev = _for_dukcapil(actor, event_id)
    reason = _required(reason, "reason", _("Say what must be corrected."))
    return _move(actor, ev, S.CORRECTION_REQUESTED, reason=reason)


@transaction.atomic
def reject(actor: Actor, event_id: int, *, reason: str) -> VitalEvent:
    ev = _for_dukcapil(actor, event_id)
    reason = _required(reason, "reason", _("Give the reason for the rejection."))
    return _move(actor, ev, S.REJECTED, reason=reason)
