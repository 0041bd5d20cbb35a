"""In a real browser under the strict CSP: a warning arrives, its page lights up the kelurahan it covers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from siaga.core.models import Membership, Organization, User
from siaga.core.permissions import system_actor
from siaga.disaster import services
from siaga.disaster.models import AffectedArea
from siaga.geo.models import Region
from tests.browser_support import browser, with_strict_csp  # noqa: F401

from .conftest import cap_xml

PASSWORD = "Rahasia-Siaga-2026"
# Across the middle of Kota Mojokerto: part of its kelurahan, not all of them.
POLYGON = "-7.46,112.425 -7.46,112.44 -7.475,112.44 -7.475,112.425 -7.46,112.425"

pytestmark = pytest.mark.browser


@pytest.fixture
def warned(transactional_db):
    path = Path(settings.DATA_DIR) / "regions" / "kel_kota_mojokerto_3576.geojson"
    if not path.exists():
        pytest.skip(f"{path} not available")
    Region.objects.update_or_create(code="35", defaults={"name": "Jawa Timur", "level": 1})
    Region.objects.update_or_create(code="35.76", defaults={"name": "Kota Mojokerto", "level": 2, "parent_id": "35"})
    for f in json.loads(path.read_text())["features"]:
        p = f["properties"]
        kec = p["kode"].rsplit(".", 1)[0]
        Region.objects.update_or_create(code=kec, defaults={"name": kec, "level": 3, "parent_id": "35.76"})
        Region.objects.update_or_create(code=p["kode"], defaults={"name": p["nama"], "level": 4, "parent_id": kec,
                                                                  "boundary": f["geometry"]})
    org = Organization.objects.create(code="pmi-kota-mojokerto", name="PMI Kota Mojokerto", kind="pmi_branch",
                                      region_code="35.76")
    user = User.objects.create_user("relawan.mojokerto", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role="volunteer", scope_code="35.76")
    w = services.ingest_cap(system_actor(), cap_xml(polygon=POLYGON, headline="Banjir Kota Mojokerto"),
                            source_name="test").warning
    lit = sorted(AffectedArea.objects.filter(warning=w, level=4).values_list("region_code", flat=True))
    assert 0 < len(lit) < 18
    return {"user": user, "warning": w, "lit": lit}


def test_the_affected_kelurahan_light_up_on_the_map(live_server, warned, browser):
    page = browser.new_context(viewport={"width": 390, "height": 800}, locale="id-ID").new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(f"{live_server.url}/**", with_strict_csp)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", warned["user"].username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]:has-text('Masuk')")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/bencana/peringatan/{warned['warning'].pk}/")
    page.wait_for_selector("[data-warning-map][data-lit]", timeout=15000)
    lit = sorted(page.eval_on_selector_all("[data-warning-map] path[data-region]",
                                           "els => els.map(e => e.getAttribute('data-region'))"))
    # Kecamatan are drawn too (without boundaries here they are not): exactly the covered kelurahan light up.
    assert [c for c in lit if c.count(".") == 3] == warned["lit"]
    fills = page.eval_on_selector_all("[data-warning-map] path[data-region]", "els => els.map(e => e.getAttribute('fill'))")
    assert len(set(fills)) >= 2  # a choropleth: not one colour for all
    assert page.locator("[data-warning-map] path.leaflet-interactive").count() >= len(lit)
    assert not problems, problems
