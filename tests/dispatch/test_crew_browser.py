"""In a real browser on a 360-px phone: the crew's page rings live on a dispatch and takes the acknowledgement,
queues status steps while offline and sends them in order when the signal returns, and opens with no server at all
from what its service worker and its own storage kept.

The app runs under the ASGI server (the live stream needs it). Database work runs off the Playwright thread.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from django.utils.dateparse import parse_datetime

from siaga.dispatch import services
from siaga.dispatch.models import Dispatch, StatusChange
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))
# Generous so a loaded machine cannot make it flaky; without the live stream it would take a 15-s poll.
LIVE_TIMEOUT_MS = 8000
ADDRESS = "Jl. Mojopahit No. 10, Kranggan"

pytestmark = pytest.mark.browser


@pytest.fixture
def crew_cookies(fleet, asgi_server):  # noqa: F811
    """The crew's session cookie, made before Playwright starts (its event loop makes Django refuse ORM calls)."""
    host = asgi_server.url.split("//", 1)[1].split(":")[0]
    session = client_for(fleet.users["crew"]).cookies["sessionid"].value
    return [{"name": "sessionid", "value": session, "domain": host, "path": "/"}]


class Phone:
    """A phone's browser context whose signal can be cut: set_offline also fails requests Playwright routes
    (a routed request is fetched by Playwright itself, which the browser's offline mode does not reach)."""

    def __init__(self, context):
        self.context = context
        self.offline = False

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self.context.set_offline(offline)

    def route(self, route):
        if self.offline:
            route.abort("internetdisconnected")
        else:
            with_strict_csp(route)

    def close(self):
        self.context.close()


def _phone(browser, base, cookies, problems, *, strict_csp=True, service_workers="block"):  # noqa: F811
    # Service workers are blocked where the CSP is checked: requests a worker answers bypass Playwright's routing.
    context = Phone(browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                        is_mobile=True, has_touch=True, locale="id-ID", timezone_id="Asia/Jakarta",
                                        service_workers=service_workers,
                                        # The server sends the strict CSP itself; where this test does not check
                                        # it, Playwright's own predicates (evaluated strings) must still run.
                                        bypass_csp=not strict_csp))
    context.context.add_cookies(cookies)
    page = context.context.new_page()
    # Script errors and CSP refusals are bugs; failed requests while offline are the point of these tests.
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text else None)
    if strict_csp:
        page.route(lambda u: u.startswith(base) and "/api/stream" not in u, context.route)
    return context, page


def _dispatch(fleet, *, acknowledge=False):
    def make():
        inc = fleet.incident(address=ADDRESS, priority=1, priority_reason="korban tidak sadar")
        d = services.dispatch_unit(fleet.actor("dispatcher"), incident_id=inc.pk, unit_id=fleet.amb1.pk)
        if acknowledge:
            services.set_dispatch_status(fleet.actor("crew"), d.pk, "acknowledged")
        return d.pk

    return in_thread(make)


def _wait_sent(page, timeout_ms=30000):
    """Until the phone's queue is empty and the banner gone."""
    page.wait_for_function("""() => {
        const b = document.querySelector('[data-testid=crew-offline]');
        return b.dataset.waiting === '0' && b.hidden;
    }""", timeout=timeout_ms)


def _page_state(page) -> dict:
    """What the phone holds, for a failure message."""
    return page.evaluate("""() => ({
        queue: localStorage.getItem('siaga-kru:queue:kru-amb01'),
        banner: document.querySelector('[data-testid=crew-offline]').textContent,
        message: document.querySelector('[data-crew-message-text]').textContent,
        status: document.querySelector('[data-testid=crew-status]').dataset.status})""")


def _wait_db(fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = in_thread(fn)
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_the_alert_rings_live_and_one_tap_acknowledges(fleet, asgi_server, crew_cookies, browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    context, page = _phone(browser, base, crew_cookies, problems)
    page.goto(f"{base}/dispatch/kru/")
    page.wait_for_selector("[data-testid=crew-status][data-status=available]", timeout=5000)
    page.wait_for_selector(".crew-live.is-live", timeout=5000)  # the stream is open
    assert page.locator("[data-testid=crew-alert]").is_hidden()
    page.locator("[data-testid=crew-start]").tap()

    dispatch_id = _dispatch(fleet)
    alert = page.locator("[data-testid=crew-alert]")
    alert.wait_for(state="visible", timeout=LIVE_TIMEOUT_MS)
    text = alert.inner_text()
    assert ADDRESS in text
    assert "1" in page.locator("[data-alert-priority]").inner_text()
    assert alert.get_attribute("data-ringing") == "true"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # One big button, easy to hit with a thumb in a moving vehicle.
    box = page.locator("[data-testid=crew-ack]").bounding_box()
    assert box["width"] >= 300 and box["height"] >= 200
    page.screenshot(path=str(SHOTS / "siaga-crew-alert.png"))

    page.locator("[data-testid=crew-ack]").tap()
    alert.wait_for(state="hidden", timeout=5000)
    assert alert.get_attribute("data-ringing") == "false"
    assert _wait_db(lambda: Dispatch.objects.get(pk=dispatch_id).status == "acknowledged"), _page_state(page)
    d, change = in_thread(lambda: (Dispatch.objects.select_related("acknowledged_by").get(pk=dispatch_id),
                                   StatusChange.objects.get(dispatch_id=dispatch_id, to_status="acknowledged")))
    assert d.acknowledged_by.username == "kru-amb01"
    assert change.client_id  # the phone's own id, which makes a replay harmless
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]")
    assert page.locator("[data-testid=crew-step-en_route]").is_visible()
    assert page.locator("[data-testid=crew-step-on_scene]").is_hidden()
    page.screenshot(path=str(SHOTS / "siaga-crew-acknowledged.png"), full_page=True)
    assert problems == [], problems
    context.close()


def test_steps_tapped_offline_arrive_in_order_when_the_signal_returns(fleet, asgi_server, crew_cookies,
                                                                       browser):  # noqa: F811
    base = asgi_server.url
    dispatch_id = _dispatch(fleet, acknowledge=True)
    problems: list[str] = []
    context, page = _phone(browser, base, crew_cookies, problems)
    page.goto(f"{base}/dispatch/kru/")
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]", timeout=5000)
    banner = page.locator("[data-testid=crew-offline]")
    assert banner.is_hidden()

    context.set_offline(True)
    page.locator("[data-testid=crew-step-en_route]").tap()
    # Applied at once on the phone: the next step is there before the server has heard of the first.
    page.locator("[data-testid=crew-step-on_scene]").wait_for(state="visible", timeout=2000)
    page.locator("[data-testid=crew-step-on_scene]").tap()
    page.wait_for_selector("[data-testid=crew-status][data-status=on_scene]")
    page.wait_for_selector("[data-testid=crew-offline][data-waiting='2']", state="visible", timeout=5000)
    assert "2" in banner.inner_text()
    page.screenshot(path=str(SHOTS / "siaga-crew-offline.png"), full_page=True)
    queued = page.evaluate("JSON.parse(localStorage.getItem('siaga-kru:queue:kru-amb01'))")
    assert [q["status"] for q in queued] == ["en_route", "on_scene"]
    assert len({q["client_id"] for q in queued}) == 2
    # Nothing reached the server.
    assert in_thread(lambda: Dispatch.objects.get(pk=dispatch_id).status) == "acknowledged"
    assert not in_thread(lambda: StatusChange.objects.filter(dispatch_id=dispatch_id,
                                                             to_status__in=["en_route", "on_scene"]).exists())

    context.set_offline(False)
    _wait_sent(page)
    assert _wait_db(lambda: Dispatch.objects.get(pk=dispatch_id).status == "on_scene"), _page_state(page)

    def history():
        d = Dispatch.objects.get(pk=dispatch_id)
        rows = list(StatusChange.objects.filter(dispatch_id=dispatch_id, to_status__in=["en_route", "on_scene"])
                    .order_by("pk").values("to_status", "client_id", "at"))
        return d, rows

    d, rows = in_thread(history)
    # In the order tapped, once each, with the phone's times and ids.
    assert [(r["to_status"], r["client_id"]) for r in rows] == [(q["status"], q["client_id"]) for q in queued]
    for row, q in zip(rows, queued):
        assert row["at"] == parse_datetime(q["at"])
    assert d.en_route_at == parse_datetime(queued[0]["at"])
    assert d.on_scene_at == parse_datetime(queued[1]["at"])
    assert d.en_route_at <= d.on_scene_at

    # A replay of a change already recorded (its answer lost on the way back) changes nothing.
    replay = page.evaluate("""async ([id, item]) => {
        const token = document.cookie.match(/csrftoken=([^;]+)/);
        const res = await fetch(`/api/dispatch/dispatches/${id}/status`, {method: "POST",
            headers: {"Content-Type": "application/json",
                      "X-CSRFToken": token ? token[1] : document.querySelector("meta[name=csrf-token]").content},
            body: JSON.stringify({status: item.status, at: item.at, client_id: item.client_id})});
        return res.status;
    }""", [dispatch_id, queued[0]])
    assert replay == 200
    assert in_thread(lambda: StatusChange.objects.filter(dispatch_id=dispatch_id,
                                                         client_id__in=[q["client_id"] for q in queued]).count()) == 2
    assert page.locator("[data-testid=crew-step-transporting]").is_visible()
    assert problems == [], problems
    context.close()


def test_a_step_the_server_refuses_is_dropped_with_a_message(fleet, asgi_server, crew_cookies,
                                                             browser):  # noqa: F811
    base = asgi_server.url
    dispatch_id = _dispatch(fleet, acknowledge=True)
    problems: list[str] = []
    context, page = _phone(browser, base, crew_cookies, problems)
    page.goto(f"{base}/dispatch/kru/")
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]", timeout=5000)
    context.set_offline(True)
    page.locator("[data-testid=crew-step-en_route]").tap()
    page.wait_for_selector("[data-testid=crew-offline][data-waiting='1']", state="visible")
    # Meanwhile the dispatcher calls the unit off by radio.
    in_thread(lambda: services.cancel_dispatch(fleet.actor("dispatcher"), dispatch_id,
                                               reason="Pasien dijemput keluarga"))

    context.set_offline(False)
    _wait_sent(page)
    page.wait_for_selector("[data-crew-message]", state="visible", timeout=5000)
    assert page.locator("[data-crew-message-text]").inner_text().strip()
    page.wait_for_selector("[data-testid=crew-step-en_route]", state="hidden", timeout=5000)
    assert in_thread(lambda: Dispatch.objects.get(pk=dispatch_id).status) == "cancelled"
    assert not in_thread(lambda: StatusChange.objects.filter(dispatch_id=dispatch_id, to_status="en_route").exists())
    assert problems == [], problems
    context.close()


def test_the_page_opens_without_a_server_from_what_it_kept(fleet, asgi_server, crew_cookies,
                                                           browser):  # noqa: F811
    base = asgi_server.url
    _dispatch(fleet, acknowledge=True)
    problems: list[str] = []
    # The service worker must run here, so no request routing (it would bypass the worker).
    context, page = _phone(browser, base, crew_cookies, problems, strict_csp=False, service_workers="allow")
    page.goto(f"{base}/dispatch/kru/")
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]", timeout=5000)
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=10000)
    page.wait_for_selector(".crew-map .leaflet-overlay-pane path", timeout=10000)  # the route is drawn
    # Everything is in the worker's cache before the server goes away.
    page.wait_for_function("""async () => {
        const names = await caches.keys();
        if (!names.length) return false;
        const cache = await caches.open(names[0]);
        return !!(await cache.match('/dispatch/kru/')) && !!(await cache.match('/static/dispatch/crew.js'));
    }""", timeout=10000)

    asgi_server.stop()
    page.reload()
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]", timeout=5000)
    assert ADDRESS in page.locator("[data-crew-address]").inner_text()
    assert page.locator("[data-testid=crew-step-en_route]").is_visible()
    # Leaflet came from the cache and the last route is drawn again.
    page.wait_for_selector(".crew-map .leaflet-overlay-pane path", timeout=5000)
    page.wait_for_selector("[data-testid=crew-offline]", state="visible", timeout=5000)
    page.screenshot(path=str(SHOTS / "siaga-crew-offline-open.png"), full_page=True)
    assert problems == [], problems
    context.close()


def test_the_whole_job_from_departure_to_available_again(fleet, asgi_server, crew_cookies, browser):  # noqa: F811
    base = asgi_server.url
    dispatch_id = _dispatch(fleet, acknowledge=True)
    problems: list[str] = []
    context, page = _phone(browser, base, crew_cookies, problems)
    page.goto(f"{base}/dispatch/kru/")
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]", timeout=5000)

    def tap(step, then):
        page.locator(f"[data-testid=crew-step-{step}]").tap()
        page.wait_for_selector(f"[data-testid=crew-status][data-status={then}]", timeout=5000)
        _wait_sent(page, 10000)

    tap("en_route", "en_route")
    tap("on_scene", "on_scene")
    # Only the next steps are offered: transport, or straight back / finished without a patient.
    visible = [s for s in ("en_route", "on_scene", "transporting", "at_hospital", "handover_done", "returning",
                           "completed", "available")
               if page.locator(f"[data-testid=crew-step-{s}]").is_visible()]
    assert visible == ["transporting", "returning", "completed"]
    # The destination is picked from the hospitals' suggestions.
    page.wait_for_selector("[data-crew-dest-select] option[value='%d']" % fleet.hospital.pk, state="attached",
                           timeout=5000)
    page.select_option("[data-crew-dest-select]", str(fleet.hospital.pk))
    tap("transporting", "transporting")
    route_title = page.locator("[data-crew-route-title]")
    assert route_title.inner_text() != page.evaluate(
        "JSON.parse(document.getElementById('crew-config').textContent).texts.route_to_scene")
    tap("at_hospital", "at_hospital")
    tap("handover_done", "handover_done")
    handover = page.locator("[data-crew-handover]")
    assert handover.is_visible()
    d = in_thread(lambda: Dispatch.objects.get(pk=dispatch_id))
    assert d.destination_id == fleet.hospital.pk
    from django.utils import timezone

    assert timezone.localtime(d.handover_done_at).strftime("%H:%M") in handover.inner_text()
    tap("returning", "returning")
    # The server lists only live dispatches in /me; the page keeps the returning one until the crew finishes.
    page.reload()
    page.wait_for_selector("[data-testid=crew-status][data-status=returning]", timeout=5000)
    assert page.locator("[data-testid=crew-step-completed]").is_visible()
    tap("completed", "available")
    assert page.locator("[data-crew-idle]").is_visible()
    d, unit_status = in_thread(lambda: (Dispatch.objects.get(pk=dispatch_id),
                                        Dispatch.objects.get(pk=dispatch_id).unit.status))
    assert d.status == "completed" and unit_status == "available"
    assert problems == [], problems
    context.close()


def test_sharing_my_position_reports_the_phones_gps(fleet, asgi_server, crew_cookies, browser):  # noqa: F811
    from siaga.dispatch.models import PositionReport

    base = asgi_server.url
    _dispatch(fleet, acknowledge=True)
    problems: list[str] = []
    context, page = _phone(browser, base, crew_cookies, problems)
    context.context.grant_permissions(["geolocation"], origin=base)
    context.context.set_geolocation({"latitude": -7.4730, "longitude": 112.4350, "accuracy": 12})
    page.goto(f"{base}/dispatch/kru/")
    page.wait_for_selector("[data-testid=crew-status][data-status=acknowledged]", timeout=5000)
    assert not in_thread(lambda: PositionReport.objects.exists())
    page.locator("[data-crew-share]").tap()
    assert page.locator("[data-crew-share]").get_attribute("aria-pressed") == "true"
    assert _wait_db(lambda: PositionReport.objects.filter(unit_id=fleet.amb1.pk).exists()), _page_state(page)
    p = in_thread(lambda: PositionReport.objects.get(unit_id=fleet.amb1.pk))
    assert (round(p.lat, 4), round(p.lng, 4)) == (-7.4730, 112.4350)
    assert p.source == "phone" and p.accuracy_m == 12
    # The route to the scene now starts where the phone is.
    page.wait_for_function("""() => {
        const route = JSON.parse(localStorage.getItem('siaga-kru:state:kru-amb01')).route;
        return !!route && route.from[0] === -7.473 && route.from[1] === 112.435;
    }""", timeout=5000)
    assert problems == [], problems
    context.close()
