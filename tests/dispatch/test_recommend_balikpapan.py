"""Recommendation filters and orders correctly on the shipped Kota Balikpapan road network.

Units stand at real junctions of the network (their stations), the incident at another. The expected
order comes from scipy's Dijkstra on the network's own compiled arrays, independent of the engine's
CCH; the kecamatan a unit would leave without cover are recomputed the same way.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pytest
from django.utils import timezone
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from siaga.callcenter import services as cc
from siaga.core.permissions import actor_for, system_actor
from siaga.dispatch import recommend, services
from siaga.dispatch.models import CrewMember
from siaga.geo.models import Region
from siaga.routing import services as routing_services
from siaga.routing.coverage import targets_minutes
from siaga.routing.engine import get_engine
from tests.conftest import client_for
from tests.routing.conftest import BALIKPAPAN, need

from .conftest import member, put_on_shift

# Real places in Kota Balikpapan (snapped below to the nearest junction of the shipped network).
INCIDENT = (-1.2727, 116.8437)       # Jl. Jend. Sudirman, Klandasan
OTHER_INCIDENT = (-1.2654, 116.8312)
NEAR = (-1.2700, 116.8450)           # a block from the incident: where every unit that must be left out stands
PLACES = {
    "A": (-1.2654, 116.8312),        # ambulance, available
    "E": (-1.2620, 116.8512),        # motorcycle responder, returning from a job (still dispatchable)
    "C": (-1.2545, 116.8210),        # advanced ambulance, available
    "B": (-1.2605, 116.8625),        # ambulance, available
    "H": (-1.2558, 116.8597),        # PMI's mutual-aid ambulance: must be requested
}
# Kecamatan centres for coverage (codes invented under 64.71, placed on real junctions).
KECAMATAN = {
    "64.71.01": ("Kecamatan Barat", (-1.2540, 116.8215)),
    "64.71.02": ("Kecamatan Tengah", (-1.2652, 116.8422)),
    "64.71.03": ("Kecamatan Timur", (-1.2561, 116.8633)),
    "64.71.04": ("Kecamatan Selatan", (-1.2720, 116.8380)),
}


@pytest.fixture(autouse=True)
def _var_dir(tmp_path, settings):
    from siaga.routing import engine

    settings.VAR_DIR = tmp_path / "var"
    engine.clear_cache()
    yield
    engine.clear_cache()


def reverse_matrix(a: dict) -> csr_matrix:
    """Arc travel times (deciseconds) as a sparse matrix, reversed (to a target); parallel arcs: the cheapest."""
    w = a["travel_time_ds"]
    n = len(a["lat"])
    order = np.lexsort((w, a["head"], a["tail"]))
    t, h, w = a["tail"][order], a["head"][order], np.asarray(w)[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    return csr_matrix((w[first].astype(float), (t[first], h[first])), shape=(n, n)).T.tocsr()


def nearest_node(a: dict, lat: float, lng: float) -> int:
    d = (a["lat"] - lat) ** 2 + ((a["lng"] - lng) * np.cos(np.radians(lat))) ** 2
    return int(np.argmin(d))


@pytest.fixture
def world(db, taxonomy, make_org):
    need(BALIKPAPAN)
    Region.objects.update_or_create(code="64", defaults={"name": "Kalimantan Timur", "level": 1, "search_key": "x"})
    Region.objects.update_or_create(code="64.71", defaults={
        "name": "Kota Balikpapan", "level": 2, "parent_id": "64", "search_key": "x",
        "bbox": [116.78, -1.30, 117.05, -1.03]})
    net = routing_services.import_roads(system_actor(), BALIKPAPAN, region_code="64.71").network
    a = get_engine(net).a
    node = {k: nearest_node(a, *p) for k, p in {**PLACES, "incident": INCIDENT, "near": NEAR,
                                                 "other": OTHER_INCIDENT}.items()}
    kec_node = {code: nearest_node(a, *p) for code, (_n, p) in KECAMATAN.items()}
    at = {k: (float(a["lat"][i]), float(a["lng"][i])) for k, i in node.items()}
    for code, (name, _p) in KECAMATAN.items():
        i = kec_node[code]
        Region.objects.update_or_create(code=code, defaults={
            "name": name, "level": 3, "parent_id": "64.71", "search_key": name.lower(),
            "lat": float(a["lat"][i]), "lng": float(a["lng"][i])})

    psc = make_org(kind="psc119", region_code="64.71", name="PSC 119 Kota Balikpapan")
    pmi = make_org(kind="pmi_branch", region_code="64.71", name="PMI Kota Balikpapan")
    private = make_org(kind="private", region_code="64.71", name="Ambulans Swasta Balikpapan")
    users = {"dispatcher": member("dispatcher", psc, "64.71", "dispatcher-bpp"),
             "call_taker": member("call_taker", psc, "64.71", "penerima-bpp"),
             "crew": member("ambulance_crew", psc, "64.71", "kru-bpp")}
    sys = system_actor()

    def unit(call_sign, kind, place, org=psc, *, crewed=True, mutual_aid=False):
        st = services.create_station(sys, name=f"Pos {call_sign}", kind="psc119", region_code="64.71",
                                     lat=at[place][0], lng=at[place][1], organization=org)
        return services.create_unit(sys, call_sign=call_sign, kind=kind, station=st, organization=org,
                                    always_crewed=crewed, mutual_aid=mutual_aid)

    units = SimpleNamespace(
        A=unit("BPP-A", "ambulance_basic", "A"),
        E=unit("BPP-E", "motorcycle", "E", crewed=False),
        C=unit("BPP-C", "ambulance_advanced", "C"),
        B=unit("BPP-B", "ambulance_basic", "B"),
        H=unit("PMI-H", "ambulance_basic", "H", org=pmi, mutual_aid=True),
        # Everything below stands next to the incident and must still be left out.
        fire=unit("DAMKAR-1", "fire_engine", "near"),
        busy=unit("BPP-SIBUK", "ambulance_basic", "near"),
        out=unit("BPP-RUSAK", "ambulance_basic", "near"),
        uncrewed=unit("BPP-KOSONG", "ambulance_basic", "near", crewed=False),
        half=unit("BPP-SOPIR", "ambulance_basic", "near", crewed=False),
        private=unit("SWASTA-1", "ambulance_basic", "near", org=private),
    )
    # E is crewed by roster (its paramedic signs in as "crew"); "half" has only a driver on shift.
    medic = CrewMember.objects.create(organization=psc, name="Rudi", qualifications=["paramedic"],
                                      user=users["crew"])
    put_on_shift(units.E, (medic, "paramedic"))
    driver = CrewMember.objects.create(organization=psc, name="Andi", qualifications=["driver"])
    put_on_shift(units.half, (driver, "driver"))

    def incident(lat, lng, description):
        ct = actor_for(users["call_taker"])
        call = cc.start_call(ct, channel="phone", caller_number="081234567890")
        cc.answer_call(ct, call.pk)
        return cc.create_incident(ct, type_code="kecelakaan-lalu-lintas", call_id=call.pk, lat=lat, lng=lng,
                                  region_code="64.71", description=description)

    disp = actor_for(users["dispatcher"])
    inc = incident(*at["incident"], "Tabrakan di Jl. Jend. Sudirman")
    other = incident(*at["other"], "Pengendara jatuh")
    # Busy: alerted to another incident. Out of service: broken down. E: back from a job, returning.
    services.dispatch_unit(disp, incident_id=other.pk, unit_id=units.busy.pk)
    services.set_unit_service(disp, units.out.pk, in_service=False, reason="Ban pecah")
    d = services.dispatch_unit(disp, incident_id=other.pk, unit_id=units.E.pk)
    services.set_dispatch_status(actor_for(users["crew"]), d.pk, "acknowledged")
    for step in ("en_route", "on_scene", "returning"):
        services.set_dispatch_status(disp, d.pk, step)
    units.E.refresh_from_db()
    assert units.E.status == "returning"
    return SimpleNamespace(net=net, a=a, node=node, kec_node=kec_node, psc=psc, pmi=pmi, users=users, units=units,
                           incident=inc, dispatcher=disp)


def test_recommendation_filters_and_orders_by_independent_travel_times(world):
    r = client_for(world.users["dispatcher"]).get(f"/api/dispatch/incidents/{world.incident.pk}/recommendation")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["capability"] == "ambulance"
    rows = body["units"]
    u = world.units
    # Wrong capability, busy, out of service, uncrewed (no shift, or a driver without a medic), and another
    # organisation's unit not offered for mutual aid: none of them, though all stand a block away.
    assert {row["unit_id"] for row in rows} == {u.A.pk, u.E.pk, u.C.pk, u.B.pk, u.H.pk}

    to_incident = dijkstra(reverse_matrix(world.a), indices=[world.node["incident"]])[0] / 10
    expected = {getattr(u, k).pk: float(to_incident[world.node[k]]) for k in "AECBH"}
    assert all(np.isfinite(list(expected.values())))
    independent_order = sorted(expected, key=expected.get)
    assert [row["unit_id"] for row in rows] == independent_order
    assert [row["call_sign"] for row in rows] == ["BPP-A", "BPP-E", "BPP-C", "BPP-B", "PMI-H"]
    for row in rows:
        assert row["estimate"] is False
        assert row["eta_seconds"] == pytest.approx(expected[row["unit_id"]], abs=2.0)
        assert row["distance_m"] > 0
    by_id = {row["unit_id"]: row for row in rows}
    # The mutual-aid unit of PMI needs a request; PSC's own units are sent directly.
    assert by_id[u.H.pk]["direct"] is False and by_id[u.H.pk]["organization_name"] == "PMI Kota Balikpapan"
    assert all(by_id[getattr(u, k).pk]["direct"] for k in "AECB")
    assert by_id[u.E.pk]["status"] == "returning"
    # No live position yet: the units stand at their stations and the position counts as stale.
    assert all(row["at_station"] is False and row["position_stale"] for row in rows)


def test_leaves_uncovered_matches_independent_coverage(world):
    body = recommend.recommend(world.dispatcher, world.incident.pk)
    rows = {row["unit_id"]: row for row in body["units"]}
    target_s = targets_minutes()[recommend.coverage_priority()] * 60
    direct = {k: getattr(world.units, k) for k in "AECB"}  # the mutual-aid unit covers nothing for us
    rev = reverse_matrix(world.a)
    within = {}
    for code, kn in world.kec_node.items():
        to_kec = dijkstra(rev, indices=[kn])[0] / 10
        within[code] = {k for k in direct if to_kec[world.node[k]] <= target_s}
    expected = {direct[k].pk: sorted(code for code, ks in within.items() if ks == {k}) for k in direct}
    got = {pk: sorted(x["code"] for x in rows[pk]["leaves_uncovered"]) for pk in expected}
    assert got == expected
    # The set-up makes the lone-unit case real: the advanced ambulance alone covers the west kecamatan...
    assert rows[world.units.C.pk]["leaves_uncovered"] == [{"code": "64.71.01", "name": "Kecamatan Barat"}]
    # ...while the kecamatan two units reach is lost by neither.
    assert len(within["64.71.04"]) >= 2
    assert all("64.71.04" not in [x["code"] for x in r["leaves_uncovered"]] for r in body["units"])
    assert rows[world.units.H.pk]["leaves_uncovered"] == []

    # Coverage now agrees through the API, and marks the west kecamatan as lost if the advanced ambulance leaves.
    c = client_for(world.users["dispatcher"])
    cov = c.get(f"/api/dispatch/coverage-now?region_code=64.71&unit_id={world.units.C.pk}").json()
    assert cov["uncovered_if_unit_leaves"] == ["64.71.01"]
    assert [k["code"] for k in cov["kecamatan"]] == sorted(KECAMATAN)


def test_live_positions_move_units_in_the_ranking_and_old_ones_are_flagged(world):
    from siaga.dispatch.positions import record_positions

    crew = actor_for(world.users["crew"])
    node_c = world.node["C"]
    c_pt = (float(world.a["lat"][node_c]), float(world.a["lng"][node_c]))
    now = timezone.now()
    # BPP-A's phone reports it at BPP-C's junction just now; BPP-C's last fix is half an hour old.
    record_positions(crew, world.units.A.pk, [{"lat": c_pt[0], "lng": c_pt[1], "measured_at": now.isoformat()}])
    old = (now - dt.timedelta(minutes=30)).isoformat()
    record_positions(crew, world.units.C.pk, [{"lat": c_pt[0], "lng": c_pt[1], "measured_at": old}])
    rows = recommend.recommend(world.dispatcher, world.incident.pk)["units"]
    to_incident = dijkstra(reverse_matrix(world.a), indices=[world.node["incident"]])[0] / 10
    # Same junction, same time: A now ranks behind E, level with C (call sign breaks the tie).
    assert [r["call_sign"] for r in rows] == ["BPP-E", "BPP-A", "BPP-C", "BPP-B", "PMI-H"]
    by = {r["call_sign"]: r for r in rows}
    assert by["BPP-A"]["eta_seconds"] == pytest.approx(float(to_incident[node_c]), abs=2.0)
    assert by["BPP-A"]["position_stale"] is False
    assert by["BPP-C"]["position_stale"] is True
