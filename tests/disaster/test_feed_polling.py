"""huey polls enabled feeds: the RSS index, then each new alert; nothing fetched twice, nothing lost."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.disaster import feeds, tasks
from siaga.disaster.models import FeedItemError, FeedSource, Warning

from .conftest import bmkg_file, cap_xml

pytestmark = pytest.mark.django_db

INDEX = "https://bmkg.example/alerts/nowcast/id/rss.xml"
BASE = "https://www.bmkg.go.id/alerts/nowcast/id/"


@pytest.fixture
def web(monkeypatch):
    """A fake internet: url -> bytes (or an exception); records what was fetched."""
    pages, fetched = {}, []

    def fake_fetch(url):
        fetched.append(url)
        page = pages.get(url)
        if page is None or isinstance(page, Exception):
            raise feeds.FetchError(f"no route to {url}") if page is None else page
        return page

    monkeypatch.setattr(feeds, "fetch", fake_fetch)
    return pages, fetched


def test_an_rss_poll_imports_good_alerts_and_keeps_bad_ones(web, cap_banten):
    pages, fetched = web
    pages[INDEX] = bmkg_file("rss_active.xml")
    pages[BASE + "CBT20260216004_alert.xml"] = cap_banten
    pages[BASE + "CJG20260216005_alert.xml"] = b"<html>502 Bad Gateway</html>"
    # the third link (Sumatera Utara) is unreachable
    src = FeedSource.objects.create(name="BMKG nowcast", url=INDEX, kind="cap_rss")
    report = feeds.poll_source(src)
    assert report.counts == {"created": 1, "malformed": 1, "fetch_failed": 1}
    assert Warning.objects.get().identifier == "2.49.0.1.360.0.2026.02.16.16.36.004"
    item = FeedItemError.objects.get()
    assert item.source == BASE + "CJG20260216005_alert.xml" and item.feed_source == src and "502" in item.payload
    src.refresh_from_db()
    assert src.last_polled_at and src.last_ok_at and src.last_new_items == 1 and "no route" in src.last_error


def test_the_next_poll_fetches_only_what_is_new(web, cap_banten):
    pages, fetched = web
    pages[INDEX] = bmkg_file("rss_active.xml")
    pages[BASE + "CBT20260216004_alert.xml"] = cap_banten
    pages[BASE + "CJG20260216005_alert.xml"] = b"broken"
    src = FeedSource.objects.create(name="BMKG nowcast", url=INDEX, kind="cap_rss")
    feeds.poll_source(src)
    fetched.clear()
    report = feeds.poll_source(src)
    # The stored alert and the kept bad item are not fetched again; the unreachable one is tried again.
    assert fetched == [INDEX, BASE + "CSU20260216005_alert.xml"]
    assert report.counts == {"known": 2, "fetch_failed": 1}
    assert FeedItemError.objects.count() == 1


def test_an_unreachable_feed_records_its_error(web):
    src = FeedSource.objects.create(name="down", url=INDEX, kind="cap_rss")
    report = feeds.poll_source(src)
    assert not report.ok
    src.refresh_from_db()
    assert src.last_ok_at is None and "no route" in src.last_error


def test_an_index_that_is_not_rss_goes_to_the_dead_letter_list(web):
    pages, _ = web
    pages[INDEX] = b"<html>maintenance</html>"
    src = FeedSource.objects.create(name="bad", url=INDEX, kind="cap_rss")
    assert not feeds.poll_source(src).ok
    assert FeedItemError.objects.get().payload == "<html>maintenance</html>"


def test_quake_and_single_cap_feeds(web):
    pages, _ = web
    pages["https://q.example/autogempa.json"] = bmkg_file("autogempa.json")
    pages["https://c.example/alert.xml"] = cap_xml()
    q = FeedSource.objects.create(name="gempa", url="https://q.example/autogempa.json", kind="quake_json")
    c = FeedSource.objects.create(name="cap", url="https://c.example/alert.xml", kind="cap")
    assert feeds.poll_source(q).counts == {"created": 1}
    assert feeds.poll_source(q).counts == {"unchanged": 1}
    assert feeds.poll_source(c).counts == {"created": 1}
    assert feeds.poll_source(c).counts == {"unchanged": 1}
    assert not FeedItemError.objects.exists()


def test_the_periodic_task_polls_only_enabled_feeds_that_are_due(web):
    pages, fetched = web
    pages["https://q.example/a.json"] = bmkg_file("autogempa.json")
    due = FeedSource.objects.create(name="due", url="https://q.example/a.json", kind="quake_json")
    FeedSource.objects.create(name="off", url="https://q.example/off.json", kind="quake_json", enabled=False)
    recent = FeedSource.objects.create(name="recent", url="https://q.example/recent.json", kind="quake_json",
                                       interval_seconds=600)
    FeedSource.objects.filter(pk=recent.pk).update(last_polled_at=timezone.now() - dt.timedelta(seconds=60))
    assert tasks.poll_feeds.call_local() == 1
    assert fetched == ["https://q.example/a.json"]
    due.refresh_from_db()
    assert due.last_polled_at is not None
    fetched.clear()
    assert tasks.poll_feeds.call_local() == 0  # every feed polled within its interval
