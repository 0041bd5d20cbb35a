"""Donor eligibility: the EligibilityRule rows (Permenkes 91/2015, see seed.py) checked against one visit.

Rules are data: every limit lives in an EligibilityRule row an administrator may edit; this module only
knows how to read a parameter and compare it with a rule's inclusive minimum and maximum. Every refusal
carries a reason in the user's language (the seeded rules' reasons are message ids here, so they are
translated; a rule added in the admin shows its own text).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Deferral, Donation, Donor, EligibilityRule, Procedure

# Translated reasons of the seeded rules (msgids match seed.ELIGIBILITY_RULES).
REASONS = {
    "age-min": gettext_lazy("Donors must be at least 17 years old."),
    "age-max-first-time": gettext_lazy("First-time donors must be 60 or younger."),
    "age-max-regular": gettext_lazy("Regular donors must be 65 or younger."),
    "weight-350": gettext_lazy("A 350 ml donation needs at least 45 kg."),
    "weight-450": gettext_lazy("A 450 ml donation needs at least 55 kg."),
    "weight-apheresis": gettext_lazy("Apheresis needs at least 55 kg."),
    "weight-plasmapheresis": gettext_lazy("Apheresis needs at least 55 kg."),
    "hb": gettext_lazy("Haemoglobin must be 12.5 to 17.0 g/dL."),
    "systolic": gettext_lazy("Systolic blood pressure must be 100 to 170 mmHg."),
    "diastolic": gettext_lazy("Diastolic blood pressure must be 70 to 100 mmHg."),
    "pulse": gettext_lazy("Pulse must be regular, 50 to 100 per minute."),
    "temperature": gettext_lazy("Body temperature must not exceed 37.5 °C."),
    "interval-wb-after-wb": gettext_lazy("At least 60 days must pass between whole-blood donations."),
    "per-year-wb": gettext_lazy("At most 5 whole-blood donations in 12 months."),
    "interval-aph-after-wb": gettext_lazy("Apheresis needs 8 weeks after a whole-blood donation."),
    "interval-plasma-after-wb": gettext_lazy("Apheresis needs 8 weeks after a whole-blood donation."),
    "interval-aph-after-aph": gettext_lazy("At least 2 weeks must pass between apheresis donations."),
    "interval-aph-after-plasma": gettext_lazy("At least 2 weeks must pass between apheresis donations."),
    "interval-plasma-after-plasma": gettext_lazy("At least 2 weeks must pass between apheresis donations."),
    "interval-plasma-after-aph": gettext_lazy("At least 2 weeks must pass between apheresis donations."),
    "interval-wb-after-aph": gettext_lazy("Whole blood needs 48 hours after an apheresis donation."),
    "interval-wb-after-plasma": gettext_lazy("Whole blood needs 48 hours after an apheresis donation."),
    "per-year-apheresis": gettext_lazy("At most 24 apheresis donations in 12 months."),
    "platelets-apheresis": gettext_lazy("Platelet apheresis needs a platelet count of at least 150 ×10³/µL."),
}

# Parameters read from the visit's measurements (the rest are computed from the donor's record).
MEASURED = ("weight_kg", "hb_g_dl", "systolic_mmhg", "diastolic_mmhg", "pulse_bpm", "temperature_c",
            "platelet_count_k")


@dataclasses.dataclass
class Refusal:
    """One reason a donor may not give blood today."""

    rule: str
    code: str
    reason: str
    value: str | None = None
    # The first day the donor may come back for this reason (None: not a matter of time, or permanent).
    until: dt.date | None = None
    deferral_days: int = 0

    def as_dict(self) -> dict:
        return {"rule": self.rule, "code": self.code, "reason": str(self.reason), "value": self.value,
                "until": self.until.isoformat() if self.until else None, "deferral_days": self.deferral_days}


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Age in completed years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _birthday(birth_date: dt.date, years: int) -> dt.date:
    try:
        return birth_date.replace(year=birth_date.year + years)
    except ValueError:  # 29 February
        return dt.date(birth_date.year + years, 3, 1)


def _reason(rule: EligibilityRule) -> str:
    text = REASONS.get(rule.code)
    return str(text) if text is not None else (rule.reason or rule.code)


def _fmt(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def applicable_rules(procedure: str, bag_volume_ml: int | None, first_time: bool, sex: str):
    qs = EligibilityRule.objects.filter(active=True)
    out = []
    for rule in qs:
        if rule.procedure and rule.procedure != procedure:
            continue
        if rule.bag_volume_ml is not None and rule.bag_volume_ml != bag_volume_ml:
            continue
        if rule.first_time is not None and rule.first_time != first_time:
            continue
        if rule.sex and rule.sex != sex:
            continue
        out.append(rule)
    return out


def _history(donor: Donor, before: dt.datetime) -> list[tuple[dt.datetime, str]]:
    if donor.pk is None:
        return []
    return list(Donation.objects.filter(donor=donor, collected_at__lt=before)
                .order_by("-collected_at").values_list("collected_at", "procedure"))


def active_deferrals(donor: Donor, day: dt.date):
    if donor.pk is None:
        return []
    return [d for d in donor.deferrals.filter(lifted_at__isnull=True).order_by("-starts_on")
            if d.starts_on <= day and (d.kind == Deferral.Kind.PERMANENT or d.ends_on is None or d.ends_on > day)]


def check(donor: Donor, *, at: dt.datetime | None = None, procedure: str = Procedure.WHOLE_BLOOD,
          bag_volume_ml: int | None = 350, pulse_regular: bool = True, **measurements) -> list[Refusal]:
    """Every reason `donor` may not donate at `at` with these measurements; [] means eligible.

    A measurement a rule needs but the visit lacks is itself a refusal: no one is bled unchecked.
    """
    at = at or timezone.now()
    day = timezone.localdate(at) if timezone.is_aware(at) else at.date()
    history = _history(donor, at)
    first_time = not history
    refusals: list[Refusal] = []

    for d in active_deferrals(donor, day):
        if d.kind == Deferral.Kind.PERMANENT:
            refusals.append(Refusal("deferral", "deferred_permanently",
                                    _("Permanently deferred: %(reason)s") % {"reason": d.reason}))
        else:
            refusals.append(Refusal("deferral", "deferred",
                                    _("Deferred until %(date)s: %(reason)s") % {"date": d.ends_on, "reason": d.reason},
                                    until=d.ends_on))

    for rule in applicable_rules(procedure, bag_volume_ml, first_time, donor.sex):
        param = rule.parameter
        until = None
        if param == "age_years":
            value = Decimal(age_on(donor.birth_date, day))
            if rule.min_value is not None and value < rule.min_value:
                until = _birthday(donor.birth_date, int(rule.min_value))
        elif param == "interval_days":
            previous = [t for t, proc in history if not rule.previous_procedure or proc == rule.previous_procedure]
            if not previous:
                continue
            last_day = timezone.localdate(previous[0]) if timezone.is_aware(previous[0]) else previous[0].date()
            value = Decimal((day - last_day).days)
            if rule.min_value is not None:
                until = last_day + dt.timedelta(days=int(rule.min_value))
        elif param == "donations_per_year":
            since = at - dt.timedelta(days=365)
            done = [t for t, proc in history
                    if t >= since and (not rule.previous_procedure or proc == rule.previous_procedure)]
            value = Decimal(len(done))
            if rule.max_value is not None and len(done) > int(rule.max_value):
                # The oldest donation that still counts must leave the 12-month window.
                oldest = sorted(done)[len(done) - int(rule.max_value) - 1]
                until = (timezone.localdate(oldest) if timezone.is_aware(oldest) else oldest.date()) + dt.timedelta(
                    days=366)
        else:
            raw = measurements.get(param)
            if raw is None:
                refusals.append(Refusal(rule.code, "not_measured",
                                        _("%(what)s was not measured.") % {"what": rule.get_parameter_display()}))
                continue
            value = Decimal(str(raw))
        too_low = rule.min_value is not None and value < rule.min_value
        too_high = rule.max_value is not None and value > rule.max_value
        if too_low or too_high:
            if param != "interval_days" and param != "donations_per_year" and rule.deferral_days:
                until = day + dt.timedelta(days=rule.deferral_days)
            refusals.append(Refusal(rule.code, f"{param}_{'low' if too_low else 'high'}", _reason(rule),
                                    value=_fmt(value), until=until, deferral_days=rule.deferral_days))
        if param == "pulse_bpm" and not pulse_regular:
            refusals.append(Refusal(rule.code, "pulse_irregular", _reason(rule)))
    return refusals


def next_eligible_date(donor: Donor, *, procedure: str = Procedure.WHOLE_BLOOD,
                       on: dt.date | None = None) -> dt.date | None:
    """The first day the donor's age, intervals and deferrals allow `procedure`; None if that day never comes."""
    on = on or timezone.localdate()
    # The end of the day: a donation earlier that day (even this afternoon) is history the intervals count.
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(23, 59, 59)))
    # Measurements are left out: they are "not measured" refusals with no date, which say nothing about time.
    refusals = check(donor, at=at, procedure=procedure, bag_volume_ml=None)
    if any(r.code in ("deferred_permanently", "age_years_high") for r in refusals):
        return None
    return max([on, *(r.until for r in refusals if r.until is not None)])
