"""Blood-service fixtures: a UDD (PMI Kota Mojokerto) and a hospital blood bank, their officers, donors and units."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import Component, ComponentEvent, ComponentType, Donation, Donor, Site
from siaga.core.permissions import actor_for

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _blood_reference_data(request):
    """Component types and eligibility rules come from a data migration; a transactional test elsewhere
    flushes them, so put them back (idempotent) for every test that uses the database."""
    wants_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames))
    if wants_db:
        request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
        from django.apps import apps

        from siaga.blood.seed import seed_reference_data

        seed_reference_data(apps)

# A valid NIK for a man born 1990-05-17 in Kota Mojokerto (35.76.01), serial 0001.
NIK_MAN_1990 = "3576011705900001"


def nik_for(birth: dt.date, sex: str = "M", region: str = "357601", serial: int | None = None) -> str:
    day = birth.day + (40 if sex == "F" else 0)
    return f"{region}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial or next(_seq):04d}"


@pytest.fixture
def blood(db, regions, make_org, make_user):
    """A UDD site with an ISBT FIN and an officer, a hospital with its blood bank and an officer, as actors."""
    pmi = make_org(kind="udd", region_code="35.76", name="UDD PMI Kota Mojokerto")
    hospital = make_org(kind="hospital", region_code="35.76", name="RSUD Dr. Wahidin Sudiro Husodo")
    udd = Site.objects.create(organization=pmi, code=f"udd-{next(_seq)}", name="UDD PMI Kota Mojokerto",
                              kind=Site.Kind.UDD, region_code="35.76", isbt_fin="A9999")
    bdrs = Site.objects.create(organization=hospital, code=f"bdrs-{next(_seq)}", name="BDRS RSUD Wahidin",
                               kind=Site.Kind.HOSPITAL_BANK, region_code="35.76", supplier=udd)
    officer_user = make_user("blood_bank_officer", pmi, scope_code="35.76")
    hospital_user = make_user("hospital_officer", hospital, scope_code="35.76")

    class B:
        pass

    b = B()
    b.pmi, b.hospital, b.udd, b.bdrs = pmi, hospital, udd, bdrs
    b.officer_user, b.hospital_user = officer_user, hospital_user
    b.officer = actor_for(officer_user)
    b.hospital_officer = actor_for(hospital_user)
    return b


@pytest.fixture
def make_donor(blood):
    def make(birth=dt.date(1990, 5, 17), sex="M", name=None, abo="", rhd="", phone="", actor=None, **kw) -> Donor:
        n = next(_seq)
        return services.register_donor(actor or blood.officer, nik=nik_for(birth, sex, serial=n), name=name or f"Donor {n}",
                                       sex=sex, birth_date=birth, phone=phone, abo=abo, rhd=rhd, **kw)

    return make


GOOD_VITALS = dict(weight_kg=60, hb_g_dl=13.5, systolic_mmhg=120, diastolic_mmhg=80, pulse_bpm=72,
                   temperature_c=36.6)


@pytest.fixture
def make_donation(blood, make_donor):
    """make_donation(donor=None, at=None, volume_ml=350) -> a whole-blood Donation after an eligible visit."""

    def make(donor=None, at=None, volume_ml=350, bag_type="triple", **visit_kw) -> Donation:
        donor = donor or make_donor()
        vitals = {**GOOD_VITALS, **visit_kw}
        visit = services.record_visit(blood.officer, donor.pk, at=at, bag_volume_ml=volume_ml, **vitals)
        assert visit.eligible, visit.refusals
        return services.record_donation(blood.officer, visit_id=visit.pk, bag_type=bag_type, volume_ml=volume_ml,
                                        collected_at=at)

    return make


def screen_all(actor, donation, *, abo="O", rhd="pos", reactive: str | None = None):
    """Enter the grouping and the four markers (all non-reactive, or `reactive` marker reactive)."""
    services.record_screening_result(actor, donation.pk, marker="grouping", result="grouped", abo=abo, rhd=rhd)
    for marker in ("hiv", "hbsag", "hcv", "syphilis"):
        services.record_screening_result(actor, donation.pk, marker=marker,
                                         result="reactive" if marker == reactive else "nonreactive")


@pytest.fixture
def make_units(blood):
    """make_units(site, "PRC", "O", "pos", n=2, expires_in=dt.timedelta(days=20), status="available") -> units.

    Stock for tests of stock queries: written directly (no donor/donation history needed beyond a stub donation).
    """

    def make(site=None, code="PRC", abo="O", rhd="pos", n=1, expires_in=dt.timedelta(days=20), status="available"):
        site = site or blood.udd
        ctype = ComponentType.objects.get(code=code)
        now = timezone.now()
        donor = Donor.objects.create(organization=blood.pmi, region_code="35.76", number=f"S{next(_seq)}",
                                     nik="3576010101900001", nik_hash=f"stub{next(_seq)}", name="Stub",
                                     sex="M", birth_date=dt.date(1990, 1, 1))
        out = []
        with transaction.atomic():
            for _i in range(n):
                k = next(_seq)
                donation = Donation.objects.create(
                    organization=blood.pmi, region_code="35.76", site=blood.udd, donor=donor,
                    din=f"A9999{now.year % 100:02d}{900000 + k:06d}", din_check="0", bag_type="triple",
                    volume_ml=350, collected_at=now - dt.timedelta(days=1), status="released")
                c = Component.objects.create(
                    organization=site.organization, region_code=site.region_code, site=site,
                    origin_organization=blood.pmi, donation=donation, component_type=ctype, din=donation.din,
                    abo=abo, rhd=rhd, volume_ml=200, collected_at=donation.collected_at,
                    prepared_at=donation.collected_at, expires_at=now + expires_in, status=status)
                ComponentEvent.objects.create(component=c, at=now, to_status=status, site=site)
                out.append(c)
        return out

    return make
