"""The unit status machine: a dispatch counts when the crew acknowledges; steps go forward only, each with its time."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import Conflict, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.dispatch import services
from siaga.dispatch.models import Dispatch, StatusChange, Unit


def _send(fleet, unit=None):
    inc = fleet.incident()
    return services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=(unit or fleet.amb1).pk)


def test_dispatch_alerts_the_unit_and_puts_the_incident_in_progress(fleet):
    d = _send(fleet)
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert d.status == "alerted" and unit.status == "alerted" and unit.current_dispatch_id == d.pk
    assert d.ack_deadline_at == d.alerted_at + dt.timedelta(seconds=60)
    d.incident.refresh_from_db()
    assert d.incident.status == "in_progress"
    assert d.incident.timeline.filter(kind="dispatch").exists()


def test_the_whole_journey_keeps_every_timestamp(fleet):
    d = _send(fleet)
    crew = fleet.actor("crew")
    for step in ["acknowledged", "en_route", "on_scene", "transporting", "at_hospital", "handover_done",
                 "returning", "completed"]:
        d = services.set_dispatch_status(crew, d.pk, step,
                                         destination_id=fleet.hospital.pk if step == "transporting" else None)
        assert getattr(d, f"{step}_at") is not None
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert unit.status == "available" and unit.current_dispatch_id is None
    assert d.destination_id == fleet.hospital.pk and d.acknowledged_by == fleet.users["crew"]
    steps = list(StatusChange.objects.filter(unit=unit).order_by("pk").values_list("to_status", flat=True))
    assert steps == ["alerted", "acknowledged", "en_route", "on_scene", "transporting", "at_hospital",
                     "handover_done", "returning", "available"]


def test_no_transport_goes_from_scene_straight_back(fleet):
    d = _send(fleet)
    crew = fleet.actor("crew")
    for step in ["acknowledged", "en_route", "on_scene", "returning"]:
        services.set_dispatch_status(crew, d.pk, step)
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "returning"
    services.return_to_station(crew, fleet.amb1.pk)
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "available"


@pytest.mark.parametrize("step", ["en_route", "on_scene", "at_hospital", "completed"])
def test_a_step_out_of_order_is_refused_and_changes_nothing(fleet, step):
    d = _send(fleet)
    with pytest.raises(Conflict) as exc:
        services.set_dispatch_status(fleet.actor("crew"), d.pk, step)
    assert exc.value.code == "status_out_of_order"
    assert Dispatch.objects.get(pk=d.pk).status == "alerted"
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "alerted"


def test_a_step_back_is_refused(fleet):
    d = _send(fleet)
    crew = fleet.actor("crew")
    services.set_dispatch_status(crew, d.pk, "acknowledged")
    services.set_dispatch_status(crew, d.pk, "en_route")
    with pytest.raises(Conflict):
        services.set_dispatch_status(crew, d.pk, "acknowledged")


def test_only_the_crew_aboard_can_acknowledge(fleet):
    d = _send(fleet)
    # The dispatcher cannot acknowledge for the crew: the dispatch counts only when the crew has it.
    with pytest.raises(PermissionDenied):
        services.set_dispatch_status(fleet.actor("dispatcher"), d.pk, "acknowledged")
    # A crew member of the same organisation who is not on shift aboard AMB-01 cannot either.
    with pytest.raises(PermissionDenied):
        services.set_dispatch_status(fleet.actor("crew_off"), d.pk, "acknowledged")
    assert Dispatch.objects.get(pk=d.pk).acknowledged_at is None


def test_another_organisations_crew_cannot_see_the_dispatch(fleet):
    d = _send(fleet)
    from siaga.core.errors import NotFound

    with pytest.raises(NotFound):
        services.set_dispatch_status(fleet.actor("other_crew"), d.pk, "acknowledged")


def test_the_dispatcher_may_record_later_steps_heard_by_radio(fleet):
    d = _send(fleet)
    services.set_dispatch_status(fleet.actor("crew"), d.pk, "acknowledged")
    d = services.set_dispatch_status(fleet.actor("dispatcher"), d.pk, "en_route", note="lewat radio")
    assert d.status == "en_route"


def test_an_uncrewed_unit_is_not_dispatchable(fleet):
    inc = fleet.incident()
    with pytest.raises(ServiceError) as exc:
        services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb2.pk)
    assert exc.value.code == "unit_not_crewed"
    assert not Dispatch.objects.exists()


def test_a_busy_unit_cannot_be_sent_twice(fleet):
    _send(fleet)
    inc2 = fleet.incident(lat=-7.47, lng=112.43)
    with pytest.raises(Conflict) as exc:
        services.dispatch_unit(fleet.actor(), incident_id=inc2.pk, unit_id=fleet.amb1.pk)
    assert exc.value.code == "unit_busy"
    assert Dispatch.objects.count() == 1


def test_the_database_refuses_a_second_live_dispatch_whatever_the_code_does(fleet):
    from django.db import IntegrityError, transaction

    d = _send(fleet)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispatch.objects.create(organization=d.organization, incident=d.incident, unit=d.unit,
                                alerted_at=timezone.now(), ack_deadline_at=timezone.now())


def test_out_of_service_unit_is_not_dispatchable_and_comes_back(fleet):
    services.set_unit_service(fleet.actor(), fleet.amb1.pk, in_service=False, reason="ban bocor")
    inc = fleet.incident()
    with pytest.raises(Conflict):
        services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    services.set_unit_service(fleet.actor(), fleet.amb1.pk, in_service=True)
    assert services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk).status == "alerted"


def test_a_unit_on_a_dispatch_cannot_be_taken_out_of_service(fleet):
    _send(fleet)
    with pytest.raises(Conflict):
        services.set_unit_service(fleet.actor(), fleet.amb1.pk, in_service=False, reason="servis")


def test_closed_incidents_get_no_units(fleet):
    inc = fleet.incident()
    from siaga.callcenter import services as cc

    cc.set_incident_status(fleet.actor("call_taker"), inc.pk, "cancelled", note="laporan palsu")
    with pytest.raises(ServiceError) as exc:
        services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    assert exc.value.code == "incident_closed"


def test_dispatch_events_match_their_schemas_and_reach_the_owner(fleet, capture_events):
    with capture_events() as events:
        d = _send(fleet)
        services.set_dispatch_status(fleet.actor("crew"), d.pk, "acknowledged")
    names = [e["type"] for e in events]
    assert "dispatch.created" in names and "unit.status" in names and names.count("dispatch.status") == 1
    created = next(e for e in events if e["type"] == "dispatch.created")
    # The owner (PMI) carries the event; the PSC 119 that sent the unit shares it.
    assert created["organization_id"] == fleet.pmi.pk and fleet.psc.pk in created["shared_with"]
