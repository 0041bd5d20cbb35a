"""Every call outcome: how it is set, what it needs, and that a call is closed only once."""

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Call, CallerNumber, CallOutcome
from siaga.core.errors import Conflict, ServiceError
from siaga.core.models import AuditLog, OutboxEvent

from .conftest import JATIREJO, MOBILE_E164

pytestmark = pytest.mark.django_db


def _call(cc, number="081234567890"):
    a = cc.actor()
    call = services.start_call(a, channel="phone", caller_number=number)
    services.answer_call(a, call.pk)
    return call


@pytest.mark.parametrize("outcome", ["information", "test"])
def test_information_and_test_close_without_a_reason(cc, outcome, capture_events):
    call = _call(cc)
    with capture_events() as evs:
        services.close_call(cc.actor(), call.pk, outcome=outcome)
    call.refresh_from_db()
    assert (call.outcome, call.outcome_reason, call.incident) == (outcome, "", None)
    assert call.outcome_at is not None and call.ended_at is not None
    assert [e["type"] for e in evs] == ["call.closed"]
    assert evs[0]["payload"]["outcome"] == outcome


@pytest.mark.parametrize("outcome", ["prank", "silent", "accidental"])
def test_nuisance_outcomes_need_a_reason(cc, outcome):
    call = _call(cc)
    before = (AuditLog.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(ServiceError) as exc:
        services.close_call(cc.actor(), call.pk, outcome=outcome, reason="   ")
    assert exc.value.code == "reason_required"
    call.refresh_from_db()
    assert call.outcome == "" and call.ended_at is None
    assert (AuditLog.objects.count(), OutboxEvent.objects.count()) == before


@pytest.mark.parametrize("outcome", ["prank", "silent", "accidental"])
def test_nuisance_outcomes_close_with_a_reason_and_count_against_the_number(cc, outcome):
    call = _call(cc)
    services.close_call(cc.actor(), call.pk, outcome=outcome, reason="Diam lalu ditutup")
    call.refresh_from_db()
    assert (call.outcome, call.outcome_reason) == (outcome, "Diam lalu ditutup")
    rec = CallerNumber.objects.get(organization=cc.org, number=MOBILE_E164)
    assert (rec.total_calls, rec.nuisance_calls) == (1, 1)
    audit = AuditLog.objects.filter(model="callcenter.call", object_id=str(call.pk), action="update").first()
    assert audit.changes["outcome"] == ["", outcome]


def test_new_incident_is_the_outcome_of_creating_an_incident(cc):
    inc = cc.incident()
    call = inc.calls.get()
    assert call.outcome == CallOutcome.NEW_INCIDENT and call.incident == inc
    assert call.ended_at is None  # the caller may still be on the line
    assert CallerNumber.objects.get(number=MOBILE_E164).total_calls == 1


def test_attached_is_the_outcome_of_attaching_to_a_known_incident(cc):
    inc = cc.incident()
    second = _call(cc, "085643219876")
    services.attach_call(cc.actor(), second.pk, inc.pk)
    second.refresh_from_db()
    assert second.outcome == CallOutcome.ATTACHED and second.incident == inc


@pytest.mark.parametrize("outcome", ["new_incident", "attached"])
def test_close_call_refuses_the_outcomes_that_need_an_incident(cc, outcome):
    call = _call(cc)
    with pytest.raises(ServiceError) as exc:
        services.close_call(cc.actor(), call.pk, outcome=outcome, reason="x")
    assert exc.value.code == "invalid_outcome"


def test_unknown_outcome_is_refused(cc):
    call = _call(cc)
    with pytest.raises(ServiceError) as exc:
        services.close_call(cc.actor(), call.pk, outcome="lost")
    assert exc.value.code == "invalid_outcome"


@pytest.mark.parametrize("second", ["close", "incident", "attach"])
def test_a_call_is_closed_only_once(cc, second):
    inc = cc.incident()
    call = _call(cc, "085643219876")
    services.close_call(cc.actor(), call.pk, outcome="information")
    before = (Call.objects.get(pk=call.pk).outcome, AuditLog.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(Conflict) as exc:
        if second == "close":
            services.close_call(cc.actor(), call.pk, outcome="prank", reason="iseng")
        elif second == "incident":
            services.create_incident(cc.actor(), type_code="banjir", call_id=call.pk, lat=JATIREJO[0],
                                     lng=JATIREJO[1])
        else:
            services.attach_call(cc.actor(), call.pk, inc.pk)
    assert exc.value.code == "call_closed"
    assert (Call.objects.get(pk=call.pk).outcome, AuditLog.objects.count(), OutboxEvent.objects.count()) == before


def test_a_call_turned_into_an_incident_cannot_also_be_closed_as_prank(cc):
    inc = cc.incident()
    with pytest.raises(Conflict):
        services.close_call(cc.actor(), inc.calls.get().pk, outcome="prank", reason="x")


def test_a_call_may_be_closed_after_the_line_went_down(cc):
    call = _call(cc)
    services.end_call(cc.actor(), call.pk)
    ended = Call.objects.get(pk=call.pk).ended_at
    services.close_call(cc.actor(), call.pk, outcome="silent", reason="Tidak ada suara")
    call.refresh_from_db()
    assert call.outcome == "silent" and call.ended_at == ended
