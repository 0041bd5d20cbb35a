"""Scenario 1 end to end (docs SCENARIOS.md): a motorcycle accident in Kota Mojokerto, from the 112 call to the blood
bags and the evaluation, across call center, dispatch, hospitals and blood, so that a break at any seam fails here.

People use pages in real browsers under the strict CSP (call-taker, dispatcher console, crew phone, hospital blood
request, UDD issue); what happens off-screen (the second caller, the agencies' acknowledgements, live positions)
goes through the services. All database work runs off the Playwright thread.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from siaga.callcenter import duplicates, referrals
from siaga.callcenter import services as cc
from siaga.callcenter import stats as cc_stats
from siaga.callcenter.models import Call, Incident, Referral, TimelineEntry
from siaga.core.permissions import actor_for, system_actor
from siaga.dispatch import hospitals
from siaga.dispatch import stats as dispatch_stats
from siaga.dispatch.models import CrewMember, Dispatch
from siaga.dispatch.positions import record_positions
from siaga.geo.models import Region
from siaga.geo.search import normalize
from tests.blood.conftest import _blood_reference_data, blood, make_units  # noqa: F401  (fixtures)
from tests.browser.test_calltaker_browser import _take_call
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.dispatch.conftest import fleet, member, put_on_shift, taxonomy  # noqa: F401  (fixtures)
from tests.servers import asgi_server  # noqa: F401  (fixture)
from tests.web.conftest import _compiled_catalogues  # noqa: F401  (autouse: Indonesian pages)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

KELURAHAN_FILE = "regions/kel_kota_mojokerto_3576.geojson"
KRANGGAN = "35.76.03.1001"
# Generous, so a loaded machine cannot make it flaky; a page that needs a reload never satisfies it.
LIVE_MS = 10000


@pytest.fixture(autouse=True)
def quick(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5
    cache.clear()


def _load_kota_mojokerto() -> None:
    """Kota Mojokerto's kelurahan with their boundaries and centres, so "kranggan" finds a place on the map."""
    path = Path(settings.DATA_DIR) / KELURAHAN_FILE
    if not path.exists():
        pytest.skip(f"{path} not available")
    Region.objects.filter(code="35.76").update(lat=-7.47, lng=112.434)
    for f in json.loads(path.read_text())["features"]:
        p = f["properties"]
        Region.objects.update_or_create(
            code=p["kode"],
            defaults={"name": p["nama"], "level": 4, "parent_id": p["kode"].rsplit(".", 1)[0],
                      "boundary": f["geometry"], "lat": p.get("lat"), "lng": p.get("lng"),
                      "search_key": normalize(p["nama"])})


def _hospital_at(org, name, lat, lng, **capacity):
    org.name, org.lat, org.lng = name, lat, lng
    org.save(update_fields=["name", "lat", "lng"])
    beds = {"emergency_beds_total": 8, "icu_beds_total": 2, "operating_theatres_total": 1}
    hospitals.update_capacity(system_actor(), org.pk, accepting=True, **beds, **capacity)
    return org


@pytest.fixture
def world(asgi_server, fleet, blood, make_units, make_org):  # noqa: F811
    """Kota Mojokerto as in the demo: Call Center 112, PSC 119 (with PMI's ambulances, from the dispatch fixture),
    the police, three hospitals (one full, right by the scene), the UDD PMI with its stock (from the blood
    fixture). Everything is written here, before Playwright starts."""
    _load_kota_mojokerto()
    center = make_org(kind="cc112", region_code="35.76", name="Call Center 112 Kota Mojokerto")
    police = make_org(kind="police", region_code="35.76", name="Polres Mojokerto Kota")
    users = {
        "call_taker": member("call_taker", center, "35.76", "penerima-112-kota"),
        "psc_liaison": member("agency_liaison", fleet.psc, "35.76", "piket-psc119"),
        "police_liaison": member("agency_liaison", police, "35.76", "piket-polres"),
        "crew2": member("ambulance_crew", fleet.pmi, "35.76", "kru-amb02"),
    }
    # AMB-02 is crewed too, so the recommendation has to choose between two units by their live positions.
    driver2 = CrewMember.objects.create(organization=fleet.pmi, name="Hendra", qualifications=["driver"])
    nurse2 = CrewMember.objects.create(organization=fleet.pmi, name="Dewi", qualifications=["nurse"],
                                       user=users["crew2"])
    put_on_shift(fleet.amb2, (driver2, "driver"), (nurse2, "nurse"))

    # The hospitals around the scene (the kelurahan's centre, -7.4794 112.4356). RS Penuh is nearest but its
    # emergency department is full; RSUD Wahidin (the blood fixture's hospital, with its blood bank) is next.
    full = make_org(kind="hospital", region_code="35.76", name="RS Penuh")
    _hospital_at(full, "RS Penuh", -7.4790, 112.4366, emergency_beds_free=0)
    rsud = _hospital_at(blood.hospital, "RSUD Dr. Wahidin Sudiro Husodo", -7.4751, 112.4455, emergency_beds_free=3)
    far = _hospital_at(fleet.hospital, "RS Gatoel", -7.4600, 112.4300, emergency_beds_free=5)

    # The UDD's PRC stock: two O+ bags expiring soonest must go; never the expired, the quarantined or the A+ one.
    soon = make_units(abo="O", rhd="pos", n=1, expires_in=dt.timedelta(days=2))
    soon += make_units(abo="O", rhd="pos", n=1, expires_in=dt.timedelta(days=4))
    late = make_units(abo="O", rhd="pos", n=1, expires_in=dt.timedelta(days=30))
    expired = make_units(abo="O", rhd="pos", n=1, expires_in=-dt.timedelta(days=1))
    quarantined = make_units(abo="O", rhd="pos", n=1, expires_in=dt.timedelta(days=1), status="quarantine")
    other_group = make_units(abo="A", rhd="pos", n=1, expires_in=dt.timedelta(days=1))

    host = asgi_server.url.split("//", 1)[1].split(":")[0]

    def cookie(user):
        return [{"name": "sessionid", "value": client_for(user).cookies["sessionid"].value, "domain": host,
                 "path": "/"}]

    cookies = {"call_taker": cookie(users["call_taker"]), "dispatcher": cookie(fleet.users["dispatcher"]),
               "crew": cookie(fleet.users["crew"]), "hospital": cookie(blood.hospital_user),
               "udd": cookie(blood.officer_user)}
    return SimpleNamespace(
        fleet=fleet, blood=blood, center=center, police=police, users=users, cookies=cookies,
        full=full, rsud=rsud, far=far, soon=[u.pk for u in soon], late=late[0].pk, expired=expired[0].pk,
        quarantined=quarantined[0].pk, other_group=other_group[0].pk,
        actor=lambda name: actor_for(users[name]))


def _page(browser, base, cookies, problems, *, phone=False):  # noqa: F811
    if phone:
        context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="id-ID", timezone_id="Asia/Jakarta",
                                      service_workers="block")
    else:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # Live streams are left alone: fetching one whole to add a header would never finish.
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u and "/stok/live" not in u, with_strict_csp)
    return context, page


def _crew_tap(page, step, then):
    page.locator(f"[data-testid=crew-step-{step}]").tap()
    page.wait_for_selector(f"[data-testid=crew-status][data-status={then}]", timeout=LIVE_MS)
    # Sent, not only queued on the phone.
    page.wait_for_function("""() => {
        const b = document.querySelector('[data-testid=crew-offline]');
        return b.dataset.waiting === '0' && b.hidden;
    }""", timeout=LIVE_MS * 2)


def test_a_motorcycle_accident_in_kota_mojokerto(world, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    w, fleet = world, world.fleet
    amb1, amb2 = fleet.amb1.pk, fleet.amb2.pk
    problems: list[str] = []
    contexts = []

    # --- 1. 07:10, a rider calls 112 from a number with no history: the call-taker makes a P1 traffic accident.
    ctx, ct = _page(browser, base, w.cookies["call_taker"], problems)
    contexts.append(ctx)
    ct.goto(f"{base}/callcenter/")
    ct.wait_for_selector("[data-siaga-map][data-state='ready']", timeout=15000)
    # _take_call asserts the number has no history, "kranggan" finds the kelurahan, P2 becomes P1 on a yes.
    number = _take_call(ct, number="081234567890")

    def first_incident():
        inc = Incident.objects.select_related("type").get(number=number)
        call = Call.objects.get(incident=inc)
        return inc, call

    incident, first_call = in_thread(first_incident)
    assert (incident.type.code, incident.priority, incident.suggested_priority) == ("kecelakaan-lalu-lintas", 1, 1)
    assert (incident.region_code, incident.organization_id) == (KRANGGAN, w.center.pk)
    assert incident.lat is not None and incident.lng is not None
    assert (first_call.outcome, first_call.caller_number) == ("new_incident", "+6281234567890")
    scene = (incident.lat, incident.lng)

    # --- 2. Two minutes later a second caller: the duplicate check proposes the first incident; attached.
    def second_call():
        a = w.actor("call_taker")
        call = cc.start_call(a, channel="phone", caller_number="081355556666")
        cc.answer_call(a, call.pk)
        hits = duplicates.check_report(a, type_code="kecelakaan-lalu-lintas", region_code=KRANGGAN,
                                       text="motor jatuh di Jl. Mojopahit", caller_number="081355556666")
        cc.attach_call(a, call.pk, hits[0]["incident_id"])
        outcomes = list(Call.objects.filter(incident_id=incident.pk).order_by("started_at")
                        .values_list("outcome", flat=True))
        return hits, outcomes, Incident.objects.filter(organization=w.center).count()

    hits, outcomes, n_incidents = in_thread(second_call)
    assert hits[0]["incident_id"] == incident.pk and hits[0]["number"] == number
    assert outcomes == ["new_incident", "attached"] and n_incidents == 1

    # --- 3. Referred to PSC 119 and the police by the routing; both acknowledge within their deadlines.
    def acknowledge_both():
        refs = {r.agency_id: r for r in Referral.objects.filter(incident_id=incident.pk)}
        reasons = {e.data["referral_id"]: e.data["reason"]
                   for e in TimelineEntry.objects.filter(incident_id=incident.pk, kind="referral.requested")}
        routed = {agency: reasons[r.pk] for agency, r in refs.items()}
        referrals.acknowledge(w.actor("psc_liaison"), refs[fleet.psc.pk].pk)
        referrals.acknowledge(w.actor("police_liaison"), refs[w.police.pk].pk)
        return routed, list(Referral.objects.filter(incident_id=incident.pk))

    routed, refs = in_thread(acknowledge_both)
    assert routed == {fleet.psc.pk: "default:psc119", w.police.pk: "default:police"}
    assert len(refs) == 2
    for ref in refs:
        assert ref.status == "acknowledged" and ref.acknowledged_at <= ref.ack_deadline, ref

    # --- 4. Live positions: AMB-01 a hundred metres from the scene, AMB-02 across town. The PSC 119 dispatcher
    # asks for the recommendation; AMB-01 comes first (fastest) and is assigned.
    def positions():
        now = timezone.now().isoformat()
        record_positions(actor_for(fleet.users["crew"]), amb1,
                         [{"lat": scene[0] + 0.0008, "lng": scene[1] + 0.0004, "measured_at": now}])
        record_positions(w.actor("crew2"), amb2, [{"lat": -7.4610, "lng": 112.4240, "measured_at": now}])

    in_thread(positions)
    ctx, crew = _page(browser, base, w.cookies["crew"], problems, phone=True)
    contexts.append(ctx)
    crew.goto(f"{base}/dispatch/kru/")
    crew.wait_for_selector("[data-testid='crew-status']:not([data-status=''])", timeout=LIVE_MS)
    crew.wait_for_selector("[data-crew-live]:not(:empty)", timeout=LIVE_MS)
    assert crew.locator("[data-testid='crew-alert']").is_hidden()

    ctx, console = _page(browser, base, w.cookies["dispatcher"], problems)
    contexts.append(ctx)
    console.goto(f"{base}/dispatch/")
    console.wait_for_selector("[data-console][data-live='true']", timeout=LIVE_MS)
    row = console.locator(f"[data-testid='incident-{incident.pk}']")
    row.wait_for(timeout=LIVE_MS)
    assert number in row.inner_text()
    console.click(f"[data-testid='recommend-{incident.pk}']")
    console.wait_for_selector(f"[data-testid='assign-{amb1}']", timeout=LIVE_MS)
    console.wait_for_selector(f"[data-testid='assign-{amb2}']", timeout=LIVE_MS)
    ranked = console.eval_on_selector_all("[data-rec-body] tr[data-rec-unit]",
                                          "els => els.map(e => e.dataset.recUnit)")
    assert ranked[0] == str(amb1) and ranked.index(str(amb2)) > 0, ranked
    console.click(f"[data-testid='assign-{amb1}']")
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='alerted']", timeout=LIVE_MS)

    # --- 5. The crew's phone rings; one tap acknowledges; en route, on scene. The route is drawn.
    crew.wait_for_selector("[data-testid='crew-alert']", state="visible", timeout=LIVE_MS)
    crew.locator("[data-testid='crew-ack']").tap()
    crew.wait_for_selector("[data-testid='crew-status'][data-status='acknowledged']", timeout=LIVE_MS)
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='acknowledged']", timeout=LIVE_MS)
    crew.wait_for_selector(".crew-map .leaflet-overlay-pane path", timeout=LIVE_MS)
    _crew_tap(crew, "en_route", "en_route")
    _crew_tap(crew, "on_scene", "on_scene")
    console.wait_for_selector(f"[data-testid='unit-status-{amb1}'][data-status='on_scene']", timeout=LIVE_MS)

    # --- 6. The hospital with free emergency beds nearest by road is suggested (no road network in Mojokerto:
    # flagged estimates); the full one, nearer, comes after. The crew's phone proposes it; transport, hand-over.
    suggestion = in_thread(lambda: hospitals.suggest_destinations(fleet.actor("dispatcher"), *scene))
    rows = suggestion["hospitals"]
    names = [r["name"] for r in rows]
    available = [r for r in rows if r["available"]]
    assert [r["organization_id"] for r in available] == [w.rsud.pk, w.far.pk], names
    assert all(r["estimate"] for r in available)
    assert available[0]["eta_seconds"] <= available[1]["eta_seconds"]
    full = next(r for r in rows if r["organization_id"] == w.full.pk)
    assert (full["available"], full["reason"]) == (False, "full")
    assert names.index("RS Penuh") > names.index("RS Gatoel")
    crew.wait_for_selector(f"[data-crew-dest-select] option[value='{w.rsud.pk}']", state="attached",
                           timeout=LIVE_MS)
    assert crew.input_value("[data-crew-dest-select]") == str(w.rsud.pk)  # the best is preselected
    _crew_tap(crew, "transporting", "transporting")
    _crew_tap(crew, "at_hospital", "at_hospital")
    _crew_tap(crew, "handover_done", "handover_done")
    assert crew.locator("[data-crew-handover]").is_visible()
    dispatch = in_thread(lambda: Dispatch.objects.get(incident_id=incident.pk))
    assert (dispatch.unit_id, dispatch.status, dispatch.destination_id) == (amb1, "handover_done", w.rsud.pk)
    assert dispatch.acknowledged_by_id == fleet.users["crew"].pk

    # --- 7. The hospital asks the UDD PMI Kota Mojokerto for two PRC O+; the UDD issues the soonest-expiring.
    ctx, udd = _page(browser, base, w.cookies["udd"], problems)
    contexts.append(ctx)
    udd.goto(f"{base}/darah/permintaan/")
    udd.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_MS)
    ctx, ward = _page(browser, base, w.cookies["hospital"], problems, phone=True)
    contexts.append(ctx)
    ward.goto(f"{base}/darah/permintaan/baru/")
    ward.fill("#patient_name", "Korban laka " + number)
    ward.fill("#patient_mrn", "RM-2026-0710")
    ward.select_option("#group", "O|pos")
    ward.select_option("#type_0", "PRC")
    ward.fill("#qty_0", "2")
    ward.fill("#ward", "IGD")
    ward.click("[data-submit-request]")
    ward.wait_for_url(re.compile(r".*/darah/permintaan/\d+/$"), timeout=LIVE_MS)
    request_id = int(ward.url.rstrip("/").rsplit("/", 1)[1])

    from siaga.blood.models import BloodRequest, Component, IssueItem

    req = in_thread(lambda: BloodRequest.objects.select_related("supplier_site", "organization").get(pk=request_id))
    assert req.organization_id == w.rsud.pk and req.supplier_site_id == w.blood.udd.pk
    udd.wait_for_selector(f"[data-request-id='{request_id}']", timeout=LIVE_MS)  # arrives live
    udd.click(f"[data-request-id='{request_id}'] a")
    udd.wait_for_selector("[data-plan]")
    planned = sorted(int(x) for x in udd.eval_on_selector_all("[data-plan-unit]",
                                                            "els => els.map(e => e.dataset.planUnit)"))
    assert planned == sorted(w.soon)
    udd.fill("#recipient_name", "Pak Slamet (kurir RSUD)")
    udd.fill("#signed_by", "Slamet")
    udd.fill("#cool_box_temperature_c", "4.5")
    pad = udd.locator("[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    udd.mouse.move(box["x"] + 20, box["y"] + 60)
    udd.mouse.down()
    udd.mouse.move(box["x"] + 120, box["y"] + 30, steps=5)
    udd.mouse.move(box["x"] + 220, box["y"] + 80, steps=5)
    udd.mouse.up()
    udd.click("[data-issue-button]")
    udd.wait_for_selector("[data-just-issued] [data-issued-unit]", timeout=LIVE_MS)
    shown = sorted(int(x) for x in udd.eval_on_selector_all("[data-just-issued] [data-issued-unit]",
                                                          "els => els.map(e => e.dataset.issuedUnit)"))
    assert shown == sorted(w.soon)
    ward.wait_for_selector("[data-request-status='issued']", timeout=LIVE_MS)  # the hospital sees it live

    def stock():
        issued = sorted(IssueItem.objects.filter(issue__request_id=request_id).values_list("component_id", flat=True))
        status = dict(Component.objects.values_list("pk", "status"))
        return issued, status

    issued, status = in_thread(stock)
    assert issued == sorted(w.soon)
    for pk in (w.late, w.expired, w.other_group):
        assert status[pk] == "available", pk
    assert status[w.quarantined] == "quarantine"

    # --- 8. The evaluation shows every interval of this incident from the system's own timestamps.
    def figures():
        d = Dispatch.objects.select_related("incident").get(incident_id=incident.pk)
        da = fleet.actor("dispatcher")
        drows = dispatch_stats.dispatch_rows(dispatch_stats.dispatches_in(da, dispatch_stats.parse_filters(da, {})))
        ca = w.actor("call_taker")
        crows = cc_stats.incident_rows(cc_stats.incidents_in(ca, cc_stats.parse_filters(ca, {})))
        return d, Call.objects.get(pk=first_call.pk), drows, crows

    d, call, drows, crows = in_thread(figures)
    drow = next(r for r in drows if r["id"] == d.pk)
    expected = {
        "alert_to_ack": (d.alerted_at, d.acknowledged_at), "turnout": (d.acknowledged_at, d.en_route_at),
        "travel": (d.en_route_at, d.on_scene_at), "on_scene": (d.on_scene_at, d.transporting_at),
        "transport": (d.transporting_at, d.at_hospital_at), "handover": (d.at_hospital_at, d.handover_done_at),
        "call_to_scene": (d.incident.created_at, d.on_scene_at),
    }
    for name, (start, end) in expected.items():
        assert start is not None and end is not None and start <= end, name
        assert drow[f"{name}_seconds"] == pytest.approx((end - start).total_seconds()), name
    assert drow["first_on_scene"] is True and drow["call_sign"] == "AMB-01"
    crow = next(r for r in crows if r["id"] == incident.pk)
    assert call.answered_at is not None and call.answered_at <= incident.created_at
    assert crow["answer_to_create_seconds"] == pytest.approx((incident.created_at - call.answered_at).total_seconds())
    first_ack = min(r.acknowledged_at for r in refs)
    assert crow["create_to_dispatch_seconds"] == pytest.approx((first_ack - incident.created_at).total_seconds())
    assert (crow["referrals_total"], crow["referrals_acknowledged"]) == (2, 2)

    assert problems == [], problems
    for c in contexts:
        c.close()
