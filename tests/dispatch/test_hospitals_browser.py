"""In a real browser: hospital staff raise free ER beds on the phone page; the dispatcher's board follows live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from siaga.core.permissions import system_actor
from siaga.dispatch import hospitals
from siaga.dispatch.models import HospitalCapacity
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))
# Generous so a loaded machine cannot make it flaky; a page that needs a reload never satisfies it.
LIVE_TIMEOUT_MS = 8000

pytestmark = pytest.mark.browser


@pytest.fixture
def cookies(fleet, asgi_server):  # noqa: F811
    """Session cookies made before Playwright starts (its event loop makes Django refuse ORM calls)."""
    hospitals.update_capacity(system_actor(), fleet.hospital.pk, accepting=True, emergency_beds_total=8,
                              emergency_beds_free=2, icu_beds_total=3, icu_beds_free=1)
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    return {who: [{"name": "sessionid", "value": client_for(fleet.users[who]).cookies["sessionid"].value,
                   "domain": host, "path": "/"}] for who in ("hospital", "dispatcher")}


def _page(browser, base, cookies, problems, phone):  # noqa: F811
    size = {"width": 360, "height": 740} if phone else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context, page


def test_free_er_beds_raised_on_the_phone_appear_on_the_board_without_reload(fleet, asgi_server, cookies,
                                                                            browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    board_ctx, board = _page(browser, base, cookies["dispatcher"], problems, phone=False)
    phone_ctx, phone = _page(browser, base, cookies["hospital"], problems, phone=True)
    cell = f"#hospital-{fleet.hospital.pk} [data-field=emergency_beds_free]"

    board.goto(f"{base}/dispatch/rumah-sakit/")
    board.wait_for_selector("[data-live-status]:not(:empty)", timeout=5000)
    assert board.inner_text(cell) == "2"
    board.evaluate("window.siagaNotReloaded = true")

    phone.goto(f"{base}/dispatch/rumah-sakit/kapasitas/")
    plus = phone.locator("[data-step='1'][data-target='cap-emergency_beds_free']")
    box = plus.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    plus.tap()
    plus.tap()
    assert phone.input_value("#cap-emergency_beds_free") == "4"
    phone.wait_for_selector("[data-save-status][data-state='saved']", timeout=LIVE_TIMEOUT_MS)
    phone.screenshot(path=str(SHOTS / "siaga-hospital-capacity-phone.png"), full_page=True)
    assert in_thread(lambda: HospitalCapacity.objects.get(organization=fleet.hospital).emergency_beds_free) == 4

    board.wait_for_selector(f"{cell}:text-is('4')", timeout=LIVE_TIMEOUT_MS)
    assert board.evaluate("window.siagaNotReloaded === true")
    assert board.inner_text(f"#hospital-{fleet.hospital.pk} [data-field=emergency_beds_total]") == "8"
    board.screenshot(path=str(SHOTS / "siaga-hospital-board.png"), full_page=True)
    # Crews read the same board on a phone: nothing runs off the side of a 360-px screen.
    board.set_viewport_size({"width": 360, "height": 740})
    assert board.evaluate("document.documentElement.scrollWidth") <= 360
    board.screenshot(path=str(SHOTS / "siaga-hospital-board-phone.png"), full_page=True)

    assert problems == [], problems
    board_ctx.close()
    phone_ctx.close()
