"""Who an activation alerts: by skill, status, distance and rest; a team as a whole; nearest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.disaster.teams import services
from siaga.disaster.teams.models import ActivationAlert, Assignment
from siaga.disaster.volunteers.models import Volunteer

from .conftest import CENTRE

pytestmark = pytest.mark.django_db


def _alerted(result) -> set[str]:
    return {a.volunteer.name for a in result.alerts}


def test_it_alerts_only_volunteers_holding_every_skill_asked_for(make_volunteer, activate):
    make_volunteer("Both", skills=("first_aid", "water_rescue"))
    make_volunteer("Aid only", skills=("first_aid",))
    make_volunteer("Rescue only", skills=("water_rescue",))
    assert _alerted(activate(skill_codes=["first_aid", "water_rescue"])) == {"Both"}
    assert _alerted(activate(skill_codes=["first_aid"])) == {"Both", "Aid only"}


def test_it_alerts_only_available_volunteers(make_volunteer, activate):
    make_volunteer("Ready")
    for status in ("deployed", "resting", "unavailable"):
        make_volunteer(status.title(), status=status)
    result = activate()
    assert _alerted(result) == {"Ready"}
    assert result.left_out == {"status": 3}


def test_it_alerts_within_the_distance_nearest_first(make_volunteer, activate):
    make_volunteer("Far", km_north=25)
    make_volunteer("Near", km_north=2)
    make_volunteer("Nearer", km_north=0.5)
    make_volunteer("Unknown place", position=False)
    result = activate(max_travel_km=20)
    assert [a.volunteer.name for a in result.alerts] == ["Nearer", "Near"]
    assert result.alerts[0].distance_km == pytest.approx(0.5, abs=0.01)
    assert result.alerts[1].distance_km == pytest.approx(2.0, abs=0.01)
    # "Far" and "Unknown place" lie outside the box around the meeting point: never even considered.
    assert result.left_out == {}


def test_merged_and_inactive_records_are_never_alerted(make_volunteer, activate):
    kept, _ = make_volunteer("Kept")
    merged, _ = make_volunteer("Merged copy")
    Volunteer.objects.filter(pk=merged.pk).update(merged_into=kept)
    make_volunteer("Retired")
    Volunteer.objects.filter(name="Retired").update(active=False)
    assert _alerted(activate()) == {"Kept"}


def test_a_volunteer_who_has_not_rested_is_not_alerted(make_volunteer, activate, world):
    tired, _ = make_volunteer("Tired")
    first = activate(number_needed=1, skill_codes=[])
    a = Assignment.objects.create(activation=first.activation, event=world["event"], volunteer=tired,
                                  check_in_at=timezone.now() - dt.timedelta(hours=6),
                                  check_out_at=timezone.now() - dt.timedelta(hours=2))
    assert a.pk
    result = activate(min_rest_hours=8)
    assert _alerted(result) == set() and result.left_out == {"resting": 1}
    assert _alerted(activate(min_rest_hours=1)) == {"Tired"}


def test_alerts_are_unique_per_activation_and_a_second_round_adds_only_newcomers(make_volunteer, activate, world):
    make_volunteer("First")
    result = activate()
    make_volunteer("Later")
    more = services.alert_more(world["a_mjk"], result.activation.pk)
    assert _alerted(more) == {"Later"}
    assert services.alert_more(world["a_mjk"], result.activation.pk).alerts == []
    assert ActivationAlert.objects.filter(activation=result.activation).count() == 2


def test_a_team_alerts_its_available_members_whatever_their_skills_and_distance(make_volunteer, activate, world):
    leader, _ = make_volunteer("Leader", skills=(), km_north=40)
    member, _ = make_volunteer("Member", skills=("logistics",))
    busy, _ = make_volunteer("Busy member", status="deployed")
    make_volunteer("Not in team")
    team = services.save_team(world["a_mjk"], name="SATGANA Mojokerto")
    services.set_member(world["a_mjk"], team.pk, leader.pk, "leader")
    for v in (member, busy):
        services.set_member(world["a_mjk"], team.pk, v.pk)
    result = activate(team_id=team.pk, max_travel_km=10)
    assert _alerted(result) == {"Leader", "Member"}
    assert result.left_out == {"status": 1}
    by_name = {a.volunteer.name: a for a in result.alerts}
    assert by_name["Leader"].distance_km == pytest.approx(40, abs=0.05)  # recorded, not applied


def test_the_meeting_point_defaults_to_the_events_most_covered_area(make_volunteer, activate):
    make_volunteer("Near")
    result = activate(meeting_lat=None, meeting_lon=None, meeting_text="")
    act = result.activation
    assert (act.meeting_lat, act.meeting_lon) == CENTRE
    assert act.meeting_text == "Prajuritkulon"
    assert _alerted(result) == {"Near"}


def test_without_a_known_area_a_meeting_point_is_required(activate, world):
    from siaga.disaster.models import AffectedArea
    from siaga.geo.models import Region

    AffectedArea.objects.filter(event=world["event"]).delete()
    Region.objects.update(lat=None, lng=None)
    with pytest.raises(ServiceError) as exc:
        activate(meeting_lat=None, meeting_lon=None)
    assert exc.value.code == "meeting_point_required"


def test_travel_time_is_flagged_as_a_straight_line_estimate_without_a_road_network(make_volunteer, activate):
    make_volunteer("Near", km_north=3)
    alert = activate().alerts[0]
    assert alert.travel_estimated is True
    assert alert.travel_minutes and alert.travel_minutes >= 3  # 3 km × detour at emergency speed: a few minutes


@pytest.mark.parametrize("kw, code", [
    ({"number_needed": 0}, "invalid_number_needed"),
    ({"max_travel_km": 0}, "invalid_distance"),
    ({"max_shift_hours": 30}, "invalid_shift"),
    ({"skill_codes": ["juggling"]}, "unknown_skill"),
    ({"meeting_lat": 95.0}, "invalid_position"),
    ({"meeting_lat": -7.4, "meeting_lon": None}, "invalid_position"),
])
def test_bad_activation_input_is_refused_and_nothing_is_written(activate, kw, code):
    from siaga.disaster.teams.models import Activation

    with pytest.raises(ServiceError) as exc:
        activate(**kw)
    assert exc.value.code == code
    assert not Activation.objects.exists()


def test_a_closed_event_takes_no_activation(activate, world):
    world["event"].phase = "closed"
    world["event"].save()
    with pytest.raises(ServiceError) as exc:
        activate()
    assert exc.value.code == "event_closed"
