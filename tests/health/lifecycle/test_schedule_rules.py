"""The immunisation schedule table: due, overdue, upcoming and missed doses on hand-picked dates."""

import datetime as dt

from siaga.health import lifecycle as rules
from siaga.health.lifecycle import DoseState

BIRTH = dt.date(2025, 1, 31)


def _state(status, vaccine, dose):
    return next(i for i in status.items if (i.vaccine, i.dose) == (vaccine, dose))


def test_the_table_matches_the_programme_ages():
    months = {e.key: e.due_months for e in rules.SCHEDULE}
    assert months[("hb0", 1)] == 0
    assert months[("bcg", 1)] == months[("opv", 1)] == 1
    assert [months[("dpt_hb_hib", n)] for n in (1, 2, 3, 4)] == [2, 3, 4, 18]
    assert [months[("opv", n)] for n in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert [months[("pcv", n)] for n in (1, 2, 3)] == [2, 3, 12]
    assert [months[("rv", n)] for n in (1, 2, 3)] == [2, 3, 4]
    assert [months[("ipv", n)] for n in (1, 2)] == [4, 9]
    assert [months[("mr", n)] for n in (1, 2)] == [9, 18]
    assert "Kemenkes" in rules.SCHEDULE_SOURCE


def test_add_months_keeps_the_day_or_takes_the_last_of_a_short_month():
    assert rules.add_months(BIRTH, 1) == dt.date(2025, 2, 28)
    assert rules.add_months(BIRTH, 2) == dt.date(2025, 3, 31)
    assert rules.age_months(BIRTH, dt.date(2025, 2, 27)) == 0
    assert rules.age_months(dt.date(2025, 1, 15), dt.date(2025, 2, 15)) == 1


def test_a_newborn_is_due_hb0_and_nothing_else():
    s = rules.schedule_status(BIRTH, {}, BIRTH, grace_days=28)
    assert [i.label for i in s.pending()] == ["HB0"]
    assert _state(s, "bcg", 1).state == DoseState.UPCOMING


def test_hb0_is_missed_after_seven_days():
    s = rules.schedule_status(BIRTH, {}, BIRTH + dt.timedelta(days=8), grace_days=28)
    assert _state(s, "hb0", 1).state == DoseState.MISSED


def test_at_two_months_bcg_and_opv1_are_due_and_the_two_month_doses_too():
    on = dt.date(2025, 3, 31)  # exactly two months
    s = rules.schedule_status(BIRTH, {("hb0", 1): BIRTH}, on, grace_days=28)
    pending = {(i.vaccine, i.dose): i.state for i in s.pending()}
    # BCG was due at one month (28 Feb) and 31 days have passed: overdue with a 28-day grace window.
    assert pending[("bcg", 1)] == DoseState.OVERDUE
    assert pending[("opv", 1)] == DoseState.OVERDUE
    assert pending[("dpt_hb_hib", 1)] == DoseState.DUE
    assert pending[("pcv", 1)] == DoseState.DUE
    assert pending[("rv", 1)] == DoseState.DUE
    # OPV2 waits for OPV1.
    assert _state(s, "opv", 2).state == DoseState.UPCOMING


def test_the_grace_window_decides_overdue():
    on = dt.date(2025, 3, 28)  # BCG due 28 Feb: 28 days later
    assert _state(rules.schedule_status(BIRTH, {}, on, grace_days=28), "bcg", 1).state == DoseState.DUE
    assert _state(rules.schedule_status(BIRTH, {}, on, grace_days=27), "bcg", 1).state == DoseState.OVERDUE
    item = _state(rules.schedule_status(BIRTH, {}, on, grace_days=28), "bcg", 1)
    assert item.overdue_on == dt.date(2025, 3, 29)


def test_the_grace_window_comes_from_settings(settings):
    settings.SIAGA_IMMUNISATION_GRACE_DAYS = 7
    s = rules.schedule_status(BIRTH, {}, dt.date(2025, 3, 8))
    assert _state(s, "bcg", 1).state == DoseState.OVERDUE


def test_a_late_dose_pushes_the_next_one_by_the_minimum_interval():
    given = {("dpt_hb_hib", 1): dt.date(2025, 5, 20)}
    s = rules.schedule_status(BIRTH, given, dt.date(2025, 6, 1), grace_days=28)
    item = _state(s, "dpt_hb_hib", 2)
    assert item.due_on == dt.date(2025, 6, 17)  # 28 days after dose 1, later than the age (30 Apr)
    assert item.state == DoseState.UPCOMING


def test_rotavirus_is_missed_after_six_months_29_days():
    on = BIRTH + dt.timedelta(days=214)
    s = rules.schedule_status(BIRTH, {("rv", 1): dt.date(2025, 4, 1)}, on, grace_days=28)
    assert _state(s, "rv", 2).state == DoseState.MISSED
    assert _state(s, "rv", 1).state == DoseState.GIVEN


def test_a_dose_before_its_minimum_age_is_marked_early():
    s = rules.schedule_status(BIRTH, {("dpt_hb_hib", 1): BIRTH + dt.timedelta(days=20)}, dt.date(2025, 4, 1), 28)
    assert _state(s, "dpt_hb_hib", 1).early


def _all_basic(birth, day_offset=0):
    given = {}
    for e in rules.SCHEDULE:
        if e.basic:
            given[e.key] = rules.add_months(birth, e.due_months) + dt.timedelta(days=day_offset)
    return given


def test_complete_basic_immunisation_needs_every_basic_dose_before_the_first_birthday():
    given = _all_basic(BIRTH)
    doses = [(v, n, d) for (v, n), d in given.items()]
    assert rules.complete_basic_on(BIRTH, doses) == rules.add_months(BIRTH, 9)  # MR1, the last one
    without_mr = [x for x in doses if x[0] != "mr"]
    assert rules.complete_basic_on(BIRTH, without_mr) is None
    late_mr = without_mr + [("mr", 1, rules.add_months(BIRTH, 12))]  # on the first birthday: too late
    assert rules.complete_basic_on(BIRTH, late_mr) is None
    s = rules.schedule_status(BIRTH, given, dt.date(2026, 1, 1), grace_days=28)
    assert s.complete_basic and s.complete_basic_on == dt.date(2025, 10, 31)


def test_pcv_rv_and_boosters_are_not_needed_for_complete_basic():
    assert ("pcv", 1) not in rules.BASIC_DOSES
    assert ("rv", 1) not in rules.BASIC_DOSES
    assert ("dpt_hb_hib", 4) not in rules.BASIC_DOSES
    assert set(rules.BASIC_DOSES) == {("hb0", 1), ("bcg", 1), ("opv", 1), ("opv", 2), ("opv", 3), ("opv", 4),
                                      ("dpt_hb_hib", 1), ("dpt_hb_hib", 2), ("dpt_hb_hib", 3), ("ipv", 1), ("mr", 1)}
