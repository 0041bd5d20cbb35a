"""Relief needs estimate: profiles of per-person rates (Perka BNPB 7/2008, Sphere 2018) and the pure arithmetic.

Who gets what (the same rule for both profiles):
- ``affected`` counts every person hit by the disaster, the displaced included (displaced is a subset of
  affected, so a count with more displaced than affected is refused). Everyone affected may lose their water
  supply, so water lines (and, in Sphere, bathing soap) are computed over all affected people.
- ``displaced`` people (in evacuation sites) additionally need food, toilets and a family / household kit,
  which people still at home have.

Rounding: every quantity is rounded UP to a whole unit (you cannot deliver half a toilet, and a short
delivery is worse than one spare kilogram). The arithmetic is exact (fractions), so 0.4 kg × 137 × 7 days
is exactly 383.6 and becomes 384, never 383.99999 or 384.00001 turned into 385.
Daily rates are multiplied by ``days``; toilets and kits are one-off items for a group of people and do
not grow with the number of days. Totals over several kelurahan are the sum of each kelurahan's rounded
lines: a toilet in one kelurahan does not serve a camp in another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.core.errors import ServiceError

DISPLACED = "displaced"
AFFECTED = "affected"

PER_DAY = "per_day"  # rate is per person per day: quantity = people × rate × days
PER_GROUP = "per_group"  # one unit per `per_people` people, once: quantity = people / per_people

MAX_DAYS = 365


@dataclass(frozen=True)
class Rate:
    item: str
    label: object  # lazy translation
    unit: str
    applies_to: str  # DISPLACED or AFFECTED
    kind: str  # PER_DAY or PER_GROUP
    per_person_day: Fraction = Fraction(0)
    per_people: int = 0
    basis: object = ""  # lazy translation: the rule as a person reads it

    def exact(self, people: int, days: int) -> Fraction:
        if self.kind == PER_DAY:
            return self.per_person_day * people * days
        return Fraction(people, self.per_people)


@dataclass(frozen=True)
class Profile:
    code: str
    label: object
    source: str
    rates: tuple[Rate, ...]


@dataclass(frozen=True)
class NeedLine:
    item: str
    label: str
    unit: str
    quantity: int
    people: int
    applies_to: str
    basis: str


# Perka BNPB No. 7/2008 (Pedoman Tata Cara Pemberian Bantuan Pemenuhan Kebutuhan Dasar), as quoted in issue 7:
# per person per week 2.8 kg rice, 17.5 L drinking water, 67 L clean water; one toilet per 20 people;
# a family kit per 5 people. Weekly rates are kept as the exact fraction of a week (67/7 L a day).
BNPB = Profile(
    code="bnpb",
    label=gettext_lazy("Perka BNPB 7/2008 (national)"),
    source="Perka BNPB 7/2008",
    rates=(
        Rate("rice", gettext_lazy("Rice"), "kg", DISPLACED, PER_DAY, per_person_day=Fraction(28, 70),
             basis=gettext_lazy("2.8 kg per person per week (0.4 kg a day)")),
        Rate("drinking_water", gettext_lazy("Drinking water"), "L", AFFECTED, PER_DAY,
             per_person_day=Fraction(175, 70), basis=gettext_lazy("17.5 L per person per week (2.5 L a day)")),
        Rate("clean_water", gettext_lazy("Clean water"), "L", AFFECTED, PER_DAY, per_person_day=Fraction(67, 7),
             basis=gettext_lazy("67 L per person per week")),
        Rate("toilet", gettext_lazy("Toilets"), "unit", DISPLACED, PER_GROUP, per_people=20,
             basis=gettext_lazy("one toilet per 20 people")),
        Rate("family_kit", gettext_lazy("Family kits"), "kit", DISPLACED, PER_GROUP, per_people=5,
             basis=gettext_lazy("one family kit per 5 people")),
    ),
)

# The Sphere Handbook, 2018 edition (minimum standards):
# - WASH, water supply standard 2.1: at least 15 L per person per day for drinking and domestic hygiene
#   (2.5-3 L of it for drinking), so one water line covers drinking, cooking and hygiene.
# - WASH, excreta management standard 3.2: at least one shared toilet per 20 people.
# - Food security, standard 6.1 and annex 7: 2,100 kcal per person per day. Expressed here as rice: milled
#   rice gives about 3,600 kcal per kg (WFP NutVal, 360 kcal per 100 g), so 2,100 / 3,600 = 7/12 kg a day.
# - WASH, hygiene promotion standard 1.2 (minimum hygiene items): 250 g of bathing soap per person per month
#   (a month counted as 30 days).
# - Shelter and settlement standard 4 (household items): one set per household; a household is counted as
#   5 people, as in the BNPB profile, so the two profiles compare.
SPHERE = Profile(
    code="sphere",
    label=gettext_lazy("Sphere Handbook 2018 (minimum standards)"),
    source="Sphere Handbook 2018",
    rates=(
        Rate("rice_equivalent", gettext_lazy("Food as rice equivalent"), "kg", DISPLACED, PER_DAY,
             per_person_day=Fraction(2100, 3600),
             basis=gettext_lazy("2,100 kcal per person per day, as rice at 3,600 kcal per kg")),
        Rate("water", gettext_lazy("Water for drinking, cooking and hygiene"), "L", AFFECTED, PER_DAY,
             per_person_day=Fraction(15), basis=gettext_lazy("15 L per person per day")),
        Rate("toilet", gettext_lazy("Toilets"), "unit", DISPLACED, PER_GROUP, per_people=20,
             basis=gettext_lazy("one toilet per 20 people")),
        Rate("bathing_soap", gettext_lazy("Bathing soap"), "g", AFFECTED, PER_DAY, per_person_day=Fraction(250, 30),
             basis=gettext_lazy("250 g per person per month (30 days)")),
        Rate("household_kit", gettext_lazy("Household item sets"), "kit", DISPLACED, PER_GROUP, per_people=5,
             basis=gettext_lazy("one set per household of 5 people")),
    ),
)

PROFILES: dict[str, Profile] = {p.code: p for p in (BNPB, SPHERE)}
DEFAULT_PROFILE = BNPB.code


def get_profile(code: str) -> Profile:
    profile = PROFILES.get(code or DEFAULT_PROFILE)
    if profile is None:
        raise ServiceError(_("Unknown needs profile: %(code)s.") % {"code": code}, code="unknown_profile",
                           details={"profiles": sorted(PROFILES)})
    return profile


def validate_counts(displaced: int, affected: int) -> None:
    if isinstance(displaced, bool) or isinstance(affected, bool) or not isinstance(displaced, int) \
            or not isinstance(affected, int):
        raise ServiceError(_("People counts must be whole numbers."), code="invalid_count")
    if displaced < 0 or affected < 0:
        raise ServiceError(_("People counts cannot be negative."), code="negative_count")
    if displaced > affected:
        raise ServiceError(_("Displaced people are part of the affected people: displaced (%(d)s) cannot exceed "
                             "affected (%(a)s).") % {"d": displaced, "a": affected},
                           code="displaced_exceeds_affected")


def validate_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int) or not (1 <= days <= MAX_DAYS):
        raise ServiceError(_("Estimate for 1 to %(max)s days.") % {"max": MAX_DAYS}, code="invalid_days")


def round_up(value: Fraction) -> int:
    """Whole units, rounded up; exact on fractions."""
    return math.ceil(value)


def estimate(displaced: int, affected: int, days: int, profile: str = DEFAULT_PROFILE) -> list[NeedLine]:
    """Needs of one area for `days` days: one line per item of the profile, quantities rounded up."""
    validate_counts(displaced, affected)
    validate_days(days)
    prof = get_profile(profile)
    lines = []
    for rate in prof.rates:
        people = displaced if rate.applies_to == DISPLACED else affected
        lines.append(NeedLine(item=rate.item, label=str(rate.label), unit=rate.unit,
                              quantity=round_up(rate.exact(people, days)), people=people,
                              applies_to=rate.applies_to, basis=str(rate.basis)))
    return lines


def add_lines(groups) -> list[NeedLine]:
    """Sum several areas' lines item by item (each already rounded up), in profile order."""
    totals: dict[str, NeedLine] = {}
    for lines in groups:
        for line in lines:
            cur = totals.get(line.item)
            if cur is None:
                totals[line.item] = line
            else:
                totals[line.item] = NeedLine(item=cur.item, label=cur.label, unit=cur.unit,
                                             quantity=cur.quantity + line.quantity, people=cur.people + line.people,
                                             applies_to=cur.applies_to, basis=cur.basis)
    return list(totals.values())
