"""The public stock board in a real browser under the strict CSP: no login, and a cell changes live when stock does."""

import pytest
from django.core.cache import cache
from django.db import transaction

from siaga.blood import services
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.servers import asgi_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.timeout(120)
expect = pytest.importorskip("playwright.sync_api").expect


def test_the_public_board_redraws_a_group_when_a_unit_leaves(asgi_server, blood, make_units, browser, settings):
    settings.SIAGA_SSE_HEARTBEAT = 1
    in_thread(cache.clear)
    units = in_thread(lambda: make_units(code="PRC", abo="B", rhd="pos", n=3))
    page = browser.new_context(locale="id-ID").new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # Everything but the live stream goes through the CSP check (a stream would never finish buffering).
    page.route(lambda url: url.startswith(asgi_server.url) and "/stok/live" not in url, with_strict_csp)
    page.goto(f"{asgi_server.url}/darah/stok/")
    cell = page.locator(f'[data-site="{blood.udd.pk}"][data-group="B+"] [data-units]')
    assert cell.inner_text() == "3"
    expect(page.locator("[data-live-status]")).to_have_attribute("data-state", "live", timeout=20000)

    def discard():
        with transaction.atomic():
            services.discard_component(blood.officer, units[0].pk, reason="broken_bag")

    in_thread(discard)
    expect(cell).to_have_text("2", timeout=20000)
    assert page.locator('[data-total="B+"]').inner_text() == "2"
    assert not problems, problems
