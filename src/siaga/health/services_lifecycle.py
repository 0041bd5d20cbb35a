"""Write path of the life-cycle services: pregnancies and antenatal visits, immunisation and vitamin A doses, screenings.

Every function takes the actor first, requires health.record, acts only on persons the actor sees (a
kader: their own posyandu; a puskesmas health worker: the posyandu below it; anyone else gets "not
found", and the refusal is audited), runs in one transaction, writes the audit trail and queues its
event. A record made on a posyandu day is linked to that day's session (given, or the open session
of the person's posyandu on that date) and marks the person present.

Bad input: dates in the future or before birth, impossible values (a blood pressure of 400/20, a
diastolic above the systolic), a dose outside the schedule, a duplicate dose, a second capsule in one
vitamin A round: a clear error. Implausible-but-possible values (a systolic of 260, a dose given
before its minimum age): refused with code "needs_confirmation" unless the caller confirms, then
stored flagged with who confirmed and when.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog
from siaga.core.permissions import Actor

from . import events_lifecycle  # noqa: F401  (registers the event schemas)
from . import lifecycle as rules
from . import services
from .models import (
    AntenatalVisit,
    ImmunisationDose,
    Person,
    Pregnancy,
    PregnancyOutcome,
    Provider,
    Screening,
    ScreeningKind,
    ServicePlace,
    Session,
    SessionStatus,
    Sex,
    VitaminACapsule,
    VitaminADose,
)

_AUDIT_HIDDEN = {"nik", "nik_hash"}

# Lazy: translated when a message is built, in the language of the request.
FIELD_LABELS = {
    "systolic_mmhg": gettext_lazy("systolic blood pressure"), "diastolic_mmhg": gettext_lazy("diastolic blood pressure"),
    "blood_sugar_mg_dl": gettext_lazy("blood sugar"), "hb_g_per_l": gettext_lazy("haemoglobin"),
    "muac_mm": gettext_lazy("LiLA (MUAC)"), "weight_g": gettext_lazy("weight"), "height_mm": gettext_lazy("height"),
    "waist_mm": gettext_lazy("waist circumference"), "fundal_height_mm": gettext_lazy("fundal height"),
    "adl_score": gettext_lazy("ADL score"), "iron_tablets": gettext_lazy("iron tablets"),
    "mother_age": gettext_lazy("mother's age"),
}


def _label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _audit_created(actor: Actor, obj) -> None:
    snap = {k: v for k, v in audit.snapshot(obj).items() if k not in _AUDIT_HIDDEN}
    audit.record(actor, AuditLog.Action.CREATE, obj, {k: [None, v] for k, v in snap.items() if v not in (None, "")})


def _audit_updated(actor: Actor, obj, before: dict) -> None:
    changes = audit.diff(before, audit.snapshot(obj))
    changes.pop("updated_at", None)
    if changes:
        audit.record(actor, AuditLog.Action.UPDATE, obj, changes)


def _check_date(day: dt.date, field: str, person: Person | None = None, what: str = "") -> None:
    if day > services.latest_allowed_date():
        raise ServiceError(_("The date is in the future."), code="future_date", details={"field": field})
    if person is not None and day < person.birth_date:
        raise ServiceError(_("The date is before the person's date of birth."), code="before_birth",
                           details={"field": field})


def _check_values(values: dict, confirm: bool, aliases: dict | None = None) -> list[str]:
    """Refuse impossible values; refuse implausible ones unless confirmed. Returns the implausible field names."""
    check = rules.check_ranges(values, aliases)
    if check.impossible:
        name, value = next(iter(check.impossible.items()))
        raise ServiceError(
            _("%(field)s of %(value)s is impossible: check the number and the unit.")
            % {"field": _label(name).capitalize(), "value": value},
            code="impossible_value", details={"field": name, "fields": sorted(check.impossible)})
    if check.implausible and not confirm:
        raise ServiceError(
            _("Unusual values (%(fields)s): check them again, or confirm that they are right to save them flagged.")
            % {"fields": ", ".join(f"{_label(k)} {v}" for k, v in check.implausible.items())},
            code="needs_confirmation", details={"fields": sorted(check.implausible)}, status=422)
    return sorted(check.implausible)


def _check_blood_pressure(systolic: int | None, diastolic: int | None) -> None:
    if (systolic is None) != (diastolic is None):
        raise ServiceError(_("Give both the systolic and the diastolic blood pressure."), code="blood_pressure_incomplete",
                           details={"field": "diastolic_mmhg" if diastolic is None else "systolic_mmhg"})
    if systolic is not None and diastolic >= systolic:
        raise ServiceError(_("The diastolic pressure (%(d)s) must be lower than the systolic (%(s)s): were they swapped?")
                           % {"d": diastolic, "s": systolic}, code="impossible_blood_pressure",
                           details={"field": "diastolic_mmhg"})


def _flag(obj, implausible: list[str], actor: Actor) -> None:
    if implausible:
        obj.implausible = True
        obj.implausible_fields = implausible
        obj.confirmed_by, obj.confirmed_at = _user(actor), timezone.now()


# --- persons and sessions -----------------------------------------------------------------------


def _person_for_record(actor: Actor, person_id: int) -> Person:
    actor.require("health.record")
    person = services.visible_persons(actor).select_related("posyandu").filter(pk=person_id).first()
    if person is None:
        raise NotFound(_("Person not found."))
    return person


def _session_for(actor: Actor, person: Person, day: dt.date, session_id: int | None,
                 place: str = ServicePlace.POSYANDU) -> Session | None:
    """The posyandu day a record belongs to: the one given (open, same posyandu), else, for a record made at the
    posyandu, the day open there on that date (a midwife's puskesmas visit that day is not part of it)."""
    if session_id is None:
        if place != ServicePlace.POSYANDU:
            return None
        return Session.objects.filter(posyandu_id=person.posyandu_id, date=day, status=SessionStatus.OPEN).first()
    session = services.get_session(actor, session_id)
    if session.status != SessionStatus.OPEN:
        raise Conflict(_("This posyandu day is closed."), code="session_closed")
    if session.posyandu_id != person.posyandu_id:
        raise ServiceError(_("This person is registered at another posyandu."), code="other_posyandu")
    if session.date != day:
        raise ServiceError(_("The date differs from the posyandu day (%(date)s).")
                           % {"date": session.date.strftime("%d-%m-%Y")}, code="session_date_mismatch")
    return session


def _attend(actor: Actor, session: Session | None, person: Person) -> None:
    if session is not None:
        services.record_attendance(actor, session_id=session.pk, person_id=person.pk)


def _tenant(person: Person) -> dict:
    return {"organization_id": person.organization_id, "region_code": person.region_code}


def _where(person: Person) -> dict:
    return {"organization": person.organization_id, "region_code": person.region_code}


# --- pregnancy ----------------------------------------------------------------------------------


def visible_pregnancies(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Pregnancy.objects.all()).select_related("person", "person__posyandu")


def get_pregnancy(actor: Actor, pregnancy_id: int) -> Pregnancy:
    p = visible_pregnancies(actor).filter(pk=pregnancy_id).first()
    if p is None:
        raise NotFound(_("Pregnancy not found."))
    return p


def _refresh_pregnancy(pregnancy: Pregnancy) -> None:
    """Renumber the contacts in date order and recompute the pregnancy's risk flags from it and its visits."""
    visit_flags = []
    for n, (pk, number, flags) in enumerate(pregnancy.visits.order_by("visit_date").values_list(
            "pk", "contact_number", "risk_flags"), start=1):
        if number != n:
            AntenatalVisit.objects.filter(pk=pk).update(contact_number=n)
        visit_flags.append(flags or [])
    person = pregnancy.person
    flags = rules.pregnancy_risk_flags(mother_birth_date=person.birth_date, lmp_date=pregnancy.lmp_date,
                                       para=pregnancy.para, previous_caesarean=pregnancy.previous_caesarean,
                                       height_mm=pregnancy.height_mm, visit_flags=visit_flags)
    if flags != pregnancy.risk_flags:
        pregnancy.risk_flags, pregnancy.high_risk = flags, bool(flags)
        Pregnancy.objects.filter(pk=pregnancy.pk).update(risk_flags=flags, high_risk=bool(flags))


@audit.refusable("register pregnancy", "health.pregnancy", "person_id")
def register_pregnancy(actor: Actor, *, person_id: int, lmp_date: dt.date, gravida: int = 1, para: int = 0,
                       abortus: int = 0, previous_caesarean: bool = False, height_mm: int | None = None,
                       note: str = "", confirm: bool = False, session_id: int | None = None) -> Pregnancy:
    """Register a woman's pregnancy from her HPHT; HPL and the risk flags are derived."""
    person = _person_for_record(actor, person_id)
    if person.sex != Sex.FEMALE:
        raise ServiceError(_("Only a woman can be registered as pregnant."), code="not_female")
    today = services.today_local(person.region_code)
    _check_date(lmp_date, "lmp_date", person)
    if (today - lmp_date).days > rules.MAX_GESTATION_DAYS:
        raise ServiceError(_("This HPHT is more than 45 weeks ago: record the pregnancy's outcome instead, or check "
                             "the date."), code="lmp_too_old", details={"field": "lmp_date"})
    age = rules.age_years(person.birth_date, lmp_date)
    if not 9 <= age <= 60:
        raise ServiceError(_("A mother of %(age)s years is impossible: check the date of birth and the HPHT.")
                           % {"age": age}, code="impossible_value", details={"field": "lmp_date"})
    if not 12 <= age <= 52:
        if not confirm:
            raise ServiceError(_("Unusual values (%(fields)s): check them again, or confirm that they are right to save "
                                 "them flagged.") % {"fields": f"{_label('mother_age')} {age}"},
                               code="needs_confirmation", details={"fields": ["mother_age"]}, status=422)
    if gravida < 1 or para < 0 or abortus < 0 or para + abortus > gravida - 1:
        raise ServiceError(_("Gravida counts this pregnancy too: para plus abortus must be less than gravida "
                           "(G%(g)s P%(p)s A%(a)s).") % {"g": gravida, "p": para, "a": abortus}, code="invalid_gpa",
                           details={"field": "gravida"})
    if gravida > 20:
        raise ServiceError(_("Gravida %(g)s is impossible.") % {"g": gravida}, code="invalid_gpa",
                           details={"field": "gravida"})
    _check_values({"height_mm": height_mm}, confirm)
    if previous_caesarean and para + abortus == 0:
        raise ServiceError(_("A previous caesarean needs a previous birth (para)."), code="invalid_gpa",
                           details={"field": "previous_caesarean"})
    ongoing = Pregnancy.objects.filter(person=person, outcome=PregnancyOutcome.ONGOING).first()
    if ongoing is not None:
        raise Conflict(_("This woman already has an ongoing pregnancy (HPHT %(date)s): record its outcome first.")
                       % {"date": ongoing.lmp_date.strftime("%d-%m-%Y")}, code="pregnancy_ongoing",
                       details={"pregnancy_id": ongoing.pk})
    session = _session_for(actor, person, today, session_id) if session_id else None
    try:
        with transaction.atomic():
            p = Pregnancy.objects.create(
                **_tenant(person), person=person, session=session, recorded_by=_user(actor), lmp_date=lmp_date,
                edd=rules.edd_from_lmp(lmp_date), gravida=gravida, para=para, abortus=abortus,
                previous_caesarean=previous_caesarean, height_mm=height_mm, note=note[:300])
    except IntegrityError:  # a concurrent registration
        raise Conflict(_("This woman already has an ongoing pregnancy."), code="pregnancy_ongoing") from None
    _refresh_pregnancy(p)
    _audit_created(actor, p)
    _attend(actor, session, person)
    emit("health.pregnancy_registered", {"id": p.pk, "person_id": person.pk, "posyandu_id": person.posyandu_id,
                                         "lmp_date": p.lmp_date, "edd": p.edd, "high_risk": p.high_risk,
                                         "risk_flags": p.risk_flags}, **_where(person))
    return p


@audit.refusable("end pregnancy", "health.pregnancy", "pregnancy_id")
def end_pregnancy(actor: Actor, *, pregnancy_id: int, outcome: str, ended_on: dt.date, note: str = "") -> Pregnancy:
    """Record how a pregnancy ended (birth, loss, death, moved away)."""
    actor.require("health.record")
    p = get_pregnancy(actor, pregnancy_id)
    if outcome not in PregnancyOutcome.values or outcome == PregnancyOutcome.ONGOING:
        raise ServiceError(_("Unknown outcome."), code="invalid_outcome", details={"field": "outcome"})
    if not p.ongoing:
        raise Conflict(_("This pregnancy has already ended (%(outcome)s).") % {"outcome": p.get_outcome_display()},
                       code="pregnancy_ended")
    _check_date(ended_on, "ended_on")
    if ended_on < p.lmp_date:
        raise ServiceError(_("The end date is before the HPHT."), code="before_lmp", details={"field": "ended_on"})
    last = p.visits.order_by("-visit_date").values_list("visit_date", flat=True).first()
    if last is not None and ended_on < last:
        raise ServiceError(_("The end date is before the last antenatal visit (%(date)s).")
                           % {"date": last.strftime("%d-%m-%Y")}, code="before_last_visit",
                           details={"field": "ended_on"})
    before = audit.snapshot(p)
    p.outcome, p.ended_on = outcome, ended_on
    if note:
        p.note = note[:300]
    p.save(update_fields=["outcome", "ended_on", "note", "updated_at"])
    _audit_updated(actor, p, before)
    emit("health.pregnancy_ended", {"id": p.pk, "person_id": p.person_id, "posyandu_id": p.person.posyandu_id,
                                    "outcome": outcome, "ended_on": ended_on}, **_where(p.person))
    return p


@audit.refusable("record antenatal visit", "health.antenatalvisit", "pregnancy_id")
def record_antenatal_visit(actor: Actor, *, pregnancy_id: int, visit_date: dt.date, session_id: int | None = None,
                           weight_g: int | None = None, systolic_mmhg: int | None = None,
                           diastolic_mmhg: int | None = None, hb_g_per_l: int | None = None,
                           muac_mm: int | None = None, fundal_height_mm: int | None = None,
                           td_status: int | None = None, td_given: bool = False, iron_tablets: int = 0,
                           signs: list[str] | None = None, provider: str = Provider.MIDWIFE, provider_name: str = "",
                           place: str = ServicePlace.POSYANDU, note: str = "", confirm: bool = False) -> AntenatalVisit:
    """Record an antenatal contact; gestational age, trimester, K number and the risk flags are derived."""
    actor.require("health.record")
    p = get_pregnancy(actor, pregnancy_id)
    person = p.person
    _check_date(visit_date, "visit_date")
    if visit_date < p.lmp_date:
        raise ServiceError(_("The visit date is before the HPHT."), code="before_lmp", details={"field": "visit_date"})
    ga = rules.gestational_age_days(p.lmp_date, visit_date)
    if ga > rules.MAX_GESTATION_DAYS:
        raise ServiceError(_("At this date the pregnancy would be %(weeks)s weeks: check the date or the HPHT.")
                           % {"weeks": ga // 7}, code="impossible_gestational_age", details={"field": "visit_date"})
    if not p.ongoing and p.ended_on is not None and visit_date > p.ended_on:
        raise ServiceError(_("The pregnancy ended on %(date)s.") % {"date": p.ended_on.strftime("%d-%m-%Y")},
                           code="pregnancy_ended", details={"field": "visit_date"})
    _check_blood_pressure(systolic_mmhg, diastolic_mmhg)
    implausible = _check_values({"weight_g": weight_g, "systolic_mmhg": systolic_mmhg,
                                 "diastolic_mmhg": diastolic_mmhg, "hb_g_per_l": hb_g_per_l, "muac_mm": muac_mm,
                                 "fundal_height_mm": fundal_height_mm, "iron_tablets": iron_tablets}, confirm)
    signs = list(dict.fromkeys(signs or []))
    unknown = [s for s in signs if s not in rules.VISIT_SIGNS]
    if unknown:
        raise ServiceError(_("Unknown sign: %(signs)s.") % {"signs": ", ".join(unknown)}, code="invalid_sign",
                           details={"field": "signs", "allowed": list(rules.VISIT_SIGNS)})
    if td_status is not None and not 0 <= td_status <= 5:
        raise ServiceError(_("The Td status is T0 to T5."), code="invalid_td_status", details={"field": "td_status"})
    if provider not in Provider.values:
        raise ServiceError(_("Unknown examiner."), code="invalid_provider", details={"field": "provider"})
    if place not in ServicePlace.values:
        raise ServiceError(_("Unknown place."), code="invalid_place", details={"field": "place"})
    if p.visits.filter(visit_date=visit_date).exists():
        raise Conflict(_("This pregnancy already has a visit on %(date)s.") % {"date": visit_date.strftime("%d-%m-%Y")},
                       code="duplicate_visit", details={"field": "visit_date"})
    session = _session_for(actor, person, visit_date, session_id, place)
    v = AntenatalVisit(
        **_tenant(person), pregnancy=p, session=session, recorded_by=_user(actor), visit_date=visit_date,
        gestational_age_days=ga, trimester=rules.trimester(ga), weight_g=weight_g, systolic_mmhg=systolic_mmhg,
        diastolic_mmhg=diastolic_mmhg, hb_g_per_l=hb_g_per_l, muac_mm=muac_mm, fundal_height_mm=fundal_height_mm,
        td_status=td_status, td_given=td_given, iron_tablets=iron_tablets, signs=signs,
        risk_flags=rules.visit_risk_flags(systolic_mmhg=systolic_mmhg, diastolic_mmhg=diastolic_mmhg,
                                          hb_g_per_l=hb_g_per_l, muac_mm=muac_mm, signs=signs),
        provider=provider, provider_name=provider_name[:200], place=place, note=note[:300])
    _flag(v, implausible, actor)
    try:
        with transaction.atomic():
            v.save()
    except IntegrityError:
        raise Conflict(_("This pregnancy already has a visit on %(date)s.") % {"date": visit_date.strftime("%d-%m-%Y")},
                       code="duplicate_visit") from None
    _refresh_pregnancy(p)
    v.refresh_from_db()
    _audit_created(actor, v)
    _attend(actor, session, person)
    summary = rules.anc_summary(p)
    emit("health.antenatal_visit_recorded", {
        "id": v.pk, "pregnancy_id": p.pk, "person_id": person.pk, "posyandu_id": person.posyandu_id,
        "session_id": v.session_id, "visit_date": visit_date, "trimester": v.trimester,
        "contact_number": v.contact_number, "visit_count": summary.count, "k4": summary.k4, "k6": summary.k6,
        "risk_flags": p.risk_flags, "high_risk": p.high_risk, "implausible": v.implausible}, **_where(person))
    return v


# --- immunisation -------------------------------------------------------------------------------


def visible_immunisations(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(ImmunisationDose.objects.all())


@audit.refusable("record immunisation", "health.immunisationdose", "person_id")
def record_immunisation(actor: Actor, *, person_id: int, vaccine: str, dose_number: int, given_on: dt.date,
                        session_id: int | None = None, place: str = ServicePlace.POSYANDU, batch: str = "",
                        provider_name: str = "", confirm: bool = False) -> ImmunisationDose:
    """Record a vaccine dose of the national schedule."""
    person = _person_for_record(actor, person_id)
    vaccine = (vaccine or "").strip().lower()
    entry = rules.SCHEDULE_BY_KEY.get((vaccine, dose_number))
    if entry is None:
        if vaccine not in rules.VACCINES:
            raise ServiceError(_("Unknown vaccine %(code)s.") % {"code": vaccine}, code="invalid_vaccine",
                               details={"field": "vaccine", "allowed": list(rules.VACCINES)})
        raise ServiceError(_("The schedule has no dose %(n)s of %(vaccine)s.")
                           % {"n": dose_number, "vaccine": rules.VACCINES[vaccine].label}, code="invalid_dose",
                           details={"field": "dose_number"})
    if place not in ServicePlace.values:
        raise ServiceError(_("Unknown place."), code="invalid_place", details={"field": "place"})
    if given_on > services.latest_allowed_date():
        raise ServiceError(_("The date is in the future."), code="future_date", details={"field": "given_on"})
    if given_on < person.birth_date:
        raise ServiceError(_("A dose cannot be given before the child's birth (%(date)s).")
                           % {"date": person.birth_date.strftime("%d-%m-%Y")}, code="before_birth",
                           details={"field": "given_on"})
    existing = ImmunisationDose.objects.filter(person=person, vaccine=vaccine, dose_number=dose_number).first()
    if existing is not None:
        raise Conflict(_("%(dose)s was already given on %(date)s.") % {
            "dose": entry.label, "date": existing.given_on.strftime("%d-%m-%Y")}, code="duplicate_dose",
            details={"id": existing.pk, "field": "dose_number"})
    others = dict(ImmunisationDose.objects.filter(person=person, vaccine=vaccine).values_list("dose_number", "given_on"))
    previous = others.get(dose_number - 1)
    later = {n: d for n, d in others.items() if n > dose_number}
    if any(d == given_on for d in others.values()):
        raise Conflict(_("Another dose of %(vaccine)s is already recorded on that day.")
                       % {"vaccine": rules.VACCINES[vaccine].label}, code="duplicate_dose", details={"field": "given_on"})
    if previous is not None and given_on < previous:
        raise ServiceError(_("Dose %(n)s cannot come before dose %(p)s (%(date)s).")
                           % {"n": dose_number, "p": dose_number - 1, "date": previous.strftime("%d-%m-%Y")},
                           code="dose_order", details={"field": "given_on"})
    if any(d < given_on for d in later.values()):
        raise ServiceError(_("A later dose of %(vaccine)s is recorded before this date.")
                           % {"vaccine": rules.VACCINES[vaccine].label}, code="dose_order",
                           details={"field": "given_on"})
    valid_from = rules.earliest_valid(entry, person.birth_date, previous)
    early = given_on < valid_from
    too_old = entry.max_age_days is not None and (given_on - person.birth_date).days > entry.max_age_days
    if (early or too_old) and not confirm:
        if early:
            msg = _("%(dose)s counts from %(date)s (minimum age or interval): check the date, or confirm that it "
                    "was given early to save it flagged.") % {"dose": entry.label,
                                                              "date": valid_from.strftime("%d-%m-%Y")}
        else:
            msg = _("%(dose)s is given only up to %(days)s days of age: check the date, or confirm to save it "
                    "flagged.") % {"dose": entry.label, "days": entry.max_age_days}
        raise ServiceError(msg, code="needs_confirmation",
                           details={"field": "given_on", "reason": "early" if early else "past_age_limit"},
                           status=422)
    session = _session_for(actor, person, given_on, session_id, place)
    try:
        with transaction.atomic():
            d = ImmunisationDose.objects.create(
                **_tenant(person), person=person, session=session, recorded_by=_user(actor), vaccine=vaccine,
                dose_number=dose_number, given_on=given_on, age_days=(given_on - person.birth_date).days,
                place=place, batch=batch.strip()[:40], provider_name=provider_name[:200], early=early or too_old)
    except IntegrityError:  # the same dose sent twice at once
        raise Conflict(_("This dose is already recorded."), code="duplicate_dose") from None
    _audit_created(actor, d)
    _attend(actor, session, person)
    done = rules.complete_basic_on(person.birth_date, person.immunisations.values_list("vaccine", "dose_number",
                                                                                     "given_on"))
    emit("health.immunisation_recorded", {
        "id": d.pk, "person_id": person.pk, "posyandu_id": person.posyandu_id, "session_id": d.session_id,
        "vaccine": vaccine, "dose_number": dose_number, "given_on": given_on, "early": d.early,
        "complete_basic": done is not None}, **_where(person))
    return d


# --- vitamin A ----------------------------------------------------------------------------------


@audit.refusable("record vitamin A", "health.vitaminadose", "person_id")
def record_vitamin_a(actor: Actor, *, person_id: int, given_on: dt.date, capsule: str = "",
                     session_id: int | None = None, place: str = ServicePlace.POSYANDU) -> VitaminADose:
    """Record a vitamin A capsule: blue at 6-11 months, red at 12-59 months, one per round (February/August)."""
    person = _person_for_record(actor, person_id)
    _check_date(given_on, "given_on", person)
    expected = rules.vitamin_a_capsule(person.birth_date, given_on)
    months = rules.age_months(person.birth_date, given_on)
    if expected is None:
        raise ServiceError(_("Vitamin A capsules are for children of 6 to 59 months; this child is %(m)s months old.")
                           % {"m": months}, code="vitamin_a_age", details={"field": "given_on"})
    capsule = (capsule or expected).strip().lower()
    if capsule not in VitaminACapsule.values:
        raise ServiceError(_("The capsule is blue or red."), code="invalid_capsule", details={"field": "capsule"})
    if capsule != expected:
        raise ServiceError(_("A child of %(m)s months gets the %(expected)s.")
                           % {"m": months, "expected": VitaminACapsule(expected).label}, code="wrong_capsule",
                           details={"field": "capsule", "expected": expected})
    if place not in ServicePlace.values:
        raise ServiceError(_("Unknown place."), code="invalid_place", details={"field": "place"})
    rnd = rules.vitamin_a_round(given_on)
    existing = VitaminADose.objects.filter(person=person, round=rnd).first()
    if existing is not None:
        raise Conflict(_("This child already had a vitamin A capsule in this round (%(date)s).")
                       % {"date": existing.given_on.strftime("%d-%m-%Y")}, code="duplicate_dose",
                       details={"id": existing.pk, "field": "given_on"})
    session = _session_for(actor, person, given_on, session_id, place)
    try:
        with transaction.atomic():
            d = VitaminADose.objects.create(**_tenant(person), person=person, session=session,
                                            recorded_by=_user(actor), given_on=given_on,
                                            age_days=(given_on - person.birth_date).days, capsule=capsule,
                                            round=rnd, place=place)
    except IntegrityError:
        raise Conflict(_("This child already had a vitamin A capsule in this round."), code="duplicate_dose") from None
    _audit_created(actor, d)
    _attend(actor, session, person)
    emit("health.vitamin_a_recorded", {"id": d.pk, "person_id": person.pk, "posyandu_id": person.posyandu_id,
                                       "session_id": d.session_id, "given_on": given_on, "capsule": capsule,
                                       "round": rnd}, **_where(person))
    return d


# --- screening ----------------------------------------------------------------------------------


def visible_screenings(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Screening.objects.all())


@audit.refusable("record screening", "health.screening", "person_id")
def record_screening(actor: Actor, *, person_id: int, screened_on: dt.date, kind: str = "",
                     session_id: int | None = None, systolic_mmhg: int | None = None,
                     diastolic_mmhg: int | None = None, blood_sugar_mg_dl: int | None = None,
                     blood_sugar_kind: str = "", weight_g: int | None = None, height_mm: int | None = None,
                     waist_mm: int | None = None, hb_g_per_l: int | None = None, adl_score: int | None = None,
                     place: str = ServicePlace.POSYANDU, notes: str = "", confirm: bool = False) -> Screening:
    """Record a screening of a school-age child, adolescent, adult or elderly person; the flags are derived."""
    person = _person_for_record(actor, person_id)
    _check_date(screened_on, "screened_on", person)
    years = rules.age_years(person.birth_date, screened_on)
    by_age = rules.screening_kind_for_age(years)
    if by_age is None:
        raise ServiceError(_("Screening is for persons of 6 years and older; under-fives are weighed and measured "
                             "on the posyandu day."), code="screening_age", details={"field": "person_id"})
    kind = kind or by_age
    if kind not in ScreeningKind.values:
        raise ServiceError(_("Unknown kind of screening."), code="invalid_kind", details={"field": "kind"})
    if kind != by_age:
        raise ServiceError(_("A person of %(y)s years is screened as %(kind)s.")
                           % {"y": years, "kind": ScreeningKind(by_age).label}, code="kind_age_mismatch",
                           details={"field": "kind", "expected": by_age})
    if place not in ServicePlace.values:
        raise ServiceError(_("Unknown place."), code="invalid_place", details={"field": "place"})
    _check_blood_pressure(systolic_mmhg, diastolic_mmhg)
    if blood_sugar_mg_dl is not None and blood_sugar_kind not in rules.DIABETES_MG_DL:
        raise ServiceError(_("Say whether the blood sugar was fasting, random or 2 hours after a meal."),
                           code="blood_sugar_kind_required", details={"field": "blood_sugar_kind"})
    if blood_sugar_mg_dl is None:
        blood_sugar_kind = ""
    if adl_score is not None and kind != ScreeningKind.ELDERLY:
        raise ServiceError(_("The ADL score is for the elderly."), code="adl_not_elderly", details={"field": "adl_score"})
    if not any(v is not None for v in (systolic_mmhg, blood_sugar_mg_dl, weight_g, height_mm, waist_mm, hb_g_per_l,
                                       adl_score)):
        raise ServiceError(_("Give at least one measurement."), code="no_values")
    child = years < 19
    implausible = _check_values(
        {"systolic_mmhg": systolic_mmhg, "diastolic_mmhg": diastolic_mmhg, "blood_sugar_mg_dl": blood_sugar_mg_dl,
         "weight_g": weight_g, "height_mm": height_mm, "waist_mm": waist_mm, "hb_g_per_l": hb_g_per_l,
         "adl_score": adl_score}, confirm,
        aliases={"weight_g": "child_weight_g", "height_mm": "child_height_mm"} if child else None)
    if Screening.objects.filter(person=person, screened_on=screened_on).exists():
        raise Conflict(_("This person already has a screening on %(date)s.")
                       % {"date": screened_on.strftime("%d-%m-%Y")}, code="duplicate_screening",
                       details={"field": "screened_on"})
    session = _session_for(actor, person, screened_on, session_id, place)
    s = Screening(
        **_tenant(person), person=person, session=session, recorded_by=_user(actor), screened_on=screened_on,
        kind=kind, age_years=years, systolic_mmhg=systolic_mmhg, diastolic_mmhg=diastolic_mmhg,
        blood_sugar_mg_dl=blood_sugar_mg_dl, blood_sugar_kind=blood_sugar_kind, weight_g=weight_g,
        height_mm=height_mm, waist_mm=waist_mm, hb_g_per_l=hb_g_per_l, adl_score=adl_score,
        adl_level=rules.adl_level(adl_score), bmi_x10=rules.bmi_x10(weight_g, height_mm), place=place,
        notes=notes[:2000],
        flags=rules.screening_flags(sex=person.sex, age_years=years, systolic_mmhg=systolic_mmhg,
                                    diastolic_mmhg=diastolic_mmhg, blood_sugar_mg_dl=blood_sugar_mg_dl,
                                    blood_sugar_kind=blood_sugar_kind, weight_g=weight_g, height_mm=height_mm,
                                    waist_mm=waist_mm, hb_g_per_l=hb_g_per_l, adl_score=adl_score))
    _flag(s, implausible, actor)
    try:
        with transaction.atomic():
            s.save()
    except IntegrityError:
        raise Conflict(_("This person already has a screening on that day."), code="duplicate_screening") from None
    _audit_created(actor, s)
    _attend(actor, session, person)
    emit("health.screening_recorded", {"id": s.pk, "person_id": person.pk, "posyandu_id": person.posyandu_id,
                                       "session_id": s.session_id, "screened_on": screened_on, "kind": kind,
                                       "flags": s.flags, "implausible": s.implausible}, **_where(person))
    return s


# --- read side: cards and due lists -------------------------------------------------------------


def immunisation_card(actor: Actor, person_id: int, on: dt.date | None = None,
                      grace_days: int | None = None) -> tuple[Person, rules.ImmunisationStatus]:
    person = services.get_person(actor, person_id)
    return person, rules.immunisation_status(person, on or services.today_local(person.region_code), grace_days)


def due_lists(actor: Actor, posyandu_id: int, on: dt.date | None = None, grace_days: int | None = None) -> dict:
    """What to give at a posyandu's next day (or on a given day): immunisation due/overdue, vitamin A, ANC."""
    posyandu = services.get_posyandu(actor, posyandu_id)
    today = services.today_local(posyandu.region_code)
    day = on or posyandu.next_session_date(today) or today
    persons = services.visible_persons(actor).filter(posyandu=posyandu)
    pregnancies = list(visible_pregnancies(actor).filter(person__posyandu=posyandu, outcome=PregnancyOutcome.ONGOING)
                       .order_by("edd"))
    summaries = rules.anc_summaries(pregnancies, until=day)
    return {
        "posyandu": posyandu, "on": day, "grace_days": rules.grace_days_setting() if grace_days is None else grace_days,
        "immunisation": rules.immunisation_due_list(persons, day, grace_days),
        "vitamin_a": rules.vitamin_a_due_list(persons, day), "vitamin_a_month": rules.in_vitamin_a_month(day),
        "pregnancies": [(p, summaries[p.pk], rules.gestational_age_days(p.lmp_date, day)) for p in pregnancies],
    }
