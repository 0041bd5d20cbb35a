"""Rate limits on the public endpoints without a login: per client address, counted in the shared cache."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from siaga.callcenter import public
from siaga.core import ratelimit


@pytest.fixture(autouse=True)
def tight(settings):
    settings.SIAGA_PUBLIC_RATE_LIMITS = {"report_status": "3/60", "cap_feed": "2/60"}
    settings.LANGUAGE_CODE = "id"
    cache.clear()
    yield
    cache.clear()


def _from(ip):
    return Client(REMOTE_ADDR=ip)


def test_the_cap_feed_answers_429_in_indonesian_past_the_limit_per_address(db):
    c = _from("203.0.113.7")
    assert [c.get("/bencana/cap/rss.xml").status_code for _ in range(2)] == [200, 200]
    r = c.get("/bencana/cap/rss.xml")
    assert r.status_code == 429
    assert 1 <= int(r["Retry-After"]) <= 61
    assert "Terlalu banyak" in r.content.decode()
    # Another address still gets the feed: the limit is per client, not global.
    assert _from("203.0.113.8").get("/bencana/cap/rss.xml").status_code == 200


def test_report_status_lookups_are_limited_on_the_api_and_the_page(db):
    c = _from("198.51.100.4")
    codes = [c.get("/api/public/reports/tidak-ada").status_code for _ in range(3)]
    assert codes == [404, 404, 404]  # unknown tokens count too: guessing is what the limit stops
    r = c.get("/api/public/reports/tidak-ada")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert r.json()["error"]["details"]["retry_after"] >= 1
    # The page shares the bucket with the API.
    assert c.get("/lapor/status/tidak-ada/").status_code == 429


def test_a_proxy_is_trusted_only_when_configured(db, settings):
    spoofing = Client(REMOTE_ADDR="192.0.2.1")
    for i in range(2):
        spoofing.get("/bencana/cap/rss.xml", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    # Without trusted proxies a forged X-Forwarded-For does not buy new buckets.
    assert spoofing.get("/bencana/cap/rss.xml", HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 429
    settings.SIAGA_TRUSTED_PROXIES = 1
    assert spoofing.get("/bencana/cap/rss.xml", HTTP_X_FORWARDED_FOR="10.0.0.99").status_code == 200


def test_the_rule_reads_count_and_seconds(settings):
    settings.SIAGA_PUBLIC_RATE_LIMITS = {"cap_feed": "5/10"}
    assert ratelimit.rule("cap_feed") == (5, 10)
    assert ratelimit.rule("unknown") == (60, 60)


# 45 s into a one-minute window (epoch minutes start on the UTC minute): it ends in 15 s.
INSIDE_A_WINDOW = dt.datetime(2026, 3, 10, 8, 0, 45, tzinfo=dt.timezone.utc)


def test_the_counter_counts_per_key_in_a_fixed_window_and_says_when_it_ends():
    with time_machine.travel(INSIDE_A_WINDOW, tick=False) as clock:
        assert [ratelimit.hit("t:a", (2, 60)) for _ in range(3)] == [0, 0, 16]
        assert ratelimit.hit("t:b", (2, 60)) == 0  # another key, another count
        clock.shift(15)  # the next window
        assert ratelimit.hit("t:a", (2, 60)) == 0


def test_the_blood_boards_limit_is_counted_by_the_same_counter(db, settings):
    """The board keeps its own message and 429s; when to retry is the end of the window, as for every limit."""
    settings.SIAGA_BLOOD_PUBLIC_RATE = "2/60"
    c = _from("203.0.113.20")
    with time_machine.travel(INSIDE_A_WINDOW, tick=False):
        assert [c.get("/darah/stok/data.json").status_code for _ in range(2)] == [200, 200]
        r = c.get("/darah/stok/data.json")
        assert r.status_code == 429
        error = r.json()["error"]
        assert error["code"] == "rate_limited" and error["details"] == {"retry_after": 16}
        with translation.override("id"):
            assert error["message"] == translation.gettext(
                "Too many requests; the board refreshes by itself, please wait a moment.")
        live = c.get("/darah/stok/live")  # the board's live stream counts in the same bucket
        assert (live.status_code, live["Retry-After"]) == (429, "16")
        assert c.get("/api/blood/public/stock").status_code == 429
        assert _from("203.0.113.21").get("/darah/stok/data.json").status_code == 200
