"""Dukcapil state machine: every allowed move works, every other move is a Conflict that changes nothing."""

import pytest

from siaga.core.errors import Conflict
from siaga.health import vital
from siaga.health.models_vital import VitalEvent, VitalEventStatus as S

from .vital_support import vx  # noqa: F401

pytestmark = pytest.mark.django_db


def _register(v, ev, number="3576-LU-01032025-0001"):
    return vital.register(v.actor("cro"), ev.pk, registration_number=number)


def _correct(v, ev):
    return vital.request_correction(v.actor("cro"), ev.pk, reason="Nama ibu tidak sesuai KK")


def _reject(v, ev):
    return vital.reject(v.actor("cro"), ev.pk, reason="Duplikat")


def _resubmit(v, ev):
    return vital.resubmit(v.actor("facility"), ev.pk, mother_name="Siti Aminah Rahayu", mother_nik="",
                          child_name="", sex="F", born_at=ev.born_at, place="", birth_attendant="midwife",
                          weight_g=3100)


MOVES = {S.REGISTERED: _register, S.CORRECTION_REQUESTED: _correct, S.REJECTED: _reject, S.RESUBMITTED: _resubmit}

ALLOWED = {
    S.NOTIFIED: {S.REGISTERED, S.CORRECTION_REQUESTED, S.REJECTED},
    S.CORRECTION_REQUESTED: {S.RESUBMITTED},
    S.RESUBMITTED: {S.REGISTERED, S.CORRECTION_REQUESTED, S.REJECTED},
    S.REGISTERED: set(),
    S.REJECTED: set(),
}


def _event_in(v, status):
    ev = v.birth()
    path = {S.NOTIFIED: [], S.CORRECTION_REQUESTED: [S.CORRECTION_REQUESTED],
            S.RESUBMITTED: [S.CORRECTION_REQUESTED, S.RESUBMITTED], S.REGISTERED: [S.REGISTERED],
            S.REJECTED: [S.REJECTED]}[status]
    for step in path:
        ev = MOVES[step](v, ev)
    assert ev.status == status
    return ev


@pytest.mark.parametrize("start", list(ALLOWED))
@pytest.mark.parametrize("target", list(MOVES))
def test_each_move_is_allowed_or_refused_as_the_table_says(vx, start, target):
    ev = _event_in(vx, start)
    if target in ALLOWED[start]:
        moved = MOVES[target](vx, ev)
        assert moved.status == target
        assert getattr(moved, f"{target}_at") is not None
        last = moved.history.last()
        assert (last.from_status, last.to_status) == (start, target)
    else:
        with pytest.raises(Conflict) as exc:
            MOVES[target](vx, ev)
        assert exc.value.code == "invalid_transition"
        assert VitalEvent.objects.get(pk=ev.pk).status == start


def test_a_full_round_of_correction_ends_registered_with_its_history(vx):
    ev = vx.birth()
    ev = _correct(vx, ev)
    assert ev.correction_reason == "Nama ibu tidak sesuai KK"
    ev = _resubmit(vx, ev)
    assert ev.mother_name == "Siti Aminah Rahayu"
    ev = _correct(vx, ev)
    ev = _resubmit(vx, ev)
    ev = _register(vx, ev)
    assert ev.registration_number == "3576-LU-01032025-0001"
    assert [h.to_status for h in ev.history.all()] == [
        S.NOTIFIED, S.CORRECTION_REQUESTED, S.RESUBMITTED, S.CORRECTION_REQUESTED, S.RESUBMITTED, S.REGISTERED]


def test_a_refused_move_says_why_in_words(vx):
    ev = _register(vx, vx.birth())
    with pytest.raises(Conflict) as exc:
        _reject(vx, ev)
    # In the user's language (Indonesian by default): the status it has and the one refused.
    assert "tercatat" in exc.value.message and "ditolak" in exc.value.message


def test_a_registration_number_is_used_once_per_office(vx):
    _register(vx, vx.birth())
    other = vx.birth()
    with pytest.raises(Conflict) as exc:
        _register(vx, other)
    assert exc.value.code == "duplicate_registration_number"
    assert VitalEvent.objects.get(pk=other.pk).status == S.NOTIFIED


def test_correction_and_rejection_need_a_reason_and_registration_a_number(vx):
    from siaga.core.errors import ServiceError

    ev = vx.birth()
    for call in (lambda: vital.request_correction(vx.actor("cro"), ev.pk, reason="  "),
                 lambda: vital.reject(vx.actor("cro"), ev.pk, reason=""),
                 lambda: vital.register(vx.actor("cro"), ev.pk, registration_number=" ")):
        with pytest.raises(ServiceError) as exc:
            call()
        assert exc.value.code == "required"
    assert VitalEvent.objects.get(pk=ev.pk).status == S.NOTIFIED


def test_every_change_is_audited_without_the_nik(vx):
    from siaga.core.models import AuditLog

    ev = vx.death()
    _correct(vx, ev)
    logs = AuditLog.objects.filter(model="health.vitalevent", object_id=str(ev.pk)).order_by("pk")
    assert [log.action for log in logs] == [AuditLog.Action.CREATE, AuditLog.Action.UPDATE]
    assert logs[1].changes["status"] == [S.NOTIFIED, S.CORRECTION_REQUESTED]
    assert ev.nik not in str([log.changes for log in logs])
