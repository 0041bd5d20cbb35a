"""In a real browser on a 360-px phone under the strict CSP: the risk map draws its default layers from the API
and adds the earthquake layer when it is ticked; a volunteer takes a training module and passes."""

from __future__ import annotations

import pytest

from siaga.core.models import Membership, Organization, User
from siaga.geo.models import Region
from tests.browser_support import browser, with_strict_csp  # noqa: F401  (fixture)

PASSWORD = "Rahasia-Siaga-2026"

pytestmark = pytest.mark.browser


@pytest.fixture
def viewer(transactional_db):
    Region.objects.update_or_create(code="36", defaults={"name": "Banten", "level": 1,
                                                         "bbox": [105.0, -7.1, 106.8, -5.8]})
    org = Organization.objects.create(code="pmi-banten", name="PMI Banten", kind="pmi_province", region_code="36")
    user = User.objects.create_user("relawan.peta", password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role="volunteer", scope_code="36")
    from siaga.disaster.readiness.demo import FIRST_AID, FIRST_AID_QUIZ
    from siaga.disaster.readiness.models import TrainingModule

    TrainingModule.objects.create(organization=org, code="pp", title="Pertolongan pertama dasar", body=FIRST_AID,
                                  quiz=FIRST_AID_QUIZ, pass_mark_percent=80)
    return user


def test_the_risk_map_draws_its_layers_on_a_phone(live_server, viewer, browser):
    page = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="id-ID").new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(f"{live_server.url}/**", with_strict_csp)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "relawan.peta")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/bencana/kesiapsiagaan/peta/")
    page.wait_for_selector("[data-risk-map][data-layer-faults]", timeout=15000)
    assert int(page.get_attribute("[data-risk-map]", "data-layer-faults")) > 0  # Banten has mapped faults
    page.check("[data-risk-layers] input[value=quakes]")
    page.wait_for_selector("[data-risk-map][data-layer-quakes]", timeout=15000)
    assert int(page.get_attribute("[data-risk-map]", "data-layer-quakes")) > 0
    assert page.locator("[data-risk-map] path.leaflet-interactive").count() > 0
    page.uncheck("[data-risk-layers] input[value=quakes]")
    assert page.get_attribute("[data-risk-map]", "data-layer-quakes") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(f"{live_server.url}/bencana/kesiapsiagaan/pelatihan/")
    page.click("[data-module] a")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    from siaga.disaster.readiness.demo import FIRST_AID_QUIZ

    for i, q in enumerate(FIRST_AID_QUIZ):
        page.check(f"input[name=q{i}][value='{q['answer']}']")
    page.click("[data-quiz] button[type=submit]")
    page.wait_for_selector("[data-result='passed']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert problems == [], problems
