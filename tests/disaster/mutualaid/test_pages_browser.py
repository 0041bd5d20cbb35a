"""In a real browser on a 360-px phone under the strict CSP: DKI keeps its request open while Jabar accepts and
dispatches; the page follows over the live stream without a reload, and DKI confirms the arrival with one tap."""

from __future__ import annotations

import pytest

from siaga.disaster.mutualaid import services
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

# Generous so a loaded machine cannot make it flaky; without the live stream it would never pass at any timeout.
LIVE_TIMEOUT_MS = 10000

pytestmark = pytest.mark.browser


def test_the_borrower_follows_the_lender_live_and_confirms_arrival(asgi_server, transactional_db, world,  # noqa: F811
                                                                   browser):  # noqa: F811
    r = in_thread(world.request)
    session = in_thread(lambda: client_for(world.users["dki"]).cookies["sessionid"].value)
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="id-ID")
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(lambda u: u.startswith(asgi_server.url) and "/api/stream" not in u, with_strict_csp)
    page.goto(f"{asgi_server.url}/bencana/bantuan-antarprovinsi/{r.pk}/")
    page.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("[data-state='requested']").count() == 1
    assert page.locator("form[data-action='arrive']").count() == 0
    page.evaluate("window.__notReloaded = true")

    in_thread(lambda: services.accept(world.actor("jabar"), r.pk, resources=world.lent(r)))
    page.wait_for_selector("h1 [data-state='accepted']", timeout=LIVE_TIMEOUT_MS)
    assert "AMB-JB-01" in page.inner_text("main")
    in_thread(lambda: services.dispatch(world.actor("jabar"), r.pk))
    page.wait_for_selector("form[data-action='arrive'] button", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded === true")
    wide = page.evaluate("""[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 361)
        .map(e => e.tagName + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide

    page.click("form[data-action='arrive'] button")
    page.wait_for_selector("h1 [data-state='arrived']", timeout=LIVE_TIMEOUT_MS)
    assert in_thread(lambda: type(r).objects.get(pk=r.pk).state) == "arrived"
    # The request form and the list fit the phone too.
    for path in ("baru/", ""):
        page.goto(f"{asgi_server.url}/bencana/bantuan-antarprovinsi/{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    assert problems == [], problems
    page.unroute_all(behavior="ignoreErrors")
    context.close()
