"""Vitamin A rounds and capsules, antenatal counts (K1, K4, K6), trimesters, and the risk and screening flags."""

import datetime as dt

import pytest

from siaga.health import lifecycle as rules


@pytest.mark.parametrize("day, expected", [
    (dt.date(2025, 2, 1), "2025-02"), (dt.date(2025, 6, 30), "2025-02"),
    (dt.date(2025, 7, 1), "2025-08"), (dt.date(2025, 12, 31), "2025-08"),
])
def test_vitamin_a_rounds_are_february_and_august(day, expected):
    assert rules.vitamin_a_round(day) == expected


def test_only_february_and_august_are_distribution_months():
    assert [m for m in range(1, 13) if rules.in_vitamin_a_month(dt.date(2025, m, 1))] == [2, 8]


@pytest.mark.parametrize("on, capsule", [
    (dt.date(2025, 7, 14), None),  # 5 months 30 days
    (dt.date(2025, 7, 15), "blue"),  # 6 months
    (dt.date(2026, 1, 14), "blue"),  # 11 months
    (dt.date(2026, 1, 15), "red"),  # 12 months
    (dt.date(2029, 12, 15), "red"),  # 59 months
    (dt.date(2030, 1, 15), None),  # 60 months
])
def test_the_capsule_follows_the_age(on, capsule):
    assert rules.vitamin_a_capsule(dt.date(2025, 1, 15), on) == capsule


@pytest.mark.parametrize("days, trimester", [(0, 1), (12 * 7 + 6, 1), (13 * 7, 2), (24 * 7 + 6, 2), (25 * 7, 3),
                                             (40 * 7, 3)])
def test_trimester_boundaries(days, trimester):
    assert rules.trimester(days) == trimester


def test_hpl_is_hpht_plus_280_days():
    assert rules.edd_from_lmp(dt.date(2025, 1, 1)) == dt.date(2025, 10, 8)


def _visits(*trimesters):
    return [(dt.date(2025, 1, 1) + dt.timedelta(days=10 * i), t) for i, t in enumerate(trimesters)]


def test_k4_needs_one_one_two():
    s = rules.summarise_visits(_visits(1, 2, 3, 3))
    assert (s.count, s.by_trimester, s.k1, s.k1_t1, s.k4, s.k6) == (4, (1, 1, 2), True, True, True, False)
    assert not rules.summarise_visits(_visits(1, 3, 3, 3)).k4  # no trimester 2 contact
    assert not rules.summarise_visits(_visits(2, 2, 3)).k4


def test_k6_needs_two_one_three():
    assert rules.summarise_visits(_visits(1, 1, 2, 3, 3, 3)).k6
    assert not rules.summarise_visits(_visits(1, 2, 2, 3, 3, 3)).k6  # one T1 contact only
    assert not rules.summarise_visits(_visits(1, 1, 2, 2, 3, 3)).k6  # two T3 contacts only


def test_first_contact_after_the_first_trimester_is_k1_but_not_k1_t1():
    s = rules.summarise_visits(_visits(2, 3))
    assert s.k1 and not s.k1_t1


def test_visit_flags_from_measurements_and_signs():
    assert rules.visit_risk_flags(systolic_mmhg=140, diastolic_mmhg=80) == ["hypertension"]
    assert rules.visit_risk_flags(systolic_mmhg=120, diastolic_mmhg=90) == ["hypertension"]
    assert rules.visit_risk_flags(systolic_mmhg=139, diastolic_mmhg=89) == []
    assert rules.visit_risk_flags(hb_g_per_l=109) == ["anaemia"]
    assert rules.visit_risk_flags(hb_g_per_l=110) == []
    assert rules.visit_risk_flags(muac_mm=234) == ["chronic_energy_deficiency"]
    assert rules.visit_risk_flags(muac_mm=235) == []
    assert rules.visit_risk_flags(signs=["bleeding", "fever"]) == ["bleeding", "other_danger_sign"]


def test_pregnancy_flags_from_the_mother():
    def flags(birth, **kw):
        base = {"lmp_date": dt.date(2025, 1, 1), "para": 0, "previous_caesarean": False, "height_mm": 1550}
        base.update(kw)
        return rules.pregnancy_risk_flags(mother_birth_date=birth, **base)

    assert flags(dt.date(2005, 1, 2)) == ["age_under_20"]  # 19 on the HPHT
    assert flags(dt.date(2005, 1, 1)) == []  # 20
    assert flags(dt.date(1990, 1, 1)) == []  # 35 on the HPHT
    assert flags(dt.date(1989, 1, 1)) == ["age_over_35"]  # 36
    assert flags(dt.date(1995, 1, 1), height_mm=1449, para=4, previous_caesarean=True) == [
        "short_stature", "grand_multipara", "previous_caesarean"]
    assert flags(dt.date(1995, 1, 1), visit_flags=[["anaemia"], ["hypertension", "anaemia"]]) == [
        "anaemia", "hypertension"]


def test_screening_flags_at_their_thresholds():
    def f(**kw):
        base = {"sex": "M", "age_years": 45}
        base.update(kw)
        return rules.screening_flags(**base)

    assert f(systolic_mmhg=140, diastolic_mmhg=85) == ["hypertension"]
    assert f(systolic_mmhg=139, diastolic_mmhg=89) == []
    assert f(blood_sugar_mg_dl=199, blood_sugar_kind="random") == []
    assert f(blood_sugar_mg_dl=200, blood_sugar_kind="random") == ["diabetes_suspected"]
    assert f(blood_sugar_mg_dl=126, blood_sugar_kind="fasting") == ["diabetes_suspected"]
    assert f(blood_sugar_mg_dl=125, blood_sugar_kind="fasting") == []
    assert f(weight_g=80_000, height_mm=1700) == ["obesity"]  # 27.7
    assert f(weight_g=75_000, height_mm=1700) == ["overweight"]  # 26.0
    assert f(weight_g=50_000, height_mm=1700) == ["underweight"]  # 17.3
    assert f(waist_mm=901) == ["central_obesity"]
    assert f(waist_mm=900) == []
    assert f(sex="F", waist_mm=801) == ["central_obesity"]
    assert f(sex="F", hb_g_per_l=119) == ["anaemia"]
    assert f(hb_g_per_l=129) == ["anaemia"]
    assert f(hb_g_per_l=130) == []
    assert f(age_years=70, adl_score=15) == ["dependent"]
    # Adult BMI cut-offs do not apply to a 15-year-old.
    assert f(age_years=15, weight_g=80_000, height_mm=1600) == []


@pytest.mark.parametrize("score, level", [(20, "A"), (19, "B"), (12, "B"), (11, "C"), (9, "C"), (8, "D"), (5, "D"),
                                          (4, "E"), (0, "E"), (None, "")])
def test_adl_levels(score, level):
    assert rules.adl_level(score) == level
