"""Reservations hold units for a request and lapse by themselves if nobody collects them in time."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import services_issue as si
from siaga.blood.models import Component, Reservation
from siaga.core.errors import ServiceError

from .test_issue_support import HANDOVER, make_request  # noqa: F401

D = dt.timedelta


def test_reserve_holds_the_fefo_picks_and_issue_uses_them(blood, make_request, make_units):
    soon = make_units(abo="O", rhd="pos", n=1, expires_in=D(days=2))
    later = make_units(abo="O", rhd="pos", n=2, expires_in=D(days=10))
    req = make_request(quantity=1)
    [res] = si.reserve(blood.officer, req.pk, minutes=60)
    assert res.component_id == soon[0].pk and res.status == "active"
    assert Component.objects.get(pk=soon[0].pk).status == "reserved"
    req.refresh_from_db()
    assert req.status == "reserved" and req.lines.get().status == "reserved"
    # A second request cannot take the reserved unit, even by hand.
    other = make_request(quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, other.pk, component_ids=[soon[0].pk], **HANDOVER)
    assert exc.value.code == "reserved_elsewhere"
    issue = si.issue_request(blood.officer, req.pk, **HANDOVER)
    assert list(issue.items.values_list("component_id", flat=True)) == [soon[0].pk]
    res.refresh_from_db()
    assert res.status == "issued"
    assert Component.objects.filter(pk__in=[u.pk for u in later], status="available").count() == 2


def test_a_lapsed_reservation_returns_the_unit_to_stock(blood, make_request, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    req = make_request(quantity=1)
    [res] = si.reserve(blood.officer, req.pk, minutes=30)
    assert si.expire_reservations(now=timezone.now() + D(minutes=10)) == 0
    assert si.expire_reservations(now=timezone.now() + D(minutes=31)) == 1
    res.refresh_from_db()
    unit.refresh_from_db()
    assert res.status == "expired" and unit.status == "available"
    assert req.lines.get().status == "open"


def test_issue_releases_a_lapsed_reservation_before_picking(blood, make_request, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    req = make_request(quantity=1)
    [res] = si.reserve(blood.officer, req.pk, minutes=30)
    Reservation.objects.filter(pk=res.pk).update(expires_at=timezone.now() - D(minutes=1))
    issue = si.issue_request(blood.officer, req.pk, **HANDOVER)  # the unit is free again, and still the FEFO pick
    assert list(issue.items.values_list("component_id", flat=True)) == [unit.pk]
    res.refresh_from_db()
    assert res.status == "expired"


def test_the_reservation_time_is_configurable_by_urgency(settings, blood, make_request, make_units):
    settings.SIAGA_BLOOD_RESERVATION_MINUTES_CITO = 45
    make_units(abo="O", rhd="pos", n=1)
    req = make_request(quantity=1, urgency="cito")
    before = timezone.now()
    [res] = si.reserve(blood.officer, req.pk)
    assert D(minutes=44) < res.expires_at - before <= D(minutes=46)


def test_cancelling_a_request_releases_its_reservations(blood, make_request, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    req = make_request(quantity=1)
    si.reserve(blood.officer, req.pk, minutes=60)
    si.cancel_request(blood.hospital_officer, req.pk, reason="pasien membaik")
    unit.refresh_from_db()
    req.refresh_from_db()
    assert unit.status == "available" and req.status == "cancelled"
    assert Reservation.objects.get().status == "released"
