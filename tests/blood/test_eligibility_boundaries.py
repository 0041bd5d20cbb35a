"""Permenkes 91/2015 donor selection at its boundaries: each limit is inclusive, one step past it refuses."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import eligibility
from siaga.blood.models import Donation, Donor, EligibilityRule

from .conftest import GOOD_VITALS

TODAY = dt.date(2026, 3, 10)
AT = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))


def donor(birth=dt.date(1990, 5, 17), sex="M"):
    return Donor(name="x", sex=sex, birth_date=birth, nik="3576011705900001")


def codes(refusals):
    return sorted(r.code for r in refusals)


def check(d=None, **kw):
    vitals = {**GOOD_VITALS, **kw}
    return eligibility.check(d or donor(), at=AT, **vitals)


@pytest.mark.django_db
def test_a_healthy_adult_with_normal_vitals_is_eligible():
    assert check() == []


@pytest.mark.django_db
@pytest.mark.parametrize("field,ok,bad,code", [
    ("hb_g_dl", 12.5, 12.4, "hb_g_dl_low"),
    ("hb_g_dl", 17.0, 17.1, "hb_g_dl_high"),
    ("systolic_mmhg", 100, 99, "systolic_mmhg_low"),
    ("systolic_mmhg", 170, 171, "systolic_mmhg_high"),
    ("diastolic_mmhg", 70, 69, "diastolic_mmhg_low"),
    ("diastolic_mmhg", 100, 101, "diastolic_mmhg_high"),
    ("pulse_bpm", 50, 49, "pulse_bpm_low"),
    ("pulse_bpm", 100, 101, "pulse_bpm_high"),
    ("temperature_c", 37.5, 37.6, "temperature_c_high"),
    ("weight_kg", 45, 44.9, "weight_kg_low"),
])
def test_vital_sign_limits_are_inclusive(field, ok, bad, code):
    assert check(**{field: ok}) == []
    assert codes(check(**{field: bad})) == [code]


@pytest.mark.django_db
def test_a_450_ml_bag_needs_55_kg():
    assert eligibility.check(donor(), at=AT, bag_volume_ml=450, **{**GOOD_VITALS, "weight_kg": 55}) == []
    refusals = eligibility.check(donor(), at=AT, bag_volume_ml=450, **{**GOOD_VITALS, "weight_kg": 54.9})
    assert codes(refusals) == ["weight_kg_low"]
    assert refusals[0].rule == "weight-450"


@pytest.mark.django_db
def test_an_irregular_pulse_is_refused_even_in_range():
    assert codes(eligibility.check(donor(), at=AT, pulse_regular=False, **GOOD_VITALS)) == ["pulse_irregular"]


@pytest.mark.django_db
def test_age_17_is_the_youngest():
    assert check(donor(birth=dt.date(2009, 3, 10))) == []  # 17th birthday today
    refusals = check(donor(birth=dt.date(2009, 3, 11)))
    assert codes(refusals) == ["age_years_low"]
    assert refusals[0].until == dt.date(2026, 3, 11)


@pytest.mark.django_db
def test_first_time_donors_up_to_60_regular_donors_up_to_65(make_donation, make_donor, blood):
    sixty = dt.date(1965, 3, 10)  # 61 on TODAY? no: born 1965-03-10 is 61 on 2026-03-10
    assert codes(check(donor(birth=dt.date(1965, 3, 11)))) == []            # 60 years old
    assert codes(check(donor(birth=sixty))) == ["age_years_high"]           # 61, first time
    regular = make_donor(birth=sixty)
    Donation.objects.create(organization=blood.pmi, site=blood.udd, donor=regular, din="A999925000001",
                            din_check="X", bag_type="double", volume_ml=350,
                            collected_at=AT - dt.timedelta(days=200))
    assert check(regular) == []                                             # 61, regular: up to 65
    sixty_six = make_donor(birth=dt.date(1960, 3, 9))
    Donation.objects.create(organization=blood.pmi, site=blood.udd, donor=sixty_six, din="A999925000002",
                            din_check="X", bag_type="double", volume_ml=350,
                            collected_at=AT - dt.timedelta(days=200))
    assert codes(check(sixty_six)) == ["age_years_high"]


def _donated(blood, d, days_ago, procedure="whole_blood", n=[0]):
    n[0] += 1
    Donation.objects.create(organization=blood.pmi, site=blood.udd, donor=d, din=f"A99992500{n[0]:04d}",
                            din_check="X", bag_type="double", volume_ml=350, procedure=procedure,
                            collected_at=AT - dt.timedelta(days=days_ago))


@pytest.mark.django_db
def test_whole_blood_needs_60_days_since_the_last_one(blood, make_donor):
    d = make_donor()
    _donated(blood, d, 60)
    assert check(d) == []
    d2 = make_donor()
    _donated(blood, d2, 59)
    refusals = check(d2)
    assert codes(refusals) == ["interval_days_low"]
    assert refusals[0].until == TODAY + dt.timedelta(days=1)


@pytest.mark.django_db
def test_at_most_five_whole_blood_donations_a_year(blood, make_donor):
    d = make_donor()
    for days in (300, 240, 180, 120):
        _donated(blood, d, days)
    assert check(d) == []  # the fifth
    _donated(blood, d, 62)
    refusals = check(d)
    assert codes(refusals) == ["donations_per_year_high"]
    assert refusals[0].until is not None


@pytest.mark.django_db
def test_apheresis_intervals(blood, make_donor):
    d = make_donor()
    _donated(blood, d, 14, procedure="apheresis_platelets")
    vitals = {**GOOD_VITALS, "platelet_count_k": 200}
    assert eligibility.check(d, at=AT, procedure="apheresis_platelets", bag_volume_ml=None, **vitals) == []
    d2 = make_donor()
    _donated(blood, d2, 13, procedure="apheresis_platelets")
    assert codes(eligibility.check(d2, at=AT, procedure="apheresis_platelets", bag_volume_ml=None, **vitals)) == [
        "interval_days_low"]
    # whole blood 48 hours after apheresis
    d3 = make_donor()
    _donated(blood, d3, 1, procedure="apheresis_platelets")
    assert codes(check(d3)) == ["interval_days_low"]
    d4 = make_donor()
    _donated(blood, d4, 2, procedure="apheresis_platelets")
    assert check(d4) == []
    # apheresis 8 weeks after whole blood
    d5 = make_donor()
    _donated(blood, d5, 55)
    assert codes(eligibility.check(d5, at=AT, procedure="apheresis_platelets", bag_volume_ml=None, **vitals)) == [
        "interval_days_low"]


@pytest.mark.django_db
def test_a_missing_measurement_is_a_refusal_not_a_pass():
    refusals = eligibility.check(donor(), at=AT, **{**GOOD_VITALS, "hb_g_dl": None})
    assert codes(refusals) == ["not_measured"]


@pytest.mark.django_db
def test_rules_are_data_an_edited_limit_applies_at_once():
    EligibilityRule.objects.filter(code="hb").update(min_value="13.0")
    assert codes(check(hb_g_dl=12.8)) == ["hb_g_dl_low"]
    EligibilityRule.objects.filter(code="hb").update(active=False)
    assert check(hb_g_dl=5) == []


@pytest.mark.django_db
def test_refusal_reasons_are_translated():
    from django.utils import translation

    with translation.override("en"):
        en = check(hb_g_dl=11)[0].reason
    assert en == "Haemoglobin must be 12.5 to 17.0 g/dL."
