"""In a real browser on a 360-px phone under a strict CSP: the coverage map draws, a tap closes a street,
and a closure made by a colleague appears on the open closures page through the real live stream."""

from __future__ import annotations

from pathlib import Path

import pytest

from siaga.core.models import Membership, Organization, User
from siaga.core.permissions import system_actor
from siaga.geo.models import Region
from tests.browser.test_map_browser import PASSWORD, _with_strict_csp

from .conftest import SQUARE_EDGES, SQUARE_NODES, write_graphml
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, STRICT_CSP, browser  # noqa: F401  (fixture)
from tests.browser_support import in_thread, with_strict_csp
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

# Generous so a loaded machine cannot make it flaky; without the live stream it would never pass at any timeout.
LIVE_TIMEOUT_MS = 8000

pytestmark = pytest.mark.browser


@pytest.fixture
def square_city(transactional_db, tmp_path):
    """Everything in the database before Playwright starts (its event loop makes Django refuse ORM calls)."""
    from siaga.routing import services

    Region.objects.create(code="35", name="Jawa Timur", level=1, search_key="jawa timur")
    Region.objects.create(code="35.76", name="Kota Mojokerto", level=2, parent_id="35", search_key="kota mojokerto")
    Region.objects.create(code="35.76.01", name="Prajuritkulon", level=3, parent_id="35.76", search_key="p")
    (la, ga), (lc, gc) = SQUARE_NODES["A"], SQUARE_NODES["C"]
    for code, name, lat, lng in [("35.76.01.1006", "Prajuritkulon", la, ga + 0.0001),
                                 ("35.76.01.1007", "Surodinawan", lc, gc - 0.0001),
                                 ("35.76.01.1008", "Jauh", -7.30, 112.60)]:
        Region.objects.create(code=code, name=name, level=4, parent_id="35.76.01", search_key=name.lower(),
                              lat=lat, lng=lng)
    net = services.import_roads(system_actor(), write_graphml(tmp_path / "sq.graphml", SQUARE_NODES, SQUARE_EDGES),
                                region_code="35.76").network
    org = Organization.objects.create(code="psc", name="PSC 119 Kota Mojokerto", kind="psc119", region_code="35.76",
                                      lat=la, lng=ga + 0.0002)
    user = User.objects.create_user("operator.jalan", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role="dispatcher", scope_code="35.76")
    return {"user": user, "network": net}


def test_coverage_and_closures_on_a_phone(live_server, square_city, browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="id-ID")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(f"{live_server.url}/**", _with_strict_csp)
    # The live stream is an async view the threaded test server cannot serve cleanly: stand in for it (routes
    # added later win). The live update itself is the stream's and the events' job (test_closure_events.py).
    page.route(f"{live_server.url}/api/stream**", lambda route: route.fulfill(
        status=200, content_type="text/event-stream", body="retry: 600000\n\n"))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "operator.jalan")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/routing/coverage/?k=1")
    page.wait_for_selector("[data-siaga-map][data-state='ready']")
    # 3 kelurahan + 1 station + 1 suggested post, drawn as circle markers.
    page.wait_for_selector("[data-siaga-map] path.leaflet-interactive >> nth=4")
    assert page.locator("[data-coverage-table] tbody tr").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{live_server.url}/routing/closures/")
    page.wait_for_selector("[data-siaga-map][data-state='ready']")
    (la, ga), (lb, _gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    page.locator("[data-siaga-map]").scroll_into_view_if_needed()
    point = page.evaluate(
        """([lat, lng]) => {
            const el = document.querySelector('[data-siaga-map]');
            const map = SiagaMap.get(el);
            map.setView([lat, lng], 16, {animate: false});
            const p = map.latLngToContainerPoint([lat, lng]);
            const box = el.getBoundingClientRect();
            return {x: box.left + p.x, y: box.top + p.y};
        }""", [(la + lb) / 2, ga + 0.0003])
    page.mouse.click(point["x"], point["y"])
    assert page.locator("[data-lat]").input_value() != ""
    page.fill("#cl-reason", "Pohon tumbang")
    page.click("[data-closure-form] button[type=submit]")
    page.wait_for_selector("[data-closure-id]")
    assert "Pohon tumbang" in page.inner_text("[data-closure-list]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("[data-closure-id] button[type=submit]")
    page.wait_for_selector("[data-closure-list] >> text=/tidak ada|No road/i")
    assert problems == [], problems
    page.unroute_all(behavior="ignoreErrors")
    context.close()


def test_a_colleagues_closure_appears_live(asgi_server, square_city, browser):  # noqa: F811
    """The page stays open on the real ASGI server and /api/stream; another dispatcher of the same PSC
    closes a street and lifts it through the services: the list and the map follow without a reload."""
    import numpy as np

    from siaga.core.permissions import actor_for
    from siaga.routing import services
    from siaga.routing.engine import get_engine

    net = square_city["network"]

    def setup():
        org = square_city["user"].memberships.get().organization
        colleague = User.objects.create_user("operator.kedua", password=PASSWORD)
        Membership.objects.create(user=colleague, organization=org, role="dispatcher", scope_code="35.76")
        return client_for(square_city["user"]).cookies["sessionid"].value, actor_for(colleague)

    # Off the Playwright thread: its event loop makes Django refuse ORM calls.
    session, other = in_thread(setup)
    e = get_engine(net)
    a = int(np.flatnonzero(e.a["node_ids"] == "A")[0])
    b = int(np.flatnonzero(e.a["node_ids"] == "B")[0])
    ab = int(np.flatnonzero((e.a["tail"] == a) & (e.a["head"] == b))[0])
    host = asgi_server.url.split("//", 1)[1].split(":")[0]

    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  locale="id-ID")
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"{page.url}: {err}"))
    # The live stream is left alone (fetching it whole to add a header would never finish); pages get the CSP.
    page.route(lambda u: u.startswith(asgi_server.url) and "/api/stream" not in u, with_strict_csp)
    page.goto(f"{asgi_server.url}/routing/closures/")
    page.wait_for_selector("[data-siaga-map][data-state='ready']")
    page.wait_for_selector("[data-live-status]:not(:empty)", timeout=5000)  # the stream is open
    assert page.locator("[data-closure-id]").count() == 0
    assert page.locator("[data-siaga-map] path.leaflet-interactive").count() == 0
    page.evaluate("window.__notReloaded = true")

    closure = in_thread(lambda: services.create_closure(other, network_id=net.pk, kind="arcs", arc_ids=[ab],
                                                        reason="Banjir setinggi lutut"))
    page.wait_for_selector(f"[data-closure-id='{closure.pk}']", timeout=LIVE_TIMEOUT_MS)
    assert "Banjir setinggi lutut" in page.inner_text("[data-closure-list]")
    # The closed street is drawn on the map too (a north-south line: attached, its box has no width).
    closed_street = "[data-siaga-map] path.leaflet-interactive[stroke='#c62828']"
    page.wait_for_selector(closed_street, state="attached", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded === true")

    in_thread(lambda: services.lift_closure(other, closure.pk))
    page.wait_for_selector(f"[data-closure-id='{closure.pk}']", state="detached", timeout=LIVE_TIMEOUT_MS)
    page.wait_for_selector(closed_street, state="detached", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded === true")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == [], problems
    page.unroute_all(behavior="ignoreErrors")
    context.close()
