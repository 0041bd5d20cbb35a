"""A year (2025) of PMI Kota Mojokerto's records with known figures, and a neighbour's records that must not count.

PMI Kota Mojokerto (35.76, WIB) with its UDD below it; PMI Kabupaten Mojokerto (35.16) next door.

  calls (PMI's ambulance line)   Jan: 10 08:00 answered -> incident i1 · 20 09:00 answered, prank ·
                                      31 23:30 never answered
                                 Mar: 1 00:30 WIB (28 Feb in UTC) answered, silent
                                 31 Dec 2024 23:59 WIB: last year, not counted
  incidents / dispatches         i1 P1 created 10 Jan 08:01: AMB-1 on scene 08:09 (8 min, target 10: within),
                                      at hospital 08:30; AMB-2 on scene 08:20 (second: not judged)
                                 i2 P2 created 5 Mar 10:00: AMB-1 on scene 10:40 (40 min, target 20: over), no transport
  blood (UDD)                    donations: 2 in Feb, 1 in Jun · issued: 2 units in Jun · outdated: 1 unit, 15 Aug
  relief (PMI's warehouse)       distributions: 3 Nov 120 people, 20 Nov 80 people, 1 Dec 50 people
  neighbour (PMI Kab Mojokerto)  1 call in Jan, 1 distribution of 999 people in Nov, 1 donation in Feb
"""

from __future__ import annotations

import datetime as dt
import secrets
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

WIB = ZoneInfo("Asia/Jakarta")
YEAR = 2025


def at(month: int, day: int, hh: int, mm: int = 0, year: int = YEAR) -> dt.datetime:
    return dt.datetime(year, month, day, hh, mm, tzinfo=WIB)


def _call(org, started, *, answered=True, outcome="", incident=None):
    from siaga.callcenter.models import Call

    return Call.objects.create(organization=org, channel="phone", caller_number="+6281234500001", started_at=started,
                               answered_at=started + dt.timedelta(seconds=8) if answered else None,
                               outcome=outcome, incident=incident, region_code=org.region_code)


def _incident(org, created, priority):
    from siaga.callcenter.models import Incident, IncidentType
    from siaga.callcenter.taxonomy import seed_taxonomy

    seed_taxonomy()
    return Incident.objects.create(organization=org, number=f"PMI-{secrets.randbelow(10**8)}",
                                   type=IncidentType.objects.get(code="kecelakaan-lalu-lintas"), priority=priority,
                                   suggested_priority=priority, region_code="35.76.03.1001", lat=-7.47, lng=112.43,
                                   tracking_token=secrets.token_urlsafe(24), created_at=created)


def _unit(org, call_sign):
    from siaga.dispatch.models import Station, Unit

    st, _ = Station.objects.get_or_create(organization=org, name="Markas PMI", kind="pmi", region_code=org.region_code,
                                          lat=-7.47, lng=112.43)
    return Unit.objects.create(organization=org, station=st, call_sign=call_sign, kind="ambulance_basic",
                               capabilities=["ambulance"], region_code=org.region_code, always_crewed=True)


def _dispatch(org, incident, unit, alerted, on_scene, *, hospital=None, at_hospital=None):
    from siaga.dispatch.models import Dispatch

    return Dispatch.objects.create(
        organization=org, incident=incident, unit=unit, region_code=incident.region_code, status="completed",
        alerted_at=alerted, ack_deadline_at=alerted + dt.timedelta(minutes=1),
        acknowledged_at=alerted + dt.timedelta(seconds=20), en_route_at=alerted + dt.timedelta(seconds=60),
        on_scene_at=on_scene, transporting_at=on_scene + dt.timedelta(minutes=10) if at_hospital else None,
        at_hospital_at=at_hospital, destination=hospital,
        completed_at=(at_hospital or on_scene) + dt.timedelta(minutes=30))


def _donation(udd, collected):
    from siaga.blood.models import Donation
    from tests.blood import factories

    d = factories.donation_for(udd)
    Donation.objects.filter(pk=d.pk).update(collected_at=collected)
    return d


def _component(udd, collected, **extra):
    from siaga.blood.models import Component
    from tests.blood import factories

    c = factories.component_for(udd, **extra)
    Component.objects.filter(pk=c.pk).update(collected_at=collected, prepared_at=collected)
    from siaga.blood.models import Donation

    Donation.objects.filter(pk=c.donation_id).update(collected_at=dt.datetime(2020, 1, 1, tzinfo=WIB))
    c.refresh_from_db()
    return c


def _issue(udd, hospital, issued_at, n):
    from siaga.blood.models import Issue
    from tests.blood.test_request_api import request_owned_by

    req = request_owned_by(hospital, udd)
    issue = Issue.objects.create(organization=udd, region_code=udd.region_code, site=req.supplier_site, request=req,
                                 hospital=hospital, number=f"KLR-{req.pk}", issued_at=issued_at,
                                 recipient_kind="courier", recipient_name="Kurir", signed_by="Kurir", payer="bpjs")
    for _i in range(n):
        comp = _component(udd, issued_at - dt.timedelta(days=5), status="issued")
        issue.items.create(component=comp, request_line=req.lines.get())
    return issue


def _distribution(org, warehouse, when, people, households):
    from siaga.disaster.logistics.models import Distribution

    return Distribution.objects.create(organization=org, warehouse=warehouse, region_code="35.76.03.1001"
                                       if org.region_code == "35.76" else "35.16.01.2001",
                                       households=households, people=people, distributed_at=when)


@pytest.fixture
def year(db, regions, make_org, make_user):
    from siaga.blood.models import ComponentEvent
    from siaga.callcenter.models import PriorityPolicy
    from siaga.core.permissions import actor_for
    from siaga.disaster.logistics.models import Warehouse
    from tests.conftest import reseed_reference_data

    reseed_reference_data()  # a transactional test (the browser scenario) starts after another one's flush
    PriorityPolicy.objects.update_or_create(priority=1, defaults={"response_target_minutes": 10,
                                                                  "ack_deadline_minutes": 2})
    PriorityPolicy.objects.update_or_create(priority=2, defaults={"response_target_minutes": 20,
                                                                  "ack_deadline_minutes": 5})
    pmi = make_org(kind="pmi_branch", region_code="35.76", name="PMI Kota Mojokerto")
    udd = make_org(kind="udd", region_code="35.76", parent=pmi, name="UDD PMI Kota Mojokerto")
    hospital = make_org(kind="hospital", region_code="35.76", name="RSUD dr. Wahidin Sudiro Husodo")
    neighbour = make_org(kind="pmi_branch", region_code="35.16", name="PMI Kabupaten Mojokerto")

    i1 = _incident(pmi, at(1, 10, 8, 1), 1)
    i2 = _incident(pmi, at(3, 5, 10, 0), 2)
    calls = [_call(pmi, at(1, 10, 8, 0), outcome="new_incident", incident=i1),
             _call(pmi, at(1, 20, 9, 0), outcome="prank"),
             _call(pmi, at(1, 31, 23, 30), answered=False),
             _call(pmi, at(3, 1, 0, 30), outcome="silent")]
    _call(pmi, at(12, 31, 23, 59, year=YEAR - 1), outcome="prank")
    _call(neighbour, at(1, 15, 10, 0), outcome="prank")

    amb1, amb2 = _unit(pmi, "PMI-AMB-1"), _unit(pmi, "PMI-AMB-2")
    d1 = _dispatch(pmi, i1, amb1, at(1, 10, 8, 2), at(1, 10, 8, 9), hospital=hospital, at_hospital=at(1, 10, 8, 30))
    d2 = _dispatch(pmi, i1, amb2, at(1, 10, 8, 3), at(1, 10, 8, 20))
    d3 = _dispatch(pmi, i2, amb1, at(3, 5, 10, 1), at(3, 5, 10, 40))

    donations = [_donation(udd, at(2, 3, 9)), _donation(udd, at(2, 17, 9)), _donation(udd, at(6, 9, 9))]
    _donation(neighbour, at(2, 4, 9))
    issue = _issue(udd, hospital, at(6, 12, 14), 2)
    outdated = _component(udd, at(7, 1, 9), status="expired")
    ComponentEvent.objects.create(component=outdated, from_status="available", to_status="expired",
                                  at=at(8, 15, 0, 5), site=outdated.site)

    wh = Warehouse.objects.create(organization=pmi, region_code="35.76", code="gudang-pmi", name="Gudang PMI Kota")
    wh_n = Warehouse.objects.create(organization=neighbour, region_code="35.16", code="gudang-kab", name="Gudang Kab")
    dists = [_distribution(pmi, wh, at(11, 3, 10), 120, 30), _distribution(pmi, wh, at(11, 20, 10), 80, 20),
             _distribution(pmi, wh, at(12, 1, 10), 50, 12)]
    _distribution(neighbour, wh_n, at(11, 5, 10), 999, 200)

    users = {
        "leader": make_user("leader", pmi, scope_code="35.76"),
        "admin": make_user("administrator", pmi, scope_code="35.76"),
        "blood": make_user("blood_bank_officer", udd, scope_code="35.76"),
        "neighbour": make_user("leader", neighbour, scope_code="35.16"),
    }
    return SimpleNamespace(pmi=pmi, udd=udd, hospital=hospital, neighbour=neighbour, incidents=[i1, i2], calls=calls,
                           dispatches=[d1, d2, d3], donations=donations, issue=issue, outdated=outdated,
                           distributions=dists, users=users,
                           actor=lambda who: actor_for(users[who]))
