"""No acknowledgement within the configured time raises one alarm to the dispatcher (frozen clock)."""

import datetime as dt

import time_machine
from django.utils import timezone

from siaga.dispatch import services
from siaga.dispatch.models import Dispatch

import pytest


@pytest.fixture(autouse=True)
def _t0():
    # The fixture's crews are on shift around the real clock; freeze it at a whole second inside that shift.
    global T0
    T0 = timezone.now().replace(microsecond=0)


def test_the_alarm_rises_at_the_deadline_and_only_once(fleet, capture_events, settings):
    settings.SIAGA_DISPATCH_ACK_SECONDS = 90
    with time_machine.travel(T0, tick=False):
        inc = fleet.incident()
        d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
        assert d.ack_deadline_at == T0 + dt.timedelta(seconds=90)
    with time_machine.travel(T0 + dt.timedelta(seconds=89), tick=False):
        assert services.raise_ack_alarms() == []
    with time_machine.travel(T0 + dt.timedelta(seconds=90), tick=False), capture_events() as events:
        assert services.raise_ack_alarms() == [d.pk]
        assert services.raise_ack_alarms() == []
    assert [e["type"] for e in events] == ["dispatch.ack_overdue"]
    assert Dispatch.objects.get(pk=d.pk).ack_alarm_at == T0 + dt.timedelta(seconds=90)
    assert d.incident.timeline.filter(kind="dispatch_ack_overdue").count() == 1


def test_an_acknowledged_dispatch_raises_no_alarm(fleet):
    with time_machine.travel(T0, tick=False):
        inc = fleet.incident()
        d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        services.set_dispatch_status(fleet.actor("crew"), d.pk, "acknowledged")
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        assert services.raise_ack_alarms() == []


def test_a_late_acknowledgement_still_counts_and_is_timed(fleet):
    with time_machine.travel(T0, tick=False):
        inc = fleet.incident()
        d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        services.raise_ack_alarms()
        d = services.set_dispatch_status(fleet.actor("crew"), d.pk, "acknowledged")
    assert d.acknowledged_at - d.alerted_at == dt.timedelta(minutes=3)
    assert d.ack_alarm_at is not None

