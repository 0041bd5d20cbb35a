"""Scenario 5 end to end (docs SCENARIOS.md): a posyandu day in Kelurahan Wonorejo, Kota Pekanbaru, from the kader's
phone to the puskesmas dashboard and its follow-up list, and a birth from the puskesmas to Dukcapil's register.

People use pages in real browsers under the strict CSP: the kader opens the posyandu day and records on a 360-px
phone; the puskesmas midwife (health_worker) watches the PWS dashboard of the kecamatan and of the kelurahan, opens
the follow-up list and notifies a birth; the Dukcapil officer registers it from the queue. Of the 40 children,
8 (the five flagged ones among them) are typed on the kader's phone; the other 32 are recorded by a second kader
through the same API the page posts to (POST /api/health/sessions/{id}/measurements, which calls
services.record_measurement), so the browser part stays short. What happened before the day (registrations,
last months' weighings, the immunisation cards) goes through the services. All database work runs off the
Playwright thread.

The flagged children are chosen from the WHO 2006 tables (settings.DATA_DIR/growth/who2006) read here directly:
three are severely stunted (length/height-for-age z = -3.4 to -3.6, so the follow-up list, which names severe
stunting, lists them), two did not gain weight for the second month running (2T: gains of 100 g against the
KMS minimum of 200 g). Every child's card is complete, so the immunisation rules add nobody to the list.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation

from siaga.core.permissions import actor_for, system_actor
from siaga.geo.models import Region
from siaga.geo.search import normalize
from siaga.health import lifecycle, pws, services, services_lifecycle
from siaga.health.models import Measurement, Session
from siaga.health.models_vital import VitalEvent
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.health.conftest import _fast_passwords, make_nik  # noqa: F401  (autouse fixture)
from tests.health.pws.conftest import _empty_pws_cache  # noqa: F401  (autouse fixture)
from tests.servers import asgi_server  # noqa: F401  (fixture)
from tests.web.conftest import _compiled_catalogues  # noqa: F401  (autouse: Indonesian pages)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

KELURAHAN_FILE = "regions/kel_kota_pekanbaru_1471.geojson"
REGIONS_FILE = "regions/wilayah_kemendagri_2025.csv"
PEKANBARU = "14.71"
MARPOYAN_DAMAI = "14.71.09"
WONOREJO = "14.71.09.1004"
TANGKERANG_TENGAH = "14.71.09.1002"
NIK_DISTRICT = "147109"  # NIKs issued in Marpoyan Damai
WIB = ZoneInfo("Asia/Jakarta")
# Generous, so a loaded machine cannot make it flaky; a page that needs a reload never satisfies it.
LIVE_MS = 10000


@pytest.fixture(autouse=True)
def quick(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5
    cache.clear()


# --- the WHO 2006 tables, read here without the growth module ----------------------------------------------


@lru_cache(maxsize=None)
def _who_table(name: str) -> dict:
    path = Path(settings.DATA_DIR) / "growth" / "who2006" / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} not available")
    return json.loads(path.read_text())


def _lms(name: str, sex: str, x: float, step: float) -> tuple[float, float, float]:
    rows = _who_table(name)[sex]
    k = int(round((x - rows["i"][0]) / step))
    assert abs(rows["i"][k] - x) < 1e-6, (name, x)
    return rows["l"][k], rows["m"][k], rows["s"][k]


def _height_cm(sex, age_days, z) -> float:
    """Length/height at z SD for the age, to the millimetre a kader reads (L = 1 for this indicator)."""
    l, m, s = _lms("day_lhfa", sex, age_days, 1)  # noqa: E741
    assert l == 1
    return round(m * (1 + z * s), 1)


def _z_height(sex, age_days, cm) -> float:
    _l, m, s = _lms("day_lhfa", sex, age_days, 1)
    return (cm / m - 1) / s


def _wflh_table(age_days) -> str:
    return "day_wfl" if age_days < 731 else "day_wfh"  # lying below two years, standing from two


def _weight_kg(sex, age_days, cm, z) -> float:
    """Weight at z SD for the length/height (LMS), to the 100 g of a dacin scale."""
    l, m, s = _lms(_wflh_table(age_days), sex, cm, 0.1)  # noqa: E741
    return round(m * (1 + l * s * z) ** (1 / l), 1)


def _z_weight(sex, age_days, cm, kg) -> float:
    l, m, s = _lms(_wflh_table(age_days), sex, cm, 0.1)  # noqa: E741
    return ((kg / m) ** l - 1) / (l * s)


# --- the children of Posyandu Melati -------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    sex: str
    age_days: int  # on the posyandu day
    flag: str  # "", "stunted" or "2T"
    z_height: float
    z_weight: float  # weight-for-length/height
    on_page: bool = False
    person_id: int | None = None
    cm: float = 0.0
    kg: float = 0.0
    last_month_kg: float = 0.0
    two_months_ago_kg: float | None = None

    @property
    def typed(self) -> tuple[str, str]:
        return f"{self.kg:.1f}".replace(".", ","), f"{self.cm:.1f}".replace(".", ",")


FLAGGED = [
    Child("Muhammad Rafa", "M", 700, "stunted", -3.5, -0.5),
    Child("Nayla Putri", "F", 1000, "stunted", -3.4, -0.4),
    Child("Dimas Pratama", "M", 1400, "stunted", -3.6, -0.3),
    Child("Bilqis Azzahra", "F", 620, "2T", -0.6, -1.2),
    Child("Fadli Ramadhan", "M", 1100, "2T", -0.4, -1.3),
]
ON_PAGE = [("Aisyah Humaira", "F", 450), ("Zaki Alfarizi", "M", 820), ("Salsabila Ramadhani", "F", 1250)]
OTHERS = [
    ("Abdul Hafiz", "M"), ("Adinda Safitri", "F"), ("Ahmad Fauzan", "M"), ("Alya Nurhaliza", "F"),
    ("Arkan Maulana", "M"), ("Azka Pratama", "M"), ("Cahaya Ramadhani", "F"), ("Daffa Alfarizi", "M"),
    ("Dinda Lestari", "F"), ("Fathan Hidayat", "M"), ("Ghina Aulia", "F"), ("Hafizah Nur", "F"),
    ("Ilham Saputra", "M"), ("Intan Permata", "F"), ("Kayla Azzahra", "F"), ("Khairul Anam", "M"),
    ("Laila Fitri", "F"), ("Muhammad Alif", "M"), ("Nabila Syafira", "F"), ("Naufal Rizky", "M"),
    ("Putri Ayu", "F"), ("Qaila Zahra", "F"), ("Raffi Ahmad", "M"), ("Rizky Firmansyah", "M"),
    ("Sakinah Mawaddah", "F"), ("Syakira Humaira", "F"), ("Tegar Wijaya", "M"), ("Ulya Rahmah", "F"),
    ("Wahyu Hidayat", "M"), ("Yusuf Akbar", "M"), ("Zahra Aulia", "F"), ("Zidan Maulana", "M"),
]


def _cast() -> list[Child]:
    """40 children of 13 to 55 months: the five flagged, three more typed on the phone, 32 of ordinary size."""
    children = [replace(c) for c in FLAGGED]
    children += [Child(n, s, a, "", 0.4, 0.2, on_page=True) for n, s, a in ON_PAGE]
    for i, (n, s) in enumerate(OTHERS):
        children.append(Child(n, s, 400 + (i * 41) % 1290, "", ((i * 3) % 7 - 3) * 0.4, ((i * 2) % 5 - 2) * 0.3))
    for c in children:
        c.on_page = c.on_page or bool(c.flag)
        c.cm = _height_cm(c.sex, c.age_days, c.z_height)
        c.kg = _weight_kg(c.sex, c.age_days, c.cm, c.z_weight)
        if c.flag == "2T":  # +100 g, then +100 g: below the 200 g minimum twice
            c.last_month_kg, c.two_months_ago_kg = round(c.kg - 0.1, 1), round(c.kg - 0.2, 1)
        else:  # +300 g since last month: gained (N)
            c.last_month_kg = round(c.kg - 0.3, 1)
    assert len(children) == 40 and len({c.name for c in children}) == 40
    return children


# --- Kota Pekanbaru ------------------------------------------------------------------------------------------


def _load_kota_pekanbaru() -> None:
    """Riau, Kota Pekanbaru and its kecamatan (Kemendagri 2025), and its 83 kelurahan with their boundaries."""
    path = Path(settings.DATA_DIR) / KELURAHAN_FILE
    names = Path(settings.DATA_DIR) / REGIONS_FILE
    if not path.exists() or not names.exists():
        pytest.skip(f"{path} or {names} not available")
    with open(names, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split(",")
            code, name, level = parts[0], ",".join(parts[1:-1]), parts[-1]
            if code == "14" or code == PEKANBARU or (code.startswith(PEKANBARU + ".") and level == "3"):
                Region.objects.update_or_create(code=code, defaults={
                    "name": name, "level": int(level), "parent_id": code.rsplit(".", 1)[0] if "." in code else None,
                    "search_key": normalize(name)})
    for f in json.loads(path.read_text())["features"]:
        p = f["properties"]
        Region.objects.update_or_create(
            code=p["kode"],
            defaults={"name": p["nama"], "level": 4, "parent_id": p["kode"].rsplit(".", 1)[0],
                      "boundary": f["geometry"], "lat": p.get("lat"), "lng": p.get("lng"),
                      "search_key": normalize(p["nama"])})


def _immunise_on_schedule(actor, person) -> None:
    """Every dose of the national schedule due before today, given on the day it fell due: a complete card."""
    today = services.today_local()
    for entry in lifecycle.SCHEDULE:
        due = lifecycle.add_months(person.birth_date, entry.due_months)
        if due < today:
            services_lifecycle.record_immunisation(actor, person_id=person.pk, vaccine=entry.vaccine,
                                                   dose_number=entry.dose, given_on=due)


@pytest.fixture
def world(asgi_server, make_org, make_user):  # noqa: F811
    """Puskesmas Marpoyan Damai with Posyandu Melati in Wonorejo (40 children under five, weighed last month) and
    Posyandu Kenanga in Tangkerang Tengah (one severely stunted child, who is not Wonorejo's), the kader, the
    puskesmas midwife, and Dukcapil Kota Pekanbaru. Everything is written here, before Playwright starts."""
    # One transaction for the whole history: each service call inside is a savepoint, not a disk commit.
    with transaction.atomic():
        return _build_world(asgi_server, make_org, make_user)


def _build_world(asgi_server, make_org, make_user):  # noqa: F811
    _load_kota_pekanbaru()
    puskesmas = make_org(kind="puskesmas", region_code=MARPOYAN_DAMAI, name="Puskesmas Marpoyan Damai")
    melati_org = make_org(kind="posyandu", region_code=WONOREJO, parent=puskesmas, name="Posyandu Melati")
    kenanga_org = make_org(kind="posyandu", region_code=TANGKERANG_TENGAH, parent=puskesmas,
                           name="Posyandu Kenanga")
    dukcapil = make_org(kind="dukcapil", region_code=PEKANBARU, name="Dinas Dukcapil Kota Pekanbaru")
    admin = system_actor()
    melati = services.create_posyandu(admin, organization_id=melati_org.pk, name="Posyandu Melati",
                                      region_code=WONOREJO, schedule_week_of_month=2, schedule_weekday=2)
    kenanga = services.create_posyandu(admin, organization_id=kenanga_org.pk, name="Posyandu Kenanga",
                                       region_code=TANGKERANG_TENGAH, schedule_day_of_month=12)
    users = {
        "kader": make_user("kader", melati_org, scope_code=WONOREJO, username="kader-melati"),
        "kader2": make_user("kader", melati_org, scope_code=WONOREJO, username="kader-melati-2"),
        "kenanga": make_user("kader", kenanga_org, scope_code=TANGKERANG_TENGAH, username="kader-kenanga"),
        "midwife": make_user("health_worker", puskesmas, scope_code=MARPOYAN_DAMAI, username="bidan-marpoyan"),
        "cro": make_user("civil_registration_officer", dukcapil, scope_code=PEKANBARU, username="capil-pekanbaru"),
    }
    kader = actor_for(users["kader"])
    today = services.today_local()
    children = _cast()
    for c in children:
        birth = today - dt.timedelta(days=c.age_days)
        person = services.register_person(kader, posyandu_id=melati.pk, name=c.name, sex=c.sex, birth_date=birth,
                                          nik=make_nik(birth, c.sex, district=NIK_DISTRICT))
        c.person_id = person.pk
        _immunise_on_schedule(kader, person)
        if c.two_months_ago_kg is not None:
            services.record_measurement(kader, person_id=person.pk, measured_on=lifecycle.add_months(today, -2),
                                        weight_g=round(c.two_months_ago_kg * 1000))
        services.record_measurement(kader, person_id=person.pk, measured_on=lifecycle.add_months(today, -1),
                                    weight_g=round(c.last_month_kg * 1000))

    # Kenanga's child: severely stunted, measured today, on the kecamatan's figures but never on Wonorejo's list.
    cm = _height_cm("M", 900, -3.5)
    kg = _weight_kg("M", 900, cm, -0.5)
    kenanga_kader = actor_for(users["kenanga"])
    birth = today - dt.timedelta(days=900)
    rizal = services.register_person(kenanga_kader, posyandu_id=kenanga.pk, name="Rizal Kurniawan", sex="M",
                                     birth_date=birth, nik=make_nik(birth, "M", district=NIK_DISTRICT))
    m = services.record_measurement(kenanga_kader, person_id=rizal.pk, measured_on=today, weight_g=round(kg * 1000),
                                    length_height_mm=round(cm * 10), position="standing")
    assert m.category_lhfa == "severely_stunted"

    host = asgi_server.url.split("//", 1)[1].split(":")[0]

    def cookie(user):
        return [{"name": "sessionid", "value": client_for(user).cookies["sessionid"].value, "domain": host,
                 "path": "/"}]

    return SimpleNamespace(
        melati=melati, kenanga=kenanga, puskesmas=puskesmas, dukcapil=dukcapil, users=users, children=children,
        rizal=rizal.pk, today=today, kader2_client=client_for(users["kader2"]),
        cookies={name: cookie(users[name]) for name in ("kader", "midwife", "cro")})


# --- browser helpers -----------------------------------------------------------------------------------------


def _context(browser, base, cookies, problems, *, phone=False):  # noqa: F811
    if phone:
        context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, locale="id-ID", timezone_id="Asia/Jakarta",
                                      service_workers="block")
    else:
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID",
                                      timezone_id="Asia/Jakarta")
    context.add_cookies(cookies)

    def watch(page):
        page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))

    context.on("page", watch)
    # Live streams are left alone: fetching one whole to add a header would never finish.
    context.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context


def _measure_on_phone(page, child: Child) -> None:
    weight, length = child.typed
    page.click(f"[data-child='{child.person_id}']")
    page.wait_for_selector("[data-form]:not([hidden])", timeout=LIVE_MS)
    page.fill("#py-weight", weight)
    page.fill("#py-length", length)
    page.click("[data-save]")
    page.wait_for_selector(f"[data-result-for='{child.person_id}']:not([hidden])", timeout=LIVE_MS)
    page.wait_for_selector(f"[data-child='{child.person_id}'].py-child--done", timeout=LIVE_MS)


def _tile(page, key: str) -> dict:
    return page.eval_on_selector(f"[data-tile='{key}']", """t => ({
        value: (t.querySelector('[data-value]') || {}).dataset?.value,
        num: (t.querySelector('[data-num]') || {}).dataset?.num,
        den: (t.querySelector('[data-den]') || {}).dataset?.den,
        sub: (t.querySelector('.pws-tile__sub') || {}).textContent })""")


def _follow_up(context, url) -> dict:
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("[data-follow-up]", timeout=LIVE_MS)
    rows = page.eval_on_selector_all("[data-follow-up] [data-person]", """els => els.map(e => [
        Number(e.dataset.person), Array.from(e.querySelectorAll('.pws-reason')).map(r => r.textContent.trim())])""")
    page.close()
    return dict(rows)


def test_a_posyandu_day_in_pekanbaru(world, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    w = world
    by_name = {c.name: c for c in w.children}
    flagged = [c for c in w.children if c.flag]
    problems: list[str] = []
    contexts = []

    # --- 0. Morning at Puskesmas Marpoyan Damai: the midwife opens the kecamatan's dashboard. The map lights
    # the kelurahan from their real boundaries; she goes down to Wonorejo. S = 40, nobody weighed yet this month.
    puskesmas = _context(browser, base, w.cookies["midwife"], problems)
    contexts.append(puskesmas)
    board = puskesmas.new_page()
    board.goto(f"{base}/posyandu/pws/wilayah/{MARPOYAN_DAMAI}/")
    board.wait_for_selector("[data-pws-map][data-lit='6']", timeout=LIVE_MS)  # the six kelurahan of Marpoyan Damai
    board.wait_for_selector("[data-pws-trend][data-drawn='12']", timeout=LIVE_MS)
    assert board.text_content(f"[data-child-area='{TANGKERANG_TENGAH}'] [data-cell='d']").strip() == "1"
    assert board.text_content(f"[data-child-area='{WONOREJO}'] [data-cell='s']").strip() == "40"
    board.click(f"[data-child-area='{WONOREJO}'] a")
    board.wait_for_url(re.compile(rf".*/posyandu/pws/wilayah/{re.escape(WONOREJO)}/.*"), timeout=LIVE_MS)
    board.wait_for_selector("[data-pws-live-status][data-state='live']", timeout=LIVE_MS)
    assert _tile(board, "d_s")["num"] == "0" and _tile(board, "d_s")["den"] == "40"
    assert board.text_content(f"[data-child-area='{WONOREJO}-{w.melati.pk}'] [data-cell='d']").strip() == "0"
    follow_up_url = base + board.get_attribute("[data-follow-up-link]", "href")
    # Everyone was weighed last month and every card is complete: nobody needs a visit yet.
    assert _follow_up(puskesmas, follow_up_url) == {}

    # --- 1. The kader opens the posyandu day on her phone and weighs the first children at the table.
    phone = _context(browser, base, w.cookies["kader"], problems, phone=True)
    contexts.append(phone)
    kader = phone.new_page()
    kader.goto(f"{base}/posyandu/")
    kader.click("[data-open-session]")
    kader.wait_for_url(re.compile(r".*/posyandu/hari/\d+/$"), timeout=LIVE_MS)
    session_id = int(kader.url.rstrip("/").rsplit("/", 1)[1])
    kader.wait_for_selector(f"[data-child='{flagged[0].person_id}']", timeout=LIVE_MS)
    assert kader.eval_on_selector_all("[data-roster] [data-child]", "els => els.length") == 40
    assert kader.evaluate("document.documentElement.scrollWidth") <= 360
    session = in_thread(lambda: Session.objects.get(pk=session_id))
    assert (session.posyandu_id, session.date, session.status) == (w.melati.pk, w.today, "open")

    ordinary_on_page = [by_name[n] for n, _s, _a in ON_PAGE]
    _measure_on_phone(kader, ordinary_on_page[0])
    # The dashboard at the puskesmas follows without a reload.
    board.wait_for_selector("[data-tile='d_s'] [data-num='1']", timeout=LIVE_MS)
    for c in ordinary_on_page[1:]:
        _measure_on_phone(kader, c)
        card = kader.eval_on_selector("[data-result]", """b => ({
            lhfa: b.querySelector("[data-indicator='lhfa']")?.dataset.category,
            status: b.querySelector('[data-growth-status]')?.dataset.growthStatus})""")
        assert card == {"lhfa": "normal", "status": "N"}, (c.name, card)

    # --- 2. A second kader at the next table records 32 children on her own phone (the page's API); the
    # first kader's list and the dashboard follow.
    rest = [c for c in w.children if not c.on_page]
    assert len(rest) == 32

    def second_kader():
        answers = []
        for c in rest:
            body = {"person_id": c.person_id, "weight_g": round(c.kg * 1000), "length_height_mm": round(c.cm * 10),
                    "position": "lying" if c.age_days < 731 else "standing"}
            r = w.kader2_client.post(f"/api/health/sessions/{session_id}/measurements", data=json.dumps(body),
                                     content_type="application/json")
            answers.append((c.name, r.status_code, r.json()))
        return answers

    for name, status, body in in_thread(second_kader):
        assert status == 201, (name, body)
        assert (body["category_lhfa"], body["growth_status"], body["needs_referral"]) == ("normal", "N", False), name
    kader.wait_for_function("() => document.querySelectorAll('[data-roster] .py-child--done').length === 35",
                            timeout=LIVE_MS)
    board.wait_for_selector("[data-tile='d_s'] [data-num='35']", timeout=LIVE_MS)

    # --- 3. The five children who worry the kader: the card says so at once.
    for c in flagged:
        _measure_on_phone(kader, c)
        card = kader.eval_on_selector("[data-result]", """b => ({
            lhfa: b.querySelector("[data-indicator='lhfa']")?.dataset.category,
            z: b.querySelector("[data-indicator='lhfa'] .py-z")?.textContent.trim(),
            status: b.querySelector('[data-growth-status]')?.dataset.growthStatus,
            referral: !!b.querySelector('.msg--error')})""")
        stored = in_thread(lambda c=c: Measurement.objects.get(person_id=c.person_id, measured_on=w.today))
        assert card["z"] == "z = " + f"{stored.z_lhfa:.2f}".replace(".", ","), (c.name, card)
        if c.flag == "stunted":
            assert (card["lhfa"], card["status"], card["referral"]) == ("severely_stunted", "N", False), c.name
        else:
            assert (card["lhfa"], card["status"], card["referral"]) == ("normal", "T", True), c.name
    # On the list, exactly the flagged children carry a mark: "Sangat pendek" or T.
    marks = kader.eval_on_selector_all("[data-roster] [data-child]", """els => Object.fromEntries(els
        .map(e => [e.dataset.child, Array.from(e.querySelectorAll('.py-chip')).map(c => c.textContent)])
        .filter(p => p[1].length))""")
    with translation.override("id"):
        from siaga.health import growth

        severely_stunted = str(growth.category_label("lhfa", "severely_stunted"))
        reason = pws.reason_labels()
        expected_reasons = {"stunted": [str(reason["severely_stunted"])], "2T": [str(reason["2T"])]}
    assert marks == {str(c.person_id): ([severely_stunted] if c.flag == "stunted" else ["T"]) for c in flagged}
    assert kader.eval_on_selector_all("[data-roster] .py-child--done", "els => els.length") == 40
    assert kader.evaluate("document.documentElement.scrollWidth") <= 360

    # The z-scores are the WHO tables' for the values typed, and the KMS rule is Permenkes 155/2010's.
    def the_day():
        rows = {m.person_id: m for m in Measurement.objects.filter(session_id=session_id)}
        return rows, Session.objects.get(pk=session_id).attendance.count()

    rows, attendance = in_thread(the_day)
    assert len(rows) == 40 and attendance == 40
    for c in w.children:
        m = rows[c.person_id]
        assert (m.weight_g, m.length_height_mm) == (round(c.kg * 1000), round(c.cm * 10)), c.name
        assert m.z_lhfa == pytest.approx(_z_height(c.sex, c.age_days, c.cm), abs=0.011), c.name
        assert m.z_wflh == pytest.approx(_z_weight(c.sex, c.age_days, c.cm, c.kg), abs=0.011), c.name
        assert not m.implausible, c.name
        if c.flag == "stunted":
            assert m.z_lhfa < -3 and m.category_lhfa == "severely_stunted", (c.name, m.z_lhfa)
            assert m.category_wflh == "normal" and (m.growth_status, m.weight_gain_g) == ("N", 300), c.name
        elif c.flag == "2T":
            assert (m.category_lhfa, m.category_wflh) == ("normal", "normal"), c.name
            assert (m.growth_status, m.weight_gain_g, m.minimum_gain_g, m.needs_referral) == ("T", 100, 200, True)
        else:
            assert (m.category_lhfa, m.growth_status, m.needs_referral) == ("normal", "N", False), c.name
            assert m.category_wflh in ("normal", "possible_risk_of_overweight"), (c.name, m.z_wflh)

    # --- 4. At the puskesmas, without a reload: D = 40 of S = 40, N = 38, T = 2 (both 2T), stunting 3 of 40.
    board.wait_for_selector("[data-tile='d_s'] [data-num='40']", timeout=LIVE_MS)
    board.wait_for_selector("[data-tile='stunting'] [data-num='3']", timeout=LIVE_MS)
    assert _tile(board, "d_s")["value"] == "100.0"
    n_d = _tile(board, "n_d")
    assert (n_d["num"], n_d["den"], n_d["value"]) == ("38", "40", "95.0")
    t = _tile(board, "t")
    assert t["value"] == "2" and re.sub(r"\s+", " ", t["sub"]).strip() == "2T: 2", t
    assert (_tile(board, "stunting")["den"], _tile(board, "stunting")["value"]) == ("40", "7.5")
    assert board.text_content(f"[data-child-area='{WONOREJO}-{w.melati.pk}'] [data-cell='d']").strip() == "40"
    board.wait_for_selector("[data-pws-trend][data-last-d='40']", timeout=LIVE_MS)
    # The follow-up list names exactly the five, each for its reason; Kenanga's stunted child is not Wonorejo's.
    listed = _follow_up(puskesmas, follow_up_url)
    assert listed == {c.person_id: expected_reasons[c.flag] for c in flagged}, listed
    assert w.rizal not in listed

    # --- 5. The same week, a baby girl is born at the puskesmas: the midwife notifies Dukcapil on the form.
    cro_ctx = _context(browser, base, w.cookies["cro"], problems)
    contexts.append(cro_ctx)
    capil = cro_ctx.new_page()
    capil.goto(f"{base}/dukcapil/")
    capil.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_MS)
    assert capil.eval_on_selector_all("[data-vital-event]", "els => els.length") == 0

    born = (timezone.now().astimezone(WIB) - dt.timedelta(days=1)).replace(hour=4, minute=15, second=0,
                                                                           microsecond=0)
    mother_nik = make_nik(dt.date(1997, 4, 12), "F", district=NIK_DISTRICT)
    desk = puskesmas.new_page()
    desk.goto(f"{base}/dukcapil/lapor/birth/")
    desk.fill("input[name=mother_name]", "Rina Wulandari")
    desk.fill("input[name=mother_nik]", mother_nik)
    desk.fill("input[name=child_name]", "Annisa Putri")
    desk.fill("input[name=born_at]", born.strftime("%Y-%m-%dT%H:%M"))
    desk.select_option("select[name=birth_attendant]", "midwife")
    desk.fill("input[name=weight_g]", "3150")
    desk.check("input[name=sex][value=F]")
    desk.fill("input[name=place]", "Puskesmas Marpoyan Damai")
    desk.click("form.ve-form button[type=submit]")
    desk.wait_for_url(re.compile(r".*/dukcapil/\d+/$"), timeout=LIVE_MS)
    event_id = int(desk.url.rstrip("/").rsplit("/", 1)[1])
    desk.wait_for_selector("h1 [data-status='notified']", timeout=LIVE_MS)
    desk.wait_for_selector("[data-live-status][data-state='live']", timeout=LIVE_MS)

    ev = in_thread(lambda: VitalEvent.objects.get(pk=event_id))
    assert (ev.kind, ev.status, ev.organization_id, ev.dukcapil_id) == ("birth", "notified", w.puskesmas.pk,
                                                                         w.dukcapil.pk)
    assert (ev.mother_name, ev.child_name, ev.sex, ev.weight_g, ev.birth_attendant) == (
        "Rina Wulandari", "Annisa Putri", "F", 3150, "midwife")
    assert ev.born_at == born and ev.mother_nik == mother_nik  # read in WIB, Pekanbaru's zone

    # --- 6. It arrives in Dukcapil's queue while the officer watches; she registers it with the certificate number.
    capil.wait_for_selector(f"[data-vital-event='{event_id}'][data-status='notified']", timeout=LIVE_MS)
    assert "Annisa Putri" in capil.text_content(f"[data-vital-event='{event_id}']")
    capil.click(f"[data-vital-event='{event_id}'] a")
    capil.wait_for_url(re.compile(rf".*/dukcapil/{event_id}/$"), timeout=LIVE_MS)
    number = f"1471-LU-{born:%d%m%Y}-0042"
    capil.fill("input[name=registration_number]", number)
    capil.click("form:has(input[name=action][value=register]) button[type=submit]")
    capil.wait_for_selector("h1 [data-status='registered']", timeout=LIVE_MS)

    # --- 7. The puskesmas sees the answer on the page it left open, without a reload.
    desk.wait_for_selector("h1 [data-status='registered']", timeout=LIVE_MS)
    assert desk.text_content("[data-registration-number]").strip() == number

    def registered():
        e = VitalEvent.objects.get(pk=event_id)
        return e, list(e.history.order_by("at", "id").values_list("to_status", "actor_organization_id"))

    ev, history = in_thread(registered)
    assert (ev.status, ev.registration_number) == ("registered", number)
    assert history == [("notified", w.puskesmas.pk), ("registered", w.dukcapil.pk)]

    assert problems == [], problems
    for c in contexts:
        c.close()
