"""Evaluation figures on a hand-built dataset: every median and 90th percentile worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from siaga.callcenter import stats
from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied

from .stats_helpers import NOW, PRANKSTER, WIB, dataset  # noqa: F401  (fixture)


def _evaluate(dataset, who="call_taker", **params):
    actor = dataset.cc.actor(who)
    filters = stats.parse_filters(actor, {**dataset.params, **params}, now=NOW)
    return stats.evaluation(actor, filters, now=NOW)


def test_percentile_interpolates_between_closest_ranks():
    assert stats.percentile([], 0.5) is None
    assert stats.percentile([7], 0.9) == 7
    assert stats.percentile([60, 180, 120], 0.5) == 120
    assert stats.percentile([60, 120, 180], 0.9) == pytest.approx(168)  # 120 + 0.8 * 60
    assert stats.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert stats.percentile(range(1, 11), 0.9) == pytest.approx(9.1)


def test_it_counts_calls_per_day_and_hour_by_channel_and_outcome(dataset):
    vol = _evaluate(dataset)["volume"]
    assert vol["total"] == 9  # the calls before, after and at the other call center are left out
    days = {r["day"]: r for r in vol["by_day"]}
    assert [d.isoformat() for d in days] == ["2026-05-01", "2026-05-02", "2026-05-03"]
    assert [r["total"] for r in vol["by_day"]] == [3, 3, 3]
    assert days[dt.date(2026, 5, 2)]["channel"] == {"phone": 2, "sms": 1, "web": 0, "app": 0}
    assert days[dt.date(2026, 5, 3)]["outcome"]["accidental"] == 1
    assert days[dt.date(2026, 5, 3)]["outcome"]["open"] == 1
    hours = {r["hour"]: r["total"] for r in vol["by_hour"] if r["total"]}
    # Local (WIB) hours, not UTC ones.
    assert hours == {7: 2, 8: 1, 9: 1, 10: 1, 11: 1, 22: 2, 23: 1}
    assert vol["by_hour"][22]["outcome"] == {**{o: 0 for o in vol["outcomes"]}, "prank": 1, "silent": 1}


def test_answer_to_create_and_create_to_dispatch(dataset):
    iv = _evaluate(dataset)["intervals"]
    # answer -> create: 60, 180, 120 s
    assert iv["answer_to_create"] == {"count": 3, "median": 120, "p90": pytest.approx(168)}
    # create -> first acknowledgement: 60, 30, 600 s; p90 = 60 + 0.8 * 540
    assert iv["create_to_dispatch"] == {"count": 3, "median": 60, "p90": pytest.approx(492)}


def test_response_times_per_priority_against_targets(dataset):
    rows = {r["priority"]: r for r in _evaluate(dataset)["response"]}
    p1 = rows[1]
    assert (p1["incidents"], p1["count"]) == (2, 2)
    assert p1["target_seconds"] == 600
    assert p1["median"] == pytest.approx(570)  # (240 + 900) / 2
    assert p1["p90"] == pytest.approx(834)  # 240 + 0.9 * 660
    assert (p1["within_target"], p1["over_target"], p1["no_response"]) == (1, 1, 0)
    p3 = rows[3]
    assert (p3["median"], p3["p90"], p3["within_target"], p3["over_target"]) == (1800, 1800, 1, 0)
    assert rows[2]["count"] == 0 and rows[2]["median"] is None


def test_an_incident_without_committed_resources_counts_as_waiting_and_overdue(dataset):
    i3 = dataset.incidents[2]
    i3.referrals.update(committed_at=None, status="acknowledged")
    p3 = {r["priority"]: r for r in _evaluate(dataset)["response"]}[3]
    assert (p3["count"], p3["no_response"], p3["no_response_overdue"]) == (0, 1, 1)


def test_agency_acknowledgement_times_and_missed_deadlines(dataset):
    agencies = _evaluate(dataset)["agencies"]
    assert [a["agency"] for a in agencies] == ["Polres Mojokerto", "PSC 119 Kabupaten Mojokerto"]  # worst first
    police, psc = agencies
    assert (police["referrals"], police["acknowledged"], police["median"], police["p90"]) == (2, 1, 180, 180)
    assert (police["missed_late"], police["missed_unanswered"], police["missed"]) == (1, 1, 2)
    assert (psc["referrals"], psc["acknowledged"], psc["missed"]) == (3, 3, 0)
    assert psc["median"] == 60 and psc["p90"] == pytest.approx(492)


def test_a_referral_still_within_its_deadline_is_not_missed(dataset):
    actor = dataset.cc.actor()
    filters = stats.parse_filters(actor, dataset.params, now=NOW)
    early = dataset.incidents[1].created_at + dt.timedelta(seconds=60)  # police deadline is at +120 s
    police = next(a for a in stats.agency_acknowledgements(stats.referrals_in(actor, filters), now=early)
                  if a["agency"] == "Polres Mojokerto")
    assert police["missed_unanswered"] == 0


def test_nuisance_share_per_day_hour_and_number(dataset):
    n = _evaluate(dataset)["nuisance"]
    assert (n["total"], n["nuisance"]) == (9, 4)
    assert n["share"] == pytest.approx(4 / 9)
    assert [(r["calls"], r["nuisance"]) for r in n["by_day"]] == [(3, 1), (3, 2), (3, 1)]
    assert n["by_hour"][22]["share"] == 1.0
    assert n["by_hour"][7]["share"] == 0.0
    assert n["by_hour"][3]["share"] is None  # no calls: no share, not zero
    assert n["by_number"] == [{"number": PRANKSTER, "calls": 3, "nuisance": 3, "share": 1.0,
                               "outcomes": {"prank": 2, "silent": 1}}]


def test_a_leader_sees_the_same_figures_with_numbers_masked(dataset):
    n = _evaluate(dataset, who="leader")["nuisance"]
    assert n["nuisance"] == 4
    number = n["by_number"][0]["number"]
    assert number != PRANKSTER and number.startswith("+6283") and number.endswith("333") and "•" in number


def test_the_default_period_is_the_last_seven_local_days(dataset):
    actor = dataset.cc.actor()
    late_evening_utc = dt.datetime(2026, 5, 3, 18, 30, tzinfo=dt.timezone.utc)  # already 4 May in WIB
    f = stats.parse_filters(actor, {}, now=late_evening_utc)
    assert (f.first_day, f.last_day, f.zone) == (dt.date(2026, 4, 28), dt.date(2026, 5, 4), "WIB")
    assert f.start == dt.datetime(2026, 4, 28, tzinfo=WIB)
    assert f.end == dt.datetime(2026, 5, 5, tzinfo=WIB)


@pytest.mark.parametrize("params, code", [
    ({"from": "2026-05-03", "to": "2026-05-01"}, "invalid_range"),
    ({"from": "1 Mei"}, "invalid_date"),
    ({"from": "2024-01-01", "to": "2026-05-01"}, "range_too_long"),
    ({"center": "abc"}, "invalid_center"),
])
def test_it_refuses_bad_filters(dataset, params, code):
    with pytest.raises(ServiceError) as exc:
        stats.parse_filters(dataset.cc.actor(), params, now=NOW)
    assert exc.value.code == code


def test_it_refuses_a_call_center_the_actor_cannot_see(dataset):
    with pytest.raises(ServiceError) as exc:
        stats.parse_filters(dataset.cc.actor(), {"center": str(dataset.cc.other.pk)}, now=NOW)
    assert exc.value.status == 404


def test_the_center_filter_limits_the_figures(dataset):
    cc = dataset.cc
    result = _evaluate(dataset, who="call_taker", center=str(cc.org.pk))
    assert result["volume"]["total"] == 9
    assert [c.pk for c in stats.call_centers(cc.actor())] == [cc.org.pk]


def test_roles_without_the_stats_permission_are_refused(dataset):
    with pytest.raises(PermissionDenied):
        stats.parse_filters(dataset.cc.actor("psc_liaison"), {}, now=NOW)


def test_time_zones_follow_the_region():
    assert stats.zone_for_region("35.16").key == "Asia/Jakarta"
    assert stats.zone_for_region("51.71").key == "Asia/Makassar"  # Denpasar
    assert stats.zone_for_region("73").key == "Asia/Makassar"
    assert stats.zone_for_region("94.71").key == "Asia/Jayapura"


def test_mask_number_hides_the_middle():
    assert stats.mask_number("") == ""
    assert stats.mask_number("+6281234567890") == "+6281" + "•" * 6 + "890"
    assert stats.mask_number("12345") == "•••••"
