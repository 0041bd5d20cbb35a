"""Across regions: one organisation requests another's unit; the owner accepts with one action; both follow it."""

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.dispatch import services
from siaga.dispatch.models import Dispatch


def test_request_accept_and_both_see_the_progress(fleet, capture_events):
    inc = fleet.incident()
    with capture_events() as events:
        r = services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk, note="butuh bantuan")
        r = services.respond_unit_request(fleet.actor("other_dispatcher"), r.pk, accept=True)
    assert r.status == "accepted"
    d = Dispatch.objects.get(unit_request=r)
    assert d.organization_id == fleet.psc.pk and d.incident_id == inc.pk and d.status == "alerted"
    # Both parties see the dispatch; the requester now sees the unit.
    assert services.get_dispatch(fleet.actor(), d.pk) and services.get_dispatch(fleet.actor("other_dispatcher"), d.pk)
    assert services.get_unit(fleet.actor(), fleet.amb_k1.pk)
    created = next(e for e in events if e["type"] == "dispatch.created")
    assert created["organization_id"] == fleet.other.pk and fleet.psc.pk in created["shared_with"]
    # The owner's crew acknowledges as usual.
    services.set_dispatch_status(fleet.actor("other_crew"), d.pk, "acknowledged")


def test_only_the_owner_answers(fleet):
    inc = fleet.incident()
    r = services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk)
    with pytest.raises(PermissionDenied):
        services.respond_unit_request(fleet.actor(), r.pk, accept=True)
    assert not Dispatch.objects.exists()


def test_decline_needs_a_reason_and_dispatches_nothing(fleet):
    inc = fleet.incident()
    r = services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk)
    with pytest.raises(ServiceError):
        services.respond_unit_request(fleet.actor("other_dispatcher"), r.pk, accept=False, note="")
    r = services.respond_unit_request(fleet.actor("other_dispatcher"), r.pk, accept=False, note="sedang dipakai")
    assert r.status == "declined" and not Dispatch.objects.exists()
    with pytest.raises(Conflict):
        services.respond_unit_request(fleet.actor("other_dispatcher"), r.pk, accept=True)


def test_a_unit_not_offered_for_mutual_aid_cannot_be_requested(fleet):
    fleet.amb_k1.mutual_aid = False
    fleet.amb_k1.save(update_fields=["mutual_aid"])
    inc = fleet.incident()
    with pytest.raises(NotFound):
        services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk)


def test_own_units_are_dispatched_not_requested(fleet):
    inc = fleet.incident()
    with pytest.raises(ServiceError) as exc:
        services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    assert exc.value.code == "own_unit"


def test_the_requester_cannot_dispatch_the_unit_directly(fleet):
    inc = fleet.incident()
    with pytest.raises(NotFound):
        services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk)
