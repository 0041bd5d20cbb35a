"""In a real browser on a 360-px phone under the strict CSP: a kader records a posyandu day and sees each result at once."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from siaga.health.models import Measurement
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))

pytestmark = pytest.mark.browser


@pytest.fixture
def day(hx, asgi_server):  # noqa: F811
    from siaga.health import services

    today = services.today_local()
    normal = hx.child(name="Aisyah Normal", sex="F", birth_date=today - dt.timedelta(days=400))
    short = hx.child(name="Bima Pendek", sex="M", birth_date=today - dt.timedelta(days=760))
    other = hx.child(name="Citra Lain", sex="F", birth_date=today - dt.timedelta(days=200))
    session = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=today)
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    cookie = client_for(hx.user("kader")).cookies["sessionid"].value
    return {"session": session, "normal": normal, "short": short, "other": other, "hx": hx,
            "cookies": [{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}]}


def _phone(browser, base, cookies, problems):  # noqa: F811
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # The live stream is left alone: fetching it whole to add a header would never finish.
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context, page


def _measure(page, child, weight, length):
    page.click(f"[data-child='{child.pk}']")
    page.fill("#py-weight", weight)
    page.fill("#py-length", length)
    page.click("[data-save]")


def test_a_kader_records_a_posyandu_day_on_a_phone(day, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    context, page = _phone(browser, base, day["cookies"], problems)
    page.goto(f"{base}/posyandu/hari/{day['session'].pk}/")
    page.wait_for_selector(f"[data-child='{day['normal'].pk}']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # A child of normal size: the result card says so at once.
    _measure(page, day["normal"], "9,6", "76,5")
    page.wait_for_selector(f"[data-result-for='{day['normal'].pk}']")
    assert page.get_attribute("[data-result] [data-indicator='lhfa']", "data-category") == "normal"

    # A 2-year-old of 76 cm: severely stunted, shown on the card and in the roster.
    _measure(page, day["short"], "9,8", "76")
    page.wait_for_selector(f"[data-result-for='{day['short'].pk}']")
    assert page.get_attribute("[data-result] [data-indicator='lhfa']", "data-category") == "severely_stunted"
    page.screenshot(path=str(SHOTS / "siaga-posyandu-session.png"), full_page=True)

    # Another kader records a child on their own phone: this list follows without a reload.
    from siaga.health import services

    in_thread(lambda: services.record_measurement(day["hx"].actor("puskesmas_kader"), person_id=day["other"].pk,
                                                  session_id=day["session"].pk, measured_on=day["session"].date,
                                                  weight_g=7000))
    page.wait_for_selector(f"[data-child='{day['other'].pk}'].py-child--done", timeout=8000)

    # An implausible weight must be confirmed before it is kept.
    page.evaluate("window.scrollTo(0, 0)")
    rows = in_thread(lambda: Measurement.objects.count())
    assert rows == 3
    in_thread(lambda: Measurement.objects.filter(person=day["normal"]).delete())
    page.reload()
    page.wait_for_selector(f"[data-child='{day['normal'].pk}']")
    _measure(page, day["normal"], "19", "76,5")
    page.wait_for_selector("[data-confirm]:not([hidden])")
    assert in_thread(lambda: Measurement.objects.filter(person=day["normal"]).count()) == 0
    page.click("[data-confirm]")
    page.wait_for_selector(f"[data-result-for='{day['normal'].pk}']")
    kept = in_thread(lambda: Measurement.objects.get(person=day["normal"]))
    assert kept.implausible and kept.weight_g == 19_000

    # The child's growth chart draws under the strict CSP.
    page.goto(f"{base}/posyandu/anak/{day['short'].pk}/")
    page.wait_for_selector("[data-growth-page][data-drawn='wfa']")
    page.click("[data-indicator='lhfa']")
    page.wait_for_selector("[data-growth-page][data-drawn='lhfa']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "siaga-posyandu-growth-chart.png"), full_page=True)
    context.close()
    # The 422 of the confirmation step is the designed answer; the browser logs every 4xx fetch as an error.
    assert [p for p in problems if "status of 422" not in p] == []
