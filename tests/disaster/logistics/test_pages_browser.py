"""In a real browser on a 360-px phone under the strict CSP: the stock list follows a receipt live, and a shipment
is received with a discrepancy through its form."""

from __future__ import annotations

import pytest

from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Shipment
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
LIVE_TIMEOUT_MS = 8000


@pytest.fixture
def setup(provinces, asgi_server):  # noqa: F811
    dki = provinces["dki"]
    post = services.create_warehouse(dki.actor, code="pos", name="Pos Gambir", region_code="31.71.01")
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=50, lot_number="LOT-A")
    sh = services.send_shipment(dki.actor, dki.warehouse.pk, to_warehouse_id=post.pk,
                                lines=[{"item_code": "SIAGA-RICE", "quantity": 20}])
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    session = client_for(dki.user).cookies["sessionid"].value
    return {"dki": dki, "shipment": sh, "post": post,
            "cookies": [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]}


def _phone(browser, base, cookies, problems):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context, page


def test_stock_follows_a_receipt_live_and_a_shipment_is_received_on_a_phone(setup, asgi_server, browser):  # noqa: F811
    base, dki = asgi_server.url, setup["dki"]
    problems: list[str] = []
    context, page = _phone(browser, base, setup["cookies"], problems)
    page.goto(f"{base}/bencana/logistik/")
    page.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    assert page.locator("[data-stock-table] tbody tr").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    in_thread(lambda: services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-WATER-DRINK", quantity=600,
                                             lot_number="AIR-9"))
    page.wait_for_selector("[data-stock-table] >> text=AIR-9", timeout=LIVE_TIMEOUT_MS)

    sh = setup["shipment"]
    line_id = in_thread(lambda: sh.lines.get().pk)
    page.goto(f"{base}/bencana/logistik/pengiriman/{sh.pk}/")
    page.fill(f"#rcv-{line_id}", "18")
    page.fill(f"#note-{line_id}", "2 kg tumpah di jalan")
    with page.expect_navigation():
        page.locator("button[type=submit]").last.tap()
    page.wait_for_selector("[data-status]")
    assert in_thread(lambda: Shipment.objects.get(pk=sh.pk).status) == "received"
    assert "2 kg tumpah di jalan" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    context.close()
    assert not problems, problems
