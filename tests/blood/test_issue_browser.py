"""In a real browser (scenario 1): a hospital requests two units of PRC O+ from its phone, the UDD sees the request
arrive live, issues them with one click (soonest-expiring first, with the reason shown), and the public stock
board changes live. All pages under the strict CSP."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.core.cache import cache

from siaga.blood.models import BloodRequest, Component, IssueItem
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))
LIVE_TIMEOUT_MS = 10000

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def quick(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5
    cache.clear()


@pytest.fixture
def setting(asgi_server, blood, make_units):  # noqa: F811
    late = make_units(abo="O", rhd="pos", n=1, expires_in=dt.timedelta(days=30))
    soon = make_units(abo="O", rhd="pos", n=2, expires_in=dt.timedelta(days=4))
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    cookies = {who: [{"name": "sessionid", "value": client_for(user).cookies["sessionid"].value, "domain": host,
                      "path": "/"}] for who, user in (("hospital", blood.hospital_user), ("udd", blood.officer_user))}
    return {"cookies": cookies, "soon": [u.pk for u in soon], "late": late[0].pk}


def _page(browser, base, cookies, problems, *, phone=False):  # noqa: F811
    size = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, locale="id-ID")
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u and "/stok/live" not in u, with_strict_csp)
    return context, page


def test_hospital_requests_two_prc_o_pos_the_udd_issues_them_and_the_board_follows(asgi_server, setting,
                                                                                  browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    board_ctx, board = _page(browser, base, None, problems)
    udd_ctx, udd = _page(browser, base, setting["cookies"]["udd"], problems)
    phone_ctx, phone = _page(browser, base, setting["cookies"]["hospital"], problems, phone=True)

    board.goto(f"{base}/darah/stok/")
    board.wait_for_selector("[data-live-status]:text-matches('.+')", timeout=5000)
    assert board.inner_text("[data-total='O+']") == "3"
    board.evaluate("window.siagaNotReloaded = true")

    udd.goto(f"{base}/darah/permintaan/")
    udd.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    udd.evaluate("window.siagaNotReloaded = true")

    # The hospital's phone form: nothing runs off a 360-px screen.
    phone.goto(f"{base}/darah/permintaan/baru/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.fill("#patient_name", "Rudi Hartono")
    phone.fill("#patient_mrn", "RM-2026-0711")
    phone.select_option("#group", "O|pos")
    phone.select_option("#type_0", "PRC")
    phone.fill("#qty_0", "2")
    phone.fill("#ward", "IGD")
    phone.click("[data-submit-request]")
    phone.wait_for_url(re.compile(r".*/darah/permintaan/\d+/$"), timeout=LIVE_TIMEOUT_MS)
    phone.screenshot(path=str(SHOTS / "siaga-blood-request-phone.png"), full_page=True)
    req = in_thread(lambda: BloodRequest.objects.select_related("supplier_site").get())
    assert req.urgency == "cito" and req.supplier_site.name in phone.inner_text("main")

    # The UDD's queue shows it without a reload.
    udd.wait_for_selector(f"[data-request-id='{req.pk}']", timeout=LIVE_TIMEOUT_MS)
    assert udd.evaluate("window.siagaNotReloaded === true")
    udd.click(f"[data-request-id='{req.pk}'] a")
    udd.wait_for_selector("[data-plan]")
    picked = sorted(int(x) for x in udd.eval_on_selector_all("[data-plan-unit]",
                                                           "els => els.map(e => e.dataset.planUnit)"))
    assert picked == sorted(setting["soon"])
    udd.fill("#recipient_name", "Pak Slamet (kurir RSUD)")
    udd.fill("#signed_by", "Slamet")
    udd.fill("#cool_box_temperature_c", "4.5")
    udd.locator("[data-signature-pad]").scroll_into_view_if_needed()
    box = udd.locator("[data-signature-pad]").bounding_box()
    udd.mouse.move(box["x"] + 20, box["y"] + 60)
    udd.mouse.down()
    udd.mouse.move(box["x"] + 120, box["y"] + 30, steps=5)
    udd.mouse.move(box["x"] + 220, box["y"] + 80, steps=5)
    udd.mouse.up()
    assert udd.input_value("[data-signature-input]").startswith("M")
    udd.click("[data-issue-button]")
    udd.wait_for_selector("[data-just-issued] [data-issued-unit]", timeout=LIVE_TIMEOUT_MS)
    issued = sorted(int(x) for x in udd.eval_on_selector_all("[data-just-issued] [data-issued-unit]",
                                                           "els => els.map(e => e.dataset.issuedUnit)"))
    assert issued == sorted(setting["soon"])
    assert "FEFO" in udd.inner_text("[data-just-issued]")
    udd.screenshot(path=str(SHOTS / "siaga-blood-issue.png"), full_page=True)

    # The public board changes live: 3 O+ units available before, 1 after.
    board.wait_for_selector("[data-total='O+']:text-is('1')", timeout=LIVE_TIMEOUT_MS)
    assert board.evaluate("window.siagaNotReloaded === true")
    board.screenshot(path=str(SHOTS / "siaga-blood-board-after-issue.png"), full_page=True)

    # And the hospital's own request page follows the issue live.
    phone.wait_for_selector("[data-request-status='issued']", timeout=LIVE_TIMEOUT_MS)

    def check():
        assert sorted(IssueItem.objects.values_list("component_id", flat=True)) == sorted(setting["soon"])
        assert Component.objects.get(pk=setting["late"]).status == "available"
        assert IssueItem.objects.first().issue.signature.startswith("M")

    in_thread(check)
    assert problems == [], problems
    for ctx in (board_ctx, udd_ctx, phone_ctx):
        ctx.close()
