"""On a 360-px phone under the strict CSP: a manager registers a volunteer, the list follows a status change live."""

from __future__ import annotations

import pytest

from siaga.core.permissions import actor_for
from siaga.disaster.volunteers import services
from siaga.disaster.volunteers.models import Volunteer
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

from .conftest import KEL_MJK, nik

pytestmark = pytest.mark.browser
LIVE_TIMEOUT_MS = 8000


@pytest.fixture
def session(world, asgi_server):  # noqa: F811
    """The manager's session cookie, made before Playwright starts (its event loop makes Django refuse ORM calls)."""
    return client_for(world["m_mjk"]).cookies["sessionid"].value


def test_register_on_a_phone_and_see_the_status_change_live(world, asgi_server, session, browser):  # noqa: F811
    base = asgi_server.url
    host = base.split("//", 1)[1].split(":")[0]
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    try:
        page.goto(f"{base}/bencana/relawan/daftar/")
        page.fill("#r-name", "H. Soeparman, S.Kep")
        page.fill("#r-nik", nik())
        page.fill("#r-phone", "0812 3456 7890")
        page.fill("#r-region", KEL_MJK)
        page.check("input[name=skills][value=first_aid]")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.click("button[type=submit].btn--block")
        page.wait_for_url(lambda u: "/daftar/" not in u)
        assert "+6281234567890" in page.inner_text("main")
        v = in_thread(lambda: Volunteer.objects.get())
        page.goto(f"{base}/bencana/relawan/")
        page.wait_for_selector("[data-live-status][data-state=live]", timeout=LIVE_TIMEOUT_MS)
        assert page.inner_text("[data-count=deployed]") == "0"
        in_thread(lambda: services.set_status(actor_for(world["m_mjk"]), v.pk, "deployed"))
        # A locator assertion, not wait_for_function: evaluating a string is what the strict CSP forbids.
        from playwright.sync_api import expect

        expect(page.locator("[data-count=deployed]")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert problems == []
    finally:
        context.close()
