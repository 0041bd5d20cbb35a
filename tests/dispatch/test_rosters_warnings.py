"""Roster warnings: uncovered slots, stretches where a unit lacks a required role, people booked twice."""

import datetime as dt

import pytest

from siaga.dispatch import rosters
from siaga.dispatch.models import CrewMember, Shift

pytestmark = pytest.mark.django_db

WIB = dt.timezone(dt.timedelta(hours=7))
MEDIC = ["nurse", "paramedic", "doctor"]


def at(day, hour):
    return dt.datetime(2026, 3, 2, hour, tzinfo=WIB) + dt.timedelta(days=day)


def gaps(result, unit):
    return [(w["starts_at"], w["ends_at"], w["missing"]) for w in result["undercrewed"] if w["unit"] == unit]


def test_a_unit_with_no_shift_lacks_its_crew_for_the_whole_period(fleet):
    result = rosters.roster_warnings(fleet.actor("pmi_dispatcher"), at(0, 0), at(1, 0))
    # AMB-02 is an advanced ambulance: a driver and a doctor or nurse.
    assert gaps(result, fleet.amb2) == [(at(0, 0), at(1, 0), [["driver"], ["doctor", "nurse"]])]


def test_it_reports_the_stretches_each_role_is_missing(fleet):
    a = fleet.actor("pmi_dispatcher")
    nurse2 = CrewMember.objects.create(organization=fleet.pmi, name="Dewi", qualifications=["nurse"])
    rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 19),
                         member=fleet.driver)
    rosters.create_shift(a, unit=fleet.amb2, role="nurse", starts_at=at(0, 7), ends_at=at(0, 15), member=nurse2)
    uncovered = rosters.create_shift(a, unit=fleet.amb2, role="nurse", starts_at=at(0, 15), ends_at=at(0, 23))
    result = rosters.roster_warnings(a, at(0, 0), at(1, 0), unit_id=fleet.amb2.pk)
    assert gaps(result, fleet.amb2) == [
        (at(0, 0), at(0, 7), [["driver"], ["doctor", "nurse"]]),
        (at(0, 15), at(0, 19), [["doctor", "nurse"]]),
        (at(0, 19), at(1, 0), [["driver"], ["doctor", "nurse"]]),
    ]
    assert result["uncovered"] == [uncovered]
    assert result["double_booked"] == []


def test_an_always_crewed_unit_and_a_full_roster_give_no_warning(fleet):
    a = fleet.actor("pmi_dispatcher")
    fleet.amb2.always_crewed = True
    fleet.amb2.save(update_fields=["always_crewed"])
    for role, person in (("driver", fleet.driver), ("nurse", fleet.nurse)):
        Shift.objects.filter(unit=fleet.amb1, role=role).delete()
        rosters.create_shift(a, unit=fleet.amb1, role=role, starts_at=at(0, 0), ends_at=at(0, 12), member=person)
        rosters.create_shift(a, unit=fleet.amb1, role=role, starts_at=at(0, 12), ends_at=at(1, 0), member=person)
    result = rosters.roster_warnings(a, at(0, 0), at(1, 0))
    assert result == {"uncovered": [], "undercrewed": [], "double_booked": []}


def test_an_inactive_member_does_not_crew_a_unit(fleet):
    a = fleet.actor("pmi_dispatcher")
    rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(0, 0), ends_at=at(0, 12),
                         member=fleet.driver)
    rosters.create_shift(a, unit=fleet.amb2, role="nurse", starts_at=at(0, 0), ends_at=at(0, 12),
                         member=fleet.nurse)
    CrewMember.objects.filter(pk=fleet.driver.pk).update(active=False)
    result = rosters.roster_warnings(a, at(0, 0), at(0, 12), unit_id=fleet.amb2.pk)
    assert gaps(result, fleet.amb2) == [(at(0, 0), at(0, 12), [["driver"]])]


def test_it_finds_people_booked_twice(fleet):
    # Double bookings cannot be made through the services; older data (or an import) may still hold them.
    first = Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="driver", member=fleet.driver,
                                 starts_at=at(0, 7), ends_at=at(0, 15))
    second = Shift.objects.create(organization=fleet.pmi, station=fleet.station, role="driver",
                                  member=fleet.driver, starts_at=at(0, 14), ends_at=at(0, 22))
    Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="driver", member=fleet.driver,
                         starts_at=at(0, 22), ends_at=at(1, 6))
    result = rosters.roster_warnings(fleet.actor("pmi_dispatcher"), at(0, 0), at(1, 0))
    assert [(w["member"], w["first"], w["second"]) for w in result["double_booked"]] == [
        (fleet.driver, first, second)]


def test_warnings_follow_visibility(fleet):
    Shift.objects.create(organization=fleet.pmi, unit=fleet.amb2, role="driver", starts_at=at(0, 7),
                         ends_at=at(0, 15))
    other = rosters.roster_warnings(fleet.actor("other_dispatcher"), at(0, 0), at(1, 0))
    assert other["uncovered"] == []
    assert {w["unit"].call_sign for w in other["undercrewed"]} == {"AMB-K1"}
    # PSC 119 dispatches PMI's ambulances: it is warned about them.
    psc = rosters.roster_warnings(fleet.actor("dispatcher"), at(0, 0), at(1, 0))
    assert len(psc["uncovered"]) == 1
    assert {w["unit"].call_sign for w in psc["undercrewed"]} == {"AMB-01", "AMB-02"}


def test_a_period_too_long_is_refused(fleet):
    from siaga.core.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        rosters.roster_warnings(fleet.actor("pmi_dispatcher"), at(0, 0), at(90, 0))
    assert exc.value.code == "range_too_long"
