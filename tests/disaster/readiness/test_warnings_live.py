"""The risk map's warnings layer: it falls back to kecamatan polygons where a kecamatan's kelurahan have no
boundaries in the data (Banten has kecamatan boundaries only), and in a real browser under the strict CSP it
follows the live stream: a warning imported while the map is open lights up its area without a reload."""

from __future__ import annotations

import pytest

from siaga.core.permissions import system_actor
from siaga.geo.models import Region
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.disaster.conftest import cap_xml
from tests.servers import asgi_server  # noqa: F401  (fixture)

BBOX = "105.9,-6.2,106.3,-5.9"
KEC_BARE = "36.71.01"  # its kelurahan has no boundary: drawn as the kecamatan
KEC_FULL = "36.71.02"  # its kelurahan has a boundary: drawn as the kelurahan
KEL_FULL = "36.71.02.1001"
# CAP polygons are "lat,lon" pairs: a box across both kecamatan.
POLYGON = "-6.02,106.02 -6.02,106.18 -6.08,106.18 -6.08,106.02 -6.02,106.02"


def _square(w, s, e, n):
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def _regions():
    from siaga.geo import lookup

    rows = [("36", "Banten", 1, None, None, [105.0, -7.1, 106.8, -5.8]),
            ("36.71", "Kota Tangerang", 2, "36", None, None),
            (KEC_BARE, "Kecamatan Tanpa Batas Kelurahan", 3, "36.71", (106.0, -6.1, 106.1, -6.0), None),
            ("36.71.01.1001", "Kelurahan Tanpa Batas", 4, KEC_BARE, None, None),
            (KEC_FULL, "Kecamatan Lengkap", 3, "36.71", (106.1, -6.1, 106.2, -6.0), None),
            (KEL_FULL, "Kelurahan Lengkap", 4, KEC_FULL, (106.1, -6.1, 106.2, -6.0), None)]
    for code, name, level, parent, box, bbox in rows:
        Region.objects.update_or_create(code=code, defaults={
            "name": name, "level": level, "parent_id": parent,
            "boundary": _square(*box) if box else None, "bbox": list(box) if box else bbox})
    lookup.invalidate()


def _import_warning(identifier="uji-banten-1"):
    from siaga.disaster import services as disaster

    return disaster.ingest_cap(system_actor(), cap_xml(identifier=identifier, polygon=POLYGON,
                                                       headline="Hujan lebat di Kota Tangerang"),
                               source_name="uji")


@pytest.mark.django_db
def test_the_warnings_layer_falls_back_to_kecamatan_where_kelurahan_boundaries_are_missing(make_org, make_user):
    _regions()
    org = make_org(kind="pmi_province", region_code="36")
    client = client_for(make_user("disaster_manager", org, scope_code="36"))
    _import_warning()
    data = client.get(f"/api/disaster/readiness/layers/warnings?bbox={BBOX}").json()
    areas = {f["properties"]["code"]: f["properties"] for f in data["features"]
             if f["properties"]["kind"] == "affected"}
    assert set(areas) == {KEC_BARE, KEL_FULL}  # not KEC_FULL: its kelurahan is drawn instead
    assert (areas[KEC_BARE]["level"], areas[KEC_BARE]["fallback"]) == (3, True)
    assert (areas[KEL_FULL]["level"], areas[KEL_FULL]["fallback"]) == (4, False)
    assert data["meta"]["fallback"] == 1 and data["meta"]["warnings"] == 1
    # Asked for kecamatan explicitly, the layer gives both kecamatan and no fallback marks.
    kec = client.get(f"/api/disaster/readiness/layers/warnings?bbox={BBOX}&level=3").json()
    assert {f["properties"]["code"] for f in kec["features"] if f["properties"]["kind"] == "affected"} == {
        KEC_BARE, KEC_FULL}
    assert kec["meta"]["fallback"] == 0


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_the_risk_map_lights_up_a_new_warning_live_under_the_strict_csp(asgi_server, browser,  # noqa: F811
                                                                        make_org, make_user, settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5

    def setup():  # database work runs off the Playwright thread
        _regions()
        org = make_org(kind="pmi_province", region_code="36", name="PMI Banten")
        return client_for(make_user("disaster_manager", org, scope_code="36")).cookies["sessionid"].value

    session = in_thread(setup)
    base = asgi_server.url
    host = base.split("//", 1)[1].split(":")[0]
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="id-ID")
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    page.goto(f"{base}/bencana/kesiapsiagaan/peta/")
    page.wait_for_selector("[data-risk-map][data-layer-warnings='0']", timeout=15000)
    page.wait_for_selector("[data-live-status][data-state='live']", timeout=15000)
    page.evaluate("window.__notReloaded = true")

    warning = in_thread(_import_warning)
    # The warning's outline and its two areas: the kelurahan drawn, and the kecamatan whose kelurahan are not.
    page.wait_for_selector("[data-risk-map][data-layer-warnings='3']", timeout=15000)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator("[data-risk-map] path.risk-area").count() == 2
    assert page.locator("[data-risk-map] path.risk-area--kecamatan").count() == 1
    assert page.get_attribute("[data-risk-map]", "data-warnings-reloaded")
    assert warning is not None
    assert problems == [], problems
    context.close()
