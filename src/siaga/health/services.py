"""Write path of community health: posyandu, persons, posyandu days with attendance, measurements, spreadsheet import.

Every function checks permission, runs in one transaction, writes the audit trail (never the NIK
itself) and queues its events. A kader acts only on their own posyandu: the posyandu's organisation
must be one the actor sees (its own, or one below it for a puskesmas).

Measurements: impossible values (non-positive, beyond physical bounds, or more than 10 SD from the
WHO median, such as a 2-year-old of 40 kg) are refused with a clear error; values outside WHO's flag
limits are implausible and refused with code "needs_confirmation" unless the caller confirms them,
in which case they are stored flagged, with who confirmed and when. Dates in the future and before
birth are refused.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.geo.zones import zone_for_region
from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog, Organization, OrgKind
from siaga.core.permissions import Actor
from siaga.core.services import validate_region_code

from . import growth, importer, kms
from . import nik as nik_mod
from .models import (
    Attendance,
    Household,
    Measurement,
    Person,
    Position,
    Posyandu,
    Session,
    SessionStatus,
    Sex,
)

# Hard limits: a value outside these is a typing error, never a child.
WEIGHT_G_RANGE = (300, 300_000)
LENGTH_HEIGHT_MM_RANGE = (200, 2_500)
# Under five: beyond 10 SD from the WHO median (after WHO's sd23 extrapolation) is not a real child.
IMPOSSIBLE_ABS_Z = 10.0
GROWTH_MAX_AGE_DAYS = growth.MAX_AGE_DAYS
# WIT (UTC+9): Maluku and Papua, where the date turns first.
EASTERNMOST_ZONE = ZoneInfo("Asia/Jayapura")

_AUDIT_HIDDEN = {"nik", "nik_hash"}


# --- helpers ------------------------------------------------------------------------------------


def _audit_created(actor: Actor, obj) -> None:
    snap = {k: v for k, v in audit.snapshot(obj).items() if k not in _AUDIT_HIDDEN}
    audit.record(actor, AuditLog.Action.CREATE, obj, {k: [None, v] for k, v in snap.items() if v not in (None, "")})


def _audit_updated(actor: Actor, obj, before: dict) -> None:
    after = {k: v for k, v in audit.snapshot(obj).items() if k not in _AUDIT_HIDDEN}
    before = {k: v for k, v in before.items() if k not in _AUDIT_HIDDEN}
    changes = audit.diff(before, after)
    changes.pop("updated_at", None)
    if changes:
        audit.record(actor, AuditLog.Action.UPDATE, obj, changes)


def today_local(region_code: str = "") -> dt.date:
    """Today where the region is (WIB, WITA or WIT by province; "" is the server's zone, WIB).

    Due lists, "this month", default dates and ages use it: from 15:00 to 17:00 UTC it is still one date
    in Jakarta and already the next in Jayapura. Refusing typed dates uses latest_allowed_date() instead.
    """
    return timezone.localtime(timezone.now(), zone_for_region(region_code)).date()


def latest_allowed_date() -> dt.date:
    """The latest date anyone may type: today in WIT, the easternmost zone, where the date turns first.

    Typed dates are refused against this, not against the record's own zone, so that no kader's today
    is ever refused whatever region a record carries; the price is that for two hours a night a WIB
    kader may type tomorrow's date.
    """
    return timezone.localtime(timezone.now(), EASTERNMOST_ZONE).date()


def actor_region(actor: Actor) -> str:
    """The region whose today an actor's lists default to: their organisation's, else their scope."""
    org = actor.organization
    return (org.region_code if org is not None else "") or actor.scope_code or ""


def _require_kelurahan(code: str) -> str:
    code = validate_region_code(code, allow_national=False)
    if code.count(".") != 3:
        raise ServiceError(_("Give a kelurahan/desa code (four levels, e.g. 35.76.01.1006)."), code="not_kelurahan",
                           details={"region_code": code})
    return code


# --- posyandu -----------------------------------------------------------------------------------


def visible_posyandu(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Posyandu.objects.all()).select_related("organization")


def get_posyandu(actor: Actor, posyandu_id: int) -> Posyandu:
    p = visible_posyandu(actor).filter(pk=posyandu_id).first()
    if p is None:
        raise NotFound(_("Posyandu not found."))
    return p


def _posyandu_for_record(actor: Actor, posyandu_id: int) -> Posyandu:
    """A posyandu the actor may record for: seen by the actor (own posyandu, or below its puskesmas)."""
    actor.require("health.record")
    return get_posyandu(actor, posyandu_id)


@transaction.atomic
def create_posyandu(actor: Actor, *, organization_id: int, name: str, region_code: str, address: str = "",
                    schedule_day_of_month: int | None = None, schedule_week_of_month: int | None = None,
                    schedule_weekday: int | None = None) -> Posyandu:
    """Register the posyandu of an organisation of kind "posyandu" in a kelurahan."""
    actor.require("organization.manage")  # setting up a posyandu is organisation setup
    org = Organization.objects.filter(pk=organization_id).first()
    if org is None or not actor.can_see(org.pk, org.region_code):
        raise NotFound(_("Organisation not found."))
    if org.kind != OrgKind.POSYANDU:
        raise ServiceError(_("Only an organisation of kind posyandu can run a posyandu."), code="not_posyandu_org")
    region_code = _require_kelurahan(region_code)
    actor.require_region(region_code)
    _check_schedule(schedule_day_of_month, schedule_week_of_month, schedule_weekday)
    if Posyandu.objects.filter(organization=org).exists():
        raise Conflict(_("This organisation already has a posyandu."), code="posyandu_exists")
    p = Posyandu.objects.create(organization=org, name=name.strip(), region_code=region_code, address=address,
                                schedule_day_of_month=schedule_day_of_month,
                                schedule_week_of_month=schedule_week_of_month, schedule_weekday=schedule_weekday)
    _audit_created(actor, p)
    emit("health.posyandu_created", {"id": p.pk, "organization_id": org.pk, "region_code": region_code},
         organization=org, region_code=region_code)
    return p


def _check_schedule(day, week, weekday):
    if day is not None and not 1 <= day <= 31:
        raise ServiceError(_("The day of the month must be between 1 and 31."), code="invalid_schedule")
    if (week is None) != (weekday is None):
        raise ServiceError(_("Give both the week of the month and the weekday."), code="invalid_schedule")
    if week is not None and not (1 <= week <= 5 and 0 <= weekday <= 6):
        raise ServiceError(_("Week 1-5 and weekday 0 (Monday) to 6 (Sunday)."), code="invalid_schedule")
    if day is not None and week is not None:
        raise ServiceError(_("Give a day of the month or a weekday, not both."), code="invalid_schedule")


# --- persons ------------------------------------------------------------------------------------


def visible_persons(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Person.objects.all())


def get_person(actor: Actor, person_id: int) -> Person:
    p = visible_persons(actor).select_related("posyandu").filter(pk=person_id).first()
    if p is None:
        raise NotFound(_("Person not found."))
    return p


def find_by_nik(actor: Actor, raw_nik: str) -> Person | None:
    """A visible person with this NIK (lookup by keyed hash), else None."""
    nik = nik_mod.normalize(raw_nik)
    if not nik:
        return None
    return visible_persons(actor).filter(nik_hash=nik_mod.nik_hash(nik)).first()


def _clean_sex(sex: str) -> str:
    key = (sex or "").strip().upper()
    if key in ("M", "L", "1", "LAKI-LAKI", "LAKI", "MALE"):
        return Sex.MALE
    if key in ("F", "P", "2", "PEREMPUAN", "WANITA", "FEMALE"):
        return Sex.FEMALE
    raise ServiceError(_("Sex must be L (male) or P (female)."), code="invalid_sex")


def _nik_error(exc: nik_mod.NikError) -> ServiceError:
    return ServiceError(exc.message, code=exc.code, details={"field": "nik"})


@transaction.atomic
def register_person(actor: Actor, *, posyandu_id: int, name: str, sex: str, birth_date: dt.date, nik: str = "",
                    region_code: str = "", household_id: int | None = None, mother_name: str = "",
                    address: str = "") -> Person:
    """Register a person at a posyandu; a NIK already registered anywhere is refused."""
    posyandu = _posyandu_for_record(actor, posyandu_id)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("The name is required."), code="name_required", details={"field": "name"})
    sex = _clean_sex(sex)
    if birth_date > latest_allowed_date():
        raise ServiceError(_("The date of birth is in the future."), code="future_date",
                           details={"field": "birth_date"})
    if birth_date < dt.date(1900, 1, 1):
        raise ServiceError(_("The date of birth is too far in the past."), code="invalid_birth_date",
                           details={"field": "birth_date"})
    clean_nik = ""
    if nik_mod.normalize(nik):
        try:
            clean_nik = nik_mod.validate(nik, birth_date, sex)
        except nik_mod.NikError as exc:
            raise _nik_error(exc) from None
    hashed = nik_mod.nik_hash(clean_nik)
    if hashed:
        existing = Person.objects.filter(nik_hash=hashed).first()
        if existing is not None:
            # Say where only when the actor may see it; never reveal another posyandu's person.
            seen = actor.can_see(existing.organization_id, existing.region_code)
            raise Conflict(_("A person with this NIK is already registered."), code="duplicate_nik",
                           details={"person_id": existing.pk} if seen else {"elsewhere": True})
    region_code = _require_kelurahan(region_code) if region_code else posyandu.region_code
    # A person outside the actor's area would be invisible to the kader who registered them.
    actor.require_region(region_code)
    household = None
    if household_id is not None:
        household = Household.objects.filter(pk=household_id, posyandu=posyandu).first()
        if household is None:
            raise NotFound(_("Household not found."))
    try:
        with transaction.atomic():
            person = Person.objects.create(
                organization_id=posyandu.organization_id, posyandu=posyandu, household=household,
                region_code=region_code, name=name[:200], sex=sex, birth_date=birth_date, nik=clean_nik,
                nik_hash=hashed, nik_masked=nik_mod.mask(clean_nik), mother_name=mother_name[:200],
                address=address[:300])
    except IntegrityError:  # a concurrent registration of the same NIK
        raise Conflict(_("A person with this NIK is already registered."), code="duplicate_nik") from None
    _audit_created(actor, person)
    emit("health.person_registered", {"id": person.pk, "posyandu_id": posyandu.pk, "sex": sex,
                                      "birth_date": birth_date, "region_code": region_code},
         organization=posyandu.organization_id, region_code=region_code)
    return person


@transaction.atomic
def create_household(actor: Actor, *, posyandu_id: int, head_name: str, address: str = "", rt: str = "",
                     rw: str = "", region_code: str = "") -> Household:
    posyandu = _posyandu_for_record(actor, posyandu_id)
    if not (head_name or "").strip():
        raise ServiceError(_("The head of household's name is required."), code="name_required")
    region_code = _require_kelurahan(region_code) if region_code else posyandu.region_code
    h = Household.objects.create(organization_id=posyandu.organization_id, posyandu=posyandu, region_code=region_code,
                                 head_name=head_name.strip()[:200], address=address[:300], rt=rt[:3], rw=rw[:3])
    _audit_created(actor, h)
    return h


# --- sessions -----------------------------------------------------------------------------------


def visible_sessions(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Session.objects.all()).select_related("posyandu")


def get_session(actor: Actor, session_id: int) -> Session:
    s = visible_sessions(actor).filter(pk=session_id).first()
    if s is None:
        raise NotFound(_("Session not found."))
    return s


@transaction.atomic
def open_session(actor: Actor, *, posyandu_id: int, date: dt.date | None = None, note: str = "") -> Session:
    """Open the posyandu day; opening the same day again returns the session already open."""
    posyandu = _posyandu_for_record(actor, posyandu_id)
    date = date or today_local(posyandu.region_code)
    if date > latest_allowed_date():
        raise ServiceError(_("A posyandu day cannot be opened in advance."), code="future_date")
    existing = Session.objects.filter(posyandu=posyandu, date=date).first()
    if existing is not None:
        return existing
    s = Session.objects.create(organization_id=posyandu.organization_id, posyandu=posyandu,
                               region_code=posyandu.region_code, date=date, note=note[:300],
                               opened_by=actor.user if getattr(actor.user, "pk", None) else None)
    _audit_created(actor, s)
    emit("health.session_opened", {"id": s.pk, "posyandu_id": posyandu.pk, "date": date},
         organization=posyandu.organization_id, region_code=posyandu.region_code)
    return s


def _session_for_record(actor: Actor, session_id: int) -> Session:
    actor.require("health.record")
    s = get_session(actor, session_id)
    if s.status != SessionStatus.OPEN:
        raise Conflict(_("This posyandu day is closed."), code="session_closed")
    return s


def _person_of_posyandu(actor: Actor, person_id: int, posyandu: Posyandu) -> Person:
    person = get_person(actor, person_id)
    if person.posyandu_id != posyandu.pk:
        raise ServiceError(_("This person is registered at another posyandu."), code="other_posyandu")
    return person


def _mark_attendance(actor: Actor, session: Session, person: Person) -> bool:
    """True when the person was newly marked present."""
    _obj, created = Attendance.objects.get_or_create(
        session=session, person=person,
        defaults={"recorded_by": actor.user if getattr(actor.user, "pk", None) else None})
    if created:
        emit("health.attendance_recorded", {"session_id": session.pk, "person_id": person.pk,
                                            "attendance_count": session.attendance.count()},
             organization=session.organization_id, region_code=session.region_code)
    return created


@transaction.atomic
def record_attendance(actor: Actor, *, session_id: int, person_id: int) -> Attendance:
    session = _session_for_record(actor, session_id)
    person = _person_of_posyandu(actor, person_id, session.posyandu)
    _mark_attendance(actor, session, person)
    return Attendance.objects.get(session=session, person=person)


@transaction.atomic
def close_session(actor: Actor, *, session_id: int) -> Session:
    session = _session_for_record(actor, session_id)
    before = audit.snapshot(session)
    session.status = SessionStatus.CLOSED
    session.closed_at = timezone.now()
    session.save(update_fields=["status", "closed_at"])
    _audit_updated(actor, session, before)
    emit("health.session_closed", {"id": session.pk, "posyandu_id": session.posyandu_id, "date": session.date,
                                   "attendance_count": session.attendance.count(),
                                   "measurement_count": session.measurements.count()},
         organization=session.organization_id, region_code=session.region_code)
    return session


# --- measurements -------------------------------------------------------------------------------


def _clean_position(position: str | None) -> str:
    key = (position or "").strip().lower()
    if key in ("", "auto"):
        return ""
    if key in ("lying", "l", "berbaring", "terlentang", "pb"):
        return Position.LYING
    if key in ("standing", "h", "berdiri", "tb"):
        return Position.STANDING
    raise ServiceError(_("Position must be lying or standing."), code="invalid_position", details={"field": "position"})


def assess(person: Person, measured_on: dt.date, weight_g: int | None, length_height_mm: int | None,
           position: str = "", oedema: bool = False) -> growth.GrowthResult | None:
    """WHO z-scores of one measurement of a child under five; None for older persons."""
    age_days = person.age_days_on(measured_on)
    if age_days > GROWTH_MAX_AGE_DAYS:
        return None
    return growth.assess(
        person.sex, age_days,
        None if weight_g is None else weight_g / 1000.0,
        None if length_height_mm is None else length_height_mm / 10.0,
        {"lying": "l", "standing": "h"}.get(position), oedema)


def check_values(person: Person, measured_on: dt.date, weight_g: int | None, length_height_mm: int | None,
                 position: str = "", oedema: bool = False) -> growth.GrowthResult | None:
    """Refuse impossible values and bad dates; return the assessment (whose flags ask for confirmation)."""
    if measured_on > latest_allowed_date():
        raise ServiceError(_("The measurement date is in the future."), code="future_date",
                           details={"field": "measured_on"})
    if measured_on < person.birth_date:
        raise ServiceError(_("The measurement date is before the date of birth."), code="before_birth",
                           details={"field": "measured_on"})
    if weight_g is None and length_height_mm is None:
        raise ServiceError(_("Give the weight, the length/height, or both."), code="no_values")
    if weight_g is not None and not WEIGHT_G_RANGE[0] <= weight_g <= WEIGHT_G_RANGE[1]:
        raise ServiceError(_("A weight of %(kg)s kg is impossible: check the number and the unit (kg).")
                           % {"kg": _fmt_kg(weight_g)}, code="impossible_weight", details={"field": "weight_g"})
    if length_height_mm is not None and not LENGTH_HEIGHT_MM_RANGE[0] <= length_height_mm <= LENGTH_HEIGHT_MM_RANGE[1]:
        raise ServiceError(_("A length/height of %(cm)s cm is impossible: check the number and the unit (cm).")
                           % {"cm": _fmt_cm(length_height_mm)}, code="impossible_length",
                           details={"field": "length_height_mm"})
    result = assess(person, measured_on, weight_g, length_height_mm, position, oedema)
    if result is not None:
        far = {k: v for k, v in result.z.items() if v is not None and abs(v) > IMPOSSIBLE_ABS_Z}
        if far:
            field = "length_height_mm" if set(far) == {"lhfa"} else "weight_g"
            raise ServiceError(
                _("These values are impossible for a child of this age (%(z)s SD from the WHO median): "
                  "check the numbers and the units.") % {"z": ", ".join(f"{v:+.1f}" for v in far.values())},
                code="impossible_measurement", details={"field": field, "z": far})
    return result


def _fmt_kg(weight_g: int) -> str:
    return f"{weight_g / 1000:.1f}".replace(".", ",")


def _fmt_cm(mm: int) -> str:
    return f"{mm / 10:.1f}".replace(".", ",")


def _implausible_error(result: growth.GrowthResult) -> ServiceError:
    flagged = [k for k, v in result.implausible.items() if v]
    return ServiceError(
        _("These values are outside WHO's plausible range for this child (%(indicators)s). Measure again, or "
          "confirm that they are right to save them flagged.")
        % {"indicators": ", ".join(INDICATOR_NAMES[k] for k in flagged)},
        code="needs_confirmation",
        details={"indicators": flagged, "z": {k: result.z[k] for k in flagged}}, status=422)


INDICATOR_NAMES = {
    "wfa": "BB/U", "lhfa": "PB/U atau TB/U", "wflh": "BB/PB atau BB/TB", "bmi": "IMT/U",
}


def refresh_weighing_results(person: Person) -> None:
    """Recompute N/T/O/B and 2T for all of a person's weighings (a measurement may arrive out of order)."""
    rows = list(Measurement.objects.filter(person=person, weight_g__isnull=False).order_by("measured_on"))
    prev_by_month: dict[tuple[int, int], Measurement] = {}
    last_status = ""
    for m in rows:
        ym = (m.measured_on.year, m.measured_on.month)
        earlier = [v for k, v in prev_by_month.items() if k < ym]
        previous = max(earlier, key=lambda r: r.measured_on) if earlier else None
        res = kms.weighing_result(person.birth_date, m.measured_on, m.weight_g,
                                  previous.measured_on if previous else None,
                                  previous.weight_g if previous else None)
        needs_referral = res.status == kms.NOT_GAINED and last_status == kms.NOT_GAINED
        new = (res.status, res.gain_g, res.minimum_gain_g, needs_referral)
        if (m.growth_status, m.weight_gain_g, m.minimum_gain_g, m.needs_referral) != new:
            Measurement.objects.filter(pk=m.pk).update(growth_status=res.status, weight_gain_g=res.gain_g,
                                                       minimum_gain_g=res.minimum_gain_g,
                                                       needs_referral=needs_referral)
            m.growth_status, m.weight_gain_g, m.minimum_gain_g, m.needs_referral = new
        # The last weighing of a month is the one the next month compares with.
        if ym not in prev_by_month or prev_by_month[ym].measured_on <= m.measured_on:
            prev_by_month[ym] = m
        last_status = res.status


def _round_z(z: float | None) -> float | None:
    return None if z is None or math.isnan(z) else round(z, 2)


def _measurement_event(m: Measurement) -> dict:
    return {"id": m.pk, "person_id": m.person_id, "posyandu_id": m.person.posyandu_id, "session_id": m.session_id,
            "measured_on": m.measured_on, "age_days": m.age_days, "z_wfa": m.z_wfa, "z_lhfa": m.z_lhfa,
            "z_wflh": m.z_wflh, "z_bmi": m.z_bmi, "category_wfa": m.category_wfa,
            "category_lhfa": m.category_lhfa, "category_wflh": m.category_wflh, "implausible": m.implausible,
            "growth_status": m.growth_status, "needs_referral": m.needs_referral}


def _store_measurement(actor: Actor, person: Person, *, measured_on: dt.date, weight_g: int | None,
                       length_height_mm: int | None, position: str, oedema: bool, confirm: bool,
                       session: Session | None, source: str, announce: bool = True) -> Measurement:
    position = _clean_position(position)
    result = check_values(person, measured_on, weight_g, length_height_mm, position, oedema)
    implausible = bool(result and result.any_implausible)
    if implausible and not confirm:
        raise _implausible_error(result)
    if Measurement.objects.filter(person=person, measured_on=measured_on).exists():
        raise Conflict(_("This person already has a measurement on %(date)s.") % {"date": measured_on.strftime("%d-%m-%Y")},
                       code="duplicate_measurement", details={"field": "measured_on"})
    user = actor.user if getattr(actor.user, "pk", None) else None
    m = Measurement(
        organization_id=person.organization_id, region_code=person.region_code, person=person, session=session,
        measured_on=measured_on, age_days=person.age_days_on(measured_on), weight_g=weight_g,
        length_height_mm=length_height_mm, position=position, oedema=oedema, recorded_by=user, source=source)
    if result is not None:
        m.z_wfa, m.z_lhfa = _round_z(result.z["wfa"]), _round_z(result.z["lhfa"])
        m.z_wflh, m.z_bmi = _round_z(result.z["wflh"]), _round_z(result.z["bmi"])
        m.category_wfa, m.category_lhfa = result.category["wfa"], result.category["lhfa"]
        m.category_wflh, m.category_bmi = result.category["wflh"], result.category["bmi"]
        if implausible:
            m.implausible = True
            m.implausible_indicators = [k for k, v in result.implausible.items() if v]
            m.confirmed_by, m.confirmed_at = user, timezone.now()
    m.save()
    if weight_g is not None:
        refresh_weighing_results(person)
        m.refresh_from_db()
    _audit_created(actor, m)
    if session is not None:
        _mark_attendance(actor, session, person)
    if announce:
        emit("health.measurement_recorded", _measurement_event(m), organization=m.organization_id,
             region_code=m.region_code)
    return m


@transaction.atomic
def record_measurement(actor: Actor, *, person_id: int, measured_on: dt.date, weight_g: int | None = None,
                       length_height_mm: int | None = None, position: str = "", oedema: bool = False,
                       confirm: bool = False, session_id: int | None = None) -> Measurement:
    """Record a measurement (in a posyandu session or not) with its z-scores, categories and KMS result."""
    actor.require("health.record")
    person = get_person(actor, person_id)
    session = None
    if session_id is not None:
        session = _session_for_record(actor, session_id)
        if session.posyandu_id != person.posyandu_id:
            raise ServiceError(_("This person is registered at another posyandu."), code="other_posyandu")
        measured_on = session.date
    return _store_measurement(actor, person, measured_on=measured_on, weight_g=weight_g,
                              length_height_mm=length_height_mm, position=position, oedema=oedema, confirm=confirm,
                              session=session, source="form")


def visible_measurements(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Measurement.objects.all())


def get_measurement(actor: Actor, measurement_id: int) -> Measurement:
    m = visible_measurements(actor).select_related("person").filter(pk=measurement_id).first()
    if m is None:
        raise NotFound(_("Measurement not found."))
    return m


# --- spreadsheet import -------------------------------------------------------------------------

IMPORT_ALL_OR_NOTHING = "all_or_nothing"
IMPORT_VALID_ROWS = "valid_rows"
IMPORT_MODES = (IMPORT_ALL_OR_NOTHING, IMPORT_VALID_ROWS)


class _RowFailed(Exception):
    def __init__(self, error):
        self.error = error


@dataclass
class ImportReport:
    """What an import did, or would have done: counts and the row-by-row errors (in the user's language)."""

    mode: str
    imported: bool = False
    rows_total: int = 0
    rows_imported: int = 0
    rows_failed: int = 0
    persons_created: int = 0
    persons_matched: int = 0
    measurements_created: int = 0
    measurements_unchanged: int = 0
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def import_spreadsheet(actor: Actor, *, posyandu_id: int, content: bytes, filename: str,
                       mode: str = IMPORT_ALL_OR_NOTHING) -> ImportReport:
    """Import the common posyandu spreadsheet (XLSX or CSV) into one posyandu, reporting errors row by row.

    Each row (one child with its months) is checked by the same rules as the forms: NIK valid and not
    registered at another posyandu, dates not in the future, impossible values refused, implausible
    values refused as "needs confirmation" (they are confirmed one by one on the child's page, never in
    bulk). A row whose NIK is already registered here adds its new months to that child; a month
    already recorded with the same values is left as it is (re-importing a file is harmless).

    mode "all_or_nothing" (the default): when any row fails, nothing is imported and the report lists
    every failing row, so the kader fixes the file and imports it again. mode "valid_rows": the rows
    without errors are imported, the failing rows are reported and left out entirely (never half a child).
    """
    actor.require("health.record")
    if mode not in IMPORT_MODES:
        raise ServiceError(_("Unknown import mode."), code="invalid_mode")
    posyandu = get_posyandu(actor, posyandu_id)
    try:
        sheet = importer.parse(content, filename)
    except importer.ImportFileError as exc:
        raise ServiceError(exc.message, code=exc.code) from None
    report = ImportReport(mode=mode)
    if sheet.errors:
        report.errors = [e.as_dict() for e in sheet.errors]
        return report
    report.rows_total = len(sheet.rows)
    with transaction.atomic():
        for row in sheet.rows:
            if not row.ok:
                report.rows_failed += 1
                report.errors.extend(e.as_dict() for e in row.errors)
                continue
            counts = {"created": 0, "matched": 0, "measurements": 0, "unchanged": 0}
            try:
                with transaction.atomic():
                    _import_row(actor, posyandu, row, counts)
            except _RowFailed as failed:
                report.rows_failed += 1
                report.errors.append(failed.error.as_dict())
                continue
            report.rows_imported += 1
            report.persons_created += counts["created"]
            report.persons_matched += counts["matched"]
            report.measurements_created += counts["measurements"]
            report.measurements_unchanged += counts["unchanged"]
        if report.rows_failed and mode == IMPORT_ALL_OR_NOTHING:
            transaction.set_rollback(True)
            report.imported = False
            report.persons_created = report.persons_matched = 0
            report.measurements_created = report.measurements_unchanged = 0
            report.rows_imported = 0
            return report
        report.imported = report.rows_imported > 0
        if report.imported:
            emit("health.import_completed", {
                "posyandu_id": posyandu.pk, "mode": mode, "rows_total": report.rows_total,
                "rows_imported": report.rows_imported, "rows_failed": report.rows_failed,
                "persons_created": report.persons_created, "measurements_created": report.measurements_created,
            }, organization=posyandu.organization_id, region_code=posyandu.region_code)
    return report


def _import_row(actor: Actor, posyandu: Posyandu, row, counts: dict) -> None:
    """One child and its months, or _RowFailed with the first problem (the row's savepoint rolls back)."""

    def fail(column: str, exc: ServiceError):
        raise _RowFailed(importer.RowError(row.row, column, exc.code, exc.message))

    nik_column = "NIK"
    try:
        clean = nik_mod.validate(row.nik, row.birth_date, row.sex)
    except nik_mod.NikError as exc:
        fail(nik_column, _nik_error(exc))
    existing = Person.objects.filter(nik_hash=nik_mod.nik_hash(clean)).first()
    if existing is not None:
        if existing.posyandu_id != posyandu.pk or not actor.can_see(existing.organization_id, existing.region_code):
            fail(nik_column, ServiceError(_("This NIK is registered at another posyandu."), code="duplicate_nik"))
        person = existing
        counts["matched"] += 1
    else:
        try:
            person = register_person(actor, posyandu_id=posyandu.pk, name=row.name, sex=row.sex,
                                     birth_date=row.birth_date, nik=clean, mother_name=row.mother_name)
        except ServiceError as exc:
            fail(nik_column if exc.code.startswith(("nik", "duplicate")) else "", exc)
        counts["created"] += 1
    for pm in row.measurements:
        same_day = Measurement.objects.filter(person=person, measured_on=pm.measured_on).first()
        if same_day is not None:
            if (same_day.weight_g, same_day.length_height_mm) == (pm.weight_g, pm.length_height_mm):
                counts["unchanged"] += 1
                continue
            fail(pm.column, ServiceError(
                _("Month %(label)s: %(date)s is already recorded with other values.")
                % {"label": pm.group, "date": pm.measured_on.strftime("%d-%m-%Y")}, code="duplicate_measurement"))
        try:
            _store_measurement(actor, person, measured_on=pm.measured_on, weight_g=pm.weight_g,
                               length_height_mm=pm.length_height_mm, position=pm.position, oedema=False,
                               confirm=False, session=None, source="import", announce=False)
        except ServiceError as exc:
            fail(pm.column, ServiceError(_("Month %(label)s: %(message)s") % {"label": pm.group,
                                                                               "message": exc.message}, code=exc.code))
        counts["measurements"] += 1
