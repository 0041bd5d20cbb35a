"""The call-taker screen: who may open it, what it hands to calltaker.js, and nothing inline."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.web.conftest import parse_markup

URL = "/callcenter/"


def _config(html: str) -> dict:
    raw = re.search(r'<script id="calltaker-config" type="application/json">(.*?)</script>', html, re.S).group(1)
    return json.loads(raw)


def test_a_call_taker_gets_the_screen(cc):
    r = cc.client().get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-calltaker' in html and 'data-api="/api/callcenter"' in html
    assert 'id="ct-number"' in html and "autofocus" in html
    assert "callcenter/calltaker.js" in html and "web/map.js" in html
    assert r["Cache-Control"].startswith("private") or "private" in r["Cache-Control"]


def test_the_screen_carries_the_taxonomy_and_the_one_key_outcomes(cc):
    config = _config(cc.client().get(URL).content.decode())
    crash = next(t for t in config["taxonomy"] if t["code"] == "kecelakaan-lalu-lintas")
    assert crash["default_priority"] == 2
    assert any(q["if_yes"] == 1 for q in crash["key_questions"])
    keys = {n["outcome"]: n["key"] for n in config["nuisance"]}
    assert keys == {"prank": "p", "silent": "s", "accidental": "a", "information": "i", "test": "t"}
    assert all(n["reasons"] for n in config["nuisance"])
    assert config["within"] == "35.16"
    assert "incident.created" in config["event_names"] and "referral.acknowledged" in config["event_names"]


def test_the_shortcuts_are_announced_on_the_buttons(cc):
    html = cc.client().get(URL).content.decode()
    for key in "PSAIT":
        assert f'aria-keyshortcuts="Alt+{key}"' in html
    assert 'aria-keyshortcuts="F2"' in html and 'aria-keyshortcuts="Control+Enter"' in html


def test_the_number_comes_pre_filled_from_telephony(cc):
    html = cc.client().get(URL, {"number": "+6281234567890"}).content.decode()
    assert 'value="+6281234567890"' in html
    assert not re.search(r'id="ct-number"[^>]*autofocus', html)  # the button takes the focus instead


def test_a_number_that_is_not_one_is_ignored(cc):
    html = cc.client().get(URL, {"number": '"><script>alert(1)</script>'}).content.decode()
    assert "alert(1)" not in html
    assert re.search(r'id="ct-number"[^>]*value=""', html)


def test_the_screen_has_no_inline_script_or_handler(cc):
    m = parse_markup(cc.client().get(URL).content.decode())
    assert m.inline_scripts == [] and m.handlers == [] and m.style_attrs == []
    assert m.viewport and "width=device-width" in m.viewport


@pytest.mark.parametrize("who", ["dispatcher", "leader", "psc_liaison"])
def test_roles_that_do_not_take_calls_are_refused(cc, who):
    r = cc.client(who).get(URL)
    assert r.status_code == 403


def test_anonymous_users_are_sent_to_log_in(db):
    r = Client().get(URL)
    assert r.status_code == 302 and r["Location"].startswith("/login/")
