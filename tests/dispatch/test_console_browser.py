"""The console in a real browser under the strict CSP: coverage now on the map, and a unit requested from another
organisation, accepted with one click by its owner, followed by both consoles as its crew acknowledges."""

from __future__ import annotations

import pytest

from siaga.core.permissions import actor_for
from siaga.dispatch import services
from siaga.dispatch.models import Dispatch, UnitRequest
from siaga.geo.models import Region
from tests.browser_support import browser, in_thread  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

from .test_e2e_browser import LIVE_MS, _open

pytestmark = pytest.mark.browser

# Kecamatan centres of Kota Mojokerto.
CENTRES = {"35.76.01": (-7.4716, 112.4240), "35.76.02": (-7.4790, 112.4480), "35.76.03": (-7.4640, 112.4400)}

# (south, west, north, east)
BOXES = {"35.76.01": (-7.50, 112.40, -7.44, 112.432), "35.76.02": (-7.50, 112.432, -7.468, 112.47),
         "35.76.03": (-7.468, 112.432, -7.44, 112.47), "35.16.01": (-7.62, 112.38, -7.50, 112.48)}


@pytest.fixture
def cookies(fleet, asgi_server):  # noqa: F811
    for code, (lat, lng) in CENTRES.items():
        Region.objects.filter(code=code).update(lat=lat, lng=lng)
    # Boxes tiling both areas stand in for the kecamatan boundaries (everything placed lies on land).
    for code, (s, w, n, e) in BOXES.items():
        ring = [[w, s], [e, s], [e, n], [w, n], [w, s]]
        Region.objects.filter(code=code).update(boundary={"type": "Polygon", "coordinates": [ring]})
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    out = {}
    for who in ("dispatcher", "other_dispatcher"):
        session = client_for(fleet.users[who]).cookies["sessionid"].value
        out[who] = [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]
    return out


def _console(browser, base, cookies, problems):  # noqa: F811
    context, page = _open(browser, base, cookies, problems)
    page.goto(f"{base}/dispatch/")
    page.wait_for_selector("[data-console][data-live='true']", timeout=LIVE_MS)
    return context, page


def test_coverage_now_and_a_request_across_organisations(fleet, asgi_server, cookies, browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    k1 = fleet.amb_k1.pk
    inc = in_thread(lambda: fleet.incident())
    ours_ctx, ours = _console(browser, base, cookies["dispatcher"], problems)

    ours.click(f"[data-testid='recommend-{inc.pk}']")
    ours.wait_for_selector(f"[data-testid='assign-{fleet.amb1.pk}']", timeout=LIVE_MS)
    # AMB-01 is the only crewed unit PSC may send: every kecamatan would lose its cover, shown in amber...
    assert ":" in ours.inner_text(f"[data-rec-unit='{fleet.amb1.pk}'] [data-eta]")  # mm:ss, on land
    warning = ours.locator(f"[data-leaves-uncovered='{fleet.amb1.pk}']")
    assert "Kranggan" in warning.inner_text() and "Magersari" in warning.inner_text()
    # ...and, on selecting it, as red kecamatan on the map.
    ours.click(f"[data-rec-unit='{fleet.amb1.pk}'] [data-action='coverage']")
    ours.wait_for_selector("[data-coverage-summary][data-lost='3']", timeout=LIVE_MS)
    assert ours.locator("path.dc-kec--lost").count() == 3
    ours.wait_for_selector("path.dc-kec-area--lost", timeout=LIVE_MS)
    assert ours.locator("path.dc-kec-area--lost").count() == 3
    ours.screenshot(path="/tmp/siaga-dispatch-console-coverage.png", full_page=True)

    # The neighbour's mutual-aid ambulance is requested, not sent.
    ask = ours.locator(f"[data-testid='assign-{k1}']")
    assert ask.get_attribute("data-direct") == "0"
    ask.click()
    ours.wait_for_selector("[data-requests-made] [data-request-id][data-status='requested']", timeout=LIVE_MS)
    req = in_thread(lambda: UnitRequest.objects.get(unit_id=k1))
    assert in_thread(lambda: Dispatch.objects.filter(unit_id=k1).count()) == 0

    # The owner accepts with one click.
    theirs_ctx, theirs = _console(browser, base, cookies["other_dispatcher"], problems)
    assert theirs.locator(f"[data-testid='incident-{inc.pk}']").count() == 0
    theirs.click(f"[data-requests-received] [data-request-id='{req.pk}'] [data-action='accept-request']")
    theirs.wait_for_selector(f"[data-testid='unit-status-{k1}'][data-status='alerted']", timeout=LIVE_MS)
    ours.wait_for_selector(f"[data-requests-made] [data-request-id='{req.pk}'][data-status='accepted']",
                           timeout=LIVE_MS)
    ours.wait_for_selector(f"[data-testid='unit-status-{k1}'][data-status='alerted']", timeout=LIVE_MS)

    # Its crew acknowledges: both organisations see the progress.
    def acknowledge():
        d = Dispatch.objects.get(unit_id=k1)
        services.set_dispatch_status(actor_for(fleet.users["other_crew"]), d.pk, "acknowledged")

    in_thread(acknowledge)
    ours.wait_for_selector(f"[data-testid='unit-status-{k1}'][data-status='acknowledged']", timeout=LIVE_MS)
    ours.wait_for_selector(f"[data-testid='incident-{inc.pk}'] [data-dispatch-id][data-status='acknowledged']",
                           timeout=LIVE_MS)
    theirs.wait_for_selector(f"[data-testid='unit-status-{k1}'][data-status='acknowledged']", timeout=LIVE_MS)
    # The owner follows its unit on the other organisation's incident, without seeing that organisation's list.
    theirs.wait_for_selector(f"[data-testid='incident-{inc.pk}'] [data-dispatch-id]", timeout=LIVE_MS)
    assert problems == [], problems
    ours_ctx.close()
    theirs_ctx.close()


def test_positions_move_markers_and_reassign_and_divert_take_reasons(fleet, asgi_server, cookies,
                                                                      browser):  # noqa: F811
    from siaga.dispatch.positions import record_positions
    from django.utils import timezone

    from .conftest import put_on_shift

    base = asgi_server.url
    problems: list[str] = []
    amb1, amb2 = fleet.amb1.pk, fleet.amb2.pk

    def setup():
        # AMB-02 gets a crew, so there is another unit to reassign to.
        put_on_shift(fleet.amb2, (fleet.driver, "driver"), (fleet.nurse, "nurse"))
        first = fleet.incident()
        second = fleet.incident(description="Orang pingsan di Alun-alun", lat=-7.4630, lng=112.4340)
        d = services.dispatch_unit(fleet.actor(), incident_id=first.pk, unit_id=amb1)
        return first, second, d

    first, second, d = in_thread(setup)
    ctx, page = _console(browser, base, cookies["dispatcher"], problems)
    page.wait_for_selector(f"[data-unit-marker='{amb1}']", timeout=LIVE_MS)

    # A position from the crew's phone moves AMB-01's marker without a reload.
    in_thread(lambda: record_positions(actor_for(fleet.users["crew"]), amb1, [
        {"lat": -7.4690, "lng": 112.4365, "measured_at": timezone.now().isoformat()}]))
    page.wait_for_selector(f"[data-unit-marker='{amb1}'][data-lat='-7.469'][data-lng='112.4365']", timeout=LIVE_MS)

    # Reassign: the dialog offers the ranked units and insists on a reason.
    page.click(f"[data-testid='incident-{first.pk}'] li[data-dispatch-id='{d.pk}'] [data-action='reassign']")
    page.wait_for_selector(f"[data-action-dialog] select option[value='{amb2}']", state="attached", timeout=LIVE_MS)
    page.select_option("[data-action-dialog] select", str(amb2))
    page.click("[data-dialog-ok]")
    assert page.locator("[data-dialog-error]").is_visible()
    page.fill("[data-action-dialog] textarea", "AMB-01 mogok")
    page.click("[data-dialog-ok]")
    page.wait_for_selector(f"[data-testid='unit-status-{amb2}'][data-status='alerted']", timeout=LIVE_MS)
    page.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='available']", timeout=LIVE_MS)
    old = in_thread(lambda: Dispatch.objects.get(pk=d.pk))
    assert (old.status, old.cancel_reason) == ("reassigned", "AMB-01 mogok")

    # Divert AMB-02 (once the list shows its new dispatch) to the second incident.
    new_row = f"[data-testid='incident-{first.pk}'] li[data-dispatch-id][data-status='alerted']:has-text('AMB-02')"
    page.wait_for_selector(new_row, timeout=LIVE_MS)
    page.click(f"{new_row} [data-action='divert']")
    page.select_option("[data-action-dialog] select", str(second.pk))
    page.fill("[data-action-dialog] textarea", "Korban lebih parah")
    page.click("[data-dialog-ok]")
    page.wait_for_selector(f"[data-testid='incident-{second.pk}'] [data-dispatch-id][data-status='alerted']",
                           timeout=LIVE_MS)
    assert page.locator(f"[data-testid='incident-{first.pk}'] [data-dispatch-id]").count() == 0
    live = in_thread(lambda: list(Dispatch.objects.filter(status="alerted").values_list("unit_id", "incident_id")))
    assert live == [(amb2, second.pk)]
    assert problems == [], problems
    ctx.close()
