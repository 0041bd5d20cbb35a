"""Transfer suggestion arithmetic (pure function) checked against numbers worked out by hand."""

import pytest

from siaga.blood import services_issue as si


def test_units_at_risk_are_those_fefo_use_does_not_reach_before_expiry():
    # 0.5 units a day: the 1st unit is used at day 2, the 2nd at day 4, the 3rd at day 6, the 4th at day 8...
    assert si.units_at_risk([1.5, 2.5, 3.5, 20, 25], 0.5) == [0, 1, 2]
    assert si.units_at_risk([25, 1.5], 0.5) == [1]  # sorted by expiry before counting
    assert si.units_at_risk([3.0, 4.0], 0) == [0, 1]  # no demand at all: everything outdates


def test_near_expiry_units_go_to_a_site_short_of_them():
    plan = si.plan_move(source_expiry_days=[1.5, 2.5, 3.5, 20, 25], source_daily_use=0.5, source_target_days=6,
                        dest_expiry_days=[10], dest_daily_use=2, dest_target_days=6, dest_amber_days=2,
                        travel_hours=2)
    # Destination: 1 useful unit, 0.5 days of cover (< amber 2); needs ceil(6 x 2) - 1 = 11.
    # Units 0, 1, 2 are used there at days 0.5, 1.0 and 1.5, before they expire (1.5, 2.5, 3.5).
    assert plan["move"] == [0, 1, 2]
    assert plan["saved"] == 3 and plan["at_risk"] == 3 and plan["need"] == 11 and plan["below_amber"]
    # score = 2 (below amber) x (2 x 3 saved + 1 x 3 moved) - 0.5 x 2 hours = 17
    assert plan["score"] == 17.0
    assert plan["source_cover_before"] == 10.0 and plan["source_cover_after"] == 4.0
    assert plan["dest_cover_before"] == 0.5 and plan["dest_cover_after"] == 2.0


def test_only_surplus_above_target_leaves_a_site_that_uses_its_units():
    plan = si.plan_move(source_expiry_days=[10, 11, 12, 13, 14, 15], source_daily_use=0.5, source_target_days=6,
                        dest_expiry_days=[], dest_daily_use=1, dest_target_days=6, dest_amber_days=2, travel_hours=3)
    # No unit at risk (the 6th is used at day 12 < 15); keep ceil(6 x 0.5) = 3, surplus = the 3 latest.
    assert plan["at_risk"] == 0 and plan["surplus"] == 3
    assert plan["move"] == [3, 4, 5] and plan["saved"] == 0
    assert plan["score"] == pytest.approx(2 * 3 - 0.5 * 3)  # 4.5
    assert plan["source_cover_after"] == 6.0  # exactly the target left behind


def test_a_unit_arriving_with_less_than_a_day_left_is_not_moved():
    plan = si.plan_move(source_expiry_days=[0.9], source_daily_use=0, source_target_days=6, dest_expiry_days=[],
                        dest_daily_use=1, dest_target_days=6, dest_amber_days=2, travel_hours=1)
    assert plan["move"] == [] and plan["score"] == 0


def test_a_unit_the_destination_would_not_reach_in_time_is_not_moved():
    # Destination uses 0.5 a day and has 2 long-dated units: it needs 1 more, but a unit moved there is used
    # first (FEFO) at day 1 / 0.5 = 2, after it expires at 1.5.
    plan = si.plan_move(source_expiry_days=[1.5], source_daily_use=0, source_target_days=6,
                        dest_expiry_days=[30, 30], dest_daily_use=0.5, dest_target_days=6, dest_amber_days=2,
                        travel_hours=0)
    assert plan["need"] == 1 and plan["move"] == []


def test_travel_time_lowers_the_score():
    near = si.plan_move(source_expiry_days=[5], source_daily_use=0, source_target_days=6, dest_expiry_days=[],
                        dest_daily_use=1, dest_target_days=6, dest_amber_days=2, travel_hours=1)
    far = si.plan_move(source_expiry_days=[5], source_daily_use=0, source_target_days=6, dest_expiry_days=[],
                       dest_daily_use=1, dest_target_days=6, dest_amber_days=2, travel_hours=6)
    assert near["score"] == 2 * (2 + 1) - 0.5 and far["score"] == 2 * (2 + 1) - 3
