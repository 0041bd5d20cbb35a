"""Life-cycle service rules: the national immunisation schedule, due and overdue doses, vitamin A rounds, antenatal
care counts (K1..K6) and the risk flags of pregnancies and screenings.

Everything here is data plus pure functions (and a few read-only bulk queries for lists and dashboards); the
write path is siaga.health.services_lifecycle. The tables name their source so a programme change (a new
antigen, a moved dose) is an edit of one table, not of the code.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

# --- dates --------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (the last day when the month is shorter): 31 Jan + 1 = 28/29 Feb."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_months(birth_date: dt.date, on: dt.date) -> int:
    """Completed months of age on a day (a child born 15 Jan is 1 month old from 15 Feb)."""
    months = (on.year - birth_date.year) * 12 + on.month - birth_date.month
    if add_months(birth_date, months) > on:
        months -= 1
    return months


def age_years(birth_date: dt.date, on: dt.date) -> int:
    return age_months(birth_date, on) // 12


# --- immunisation schedule ----------------------------------------------------------------------

SCHEDULE_SOURCE = (
    "Kemenkes routine immunisation programme for infants and under-twos (Permenkes 12/2017 as updated by the "
    "programme): 0 mo HB0; 1 mo BCG, OPV1; 2 mo DPT-HB-Hib1, OPV2, PCV1, RV1; 3 mo DPT-HB-Hib2, OPV3, PCV2, RV2; "
    "4 mo DPT-HB-Hib3, OPV4, IPV1, RV3; 9 mo MR1, IPV2; 12 mo PCV3; 18 mo DPT-HB-Hib4, MR2. PCV nationwide "
    "from 2022/2023; rotavirus nationwide from 15 Aug 2023 (KMK HK.01.07/Menkes/1139/2022, SE IM.02.02/C/3052/2023: "
    "3 doses at 2, 3, 4 months, at least 4 weeks apart, last dose by 6 months 29 days); IPV2 nationwide from 2023. "
    "HB0 within 24 hours of birth, valid up to 7 days. JE (selected districts only) is not in the national table."
)


@dataclass(frozen=True)
class Vaccine:
    code: str
    label: str  # what the card shows (programme abbreviation)
    name: str  # the antigen, for FHIR display
    route: str  # oral, intramuscular, intradermal, subcutaneous


VACCINES: dict[str, Vaccine] = {v.code: v for v in (
    Vaccine("hb0", "HB0", "Hepatitis B birth dose", "intramuscular"),
    Vaccine("bcg", "BCG", "BCG (tuberculosis)", "intradermal"),
    Vaccine("opv", "Polio tetes (bOPV)", "Bivalent oral polio vaccine", "oral"),
    Vaccine("dpt_hb_hib", "DPT-HB-Hib", "Diphtheria, tetanus, pertussis, hepatitis B and Hib (pentavalent)",
            "intramuscular"),
    Vaccine("pcv", "PCV", "Pneumococcal conjugate vaccine", "intramuscular"),
    Vaccine("rv", "Rotavirus (RV)", "Rotavirus vaccine", "oral"),
    Vaccine("ipv", "Polio suntik (IPV)", "Inactivated polio vaccine", "intramuscular"),
    Vaccine("mr", "MR", "Measles and rubella vaccine", "subcutaneous"),
)}


@dataclass(frozen=True)
class ScheduleEntry:
    """One dose of the programme: due from an age, valid from a minimum age and interval, possibly with an age limit."""

    vaccine: str
    dose: int
    due_months: int  # the programme's age for this dose (0 = at birth)
    min_age_days: int  # a dose before this age does not count (needs confirmation, stored as early)
    min_interval_days: int = 0  # after the previous dose of the same vaccine
    max_age_days: int | None = None  # not given after this age (missed)
    basic: bool = False  # part of "imunisasi dasar lengkap" (complete basic immunisation by 12 months)
    booster: bool = False

    @property
    def key(self) -> tuple[str, int]:
        return (self.vaccine, self.dose)

    @property
    def label(self) -> str:
        v = VACCINES[self.vaccine]
        if self.vaccine == "hb0":
            return v.label
        if self.booster:
            return _("%(vaccine)s booster") % {"vaccine": v.label}
        return f"{v.label} {self.dose}"


FOUR_WEEKS = 28
SCHEDULE: tuple[ScheduleEntry, ...] = (
    ScheduleEntry("hb0", 1, 0, 0, max_age_days=7, basic=True),
    ScheduleEntry("bcg", 1, 1, 0, max_age_days=364, basic=True),
    ScheduleEntry("opv", 1, 1, 0, basic=True),
    ScheduleEntry("opv", 2, 2, 42, FOUR_WEEKS, basic=True),
    ScheduleEntry("opv", 3, 3, 70, FOUR_WEEKS, basic=True),
    ScheduleEntry("opv", 4, 4, 98, FOUR_WEEKS, basic=True),
    ScheduleEntry("dpt_hb_hib", 1, 2, 42, basic=True),
    ScheduleEntry("dpt_hb_hib", 2, 3, 70, FOUR_WEEKS, basic=True),
    ScheduleEntry("dpt_hb_hib", 3, 4, 98, FOUR_WEEKS, basic=True),
    ScheduleEntry("pcv", 1, 2, 42),
    ScheduleEntry("pcv", 2, 3, 70, FOUR_WEEKS),
    ScheduleEntry("rv", 1, 2, 42, max_age_days=213),
    ScheduleEntry("rv", 2, 3, 70, FOUR_WEEKS, max_age_days=213),
    ScheduleEntry("rv", 3, 4, 98, FOUR_WEEKS, max_age_days=213),
    ScheduleEntry("ipv", 1, 4, 98, basic=True),
    ScheduleEntry("ipv", 2, 9, 180, 56),
    ScheduleEntry("mr", 1, 9, 270, basic=True),
    ScheduleEntry("pcv", 3, 12, 270, 56, booster=True),
    ScheduleEntry("dpt_hb_hib", 4, 18, 365, 180, booster=True),
    ScheduleEntry("mr", 2, 18, 450, 180, booster=True),
)
SCHEDULE_BY_KEY: dict[tuple[str, int], ScheduleEntry] = {e.key: e for e in SCHEDULE}
BASIC_DOSES: tuple[tuple[str, int], ...] = tuple(e.key for e in SCHEDULE if e.basic)
# A child stays on the due lists until five (balita); catch-up after that is a puskesmas matter.
DUE_LIST_MAX_AGE_MONTHS = 59
DEFAULT_GRACE_DAYS = 28


def grace_days_setting() -> int:
    """Days after the due date before a dose counts as overdue (settings.SIAGA_IMMUNISATION_GRACE_DAYS, default 28)."""
    return int(getattr(settings, "SIAGA_IMMUNISATION_GRACE_DAYS", DEFAULT_GRACE_DAYS))


class DoseState:
    GIVEN = "given"
    DUE = "due"  # due now, within the grace window
    OVERDUE = "overdue"  # past the grace window, still worth giving
    UPCOMING = "upcoming"  # not yet due (too young, or waiting for the previous dose)
    MISSED = "missed"  # past the age limit: no longer given (HB0 after 7 days, RV after 6 months 29 days)


DOSE_STATE_LABELS = {
    DoseState.GIVEN: _("given"), DoseState.DUE: _("due"), DoseState.OVERDUE: _("overdue"),
    DoseState.UPCOMING: _("upcoming"), DoseState.MISSED: _("missed (past the age limit)"),
}


@dataclass
class DoseStatus:
    vaccine: str
    dose: int
    label: str
    state: str
    due_on: dt.date
    overdue_on: dt.date  # the first day it counts as overdue
    given_on: dt.date | None = None
    early: bool = False
    basic: bool = False

    @property
    def state_label(self) -> str:
        return str(DOSE_STATE_LABELS[self.state])

    def as_dict(self) -> dict:
        return {"vaccine": self.vaccine, "dose": self.dose, "label": str(self.label), "state": self.state,
                "due_on": self.due_on, "overdue_on": self.overdue_on, "given_on": self.given_on, "early": self.early,
                "basic": self.basic}


@dataclass
class ImmunisationStatus:
    on: dt.date
    items: list[DoseStatus]
    complete_basic: bool
    complete_basic_on: dt.date | None

    def pending(self) -> list[DoseStatus]:
        """Doses to give now (due or overdue)."""
        return [i for i in self.items if i.state in (DoseState.DUE, DoseState.OVERDUE)]


def earliest_valid(entry: ScheduleEntry, birth_date: dt.date, previous_given_on: dt.date | None) -> dt.date:
    """The first day a dose counts: its minimum age, and its interval after the previous dose."""
    day = birth_date + dt.timedelta(days=entry.min_age_days)
    if entry.min_interval_days and previous_given_on is not None:
        day = max(day, previous_given_on + dt.timedelta(days=entry.min_interval_days))
    return day


def schedule_status(birth_date: dt.date, given: dict[tuple[str, int], dt.date], on: dt.date,
                    grace_days: int | None = None) -> ImmunisationStatus:
    """The state of every dose of the schedule for a child on a day, from the doses given (key -> date)."""
    grace = grace_days_setting() if grace_days is None else grace_days
    items: list[DoseStatus] = []
    previous: dict[str, tuple[dt.date | None, dt.date]] = {}  # vaccine -> (given_on, due_on) of the last dose
    for entry in sorted(SCHEDULE, key=lambda e: (e.vaccine, e.dose)):
        age_due = add_months(birth_date, entry.due_months)
        prev_given, prev_due = previous.get(entry.vaccine, (None, None))
        due_on = age_due
        if entry.min_interval_days and entry.dose > 1:
            base = prev_given or prev_due
            if base is not None:
                due_on = max(due_on, base + dt.timedelta(days=entry.min_interval_days))
        overdue_on = due_on + dt.timedelta(days=grace + 1)
        given_on = given.get(entry.key)
        limit = birth_date + dt.timedelta(days=entry.max_age_days) if entry.max_age_days is not None else None
        early = False
        if given_on is not None:
            state = DoseState.GIVEN
            early = given_on < earliest_valid(entry, birth_date, prev_given)
        elif limit is not None and on > limit:
            state = DoseState.MISSED
        elif entry.dose > 1 and (entry.vaccine, entry.dose - 1) in SCHEDULE_BY_KEY and prev_given is None:
            state = DoseState.UPCOMING  # the previous dose first
        elif on < due_on:
            state = DoseState.UPCOMING
        elif on >= overdue_on:
            state = DoseState.OVERDUE
        else:
            state = DoseState.DUE
        if limit is not None:
            overdue_on = min(overdue_on, limit + dt.timedelta(days=1))
        items.append(DoseStatus(entry.vaccine, entry.dose, entry.label, state, due_on, overdue_on, given_on, early,
                                entry.basic))
        previous[entry.vaccine] = (given_on, due_on)
    order = {e.key: i for i, e in enumerate(SCHEDULE)}
    items.sort(key=lambda i: order[(i.vaccine, i.dose)])
    done = complete_basic_on(birth_date, ((k[0], k[1], d) for k, d in given.items()))
    return ImmunisationStatus(on, items, done is not None and done <= on, done if done and done <= on else None)


def complete_basic_on(birth_date: dt.date, doses: Iterable[tuple[str, int, dt.date]]) -> dt.date | None:
    """When the child became completely immunised (imunisasi dasar lengkap): the date of the last basic dose, when
    every basic dose was given before the first birthday; None otherwise."""
    first_birthday = add_months(birth_date, 12)
    given = {(v, n): d for v, n, d in doses}
    dates = []
    for key in BASIC_DOSES:
        d = given.get(key)
        if d is None or d >= first_birthday:
            return None
        dates.append(d)
    return max(dates)


def immunisation_status(person, on: dt.date, grace_days: int | None = None) -> ImmunisationStatus:
    """The immunisation card of a person on a day (one query)."""
    given = {(v, n): d for v, n, d in person.immunisations.values_list("vaccine", "dose_number", "given_on")}
    return schedule_status(person.birth_date, given, on, grace_days)


def complete_basic_by_person(person_ids: Iterable[int]) -> dict[int, dt.date | None]:
    """complete_basic_on for many persons in one query each for persons and doses."""
    from .models import ImmunisationDose, Person

    ids = list(person_ids)
    births = dict(Person.objects.filter(pk__in=ids).values_list("pk", "birth_date"))
    doses: dict[int, list] = defaultdict(list)
    basic_vaccines = {v for v, _n in BASIC_DOSES}
    for pid, v, n, d in ImmunisationDose.objects.filter(person_id__in=ids, vaccine__in=basic_vaccines).values_list(
            "person_id", "vaccine", "dose_number", "given_on"):
        doses[pid].append((v, n, d))
    return {pid: complete_basic_on(birth, doses.get(pid, ())) for pid, birth in births.items()}


@dataclass
class DueRow:
    person: object
    age_months: int
    doses: list[DoseStatus]

    @property
    def overdue(self) -> bool:
        return any(d.state == DoseState.OVERDUE for d in self.doses)


def immunisation_due_list(persons, on: dt.date, grace_days: int | None = None) -> list[DueRow]:
    """Children under five with doses due or overdue on a day (the list for the next posyandu day), two queries."""
    from .models import ImmunisationDose

    oldest = add_months(on, -(DUE_LIST_MAX_AGE_MONTHS + 1))
    children = list(persons.filter(active=True, birth_date__gt=oldest, birth_date__lte=on).order_by("birth_date",
                                                                                                   "name"))
    given: dict[int, dict] = defaultdict(dict)
    for pid, v, n, d in ImmunisationDose.objects.filter(person__in=[c.pk for c in children]).values_list(
            "person_id", "vaccine", "dose_number", "given_on"):
        given[pid][(v, n)] = d
    rows = []
    for child in children:
        status = schedule_status(child.birth_date, given[child.pk], on, grace_days)
        pending = status.pending()
        if pending:
            rows.append(DueRow(child, age_months(child.birth_date, on), pending))
    return rows


# --- vitamin A ----------------------------------------------------------------------------------

VITAMIN_A_SOURCE = (
    "Kemenkes vitamin A supplementation (Bulan Vitamin A, February and August): blue capsule 100,000 IU for "
    "infants 6-11 months, red capsule 200,000 IU for children 12-59 months, one capsule per round."
)
VITAMIN_A_MONTHS = (2, 8)
VITAMIN_A_BANDS = (  # (first month of age, last month of age, capsule)
    (6, 11, "blue"),
    (12, 59, "red"),
)


def vitamin_a_round(day: dt.date) -> str:
    """The distribution round a day belongs to: February's covers January-June, August's July-December."""
    return f"{day.year}-02" if day.month <= 6 else f"{day.year}-08"


def vitamin_a_capsule(birth_date: dt.date, on: dt.date) -> str | None:
    """The capsule for a child's age on a day, or None (under 6 months, or 5 years and older)."""
    months = age_months(birth_date, on)
    for first, last, capsule in VITAMIN_A_BANDS:
        if first <= months <= last:
            return capsule
    return None


def in_vitamin_a_month(day: dt.date) -> bool:
    return day.month in VITAMIN_A_MONTHS


@dataclass
class VitaminADueRow:
    person: object
    age_months: int
    capsule: str


def vitamin_a_due_list(persons, on: dt.date) -> list[VitaminADueRow]:
    """Children of 6-59 months on a day without a capsule in the current round (two queries)."""
    from .models import VitaminADose

    youngest = add_months(on, -6)
    oldest = add_months(on, -60)
    children = list(persons.filter(active=True, birth_date__gt=oldest, birth_date__lte=youngest)
                    .order_by("birth_date", "name"))
    done = set(VitaminADose.objects.filter(person__in=[c.pk for c in children], round=vitamin_a_round(on))
               .values_list("person_id", flat=True))
    rows = []
    for c in children:
        capsule = vitamin_a_capsule(c.birth_date, on)
        if capsule and c.pk not in done:
            rows.append(VitaminADueRow(c, age_months(c.birth_date, on), capsule))
    return rows


# --- antenatal care -----------------------------------------------------------------------------

ANC_SOURCE = (
    "K1-K6: Buku KIA 2020 / Kemenkes ANC standard (Permenkes 21/2021): at least 6 contacts, 2 in trimester 1, "
    "1 in trimester 2, 3 in trimester 3. K4 (Permenkes 97/2014, still the PWS indicator): at least 4 contacts, "
    "1 in trimester 1, 1 in trimester 2, 2 in trimester 3. Trimesters: T1 up to 12 completed weeks, T2 13-24, "
    "T3 from 25 weeks. HPL by Naegele's rule (HPHT + 280 days)."
)
PREGNANCY_DAYS = 280
# Minimum contacts per trimester (t1, t2, t3) for each K indicator.
ANC_RULES: dict[str, tuple[int, int, int]] = {
    "k4": (1, 1, 2),
    "k6": (2, 1, 3),
}
# A pregnancy longer than this is a data error (43 weeks is post-term already; 45 is the hard bound).
MAX_GESTATION_DAYS = 45 * 7


def edd_from_lmp(lmp: dt.date) -> dt.date:
    return lmp + dt.timedelta(days=PREGNANCY_DAYS)


def gestational_age_days(lmp: dt.date, on: dt.date) -> int:
    return (on - lmp).days


def trimester(gestational_days: int) -> int:
    weeks = gestational_days // 7
    if weeks <= 12:
        return 1
    if weeks <= 24:
        return 2
    return 3


@dataclass
class AncSummary:
    count: int
    by_trimester: tuple[int, int, int]
    k1: bool
    k1_t1: bool  # first contact in trimester 1 ("K1 murni")
    k4: bool
    k6: bool
    last_visit: dt.date | None = None

    def as_dict(self) -> dict:
        return {"count": self.count, "by_trimester": list(self.by_trimester), "k1": self.k1, "k1_t1": self.k1_t1,
                "k4": self.k4, "k6": self.k6, "last_visit": self.last_visit}


def summarise_visits(visits: Iterable[tuple[dt.date, int]]) -> AncSummary:
    """K indicators from (visit_date, trimester) pairs."""
    visits = sorted(visits)
    per = [0, 0, 0]
    for _d, t in visits:
        per[t - 1] += 1

    def meets(rule):
        return all(per[i] >= rule[i] for i in range(3))

    return AncSummary(count=len(visits), by_trimester=tuple(per), k1=bool(visits),
                      k1_t1=bool(visits) and visits[0][1] == 1, k4=meets(ANC_RULES["k4"]),
                      k6=meets(ANC_RULES["k6"]), last_visit=visits[-1][0] if visits else None)


def anc_summary(pregnancy, until: dt.date | None = None) -> AncSummary:
    qs = pregnancy.visits.all()
    if until is not None:
        qs = qs.filter(visit_date__lte=until)
    return summarise_visits(qs.values_list("visit_date", "trimester"))


def anc_visit_count(pregnancy, until: dt.date | None = None) -> int:
    qs = pregnancy.visits.all()
    if until is not None:
        qs = qs.filter(visit_date__lte=until)
    return qs.count()


def anc_summaries(pregnancies, until: dt.date | None = None) -> dict[int, AncSummary]:
    """AncSummary per pregnancy id for many pregnancies (one query)."""
    from .models import AntenatalVisit

    ids = [p if isinstance(p, int) else p.pk for p in pregnancies]
    qs = AntenatalVisit.objects.filter(pregnancy_id__in=ids)
    if until is not None:
        qs = qs.filter(visit_date__lte=until)
    by: dict[int, list] = defaultdict(list)
    for pid, d, t in qs.values_list("pregnancy_id", "visit_date", "trimester"):
        by[pid].append((d, t))
    return {pid: summarise_visits(by.get(pid, ())) for pid in ids}


# Pregnancy risk vocabulary (Buku KIA; Kemenkes ANC standard). Codes are stored; labels are shown.
PREGNANCY_RISK_FLAGS: dict[str, str] = {
    "age_under_20": _("mother younger than 20"),
    "age_over_35": _("mother older than 35"),
    "short_stature": _("mother shorter than 145 cm"),
    "grand_multipara": _("four or more previous births"),
    "previous_caesarean": _("previous caesarean section"),
    "anaemia": _("anaemia (Hb below 11 g/dL)"),
    "hypertension": _("blood pressure 140/90 or higher"),
    "chronic_energy_deficiency": _("chronic energy deficiency (LiLA below 23.5 cm)"),
    "bleeding": _("bleeding"),
    "preeclampsia_signs": _("signs of pre-eclampsia"),
    "other_danger_sign": _("other danger sign"),
}
# Signs a visit can record (they become the flag of the same name, or other_danger_sign).
VISIT_SIGNS: dict[str, str] = {
    "bleeding": _("bleeding"),
    "preeclampsia_signs": _("signs of pre-eclampsia (severe headache, blurred vision, swollen face or hands)"),
    "fever": _("high fever"),
    "reduced_fetal_movement": _("baby moves less"),
    "ruptured_membranes": _("waters broke early"),
    "seizures": _("seizures"),
}
HB_ANAEMIA_PREGNANT_G_PER_L = 110
MUAC_KEK_MM = 235
SHORT_STATURE_MM = 1450
HYPERTENSION_MMHG = (140, 90)


def visit_risk_flags(*, systolic_mmhg=None, diastolic_mmhg=None, hb_g_per_l=None, muac_mm=None,
                     signs: Iterable[str] = ()) -> list[str]:
    flags = []
    if hb_g_per_l is not None and hb_g_per_l < HB_ANAEMIA_PREGNANT_G_PER_L:
        flags.append("anaemia")
    if is_hypertensive(systolic_mmhg, diastolic_mmhg):
        flags.append("hypertension")
    if muac_mm is not None and muac_mm < MUAC_KEK_MM:
        flags.append("chronic_energy_deficiency")
    for s in signs:
        flags.append(s if s in PREGNANCY_RISK_FLAGS else "other_danger_sign")
    return _ordered(flags, PREGNANCY_RISK_FLAGS)


def pregnancy_risk_flags(*, mother_birth_date: dt.date, lmp_date: dt.date, para: int, previous_caesarean: bool,
                         height_mm: int | None, visit_flags: Iterable[Iterable[str]] = ()) -> list[str]:
    """The pregnancy's flags: from the mother and her history, plus every flag raised at a visit."""
    flags = []
    age = age_years(mother_birth_date, lmp_date)
    if age < 20:
        flags.append("age_under_20")
    elif age > 35:
        flags.append("age_over_35")
    if height_mm is not None and height_mm < SHORT_STATURE_MM:
        flags.append("short_stature")
    if para >= 4:
        flags.append("grand_multipara")
    if previous_caesarean:
        flags.append("previous_caesarean")
    for vf in visit_flags:
        flags.extend(vf)
    return _ordered(flags, PREGNANCY_RISK_FLAGS)


def is_hypertensive(systolic_mmhg, diastolic_mmhg) -> bool:
    return ((systolic_mmhg is not None and systolic_mmhg >= HYPERTENSION_MMHG[0])
            or (diastolic_mmhg is not None and diastolic_mmhg >= HYPERTENSION_MMHG[1]))


def _ordered(flags: Iterable[str], vocabulary: dict) -> list[str]:
    present = set(flags)
    return [k for k in vocabulary if k in present]


# --- screening ----------------------------------------------------------------------------------

SCREENING_SOURCE = (
    "Kemenkes PTM (Posbindu) thresholds: hypertension >= 140/90 mmHg; diabetes suspected at random or 2-hour "
    "glucose >= 200 mg/dL or fasting >= 126 mg/dL; adult BMI: underweight < 18.5, overweight 25.1-27, obese > 27; "
    "central obesity waist > 90 cm (men) or > 80 cm (women). Anaemia (WHO): Hb < 115 g/L at 5-11 years, < 120 g/L "
    "for girls and women and boys 12-14, < 130 g/L for men 15+. Elderly independence: Barthel ADL index (0-20)."
)
SCREENING_FLAGS: dict[str, str] = {
    "hypertension": _("high blood pressure (140/90 or higher)"),
    "diabetes_suspected": _("diabetes suspected (high blood sugar)"),
    "underweight": _("underweight (BMI below 18.5)"),
    "overweight": _("overweight (BMI 25.1-27)"),
    "obesity": _("obesity (BMI above 27)"),
    "central_obesity": _("central obesity (waist above 90 cm men, 80 cm women)"),
    "anaemia": _("anaemia"),
    "dependent": _("needs help with daily activities"),
}
SCREENING_KIND_AGES = (  # (first year of age, last year of age, kind)
    (6, 9, "school_age"),
    (10, 18, "adolescent"),
    (19, 59, "adult"),
    (60, 200, "elderly"),
)
DIABETES_MG_DL = {"fasting": 126, "random": 200, "2h_pp": 200}


def screening_kind_for_age(years: int) -> str | None:
    for first, last, kind in SCREENING_KIND_AGES:
        if first <= years <= last:
            return kind
    return None


def adl_level(score: int | None) -> str:
    """Barthel ADL band: A independent (20), B mild (12-19), C moderate (9-11), D severe (5-8), E total (0-4)."""
    if score is None:
        return ""
    if score >= 20:
        return "A"
    if score >= 12:
        return "B"
    if score >= 9:
        return "C"
    if score >= 5:
        return "D"
    return "E"


def bmi_x10(weight_g: int | None, height_mm: int | None) -> int | None:
    if not weight_g or not height_mm:
        return None
    return round(weight_g / 1000 / (height_mm / 1000) ** 2 * 10)


def anaemia_threshold_g_per_l(sex: str, years: int) -> int:
    if years < 12:
        return 115
    if sex == "F" or years < 15:
        return 120
    return 130


def screening_flags(*, sex: str, age_years: int, systolic_mmhg=None, diastolic_mmhg=None, blood_sugar_mg_dl=None,
                    blood_sugar_kind: str = "", weight_g=None, height_mm=None, waist_mm=None, hb_g_per_l=None,
                    adl_score=None) -> list[str]:
    flags = []
    if is_hypertensive(systolic_mmhg, diastolic_mmhg):
        flags.append("hypertension")
    if blood_sugar_mg_dl is not None and blood_sugar_kind in DIABETES_MG_DL \
            and blood_sugar_mg_dl >= DIABETES_MG_DL[blood_sugar_kind]:
        flags.append("diabetes_suspected")
    bmi = bmi_x10(weight_g, height_mm)
    if bmi is not None and age_years >= 19:  # under 19 BMI is judged for age (WHO 2007), not by these cut-offs
        if bmi < 185:
            flags.append("underweight")
        elif bmi > 270:
            flags.append("obesity")
        elif bmi > 250:
            flags.append("overweight")
    if waist_mm is not None and age_years >= 19 and waist_mm > (900 if sex == "M" else 800):
        flags.append("central_obesity")
    if hb_g_per_l is not None and hb_g_per_l < anaemia_threshold_g_per_l(sex, age_years):
        flags.append("anaemia")
    if adl_score is not None and adl_score < 20:
        flags.append("dependent")
    return _ordered(flags, SCREENING_FLAGS)


# --- plausibility ranges ------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Outside hard: impossible, refused. Outside plausible: possible but unusual, stored only when confirmed."""

    hard: tuple[int, int]
    plausible: tuple[int, int]
    unit: str


RANGES: dict[str, Range] = {
    "systolic_mmhg": Range((50, 300), (70, 250), "mmHg"),
    "diastolic_mmhg": Range((20, 200), (40, 150), "mmHg"),
    "blood_sugar_mg_dl": Range((10, 1500), (40, 600), "mg/dL"),
    "hb_g_per_l": Range((20, 250), (60, 190), "g/L"),
    "muac_mm": Range((100, 600), (170, 450), "mm"),
    "weight_g": Range((10_000, 300_000), (30_000, 150_000), "g"),  # pregnant woman or adult
    "child_weight_g": Range((5_000, 200_000), (12_000, 120_000), "g"),  # 6-18 years
    "height_mm": Range((500, 2_500), (1_300, 2_000), "mm"),
    "child_height_mm": Range((600, 2_300), (1_000, 1_950), "mm"),
    "waist_mm": Range((300, 2_500), (500, 1_600), "mm"),
    "fundal_height_mm": Range((0, 600), (0, 450), "mm"),
    "adl_score": Range((0, 20), (0, 20), ""),
    "iron_tablets": Range((0, 200), (0, 120), ""),
}


@dataclass
class RangeCheck:
    impossible: dict[str, int] = field(default_factory=dict)
    implausible: dict[str, int] = field(default_factory=dict)


def check_ranges(values: dict[str, int | None], aliases: dict[str, str] | None = None) -> RangeCheck:
    """Sort given values into impossible and implausible (by field name, ranges possibly aliased)."""
    out = RangeCheck()
    for name, value in values.items():
        if value is None:
            continue
        rng = RANGES[(aliases or {}).get(name, name)]
        if not rng.hard[0] <= value <= rng.hard[1]:
            out.impossible[name] = value
        elif not rng.plausible[0] <= value <= rng.plausible[1]:
            out.implausible[name] = value
    return out
