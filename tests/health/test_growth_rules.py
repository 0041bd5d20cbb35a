"""WHO's rules around the LMS formula: position, table choice, interpolation, the sd23 extrapolation."""

import numpy as np
import pytest

from siaga.health import growth


def test_standing_height_before_two_years_counts_as_length_plus_0_7():
    r = growth.compute(1, 400, 9.0, 75.0, "h")
    assert r["clenhei"][0] == pytest.approx(75.7)


def test_lying_length_from_two_years_counts_as_height_minus_0_7():
    r = growth.compute(1, 731, 12.0, 88.0, "l")
    assert r["clenhei"][0] == pytest.approx(87.3)


def test_the_right_position_is_not_adjusted():
    r = growth.compute([1, 1], [400, 800], [9.0, 12.0], [75.0, 88.0], ["l", "h"])
    assert list(r["clenhei"]) == [75.0, 88.0]


def test_standing_before_nine_months_is_ignored_and_flagged():
    r = growth.compute(2, 200, 7.0, 65.0, "h")
    assert r["clenhei"][0] == 65.0
    assert bool(r["c9mo_flag"][0])


def test_the_median_child_has_z_zero():
    t = growth.tables()
    m_weight = t["wfa"].m[0, 365]
    m_length = t["lhfa"].m[1, 365]
    r = growth.compute([1, 2], [365, 365], [m_weight, 8.0], [70.0, m_length], ["l", "l"])
    assert r["zwei"][0] == pytest.approx(0.0, abs=1e-9)
    assert r["zlen"][1] == pytest.approx(0.0, abs=1e-9)


def test_weight_for_length_interpolates_between_tenths_of_a_cm():
    t = growth.tables()["wfl"]
    col = int(round((80.0 - 45.0) * 10))
    m_mid = (t.m[0, col] + t.m[0, col + 1]) / 2
    r = growth.compute(1, 500, m_mid, 80.05, "l")
    assert r["zwfl"][0] == pytest.approx(0.0, abs=1e-3)


def test_weight_for_height_is_used_from_two_years():
    t = growth.tables()
    col = int(round((90.0 - 65.0) * 10))
    r = growth.compute(1, 800, t["wfh"].m[0, col], 90.0, "h")
    assert r["zwfl"][0] == pytest.approx(0.0, abs=1e-9)


def test_weight_for_length_outside_its_range_is_not_computed():
    r = growth.compute([1, 1], [100, 900], [3.0, 20.0], [44.0, 121.0], ["l", "h"])
    assert np.isnan(r["zwfl"]).all()


def test_beyond_three_sd_weight_is_extrapolated_linearly_from_the_2_to_3_sd_distance():
    t = growth.tables()["wfa"]
    l, m, s = t.l[0, 700], t.m[0, 700], t.s[0, 700]
    sd3 = growth.lms_value(3, l, m, s)
    sd2 = growth.lms_value(2, l, m, s)
    weight = sd3 + 1.5 * (sd3 - sd2)
    z = growth.compute(1, 700, weight, None)["zwei"][0]
    assert z == pytest.approx(4.5, abs=1e-9)
    # The plain LMS curve would say something else: the restriction matters.
    assert abs(float(growth.lms_z(weight, l, m, s)) - 4.5) > 0.05


def test_below_minus_three_sd_weight_is_extrapolated_too():
    t = growth.tables()["wfa"]
    l, m, s = t.l[1, 300], t.m[1, 300], t.s[1, 300]
    sd3 = growth.lms_value(-3, l, m, s)
    sd2 = growth.lms_value(-2, l, m, s)
    weight = sd3 - 0.5 * (sd2 - sd3)
    assert growth.compute(2, 300, weight, None)["zwei"][0] == pytest.approx(-3.5, abs=1e-9)


def test_oedema_leaves_weight_based_scores_out():
    r = growth.compute(1, 400, 9.0, 75.0, "l", oedema=True)
    assert np.isnan(r["zwei"][0]) and np.isnan(r["zwfl"][0]) and np.isnan(r["zbmi"][0])
    assert not np.isnan(r["zlen"][0])


def test_nothing_is_computed_after_sixty_completed_months():
    r = growth.compute(1, 1857, 18.0, 110.0, "h")
    assert np.isnan(r["zwei"][0]) and np.isnan(r["zlen"][0]) and np.isnan(r["zbmi"][0])


def test_unknown_sex_gives_no_scores():
    r = growth.compute(None, 400, 9.0, 75.0, "l")
    assert np.isnan(r["zwei"][0])


def test_a_two_year_old_of_forty_kilograms_is_flagged_implausible():
    res = growth.assess("M", 730, 40.0, 86.0, "l")
    assert res.implausible["wfa"] and res.any_implausible
    assert res.category["wfa"] == "risk_of_overweight"


def test_assess_returns_categories_for_a_stunted_child():
    # A 2-year-old girl 76 cm tall is below -3 SD height-for-age (median about 86 cm).
    res = growth.assess("F", 740, 9.5, 76.0, "h")
    assert res.category["lhfa"] == "severely_stunted"
    assert res.z["lhfa"] < -3


def test_reference_curves_are_ordered_by_sd():
    c = growth.reference_curves("wfa", "F")
    assert len(c["x"]) == len(c["lines"][0])
    assert all(a < b for a, b in zip(c["lines"][-3], c["lines"][3]))
