"""In a real browser on 360-px phones under the strict CSP: a kader records a posyandu day and the kelurahan
dashboard the puskesmas has open changes at once, over the live stream, without a reload."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from siaga.geo.models import Region
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))
MELATI = "35.76.01.1006"
SQUARE = {"type": "Polygon", "coordinates": [[[112.42, -7.47], [112.43, -7.47], [112.43, -7.46], [112.42, -7.46],
                                              [112.42, -7.47]]]}

pytestmark = pytest.mark.browser


@pytest.fixture
def day(hx, asgi_server):  # noqa: F811
    from siaga.health import services

    today = services.today_local()
    child = hx.child(name="Aisyah Timbang", sex="F", birth_date=today - dt.timedelta(days=400))
    session = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=today)
    Region.objects.filter(code=MELATI).update(boundary=SQUARE)
    worker = hx.make_user("health_worker", hx.puskesmas, scope_code="35.76")
    host = asgi_server.url.split("//", 1)[1].split(":")[0]

    def cookies(user):
        return [{"name": "sessionid", "value": client_for(user).cookies["sessionid"].value, "domain": host,
                 "path": "/"}]

    return {"session": session, "child": child, "kader": cookies(hx.user("kader")), "worker": cookies(worker)}


def _phone(browser, base, cookies, problems):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context, page


def test_a_posyandu_day_moves_the_kelurahan_dashboard(day, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []

    # The puskesmas midwife has the kecamatan dashboard open: the map and the trend draw, nobody weighed yet.
    board_ctx, board = _phone(browser, base, day["worker"], problems)
    board.goto(f"{base}/posyandu/pws/wilayah/35.76.01/")
    board.wait_for_selector("[data-pws-trend][data-drawn='12']")
    board.wait_for_selector("[data-pws-map][data-lit='1']")
    board.wait_for_selector("[data-pws-live-status][data-state='live']")
    assert board.text_content(f"[data-child-area='{MELATI}'] [data-cell='d']").strip() == "0"
    assert board.text_content("[data-tile='d_s'] [data-num]").strip() == "0"
    assert board.evaluate("document.documentElement.scrollWidth") <= 360

    # The kader weighs the child on their own phone, on the posyandu-day page.
    kader_ctx, kader = _phone(browser, base, day["kader"], problems)
    kader.goto(f"{base}/posyandu/hari/{day['session'].pk}/")
    kader.click(f"[data-child='{day['child'].pk}']")
    kader.fill("#py-weight", "9,6")
    kader.fill("#py-length", "76,5")
    kader.click("[data-save]")
    kader.wait_for_selector(f"[data-result-for='{day['child'].pk}']")

    # The dashboard follows without a reload: D = 1 of S = 1, in the tile, the drill-down row and the trend.
    board.wait_for_selector("[data-tile='d_s'] [data-num='1']", timeout=8000)
    assert board.text_content(f"[data-child-area='{MELATI}'] [data-cell='d']").strip() == "1"
    assert board.get_attribute("[data-tile='d_s'] [data-value]", "data-value") == "100.0"
    board.wait_for_selector("[data-pws-trend][data-last-d='1']")
    board.screenshot(path=str(SHOTS / "siaga-pws-dashboard.png"), full_page=True)

    # Down to the posyandu and its follow-up list, still on the phone.
    board.click(f"[data-child-area='{MELATI}'] a")
    board.wait_for_selector("[data-child-area^='35.76.01.1006-'] a")
    board.click("[data-child-area^='35.76.01.1006-'] a")
    board.wait_for_selector("[data-pws-trend][data-drawn='12']")
    assert board.evaluate("document.documentElement.scrollWidth") <= 360
    kader_ctx.close()
    board_ctx.close()
    assert problems == []
    assert in_thread(lambda: day["child"].measurements.count()) == 1
