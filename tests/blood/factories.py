"""Plain ORM builders for blood records owned by a given organisation (isolation specs need one per org)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from siaga.blood import isbt
from siaga.blood.models import (
    Component,
    ComponentType,
    Deferral,
    Donation,
    DonationSession,
    Donor,
    Lookback,
    LookbackItem,
    Site,
)

_seq = itertools.count(1)


def site_for(org, kind=Site.Kind.UDD) -> Site:
    site = Site.objects.filter(organization=org, kind=kind).first()
    if site is None:
        n = next(_seq)
        site = Site.objects.create(organization=org, code=f"site-{org.pk}-{n}", name=f"Site {n}", kind=kind,
                                   region_code=org.region_code, isbt_fin=f"A{9000 + n % 999:04d}")
    return site


def donor_for(org) -> Donor:
    n = next(_seq)
    site = site_for(org)
    return Donor.objects.create(organization=org, region_code=org.region_code, site=site, number=f"D{n:06d}",
                                nik=f"357601170590{n % 9999:04d}", nik_hash=f"h{org.pk}-{n}", name=f"Donor {n}",
                                sex="M", birth_date=dt.date(1990, 5, 17))


def donation_for(org, din_from_pk: bool = False) -> Donation:
    donor = donor_for(org)
    n = next(_seq)
    site = site_for(org)
    d = Donation.objects.create(organization=org, region_code=org.region_code, site=site, donor=donor,
                                din=f"Z{n:04d}26{n:06d}", din_check="0", bag_type="triple", volume_ml=350,
                                collected_at=timezone.now() - dt.timedelta(hours=2))
    if din_from_pk:
        din = isbt.make_din("W0000", 2026, d.pk)
        Donation.objects.filter(pk=d.pk).update(din=din.din, din_check=din.check)
        d.refresh_from_db()
    return d


def component_for(org, *, kind=Site.Kind.UDD, status="available") -> Component:
    site = site_for(org, kind=kind)
    donation = donation_for(org)
    return Component.objects.create(
        organization=org, region_code=org.region_code, site=site, origin_organization=org, donation=donation,
        component_type=ComponentType.objects.get(code="PRC"), din=donation.din, abo="O", rhd="pos", volume_ml=200,
        collected_at=donation.collected_at, prepared_at=donation.collected_at,
        expires_at=timezone.now() + dt.timedelta(days=30), status=status)


def session_for(org) -> DonationSession:
    site = site_for(org)
    start = timezone.now() + dt.timedelta(days=3)
    return DonationSession.objects.create(organization=org, region_code=org.region_code, site=site, kind="mobile",
                                          name="Donor darah kampus", location="Kampus", starts_at=start,
                                          ends_at=start + dt.timedelta(hours=4), target_donors=40)


def deferral_for(org) -> Deferral:
    donor = donor_for(org)
    return Deferral.objects.create(organization=org, region_code=org.region_code, donor=donor, kind="permanent",
                                   reason_code="x", reason="x", starts_on=timezone.localdate())


def lookback_for(org) -> Lookback:
    comp = component_for(org, status="discarded")
    lb = Lookback.objects.create(organization=org, region_code=org.region_code, donor=comp.donation.donor,
                                 trigger_donation=comp.donation, markers=["hiv"], raised_at=timezone.now())
    LookbackItem.objects.create(lookback=lb, donation=comp.donation, component=comp, status_at_lookback="available")
    return lb
