"""Check-in, check-out, shift limits and rest: nobody works again before resting, long shifts are flagged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.disaster.teams import services
from siaga.disaster.teams.models import ActivationAlert, Assignment
from siaga.disaster.volunteers.models import Volunteer

pytestmark = pytest.mark.django_db


def _accept(activate, v, me, **kw):
    result = activate(**kw)
    alert = next(a for a in result.alerts if a.volunteer_id == v.pk)
    services.answer(me, alert.pk, "yes")
    return Assignment.objects.get(activation=result.activation, volunteer=v)


def _status(v) -> str:
    return Volunteer.objects.get(pk=v.pk).status


def test_check_in_and_out_move_the_volunteer_from_deployed_to_resting(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me)
    a = services.check_in(me, a.pk, lat=-7.47, lon=112.43)
    assert a.on_site and (a.check_in_lat, a.check_in_lon) == (-7.47, 112.43)
    assert services.check_in(me, a.pk).check_in_at == a.check_in_at  # again: harmless
    a = services.check_out(me, a.pk)
    assert a.check_out_at >= a.check_in_at and not a.on_site
    assert _status(v) == "resting"
    assert services.check_out(me, a.pk).check_out_at == a.check_out_at  # again: harmless
    with pytest.raises(ServiceError) as exc:
        services.check_in(me, a.pk)
    assert exc.value.code == "already_checked_out"


def test_check_out_before_check_in_is_refused(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me)
    with pytest.raises(ServiceError) as exc:
        services.check_out(me, a.pk)
    assert exc.value.code == "not_checked_in"
    assert _status(v) == "deployed"


def test_a_volunteer_who_has_not_rested_cannot_say_yes_again(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me)
    services.check_in(me, a.pk)
    services.check_out(me, a.pk)
    # They set themselves available at once; the rest rule still holds.
    Volunteer.objects.filter(pk=v.pk).update(status="available")
    second = activate(min_rest_hours=8, team_id=None, skill_codes=[])
    assert second.alerts == [] and second.left_out == {"resting": 1}
    # An alert sent before the shift ended (written here directly) is still refused a yes.
    row = ActivationAlert.objects.create(activation=second.activation, volunteer=v, sent_at=timezone.now())
    with pytest.raises(ServiceError) as exc:
        services.answer(me, row.pk, "yes")
    assert exc.value.code == "rest_required"
    assert "8" in exc.value.message and exc.value.details["min_rest_hours"] == 8
    assert ActivationAlert.objects.get(pk=row.pk).answer == "none"


def test_check_in_is_refused_until_rested(make_volunteer, activate, world):
    v, me = make_volunteer("Sari")
    first = _accept(activate, v, me)
    services.check_in(me, first.pk)
    services.check_out(me, first.pk)
    # An assignment accepted earlier for another activation (before the shift ended): arriving is refused.
    second = activate(min_rest_hours=8)
    early = Assignment.objects.create(activation=second.activation, event=world["event"], volunteer=v)
    with pytest.raises(ServiceError) as exc:
        services.check_in(me, early.pk)
    assert exc.value.code == "rest_required"
    assert Assignment.objects.get(pk=early.pk).check_in_at is None
    # Nine hours later they may.
    Assignment.objects.filter(pk=first.pk).update(check_in_at=timezone.now() - dt.timedelta(hours=13),
                                                  check_out_at=timezone.now() - dt.timedelta(hours=9))
    assert services.check_in(me, early.pk).on_site


def test_an_over_long_shift_is_flagged_on_the_roster_and_at_check_out(make_volunteer, activate, world,
                                                                       capture_events):
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me, max_shift_hours=12)
    services.check_in(me, a.pk)
    Assignment.objects.filter(pk=a.pk).update(check_in_at=timezone.now() - dt.timedelta(hours=13))
    (act, lines), = services.roster(world["a_mjk"], world["event"].pk)
    assert lines[0].state == "on_site" and lines[0].over_shift_limit and lines[0].hours_on_shift >= 13
    with capture_events() as evs:
        services.check_out(me, a.pk)
    out = next(e for e in evs if e["type"] == "roster.changed")
    assert out["payload"]["change"] == "checked_out" and out["payload"]["over_shift_limit"] is True


def test_a_normal_shift_is_not_flagged(make_volunteer, activate, world):
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me, max_shift_hours=12)
    services.check_in(me, a.pk)
    Assignment.objects.filter(pk=a.pk).update(check_in_at=timezone.now() - dt.timedelta(hours=11))
    (act, lines), = services.roster(world["a_mjk"], world["event"].pk)
    assert not lines[0].over_shift_limit


def test_the_rest_rules_come_from_settings_when_not_given(make_volunteer, activate, settings):
    settings.SIAGA_TEAMS_MAX_SHIFT_HOURS = 6
    settings.SIAGA_TEAMS_MIN_REST_HOURS = 10
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me)
    assert a.shift_limit_hours == 6 and a.activation.min_rest_hours == 10


def test_rested_volunteers_become_available_again(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    chose_rest, me2 = make_volunteer("Chose rest")
    a = _accept(activate, v, me)
    services.check_in(me, a.pk)
    services.check_out(me, a.pk)
    assert services.release_rested(system_actor()) == []  # eight hours have not passed
    later = timezone.now() + dt.timedelta(hours=8, minutes=1)
    # Someone who set "resting" by hand, with no shift behind it, is left alone.
    Volunteer.objects.filter(pk=chose_rest.pk).update(status="resting", status_changed_at=timezone.now())
    assert services.release_rested(system_actor(), now=later) == [v.pk]
    assert _status(v) == "available" and _status(chose_rest) == "resting"


def test_a_shift_running_past_its_limit_is_flagged_live_once(make_volunteer, activate, capture_events):
    v, me = make_volunteer("Sari")
    a = _accept(activate, v, me, max_shift_hours=12)
    services.check_in(me, a.pk)
    assert services.flag_long_shifts(system_actor()) == []
    Assignment.objects.filter(pk=a.pk).update(check_in_at=timezone.now() - dt.timedelta(hours=12, minutes=5))
    with capture_events() as evs:
        assert services.flag_long_shifts(system_actor()) == [a.pk]
        assert services.flag_long_shifts(system_actor()) == []
    (ev,) = [e for e in evs if e["type"] == "roster.changed"]
    assert ev["payload"]["change"] == "over_shift_limit" and ev["payload"]["assignment_id"] == a.pk
