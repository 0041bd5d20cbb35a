"""In real browsers under the strict CSP: the dispatcher sends the recommended unit from the console, the crew's
phone rings and acknowledges, and the console follows live; an unacknowledged dispatch raises the alarm banner."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from siaga.dispatch import services
from siaga.dispatch.models import Dispatch
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))
# Generous so a loaded machine cannot make it flaky; a page that needs a reload never satisfies it.
LIVE_MS = 10000

pytestmark = pytest.mark.browser


@pytest.fixture
def cookies(fleet, asgi_server):  # noqa: F811
    """Session cookies made before Playwright starts (its event loop makes Django refuse ORM calls)."""
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    out = {}
    for who in ("dispatcher", "crew"):
        session = client_for(fleet.users[who]).cookies["sessionid"].value
        out[who] = [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]
    return out


def _open(browser, base, cookies, problems, *, phone=False):  # noqa: F811
    if phone:
        context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="id-ID")
    else:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # The live stream is left alone: fetching it whole to add a header would never finish.
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context, page


def _console(browser, base, cookies, problems):  # noqa: F811
    context, page = _open(browser, base, cookies, problems)
    page.goto(f"{base}/dispatch/")
    page.wait_for_selector("[data-console][data-live='true']", timeout=LIVE_MS)
    return context, page


def test_dispatcher_assigns_the_recommended_unit_and_sees_the_crew_acknowledge(fleet, asgi_server, cookies,
                                                                                browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    amb1 = fleet.amb1.pk
    inc = in_thread(lambda: fleet.incident())
    console_ctx, console = _console(browser, base, cookies["dispatcher"], problems)
    crew_ctx, crew = _open(browser, base, cookies["crew"], problems, phone=True)
    crew.goto(f"{base}/dispatch/kru/")
    crew.wait_for_selector("[data-testid='crew-status']:not([data-status=''])", timeout=LIVE_MS)
    crew.wait_for_selector("[data-crew-live]:not(:empty)", timeout=LIVE_MS)
    assert crew.locator("[data-testid='crew-alert']").is_hidden()

    # The incident is listed; the recommendation puts the crewed AMB-01 first and leaves the uncrewed AMB-02 out.
    row = console.locator(f"[data-testid='incident-{inc.pk}']")
    assert inc.number in row.inner_text()
    console.click(f"[data-testid='recommend-{inc.pk}']")
    console.wait_for_selector(f"[data-testid='assign-{amb1}']", timeout=LIVE_MS)
    first = console.locator("[data-rec-body] tr").first
    assert first.get_attribute("data-rec-unit") == str(amb1)
    assert console.locator(f"[data-testid='assign-{fleet.amb2.pk}']").count() == 0
    # The neighbour's mutual-aid unit is offered only as a request.
    k1 = console.locator(f"[data-testid='assign-{fleet.amb_k1.pk}']")
    if k1.count():
        assert k1.get_attribute("data-direct") == "0"
    assert ":" in first.locator("[data-eta]").inner_text()  # mm:ss
    console.screenshot(path=str(SHOTS / "siaga-dispatch-console-recommendation.png"), full_page=True)

    posted = []
    console.on("request", lambda r: posted.append(r.headers) if r.method == "POST"
               and r.url.endswith("/api/dispatch/dispatches") else None)
    console.click(f"[data-testid='assign-{amb1}']")
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='alerted']", timeout=LIVE_MS)
    console.wait_for_selector(f"[data-testid='incident-{inc.pk}'] [data-dispatch-id][data-status='alerted']")

    # The crew's phone rings without a reload and the crew acknowledges with one tap.
    crew.wait_for_selector("[data-testid='crew-alert']", state="visible", timeout=LIVE_MS)
    crew.locator("[data-testid='crew-ack']").tap()
    crew.wait_for_selector("[data-testid='crew-status'][data-status='acknowledged']", timeout=LIVE_MS)

    # The console's list and map follow, live.
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='acknowledged']", timeout=LIVE_MS)
    console.wait_for_selector(f"[data-unit-marker='{amb1}'][data-status='acknowledged']", timeout=LIVE_MS)
    console.wait_for_selector(f"[data-testid='incident-{inc.pk}'] [data-dispatch-id][data-status='acknowledged']",
                              timeout=LIVE_MS)
    assert console.locator("[data-testid='ack-alarm']").is_hidden()
    console.screenshot(path=str(SHOTS / "siaga-dispatch-console-acknowledged.png"), full_page=True)

    # One click, one request, safe to retry: it carries an Idempotency-Key.
    assert len(posted) == 1 and posted[0].get("idempotency-key")
    d = in_thread(lambda: Dispatch.objects.get(incident_id=inc.pk))
    assert (d.unit_id, d.status, d.acknowledged_by_id) == (amb1, "acknowledged", fleet.users["crew"].pk)
    assert problems == [], problems
    console_ctx.close()
    crew_ctx.close()


def test_an_unacknowledged_dispatch_raises_the_alarm_until_the_dispatcher_acts(fleet, asgi_server, cookies,
                                                                                browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    amb1 = fleet.amb1.pk

    def send():
        inc = fleet.incident()
        return services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=amb1)

    d = in_thread(send)
    ctx, console = _console(browser, base, cookies["dispatcher"], problems)
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='alerted']")
    assert console.locator("[data-testid='ack-alarm']").is_hidden()

    in_thread(lambda: services.raise_ack_alarms(timezone.now() + dt.timedelta(minutes=5)))
    alarm = console.locator("[data-testid='ack-alarm']")
    alarm.wait_for(state="visible", timeout=LIVE_MS)
    assert "AMB-01" in alarm.inner_text()
    assert console.get_attribute("[data-console]", "data-alarm-sound") == "on"
    console.screenshot(path=str(SHOTS / "siaga-dispatch-console-alarm.png"))

    # Calling the crew silences the sound and shows who is aboard; the banner stays until closed or resolved.
    console.click("[data-action='alarm-call']")
    assert "Siti Aminah" in console.inner_text("[data-ack-alarm-crew]")
    assert console.get_attribute("[data-console]", "data-alarm-sound") == "off"
    assert alarm.is_visible()

    # Cancelling, with a reason, resolves it: the unit is free again.
    console.click("[data-action='alarm-cancel']")
    console.fill("[data-action-dialog] textarea", "Kru tidak dapat dihubungi")
    console.click("[data-dialog-ok]")
    alarm.wait_for(state="hidden", timeout=LIVE_MS)
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='available']", timeout=LIVE_MS)
    got = in_thread(lambda: Dispatch.objects.get(pk=d.pk))
    assert (got.status, got.cancel_reason) == ("cancelled", "Kru tidak dapat dihubungi")
    assert problems == [], problems
    ctx.close()
