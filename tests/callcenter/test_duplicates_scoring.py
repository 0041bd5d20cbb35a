"""Duplicate scoring: distance, time, type, text and caller each count; nothing is ever merged by it."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone, translation

from siaga.callcenter import duplicates, services
from siaga.callcenter.models import Incident

from .conftest import JATIREJO, MOBILE_E164

pytestmark = pytest.mark.django_db
LAT, LNG = JATIREJO


@pytest.fixture(autouse=True)
def english():
    """Reasons are compared in English (the msgids); Indonesian is the catalogue's business."""
    with translation.override("en"):
        yield


def score(cc, **kw):
    kw.setdefault("type_code", "kecelakaan-lalu-lintas")
    kw.setdefault("lat", LAT)
    kw.setdefault("lng", LNG)
    return duplicates.score_candidates(organization_id=cc.org.pk, **kw)


def test_a_report_at_the_same_spot_of_the_same_type_scores_high_with_reasons(cc):
    inc = cc.incident(number="081399998888")
    hits = score(cc, lat=LAT + 0.0009, text="tabrakan motor dengan mobil")  # about 100 m north
    assert [h["incident_id"] for h in hits] == [inc.pk]
    hit = hits[0]
    assert hit["score"] > 0.6
    assert 90 < hit["components"]["distance_m"] < 110
    assert hit["components"]["type"] == 1.0
    assert any("m away" in r for r in hit["reasons"]) and "same type" in hit["reasons"]
    assert hit["number"] == inc.number


def test_nearer_scores_higher_and_far_away_is_not_a_candidate(cc):
    inc = cc.incident(number="081399998888")
    near = score(cc, lat=LAT + 0.001)[0]["score"]
    farther = score(cc, lat=LAT + 0.006)[0]["score"]  # about 670 m
    assert near > farther
    assert score(cc, lat=LAT + 0.05) == []  # about 5.5 km: outside the radius, not even scored
    assert inc.pk


def test_the_same_type_scores_higher_than_the_same_category_than_another_category(cc):
    cc.incident("kecelakaan-lalu-lintas", number="081399998888")
    same = score(cc, type_code="kecelakaan-lalu-lintas")[0]
    category = score(cc, type_code="kecelakaan-kerja")[0]
    other = score(cc, type_code="banjir")[0]
    assert same["score"] > category["score"] > other["score"]
    assert category["components"]["type"] == 0.5 and "same category" in category["reasons"]
    assert other["components"]["type"] == 0.0


def test_the_same_caller_counts_even_from_elsewhere(cc):
    inc = cc.incident(number="081234567890")
    anonymous = score(cc)[0]["score"]
    hit = score(cc, caller_number=MOBILE_E164)[0]
    assert hit["score"] > anonymous and "same caller number" in hit["reasons"]
    # the caller moved 5 km but calls again about the same thing: still a candidate
    far = score(cc, lat=LAT + 0.05, caller_number=MOBILE_E164)
    assert [h["incident_id"] for h in far] == [inc.pk]


def test_similar_words_score_higher_than_unrelated_words(cc):
    cc.incident(number="081399998888", description="Motor tertabrak truk di depan pasar Jatirejo")
    similar = score(cc, text="truk menabrak motor depan pasar jatirejo")[0]["components"]["text"]
    unrelated = score(cc, text="asap hitam dari gudang")[0]["components"]["text"]
    assert similar > 0.6 > unrelated


def test_older_reports_score_lower_and_those_outside_the_window_are_not_candidates(cc):
    inc = cc.incident(number="081399998888")
    now = timezone.now()
    fresh = score(cc, at=now)[0]["score"]
    later = score(cc, at=now + dt.timedelta(minutes=60))[0]["score"]
    assert fresh > later
    assert score(cc, at=now + dt.timedelta(minutes=130)) == []
    assert inc.pk


@pytest.mark.parametrize("status", ["resolved", "closed", "cancelled", "merged"])
def test_only_open_incidents_are_candidates(cc, status):
    inc = cc.incident(number="081399998888")
    Incident.objects.filter(pk=inc.pk).update(status=status)
    assert score(cc) == []


def test_another_call_centers_incidents_are_never_candidates(cc):
    services.create_incident(cc.actor("other_call_taker"), type_code="kecelakaan-lalu-lintas", lat=LAT, lng=LNG,
                             region_code="35.76")
    assert score(cc) == []


def test_a_report_without_position_is_compared_by_type_and_words(cc):
    inc = cc.incident(number="081399998888", description="Tabrakan di Jl. Raya Jatirejo")
    hits = score(cc, lat=None, lng=None, text="tabrakan jl raya jatirejo")
    assert [h["incident_id"] for h in hits] == [inc.pk]
    assert hits[0]["components"]["distance_m"] is None


def test_scoring_changes_nothing(cc):
    a = cc.incident(number="081399998888")
    b = cc.incident(number="081311112222")
    snapshot = list(Incident.objects.order_by("pk").values())
    assert {h["incident_id"] for h in duplicates.duplicates_of(cc.actor(), b.pk)} == {a.pk}
    assert list(Incident.objects.order_by("pk").values()) == snapshot


def test_results_are_ordered_best_first_and_limited(cc):
    for i in range(6):
        cc.incident(number=f"08131111222{i}", lat=LAT + i * 0.001)
    hits = score(cc, limit=3)
    assert len(hits) == 3
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_ten_thousand_open_incidents_are_scored_quickly(cc):
    import secrets
    import time

    now = timezone.now()
    itype = cc.types["kecelakaan-lalu-lintas"]
    rows = [Incident(organization=cc.org, number=f"B-{i:06d}", type=itype, priority=2, suggested_priority=2,
                     status="new", region_code="35.16", lat=LAT + (i % 100) * 0.0001, lng=LNG + (i // 100) * 0.0001,
                     tracking_token=secrets.token_hex(16), created_at=now - dt.timedelta(seconds=i % 3600),
                     description=f"Tabrakan nomor {i}")
            for i in range(10_000)]
    Incident.objects.bulk_create(rows, batch_size=1000)
    started = time.perf_counter()
    hits = score(cc, text="tabrakan nomor 42", limit=5)
    elapsed = time.perf_counter() - started
    assert len(hits) == 5
    assert elapsed < 3.0, elapsed


def test_it_reads_the_window_and_radius_from_settings(cc, settings):
    cc.incident(number="081399998888")
    settings.SIAGA_DUPLICATE_RADIUS_M = 100
    assert score(cc, lat=LAT + 0.002) == []  # about 220 m
    settings.SIAGA_DUPLICATE_WINDOW_MINUTES = 10
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + dt.timedelta(minutes=15)):
        assert score(cc) == []
