"""Demo data for the blood service: PMI Kota Mojokerto's UDD, two hospital blood banks, donors, stock and 8 weeks of use.

Called by siaga.demo (`siaga demo`) after the organisations exist; idempotent (a site that has units is
left alone). Volumes follow the seed: about 18,422 bags a year (some 50 a day) with the Indonesian ABO
distribution (O 38.5%, B 29.4%, A 24.1%, AB 8.0%; RhD negative 0.5%). The FIN A9999 is the ICCBBA
example facility number, not a real one.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from siaga.core.models import Organization
from siaga.core.permissions import system_actor

from . import isbt, services
from .models import (
    Component,
    ComponentEvent,
    ComponentType,
    DailyUsage,
    Donation,
    DonationSession,
    Donor,
    Site,
)

ABO_SHARE = {"O": 0.385, "B": 0.294, "A": 0.241, "AB": 0.080}
RHD_NEG_SHARE = 0.005
BAGS_PER_DAY = 18422 / 365
DEMO_FIN = "A9999"

SITES = [
    # (org code, site code, name, kind)
    ("udd-pmi-kota-mojokerto", "udd-kota-mojokerto", "UDD PMI Kota Mojokerto", Site.Kind.UDD),
    ("rs-3576014", "bdrs-rsud-wahidin", "BDRS RSUD dr. Wahidin Sudiro Husodo", Site.Kind.HOSPITAL_BANK),
    ("rs-3516020", "bdrs-rsud-soekandar", "BDRS RSUD Prof. dr. Soekandar", Site.Kind.HOSPITAL_BANK),
]

DONORS = [("Ahmad Fauzi", "M", dt.date(1988, 3, 14), "O", "pos"), ("Siti Rahmawati", "F", dt.date(1992, 7, 2), "B", "pos"),
          ("Budi Santoso", "M", dt.date(1979, 11, 23), "A", "pos"), ("Dewi Lestari", "F", dt.date(1995, 1, 9), "AB", "pos"),
          ("Eko Prasetyo", "M", dt.date(1985, 5, 30), "O", "neg"), ("Rina Kurniawati", "F", dt.date(1990, 9, 17), "B", "pos"),
          ("Agus Salim", "M", dt.date(1975, 12, 1), "O", "pos"), ("Nur Hidayah", "F", dt.date(1998, 4, 21), "A", "pos")]


def _groups_weighted():
    out = []
    for abo, share in ABO_SHARE.items():
        out.append((abo, "pos", share * (1 - RHD_NEG_SHARE)))
        out.append((abo, "neg", share * RHD_NEG_SHARE))
    return out


def _site(org_code, code, name, kind, supplier=None) -> Site | None:
    org = Organization.objects.filter(code=org_code).first()
    if org is None:
        return None
    site, _ = Site.objects.get_or_create(code=code, defaults=dict(
        organization=org, name=name, kind=kind, region_code=org.region_code, address=org.address,
        lat=org.lat, lng=org.lng, isbt_fin=DEMO_FIN if kind == Site.Kind.UDD else "", supplier=supplier))
    return site


@transaction.atomic
def load_demo(seed: int = 26) -> dict:
    """Sites, donors, a mobile drive, stock and 8 weeks of usage; returns what was created."""
    rng = random.Random(seed)
    udd = _site(*SITES[0])
    if udd is None:
        return {"skipped": "no UDD organisation"}
    banks = [s for s in (_site(*row, supplier=udd) for row in SITES[1:]) if s is not None]
    if Component.objects.filter(site=udd).exists():
        return {"skipped": "stock exists"}
    actor = system_actor()
    today = timezone.localdate()
    now = timezone.now()
    donors = []
    for i, (name, sex, birth, abo, rhd) in enumerate(DONORS, start=1):
        nik = f"357601{birth.day + (40 if sex == 'F' else 0):02d}{birth.month:02d}{birth.year % 100:02d}{i:04d}"
        donor = Donor.objects.filter(organization=udd.organization, nik=nik).first() or services.register_donor(
            actor, site_id=udd.pk, nik=nik, name=name, sex=sex, birth_date=birth, abo=abo, rhd=rhd,
            phone=f"0812330{i:05d}", on_call_panel=rhd == "neg")
        Donor.objects.filter(pk=donor.pk).update(group_confirmed=True, group_confirmed_at=now)
        donors.append(donor)
    start = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=6), dt.time(8)))
    DonationSession.objects.get_or_create(
        site=udd, name="Donor darah Alun-alun Kota Mojokerto", defaults=dict(
            organization=udd.organization, region_code=udd.region_code, kind=DonationSession.Kind.MOBILE,
            location="Alun-alun Kota Mojokerto", organiser="KSR PMI Kota Mojokerto", starts_at=start,
            ends_at=start + dt.timedelta(hours=5), target_donors=80))

    prc = ComponentType.objects.get(code="PRC")
    tc = ComponentType.objects.get(code="TC")
    ffp = ComponentType.objects.get(code="FFP")
    groups = _groups_weighted()
    # Eight weeks of issues per site (weekday pattern: fewer on Sundays), the forecast's input.
    for site, share in [(udd, 0.55)] + [(b, 0.45 / max(1, len(banks))) for b in banks]:
        for back in range(1, 57):
            day = today - dt.timedelta(days=back)
            weekday_factor = 0.6 if day.weekday() == 6 else 1.0
            for abo, rhd, g_share in groups:
                issued = round(BAGS_PER_DAY * share * g_share * weekday_factor * rng.uniform(0.7, 1.3))
                if issued:
                    DailyUsage.objects.update_or_create(
                        site=site, date=day, component_type=prc, abo=abo, rhd=rhd,
                        defaults={"organization_id": site.organization_id, "region_code": site.region_code,
                                  "issued": issued, "collected": issued})
    # Stock on the shelves: about four days of red cells at the UDD, group B running short (the Lebaran story).
    year = today.year
    made = 0
    for site, days in [(udd, 4.0)] + [(b, 3.0) for b in banks]:
        for abo, rhd, g_share in groups:
            daily = BAGS_PER_DAY * (0.55 if site == udd else 0.2) * g_share
            units = max(1 if rhd == "neg" else 0, round(daily * (1.5 if abo == "B" and site == udd else days)))
            for _i in range(units):
                age_days = rng.randint(1, 30)
                collected = now - dt.timedelta(days=age_days, hours=rng.randint(0, 12))
                donor = rng.choice(donors)
                din = isbt.make_din(DEMO_FIN, year, services.next_number(f"din:{DEMO_FIN}", year))
                donation = Donation.objects.create(
                    organization=udd.organization, region_code=udd.region_code, site=udd, donor=donor,
                    din=din.din, din_check=din.check, bag_type=Donation.BagType.TRIPLE, volume_ml=350,
                    collected_at=collected, status=Donation.Status.RELEASED, screening=Donation.Screening.NEGATIVE,
                    screened_at=collected + dt.timedelta(hours=20))
                kinds = [(prc, 200)] + ([(ffp, 120)] if rng.random() < 0.5 else []) + (
                    [(tc, 50)] if age_days < 5 else [])
                for ctype, volume in kinds:
                    comp = Component.objects.create(
                        organization_id=site.organization_id, region_code=site.region_code, site=site,
                        origin_organization=udd.organization, donation=donation, component_type=ctype,
                        din=din.din, abo=abo, rhd=rhd, volume_ml=volume, collected_at=collected,
                        prepared_at=collected + dt.timedelta(hours=4),
                        expires_at=collected + dt.timedelta(hours=ctype.shelf_life_hours),
                        status="available" if collected + dt.timedelta(hours=ctype.shelf_life_hours) > now
                        else "expired", status_changed_at=collected + dt.timedelta(hours=20))
                    ComponentEvent.objects.create(component=comp, at=comp.status_changed_at, to_status=comp.status,
                                                  site=site, note="demo")
                    made += 1
    return {"sites": 1 + len(banks), "donors": len(donors), "units": made}
