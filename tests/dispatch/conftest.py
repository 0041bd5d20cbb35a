"""Dispatch fixtures: PSC 119 Kota Mojokerto dispatching PMI Kota Mojokerto's ambulances, crews on shift, a
hospital, and an organisation next door that must not see any of it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from siaga.callcenter import services as cc
from siaga.callcenter.models import IncidentType
from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core.models import Membership, User
from siaga.core.permissions import actor_for, system_actor
from siaga.dispatch import services
from siaga.dispatch.models import CrewMember, Shift
from tests.conftest import client_for

# Jl. Mojopahit, Kranggan, Kota Mojokerto (scenario 1) and PMI Kota Mojokerto's post nearby.
KRANGGAN = (-7.4706, 112.4387)
PMI_POST = (-7.4722, 112.4337)


def member(role: str, org, scope_code: str, username: str) -> User:
    user = User.objects.create(username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


@pytest.fixture
def taxonomy(db) -> dict[str, IncidentType]:
    seed_taxonomy()
    return {t.code: t for t in IncidentType.objects.all()}


def put_on_shift(unit, *people, hours: float = 8, start=None):
    """Roster people (CrewMember, role) on a unit from `start` (default an hour ago) for `hours`."""
    start = start or timezone.now() - dt.timedelta(hours=1)
    return [Shift.objects.create(organization=unit.organization, unit=unit, role=role, member=person,
                                 starts_at=start, ends_at=start + dt.timedelta(hours=hours))
            for person, role in people]


@pytest.fixture
def fleet(regions, taxonomy, make_org):
    """PSC 119 Kota Mojokerto dispatches PMI Kota Mojokerto's ambulances AMB-01 (crewed) and AMB-02 (no crew);
    PSC 119 Kabupaten Mojokerto next door owns AMB-K1 (offered for mutual aid)."""
    psc = make_org(kind="psc119", region_code="35.76", name="PSC 119 Kota Mojokerto")
    pmi = make_org(kind="pmi_branch", region_code="35.76", name="PMI Kota Mojokerto")
    other = make_org(kind="psc119", region_code="35.16", name="PSC 119 Kabupaten Mojokerto")
    hospital = make_org(kind="hospital", region_code="35.76", name="RSUD dr. Wahidin Sudiro Husodo")
    hospital.lat, hospital.lng = -7.4751, 112.4455
    hospital.save(update_fields=["lat", "lng"])
    users = {
        "dispatcher": member("dispatcher", psc, "35.76", "dispatcher-psc"),
        "call_taker": member("call_taker", psc, "35.76", "penerima-psc"),
        "pmi_dispatcher": member("dispatcher", pmi, "35.76", "dispatcher-pmi"),
        "crew": member("ambulance_crew", pmi, "35.76", "kru-amb01"),
        "crew_off": member("ambulance_crew", pmi, "35.76", "kru-libur"),
        "other_dispatcher": member("dispatcher", other, "35.16", "dispatcher-kab"),
        "other_crew": member("ambulance_crew", other, "35.16", "kru-kab"),
        "hospital": member("hospital_officer", hospital, "35.76", "rs-wahidin"),
    }
    sys = system_actor()
    station = services.create_station(sys, name="Markas PMI Kota Mojokerto", kind="pmi", region_code="35.76.03",
                                      lat=PMI_POST[0], lng=PMI_POST[1], organization=pmi)
    amb1 = services.create_unit(sys, call_sign="AMB-01", kind="ambulance_basic", station=station, organization=pmi,
                                dispatch_center=psc, plate_number="S 1119 PM")
    amb2 = services.create_unit(sys, call_sign="AMB-02", kind="ambulance_advanced", station=station, organization=pmi,
                                dispatch_center=psc)
    other_station = services.create_station(sys, name="Pos PSC Jatirejo", kind="psc119", region_code="35.16.01",
                                            lat=-7.5790, lng=112.4340, organization=other)
    amb_k1 = services.create_unit(sys, call_sign="AMB-K1", kind="ambulance_basic", station=other_station,
                                  organization=other, mutual_aid=True)
    driver = CrewMember.objects.create(organization=pmi, name="Budi Santoso", qualifications=["driver"])
    nurse = CrewMember.objects.create(organization=pmi, name="Siti Aminah", qualifications=["nurse"],
                                      user=users["crew"])
    CrewMember.objects.create(organization=pmi, name="Agus Salim", qualifications=["nurse"], user=users["crew_off"])
    put_on_shift(amb1, (driver, "driver"), (nurse, "nurse"))
    k_driver = CrewMember.objects.create(organization=other, name="Joko", qualifications=["driver"])
    k_nurse = CrewMember.objects.create(organization=other, name="Rina", qualifications=["paramedic"],
                                        user=users["other_crew"])
    put_on_shift(amb_k1, (k_driver, "driver"), (k_nurse, "paramedic"))

    def actor(name="dispatcher"):
        return actor_for(users[name])

    def client(name="dispatcher"):
        return client_for(users[name])

    def incident(type_code="kecelakaan-lalu-lintas", *, who="call_taker", lat=KRANGGAN[0], lng=KRANGGAN[1], **kw):
        a = actor(who)
        call = cc.start_call(a, channel="phone", caller_number="081234567890")
        cc.answer_call(a, call.pk)
        kw.setdefault("description", "Tabrakan motor di Jl. Mojopahit")
        return cc.create_incident(a, type_code=type_code, call_id=call.pk, lat=lat, lng=lng, **kw)

    return SimpleNamespace(psc=psc, pmi=pmi, other=other, hospital=hospital, users=users, actor=actor, client=client,
                           incident=incident, station=station, amb1=amb1, amb2=amb2, amb_k1=amb_k1, driver=driver,
                           nurse=nurse, types=taxonomy)
