"""In a real browser on a phone-sized screen: log in, see the home map draw Kota Mojokerto's 18 kelurahan."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from shapely.geometry import shape

from siaga.core.models import Membership, Organization, User
from siaga.geo.models import Region
from siaga.geo.search import normalize
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, STRICT_CSP, browser, with_strict_csp  # noqa: F401

KELURAHAN_FILE = "regions/kel_kota_mojokerto_3576.geojson"
SCREENSHOT = Path(os.environ.get("SIAGA_MAP_SCREENSHOT", "/tmp/siaga-map.png"))
PASSWORD = "Rahasia-Siaga-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def mojokerto(transactional_db):
    """Kota Mojokerto's kelurahan with their boundaries, an organisation and a call-taker scoped to 35.76.

    All database work happens here, before Playwright starts: its event loop makes Django refuse ORM calls.
    """
    path = Path(settings.DATA_DIR) / KELURAHAN_FILE
    if not path.exists():
        pytest.skip(f"{path} not available")
    features = json.loads(path.read_text())["features"]
    Region.objects.update_or_create(code="35", defaults={"name": "Jawa Timur", "level": 1})
    Region.objects.update_or_create(code="35.76", defaults={"name": "Kota Mojokerto", "level": 2, "parent_id": "35"})
    for f in features:
        p = f["properties"]
        kecamatan = p["kode"].rsplit(".", 1)[0]
        Region.objects.update_or_create(code=kecamatan, defaults={"name": kecamatan, "level": 3, "parent_id": "35.76"})
        Region.objects.update_or_create(
            code=p["kode"],
            defaults={"name": p["nama"], "level": 4, "parent_id": kecamatan, "boundary": f["geometry"],
                      "lat": p.get("lat"), "lng": p.get("lng"), "search_key": normalize(p["nama"])},
        )
    org = Organization.objects.create(code="psc119-kota-mojokerto", name="PSC 119 Kota Mojokerto", kind="psc119",
                                      region_code="35.76")
    user = User.objects.create_user("operator.mojokerto", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role="call_taker", scope_code="35.76")
    return {"user": user, "features": features}


_with_strict_csp = with_strict_csp


def test_home_map_draws_the_kelurahan_on_a_phone(live_server, mojokerto, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(f"{live_server.url}/**", _with_strict_csp)

    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "id"
    page.fill("input[name=username]", mojokerto["user"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Masuk')")
    page.wait_for_url(f"{live_server.url}/")

    map_el = page.locator("[data-siaga-map]")
    map_el.wait_for(state="visible")
    page.wait_for_selector("[data-siaga-map][data-state='ready']", timeout=15000)
    assert map_el.get_attribute("data-features-loaded") == "18"
    assert page.locator("[data-siaga-map] path.leaflet-interactive").count() == 18
    # Kelurahan names are drawn on the map: as many as fit, none on top of another.
    assert page.locator("[data-siaga-map] .siaga-map-label").count() == 18
    page.wait_for_selector("[data-siaga-map][data-labels-shown]")
    shown = page.evaluate("""() => [...document.querySelectorAll('.siaga-map-label:not(.is-hidden)')]
        .map(e => e.getBoundingClientRect()).map(r => [r.left, r.top, r.right, r.bottom])""")
    assert len(shown) >= 10
    overlaps = [(a, b) for i, a in enumerate(shown) for b in shown[i + 1:]
                if a[0] < b[2] and a[2] > b[0] and a[1] < b[3] and a[3] > b[1]]
    assert overlaps == []
    assert page.locator("[data-siaga-map] .leaflet-control-scale").count() == 1

    # The page fits a 360-px screen: nothing sideways to scroll.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # On a phone the menu is closed behind a button, and opens on tap.
    assert not page.locator("#site-menu").is_visible()
    page.click("[data-menu-toggle]")
    assert page.locator("#site-menu").is_visible()
    page.click("[data-menu-toggle]")

    # Tapping a kelurahan reports where and which one, for later call-taker forms.
    target = next(f for f in mojokerto["features"] if shape(f["geometry"]).contains(shape(f["geometry"]).centroid))
    code = target["properties"]["kode"]
    map_el.scroll_into_view_if_needed()
    page.evaluate("""() => { window.__clicks = [];
        document.addEventListener('siaga:mapclick', e => window.__clicks.push(e.detail)); }""")
    point = page.evaluate(
        """([code, lng, lat]) => {
            const el = document.querySelector('[data-siaga-map]');
            const p = SiagaMap.get(el).latLngToContainerPoint([lat, lng]);
            const box = el.getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""",
        [code, *shape(target["geometry"]).centroid.coords[0]],
    )
    page.mouse.click(point["x"], point["y"])
    clicks = page.evaluate("window.__clicks")
    assert len(clicks) == 1
    assert clicks[0]["region"] == {"code": code, "name": target["properties"]["nama"], "level": 4}
    assert abs(clicks[0]["lat"] - shape(target["geometry"]).centroid.y) < 0.001
    assert target["properties"]["nama"] in page.locator(".siaga-map-info").inner_text()

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert problems == [], problems
    context.close()


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_pages_fit_a_phone_and_run_under_a_strict_csp(live_server, mojokerto, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="id-ID")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(f"{live_server.url}/**", _with_strict_csp)
    _login(page, live_server, mojokerto["user"].username)

    def fits(name):
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(SCREENSHOT.with_name(f"siaga-{name}.png")), full_page=True)
        assert width <= 360, (name, width)

    page.click("[data-menu-toggle]")
    fits("menu")

    page.goto(f"{live_server.url}/organizations/")
    assert "PSC 119 Kota Mojokerto" in page.inner_text("main")
    fits("organizations")

    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("[data-siaga-map][data-state='ready']")
    assert page.locator("[data-siaga-map]").get_attribute("data-features-loaded") == "18"
    fits("fullmap")

    page.goto(f"{live_server.url}/regions/")
    page.wait_for_selector("[data-siaga-map][data-state='ready']")
    page.fill("input[name=q]", "mentikan")
    first = page.locator("[data-region-results] button").first
    first.wait_for()
    assert "Mentikan" in first.inner_text()
    first.click()
    # Selectors, not wait_for_function: its polling evaluates strings, which the strict CSP forbids.
    page.wait_for_selector("[data-siaga-map][data-state='ready'][data-features-loaded='6']")
    fits("regions")

    page.click("[data-menu-toggle]")
    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Regions" in page.inner_text("h1")
    assert problems == [], problems
    context.close()
