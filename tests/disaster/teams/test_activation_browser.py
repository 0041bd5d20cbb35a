"""In real browsers under the strict CSP, the chain of issue 7: the real BMKG Banten warning arrives while the
manager's page is open, its affected areas light up on the warning map, the manager activates a team for the
event, and a volunteer accepts on their phone (360 px) while the manager's roster shows it live."""

from __future__ import annotations

import pytest

from siaga.core.models import Membership, Organization, User
from siaga.core.permissions import actor_for, system_actor
from siaga.disaster import services as disaster_services
from siaga.disaster.models import AffectedArea, DisasterType
from siaga.disaster.teams import services
from siaga.disaster.volunteers.models import Skill, Volunteer
from siaga.geo.models import Region
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)

from ..conftest import bmkg_file

# Generous so a loaded machine cannot make it flaky; without the live stream it would never pass at any timeout.
LIVE_TIMEOUT_MS = 15000
CITANGKIL, LEBAKGEDONG = "36.72.08", "36.02.25"  # the two centres of the alert's two polygons

pytestmark = pytest.mark.browser


@pytest.fixture
def banten_people(transactional_db, load_area):
    """Banten's regions and kecamatan boundaries; PMI Banten with a disaster manager and a first-aid volunteer
    of Lebakgedong, one of the two kecamatan the alert covers most."""
    load_area(("36",), "kec_banten_36.geojson")
    # Seeded by a migration, but a transactional test before this one may have flushed it.
    DisasterType.objects.get_or_create(code="cuaca_ekstrem", defaults={"name_id": "Cuaca ekstrem",
                                                                       "name_en": "Extreme weather",
                                                                       "group": "natural", "cap_categories": ["Met"]})
    pmi = Organization.objects.create(code="pmi-banten", name="PMI Banten", kind="pmi_province", region_code="36")
    manager = User.objects.create_user("manajer.banten", password=None)
    Membership.objects.create(user=manager, organization=pmi, role="disaster_manager", scope_code="36")
    phone_user = User.objects.create_user("relawan.lebak", password=None)
    Membership.objects.create(user=phone_user, organization=pmi, role="volunteer", scope_code="36")
    centre = Region.objects.get(code=LEBAKGEDONG)
    kelurahan = Region.objects.filter(parent_id=LEBAKGEDONG, level=4).order_by("code").first()
    volunteer = Volunteer.objects.create(organization=pmi, region_code=kelurahan.code if kelurahan else LEBAKGEDONG,
                                         name="Siti Rahmawati", phone="+6281299887766", user=phone_user,
                                         lat=centre.lat, lon=centre.lng)
    first_aid, _ = Skill.objects.get_or_create(code="first_aid", defaults={"name": "First aid"})
    volunteer.skills.add(first_aid)
    return {"manager": manager, "phone_user": phone_user, "volunteer": volunteer}


def _context(browser, server, user, **kw):  # noqa: F811
    session = in_thread(lambda: client_for(user).cookies["sessionid"].value)
    host = server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(locale="id-ID", **kw)
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    # The stream is left alone (fetching it whole to add a header would never finish); pages get the CSP.
    page.route(lambda u: u.startswith(server.url) and "/api/stream" not in u, with_strict_csp)
    return context, page


def test_warning_to_activation_to_acceptance(asgi_server, banten_people, browser):  # noqa: F811
    cap_banten = bmkg_file("cap_banten.xml")
    url = asgi_server.url
    manager_ctx, manager = _context(browser, asgi_server, banten_people["manager"],
                                    viewport={"width": 1280, "height": 900})
    phone_ctx, phone = _context(browser, asgi_server, banten_people["phone_user"],
                                viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)

    # The manager's page and the volunteer's phone are open and following the live stream.
    manager.goto(f"{url}/bencana/tim/")
    manager.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    phone.goto(f"{url}/bencana/tim/saya/")
    phone.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    assert phone.locator("[data-no-alerts]").count() == 1

    # 1. The real BMKG Banten alert arrives (as the feed poller would import it) and shows up without a reload.
    warning = in_thread(lambda: disaster_services.ingest_cap(system_actor(), cap_banten,
                                                             source_name="cap_banten.xml").warning)
    manager.wait_for_selector(f"[data-live-warnings] [data-warning-id='{warning.pk}']", timeout=LIVE_TIMEOUT_MS)
    assert "Hujan Lebat disertai Petir di Banten" in manager.inner_text("[data-live-warnings]")

    # 2. Its map lights up the affected areas: the kecamatan the polygons cover (the shared data holds kelurahan
    # boundaries of Banten only for Kota Tangerang and Tangerang Selatan, which this alert does not reach).
    expected = set(in_thread(lambda: list(AffectedArea.objects.filter(warning=warning, level__gte=3)
                                          .values_list("region_code", flat=True))))
    assert {CITANGKIL, LEBAKGEDONG} <= expected
    manager.click(f"[data-warning-id='{warning.pk}'] a")
    manager.wait_for_selector("[data-warning-map][data-lit]", timeout=LIVE_TIMEOUT_MS)
    lit = set(manager.eval_on_selector_all("[data-warning-map] path[data-region]",
                                           "els => els.map(e => e.getAttribute('data-region'))"))
    assert lit == expected

    # 3. The manager opens an event from the warning and activates a team for it on the team page.
    def open_event():
        actor = actor_for(banten_people["manager"])
        ev = disaster_services.create_event(actor, name="Hujan lebat Banten", type_code="cuaca_ekstrem",
                                            phase="emergency_response", warning_ids=[warning.pk])
        # The volunteer lives about 2 km north of where the team will meet (the most covered affected area).
        lat, lon, _name, _code = services.default_meeting_point(ev)
        Volunteer.objects.filter(pk=banten_people["volunteer"].pk).update(lat=lat + 0.018, lon=lon)
        return ev

    event = in_thread(open_event)
    manager.goto(f"{url}/bencana/tim/kejadian/{event.pk}/")
    manager.check("input[name=skills][value=first_aid]")
    manager.fill("input[name=number_needed]", "1")
    manager.fill("input[name=max_travel_km]", "15")
    manager.fill("textarea[name=message]", "Banjir lokal, bawa perlengkapan P3K.")
    manager.click("[data-activate-form] button[type=submit]")
    manager.wait_for_selector("tr[data-line-state='alerted']", timeout=LIVE_TIMEOUT_MS)
    manager.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_TIMEOUT_MS)
    assert "Siti Rahmawati" in manager.inner_text("[data-live-roster]")
    manager.evaluate("window.__notReloaded = true")

    # 4. The alert reaches the volunteer's phone live; they tap "Ya".
    card = phone.wait_for_selector("[data-alert-id][data-state='alerted']", timeout=LIVE_TIMEOUT_MS)
    assert "Hujan lebat Banten" in card.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    yes = phone.locator("[data-answer-yes]")
    assert yes.inner_text().strip() == "Ya"
    box = yes.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 120  # a thumb-sized button
    yes.tap()
    phone.wait_for_selector("[data-alert-id][data-state='accepted']", timeout=LIVE_TIMEOUT_MS)
    assert phone.locator("[data-check-in]").count() == 1

    # 5. The manager's roster shows the acceptance live, without a reload.
    manager.wait_for_selector("tr[data-line-state='accepted']", timeout=LIVE_TIMEOUT_MS)
    assert manager.evaluate("window.__notReloaded === true")
    assert manager.inner_text("[data-count='accepted']") == "1"
    status = in_thread(lambda: Volunteer.objects.get(pk=banten_people["volunteer"].pk).status)
    assert status == "deployed"
    assert in_thread(lambda: services.roster(actor_for(banten_people["manager"]), event.pk)[0][0].state) == "filled"

    assert manager.problems == [] and phone.problems == [], (manager.problems, phone.problems)
    for page, ctx in ((manager, manager_ctx), (phone, phone_ctx)):
        page.unroute_all(behavior="ignoreErrors")
        ctx.close()
