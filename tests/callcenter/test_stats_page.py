"""The evaluation page: who may open it, what it shows, and that its charts need no inline script."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.web.conftest import parse_markup

from .stats_helpers import PRANKSTER, dataset  # noqa: F401  (fixture)

URL = "/callcenter/evaluasi/"


def _charts(html: str) -> dict:
    raw = re.search(r'<script id="evaluation-charts" type="application/json">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


@pytest.mark.parametrize("who", ["call_taker", "dispatcher", "leader", "admin"])
def test_the_evaluation_page_opens_for_roles_with_the_stats_permission(dataset, who):
    r = dataset.cc.client(who).get(URL, dataset.params)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-stat="calls">9<' in html
    assert 'data-stat="incidents">3<' in html
    assert 'data-stat="nuisance-share">44%<' in html


@pytest.mark.parametrize("who", ["psc_liaison", "police_liaison"])
def test_agencies_may_not_open_the_evaluation(dataset, who):
    assert dataset.cc.client(who).get(URL).status_code == 403


def test_anonymous_users_are_sent_to_log_in(db):
    r = Client().get(URL)
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_the_page_shows_intervals_per_priority_and_agency(dataset):
    html = dataset.cc.client().get(URL, dataset.params).content.decode()
    # 120 s and 168 s, whatever the words for minutes and seconds in the page's language.
    assert re.search(r'data-interval="answer_to_create">.*?<td class="num">3</td><td class="num">2 \S+ 00 \S+</td>'
                     r'<td class="num">2 \S+ 48 \S+</td>', html, re.S)
    assert re.search(r'data-interval="create_to_dispatch">.*?<td class="num">3</td><td class="num">1 \S+ 00 \S+</td>'
                     r'<td class="num">8 \S+ 12 \S+</td>', html, re.S)
    assert 'data-priority="1"' in html
    assert "Polres Mojokerto" in html
    assert PRANKSTER in html  # a call-taker may see callers


def test_a_leader_sees_numbers_masked(dataset):
    html = dataset.cc.client("leader").get(URL, dataset.params).content.decode()
    assert PRANKSTER not in html
    assert "+6283" in html and "•" in html


def test_charts_are_configured_as_json_with_no_inline_script(dataset):
    html = dataset.cc.client().get(URL, dataset.params).content.decode()
    m = parse_markup(html)
    assert m.inline_scripts == [] and m.handlers == [] and m.style_attrs == []
    charts = _charts(html)
    canvases = set(re.findall(r'data-chart="([^"]+)"', html))
    assert canvases <= set(charts)
    per_day = charts["chart-calls-day"]
    assert per_day["type"] == "bar"
    assert per_day["data"]["labels"] == ["01/05", "02/05", "03/05"]
    by_label = {d["label"]: d["data"] for d in per_day["data"]["datasets"]}
    assert sum(sum(v) for v in by_label.values()) == 9
    assert "vendor/chartjs/chart.umd.js" in html and "callcenter/dashboard.js" in html


def test_export_links_keep_the_filters(dataset):
    html = dataset.cc.client().get(URL, dataset.params).content.decode()
    links = re.findall(r'href="(/callcenter/evaluasi/export\.(?:csv|xlsx)\?[^"]+)"', html)
    assert len(links) == 4
    assert all("from=2026-05-01" in link and "to=2026-05-03" in link for link in links)


def test_bad_dates_show_an_error_and_the_default_period(dataset):
    r = dataset.cc.client().get(URL, {"from": "2026-05-09", "to": "2026-05-01"})
    assert r.status_code == 400
    assert 'role="alert"' in r.content.decode()
