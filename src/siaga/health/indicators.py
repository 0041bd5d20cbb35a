"""Monthly PWS growth indicators (SKDN and nutrition prevalence) per posyandu or kelurahan, from stored measurements.

Definitions (per area and calendar month):
- S: children under five registered and active, aged 0-59 completed months on the last day of the month;
- D: of S, children weighed in the month (a child weighed twice counts once: its last weighing counts);
- N: of D, those whose weighing says gained weight (KMS rule, see kms.py); T did not gain; O not weighed
  the month before; B first weighing;
- D/S = D / S; N/D = N / D; N/D' = N / (D - O - B), the Kemenkes variant that leaves out children who
  could not be compared with last month;
- stunting, wasting, underweight, overweight prevalence: among the children of D measured for the
  indicator (length/height for stunting, both for wasting/overweight, weight for underweight), the share in
  the Permenkes 2/2020 categories (stunted + severely stunted; wasted + severely wasted; underweight +
  severely underweight; overweight + obese).

The caller passes querysets already limited to what the actor may see (services.visible_persons and
services.visible_measurements), so this module never widens access. Aggregates only: no names or NIKs.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db.models import QuerySet

STUNTED = ("stunted", "severely_stunted")
WASTED = ("wasted", "severely_wasted")
UNDERWEIGHT = ("underweight", "severely_underweight")
OVERWEIGHT = ("overweight", "obese")

GROUPS = {"posyandu": "posyandu_id", "kelurahan": "region_code"}


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _minus_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 4)


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
    rates: dict = field(default_factory=dict)

    def finish(self) -> "MonthIndicators":
        self.rates = {
            "d_s": _ratio(self.d, self.s),
            "n_d": _ratio(self.n, self.d),
            "n_d_prime": _ratio(self.n, self.d - self.o - self.b),
            "stunting": _ratio(self.stunted, self.measured_length),
            "wasting": _ratio(self.wasted, self.measured_wflh),
            "underweight": _ratio(self.underweight, self.measured_weight),
            "overweight": _ratio(self.overweight, self.measured_wflh),
        }
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def monthly(persons: QuerySet, measurements: QuerySet, year: int, month: int, by: str = "kelurahan") -> dict:
    """{area key: MonthIndicators} for one month; by "kelurahan" (region code) or "posyandu" (id)."""
    group_field = GROUPS[by]
    first, last = month_bounds(year, month)
    oldest_birth = _minus_months(last, 60)  # born after this: under 60 completed months on the last day
    under_five = persons.filter(active=True, birth_date__gt=oldest_birth, birth_date__lte=last)
    out: dict = {}
    s_ids = {}
    for pid, key in under_five.values_list("pk", group_field):
        s_ids[pid] = key
        out.setdefault(key, MonthIndicators(key)).s += 1

    latest: dict[int, tuple] = {}
    rows = (measurements.filter(person_id__in=under_five.values("pk"), measured_on__gte=first, measured_on__lte=last)
            .order_by("person_id", "measured_on", "pk")
            .values_list("person_id", "weight_g", "length_height_mm", "growth_status", "category_lhfa",
                         "category_wflh", "category_wfa", "needs_referral"))
    for row in rows:
        latest[row[0]] = row  # ordered by date: the last one of the month stays
    for pid, weight_g, length_mm, status, lhfa, wflh, wfa, referral in latest.values():
        ind = out[s_ids[pid]]
        if weight_g is not None:
            ind.d += 1
            if status == "N":
                ind.n += 1
            elif status == "T":
                ind.t += 1
            elif status == "O":
                ind.o += 1
            elif status == "B":
                ind.b += 1
            if wfa:
                ind.measured_weight += 1
                ind.underweight += wfa in UNDERWEIGHT
        if lhfa:
            ind.measured_length += 1
            ind.stunted += lhfa in STUNTED
        if wflh:
            ind.measured_wflh += 1
            ind.wasted += wflh in WASTED
            ind.overweight += wflh in OVERWEIGHT
        ind.needs_referral += bool(referral)
    return {k: v.finish() for k, v in out.items()}


def total(parts: dict) -> MonthIndicators:
    """The sum of several areas' indicators (a kecamatan from its kelurahan, a kab/kota from its kecamatan)."""
    out = MonthIndicators("total")
    for ind in parts.values():
        for name in ("s", "d", "n", "t", "o", "b", "measured_length", "measured_wflh", "measured_weight", "stunted",
                     "wasted", "underweight", "overweight", "needs_referral"):
            setattr(out, name, getattr(out, name) + getattr(ind, name))
    return out.finish()


FOLLOW_UP_REASONS = {
    "severely_stunted": "lhfa", "stunted": "lhfa", "severely_wasted": "wflh", "wasted": "wflh",
    "severely_underweight": "wfa", "obese": "wflh", "overweight": "wflh",
}


def follow_up(measurements: QuerySet, year: int, month: int) -> list[dict]:
    """Children whose last measurement of the month needs follow-up: a low category, 2T, or a confirmed outlier."""
    first, last = month_bounds(year, month)
    rows = (measurements.filter(measured_on__gte=first, measured_on__lte=last)
            .order_by("person_id", "measured_on", "pk")
            .values("pk", "person_id", "measured_on", "category_wfa", "category_lhfa", "category_wflh",
                    "growth_status", "needs_referral", "implausible", "region_code"))
    latest: dict[int, dict] = {}
    for r in rows:
        latest[r["person_id"]] = r
    out = []
    for r in latest.values():
        reasons = [c for c in (r["category_lhfa"], r["category_wflh"], r["category_wfa"]) if c in FOLLOW_UP_REASONS]
        if r["needs_referral"]:
            reasons.append("2T")
        elif r["growth_status"] == "T":
            reasons.append("T")
        if r["implausible"]:
            reasons.append("confirmed_outlier")
        if reasons:
            out.append({"measurement_id": r["pk"], "person_id": r["person_id"], "measured_on": r["measured_on"],
                        "region_code": r["region_code"], "reasons": reasons})
    return sorted(out, key=lambda x: (x["region_code"], x["person_id"]))
