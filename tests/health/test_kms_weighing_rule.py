"""The KMS rule: gained (N) when the gain reaches the minimum for the age, else T; O and B otherwise."""

import datetime as dt

import pytest

from siaga.health import kms

BORN = dt.date(2024, 1, 10)


@pytest.mark.parametrize("months,minimum", [(1, 800), (2, 900), (3, 800), (4, 600), (5, 500), (6, 400), (7, 400),
                                            (8, 300), (9, 300), (10, 300), (11, 200), (12, 200), (59, 200)])
def test_minimum_gain_by_age(months, minimum):
    assert kms.minimum_gain_g(months) == minimum


def test_exactly_the_minimum_counts_as_gained():
    r = kms.weighing_result(BORN, dt.date(2024, 5, 12), 6600, dt.date(2024, 4, 11), 6000)  # 4 months: 600 g
    assert (r.status, r.gain_g, r.minimum_gain_g) == ("N", 600, 600)


def test_one_gram_short_is_tidak_naik():
    r = kms.weighing_result(BORN, dt.date(2024, 5, 12), 6599, dt.date(2024, 4, 11), 6000)
    assert r.status == "T"


def test_losing_weight_is_tidak_naik():
    r = kms.weighing_result(BORN, dt.date(2025, 3, 12), 9800, dt.date(2025, 2, 11), 10000)
    assert (r.status, r.gain_g) == ("T", -200)


def test_a_gap_of_a_month_is_o():
    r = kms.weighing_result(BORN, dt.date(2024, 6, 12), 7000, dt.date(2024, 4, 11), 6000)
    assert r.status == "O"


def test_the_first_weighing_is_b():
    assert kms.weighing_result(BORN, dt.date(2024, 2, 12), 4000, None, None).status == "B"


def test_december_to_january_is_consecutive():
    r = kms.weighing_result(BORN, dt.date(2025, 1, 8), 9500, dt.date(2024, 12, 10), 9000)
    assert r.status == "N"


def test_completed_months_count_whole_months_only():
    assert kms.completed_months(BORN, dt.date(2024, 2, 9)) == 0
    assert kms.completed_months(BORN, dt.date(2024, 2, 10)) == 1
