"""In a real browser under the strict CSP: a volunteer sends a field report from a 360 px phone, and the lead's
open report page shows it without a reload."""

from __future__ import annotations

import pytest

from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

from .conftest import KEL_A

LIVE_TIMEOUT_MS = 15000
pytestmark = pytest.mark.browser


def _page(browser, server, user, **kw):  # noqa: F811
    session = in_thread(lambda: client_for(user).cookies["sessionid"].value)
    host = server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(locale="id-ID", **kw)
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.route(lambda u: u.startswith(server.url) and "/api/stream" not in u, with_strict_csp)
    return context, page


def test_a_field_report_from_a_phone_reaches_the_lead_live(transactional_db, asgi_server, setting,
                                                           browser):  # noqa: F811
    url = f"{asgi_server.url}/bencana/laporan/{setting['event'].pk}/"
    lead_ctx, lead = _page(browser, asgi_server, setting["lead_user"], viewport={"width": 1280, "height": 900})
    phone_ctx, phone = _page(browser, asgi_server, setting["volunteer_user"],
                             viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    lead.goto(url)
    lead.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    lead.evaluate("window.__notReloaded = true")

    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.fill("input[name=region_code]", KEL_A)
    phone.select_option("select[name=source]", "pmi")
    phone.fill("input[name=displaced]", "83")
    phone.fill("input[name=affected]", "240")
    phone.fill("input[name=assisted]", "60")
    phone.click(".report-form button[type=submit]")
    phone.wait_for_selector(".field-report", timeout=LIVE_TIMEOUT_MS)
    assert "83" in phone.inner_text(".field-reports")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    lead.wait_for_selector(".field-report", timeout=LIVE_TIMEOUT_MS)
    assert "240" in lead.inner_text("[data-live-fragment]")
    assert lead.evaluate("window.__notReloaded") is True
    assert not phone.problems and not lead.problems, (phone.problems, lead.problems)
    lead_ctx.close()
    phone_ctx.close()
