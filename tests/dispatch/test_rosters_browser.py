"""The roster week on a 360-px phone under the strict CSP: the grid scrolls inside itself, uncovered slots are red,
the new-shift form offers only qualified people, and a shift added there appears in the grid."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from siaga.dispatch.models import CrewMember, Shift
from tests.browser_support import browser, with_strict_csp  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

PASSWORD = "Rahasia-Siaga-2026"


@pytest.fixture
def roster_city(transactional_db, fleet):
    """Everything in the database before Playwright starts (its event loop makes Django refuse ORM calls)."""
    user = fleet.users["pmi_dispatcher"]
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    now = timezone.now()
    gap = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="nurse", starts_at=now,
                               ends_at=now + dt.timedelta(hours=2), region_code="35.76.03")
    # someone free all week (the fixture's driver is on AMB-01 around now)
    slamet = CrewMember.objects.create(organization=fleet.pmi, name="Slamet", qualifications=["driver"])
    return {"fleet": fleet, "gap": gap, "slamet": slamet}


def test_roster_week_on_a_phone(live_server, roster_city, browser):
    fleet = roster_city["fleet"]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="id-ID")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(f"{live_server.url}/**", with_strict_csp)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "dispatcher-pmi")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/dispatch/armada/jadwal/")
    gap = page.locator(f"[data-shift='{roster_city['gap'].pk}']").first
    assert gap.get_attribute("data-covered") == "no"
    assert gap.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(253, 236, 236)"
    # the week is wider than the phone: the grid scrolls, the page does not
    assert page.evaluate("document.querySelector('[data-roster-scroll]').scrollWidth") > 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if timezone.now().astimezone(ZoneInfo("Asia/Jakarta")).weekday() > 1:
        assert page.evaluate("document.querySelector('[data-roster-scroll]').scrollLeft") > 0  # today in view
    # the week picker's button is for browsers without JS only
    assert not page.locator("[data-autosubmit-button]").is_visible()

    form = page.locator("[data-new-shift]")
    form.locator("select[name=place]").select_option(f"u{fleet.amb2.pk}")
    form.locator("select[name=role]").select_option("driver")
    assert form.locator(f"option[value='{fleet.nurse.pk}']").evaluate("o => o.disabled") is True
    assert form.locator(f"option[value='{fleet.driver.pk}']").evaluate("o => o.disabled") is False
    form.locator("select[name=role]").select_option("nurse")
    assert form.locator(f"option[value='{fleet.nurse.pk}']").evaluate("o => o.disabled") is False
    form.locator("select[name=role]").select_option("driver")
    form.locator("select[name=member]").select_option(str(roster_city["slamet"].pk))
    day = page.locator("td[data-today]").first.get_attribute("data-day")
    form.locator("input[name=day]").fill(day)
    form.locator("input[name=start]").fill("23:00")
    form.locator("input[name=end]").fill("23:30")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".msg--success")
    block = page.locator(f"tr[data-row='u{fleet.amb2.pk}'] td[data-day='{day}'] [data-covered='yes']")
    assert "23:00–23:30" in block.inner_text() and "Slamet" in block.inner_text()
    assert problems == []
    context.close()
