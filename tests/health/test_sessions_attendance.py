"""A posyandu day: opened once per date, attendance recorded (also by measuring), closed, scheduled monthly."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.health import services
from siaga.health.models import Attendance

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 2, 11)


def test_opening_the_same_day_twice_gives_the_same_session(hx, capture_events):
    with capture_events() as evs:
        a = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=DAY)
        b = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=DAY)
    assert a == b and [e["type"] for e in evs] == ["health.session_opened"]


def test_a_session_cannot_be_opened_in_advance(hx):
    with pytest.raises(ServiceError):
        services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=services.today_local() + dt.timedelta(2))


def test_a_kader_cannot_open_another_posyandus_day(hx):
    with pytest.raises(NotFound):
        services.open_session(hx.actor(), posyandu_id=hx.other_posyandu.pk, date=DAY)


def test_measuring_in_a_session_marks_attendance_and_uses_its_date(hx):
    child = hx.child(birth_date=dt.date(2024, 3, 15))
    s = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=DAY)
    m = services.record_measurement(hx.actor(), person_id=child.pk, session_id=s.pk, measured_on=dt.date(2025, 1, 1),
                                    weight_g=8200, length_height_mm=730, position="lying")
    assert m.measured_on == DAY and m.session == s
    assert Attendance.objects.filter(session=s, person=child).exists()


def test_attendance_without_measuring_is_recorded_once(hx):
    child = hx.child()
    s = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=DAY)
    services.record_attendance(hx.actor(), session_id=s.pk, person_id=child.pk)
    services.record_attendance(hx.actor(), session_id=s.pk, person_id=child.pk)
    assert s.attendance.count() == 1


def test_a_child_of_another_posyandu_cannot_attend(hx):
    other_child = hx.child(posyandu=hx.other_posyandu)
    s = services.open_session(hx.actor("puskesmas_kader"), posyandu_id=hx.posyandu.pk, date=DAY)
    with pytest.raises(ServiceError) as exc:
        services.record_attendance(hx.actor("puskesmas_kader"), session_id=s.pk, person_id=other_child.pk)
    assert exc.value.code == "other_posyandu"


def test_a_closed_session_takes_no_more_measurements(hx, capture_events):
    child = hx.child()
    s = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk, date=DAY)
    with capture_events() as evs:
        services.close_session(hx.actor(), session_id=s.pk)
    assert evs[-1]["type"] == "health.session_closed"
    with pytest.raises(Conflict):
        services.record_measurement(hx.actor(), person_id=child.pk, session_id=s.pk, measured_on=DAY, weight_g=8000)


def test_the_schedule_gives_the_nth_weekday_of_the_month(hx):
    # Posyandu Melati: second Tuesday (week 2, weekday 1).
    assert hx.posyandu.session_date_in(2025, 2) == dt.date(2025, 2, 11)
    assert hx.posyandu.next_session_date(dt.date(2025, 2, 12)) == dt.date(2025, 3, 11)
    # Posyandu Mawar: the 10th.
    assert hx.other_posyandu.next_session_date(dt.date(2025, 2, 11)) == dt.date(2025, 3, 10)


def test_a_fifth_weekday_falls_back_to_the_last_one():
    from siaga.health.models import Posyandu

    p = Posyandu(schedule_week_of_month=5, schedule_weekday=0)  # fifth Monday
    assert p.session_date_in(2025, 2) == dt.date(2025, 2, 24)
