"""In a real browser: a call taken from the first keystroke to an incident with referrals, seen live on a second screen.

The app runs under the ASGI server (the live stream needs it). A second operator keeps the incident
board open in another browser context; the new incident must appear there without a reload.
Screenshots of the call-taker screen at 360x740 and 1280x800 go to /tmp/calltaker-*.png.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from django.conf import settings

from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core.models import Membership, Organization, User
from siaga.geo.models import Region
from siaga.geo.search import normalize
from tests.servers import asgi_server  # noqa: F401  (fixture)
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, STRICT_CSP, browser, with_strict_csp  # noqa: F401

KELURAHAN_FILE = "regions/kel_kota_mojokerto_3576.geojson"
KECAMATAN = {"35.76.01": "Prajuritkulon", "35.76.02": "Magersari", "35.76.03": "Kranggan"}
KRANGGAN = "35.76.03.1001"
SHOTS = Path(os.environ.get("SIAGA_CALLTAKER_SCREENSHOTS", "/tmp"))
PASSWORD = "Rahasia-Siaga-2026"
LIVE_WITHIN_S = 5

pytestmark = pytest.mark.browser


@pytest.fixture
def mojokerto(transactional_db):
    """Kota Mojokerto's kelurahan with boundaries, the taxonomy, Call Center 112 with two operators, PSC 119 and police.

    All database work happens here, before Playwright starts: its event loop makes Django refuse ORM calls.
    """
    path = Path(settings.DATA_DIR) / KELURAHAN_FILE
    if not path.exists():
        pytest.skip(f"{path} not available")
    features = json.loads(path.read_text())["features"]
    Region.objects.update_or_create(code="35", defaults={"name": "Jawa Timur", "level": 1,
                                                         "search_key": normalize("Jawa Timur")})
    Region.objects.update_or_create(code="35.76", defaults={"name": "Kota Mojokerto", "level": 2, "parent_id": "35",
                                                            "search_key": normalize("Kota Mojokerto"),
                                                            "lat": -7.47, "lng": 112.434})
    for code, name in KECAMATAN.items():
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": 3, "parent_id": "35.76",
                                                             "search_key": normalize(name)})
    for f in features:
        p = f["properties"]
        Region.objects.update_or_create(
            code=p["kode"],
            defaults={"name": p["nama"], "level": 4, "parent_id": p["kode"].rsplit(".", 1)[0],
                      "boundary": f["geometry"],
                      "lat": p.get("lat"), "lng": p.get("lng"), "search_key": normalize(p["nama"])},
        )
    # The data migration's taxonomy does not survive a transactional test's flush: seed it again.
    seed_taxonomy()
    cc = Organization.objects.create(code="cc112-kota-mojokerto", name="Call Center 112 Kota Mojokerto",
                                     kind="cc112", region_code="35.76")
    Organization.objects.create(code="psc119-kota-mojokerto", name="PSC 119 Kota Mojokerto", kind="psc119",
                                region_code="35.76")
    Organization.objects.create(code="polres-mojokerto-kota", name="Polres Mojokerto Kota", kind="police",
                                region_code="35.76")
    users = {}
    for username in ("penerima.satu", "penerima.dua"):
        users[username] = User.objects.create_user(username, password=PASSWORD)
        Membership.objects.create(user=users[username], organization=cc, role="call_taker", scope_code="35.76")
    return users


_strict_csp = with_strict_csp


def _open(browser, server, username, **context_args):
    context = browser.new_context(locale="id-ID", **context_args)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # Everything but the live stream goes through the CSP check (a stream would never finish buffering).
    page.route(lambda url: url.startswith(server.url) and "/api/stream" not in url, _strict_csp)
    page.goto(f"{server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return context, page, problems


def _take_call(page, *, number: str, screenshot: str | None = None) -> str:
    """From the first keystroke to the created incident; returns the incident number shown."""
    ct = page.locator("[data-calltaker]")
    assert ct.get_attribute("data-phase") == "idle"
    # The number field has the focus: the first digit typed opens the call on the server.
    page.keyboard.type(number, delay=15)
    page.wait_for_selector("[data-calltaker][data-phase='active']", timeout=5000)
    page.wait_for_selector("[data-history][data-state='new']", timeout=5000)

    page.keyboard.press("Alt+l")
    page.keyboard.type("kranggan", delay=20)
    option = page.locator("#ct-region-list [role=option]").first
    option.wait_for(timeout=5000)
    assert "Kranggan" in option.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"[data-calltaker][data-region='{KRANGGAN}']")
    # The kelurahan's centre stands in for the point until something better comes.
    page.wait_for_selector("[data-calltaker][data-location-source='region']", timeout=5000)
    page.keyboard.type("Jl. Mojopahit depan pasar", delay=5)

    page.keyboard.press("Alt+j")
    page.keyboard.type("kecelakaan lalu", delay=20)
    first_type = page.locator("#ct-type-list [role=option]").first
    first_type.wait_for()
    assert "Kecelakaan lalu lintas" in first_type.inner_text()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-calltaker][data-type='kecelakaan-lalu-lintas']")
    assert page.locator("[data-priority-suggested]").get_attribute("data-suggested") == "2"
    # The focus is on the first key question: "y" answers yes (someone unconscious or trapped) -> P1.
    page.keyboard.press("y")
    toggles = page.locator("[data-questions] .ct-toggle")
    assert toggles.first.get_attribute("aria-pressed") == "true"
    for _ in range(toggles.count() - 1):
        page.keyboard.press("n")  # the others: no; the focus then moves on to the description
    assert page.evaluate("document.activeElement.id") == "ct-description"
    assert page.locator("[data-priority-suggested]").get_attribute("data-suggested") == "1"
    assert page.locator("[data-priority]").input_value() == "1"
    page.keyboard.type("Motor dan mobil bertabrakan, satu korban tidak sadar.", delay=2)
    if screenshot:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / f"calltaker-{screenshot}.png"), full_page=False)
        page.screenshot(path=str(SHOTS / f"calltaker-{screenshot}-full.png"), full_page=True)

    page.keyboard.press("Control+Enter")
    result = page.locator("[data-result]")
    result.wait_for(state="visible", timeout=10000)
    number_shown = result.get_attribute("data-incident-number")
    assert number_shown
    assert number_shown in result.inner_text()
    return number_shown


def test_a_call_becomes_an_incident_that_a_second_operator_sees_live(asgi_server, mojokerto, browser):
    server = asgi_server
    # The second operator watches the board before the call comes in.
    board_ctx, board, board_problems = _open(browser, server, "penerima.dua", viewport={"width": 1280, "height": 800})
    board.goto(f"{server.url}/callcenter/insiden/")
    board.wait_for_selector("[data-board][data-live='true']", timeout=10000)
    assert board.locator("[data-incident-id]").count() == 0

    ctx, page, problems = _open(browser, server, "penerima.satu", viewport={"width": 1280, "height": 800})
    page.goto(f"{server.url}/callcenter/")
    page.wait_for_selector("[data-siaga-map][data-state='ready']", timeout=15000)
    number = _take_call(page, number="081234567890", screenshot="1280x800")
    created_at = time.monotonic()

    # The incident was referred to PSC 119 and the police, both waiting for their acknowledgement.
    referrals = page.locator("[data-result] [data-referrals] li")
    referrals.first.wait_for()
    text = page.locator("[data-result]").inner_text()
    assert referrals.count() == 2, text
    assert "PSC 119 Kota Mojokerto" in text and "Polres Mojokerto Kota" in text
    assert page.locator("[data-result] [data-referrals] li[data-status='requested']").count() == 2
    page.screenshot(path=str(SHOTS / "calltaker-1280x800-result.png"))

    # ... and it appears on the other operator's board without a reload.
    row = board.locator(f"[data-incident-number='{number}']")
    row.wait_for(timeout=LIVE_WITHIN_S * 1000)
    seen_after = time.monotonic() - created_at
    assert seen_after < LIVE_WITHIN_S
    assert "P1" in row.inner_text() and "Kranggan" in row.inner_text()
    assert row.locator("[data-referrals]").get_attribute("data-referrals") == "0/2"
    assert board.evaluate("performance.getEntriesByType('navigation').length") == 1  # never reloaded
    board.screenshot(path=str(SHOTS / "calltaker-board-1280x800.png"))

    # The server recorded what the screen showed, from its own clock.
    incident_id = page.locator("[data-result] a[href*='/callcenter/insiden/']").get_attribute("href").split("/")[-2]
    detail = page.request.get(f"{server.url}/api/callcenter/incidents/{incident_id}").json()
    assert detail["number"] == number
    assert (detail["type_code"], detail["priority"], detail["region_code"]) == ("kecelakaan-lalu-lintas", 1, KRANGGAN)
    assert detail["address"] == "Jl. Mojopahit depan pasar"
    assert detail["answers"]["tidak_sadar_terjepit"] is True
    call = detail["calls"][0]
    # Typed after the call opened, the number was put on the call as soon as the field was left.
    assert call["caller_number"] == "+6281234567890"
    assert call["answered_at"] and call["outcome"] == "new_incident"

    # F4 hangs up; F2 starts the next call with an empty form.
    page.keyboard.press("F4")
    page.keyboard.press("F2")
    page.wait_for_selector("[data-calltaker][data-phase='active']")
    assert page.locator("#ct-number").input_value() == ""

    # A second caller reports the same crash: the first incident is offered as a duplicate, and attached.
    page.keyboard.type("081355556666", delay=10)
    page.keyboard.press("Alt+l")
    page.keyboard.type("kranggan", delay=20)
    page.locator("#ct-region-list [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-calltaker][data-location-source='region']", timeout=5000)
    page.keyboard.press("Alt+j")
    page.keyboard.type("kecelakaan lalu", delay=20)
    page.locator("#ct-type-list [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    candidate = page.locator(f"[data-duplicates] li[data-incident-id='{incident_id}']")
    candidate.wait_for(timeout=5000)
    assert number in candidate.inner_text()
    assert page.locator("[data-duplicate-flag]").is_visible()  # said in the call bar too
    page.screenshot(path=str(SHOTS / "calltaker-1280x800-duplicate.png"))
    candidate.locator("button").click()
    page.wait_for_selector("[data-calltaker][data-phase='done']")
    assert page.locator("[data-result]").get_attribute("data-incident-number") == number
    detail = page.request.get(f"{server.url}/api/callcenter/incidents/{incident_id}").json()
    assert [c["outcome"] for c in detail["calls"]] == ["new_incident", "attached"]
    assert board.locator("[data-incident-id]").count() == 1  # still one incident on the board
    assert problems == [], problems
    assert board_problems == [], board_problems
    ctx.close()
    board_ctx.close()


def test_the_screen_works_on_a_phone_and_closes_a_prank_with_one_key(asgi_server, mojokerto, browser):
    server = asgi_server
    ctx, page, problems = _open(browser, server, "penerima.satu", viewport={"width": 360, "height": 740},
                                device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(f"{server.url}/callcenter/")
    page.wait_for_selector("[data-siaga-map][data-state='ready']", timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "calltaker-360x740-idle.png"))
    _take_call(page, number="081298765432", screenshot="360x740")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(SHOTS / "calltaker-360x740-result.png"), full_page=True)

    # Next caller: silence then laughter. Alt+P, pick the reason with its number key, Enter.
    page.keyboard.press("F2")
    page.wait_for_selector("[data-calltaker][data-phase='active']")
    page.keyboard.type("081311112222", delay=10)
    page.keyboard.press("Alt+p")
    dialog = page.locator("[data-reason-dialog]")
    dialog.wait_for(state="visible")
    page.keyboard.press("2")
    page.screenshot(path=str(SHOTS / "calltaker-360x740-prank.png"))
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-calltaker][data-phase='done']")
    assert "iseng" in page.locator("[data-result]").inner_text().lower()  # "Panggilan iseng"
    calls = page.request.get(f"{server.url}/api/callcenter/calls?outcome=prank").json()
    assert calls["count"] == 1
    assert calls["items"][0]["caller_number"] == "+6281311112222"  # counted against the caller's record
    # The second reason of the list, picked with the key "2".
    reasons = page.locator("[data-reason-options] input").evaluate_all("els => els.map(e => e.value)")
    assert calls["items"][0]["outcome_reason"] == reasons[1]

    # The same number twice more, silent: Alt+S, Enter. After three nuisance calls it is flagged.
    for _ in range(2):
        page.keyboard.type("081311112222", delay=5)  # typing a number after a finished call starts the next
        page.wait_for_selector("[data-calltaker][data-phase='active']")
        page.keyboard.press("Alt+s")
        page.locator("[data-reason-dialog]").wait_for(state="visible")
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-calltaker][data-phase='done']")
    # Its next call is answered like any other, with the warning and the record in sight.
    page.keyboard.type("081311112222", delay=5)
    page.wait_for_selector("[data-calltaker][data-phase='active']")
    page.wait_for_selector("[data-history][data-state='flagged']", timeout=5000)
    assert "3" in page.locator("[data-history]").inner_text()
    page.screenshot(path=str(SHOTS / "calltaker-360x740-flagged.png"))
    assert problems == [], problems
    ctx.close()


@pytest.fixture
def history(mojokerto):
    """A week of calls and incidents for the evaluation page, written before Playwright starts."""
    import datetime as dt

    from django.utils import timezone

    from siaga.callcenter.models import IncidentType
    from tests.callcenter.stats_helpers import make_call, make_incident, make_referral

    cc = Organization.objects.get(code="cc112-kota-mojokerto")
    psc = Organization.objects.get(code="psc119-kota-mojokerto")
    crash = IncidentType.objects.get(code="kecelakaan-lalu-lintas")
    now = timezone.now()
    for day in range(6):
        for hour, outcome in ((2, "prank"), (9, "new_incident"), (14, "silent"), (20, "information")):
            started = (now - dt.timedelta(days=day)).replace(hour=hour, minute=5) - dt.timedelta(hours=7)
            call = make_call(cc, started, number=f"+62812000000{day}{hour % 10}", answer_after=8,
                             outcome=outcome if outcome != "new_incident" else "", reason="uji")
            if outcome == "new_incident":
                inc = make_incident(cc, crash, started + dt.timedelta(seconds=70 + 10 * day), priority=1 + day % 3,
                                    region_code=KRANGGAN)
                call.outcome, call.incident = outcome, inc
                call.save()
                make_referral(inc, psc, deadline_after=300, ack_after=60 + 30 * day, commit_after=400 + 60 * day)
    return mojokerto


@pytest.mark.parametrize("width, height", [(360, 740), (1280, 800)])
def test_the_evaluation_charts_draw_under_a_strict_csp(asgi_server, history, browser, width, height):
    ctx, page, problems = _open(browser, asgi_server, "penerima.satu", viewport={"width": width, "height": height})
    page.goto(f"{asgi_server.url}/callcenter/evaluasi/")
    page.wait_for_selector("canvas[data-chart='chart-calls-day'][data-chart-ready]", timeout=10000)
    assert page.locator("canvas[data-chart][data-chart-ready]").count() == page.locator("canvas[data-chart]").count()
    assert page.locator("[data-stat='calls']").inner_text() == "24"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"evaluation-{width}x{height}.png"), full_page=True)
    assert problems == [], problems
    ctx.close()
