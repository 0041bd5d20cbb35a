"""In a real browser on a 360-px phone: a referral appears live, the agency acknowledges it, the board follows."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from siaga.callcenter import referrals
from siaga.callcenter.models import Referral
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

from .referrals_helpers import world  # noqa: F401
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))
# Generous so a loaded CI machine cannot make it flaky; a reload would never satisfy it at any timeout.
LIVE_TIMEOUT_MS = 8000

pytestmark = pytest.mark.browser


@pytest.fixture
def cookies(world, asgi_server):  # noqa: F811
    """Session cookies made before Playwright starts (its event loop makes Django refuse ORM calls)."""
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    out = {}
    for who in ("psc_liaison", "dispatcher"):
        session = client_for(world.users[who]).cookies["sessionid"].value
        out[who] = [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]
    return out


_in_thread = in_thread


_with_strict_csp = with_strict_csp


def _phone(browser, url, cookies, problems):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # The live stream is left alone: fetching it whole to add a header would never finish.
    page.route(lambda u: u.startswith(url) and "/api/stream" not in u, _with_strict_csp)
    return context, page


def test_a_referral_appears_live_and_is_acknowledged_on_a_phone(world, asgi_server, cookies, browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    agency_ctx, agency = _phone(browser, base, cookies["psc_liaison"], problems)
    board_ctx, board = _phone(browser, base, cookies["dispatcher"], problems)

    agency.goto(f"{base}/callcenter/rujukan/")
    board.goto(f"{base}/callcenter/rujukan/papan/")
    for page in (agency, board):
        # The stream is open once the page says it is live.
        page.wait_for_selector("[data-live-status]:not(:empty)", timeout=5000)
        assert not page.locator("[data-ref-card]").count()

    started = time.monotonic()
    refs = _in_thread(lambda: referrals.route_new_incident(world.actor("call_taker"), world.incident(priority=1)))
    psc = next(r for r in refs if r.agency_id == world.psc.pk)
    police = next(r for r in refs if r.agency_id == world.police.pk)
    agency.wait_for_selector(f"#referral-{psc.pk}", timeout=LIVE_TIMEOUT_MS)
    board.wait_for_selector(f"[data-referral-id='{police.pk}']", timeout=LIVE_TIMEOUT_MS)
    live_seconds = time.monotonic() - started
    # Only its own referral reaches the agency's page.
    assert agency.locator("[data-ref-card]").count() == 1
    assert "Polres" not in agency.inner_text("main")
    assert agency.evaluate("document.documentElement.scrollWidth") <= 360
    agency.screenshot(path=str(SHOTS / "siaga-referrals-agency.png"), full_page=True)

    # The big button works with a thumb: it is at least 44 px tall and spans the card.
    button = agency.locator(f"#referral-{psc.pk} form[action$='/acknowledge/'] button")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 250
    button.tap()
    agency.wait_for_selector(f"#referral-{psc.pk}.ref--acknowledged")
    assert _in_thread(lambda: Referral.objects.get(pk=psc.pk).status) == "acknowledged"

    # The board saw the acknowledgement without a reload.
    board.wait_for_selector(f"[data-referral-id='{psc.pk}'].ref--acknowledged", timeout=LIVE_TIMEOUT_MS)
    assert board.locator(f"[data-referral-id='{police.pk}'].ref--waiting").count() == 1
    assert board.evaluate("document.documentElement.scrollWidth") <= 360
    board.screenshot(path=str(SHOTS / "siaga-referrals-board.png"), full_page=True)

    assert problems == [], problems
    assert live_seconds < LIVE_TIMEOUT_MS / 1000
    agency_ctx.close()
    board_ctx.close()
