"""Demo history for the year in one page: twelve months of PMI Kota Mojokerto's ambulance line, blood and relief.

`load_year()` writes about a year of records ending yesterday, so the annual report page is full when someone
runs `make run`. The records are what the services would have left behind, written in bulk (a year must load
in seconds); like the other demo loaders it announces nothing (no events, no audit entries for the past):

- calls on PMI's own ambulance line: most answered, a third prank, silent or accidental (some never picked up),
  a few information calls; numbers that prank three times within the nuisance window are flagged as the
  call center would have flagged them (CallerNumber), and later calls from them carry the warning.
- incidents (numbered from the organisation's IncidentCounter, closed, with their timeline), more in the rainy
  months and with the traffic of the Lebaran exodus.
- dispatches of PMI's ambulances (AMB-01..03): every step timestamped in order, the unit's status changes, the
  destination hospital. A unit serves one incident at a time, so a busy fleet makes the next call wait and
  some first arrivals come over the target of their priority.
- blood at the UDD: the PRC issued to Kota Mojokerto's hospitals day by day (on the days blood.demo_data already
  recorded usage for, exactly that usage), platelets in the dengue season, each unit from a donation by a donor
  who keeps the donation interval; requests, hand-overs, transfusions; units that outdated on the shelf. Every
  unit ends used, expired or destroyed: the stock on the shelves that blood.demo_data made is left as it was.
- relief: PMI's own warehouse, its stock received before the year, and distributions after the floods of the
  rainy season, each line taken from a stock lot with its movement in the ledger.

Deterministic for a seed and a day (a seeded random.Random; only the incidents' public tracking tokens come from
`secrets`, as they must stay unguessable). Idempotent: the calls carry external_id "demo-year-..."; a second run
finds them and writes nothing. The big tables are written by `_insert()`, a multi-row INSERT through the backend's
own value adapters without building model instances: bulk_create spent four fifths of its time on those.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core.models import Organization

WIB = ZoneInfo("Asia/Jakarta")
ORG_CODE = "pmi-kota-mojokerto"
UDD_CODE = "udd-pmi-kota-mojokerto"
MARKER = "demo-year-"
REGION = "35.76"

# Idul Fitri (1 Syawal) in the government's calendar (later years as projected); the exodus (mudik and arus balik)
# runs about a week either side of it.
IDUL_FITRI = {2024: dt.date(2024, 4, 10), 2025: dt.date(2025, 3, 31), 2026: dt.date(2026, 3, 20),
              2027: dt.date(2027, 3, 10), 2028: dt.date(2028, 2, 27)}

# Incidents on the ambulance line per day on average, and how the months shape it (rainy season Nov-Mar).
INCIDENTS_PER_DAY = 4.2
MONTH_FACTOR = {1: 1.15, 2: 1.15, 3: 1.1, 4: 1.0, 5: 0.95, 6: 0.95, 7: 0.9, 8: 0.9, 9: 0.9, 10: 0.95, 11: 1.05,
                12: 1.15}
RAINY = {11, 12, 1, 2, 3}
# (incident type code, share of the ambulance line's incidents, more in the rainy season)
TYPE_MIX = [
    ("sakit-lainnya", 0.30, False), ("kecelakaan-lalu-lintas", 0.20, False), ("sesak-napas", 0.08, True),
    ("tidak-sadar", 0.06, False), ("nyeri-dada", 0.06, False), ("stroke", 0.06, False),
    ("persalinan", 0.06, False), ("kejang", 0.04, True), ("kecelakaan-kerja", 0.03, False),
    ("henti-jantung", 0.02, False), ("perdarahan-hebat", 0.02, False), ("keracunan", 0.02, False),
    ("luka-bakar", 0.01, False), ("orang-tenggelam", 0.01, True), ("krisis-jiwa", 0.01, False),
]
HOUR_WEIGHTS = [2, 1.5, 1.2, 1, 1, 1.5, 3, 5, 6, 6, 5.5, 5, 5, 5, 5, 5, 5.5, 6, 6, 5.5, 5, 4, 3, 2.5]
PRANK_HOUR_WEIGHTS = [1, 1, .5, .5, .5, .5, 1, 2, 3, 3, 3, 3, 4, 5, 5, 5, 5, 5, 5, 5, 4, 3, 2, 1.5]
NUISANCE_PER_LEGIT_CALL = 0.55  # about 35% of all calls
INFO_CALLS_PER_DAY = 0.9
HOSPITAL_WEIGHTS = {"rs-3576014": 0.34, "rs-3576036": 0.14, "rs-3576040": 0.12, "rs-3576051": 0.16,
                    "rs-3576074": 0.12, "rs-3576076": 0.12}
STREETS = ["Jl. Majapahit", "Jl. Gajah Mada", "Jl. Benteng Pancasila", "Jl. Empunala", "Jl. Raden Wijaya",
           "Jl. Hayam Wuruk", "Jl. Pahlawan", "Jl. Bhayangkara", "Jl. Brawijaya", "Jl. Kartini", "Jl. Surodinawan",
           "Jl. Prajurit Kulon", "Jl. Kranggan", "Jl. Residen Pamuji"]
DESCRIPTIONS = {
    "sakit-lainnya": ["Pasien lansia lemas, minta diantar ke IGD", "Antar pasien rujukan ke rumah sakit",
                      "Pasien pulang rawat inap, minta dijemput", "Demam tinggi tiga hari, lemas"],
    "kecelakaan-lalu-lintas": ["Tabrakan sepeda motor, satu korban luka", "Motor tergelincir, pengendara luka",
                               "Tabrakan motor dengan mobil di perempatan", "Pejalan kaki tertabrak motor"],
    "persalinan": ["Ibu hamil kontraksi, minta diantar ke rumah sakit"],
    "sesak-napas": ["Sesak napas, riwayat asma"], "stroke": ["Bicara pelo, lemah separuh badan"],
}
ROAD_FACTOR = 1.35  # road distance over straight line in town
NUISANCE_REASONS = {
    "prank": ["Iseng, anak-anak bermain telepon", "Laporan palsu", "Penelepon tertawa lalu menutup"],
    "silent": ["Tidak ada suara", "Hanya suara latar, tidak menjawab"],
    "accidental": ["Tertekan di saku", "Salah sambung"],
}
HUNG_UP = "Penelepon menutup sebelum diangkat"
INFO_REASONS = ["Menanyakan stok darah", "Menanyakan biaya ambulans", "Menanyakan jadwal donor darah",
                "Minta nomor PSC 119"]
FIRST_NAMES_M = ["Agus", "Budi", "Eko", "Joko", "Slamet", "Bambang", "Hadi", "Teguh", "Wahyu", "Rudi", "Andi",
                 "Arif", "Fajar", "Rizky", "Dedi", "Heru", "Imam", "Yusuf", "Hendra", "Ahmad", "Muhammad", "Sugeng",
                 "Dimas", "Bayu", "Irfan", "Taufik", "Anang", "Gilang"]
FIRST_NAMES_F = ["Siti", "Sri", "Dewi", "Rina", "Nur", "Lestari", "Wulan", "Ayu", "Fitri", "Indah", "Yuni",
                 "Ratna", "Endang", "Tri", "Rahayu", "Kartika", "Novi", "Anisa", "Putri", "Dian", "Eka", "Lilis"]
LAST_NAMES = ["Santoso", "Wibowo", "Prasetyo", "Saputra", "Hidayat", "Kurniawan", "Setiawan", "Susanto",
              "Nugroho", "Rahmawati", "Handayani", "Wulandari", "Purwanti", "Hartono", "Maulana", "Firmansyah",
              "Ramadhan", "Pratama", "Utami", "Safitri", "Anggraini", "Yulianto", "Suryani", "Mahendra"]
PHONE_PREFIXES = ["812", "813", "821", "822", "852", "853", "856", "857", "878", "877", "838", "895", "896", "881"]


# --- small helpers ----------------------------------------------------------------------------------


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth; the rates here are small)."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _at(day: dt.date, rng: random.Random, weights=HOUR_WEIGHTS, first_hour: int = 0, last_hour: int = 23):
    hours = list(range(first_hour, last_hour + 1))
    hour = rng.choices(hours, weights=[weights[h] for h in hours])[0]
    return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=WIB)


def _secs(rng: random.Random, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(seconds=rng.uniform(lo, hi))


def _mins(rng: random.Random, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(minutes=rng.uniform(lo, hi))


def _km(a, b) -> float | None:
    if a is None or b is None or None in (*a, *b):
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _phone(rng: random.Random) -> str:
    return "+62" + rng.choice(PHONE_PREFIXES) + "".join(str(rng.randrange(10)) for _i in range(rng.choice((7, 8))))


def _name(rng: random.Random, sex: str) -> str:
    first = rng.choice(FIRST_NAMES_M if sex == "M" else FIRST_NAMES_F)
    return f"{first} {rng.choice(LAST_NAMES)}"


def _lebaran_days(day: dt.date) -> int | None:
    """Days from the nearest Idul Fitri, when within a week of it."""
    for year in (day.year - 1, day.year, day.year + 1):
        fitri = IDUL_FITRI.get(year)
        if fitri is not None and abs((day - fitri).days) <= 7:
            return (day - fitri).days
    return None


@dataclass
class Window:
    """The days of the demo year: a year ago today up to yesterday (local WIB days).

    `cut` is the midnight that starts today: what would end after it is not history yet and is left out (an
    incident still going on, a unit issued last night and not transfused yet stays issued).
    """

    first: dt.date
    last: dt.date

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def cut(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time.min, tzinfo=WIB)


# --- entry point -------------------------------------------------------------------------------------


def load_year(today: dt.date | None = None, seed: int = 2026) -> dict:
    """Write a year of PMI Kota Mojokerto's history ending yesterday; returns what was written (or why not)."""
    from siaga.callcenter.models import Call

    org = Organization.objects.filter(code=ORG_CODE).first()
    if org is None:
        return {"skipped": "no PMI Kota Mojokerto"}
    today = today or timezone.now().astimezone(WIB).date()
    window = Window(_year_before(today), today - dt.timedelta(days=1))
    out: dict = {"first_day": window.first, "last_day": window.last}
    with transaction.atomic():
        if Call.objects.filter(organization=org, external_id__startswith=MARKER).exists():
            return {"skipped": "loaded already"}
        out.update(_ambulance_line(random.Random(seed), org, window))
        if not out["calls"]:  # nothing would mark the year as loaded: write none of it
            transaction.set_rollback(True)
            return {"skipped": "no incident types"}
        out.update(_blood(random.Random(seed + 1), window))
        out.update(_relief(random.Random(seed + 2), org, window))
    return out


# --- calls, incidents, dispatches ---------------------------------------------------------------------


@dataclass
class Trip:
    unit: object
    alerted: dt.datetime
    steps: dict = field(default_factory=dict)  # status -> time, in order
    destination: object = None
    cancel_reason: str = ""
    eta_s: float | None = None
    distance_m: float | None = None
    ack_alarm: dt.datetime | None = None
    pk: int | None = None

    @property
    def ended(self) -> dt.datetime:
        return max(self.steps.values())


@dataclass
class PlannedIncident:
    created: dt.datetime
    type: object
    priority: int
    suggested: int
    reason: str
    region: tuple  # (code, lat, lng)
    address: str
    description: str
    calls: list = field(default_factory=list)  # PlannedCall
    trips: list = field(default_factory=list)
    resolved: dt.datetime | None = None
    closed: dt.datetime | None = None
    number: str = ""
    pk: int | None = None


@dataclass
class PlannedCall:
    started: dt.datetime
    number: str
    outcome: str
    answered: dt.datetime | None
    outcome_at: dt.datetime
    ended: dt.datetime
    reason: str = ""
    incident: PlannedIncident | None = None
    flagged: bool = False  # the number was flagged before this call: the call-taker was warned
    policy: str = ""
    pk: int | None = None


def _kelurahan() -> list[tuple]:
    from siaga.geo.models import Region

    rows = list(Region.objects.filter(level=4, code__startswith=REGION + ".").order_by("code")
                .values_list("code", "lat", "lng"))
    return rows or [(REGION, None, None)]


def _incident_days(rng: random.Random, window: Window, types: dict) -> list[PlannedIncident]:
    """When incidents happened, of what type and where (at least one a day: the ambulances always go out)."""
    kel = _kelurahan()
    mix = [(types[code], share, rainy) for code, share, rainy in TYPE_MIX if code in types]
    traffic = types.get("kecelakaan-lalu-lintas")
    out = []
    for day in window.days:
        lam = INCIDENTS_PER_DAY * MONTH_FACTOR[day.month] * (1.1 if day.weekday() >= 5 else 1.0)
        n = max(1, _poisson(rng, lam))
        weights = [share * (1.3 if rainy and day.month in RAINY else 1.0) for _t, share, rainy in mix]
        picked = rng.choices([t for t, _s, _r in mix], weights=weights, k=n)
        lebaran = _lebaran_days(day)
        if lebaran is not None and traffic is not None:  # the exodus on the Surabaya-Mojokerto road
            picked += [traffic] * _poisson(rng, 2.0 if abs(lebaran) <= 3 else 1.0)
        for itype in picked:
            created = _at(day, rng)
            suggested = priority = itype.default_priority
            reason = ""
            if itype.code == "sakit-lainnya" and rng.random() < 0.3:
                priority, reason = 4, "Antar pasien terjadwal (rujukan)"
            code, lat, lng = rng.choice(kel)
            texts = DESCRIPTIONS.get(itype.code)
            out.append(PlannedIncident(
                created=created, type=itype, priority=priority, suggested=suggested, reason=reason,
                region=(code, lat, lng), address=f"{rng.choice(STREETS)} No. {rng.randint(1, 180)}",
                description=rng.choice(texts) if texts else ""))
    out.sort(key=lambda p: p.created)
    return out


def _unit_choice(units: dict, priority: int, busy: dict, at: dt.datetime) -> object:
    """The unit that can leave soonest, the preferred one for the priority on a tie; emergencies (P1, P2) go to
    ambulances, not to the patient-transport car, while there is an ambulance."""
    order = ["AMB-02", "AMB-01", "AMB-03"] if priority == 1 else (
        ["AMB-01", "AMB-02", "AMB-03"] if priority == 2 else ["AMB-03", "AMB-01", "AMB-02"])
    candidates = sorted(units.values(), key=lambda u: (order.index(u.call_sign) if u.call_sign in order else 9,
                                                       u.call_sign))
    if priority <= 2:
        candidates = [u for u in candidates if u.kind != "patient_transport"] or candidates
    return min(candidates, key=lambda u: (max(busy.get(u.pk, at), at), candidates.index(u)))


def _travel_minutes(rng: random.Random, frm, to, priority: int, at: dt.datetime) -> tuple[float, float | None]:
    """(minutes, metres) from a point to another in town: straight line x road factor at town speed."""
    km = _km(frm, to)
    if km is None:
        km = rng.uniform(1.0, 5.5)
        metres = None
    else:
        km = max(0.4, km * ROAD_FACTOR)
        metres = km * 1000
    speed = 36.0 if priority <= 2 else 28.0
    local = at.astimezone(WIB)
    slow = 1.25 if local.hour in (7, 8, 16, 17) else (0.8 if local.hour >= 22 or local.hour < 5 else 1.0)
    if local.month in RAINY:
        slow *= 1.15  # wet roads, puddles, the odd flooded street
    minutes = 60.0 * km / speed * slow * rng.uniform(0.85, 1.45) + rng.uniform(0.5, 1.5)
    return minutes, metres


def _plan_trip(rng, unit, alerted, incident: PlannedIncident, hospitals, weights, *, second=False) -> Trip:
    from siaga.dispatch.models import DispatchStatus as DS

    t = Trip(unit=unit, alerted=alerted)
    station = (unit.station.lat, unit.station.lng) if unit.station_id else None
    scene = incident.region[1:]
    travel, metres = _travel_minutes(rng, station, scene, incident.priority, alerted)
    t.eta_s, t.distance_m = round(travel * 60 / 1.15), metres
    ack = alerted + (_secs(rng, 62, 150) if rng.random() < 0.05 else _secs(rng, 8, 55))
    t.ack_alarm = alerted + dt.timedelta(seconds=60) if ack > alerted + dt.timedelta(seconds=60) else None
    en_route = ack + _secs(rng, 40, 150)
    t.steps = {DS.ACKNOWLEDGED: ack, DS.EN_ROUTE: en_route}
    if not second and rng.random() < 0.03:
        t.cancel_reason = rng.choice(["Pasien sudah dibawa keluarga ke rumah sakit", "Laporan dibatalkan pelapor"])
        t.steps[DS.CANCELLED] = en_route + dt.timedelta(minutes=travel * rng.uniform(0.2, 0.7))
        return t
    on_scene = en_route + dt.timedelta(minutes=travel)
    t.steps[DS.ON_SCENE] = on_scene
    # Most patients go to hospital; some are treated on the spot, refuse or have died.
    if not hospitals or (not second and rng.random() < 0.12):
        returning = on_scene + _mins(rng, 10, 30)
        t.steps[DS.RETURNING] = returning
        t.steps[DS.COMPLETED] = returning + dt.timedelta(minutes=travel * rng.uniform(0.9, 1.2))
        return t
    hospital = rng.choices(hospitals, weights=weights)[0]
    leave = on_scene + (_mins(rng, 10, 25) if incident.priority >= 3 else _mins(rng, 6, 16))
    ride, _m = _travel_minutes(rng, scene, (hospital.lat, hospital.lng), incident.priority, leave)
    at_hospital = leave + dt.timedelta(minutes=ride)
    handover = at_hospital + _mins(rng, 8, 25)
    returning = handover + _mins(rng, 1, 4)
    back, _m = _travel_minutes(rng, (hospital.lat, hospital.lng), station, 4, returning)
    t.destination = hospital
    t.steps.update({DS.TRANSPORTING: leave, DS.AT_HOSPITAL: at_hospital, DS.HANDOVER_DONE: handover,
                    DS.RETURNING: returning, DS.COMPLETED: returning + dt.timedelta(minutes=back)})
    return t


def _calls_for(rng, incident: PlannedIncident, numbers: list) -> None:
    """The call that created the incident (and, for a crash, sometimes a second caller)."""
    created = incident.created
    answered = created - _secs(rng, 45, 170)
    started = answered - _secs(rng, 3, 20)
    number = rng.choice(numbers) if numbers and rng.random() < 0.1 else _phone(rng)
    numbers.append(number)
    incident.calls.append(PlannedCall(started=started, number=number, outcome="new_incident", answered=answered,
                                      outcome_at=created, ended=created + _secs(rng, 10, 60), incident=incident))
    if incident.type.code == "kecelakaan-lalu-lintas" and rng.random() < 0.25:
        s2 = created + _secs(rng, 60, 300)
        a2 = s2 + _secs(rng, 3, 15)
        done = a2 + _secs(rng, 30, 90)
        incident.calls.append(PlannedCall(started=s2, number=_phone(rng), outcome="attached", answered=a2,
                                          outcome_at=done, ended=done + _secs(rng, 2, 10), incident=incident))


def _other_calls(rng, window: Window, legit_per_day: Counter) -> list[PlannedCall]:
    """Information calls and the nuisance: pranks (often the same few numbers), silent and accidental calls."""
    pranksters = [_phone(rng) for _i in range(14)]
    prank_weights = [1.0 / (i + 1) for i in range(len(pranksters))]
    out = []
    for day in window.days:
        for _i in range(_poisson(rng, INFO_CALLS_PER_DAY)):
            started = _at(day, rng, first_hour=7, last_hour=21)
            answered = started + _secs(rng, 3, 15)
            done = answered + _secs(rng, 40, 200)
            out.append(PlannedCall(started=started, number=_phone(rng), outcome="information", answered=answered,
                                   outcome_at=done, ended=done, reason=rng.choice(INFO_REASONS)))
        lam = NUISANCE_PER_LEGIT_CALL * (legit_per_day[day] + INFO_CALLS_PER_DAY)
        if day.weekday() == 5:
            lam *= 1.4  # Saturday nights
        for _i in range(_poisson(rng, lam)):
            started = _at(day, rng, PRANK_HOUR_WEIGHTS)
            kind = rng.choices(["prank", "silent", "accidental"], weights=[0.4, 0.35, 0.25])[0]
            if kind == "prank" and rng.random() < 0.55:
                number = rng.choices(pranksters, weights=prank_weights)[0]
            else:
                number = _phone(rng)
            if kind == "accidental" and rng.random() < 0.5:  # rang off before anyone picked up
                ended = started + _secs(rng, 4, 25)
                closed = ended + _secs(rng, 20, 120)
                out.append(PlannedCall(started=started, number=number, outcome="accidental", answered=None,
                                       outcome_at=closed, ended=ended, reason=HUNG_UP))
                continue
            answered = started + _secs(rng, 3, 15)
            done = answered + _secs(rng, 8, 60)
            out.append(PlannedCall(started=started, number=number, outcome=kind, answered=answered, outcome_at=done,
                                   ended=done, reason=rng.choice(NUISANCE_REASONS[kind])))
    return out


def _ambulance_line(rng: random.Random, org, window: Window) -> dict:
    from siaga.callcenter.models import IncidentType
    from siaga.callcenter.taxonomy import seed_taxonomy
    from siaga.dispatch.models import DispatchStatus as DS
    from siaga.dispatch.models import Unit

    if not IncidentType.objects.exists():
        seed_taxonomy()
    types = {t.code: t for t in IncidentType.objects.filter(code__in=[c for c, _s, _r in TYPE_MIX], active=True)}
    units = {u.call_sign: u for u in Unit.objects.filter(organization=org, active=True).select_related("station")}
    if not types:
        return {"calls": 0, "incidents": 0, "dispatches": 0}
    hospitals = list(Organization.objects.filter(Q(region_code=REGION) | Q(region_code__startswith=REGION + "."),
                                                 kind="hospital", active=True).order_by("code"))
    weights = [HOSPITAL_WEIGHTS.get(h.code, 0.1) for h in hospitals]
    incidents = _incident_days(rng, window, types)
    busy: dict = {}
    numbers: list = []
    legit_per_day: Counter = Counter()
    for inc in incidents:
        _calls_for(rng, inc, numbers)
        legit_per_day[inc.created.date()] += len(inc.calls)
        if units:
            # Created to alerted: choosing the unit; now and then the address needs calling back first.
            ready = inc.created + (_mins(rng, 3, 8) if rng.random() < 0.08 else _secs(rng, 40, 150))
            unit = _unit_choice(units, inc.priority, busy, ready)
            alerted = max(ready, busy.get(unit.pk, ready))
            trip = _plan_trip(rng, unit, alerted, inc, hospitals, weights)
            inc.trips.append(trip)
            busy[unit.pk] = trip.ended + _mins(rng, 2, 10)  # restock and clean before the next call
            if inc.priority <= 2 and DS.ON_SCENE in trip.steps and inc.type.code in (
                    "kecelakaan-lalu-lintas", "kecelakaan-kerja") and rng.random() < 0.12:
                asked = trip.steps[DS.ON_SCENE] + _mins(rng, 1, 4)  # the crew asks for a second ambulance
                others = {cs: u for cs, u in units.items() if u.pk != unit.pk}
                if others:
                    second = _unit_choice(others, 2, busy, asked)
                    alerted2 = max(asked, busy.get(second.pk, asked))
                    trip2 = _plan_trip(rng, second, alerted2, inc, hospitals, weights, second=True)
                    inc.trips.append(trip2)
                    busy[second.pk] = trip2.ended + _mins(rng, 2, 10)
        last = max([inc.created, *(t.ended for t in inc.trips)])
        inc.resolved = last + _mins(rng, 1, 20)
        inc.closed = inc.resolved + _mins(rng, 5, 90)
    # Whatever ended after the window's last night (or after now) is not history yet: those incidents are left out.
    incidents = [i for i in incidents if i.closed < window.cut]
    others = _other_calls(rng, window, legit_per_day)
    calls = [c for i in incidents for c in i.calls] + [c for c in others if c.ended < window.cut]
    calls.sort(key=lambda c: c.started)

    records = _flag_callers(calls)
    created = _write_incidents(org, incidents)
    _write_calls(org, calls)
    trips = _write_dispatches(org, incidents)
    _write_timelines(incidents)
    flagged = _write_caller_numbers(org, records)
    return {"calls": len(calls), "answered": sum(1 for c in calls if c.answered is not None),
            "nuisance": sum(1 for c in calls if c.outcome in ("prank", "silent", "accidental")),
            "incidents": created, "dispatches": len(trips), "flagged_numbers": flagged,
            "to_hospital": sum(1 for t in trips if t.destination is not None)}


def _insert(model, rows: list[dict], *, returning: bool = False) -> list:
    """INSERT many rows of a model without building model instances: a year of records in seconds.

    Each row maps field attnames ("component_id", "at") to Python values; a field left out takes its default
    (auto_now and auto_now_add fields: now). Values go through the backend's adapters as the ORM's do.
    Returns the new primary keys in row order when `returning` (as bulk_create reads them back).
    """
    from django.db import connection
    from django.db.models import DateField, DateTimeField, DecimalField, JSONField

    if not rows:
        return []
    auto = model._meta.auto_field
    fields = [f for f in model._meta.concrete_fields if f is not auto]
    ops, now = connection.ops, timezone.now()

    def adapter(f):
        if isinstance(f, DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(f, DateField):
            return ops.adapt_datefield_value
        if isinstance(f, DecimalField):
            return lambda v: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
        if isinstance(f, JSONField):
            return lambda v: ops.adapt_json_value(v, f.encoder)
        return None

    columns = []  # (attname, adapter, the value of a row that leaves the field out, adapted)
    for f in fields:
        adapt = adapter(f)
        # "" for text without a default, as the ORM
        default = now if isinstance(f, DateTimeField) and (f.auto_now or f.auto_now_add) else f.get_default()
        columns.append((f.attname, adapt, adapt(default) if adapt is not None and default is not None else default))
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    size = max(1, ops.bulk_batch_size(fields, rows))
    pks: list = []
    connection.ensure_connection()
    # The backend's own cursor: the same SQL and parameters as through connection.cursor(), without the DEBUG
    # wrapper that would format and keep a copy of every one of these long statements.
    cursor = connection.create_cursor()
    try:
        for start in range(0, len(rows), size):
            batch = rows[start:start + size]
            params = []
            for row in batch:
                for attname, adapt, default in columns:
                    if attname in row:
                        v = row[attname]
                        params.append(adapt(v) if adapt is not None and v is not None else v)
                    else:
                        params.append(default)
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(batch))}"
            if returning:
                cursor.execute(sql + f" RETURNING {ops.quote_name(auto.column)}", params)
                pks.extend(r[0] for r in cursor.fetchall())
            else:
                cursor.execute(sql, params)
    finally:
        cursor.close()
    return pks


def _write_incidents(org, incidents: list[PlannedIncident]) -> int:
    from siaga.callcenter.models import Incident, IncidentCounter, IncidentStatus, LocationSource
    from siaga.callcenter.services import NUMBER_PREFIX
    from siaga.core.services import h3_cell

    prefix = NUMBER_PREFIX.get(org.kind, "INC")
    by_year: dict[int, list] = defaultdict(list)
    for inc in incidents:
        by_year[inc.created.astimezone(WIB).year].append(inc)
    for year, items in by_year.items():
        counter, _c = IncidentCounter.objects.select_for_update().get_or_create(organization=org, year=year)
        for n, inc in enumerate(items, start=counter.last + 1):
            inc.number = f"{prefix}-{year}-{n:06d}"
        IncidentCounter.objects.filter(pk=counter.pk).update(last=counter.last + len(items))
    rows = []
    for inc in incidents:
        code, lat, lng = inc.region
        rows.append({
            "organization_id": org.pk, "number": inc.number, "type_id": inc.type.pk, "priority": inc.priority,
            "suggested_priority": inc.suggested, "priority_override_reason": inc.reason, "answers": {},
            "status": IncidentStatus.CLOSED, "description": inc.description, "address": inc.address,
            "region_code": code, "lat": lat, "lng": lng, "h3_cell": h3_cell(lat, lng),
            "location_source": LocationSource.REGION, "tracking_token": secrets.token_urlsafe(24),
            "created_at": inc.created, "resolved_at": inc.resolved, "closed_at": inc.closed})
    for inc, pk in zip(incidents, _insert(Incident, rows, returning=True), strict=True):
        inc.pk = pk
    return len(rows)


def _write_calls(org, calls: list[PlannedCall]) -> None:
    from siaga.callcenter.models import Call

    rows = [{"organization_id": org.pk, "channel": "phone", "caller_number": c.number, "started_at": c.started,
             "answered_at": c.answered, "ended_at": c.ended, "outcome": c.outcome, "outcome_reason": c.reason,
             "outcome_at": c.outcome_at, "incident_id": c.incident.pk if c.incident else None,
             "caller_flagged": c.flagged, "caller_policy": c.policy,
             "region_code": c.incident.region[0] if c.incident else "", "external_id": f"{MARKER}{i:06d}"}
            for i, c in enumerate(calls, start=1)]
    for c, pk in zip(calls, _insert(Call, rows, returning=True), strict=True):
        c.pk = pk


def _write_dispatches(org, incidents: list[PlannedIncident]) -> list[Trip]:
    from siaga.dispatch.models import Dispatch, StatusChange
    from siaga.dispatch.models import DispatchStatus as DS
    from siaga.dispatch.models import UnitStatus as US
    from siaga.dispatch.services import UNIT_STATUS_FOR, ack_timeout

    kru = _crew_user()
    deadline = ack_timeout()
    rows, trips = [], []
    for inc in incidents:
        for t in inc.trips:
            s = t.steps
            rows.append({
                "organization_id": org.pk, "incident_id": inc.pk, "unit_id": t.unit.pk, "region_code": inc.region[0],
                "status": DS.CANCELLED if DS.CANCELLED in s else DS.COMPLETED, "alerted_at": t.alerted,
                "ack_deadline_at": t.alerted + deadline, "ack_alarm_at": t.ack_alarm,
                "acknowledged_at": s.get(DS.ACKNOWLEDGED),
                "acknowledged_by_id": kru.pk if kru is not None and t.unit.call_sign == "AMB-01" else None,
                "en_route_at": s.get(DS.EN_ROUTE), "on_scene_at": s.get(DS.ON_SCENE),
                "transporting_at": s.get(DS.TRANSPORTING), "at_hospital_at": s.get(DS.AT_HOSPITAL),
                "handover_done_at": s.get(DS.HANDOVER_DONE), "returning_at": s.get(DS.RETURNING),
                "completed_at": s.get(DS.COMPLETED), "cancelled_at": s.get(DS.CANCELLED),
                "cancel_reason": t.cancel_reason, "destination_id": t.destination.pk if t.destination else None,
                "eta_seconds": t.eta_s, "distance_m": t.distance_m, "eta_estimate": True})
            trips.append(t)
    for t, pk in zip(trips, _insert(Dispatch, rows, returning=True), strict=True):
        t.pk = pk
    changes = []

    def change(t, dispatch_id, frm, to, at, note=""):
        changes.append({"unit_id": t.unit.pk, "dispatch_id": dispatch_id, "from_status": frm, "to_status": to,
                        "at": at, "received_at": at + dt.timedelta(seconds=2), "note": note})

    for t in trips:
        previous = US.AVAILABLE
        for status, at in [(DS.ALERTED, t.alerted), *t.steps.items()]:
            if status == DS.CANCELLED:  # it was on the road: it drives back, then is free again at the station
                change(t, t.pk, previous, US.RETURNING, at, t.cancel_reason)
                change(t, None, US.RETURNING, US.AVAILABLE, at + dt.timedelta(minutes=5))
                break
            change(t, t.pk, previous, UNIT_STATUS_FOR[status], at)
            previous = UNIT_STATUS_FOR[status]
    _insert(StatusChange, changes)
    return trips


def _crew_user():
    from siaga.core.models import User

    return User.objects.filter(username="kru.ambulans").first()


def _write_timelines(incidents) -> None:
    """Each incident's timeline as the services write it: created, calls, units and their steps, status."""
    from siaga.callcenter.models import IncidentStatus as S
    from siaga.callcenter.models import TimelineEntry
    from siaga.dispatch.models import DispatchStatus as DS

    rows = []
    labels = {s: str(DS(s).label) for s in DS.values}
    texts = {"step": _("%(cs)s: %(status)s"), "dispatched": _("Unit %(cs)s dispatched."),
             "status": _("Status: %(status)s.")}

    def add(inc, kind, text, data, at):
        rows.append({"incident_id": inc.pk, "at": at, "kind": kind, "text": str(text)[:500], "data": data})

    def status(inc, old, new, at, note=""):
        text = texts["status"] % {"status": S(new).label} + (f" {note}" if note else "")
        add(inc, "incident.status", text, {"from": old, "to": new, "note": note}, at)

    for inc in incidents:
        add(inc, "incident.created", _("Incident %(number)s created: %(type)s, P%(priority)d.")
            % {"number": inc.number, "type": inc.type.name, "priority": inc.priority},
            {"type": inc.type.code, "priority": inc.priority, "suggested_priority": inc.suggested, "answers": {},
             "call_id": inc.calls[0].pk}, inc.created)
        if inc.reason:
            add(inc, "incident.priority", _("Priority set to P%(priority)d instead of the suggested P%(suggested)d: "
                                            "%(reason)s") % {"priority": inc.priority, "suggested": inc.suggested,
                                                             "reason": inc.reason},
                {"priority": inc.priority, "suggested_priority": inc.suggested, "reason": inc.reason}, inc.created)
        for c in inc.calls:
            data = {"call_id": c.pk, "channel": "phone", "caller_number": c.number}
            if c.outcome == "new_incident":
                add(inc, "call.linked", _("Call from %(number)s.") % {"number": c.number}, data, c.outcome_at)
            else:
                add(inc, "call.attached", _("Another call from %(number)s attached.") % {"number": c.number}, data,
                    c.outcome_at)
        current = S.NEW
        for t in inc.trips:
            cs = t.unit.call_sign
            ref = {"dispatch_id": t.pk, "unit_id": t.unit.pk}
            add(inc, "dispatch", texts["dispatched"] % {"cs": cs}, ref, t.alerted)
            if current == S.NEW:
                status(inc, current, S.IN_PROGRESS, t.alerted, texts["dispatched"] % {"cs": cs})
                current = S.IN_PROGRESS
            for step, at in t.steps.items():
                if step == DS.CANCELLED:
                    add(inc, "dispatch_cancelled", _("%(cs)s: %(status)s (%(reason)s)")
                        % {"cs": cs, "status": labels[step], "reason": t.cancel_reason}, ref, at)
                    continue
                add(inc, f"dispatch_{step}", texts["step"] % {"cs": cs, "status": labels[step]},
                    {**ref, "status": str(step)}, at)
        status(inc, current, S.RESOLVED, inc.resolved)
        status(inc, S.RESOLVED, S.CLOSED, inc.closed)
    _insert(TimelineEntry, rows)


def _flag_callers(calls: list[PlannedCall]) -> dict[str, dict]:
    """Each number's record at the line, flagged where enough nuisance calls fell within the window of days; a
    call from a number flagged before it started carries the warning, as start_call() would have shown it."""
    from siaga.callcenter.models import NUISANCE_OUTCOMES
    from siaga.callcenter.services import nuisance_default_policy, nuisance_threshold, nuisance_window_days

    window = dt.timedelta(days=nuisance_window_days())
    threshold, policy = nuisance_threshold(), nuisance_default_policy()
    records: dict[str, dict] = {}
    recent: dict[str, deque] = defaultdict(deque)
    for c in calls:  # in the order they started
        rec = records.setdefault(c.number, {"total": 0, "nuisance": 0, "last": None, "flagged_at": None})
        if rec["flagged_at"] is not None and rec["flagged_at"] <= c.started:
            c.flagged, c.policy = True, policy
        rec["total"] += 1
        rec["last"] = c.started
        if c.outcome in NUISANCE_OUTCOMES:
            rec["nuisance"] += 1
            q = recent[c.number]
            q.append(c.outcome_at)
            while q and q[0] < c.outcome_at - window:
                q.popleft()
            if rec["flagged_at"] is None and len(q) >= threshold:
                rec["flagged_at"] = c.outcome_at
    return records


def _write_caller_numbers(org, records: dict[str, dict]) -> int:
    from siaga.callcenter.models import CallerNumber
    from siaga.callcenter.services import nuisance_default_policy

    policy = nuisance_default_policy()
    existing = set(CallerNumber.objects.filter(organization=org).values_list("number", flat=True))
    rows = [{"organization_id": org.pk, "number": number, "total_calls": r["total"], "nuisance_calls": r["nuisance"],
             "last_call_at": r["last"], "flagged": r["flagged_at"] is not None, "flagged_at": r["flagged_at"],
             "policy": policy if r["flagged_at"] is not None else CallerNumber.Policy.NONE}
            for number, r in records.items() if number not in existing]
    _insert(CallerNumber, rows)
    return sum(1 for r in rows if r["flagged"])


# --- blood ----------------------------------------------------------------------------------------------


DENGUE_FACTOR = {1: 2.2, 2: 2.5, 3: 2.2, 4: 1.6, 5: 1.2, 6: 1.0, 7: 0.9, 8: 0.8, 9: 0.8, 10: 0.9, 11: 1.1,
                 12: 1.5}
TC_REQUESTS_PER_DAY = 0.7
PRC_OUTDATED_PER_DAY = 0.35  # mostly the rare groups
TC_OUTDATED_SHARE = 0.12
MIN_DONATION_GAP = dt.timedelta(days=92)  # at most four whole-blood donations in twelve months
MOBILE_SITES = ["Alun-alun Kota Mojokerto", "Balai Kota Mojokerto", "Masjid Agung Al-Fattah", "SMA Negeri 1 Mojokerto",
                "Kampus Universitas Islam Majapahit", "Kantor Polres Mojokerto Kota", "Gedung Olahraga Seni Majapahit"]


@dataclass
class PlannedDonation:
    collected: dt.datetime
    prepared: dt.datetime  # separated into components
    released: dt.datetime  # screening done: the units are available
    abo: str
    rhd: str
    units: list = field(default_factory=list)  # PlannedUnit
    donor: dict | None = None
    session: object = None
    din: str = ""
    pk: int | None = None


@dataclass
class PlannedUnit:
    donation: PlannedDonation
    ctype: object
    volume: int
    prepared: dt.datetime
    released: dt.datetime
    expires: dt.datetime
    issue: object = None  # PlannedIssue
    transfused: dt.datetime | None = None
    expired_at: dt.datetime | None = None
    discarded_at: dt.datetime | None = None
    pk: int | None = None

    @property
    def status(self) -> str:
        if self.discarded_at:
            return "discarded"
        if self.expired_at:
            return "expired"
        return "transfused" if self.transfused else "issued"


@dataclass
class PlannedIssue:
    hospital: object
    created: dt.datetime
    issued: dt.datetime
    ctype: object
    abo: str
    rhd: str
    cito: bool
    units: list = field(default_factory=list)
    number: str = ""
    request_number: str = ""
    payer: str = ""
    fee: int = 0
    req: int | None = None  # primary keys once written: request, its line, the hand-over
    line: int | None = None
    row: int | None = None


def _blood(rng: random.Random, window: Window) -> dict:
    from siaga.blood.demo_data import BAGS_PER_DAY, _groups_weighted
    from siaga.blood.models import ComponentType, DailyUsage, Site

    udd = Site.objects.filter(organization__code=UDD_CODE, kind=Site.Kind.UDD, active=True).select_related(
        "organization").order_by("pk").first()
    hospitals = list(Organization.objects.filter(Q(region_code=REGION) | Q(region_code__startswith=REGION + "."),
                                                 kind="hospital", active=True).order_by("code"))
    prc = ComponentType.objects.filter(code="PRC").first()
    tc = ComponentType.objects.filter(code="TC").first()
    if udd is None or not hospitals or prc is None or tc is None:
        return {"bags_collected": 0, "bags_served": 0, "outdated": 0}
    weights = [HOSPITAL_WEIGHTS.get(h.code, 0.1) for h in hospitals]
    groups = _groups_weighted()
    # PRC usage blood.demo_data recorded already (the last eight weeks): those days' issues are exactly that.
    recorded: dict[dt.date, dict] = defaultdict(dict)
    for day, abo, rhd, issued in DailyUsage.objects.filter(
            site=udd, component_type=prc, date__gte=window.first, date__lte=window.last).values_list(
            "date", "abo", "rhd", "issued"):
        recorded[day][(abo, rhd)] = issued
    issues: list[PlannedIssue] = []
    for day in window.days:
        weekday = 0.6 if day.weekday() == 6 else 1.0
        lebaran = 1.1 if _lebaran_days(day) is not None else 1.0
        for abo, rhd, share in groups:
            if day in recorded:
                n = recorded[day].get((abo, rhd), 0)
            else:
                n = round(BAGS_PER_DAY * 0.55 * share * weekday * lebaran * rng.uniform(0.7, 1.3))
            while n > 0:
                k = min(n, rng.choices([1, 2, 3], weights=[0.35, 0.45, 0.2])[0])
                issues.append(_plan_issue(rng, day, prc, abo, rhd, k, hospitals, weights))
                n -= k
        for _i in range(_poisson(rng, TC_REQUESTS_PER_DAY * DENGUE_FACTOR[day.month] * weekday)):
            abo, rhd, _s = rng.choices(groups, weights=[g[2] for g in groups])[0]
            issues.append(_plan_issue(rng, day, tc, abo, rhd, rng.choice([2, 4, 4, 6]), hospitals, weights))
    issues = [i for i in issues if i.issued < window.cut]
    issues.sort(key=lambda i: i.issued)
    donations = _plan_donations(rng, window, issues, prc, tc, groups)
    donors = _plan_donors(rng, udd, donations, window)
    return _write_blood(rng, udd, window, donations, donors, issues, prc, tc)


def _plan_issue(rng, day, ctype, abo, rhd, k, hospitals, weights) -> PlannedIssue:
    hospital = rng.choices(hospitals, weights=weights)[0]
    issued = _at(day, rng, first_hour=7, last_hour=22)
    cito = rng.random() < 0.3
    created = issued - (_mins(rng, 15, 60) if cito else _mins(rng, 40, 300))
    return PlannedIssue(hospital=hospital, created=created, issued=issued, ctype=ctype, abo=abo, rhd=rhd, cito=cito,
                        units=[None] * k)


def _new_donation(rng, day: dt.date, abo: str, rhd: str) -> PlannedDonation:
    collected = _at(day, rng, first_hour=8, last_hour=13)
    return PlannedDonation(collected=collected, prepared=collected + _mins(rng, 150, 300),
                           released=collected + _mins(rng, 18 * 60, 30 * 60), abo=abo, rhd=rhd)


def _unit_of(rng, donation: PlannedDonation, ctype) -> PlannedUnit:
    unit = PlannedUnit(donation=donation, ctype=ctype, volume=200 if ctype.code == "PRC" else 50,
                       prepared=donation.prepared, released=donation.released,
                       expires=donation.collected + dt.timedelta(hours=ctype.shelf_life_hours))
    donation.units.append(unit)
    return unit


def _plan_donations(rng, window: Window, issues, prc, tc, groups) -> list[PlannedDonation]:
    """A donation behind every unit: red cells a few days old when issued (the UDD keeps about four days of
    stock, first expiry first out), platelets 1-3 days (five-day shelf life)."""
    donations: list[PlannedDonation] = []
    by_day: dict[tuple, list] = defaultdict(list)  # (date, abo, rhd) -> donations without platelets yet
    for issue in issues:
        if issue.ctype.pk != prc.pk:
            continue
        for i in range(len(issue.units)):
            day = issue.issued.date() - dt.timedelta(days=min(30, 2 + int(rng.expovariate(1 / 3.5))))
            d = _new_donation(rng, day, issue.abo, issue.rhd)
            unit = _unit_of(rng, d, prc)
            unit.issue, issue.units[i] = issue, unit
            unit.transfused = issue.issued + _mins(rng, 60, 600)
            donations.append(d)
            by_day[(day, d.abo, d.rhd)].append(d)
    for issue in issues:
        if issue.ctype.pk != tc.pk:
            continue
        found = []
        for back in (1, 2, 3):
            pool = by_day.get((issue.issued.date() - dt.timedelta(days=back), issue.abo, issue.rhd), [])
            while pool and len(found) < len(issue.units):
                found.append(pool.pop())
        issue.units = []
        for d in found:
            unit = _unit_of(rng, d, tc)
            if unit.released >= issue.issued or unit.expires <= issue.issued:
                d.units.remove(unit)
                continue
            unit.issue = issue
            unit.transfused = issue.issued + _mins(rng, 30, 240)
            issue.units.append(unit)
    # Platelets made and never asked for: they outdate after five days (unless that is still to come).
    for pool in by_day.values():
        for d in pool:
            if rng.random() < TC_OUTDATED_SHARE * 0.25:
                unit = _unit_of(rng, d, tc)
                if unit.expires + dt.timedelta(minutes=30) >= window.cut:
                    d.units.remove(unit)
    # Red cells of the rarer groups that waited on the shelf past their 35 days, expiring within the year.
    rare = [(abo, rhd, share if rhd == "pos" and abo in ("O", "B") else share * 4) for abo, rhd, share in groups]
    shelf_days = prc.shelf_life_hours // 24
    for day in window.days:
        for _i in range(_poisson(rng, PRC_OUTDATED_PER_DAY)):
            abo, rhd, _s = rng.choices(rare, weights=[g[2] for g in rare])[0]
            d = _new_donation(rng, day - dt.timedelta(days=shelf_days), abo, rhd)
            _unit_of(rng, d, prc)
            donations.append(d)
    for d in donations:
        for unit in d.units:
            if unit.issue is None:  # outdated: the expiry job marks it, later it is destroyed
                unit.expired_at = unit.expires + _mins(rng, 1, 30)
                destroyed = unit.expired_at + _mins(rng, 12 * 60, 4 * 24 * 60)
                unit.discarded_at = destroyed if destroyed < window.cut else None
            elif unit.transfused >= window.cut:
                unit.transfused = None  # issued last night, not transfused yet
    donations.sort(key=lambda d: d.collected)
    return donations


def _plan_donors(rng, udd, donations: list[PlannedDonation], window: Window) -> list[dict]:
    """Donors of each group who come back no sooner than the interval allows, and new ones."""
    waiting: dict[tuple, deque] = defaultdict(deque)
    donors: list[dict] = []
    for d in donations:
        q = waiting[(d.abo, d.rhd)]
        if q and q[0]["last"] + MIN_DONATION_GAP <= d.collected and rng.random() < 0.8:
            donor = q.popleft()
        else:
            sex = "M" if rng.random() < 0.7 else "F"
            age = rng.randint(18, 58)
            birth = dt.date(d.collected.year - age, rng.randint(1, 12), rng.randint(1, 28))
            donor = {"sex": sex, "birth": birth, "name": _name(rng, sex), "abo": d.abo, "rhd": d.rhd,
                     "phone": _phone(rng), "type": "voluntary" if rng.random() < 0.88 else "replacement",
                     "kec": rng.randint(1, 3), "dates": [], "first": d.collected}
            donors.append(donor)
        donor["dates"].append(d.collected)
        donor["last"] = d.collected
        d.donor = donor
        q.append(donor)
    return donors


def _next_numbers(key: str, year: int, n: int) -> int:
    """Reserve n numbers of a blood counter; returns the first."""
    from siaga.blood.models import Counter as BloodCounter

    BloodCounter.objects.get_or_create(key=key, year=year)
    row = BloodCounter.objects.select_for_update().get(key=key, year=year)
    BloodCounter.objects.filter(pk=row.pk).update(last=row.last + n)
    return row.last + 1


def _write_blood(rng, udd, window: Window, donations, donors, issues, prc, tc) -> dict:
    from siaga.blood import isbt
    from siaga.blood import nik as nik_mod
    from siaga.blood.demo_data import DEMO_FIN
    from siaga.blood.models import (
        BloodRequest,
        Component,
        ComponentEvent,
        DailyUsage,
        Discard,
        DiscardReason,
        Donation,
        DonationSession,
        Donor,
        Issue,
        IssueItem,
        RequestLine,
        Site,
    )

    org = udd.organization
    today = window.cut.astimezone(WIB).date()
    # Donors, numbered from the UDD's counter, with what the services keep denormalised.
    first = _next_numbers(f"donor:{org.pk}", 0, len(donors))
    rows = []
    for i, p in enumerate(donors):
        b = p["birth"]
        nik = (f"35760{p['kec']}{b.day + (40 if p['sex'] == 'F' else 0):02d}{b.month:02d}{b.year % 100:02d}"
               f"{(first + i) % 10000:04d}")
        last = p["dates"][-1]
        in_year = [x for x in p["dates"] if x > last - dt.timedelta(days=365)]
        next_on = (last + dt.timedelta(days=60)).astimezone(WIB).date()
        if len(in_year) >= 4:  # four whole-blood donations in twelve months: wait for the first to drop out
            next_on = max(next_on, (in_year[-4] + dt.timedelta(days=366)).astimezone(WIB).date())
        rows.append({
            "organization_id": org.pk, "region_code": udd.region_code, "site_id": udd.pk,
            "number": f"D{org.pk:03d}-{first + i:06d}", "nik": nik, "nik_hash": nik_mod.nik_hash(nik),
            "name": p["name"], "sex": p["sex"], "birth_date": b, "phone": p["phone"],
            "home_region_code": f"35.76.0{p['kec']}", "abo": p["abo"], "rhd": p["rhd"], "group_confirmed": True,
            "group_confirmed_at": p["first"] + dt.timedelta(hours=20), "donor_type": p["type"],
            "donation_count": len(p["dates"]), "last_donation_at": last, "next_eligible_on": max(today, next_on)})
    for p, pk in zip(donors, _insert(Donor, rows, returning=True), strict=True):
        p["pk"] = pk
    # Sunday collections were mobile drives.
    sessions: dict[dt.date, DonationSession] = {}
    for d in donations:
        day = d.collected.astimezone(WIB).date()
        if day.weekday() != 6:
            continue
        if day not in sessions:
            start = dt.datetime.combine(day, dt.time(7), tzinfo=WIB)
            place = MOBILE_SITES[day.toordinal() % len(MOBILE_SITES)]
            sessions[day] = DonationSession(
                organization=org, region_code=udd.region_code, site=udd, kind=DonationSession.Kind.MOBILE,
                name=f"Donor darah keliling {place}", location=place, organiser="KSR PMI Kota Mojokerto",
                starts_at=start, ends_at=start + dt.timedelta(hours=6), target_donors=60,
                status=DonationSession.Status.CLOSED)
        d.session = sessions[day]
    DonationSession.objects.bulk_create(list(sessions.values()))
    # Donations with their DIN from the UDD's counter (per collection year).
    fin = udd.isbt_fin or DEMO_FIN
    per_year: dict[int, list] = defaultdict(list)
    for d in donations:
        per_year[d.collected.astimezone(WIB).year].append(d)
    rows, ordered = [], []
    for year, items in sorted(per_year.items()):
        start = _next_numbers(f"din:{fin}", year, len(items))
        for n, d in enumerate(items, start=start):
            din = isbt.make_din(fin, year, n)
            d.din = din.din
            rows.append({
                "organization_id": org.pk, "region_code": udd.region_code, "site_id": udd.pk,
                "session_id": d.session.pk if d.session else None, "donor_id": d.donor["pk"], "din": din.din,
                "din_check": din.check, "donor_type": d.donor["type"],
                "bag_type": (Donation.BagType.TRIPLE if any(u.ctype.pk == tc.pk for u in d.units)
                             else Donation.BagType.DOUBLE), "volume_ml": 350, "collected_at": d.collected,
                "status": Donation.Status.RELEASED, "screening": Donation.Screening.NEGATIVE,
                "screened_at": d.released, "separated_at": d.prepared})
            ordered.append(d)
    for d, pk in zip(ordered, _insert(Donation, rows, returning=True), strict=True):
        d.pk = pk
    # Components, in their final status.
    units = [u for d in donations for u in d.units]
    rows = []
    for u in units:
        last_change = u.discarded_at or u.expired_at or u.transfused or (u.issue.issued if u.issue else u.released)
        transitions = 1 + (2 if u.transfused else 1 if u.issue else 0) + bool(u.expired_at) + bool(u.discarded_at)
        rows.append({
            "organization_id": org.pk, "region_code": udd.region_code, "site_id": udd.pk,
            "origin_organization_id": org.pk, "donation_id": u.donation.pk, "component_type_id": u.ctype.pk,
            "din": u.donation.din, "abo": u.donation.abo, "rhd": u.donation.rhd,
            "volume_ml": u.volume + rng.randint(-15, 15), "collected_at": u.donation.collected,
            "prepared_at": u.prepared, "expires_at": u.expires, "status": u.status, "status_changed_at": last_change,
            "version": transitions})
    for u, pk in zip(units, _insert(Component, rows, returning=True), strict=True):
        u.pk = pk
    # Requests, hand-overs and the units in them, numbered from the hospitals' and the UDD's counters.
    issues = [i for i in issues if i.units]
    bdrs = {s.organization_id: s for s in Site.objects.filter(kind=Site.Kind.HOSPITAL_BANK, active=True,
                                                              organization__in={i.hospital.pk for i in issues})}
    for key_of, attr, fmt in ((lambda i: f"request:{i.hospital.pk}", "request_number", "PD-{y}-{n:05d}"),
                              (lambda i: f"issue:{org.pk}", "number", "KLR-{y}-{n:05d}")):
        batches: dict[tuple, list] = defaultdict(list)
        for i in issues:
            stamp = i.created if attr == "request_number" else i.issued
            batches[(key_of(i), stamp.astimezone(WIB).year)].append(i)
        for (key, year), items in sorted(batches.items()):
            items.sort(key=lambda i: i.created if attr == "request_number" else i.issued)
            start = _next_numbers(key, year, len(items))
            for n, i in enumerate(items, start=start):
                setattr(i, attr, fmt.format(y=year, n=n))
    wards = ["IGD", "ICU", "Bedah", "Penyakit Dalam", "Anak", "Kebidanan"]
    rows = []
    for i in issues:
        site = bdrs.get(i.hospital.pk)
        sex = "M" if rng.random() < 0.5 else "F"
        i.payer = rng.choices(["bpjs", "self", "other"], weights=[0.85, 0.1, 0.05])[0]
        i.fee = i.ctype.default_fee_bppd_rupiah
        rows.append({
            "organization_id": i.hospital.pk, "region_code": site.region_code if site else i.hospital.region_code,
            "hospital_site_id": site.pk if site else None, "supplier_id": org.pk, "supplier_site_id": udd.pk,
            "number": i.request_number, "urgency": "cito" if i.cito else "elective",
            "status": BloodRequest.Status.ISSUED, "patient_name": _name(rng, sex),
            "patient_mrn": f"RM-{rng.randint(100000, 999999)}", "patient_sex": sex, "patient_abo": i.abo,
            "patient_rhd": i.rhd, "ward": rng.choice(wards), "payer": i.payer, "fee_bppd_rupiah": i.fee * len(i.units),
            "created_at": i.created, "closed_at": i.issued})
    for i, pk in zip(issues, _insert(BloodRequest, rows, returning=True), strict=True):
        i.req = pk
    rows = [{"request_id": i.req, "component_type_id": i.ctype.pk, "abo": i.abo, "rhd": i.rhd,
             "quantity": len(i.units), "issued_quantity": len(i.units), "fee_bppd_rupiah": i.fee,
             "status": RequestLine.Status.ISSUED} for i in issues]
    for i, pk in zip(issues, _insert(RequestLine, rows, returning=True), strict=True):
        i.line = pk
    rows = []
    for i in issues:
        who = _name(rng, "M" if rng.random() < 0.6 else "F")
        cool = rng.uniform(2.5, 5.5) if i.ctype.pk == prc.pk else rng.uniform(20.5, 23.5)
        rows.append({
            "organization_id": org.pk, "region_code": udd.region_code, "site_id": udd.pk, "request_id": i.req,
            "hospital_id": i.hospital.pk, "number": i.number, "issued_at": i.issued,
            "recipient_kind": "family" if rng.random() < 0.6 else "courier", "recipient_name": who,
            "recipient_phone": _phone(rng), "signed_by": who, "cool_box_temperature_c": round(cool, 1),
            "payer": i.payer, "fee_bppd_rupiah": i.fee * len(i.units)})
    for i, pk in zip(issues, _insert(Issue, rows, returning=True), strict=True):
        i.row = pk
    _insert(IssueItem, [{"issue_id": i.row, "component_id": u.pk, "request_line_id": i.line, "fee_bppd_rupiah": i.fee,
                         "transfused_at": u.transfused} for i in issues for u in i.units])
    # Each unit's history, and the discards of the outdated units that were destroyed.
    notes = {"prepared": _("prepared"), "released": _("released: all tests non-reactive"),
             "transfused": _("transfused"), "issued": _("issued for %(number)s")}
    events, discards = [], []

    def event(u, at, frm, to, note, ref=None):
        events.append({"component_id": u.pk, "at": at, "from_status": frm, "to_status": to, "site_id": udd.pk,
                       "note": note, "ref": ref or {}})

    for u in units:
        event(u, u.prepared, "", "quarantine", notes["prepared"])
        event(u, u.released, "quarantine", "available", notes["released"], {"donation": u.donation.pk})
        if u.issue is not None:
            event(u, u.issue.issued, "available", "issued", notes["issued"] % {"number": u.issue.request_number},
                  {"request": u.issue.req})
            if u.transfused:
                event(u, u.transfused, "issued", "transfused", notes["transfused"], {"issue": u.issue.row})
        if u.expired_at:
            event(u, u.expired_at, "available", "expired", "expired")
        if u.discarded_at:
            event(u, u.discarded_at, "expired", "discarded", DiscardReason.EXPIRED,
                  {"discard_reason": DiscardReason.EXPIRED})
            discards.append({"organization_id": org.pk, "region_code": udd.region_code, "site_id": udd.pk,
                             "component_id": u.pk, "reason": DiscardReason.EXPIRED, "notes": "",
                             "discarded_at": u.discarded_at})
    _insert(ComponentEvent, events)
    _insert(Discard, discards)
    # Daily usage where none was recorded yet (the forecast's last eight weeks of red cells stay as they were).
    usage: dict[tuple, Counter] = defaultdict(Counter)
    for u in units:
        key = (u.ctype.pk, u.donation.abo, u.donation.rhd)
        usage[(u.donation.collected.astimezone(WIB).date(), *key)]["collected"] += 1
        if u.issue is not None:
            usage[(u.issue.issued.astimezone(WIB).date(), *key)]["issued"] += 1
        if u.transfused:
            usage[(u.transfused.astimezone(WIB).date(), *key)]["transfused"] += 1
        if u.expired_at:
            usage[(u.expired_at.astimezone(WIB).date(), *key)]["expired"] += 1
    days = [k[0] for k in usage]
    have = set(DailyUsage.objects.filter(site=udd, date__gte=min(days), date__lte=max(days)).values_list(
        "date", "component_type_id", "abo", "rhd")) if days else set()
    _insert(DailyUsage, [{"organization_id": org.pk, "region_code": udd.region_code, "site_id": udd.pk, "date": k[0],
                          "component_type_id": k[1], "abo": k[2], "rhd": k[3], **counts}
                         for k, counts in sorted(usage.items()) if k not in have])
    return {"donors": len(donors), "bags_collected": len(donations),
            "bags_served": sum(len(i.units) for i in issues), "outdated": sum(1 for u in units if u.expired_at)}


# --- relief -------------------------------------------------------------------------------------------


WAREHOUSE_CODE = "gdg-pmi-kota-mojokerto"
# item code, quantity received before the year, quantity of the top-up after the big flood, per household
RELIEF_STOCK = [("SIAGA-RICE", 4000, 2000, 5), ("SIAGA-WATER-DRINK", 9000, 5000, 12),
                ("SIAGA-FAMILY-KIT", 450, 250, 1)]
# (month, name, days of distribution, distributions, households per distribution); the first is the big one
FLOODS = [(1, "Banjir luapan Kali Sadar", 4, 5, (40, 120)), (3, "Banjir genangan Kota Mojokerto", 2, 3, (15, 50)),
          (12, "Banjir dan angin kencang Kota Mojokerto", 2, 2, (10, 35))]


def _relief(rng: random.Random, org, window: Window) -> dict:
    """PMI's warehouse: stock received before the year, distributions after the floods taken lot by lot (first
    expiry first out), a top-up after the big flood; every change of a lot has its movement in the ledger."""
    from siaga.core.permissions import system_actor
    from siaga.disaster.logistics import services as logistics
    from siaga.disaster.logistics.models import Distribution, DistributionLine, Item, Movement, StockLot, Warehouse
    from siaga.geo.models import Region

    items = {i.code: i for i in Item.objects.filter(code__in=[row[0] for row in RELIEF_STOCK])}
    kel = [k for k in _kelurahan() if k[0] != REGION]
    if len(items) < len(RELIEF_STOCK) or not kel:
        return {"distributions": 0, "people_helped": 0}
    wh = Warehouse.objects.filter(organization=org, code__iexact=WAREHOUSE_CODE).first()
    if wh is None:
        home = Region.objects.filter(code="35.76.03.1001").first() or Region.objects.filter(code=REGION).first()
        if home is None:
            return {"distributions": 0, "people_helped": 0}
        wh = logistics.create_warehouse(system_actor(), code=WAREHOUSE_CODE, name="Gudang PMI Kota Mojokerto",
                                        region_code=home.code, lat=home.lat, lon=home.lng, organization_id=org.pk,
                                        address="Markas PMI Kota Mojokerto")
    # The floods of the rainy season, this year's where the window has them.
    by_month = defaultdict(list)
    for day in window.days:
        by_month[day.month].append(day)
    plans = []
    for month, name, span, count, (lo, hi) in FLOODS:
        days = by_month.get(month)
        if not days:
            continue
        latest = [d for d in days if d.year == days[-1].year]
        start = latest[rng.randrange(max(1, len(latest) - span))]
        affected = sorted({k[0] for k in rng.sample(kel, min(len(kel), 4))})
        plans.append((start, name, span, count, lo, hi, affected))
    # What happened in the warehouse, in order: receipts and distributions.
    happenings = []
    first = dt.datetime.combine(window.first - dt.timedelta(days=10), dt.time(10), tzinfo=WIB)
    happenings.append((first, "receipt", ("A", 1, "Stok siaga bencana tahunan")))
    if plans:
        start, _n, span = plans[0][:3]
        topup = dt.datetime.combine(start + dt.timedelta(days=span + 7), dt.time(10), tzinfo=WIB)
        if topup < window.cut:
            happenings.append((topup, "receipt", ("B", 2, "Tambahan stok dari PMI Provinsi Jawa Timur")))
    for p, (start, _name, span, count, lo, hi, affected) in enumerate(plans):
        for _i in range(count):
            day = min(start + dt.timedelta(days=rng.randrange(span)), window.last)
            at = dt.datetime.combine(day, dt.time(rng.randint(9, 15), rng.choice((0, 15, 30, 45))), tzinfo=WIB)
            households = rng.randint(lo, hi)
            happenings.append((at, "distribution", (p, households, round(households * rng.uniform(3.2, 4.1)),
                                                    rng.choice(affected))))
    happenings.sort(key=lambda h: (h[0], h[1] != "receipt"))
    lots: list[dict] = []  # {"code", "number", "expiry", "left", "received"}
    moves: list[tuple] = []  # (lot, change, after, at, kind, reason, distribution plan)
    dists: list[dict] = []
    for at, kind, payload in happenings:
        if kind == "receipt":
            suffix, column, reason = payload
            for row in RELIEF_STOCK:
                code, qty = row[0], row[column]
                lot = {"code": code, "number": f"PMI-MJK-{at.year}-{suffix}", "received": at, "left": qty,
                       "expiry": None if code == "SIAGA-FAMILY-KIT" else at.date() + dt.timedelta(days=730)}
                lots.append(lot)
                moves.append((lot, qty, qty, at, Movement.Kind.RECEIPT, reason, None))
            continue
        plan, households, people, region = payload
        d = {"plan": plan, "households": households, "people": people, "region": region, "at": at, "lines": []}
        for code, _a, _b, per_household in RELIEF_STOCK:
            want = households * per_household
            for lot in sorted((x for x in lots if x["code"] == code and x["left"] > 0),
                              key=lambda x: (x["expiry"] is None, x["expiry"] or at.date(), x["received"])):
                take = min(want, lot["left"])
                if take <= 0:
                    break
                lot["left"] -= take
                want -= take
                d["lines"].append((lot, take))
                moves.append((lot, -take, lot["left"], at, Movement.Kind.DISTRIBUTION, "", d))
        if d["lines"]:
            dists.append(d)
    if StockLot.objects.filter(warehouse=wh, lot_number__in={lot["number"] for lot in lots}).exists():
        return {"distributions": 0, "people_helped": 0}
    events = _flood_events(org, plans, window)
    for lot in lots:
        lot["row"] = StockLot(warehouse=wh, item=items[lot["code"]], lot_number=lot["number"], expiry=lot["expiry"],
                              quantity=lot["left"])
    StockLot.objects.bulk_create([lot["row"] for lot in lots])
    for lot in lots:
        StockLot.objects.filter(pk=lot["row"].pk).update(received_at=lot["received"])
    for d in dists:
        d["row"] = Distribution(organization=org, warehouse=wh, region_code=d["region"], event=events[d["plan"]],
                                households=d["households"], people=d["people"], distributed_at=d["at"],
                                note="Bantuan untuk warga terdampak banjir")
    Distribution.objects.bulk_create([d["row"] for d in dists])
    DistributionLine.objects.bulk_create([
        DistributionLine(distribution=d["row"], lot=lot["row"], item=items[lot["code"]], quantity=qty)
        for d in dists for lot, qty in d["lines"]])
    Movement.objects.bulk_create([
        Movement(organization=org, region_code=wh.region_code, warehouse=wh, lot=lot["row"], item=items[lot["code"]],
                 kind=kind, quantity_change=change, quantity_after=after, reason=reason,
                 distribution=d["row"] if d else None, at=at)
        for lot, change, after, at, kind, reason, d in moves])
    return {"warehouse": wh.code, "distributions": len(dists), "people_helped": sum(d["people"] for d in dists)}


def _flood_events(org, plans, window: Window) -> list:
    """The floods as closed disaster events led by the city's BPBD (PMI taking part)."""
    from siaga.disaster.models import DisasterEvent, DisasterType, Phase, TimelineEntry

    flood = DisasterType.objects.filter(code="banjir").first()
    if flood is None:
        return [None] * len(plans)
    lead = Organization.objects.filter(code="bpbd-kota-mojokerto").first() or org
    out = []
    for start, name, span, _count, _lo, _hi, affected in plans:
        started = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(16), tzinfo=WIB)
        ended = dt.datetime.combine(start + dt.timedelta(days=span + 3), dt.time(12), tzinfo=WIB)
        ev = DisasterEvent.objects.create(
            organization=lead, region_code=REGION, name=f"{name} {start:%m/%Y}", type=flood,
            phase=Phase.CLOSED if ended < window.cut else Phase.RECOVERY, started_at=started,
            ended_at=ended if ended < window.cut else None, affected_region_codes=affected,
            description="Genangan setelah hujan deras; warga di bantaran mengungsi sementara.")
        if lead.pk != org.pk:
            ev.participants.add(org)
        entries = [TimelineEntry(event=ev, at=started, kind=TimelineEntry.Kind.CREATED, organization=lead,
                                 text=_("Event created in phase %(phase)s.") % {
                                     "phase": Phase(Phase.EMERGENCY_RESPONSE).label},
                                 data={"phase": Phase.EMERGENCY_RESPONSE})]
        if ev.phase == Phase.CLOSED:
            text = _("Phase changed from %(a)s to %(b)s.") % {"a": Phase(Phase.EMERGENCY_RESPONSE).label,
                                                                "b": Phase(Phase.CLOSED).label}
            entries.append(TimelineEntry(event=ev, at=ended, kind=TimelineEntry.Kind.PHASE, organization=lead,
                                         text=text, data={"phase": Phase.CLOSED}))
        TimelineEntry.objects.bulk_create(entries)
        out.append(ev)
    return out
