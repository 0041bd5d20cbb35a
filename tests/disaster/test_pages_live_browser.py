"""In a real browser on a phone under the strict CSP: a BMKG warning arrives while the warnings list is open,
and it appears through the real live stream without a reload."""

from __future__ import annotations

import pytest

from siaga.core.models import Membership, Organization, User
from siaga.core.permissions import system_actor
from siaga.disaster import services
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

from .conftest import cap_xml

PASSWORD = "Rahasia-Siaga-2026"
# Generous so a loaded machine cannot make it flaky; without the live stream it would never pass at any timeout.
LIVE_TIMEOUT_MS = 10000

pytestmark = pytest.mark.browser


@pytest.fixture
def watcher(transactional_db):
    org = Organization.objects.create(code="pmi-banten", name="PMI Banten", kind="pmi_province", region_code="36")
    user = User.objects.create_user("relawan.banten", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role="volunteer", scope_code="36")
    return user


def test_a_new_warning_appears_on_the_open_list(asgi_server, watcher, browser):  # noqa: F811
    session = in_thread(lambda: client_for(watcher).cookies["sessionid"].value)
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="id-ID")
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # The stream is left alone (fetching it whole to add a header would never finish); pages get the CSP.
    page.route(lambda u: u.startswith(asgi_server.url) and "/api/stream" not in u, with_strict_csp)
    page.goto(f"{asgi_server.url}/bencana/")
    page.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("[data-warning-list-empty]").count() == 1
    page.evaluate("window.__notReloaded = true")

    w = in_thread(lambda: services.ingest_cap(system_actor(), cap_xml(headline="Hujan lebat di Serang"),
                                              source_name="bmkg").warning)
    page.wait_for_selector(f"[data-warning='{w.pk}']", timeout=LIVE_TIMEOUT_MS)
    assert "Hujan lebat di Serang" in page.inner_text("[data-warning-list]")
    assert page.evaluate("window.__notReloaded === true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == [], problems
    page.unroute_all(behavior="ignoreErrors")
    context.close()
