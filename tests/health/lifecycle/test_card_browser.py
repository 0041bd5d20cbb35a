"""In a real browser on a 360-px phone under the strict CSP: a kader goes from the due list to a child's card and records doses."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from siaga.health.models import ImmunisationDose
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))

pytestmark = pytest.mark.browser


@pytest.fixture
def setup(lx, asgi_server):  # noqa: F811
    """Data and login made before the browser starts (its event loop forbids the ORM in this thread)."""
    child = lx.child(name="Bayu Imunisasi", sex="M", birth_date=dt.date(2025, 8, 1))
    return child, client_for(lx.user("kader")).cookies["sessionid"].value


def test_a_kader_records_a_due_dose_from_the_due_list(setup, lx, asgi_server, browser):  # noqa: F811
    child, cookie = setup
    base = asgi_server.url
    host = base.split("//", 1)[1].split(":")[0]
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)

    page.goto(f"{base}/posyandu/layanan/posyandu/{lx.posyandu.pk}/?on=2025-10-14")
    chip = page.locator(f"a[href$='/warga/{child.pk}/imunisasi/?dose=bcg:1']")
    chip.wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "siaga-due-list.png"), full_page=True)
    chip.click()
    page.wait_for_selector("#lc-dosesel")
    assert page.eval_on_selector("#lc-dosesel", "s => s.value") == "bcg:1"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#lc-given", "2025-09-02")
    page.fill("#lc-batch", "BCG-0925")
    page.click("form.lc-form button[type=submit]")
    page.wait_for_selector(".msg--success")
    assert in_thread(lambda: list(ImmunisationDose.objects.values_list("vaccine", "batch"))) == [("bcg", "BCG-0925")]

    # A dose before its minimum age: the page asks to confirm before anything is kept.
    page.select_option("#lc-dosesel", "dpt_hb_hib:1")
    page.fill("#lc-given", "2025-08-20")
    page.click("form.lc-form button[type=submit]")
    page.wait_for_selector("input[name=confirm]")
    assert in_thread(lambda: ImmunisationDose.objects.count()) == 1
    page.check("input[name=confirm]")
    page.click("form.lc-form button[type=submit]")
    page.wait_for_selector(".msg--success")
    assert in_thread(lambda: ImmunisationDose.objects.get(vaccine="dpt_hb_hib").early)
    page.screenshot(path=str(SHOTS / "siaga-immunisation-card.png"), full_page=True)
    context.close()
    assert problems == []
