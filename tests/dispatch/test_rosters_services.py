"""Roster services: shifts, qualified and single-booked assignment, copying a week, crewing follows the roster."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.dispatch import crewing, rosters, services
from siaga.dispatch.models import CrewMember, Shift

pytestmark = pytest.mark.django_db

WIB = dt.timezone(dt.timedelta(hours=7))


def at(day, hour, minute=0):
    """A time in WIB on a fixed Monday week (2026-03-02 is a Monday)."""
    return dt.datetime(2026, 3, 2, hour, minute, tzinfo=WIB) + dt.timedelta(days=day)


def test_it_creates_an_uncovered_shift_and_audits_it(fleet):
    a = fleet.actor("pmi_dispatcher")
    shift = rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15))
    assert shift.member is None and shift.organization == fleet.pmi and shift.region_code == "35.76.03"
    log = AuditLog.objects.get(model="dispatch.shift", object_id=str(shift.pk))
    assert log.action == AuditLog.Action.CREATE and log.actor == fleet.users["pmi_dispatcher"]


def test_it_assigns_a_qualified_person_and_refuses_an_unqualified_one(fleet):
    a = fleet.actor("pmi_dispatcher")
    shift = rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15))
    with pytest.raises(ServiceError) as exc:
        rosters.assign(a, shift.pk, fleet.nurse.pk)
    assert exc.value.code == "not_qualified" and "Siti Aminah" in exc.value.message
    assert Shift.objects.get(pk=shift.pk).member is None
    rosters.assign(a, shift.pk, fleet.driver.pk)
    assert Shift.objects.get(pk=shift.pk).member == fleet.driver
    assert AuditLog.objects.filter(model="dispatch.shift", object_id=str(shift.pk),
                                   action=AuditLog.Action.UPDATE).count() == 1


def test_it_refuses_to_book_one_person_on_overlapping_shifts(fleet):
    a = fleet.actor("pmi_dispatcher")
    rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(1, 7), ends_at=at(1, 15),
                         member=fleet.driver)
    with pytest.raises(Conflict) as exc:
        rosters.create_shift(a, unit=fleet.amb1, role="driver", starts_at=at(1, 14), ends_at=at(1, 22),
                             member=fleet.driver)
    assert exc.value.code == "double_booked"
    assert "AMB-02" in exc.value.message and "14:00" not in exc.value.message  # names the clash: 07:00-15:00
    assert "07:00" in exc.value.message and "15:00" in exc.value.message
    # back to back is not double booking
    follow = rosters.create_shift(a, unit=fleet.amb1, role="driver", starts_at=at(1, 15), ends_at=at(1, 23),
                                  member=fleet.driver)
    assert follow.member == fleet.driver


def test_moving_a_shift_onto_another_of_its_person_is_refused(fleet):
    a = fleet.actor("pmi_dispatcher")
    first = rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(2, 7), ends_at=at(2, 15),
                                 member=fleet.driver)
    second = rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(2, 15), ends_at=at(2, 23),
                                  member=fleet.driver)
    with pytest.raises(Conflict):
        rosters.update_shift(a, second.pk, starts_at=at(2, 12))
    second.refresh_from_db()
    assert second.starts_at == at(2, 15)
    rosters.update_shift(a, first.pk, ends_at=at(2, 14), note="pulang cepat")
    first.refresh_from_db()
    assert first.ends_at == at(2, 14) and first.note == "pulang cepat"


def test_it_refuses_bad_times_and_places(fleet):
    a = fleet.actor("pmi_dispatcher")
    cases = [
        dict(unit=fleet.amb2, role="driver", starts_at=at(0, 15), ends_at=at(0, 7)),
        dict(unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(1, 8)),
        dict(unit=fleet.amb2, role="driver", starts_at=dt.datetime(2026, 3, 2, 7), ends_at=at(0, 15)),
        dict(unit=fleet.amb2, role="pilot", starts_at=at(0, 7), ends_at=at(0, 15)),
        dict(unit=fleet.amb2, station=fleet.station, role="driver", starts_at=at(0, 7), ends_at=at(0, 15)),
    ]
    codes = []
    for kw in cases:
        with pytest.raises(ServiceError) as exc:
            rosters.create_shift(a, **kw)
        codes.append(exc.value.code)
    assert codes == ["invalid_range", "shift_too_long", "naive_time", "invalid_role", "unit_or_station"]
    assert not Shift.objects.filter(unit=fleet.amb2).exists()


def test_a_doctor_on_duty_at_a_hospital_post(fleet):
    sys_station = services.create_station(fleet.actor("pmi_dispatcher"), name="IGD RS Kota", kind="hospital",
                                          region_code="35.76.02")
    doctor = CrewMember.objects.create(organization=fleet.pmi, name="dr. Rahma", qualifications=["doctor"])
    a = fleet.actor("pmi_dispatcher")
    shift = rosters.create_shift(a, station=sys_station, role="doctor", starts_at=at(3, 8), ends_at=at(3, 20),
                                 member=doctor)
    assert shift.station == sys_station and shift.unit is None and shift.region_code == "35.76.02"
    assert list(rosters.shifts_between(a, at(3, 0), at(4, 0), member_id=doctor.pk)) == [shift]


def test_only_the_owning_organisation_manages_its_roster(fleet):
    owner = fleet.actor("pmi_dispatcher")
    shift = rosters.create_shift(owner, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15))
    # PSC 119 dispatches PMI's units: it reads their roster, but does not write it.
    psc = fleet.actor("dispatcher")
    assert shift in rosters.shifts_between(psc, at(0, 0), at(1, 0))
    with pytest.raises(PermissionDenied):
        rosters.assign(psc, shift.pk, fleet.driver.pk)
    with pytest.raises(NotFound):
        rosters.create_shift(psc, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15))
    # The organisation next door sees nothing.
    other = fleet.actor("other_dispatcher")
    assert not rosters.shifts_between(other, at(0, 0), at(1, 0)).filter(pk=shift.pk).exists()
    with pytest.raises(NotFound):
        rosters.delete_shift(other, shift.pk)
    with pytest.raises(NotFound):
        rosters.create_shift(other, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15))
    # Nor can anyone put another organisation's person on their own unit.
    mine = rosters.create_shift(other, unit=fleet.amb_k1, role="driver", starts_at=at(0, 7), ends_at=at(0, 15))
    with pytest.raises(NotFound):
        rosters.assign(other, mine.pk, fleet.driver.pk)
    # A crew member may read the roster but not change it.
    with pytest.raises(PermissionDenied):
        rosters.delete_shift(fleet.actor("crew"), shift.pk)
    assert Shift.objects.filter(pk=shift.pk, member__isnull=True).exists()


def test_deleting_a_shift_is_audited(fleet):
    a = fleet.actor("pmi_dispatcher")
    shift = rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15),
                                 member=fleet.driver)
    pk = shift.pk
    rosters.delete_shift(a, pk)
    assert not Shift.objects.filter(pk=pk).exists()
    log = AuditLog.objects.get(model="dispatch.shift", object_id=str(pk), action=AuditLog.Action.DELETE)
    assert log.changes["member_id"] == [fleet.driver.pk, None]


def test_copy_week_repeats_the_pattern_once_and_never_double_books(fleet):
    a = fleet.actor("pmi_dispatcher")
    rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=at(0, 7), ends_at=at(0, 15),
                         member=fleet.driver)
    rosters.create_shift(a, unit=fleet.amb2, role="nurse", starts_at=at(6, 22), ends_at=at(7, 6))
    # next Monday morning the driver is already on AMB-01
    rosters.create_shift(a, unit=fleet.amb1, role="driver", starts_at=at(7, 6), ends_at=at(7, 14),
                         member=fleet.driver)
    result = rosters.copy_week(a, week_start=at(0, 0), weeks=2, unit_id=fleet.amb2.pk)
    assert len(result.created) == 4 and result.skipped == 0
    copies = {(s.starts_at, s.role): s.member for s in result.created}
    assert copies == {(at(7, 7), "driver"): None, (at(14, 7), "driver"): fleet.driver,
                      (at(13, 22), "nurse"): None, (at(20, 22), "nurse"): None}
    assert [(s.starts_at, name) for s, name in result.uncovered] == [(at(7, 7), "Budi Santoso")]
    again = rosters.copy_week(a, week_start=at(0, 0), weeks=2, unit_id=fleet.amb2.pk)
    assert again.created == [] and again.skipped == 4


def test_the_roster_decides_whether_a_unit_can_be_dispatched(fleet):
    now = timezone.now()
    inc = fleet.incident()
    with pytest.raises(ServiceError) as exc:
        services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb2.pk)
    assert exc.value.code == "unit_not_crewed"
    a = fleet.actor("pmi_dispatcher")
    doctor = CrewMember.objects.create(organization=fleet.pmi, name="dr. Rahma", qualifications=["doctor"])
    driver = CrewMember.objects.create(organization=fleet.pmi, name="Slamet", qualifications=["driver"])
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(hours=8)
    rosters.create_shift(a, unit=fleet.amb2, role="driver", starts_at=start, ends_at=end, member=driver)
    medic = rosters.create_shift(a, unit=fleet.amb2, role="doctor", starts_at=start, ends_at=end)
    assert not crewing.is_crewed(fleet.amb2, now)  # the doctor's slot is uncovered
    rosters.assign(a, medic.pk, doctor.pk)
    assert crewing.is_crewed(fleet.amb2, timezone.now())
    d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb2.pk)
    assert d.unit == fleet.amb2


def test_a_roster_change_tells_the_consoles_whether_the_unit_is_crewed(fleet, capture_events):
    import datetime as dt

    from django.utils import timezone

    from siaga.dispatch import rosters

    start = timezone.now() - dt.timedelta(hours=1)
    with capture_events() as events:
        shift = rosters.create_shift(fleet.actor("pmi_dispatcher"), role="driver", unit=fleet.amb2.pk, starts_at=start,
                                     ends_at=start + dt.timedelta(hours=8))
    [ev] = [e for e in events if e["type"] == "roster.updated"]
    assert ev["payload"] == {"unit_id": fleet.amb2.pk, "call_sign": "AMB-02", "organization_id": fleet.pmi.pk,
                             "crewed_now": False}  # a driver alone does not crew an advanced ambulance
    assert fleet.psc.pk in ev["shared_with"]  # the dispatch center hears it
    with capture_events() as events:
        rosters.delete_shift(fleet.actor("pmi_dispatcher"), shift.pk)
    assert [e["type"] for e in events if e["type"] == "roster.updated"] == ["roster.updated"]
