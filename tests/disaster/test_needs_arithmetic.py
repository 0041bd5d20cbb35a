"""Needs arithmetic for both profiles, worked out by hand: rates, who each line counts, rounding up."""

import math

import pytest

from siaga.core.errors import ServiceError
from siaga.disaster import needs


def by_item(lines):
    return {line.item: line.quantity for line in lines}


def test_bnpb_137_displaced_for_a_week():
    # 137 × 2.8 kg = 383.6 -> 384; 137 × 17.5 L = 2,397.5 -> 2,398; 137 × 67 L = 9,179;
    # 137 / 20 = 6.85 -> 7 toilets; 137 / 5 = 27.4 -> 28 family kits.
    assert by_item(needs.estimate(137, 137, 7, "bnpb")) == {
        "rice": 384, "drinking_water": 2398, "clean_water": 9179, "toilet": 7, "family_kit": 28}


def test_sphere_137_displaced_for_a_week():
    # Food: 2,100 kcal / 3,600 kcal per kg = 7/12 kg a day; 137 × 7 × 7/12 = 559.42 -> 560 kg.
    # Water: 137 × 15 L × 7 = 14,385 L. Soap: 137 × 7 × 250/30 g = 7,991.67 -> 7,992 g.
    assert by_item(needs.estimate(137, 137, 7, "sphere")) == {
        "rice_equivalent": 560, "water": 14385, "toilet": 7, "bathing_soap": 7992, "household_kit": 28}


def test_bnpb_is_the_default_profile():
    assert needs.estimate(137, 137, 7) == needs.estimate(137, 137, 7, "bnpb")


def test_displaced_get_food_toilets_and_kits_everyone_affected_gets_water():
    # 40 displaced among 300 affected, 3 days.
    # rice 40 × 0.4 × 3 = 48 kg; drinking water 300 × 2.5 × 3 = 2,250 L;
    # clean water 300 × 67/7 × 3 = 8,614.29 -> 8,615 L; toilets 40/20 = 2; kits 40/5 = 8.
    lines = needs.estimate(40, 300, 3, "bnpb")
    assert by_item(lines) == {"rice": 48, "drinking_water": 2250, "clean_water": 8615, "toilet": 2, "family_kit": 8}
    assert {line.item: line.people for line in lines} == {
        "rice": 40, "drinking_water": 300, "clean_water": 300, "toilet": 40, "family_kit": 40}
    sphere = by_item(needs.estimate(40, 300, 3, "sphere"))
    # 40 × 3 × 7/12 = 70 kg exactly; 300 × 15 × 3 = 13,500 L; 300 × 3 × 250/30 = 7,500 g.
    assert sphere == {"rice_equivalent": 70, "water": 13500, "toilet": 2, "bathing_soap": 7500, "household_kit": 8}


def test_affected_at_home_only_get_water():
    assert by_item(needs.estimate(0, 100, 1, "bnpb")) == {
        "rice": 0, "drinking_water": 250, "clean_water": 958, "toilet": 0, "family_kit": 0}


@pytest.mark.parametrize("people, toilets, kits", [(0, 0, 0), (1, 1, 1), (5, 1, 1), (6, 1, 2), (20, 1, 4),
                                                   (21, 2, 5), (40, 2, 8), (41, 3, 9)])
def test_toilets_and_kits_round_up_and_do_not_grow_with_days(people, toilets, kits):
    for days in (1, 30):
        got = by_item(needs.estimate(people, people, days, "bnpb"))
        assert (got["toilet"], got["family_kit"]) == (toilets, kits)


def test_exact_quantities_are_not_pushed_up_by_float_error():
    # 7 people for 12 days at 7/12 kg a day is exactly 49 kg; floats make it 49.000000000000007 -> 50.
    assert math.ceil(2100 / 3600 * 7 * 12) == 50
    assert by_item(needs.estimate(7, 7, 12, "sphere"))["rice_equivalent"] == 49
    # 10 people for a week at 2.8 kg a week is exactly 28 kg.
    assert by_item(needs.estimate(10, 10, 7, "bnpb"))["rice"] == 28


def test_one_day_rounds_each_line_up():
    # 1 person, 1 day: 0.4 kg -> 1; 2.5 L -> 3; 67/7 = 9.57 L -> 10.
    assert by_item(needs.estimate(1, 1, 1, "bnpb")) == {
        "rice": 1, "drinking_water": 3, "clean_water": 10, "toilet": 1, "family_kit": 1}


def test_lines_carry_unit_and_basis():
    rice = needs.estimate(1, 1, 1, "bnpb")[0]
    assert (rice.item, rice.unit, rice.applies_to) == ("rice", "kg", "displaced")
    assert "2,8 kg" in rice.basis  # Indonesian decimal comma, the default language


def test_totals_add_rounded_lines_per_area():
    # Two camps of 10: each needs one toilet (10/20 -> 1), so two in all, not one for 20 people.
    total = by_item(needs.add_lines([needs.estimate(10, 10, 1), needs.estimate(10, 10, 1)]))
    assert total["toilet"] == 2 and total["rice"] == 8


@pytest.mark.parametrize("displaced, affected, code", [(-1, 10, "negative_count"), (0, -5, "negative_count"),
                                                       (11, 10, "displaced_exceeds_affected"),
                                                       (1.5, 10, "invalid_count"), (True, 10, "invalid_count")])
def test_bad_counts_are_refused(displaced, affected, code):
    with pytest.raises(ServiceError) as exc:
        needs.estimate(displaced, affected, 7)
    assert exc.value.code == code


@pytest.mark.parametrize("days", [0, -1, 366, 2.5])
def test_bad_days_are_refused(days):
    with pytest.raises(ServiceError) as exc:
        needs.estimate(1, 1, days)
    assert exc.value.code == "invalid_days"


def test_unknown_profile_is_refused():
    with pytest.raises(ServiceError) as exc:
        needs.estimate(1, 1, 1, "unicef")
    assert exc.value.code == "unknown_profile"
