"""A call's life: started, answered, ended - each moment stamped by the system, each step once."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from siaga.callcenter import services
from siaga.callcenter.models import Call
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 2, 16, 0, 10, tzinfo=dt.timezone.utc)


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_phone_call_is_started_then_answered_then_ended_with_system_times(cc, capture_events):
    a = cc.actor()
    with capture_events() as evs:
        with at(T0):
            call = services.start_call(a, channel="phone", caller_number="0812-3456-7890")
        with at(T0 + dt.timedelta(seconds=4)):
            services.answer_call(a, call.pk)
        with at(T0 + dt.timedelta(seconds=95)):
            services.end_call(a, call.pk)
    call.refresh_from_db()
    assert call.organization == cc.org
    assert call.caller_number == "+6281234567890"
    assert call.started_at == T0
    assert call.answered_at == T0 + dt.timedelta(seconds=4)
    assert call.ended_at == T0 + dt.timedelta(seconds=95)
    assert call.taken_by == cc.users["call_taker"]
    assert [e["type"] for e in evs] == ["call.started", "call.answered", "call.ended"]
    assert evs[0]["payload"]["caller_number"] == "+6281234567890" and evs[0]["topic"] == "calls"
    assert AuditLog.objects.filter(model="callcenter.call", object_id=str(call.pk)).count() == 3


@pytest.mark.parametrize("channel", ["sms", "web", "app"])
def test_a_text_report_counts_as_answered_when_it_arrives(cc, channel):
    with at(T0):
        call = services.start_call(cc.actor(), channel=channel, caller_number="+6281234567890")
    assert call.started_at == call.answered_at == T0


def test_a_call_is_answered_once(cc):
    a = cc.actor()
    call = services.start_call(a, channel="phone")
    services.answer_call(a, call.pk)
    with pytest.raises(Conflict) as exc:
        services.answer_call(a, call.pk)
    assert exc.value.code == "already_answered"


def test_a_call_ends_once(cc):
    a = cc.actor()
    call = services.start_call(a, channel="phone")
    services.end_call(a, call.pk)
    with pytest.raises(Conflict) as exc:
        services.end_call(a, call.pk)
    assert exc.value.code == "call_ended"


def test_a_call_that_ended_unanswered_cannot_be_answered_later(cc):
    a = cc.actor()
    call = services.start_call(a, channel="phone")
    services.end_call(a, call.pk)
    with pytest.raises(Conflict):
        services.answer_call(a, call.pk)
    call.refresh_from_db()
    assert call.answered_at is None


def test_a_caller_without_caller_id_is_still_a_call(cc):
    call = services.start_call(cc.actor(), channel="phone", caller_number="")
    assert call.caller_number == "" and call.pk


def test_unknown_channel_is_refused(cc):
    with pytest.raises(ServiceError) as exc:
        services.start_call(cc.actor(), channel="fax")
    assert exc.value.code == "unknown_channel"
    assert not Call.objects.exists()


def test_a_retried_report_with_the_same_external_id_is_one_call(cc):
    a = cc.actor()
    first = services.start_call(a, channel="web", caller_number="081234567890", external_id="lapor-abc")
    again = services.start_call(a, channel="web", caller_number="081234567890", external_id="lapor-abc")
    assert first.pk == again.pk
    assert Call.objects.count() == 1
    other_channel = services.start_call(a, channel="app", external_id="lapor-abc")
    assert other_channel.pk != first.pk


def test_an_agency_cannot_take_calls(cc):
    with pytest.raises(PermissionDenied):
        services.start_call(cc.actor("psc_liaison"), channel="phone")


def test_another_call_centers_call_does_not_exist_for_me(cc):
    theirs = services.start_call(cc.actor("other_call_taker"), channel="phone")
    with pytest.raises(NotFound):
        services.answer_call(cc.actor(), theirs.pk)
    with pytest.raises(NotFound):
        services.get_call(cc.actor(), theirs.pk)


def test_times_are_stored_in_utc(cc):
    call = services.start_call(cc.actor(), channel="phone")
    assert call.started_at.utcoffset() == dt.timedelta(0)
    assert abs((timezone.now() - call.started_at).total_seconds()) < 5
