"""Triage: the priority suggested from the type and key questions, and overriding it only with a reason."""

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Incident, TimelineEntry
from siaga.core.errors import ServiceError
from siaga.core.models import AuditLog, OutboxEvent

from .conftest import JATIREJO

pytestmark = pytest.mark.django_db


def test_it_suggests_the_default_priority_without_answers(taxonomy):
    assert services.suggest_priority(taxonomy["kecelakaan-lalu-lintas"], {}) == 2
    assert services.suggest_priority(taxonomy["banjir"], None) == 3


def test_a_yes_raises_the_priority(taxonomy):
    assert services.suggest_priority(taxonomy["kecelakaan-lalu-lintas"], {"tidak_sadar_terjepit": True}) == 1


def test_a_no_changes_nothing(taxonomy):
    assert services.suggest_priority(taxonomy["kecelakaan-lalu-lintas"], {"tidak_sadar_terjepit": False}) == 2


def test_the_most_urgent_yes_wins(taxonomy):
    banjir = taxonomy["banjir"]
    assert services.suggest_priority(banjir, {"tinggi": True}) == 2
    assert services.suggest_priority(banjir, {"tinggi": True, "hanyut": True}) == 1


def test_a_question_asked_only_for_the_record_does_not_change_priority(taxonomy):
    assert services.suggest_priority(taxonomy["henti-jantung"], {"rjp": True}) == 1
    assert services.suggest_priority(taxonomy["sesak-napas"], {"asma": True}) == 2


def test_the_incident_keeps_suggested_and_final_priority_and_answers(cc):
    inc = cc.incident(answers={"banyak_korban": True, "bbm": False})
    assert (inc.suggested_priority, inc.priority, inc.priority_override_reason) == (1, 1, "")
    assert inc.answers == {"banyak_korban": True, "bbm": False}


def test_override_without_reason_is_refused_and_nothing_is_written(cc):
    a = cc.actor()
    call = services.start_call(a, channel="phone", caller_number="081234567890")
    before = (Incident.objects.count(), AuditLog.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(ServiceError) as exc:
        services.create_incident(a, type_code="banjir", call_id=call.pk, lat=JATIREJO[0], lng=JATIREJO[1], priority=1)
    assert exc.value.code == "priority_reason_required"
    assert exc.value.details == {"suggested_priority": 3}
    assert (Incident.objects.count(), AuditLog.objects.count(), OutboxEvent.objects.count()) == before
    call.refresh_from_db()
    assert call.outcome == ""


def test_override_with_reason_is_stored_with_a_timeline_entry(cc):
    inc = cc.incident("banjir", priority=1, priority_reason="Penelepon melihat dua anak terseret arus")
    assert (inc.suggested_priority, inc.priority) == (3, 1)
    assert inc.priority_override_reason == "Penelepon melihat dua anak terseret arus"
    entry = TimelineEntry.objects.get(incident=inc, kind="incident.priority")
    assert entry.data == {"priority": 1, "suggested_priority": 3, "reason": inc.priority_override_reason}


def test_choosing_the_suggested_priority_needs_no_reason(cc):
    inc = cc.incident("banjir", priority=3)
    assert (inc.priority, inc.priority_override_reason) == (3, "")


def test_a_lower_priority_than_suggested_also_needs_a_reason(cc):
    with pytest.raises(ServiceError) as exc:
        cc.incident("henti-jantung", priority=3, priority_reason="  ")
    assert exc.value.code == "priority_reason_required"


def test_unknown_question_ids_are_refused(cc):
    with pytest.raises(ServiceError) as exc:
        cc.incident("banjir", answers={"bukan_pertanyaan": True})
    assert exc.value.code == "unknown_question"
    assert exc.value.details["unknown"] == ["bukan_pertanyaan"]


def test_answers_must_be_yes_or_no(cc):
    with pytest.raises(ServiceError) as exc:
        cc.incident("banjir", answers={"tinggi": "mungkin"})
    assert exc.value.code == "invalid_answers"


def test_priority_outside_p1_to_p4_is_refused(cc):
    with pytest.raises(ServiceError) as exc:
        cc.incident("banjir", priority=7, priority_reason="coba")
    assert exc.value.code == "invalid_priority"
