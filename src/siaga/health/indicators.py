"""Monthly PWS indicators (SKDN, nutrition prevalence, immunisation, K4) per posyandu or area, as aggregate queries.

Definitions (per area and calendar month M):
- S: children registered and active, aged 0-59 months at the end of M, counted in calendar months (a child born
  in month B is 0 months old in B and 59 months old in B + 59);
- D: of S, children weighed in M (a child weighed twice counts once: its last measurement of M counts);
- N: of D, those whose weighing says gained weight (KMS rule, see kms.py); T did not gain; O not weighed
  the month before; B first weighing;
- D/S = D / S; N/D = N / D; N/D' = N / (D - O - B), the Kemenkes variant that leaves out children who
  could not be compared with last month;
- stunting, wasting, underweight, overweight prevalence: among the children of D measured for the
  indicator (length/height for stunting, both for wasting/overweight, weight for underweight), the share in
  the Permenkes 2/2020 categories (stunted + severely stunted; wasted + severely wasted; underweight +
  severely underweight; overweight + obese);
- immunisation (IDL, imunisasi dasar lengkap): of the children of the area turning 12 months in M (born in
  M - 12), those who had every basic dose of lifecycle.BASIC_DOSES before their first birthday;
- K4: of the pregnancies that ended in M (or are due in M while still ongoing), leaving out miscarriages and
  women who moved away, those with at least one antenatal visit in the first trimester, one in the second and
  two in the third (the Kemenkes K4; four or more visits in all).

Areas: a person counts in the kelurahan of their address (Person.region_code), and so in its kecamatan and
kab/kota (Kemendagri code prefixes); "posyandu" groups by the posyandu a person is registered at.

Everything is counted by the database with GROUP BY and conditional counts (on SQLite and PostgreSQL alike):
one query for the person-based counts (S, immunisation), one for the measurement-based counts of every month
asked for, one for K4. No Python loop ever walks measurements. The caller passes querysets already limited to
what the actor may see (siaga.health.pws), so this module never widens access. Aggregates only: no names here,
except follow_up_children(), which the caller may use only for actors allowed to see names.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import (Case, Count, DateField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery,
                              Value, When)
from django.db.models.functions import Coalesce, Left

STUNTED = ("stunted", "severely_stunted")
WASTED = ("wasted", "severely_wasted")
UNDERWEIGHT = ("underweight", "severely_underweight")
OVERWEIGHT = ("overweight", "obese")
UNDER_FIVE_MAX_MONTHS = 59

# Area levels by the length of their Kemendagri code ("35", "35.76", "35.76.01", "35.76.01.1006").
CODE_LENGTH = {"province": 2, "kabkota": 5, "kecamatan": 8, "kelurahan": 13}
LEVEL_OF_DEPTH = {1: "province", 2: "kabkota", 3: "kecamatan", 4: "kelurahan"}
GROUPS = ("posyandu", "kelurahan", "kecamatan", "kabkota", "province", "total")

COUNT_FIELDS = ("s", "d", "n", "t", "o", "b", "measured_length", "measured_wflh", "measured_weight", "stunted",
                "wasted", "underweight", "overweight", "needs_referral", "imm_cohort", "imm_complete",
                "k4_cohort", "k4")
# rate name -> (numerator field, denominator field)
RATES = {
    "d_s": ("d", "s"), "n_d": ("n", "d"), "stunting": ("stunted", "measured_length"),
    "wasting": ("wasted", "measured_wflh"), "underweight": ("underweight", "measured_weight"),
    "overweight": ("overweight", "measured_wflh"), "immunisation": ("imm_complete", "imm_cohort"),
    "k4": ("k4", "k4_cohort"),
}


# --- months ---------------------------------------------------------------------------------------


def month_index(year: int, month: int) -> int:
    """Months since year 0: consecutive months have consecutive indexes (the database computes the same)."""
    return year * 12 + month - 1


def year_month(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _first(index: int) -> dt.date:
    return month_bounds(*year_month(index))[0]


def _last(index: int) -> dt.date:
    return month_bounds(*year_month(index))[1]


class MonthIndex(Func):
    """year * 12 + month - 1 of a date, in SQL (SQLite stores dates as ISO text; PostgreSQL extracts)."""

    output_field = IntegerField()
    arity = 1
    template = ("(CAST(EXTRACT(YEAR FROM %(expressions)s) AS INTEGER) * 12 "
                "+ CAST(EXTRACT(MONTH FROM %(expressions)s) AS INTEGER) - 1)")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=(
            "(CAST(substr(%(expressions)s, 1, 4) AS INTEGER) * 12 + CAST(substr(%(expressions)s, 6, 2) AS INTEGER) - 1)"
        ), **extra)


class DayKey(Func):
    """month_index * 32 + day of a date: orders dates, and "the same day n months later" is key + 32 n."""

    output_field = IntegerField()
    arity = 1
    template = ("(CAST(EXTRACT(YEAR FROM %(expressions)s) AS INTEGER) * 384 + CAST(EXTRACT(MONTH FROM %(expressions)s) "
                "AS INTEGER) * 32 - 32 + CAST(EXTRACT(DAY FROM %(expressions)s) AS INTEGER))")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=(
            "(CAST(substr(%(expressions)s, 1, 4) AS INTEGER) * 384 + CAST(substr(%(expressions)s, 6, 2) AS INTEGER) "
            "* 32 - 32 + CAST(substr(%(expressions)s, 9, 2) AS INTEGER))"
        ), **extra)


class NextMonthStart(Func):
    """The first day of the month after a date, in SQL: bounds "later in the same month" as an index range."""

    output_field = DateField()
    arity = 1
    template = "CAST(date_trunc('month', %(expressions)s) + interval '1 month' AS date)"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="date(%(expressions)s, 'start of month', '+1 month')",
                           **extra)


def _ratio(num: int, den: int) -> float | None:
    return None if not den else round(num / den, 4)


@dataclass
class MonthIndicators:
    key: str | int
    s: int = 0
    d: int = 0
    n: int = 0
    t: int = 0
    o: int = 0
    b: int = 0
    measured_length: int = 0
    measured_wflh: int = 0
    measured_weight: int = 0
    stunted: int = 0
    wasted: int = 0
    underweight: int = 0
    overweight: int = 0
    needs_referral: int = 0
    imm_cohort: int = 0
    imm_complete: int = 0
    k4_cohort: int = 0
    k4: int = 0
    rates: dict = field(default_factory=dict)

    def finish(self) -> "MonthIndicators":
        self.rates = {name: _ratio(getattr(self, num), getattr(self, den)) for name, (num, den) in RATES.items()}
        self.rates["n_d_prime"] = _ratio(self.n, self.d - self.o - self.b)
        return self

    def counts(self) -> dict:
        return {name: getattr(self, name) for name in COUNT_FIELDS}

    def as_dict(self) -> dict:
        return asdict(self)


# --- grouping -----------------------------------------------------------------------------------


def _key(by: str, prefix: str = ""):
    if by == "posyandu":
        return F(f"{prefix}posyandu_id")
    if by == "total":
        return Value("total")
    if by == "kelurahan":
        return F(f"{prefix}region_code")
    return Left(f"{prefix}region_code", CODE_LENGTH[by])


def basic_doses_subquery(birth_ref: str = "birth_date", person_ref: str = "pk"):
    """Number of distinct basic doses (lifecycle.BASIC_DOSES) a person had before their first birthday."""
    from .lifecycle import BASIC_DOSES
    from .models import ImmunisationDose

    basic = Q()
    for vaccine, dose in BASIC_DOSES:
        basic |= Q(vaccine=vaccine, dose_number=dose)
    doses = (ImmunisationDose.objects.filter(basic, person_id=OuterRef(person_ref))
             .annotate(_given=DayKey("given_on"))
             .filter(_given__lt=DayKey(OuterRef(birth_ref)) + 12 * 32)
             .order_by().values("person_id").annotate(c=Count("pk")).values("c"))
    return Coalesce(Subquery(doses, output_field=IntegerField()), 0)


def basic_dose_count() -> int:
    from .lifecycle import BASIC_DOSES

    return len(BASIC_DOSES)


def _person_counts(persons: QuerySet, months: list[int], by: str) -> list[dict]:
    """Children per area, birth month and complete-basic-immunisation flag: one GROUP BY query.

    S of month M sums the birth months M - 59 .. M, the immunisation cohort is birth month M - 12: the sums run
    over these few grouped rows (at most 60 birth months x 2 per area), never over persons.
    """
    need = basic_dose_count()
    qs = (persons.filter(active=True, birth_date__gte=_first(months[0] - UNDER_FIVE_MAX_MONTHS),
                         birth_date__lte=_last(months[-1]))
          .annotate(_basic=basic_doses_subquery())
          .annotate(_k=_key(by), _bm=MonthIndex("birth_date"),
                    _complete=Case(When(_basic__gte=need, then=Value(1)), default=Value(0),
                                   output_field=IntegerField()))
          .order_by().values("_k", "_bm", "_complete").annotate(n=Count("pk")))
    return list(qs)


def latest_in_month(measurements: QuerySet) -> QuerySet:
    """Measurements that are their person's last of their calendar month (annotated _mi, the month index)."""
    from .models import Measurement

    # A range on the (person, measured_on) unique index: one probe per row, whatever the child's history.
    later = Measurement.objects.filter(person_id=OuterRef("person_id"), measured_on__gt=OuterRef("measured_on"),
                                       measured_on__lt=NextMonthStart(OuterRef("measured_on")))
    return measurements.annotate(_mi=MonthIndex("measured_on")).filter(~Exists(later))


def _measurement_counts(measurements: QuerySet, months: list[int], by: str) -> list[dict]:
    """D, N, T, O, B and the prevalence counts per area and month: one GROUP BY query over the months asked."""
    weighed = Q(weight_g__isnull=False)
    qs = (latest_in_month(measurements.filter(measured_on__gte=_first(months[0]), measured_on__lte=_last(months[-1]),
                                              person__active=True))
          .annotate(_age_m=F("_mi") - MonthIndex("person__birth_date"))
          .filter(_age_m__lte=UNDER_FIVE_MAX_MONTHS)
          .annotate(_k=_key(by, "person__"))
          .order_by().values("_k", "_mi")
          .annotate(d=Count("pk", filter=weighed),
                    n=Count("pk", filter=weighed & Q(growth_status="N")),
                    t=Count("pk", filter=weighed & Q(growth_status="T")),
                    o=Count("pk", filter=weighed & Q(growth_status="O")),
                    b=Count("pk", filter=weighed & Q(growth_status="B")),
                    measured_weight=Count("pk", filter=weighed & ~Q(category_wfa="")),
                    underweight=Count("pk", filter=weighed & Q(category_wfa__in=UNDERWEIGHT)),
                    measured_length=Count("pk", filter=~Q(category_lhfa="")),
                    stunted=Count("pk", filter=Q(category_lhfa__in=STUNTED)),
                    measured_wflh=Count("pk", filter=~Q(category_wflh="")),
                    wasted=Count("pk", filter=Q(category_wflh__in=WASTED)),
                    overweight=Count("pk", filter=Q(category_wflh__in=OVERWEIGHT)),
                    needs_referral=Count("pk", filter=Q(needs_referral=True))))
    return list(qs)


def _k4_counts(pregnancies: QuerySet, months: list[int], by: str) -> list[dict]:
    """Pregnancies ending (or due) per area and month, and those with a K4 pattern of visits: one query."""
    from .models import AntenatalVisit

    def visits(trimester: int):
        sub = (AntenatalVisit.objects.filter(pregnancy_id=OuterRef("pk"), trimester=trimester)
               .order_by().values("pregnancy_id").annotate(c=Count("pk")).values("c"))
        return Coalesce(Subquery(sub, output_field=IntegerField()), 0)

    qs = (pregnancies.exclude(outcome__in=("miscarriage", "moved_away"))
          .annotate(_end=Coalesce("ended_on", "edd"))
          .filter(_end__gte=_first(months[0]), _end__lte=_last(months[-1]))
          .annotate(_mi=MonthIndex("_end"), _k=_key(by, "person__"), _t1=visits(1), _t2=visits(2), _t3=visits(3))
          .order_by().values("_k", "_mi")
          .annotate(k4_cohort=Count("pk"), k4=Count("pk", filter=Q(_t1__gte=1, _t2__gte=1, _t3__gte=2))))
    return list(qs)


def series(persons: QuerySet, measurements: QuerySet, first: tuple[int, int], last: tuple[int, int],
           by: str = "kelurahan", pregnancies: QuerySet | None = None) -> dict:
    """{area key: {(year, month): MonthIndicators}} for every month from first to last (inclusive).

    Three aggregate queries whatever the number of months or areas. Areas with no registered child and
    nothing measured do not appear.
    """
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by}")
    months = list(range(month_index(*first), month_index(*last) + 1))
    if not months:
        return {}
    out: dict = {}

    def slot(key, mi) -> MonthIndicators:
        per_area = out.get(key)
        if per_area is None:
            per_area = out[key] = {year_month(i): MonthIndicators(key) for i in months}
        return per_area[year_month(mi)]

    for row in _person_counts(persons, months, by):
        born, n = row["_bm"], row["n"]
        slot(row["_k"], months[0])  # an area with children appears in every month asked for
        for mi in range(max(born, months[0]), min(born + UNDER_FIVE_MAX_MONTHS, months[-1]) + 1):
            ind = slot(row["_k"], mi)
            ind.s += n
            if mi == born + 12:
                ind.imm_cohort += n
                ind.imm_complete += n * row["_complete"]
    for row in _measurement_counts(measurements, months, by):
        ind = slot(row["_k"], row["_mi"])
        for name in ("d", "n", "t", "o", "b", "measured_weight", "underweight", "measured_length", "stunted",
                     "measured_wflh", "wasted", "overweight", "needs_referral"):
            setattr(ind, name, row[name])
    if pregnancies is not None:
        for row in _k4_counts(pregnancies, months, by):
            ind = slot(row["_k"], row["_mi"])
            ind.k4_cohort, ind.k4 = row["k4_cohort"], row["k4"]
    for per_area in out.values():
        for ind in per_area.values():
            ind.finish()
    return out


def monthly(persons: QuerySet, measurements: QuerySet, year: int, month: int, by: str = "kelurahan",
            pregnancies: QuerySet | None = None) -> dict:
    """{area key: MonthIndicators} for one month; by "kelurahan" (region code), "posyandu" (id), or a coarser level."""
    return {key: per_month[(year, month)]
            for key, per_month in series(persons, measurements, (year, month), (year, month), by,
                                         pregnancies).items()}


def total(parts) -> MonthIndicators:
    """The sum of several areas' indicators (a kecamatan from its kelurahan, a kab/kota from its kecamatan)."""
    out = MonthIndicators("total")
    for ind in (parts.values() if isinstance(parts, dict) else parts):
        for name in COUNT_FIELDS:
            setattr(out, name, getattr(out, name) + getattr(ind, name))
    return out.finish()


# --- follow-up ------------------------------------------------------------------------------------

FOLLOW_UP_REASONS = {
    "severely_stunted": "lhfa", "stunted": "lhfa", "severely_wasted": "wflh", "wasted": "wflh",
    "severely_underweight": "wfa", "obese": "wflh", "overweight": "wflh",
}


def follow_up(measurements: QuerySet, year: int, month: int) -> list[dict]:
    """Children whose last measurement of the month needs follow-up: a low category, 2T, T, or a confirmed outlier.

    The database picks the flagged rows; Python only words the reasons of those few.
    """
    first, last = month_bounds(year, month)
    flagged = (Q(category_lhfa__in=[k for k, v in FOLLOW_UP_REASONS.items() if v == "lhfa"])
               | Q(category_wflh__in=[k for k, v in FOLLOW_UP_REASONS.items() if v == "wflh"])
               | Q(category_wfa__in=[k for k, v in FOLLOW_UP_REASONS.items() if v == "wfa"])
               | Q(needs_referral=True) | Q(growth_status="T") | Q(implausible=True))
    rows = (latest_in_month(measurements.filter(measured_on__gte=first, measured_on__lte=last)).filter(flagged)
            .values("pk", "person_id", "measured_on", "category_wfa", "category_lhfa", "category_wflh",
                    "growth_status", "needs_referral", "implausible", "region_code"))
    out = []
    for r in rows:
        reasons = [c for c in (r["category_lhfa"], r["category_wflh"], r["category_wfa"]) if c in FOLLOW_UP_REASONS]
        if r["needs_referral"]:
            reasons.append("2T")
        elif r["growth_status"] == "T":
            reasons.append("T")
        if r["implausible"]:
            reasons.append("confirmed_outlier")
        out.append({"measurement_id": r["pk"], "person_id": r["person_id"], "measured_on": r["measured_on"],
                    "region_code": r["region_code"], "reasons": reasons})
    return sorted(out, key=lambda x: (x["region_code"], x["person_id"]))


# Why a child is on the PWS follow-up list; the order is the order shown.
CHILD_REASONS = ("severely_stunted", "severely_wasted", "2T", "not_weighed_2_months", "immunisation_incomplete")


def follow_up_children(persons: QuerySet, measurements: QuerySet, year: int, month: int) -> list[dict]:
    """Children under five at the end of the month needing a visit, with their reasons (CHILD_REASONS).

    - severely stunted or severely wasted at their latest measurement up to the month's end;
    - did not gain weight twice in a row (2T) at their latest weighing;
    - not weighed for two months or more (nothing in this month nor the one before), when older than that;
    - aged 12-23 months without complete basic immunisation before their first birthday.
    One query: each child's latest measurement comes from correlated subqueries the database answers from the
    (person, measured_on) index.
    """
    mi = month_index(year, month)
    last = _last(mi)
    previous_first = _first(mi - 1)
    upto = measurements.filter(person_id=OuterRef("pk"), measured_on__lte=last).order_by("-measured_on")
    weighings = upto.filter(weight_g__isnull=False)
    need = basic_dose_count()
    toddler = Q(birth_date__gte=_first(mi - 23), birth_date__lte=_last(mi - 12))
    qs = (persons.filter(active=True, birth_date__gte=_first(mi - UNDER_FIVE_MAX_MONTHS), birth_date__lte=last)
          .annotate(_last_on=Subquery(upto.values("measured_on")[:1]),
                    _lhfa=Subquery(upto.values("category_lhfa")[:1]),
                    _wflh=Subquery(upto.values("category_wflh")[:1]),
                    _weighed_on=Subquery(weighings.values("measured_on")[:1]),
                    _referral=Subquery(weighings.values("needs_referral")[:1]),
                    _basic=basic_doses_subquery())
          .filter(Q(_lhfa="severely_stunted") | Q(_wflh="severely_wasted") | Q(_referral=True)
                  | (Q(birth_date__lt=previous_first) & (Q(_weighed_on__isnull=True)
                                                         | Q(_weighed_on__lt=previous_first)))
                  | (toddler & Q(_basic__lt=need)))
          .select_related("posyandu").order_by("posyandu__name", "name", "pk"))
    out = []
    for p in qs:
        reasons = []
        if p._lhfa == "severely_stunted":
            reasons.append("severely_stunted")
        if p._wflh == "severely_wasted":
            reasons.append("severely_wasted")
        if p._referral:
            reasons.append("2T")
        if p.birth_date < previous_first and (p._weighed_on is None or p._weighed_on < previous_first):
            reasons.append("not_weighed_2_months")
        if _first(mi - 23) <= p.birth_date <= _last(mi - 12) and p._basic < need:
            reasons.append("immunisation_incomplete")
        out.append({"person": p, "person_id": p.pk, "posyandu_id": p.posyandu_id, "region_code": p.region_code,
                    "last_measured_on": p._last_on, "last_weighed_on": p._weighed_on, "reasons": reasons})
    return out
