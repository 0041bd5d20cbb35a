"""Unit status changes: one table of transitions, a conditional update that a stale writer loses, history kept."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import Component, ComponentEvent, Discard
from siaga.core.errors import Conflict, ServiceError


def test_a_stale_copy_loses_and_changes_nothing(blood, make_units):
    (unit,) = make_units()
    first = Component.objects.get(pk=unit.pk)
    stale = Component.objects.get(pk=unit.pk)
    with transaction.atomic():
        services.transition_component(blood.officer, first, "reserved", expected=("available",))
    with pytest.raises(Conflict) as exc:
        with transaction.atomic():
            services.transition_component(blood.officer, stale, "issued", expected=("available",))
    assert exc.value.code == "component_changed"
    unit.refresh_from_db()
    assert unit.status == "reserved" and unit.version == 1


def test_an_unexpected_status_is_refused(blood, make_units):
    (unit,) = make_units(status="issued")
    with pytest.raises(Conflict):
        with transaction.atomic():
            services.transition_component(blood.officer, unit, "reserved", expected=("available",))


def test_transitions_outside_the_table_are_refused(blood, make_units):
    (unit,) = make_units(status="transfused")
    with pytest.raises(ServiceError) as exc:
        with transaction.atomic():
            services.transition_component(blood.officer, unit, "available")
    assert exc.value.code == "invalid_transition"


def test_moving_to_another_site_changes_owner_and_tells_both(blood, make_units, capture_events):
    (unit,) = make_units()
    with capture_events() as evs, transaction.atomic():
        services.transition_component(blood.officer, unit, "in_transit")
        services.transition_component(blood.officer, unit.pk, "available", site=blood.bdrs)
    unit.refresh_from_db()
    assert unit.site == blood.bdrs and unit.organization == blood.hospital
    moved = [e for e in evs if e["type"] == "blood.component.status"][-1]
    assert moved["payload"]["moved_from_site_id"] == blood.udd.pk
    assert blood.pmi.pk in moved["shared_with"]
    stock_sites = {e["payload"]["site_id"] for e in evs if e["type"] == "blood.stock.changed"}
    assert stock_sites == {blood.udd.pk, blood.bdrs.pk}
    assert list(ComponentEvent.objects.filter(component=unit).values_list("to_status", flat=True)) == [
        "available", "in_transit", "available"]


def test_discarding_records_the_reason_once(blood, make_units):
    (unit,) = make_units()
    services.discard_component(blood.officer, unit.pk, reason="haemolysed")
    assert Discard.objects.get(component=unit).reason == "haemolysed"
    with pytest.raises(ServiceError):
        services.discard_component(blood.officer, unit.pk, reason="haemolysed")


def test_other_needs_a_note(blood, make_units):
    (unit,) = make_units()
    with pytest.raises(ServiceError):
        services.discard_component(blood.officer, unit.pk, reason="other")


def test_expired_units_are_marked_by_the_periodic_job(blood, make_units):
    (old,) = make_units(expires_in=dt.timedelta(hours=-1))
    (fresh,) = make_units()
    assert services.expire_components() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("expired", "available")


def test_a_hospital_cannot_discard_udd_units(blood, make_units):
    from siaga.core.errors import NotFound
    from siaga.core.permissions import PermissionDenied

    (unit,) = make_units()
    with pytest.raises((NotFound, PermissionDenied)):
        services.discard_component(blood.hospital_officer, unit.pk, reason="haemolysed")
    unit.refresh_from_db()
    assert unit.status == "available"
    assert timezone.now()
