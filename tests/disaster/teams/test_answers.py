"""Volunteers answer from their phone: idempotent answers, filling, closing, and the status changes they cause."""

from __future__ import annotations

import pytest

from siaga.core.errors import NotFound, ServiceError
from siaga.disaster.teams import services
from siaga.disaster.teams.models import Activation, ActivationAlert, Assignment
from siaga.disaster.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def _alert(result, volunteer) -> ActivationAlert:
    return next(a for a in result.alerts if a.volunteer_id == volunteer.pk)


def _status(v) -> str:
    return Volunteer.objects.get(pk=v.pk).status


def test_yes_creates_the_assignment_and_deploys_the_volunteer(make_volunteer, activate, capture_events):
    v, me = make_volunteer("Sari")
    result = activate()
    with capture_events() as evs:
        alert = services.answer(me, _alert(result, v).pk, "yes")
    assert alert.answer == "yes" and alert.answered_at is not None
    a = Assignment.objects.get(activation=result.activation, volunteer=v)
    assert a.alert_id == alert.pk and a.shift_limit_hours == result.activation.max_shift_hours
    assert _status(v) == "deployed"
    types = [e["type"] for e in evs]
    assert "volunteer.status_changed" in types and "roster.changed" in types
    status_event = next(e for e in evs if e["type"] == "volunteer.status_changed")
    assert status_event["payload"]["system"] is True and status_event["payload"]["status"] == "deployed"


def test_answering_twice_the_same_changes_nothing(make_volunteer, activate, capture_events):
    v, me = make_volunteer("Sari")
    alert = _alert(activate(), v)
    services.answer(me, alert.pk, "yes")
    first = ActivationAlert.objects.get(pk=alert.pk).answered_at
    with capture_events() as evs:
        again = services.answer(me, alert.pk, "yes")
    assert evs == []
    assert again.answered_at == first
    assert Assignment.objects.filter(volunteer=v).count() == 1
    services.answer(me, alert.pk, "no")
    with capture_events() as evs:
        services.answer(me, alert.pk, "no")
    assert evs == []


def test_a_yes_withdrawn_while_open_frees_the_place_and_the_volunteer(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    result = activate()
    alert = _alert(result, v)
    services.answer(me, alert.pk, "yes")
    services.answer(me, alert.pk, "no")
    a = Assignment.objects.get(volunteer=v)
    assert a.cancelled_at is not None
    assert _status(v) == "available"
    # And back again: the same assignment row comes back to life.
    services.answer(me, alert.pk, "yes")
    a.refresh_from_db()
    assert a.cancelled_at is None and _status(v) == "deployed"
    assert Assignment.objects.filter(volunteer=v).count() == 1


def test_the_activation_fills_and_then_answers_can_no_longer_change(make_volunteer, activate, capture_events):
    first, me1 = make_volunteer("First", km_north=1)
    late, me2 = make_volunteer("Late", km_north=2)
    other, me3 = make_volunteer("Other", km_north=3)
    result = activate(number_needed=1)
    with capture_events() as evs:
        services.answer(me1, _alert(result, first).pk, "yes")
    act = Activation.objects.get(pk=result.activation.pk)
    assert act.state == "filled" and act.filled_at is not None
    assert any(e["type"] == "activation.state_changed" and e["payload"]["state"] == "filled" for e in evs)
    with pytest.raises(ServiceError) as exc:
        services.answer(me2, _alert(result, late).pk, "yes")
    assert exc.value.code == "activation_filled"
    assert _status(late) == "available" and not Assignment.objects.filter(volunteer=late).exists()
    # A first "no" is still taken: it costs no one anything.
    assert services.answer(me3, _alert(result, other).pk, "no").answer == "no"
    with pytest.raises(ServiceError) as exc:
        services.answer(me1, _alert(result, first).pk, "no")
    assert exc.value.code == "activation_filled"
    assert ActivationAlert.objects.get(activation=act, volunteer=first).answer == "yes"


def test_a_closed_activation_takes_no_answer_and_releases_who_had_not_arrived(make_volunteer, activate, world):
    coming, me1 = make_volunteer("Coming")
    silent, me2 = make_volunteer("Silent")
    result = activate(number_needed=5)
    services.answer(me1, _alert(result, coming).pk, "yes")
    services.close_activation(world["a_mjk"], result.activation.pk)
    assert _status(coming) == "available"
    assert Assignment.objects.get(volunteer=coming).cancelled_at is not None
    with pytest.raises(ServiceError) as exc:
        services.answer(me2, _alert(result, silent).pk, "yes")
    assert exc.value.code == "activation_closed"


def test_a_volunteer_cannot_answer_someone_elses_alert(make_volunteer, activate):
    sari, _ = make_volunteer("Sari")
    _, budi_actor = make_volunteer("Budi")
    alert = _alert(activate(), sari)
    with pytest.raises(NotFound):
        services.answer(budi_actor, alert.pk, "yes")
    assert ActivationAlert.objects.get(pk=alert.pk).answer == "none"


def test_only_yes_or_no(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    with pytest.raises(ServiceError) as exc:
        services.answer(me, _alert(activate(), v).pk, "maybe")
    assert exc.value.code == "invalid_answer"


def test_one_activation_at_a_time(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    first, second = activate(), activate()
    services.answer(me, _alert(first, v).pk, "yes")
    with pytest.raises(ServiceError) as exc:
        services.answer(me, _alert(second, v).pk, "yes")
    assert exc.value.code == "already_assigned"


def test_volunteer_events_carry_no_personal_data(make_volunteer, activate, capture_events):
    v, me = make_volunteer("Sari Wulandari")
    with capture_events() as evs:
        result = activate()
        services.answer(me, _alert(result, v).pk, "yes")
    ours = [e for e in evs if e["topic"] in ("activations", "teams")]
    assert {e["type"] for e in ours} >= {"activation.alerted", "activation.alert_changed", "roster.changed",
                                         "activation.created"}
    for e in ours:
        text = str(e["payload"])
        assert "Sari" not in text and v.phone not in text and "distance" not in text
    alerted = next(e for e in ours if e["type"] == "activation.alerted")
    # Delivered to the volunteer's organisation (the stream cannot address one person), ids only.
    assert alerted["organization_id"] == v.organization_id
    assert alerted["payload"] == {"activation_id": result.activation.pk, "alert_ids": [result.alerts[0].pk]}
