"""Scenario 4 end to end (docs SCENARIOS.md): blood running short before Lebaran at the UDD PMI Kota Mojokerto,
from the issue that takes group B below two days of cover to the near-expiry units moved in from Kabupaten
Mojokerto, the donors recalled by SMS, and the public stock board following every change live.

People use pages in real browsers under the strict CSP: a citizen's anonymous stock board, the UDD officer's
stock dashboard (whose shortage alert says what Siaga has prepared by itself), transfers page (the suggestion
already there, nobody having asked for it; taking the shipment in) and recall page (checking the proposed recall
and sending it), the Kabupaten hospital's blood-bank officer's transfers page (planning and sending the suggested
move). What happens off-screen goes through the services: the hospital's request and the UDD's issue that empty
the shelf; the texts leave through the SMS outbox. The story runs at 10:00 WIB today (time-machine, the clock
ticking) so that no run crosses local midnight. All database work runs off the Playwright thread.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from siaga.blood import services
from siaga.blood import services_issue as si
from siaga.blood.models import (
    Component,
    ComponentType,
    DailyUsage,
    Donor,
    RecallCampaign,
    RecallMessage,
    Site,
    StockAlert,
    Transfer,
    TransferSuggestion,
)
from siaga.callcenter.models import OutboundSms
from siaga.core.permissions import actor_for
from tests.blood.conftest import (  # noqa: F401  (fixtures)
    _blood_reference_data,
    blood,
    make_donation,
    make_donor,
    make_units,
    screen_all,
)
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)
from tests.web.conftest import _compiled_catalogues  # noqa: F401  (autouse: Indonesian pages)

time_machine = pytest.importorskip("time_machine")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

D = dt.timedelta
WIB = ZoneInfo("Asia/Jakarta")
# Generous, so a loaded machine cannot make it flaky; a page that needs a reload never satisfies it.
LIVE_MS = 10000
UDD_DAILY_B = 4  # PRC B+ the UDD issued every day of the last eight weeks
# The Kabupaten hospital uses a unit on four days of the week (4/7 a day) and holds six: four will outdate there.
KAB_USE_WEEKDAYS = (0, 2, 4, 6)
KAB_NEAR_EXPIRY_DAYS = (1.5, 2.0, 2.5, 2.75)
KAB_LONG_DAYS = (20, 25)


@pytest.fixture(autouse=True)
def quick(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5
    cache.clear()


@pytest.fixture
def daytime():
    """10:00 WIB today for the whole story (the clock keeps running): eight weeks of use, days of cover and
    expiry dates all count from one local day, so a run that would cross midnight cannot shift them."""
    today = timezone.now().astimezone(WIB).date()
    with time_machine.travel(dt.datetime.combine(today, dt.time(10, 0), tzinfo=WIB), tick=True):
        yield


def _usage(site, abo, rhd, issued_on):
    """Eight weeks of PRC issued at a site before today: issued_on(day) units on each day."""
    ctype = ComponentType.objects.get(code="PRC")
    today = timezone.localdate()
    DailyUsage.objects.bulk_create([
        DailyUsage(organization_id=site.organization_id, region_code=site.region_code, site=site, component_type=ctype,
                   abo=abo, rhd=rhd, date=day, issued=issued_on(day))
        for day in (today - D(days=i) for i in range(1, 57))])


def _donor(make_donor, make_donation, officer, *, name, abo, rhd, phone, donated_days_ago, sex="M", **kw):
    """A donor with a real history: registered, checked, a whole-blood donation, grouped by the laboratory."""
    donor = make_donor(name=name, sex=sex, phone=phone, **kw)
    donation = make_donation(donor=donor, at=timezone.now() - D(days=donated_days_ago))
    screen_all(officer, donation, abo=abo, rhd=rhd)
    return Donor.objects.get(pk=donor.pk)


@pytest.fixture
def lebaran(daytime, asgi_server, blood, make_units, make_donor, make_donation, make_org, make_user):  # noqa: F811
    """The UDD PMI Kota Mojokerto (the blood fixture, with RSUD Wahidin's bank it supplies), the blood bank of
    RSUD Prof. dr. Soekandar in Kabupaten Mojokerto (also supplied by it), eight weeks of use, the shelves,
    and the UDD's donors. Everything is written here, before Playwright starts."""
    Site.objects.filter(pk=blood.udd.pk).update(lat=-7.4722, lng=112.4336)
    kab_org = make_org(kind="hospital", region_code="35.16", name="RSUD Prof. dr. Soekandar")
    kab = Site.objects.create(organization=kab_org, code="bdrs-soekandar", name="BDRS RSUD Soekandar",
                              kind=Site.Kind.HOSPITAL_BANK, region_code="35.16", supplier=blood.udd,
                              lat=-7.5453, lng=112.4992)
    kab_user = make_user("hospital_officer", kab_org, scope_code="35.16")

    _usage(blood.udd, "B", "pos", lambda day: UDD_DAILY_B)
    _usage(kab, "B", "pos", lambda day: 1 if day.weekday() in KAB_USE_WEEKDAYS else 0)
    # The UDD: nine B+ bags (2.25 days of cover: amber), and other groups nobody is short of.
    udd_b = [u for days in range(10, 28, 2) for u in make_units(abo="B", rhd="pos", expires_in=D(days=days))]
    make_units(abo="O", rhd="pos", n=12)
    make_units(abo="A", rhd="pos", n=6)
    # The Kabupaten hospital: six B+ bags; the four soonest will expire before it would use them.
    near = [make_units(site=kab, abo="B", rhd="pos", expires_in=D(days=d))[0] for d in KAB_NEAR_EXPIRY_DAYS]
    long = [make_units(site=kab, abo="B", rhd="pos", expires_in=D(days=d))[0] for d in KAB_LONG_DAYS]

    # The UDD's donors. Only the first two may be texted for B+: interval passed, not deferred, consent given.
    mk = dict(make_donor=make_donor, make_donation=make_donation, officer=blood.officer)
    donors = {
        "budi": _donor(**mk, name="Budi Santoso", abo="B", rhd="pos", phone="081234560001", donated_days_ago=75),
        "sari": _donor(**mk, name="Sari Wulandari", sex="F", abo="B", rhd="pos", phone="081234560002",
                       donated_days_ago=120),
        "joko": _donor(**mk, name="Joko Prasetyo", abo="B", rhd="pos", phone="081234560003", donated_days_ago=30),
        "dewi": _donor(**mk, name="Dewi Lestari", sex="F", abo="B", rhd="pos", phone="081234560004",
                       donated_days_ago=80),
        "agus": _donor(**mk, name="Agus Salim", abo="B", rhd="pos", phone="081234560005", donated_days_ago=90,
                       sms_consent=False),
        "rina": _donor(**mk, name="Rina Marlina", sex="F", abo="A", rhd="pos", phone="081234560006",
                       donated_days_ago=90),
        "tono": _donor(**mk, name="Tono Sugiarto", abo="B", rhd="neg", phone="081234560007", donated_days_ago=90),
    }
    # Dewi had a fever last week: deferred until next week.
    services.defer_donor(blood.officer, donors["dewi"].pk, kind="temporary", reason_code="fever",
                         reason="Demam saat pemeriksaan", ends_on=timezone.localdate() + D(days=7))

    host = asgi_server.url.split("//", 1)[1].split(":")[0]

    def cookie(user):
        return [{"name": "sessionid", "value": client_for(user).cookies["sessionid"].value, "domain": host,
                 "path": "/"}]

    return SimpleNamespace(
        blood=blood, udd=blood.udd, kab=kab, kab_org=kab_org, kab_actor=lambda: actor_for(kab_user),
        udd_b=[u.pk for u in udd_b], near=[u.pk for u in near], long=[u.pk for u in long], donors=donors,
        cookies={"udd": cookie(blood.officer_user), "kab": cookie(kab_user)})


def _page(browser, base, cookies, problems):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    if cookies:
        context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # Live streams are left alone: fetching one whole to add a header would never finish.
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u and "/stok/live" not in u, with_strict_csp)
    return context, page


def _cell(page, site_id, group, *, units, level):
    """The officer's dashboard: wait until the PRC cell of a group shows `units` in the colour `level` (the grid is
    re-read live after stock events, never by reloading the page)."""
    page.wait_for_function(
        """([site, group, n, level]) => {
            const td = document.querySelector(`td[data-site="${site}"][data-type="PRC"][data-group="${group}"]`);
            return td && td.querySelector("strong").textContent.trim() === n
                && td.classList.contains("level--" + level);
        }""", arg=[str(site_id), group, str(units), level], timeout=LIVE_MS)


def _public_cell(page, site_id, group, units, level):
    """The public board's cell, followed by its own stream: wait for the new count and colour (no reload)."""
    page.wait_for_function(
        """([site, group, n, level]) => {
            const td = document.querySelector(`[data-site="${site}"][data-group="${group}"]`);
            return td && td.querySelector("[data-units]").textContent.trim() === n
                && td.classList.contains("level--" + level);
        }""", arg=[str(site_id), group, str(units), level], timeout=LIVE_MS)


def test_blood_running_short_before_lebaran(lebaran, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    w, b = lebaran, lebaran.blood
    problems: list[str] = []
    contexts = []

    # --- 1. A citizen keeps the public stock board open (no login); the UDD officer keeps the dashboard open.
    ctx, board = _page(browser, base, None, problems)
    contexts.append(ctx)
    board.goto(f"{base}/darah/stok/")
    board.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_MS * 2)
    board.evaluate("window.__sameBoard = true")  # gone if the page were ever reloaded
    _public_cell(board, w.udd.pk, "B+", 9, "amber")  # 9 bags at 4 a day: 2.25 days
    _public_cell(board, w.kab.pk, "B+", 6, "green")
    assert board.locator("[data-total='B+']").inner_text() == "15"

    ctx, dash = _page(browser, base, w.cookies["udd"], problems)
    contexts.append(ctx)
    dash.goto(f"{base}/darah/")
    dash.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_MS * 2)
    _cell(dash, w.udd.pk, "B+", units=9, level="amber")
    assert dash.locator(".blood-alerts li", has_text="PRC B+").count() == 0
    assert in_thread(lambda: si.groups_running_short(w.udd)) == []

    # --- 2. Off-screen: RSUD Wahidin asks for two PRC B+ for a crash victim on the homecoming road; the UDD
    # issues the two soonest-expiring bags. Seven left: 1.75 days, below the two-day amber level.
    def request_and_issue():
        req = si.create_request(b.hospital_officer, urgency="cito", patient_name="Korban laka mudik",
                                patient_abo="B", patient_rhd="pos", ward="IGD",
                                lines=[{"component_type": "PRC", "abo": "B", "rhd": "pos", "quantity": 2}])
        issue = si.issue_request(b.officer, req.pk, recipient_kind="courier", recipient_name="Pak Slamet",
                                 signed_by="Slamet", cool_box_temperature_c="4.5")
        return sorted(issue.items.values_list("component_id", flat=True))

    issued = in_thread(request_and_issue)
    assert issued == sorted(w.udd_b[:2])

    # The board redraws B+ at the UDD red, live; the officer's dashboard shows the shortage alert, live.
    _public_cell(board, w.udd.pk, "B+", 7, "red")
    assert board.locator("[data-total='B+']").inner_text() == "13"
    _cell(dash, w.udd.pk, "B+", units=7, level="red")
    alert = dash.locator(".blood-alerts li.level--red", has_text="PRC B+")
    alert.wait_for(timeout=LIVE_MS)
    assert w.udd.name in alert.inner_text()
    # Nobody asked, yet the alert already says what Siaga prepared (live too): one transfer suggestion, and a
    # recall of the two B+ donors who may be texted, proposed and not sent.
    alert.locator("[data-alert-suggestions='1']").wait_for(timeout=LIVE_MS)
    recall_link = alert.locator("[data-alert-recall='draft']")
    recall_link.wait_for(timeout=LIVE_MS)
    recall_href = recall_link.get_attribute("href")

    def shortage():
        alerts = list(StockAlert.objects.filter(site=w.udd, kind=StockAlert.Kind.SHORTAGE, cleared_at__isnull=True)
                      .values_list("abo", "rhd", "level", "details"))
        return alerts, si.groups_running_short(w.udd)

    alerts, short = in_thread(shortage)
    assert [(a, r, lvl) for a, r, lvl, _d in alerts] == [("B", "pos", "red")]
    assert alerts[0][3]["available"] == 7 and alerts[0][3]["days_of_cover"] == 1.75
    assert [(g["group"], g["days_of_cover"]) for g in short] == [("B+", 1.75)]

    def prepared():
        return (list(TransferSuggestion.objects.filter(status="open").values_list("pk", flat=True)),
                list(RecallCampaign.objects.values_list("pk", "status", "recipients", "alert__abo", "alert__rhd")),
                RecallMessage.objects.count(), OutboundSms.objects.filter(kind="blood_recall").count())

    sug_ids, campaigns, queued, texts = in_thread(prepared)
    assert len(sug_ids) == 1 and len(campaigns) == 1
    campaign_id = campaigns[0][0]
    assert campaigns[0][1:] == ("draft", 2, "B", "pos") and (queued, texts) == (0, 0)  # proposed, nobody texted
    assert recall_href == f"/darah/panggil/{campaign_id}/"

    # --- 3. The UDD officer opens the transfers page: what to move where is already there, without clicking
    # "Compute suggestions": the Kabupaten hospital's four near-expiry B+ bags.
    ctx, udd = _page(browser, base, w.cookies["udd"], problems)
    contexts.append(ctx)
    udd.goto(f"{base}/darah/mutasi/")
    udd.wait_for_selector("table[data-suggestions] tr[data-suggestion]", timeout=LIVE_MS)
    rows = udd.locator("table[data-suggestions] tr[data-suggestion]")
    assert rows.count() == 1
    text = rows.first.inner_text()
    assert "BDRS RSUD Soekandar" in text and w.udd.name in text and "4 × PRC B+" in text
    suggestion_id = int(rows.first.get_attribute("data-suggestion"))
    assert suggestion_id == sug_ids[0]

    sug = in_thread(lambda: TransferSuggestion.objects.get(pk=suggestion_id))
    assert (sug.from_site_id, sug.to_site_id, sug.abo, sug.rhd, sug.status) == (w.kab.pk, w.udd.pk, "B", "pos",
                                                                                "open")
    assert sorted(sug.component_ids) == sorted(w.near)  # never the long-dated bags the hospital will use
    d = sug.details
    assert (d["moved"], d["saved"], d["at_risk"], d["below_amber"]) == (4, 4, 4, True)
    assert (d["dest_cover_before"], d["dest_cover_after"]) == (1.75, 2.75)
    assert d["dest_daily_use"] == UDD_DAILY_B and d["source_daily_use"] == pytest.approx(4 / 7, abs=0.01)
    assert d["travel_hours"] > 0

    # --- 4. The same hour, from the alert's link: the officer checks the proposed recall (Budi and Sari only)
    # and sends it with one action; the texts leave through the SMS outbox.
    udd.goto(f"{base}{recall_href}")
    udd.wait_for_selector("[data-recall-status='draft']", timeout=LIVE_MS)
    listed = {int(x) for x in udd.locator("table[data-recall-donors] tr[data-donor]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-donor'))")}
    texted = {w.donors["budi"].pk, w.donors["sari"].pk}
    assert listed == texted
    udd.click("[data-send-recall]")
    udd.wait_for_selector("[data-recall-status='sent']", timeout=LIVE_MS)
    assert udd.locator("table[data-recall-messages] tr[data-message-status='sent']").count() == 2

    def recall():
        campaign = RecallCampaign.objects.get(pk=campaign_id)
        messages = list(RecallMessage.objects.filter(campaign=campaign).values_list("donor_id", "status"))
        sms = list(OutboundSms.objects.filter(kind="blood_recall").values_list("to_number", "text"))
        return campaign, messages, sms

    campaign, messages, sms = in_thread(recall)
    assert campaign.status == "sent" and campaign.sent_by_id == b.officer_user.pk
    assert campaign.recipients == 2 and {m[0] for m in messages} == texted
    assert {m[1] for m in messages} == {RecallMessage.Status.SENT}
    assert sorted(n for n, _t in sms) == sorted(w.donors[k].phone for k in ("budi", "sari"))
    assert all("B+" in t and w.udd.name in t for _n, t in sms)
    # Not texted: Joko (donated 30 days ago), Dewi (deferred), Agus (no SMS consent), Rina (A+), Tono (B−).
    others = {w.donors[k].phone for k in ("joko", "dewi", "agus", "rina", "tono")}
    assert not others & {n for n, _t in sms}
    # Sent twice (a second officer, a re-posted form): nobody is texted again.
    again = in_thread(lambda: (si.send_recall(b.officer, campaign_id).status,
                               OutboundSms.objects.filter(kind="blood_recall").count()))
    assert again == ("sent", 2)

    # --- 5. The Kabupaten hospital's blood-bank officer sees the suggestion, plans it and sends the cool box.
    ctx, kab = _page(browser, base, w.cookies["kab"], problems)
    contexts.append(ctx)
    kab.goto(f"{base}/darah/mutasi/")
    row = kab.locator(f"tr[data-suggestion='{suggestion_id}']")
    row.wait_for(timeout=LIVE_MS)
    row.locator("button[value='accept']").click()
    kab.wait_for_url(re.compile(r".*/darah/mutasi/\d+/$"), timeout=LIVE_MS)
    transfer_id = int(kab.url.rstrip("/").rsplit("/", 1)[1])
    kab.fill("#d-temp", "4.5")
    kab.fill("#courier_name", "Pak Yanto (ambulans RSUD Soekandar)")
    kab.locator("form:has(input[name='action'][value='dispatch']) button[type='submit']").click()
    kab.wait_for_selector("#a-temp, #r-temp", timeout=LIVE_MS)  # the in-transit forms replace the send form

    def shipped():
        t = Transfer.objects.get(pk=transfer_id)
        units = dict(Component.objects.filter(pk__in=w.near + w.long).values_list("pk", "status"))
        return t, sorted(t.items.values_list("component_id", flat=True)), units

    t, items, units = in_thread(shipped)
    assert (t.status, t.from_site_id, t.to_site_id, t.suggestion_id) == ("dispatched", w.kab.pk, w.udd.pk,
                                                                         suggestion_id)
    assert items == sorted(w.near)
    assert all(units[pk] == "in_transit" for pk in w.near) and all(units[pk] == "available" for pk in w.long)
    assert in_thread(lambda: TransferSuggestion.objects.get(pk=suggestion_id).status) == "accepted"
    _public_cell(board, w.kab.pk, "B+", 2, "amber")  # the bags on the road are nobody's stock

    # --- 6. The cool box arrives: the UDD officer takes the bags in on the transfer's page.
    udd.goto(f"{base}/darah/mutasi/{transfer_id}/")
    udd.fill("#a-temp", "5")
    udd.locator("form:has(input[name='action'][value='receive']) button[type='submit']").click()
    udd.wait_for_selector("form:has(input[name='action'][value='receive'])", state="detached", timeout=LIVE_MS)

    def received():
        t = Transfer.objects.get(pk=transfer_id)
        units = list(Component.objects.filter(pk__in=w.near).values_list("site_id", "status"))
        open_alerts = StockAlert.objects.filter(site=w.udd, kind=StockAlert.Kind.SHORTAGE, abo="B", rhd="pos",
                                                cleared_at__isnull=True).count()
        available = Component.objects.filter(site=w.udd, abo="B", rhd="pos", status="available").count()
        return t, units, open_alerts, available

    t, units, open_alerts, available = in_thread(received)
    assert t.status == "received" and set(units) == {(w.udd.pk, "available")}
    assert available == 11 and open_alerts == 0  # 11 bags: 2.75 days, amber again; the shortage alert cleared

    # The citizen's board follows, still the same page: UDD B+ back to amber with 11, the hospital's 2.
    _public_cell(board, w.udd.pk, "B+", 11, "amber")
    _public_cell(board, w.kab.pk, "B+", 2, "amber")
    assert board.locator("[data-total='B+']").inner_text() == "13"
    assert board.evaluate("window.__sameBoard === true")
    assert board.evaluate("performance.getEntriesByType('navigation').length") == 1
    # And the officer's dashboard, live too: the alert is gone.
    _cell(dash, w.udd.pk, "B+", units=11, level="amber")
    dash.locator(".blood-alerts li", has_text="PRC B+").wait_for(state="detached", timeout=LIVE_MS)

    assert problems == [], problems
    for c in contexts:
        c.close()
