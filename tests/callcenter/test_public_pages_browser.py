"""In a real browser on a 360-px phone with GPS: a citizen asks for help; a caller sends a location link back."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from siaga.callcenter import public, services
from siaga.callcenter.models import Incident, LocationLink, Position
from tests.servers import asgi_server  # noqa: F401  (fixture)

from .public_helpers import IN_KOTA, setup_public
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)


SHOTS = Path(os.environ.get("SIAGA_SCREENSHOT_DIR", "/tmp"))

pytestmark = pytest.mark.browser


_in_thread = in_thread


@pytest.fixture
def center(transactional_db, regions, settings):
    settings.SIAGA_REPORT_MIN_FILL_SECONDS = 1
    return setup_public(regions)


def _phone(browser, base, problems):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID", permissions=["geolocation"],
                                  geolocation={"latitude": IN_KOTA[0], "longitude": IN_KOTA[1], "accuracy": 12})
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))

    page.route(lambda u: u.startswith(base), with_strict_csp)
    return context, page


def test_a_citizen_asks_for_help_with_the_phones_gps(center, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    problems: list[str] = []
    context, page = _phone(browser, base, problems)
    page.goto(f"{base}/lapor/")
    page.wait_for_selector("[data-gps-status].is-ok", timeout=5000)
    assert page.input_value("[data-lat]") == f"{IN_KOTA[0]:.6f}"
    assert page.input_value("[data-accuracy]") == "12"
    page.locator("label.lapor__type", has=page.locator("input[value='kecelakaan-lalu-lintas']")).tap()
    page.fill("#id_description", "Motor jatuh, pengendara tidak bergerak")
    page.fill("#id_phone", "0812 3456 7890")
    send = page.locator("[data-send-button]")
    box = send.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "siaga-lapor-form.png"), full_page=True)
    page.wait_for_timeout(1200)  # a person takes longer than the minimum fill time
    send.tap()
    page.wait_for_url(f"{base}/lapor/status/**", timeout=10000)
    assert page.locator("[data-tracking][data-status='received']").count() == 1
    assert "Motor jatuh" not in page.content() and "3456" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "siaga-lapor-status.png"), full_page=True)
    token = page.url.rstrip("/").rsplit("/", 1)[1]
    incident = _in_thread(lambda: Incident.objects.get(tracking_token=token))
    assert (incident.location_source, incident.location_accuracy_m, incident.region_code) == ("reporter", 12, "35.76")
    assert problems == [], problems
    context.close()


def test_a_caller_sends_the_position_through_the_link(center, asgi_server, browser):  # noqa: F811
    def make_link():
        actor = public.system_actor_for(center)
        call = services.start_call(actor, channel="phone", caller_number="081234567890")
        return public.send_location_link(actor, call.pk).token, call.pk

    token, call_id = _in_thread(make_link)
    base = asgi_server.url
    problems: list[str] = []
    context, page = _phone(browser, base, problems)
    page.goto(f"{base}/lapor/lokasi/{token}/")
    page.locator("[data-send-location]").tap()
    page.wait_for_selector("[data-location-result].is-ok", timeout=10000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "siaga-lapor-location.png"), full_page=True)
    position = _in_thread(lambda: Position.objects.get(call_id=call_id))
    assert (position.source, position.accuracy_m) == ("link", 12)
    assert _in_thread(lambda: LocationLink.objects.get(token=token).used_at) is not None
    assert problems == [], problems
    # The page of a used link explains itself (410) and offers no button; an unknown link is 404.
    assert page.goto(f"{base}/lapor/lokasi/{token}/").status == 410
    assert page.locator("[data-send-location]").count() == 0
    assert page.goto(f"{base}/lapor/lokasi/{secrets.token_urlsafe(24)}/").status == 404
    context.close()
