"""Nuisance statistics per day, hour of day (local time) and number, with their share of all calls."""

import datetime as dt
from unittest import mock

import pytest

from siaga.callcenter import services
from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied

pytestmark = pytest.mark.django_db

WIB = dt.timezone(dt.timedelta(hours=7))


def call(cc, when, outcome, number="081234567890", who="call_taker"):
    a = cc.actor(who)
    with mock.patch("django.utils.timezone.now", return_value=when):
        c = services.start_call(a, channel="phone", caller_number=number)
        if outcome:
            services.close_call(a, c.pk, outcome=outcome, reason="alasan")
    return c


@pytest.fixture
def saturday_night(cc):
    """Saturday 14 Feb 2026, 22:xx WIB: three pranks and a silent call from two numbers, two real calls."""
    t = dt.datetime(2026, 2, 14, 22, 5, tzinfo=WIB)
    call(cc, t, "prank")
    call(cc, t + dt.timedelta(minutes=3), "prank")
    call(cc, t + dt.timedelta(minutes=9), "silent", number="085600001111")
    call(cc, t + dt.timedelta(minutes=20), "information", number="085700002222")
    # 00:30 WIB on Sunday is still Saturday in UTC: the day must be the local one
    call(cc, dt.datetime(2026, 2, 15, 0, 30, tzinfo=WIB), "prank")
    call(cc, dt.datetime(2026, 2, 15, 9, 0, tzinfo=WIB), "test", number="085700002222")
    # another call center's calls never count here
    call(cc, t, "prank", who="other_call_taker")
    return cc


def test_totals_and_share(saturday_night):
    s = services.nuisance_stats(saturday_night.actor(), dt.date(2026, 2, 14), dt.date(2026, 2, 15))
    assert (s["total"], s["nuisance"], s["share"]) == (6, 4, round(4 / 6, 4))
    assert s["by_outcome"] == {"prank": 3, "silent": 1, "information": 1, "test": 1}
    assert s["time_zone"] == "Asia/Jakarta"


def test_per_day_uses_local_days(saturday_night):
    s = services.nuisance_stats(saturday_night.actor(), dt.date(2026, 2, 14), dt.date(2026, 2, 15))
    assert [(d["date"], d["total"], d["nuisance"]) for d in s["per_day"]] == [
        (dt.date(2026, 2, 14), 4, 3), (dt.date(2026, 2, 15), 2, 1)]


def test_per_hour_of_day(saturday_night):
    s = services.nuisance_stats(saturday_night.actor(), dt.date(2026, 2, 14), dt.date(2026, 2, 15))
    hours = {h["hour"]: (h["total"], h["nuisance"]) for h in s["per_hour"] if h["total"]}
    assert hours == {22: (4, 3), 0: (1, 1), 9: (1, 0)}
    assert len(s["per_hour"]) == 24


def test_per_number_worst_first_with_flags(saturday_night):
    s = services.nuisance_stats(saturday_night.actor(), dt.date(2026, 2, 14), dt.date(2026, 2, 15))
    assert [(n["number"], n["total"], n["nuisance"], n["flagged"]) for n in s["per_number"]] == [
        ("+6281234567890", 3, 3, True), ("+6285600001111", 1, 1, False)]


def test_a_day_without_calls_is_listed_with_zeros(saturday_night):
    s = services.nuisance_stats(saturday_night.actor(), dt.date(2026, 2, 13), dt.date(2026, 2, 13))
    assert s["per_day"] == [{"date": dt.date(2026, 2, 13), "total": 0, "nuisance": 0, "share": 0.0}]


def test_leaders_may_read_the_statistics_agencies_may_not(saturday_night):
    assert services.nuisance_stats(saturday_night.actor("leader"), dt.date(2026, 2, 14), dt.date(2026, 2, 14))
    with pytest.raises(PermissionDenied):
        services.nuisance_stats(saturday_night.actor("psc_liaison"), dt.date(2026, 2, 14), dt.date(2026, 2, 14))


def test_a_reversed_period_is_refused(cc):
    with pytest.raises(ServiceError) as exc:
        services.nuisance_stats(cc.actor(), dt.date(2026, 2, 14), dt.date(2026, 2, 1))
    assert exc.value.code == "invalid_period"
