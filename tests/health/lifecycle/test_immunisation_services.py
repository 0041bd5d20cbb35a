"""Immunisation and vitamin A doses through the services: the card, due lists, bad input, permissions."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.health import lifecycle as rules
from siaga.health import services
from siaga.health import services_lifecycle as svc
from siaga.health.models import Attendance, ImmunisationDose, VitaminADose

BIRTH = dt.date(2025, 2, 10)


@pytest.fixture
def baby(lx):
    return lx.child(name="Bayu", sex="M", birth_date=BIRTH)


def _dose(lx, person, vaccine, n, day, who="kader", **kw):
    return svc.record_immunisation(lx.actor(who), person_id=person.pk, vaccine=vaccine, dose_number=n, given_on=day,
                                   **kw)


def test_the_card_shows_given_due_and_overdue_doses(lx, baby, capture_events):
    with capture_events() as events:
        _dose(lx, baby, "hb0", 1, BIRTH)
        _dose(lx, baby, "bcg", 1, dt.date(2025, 3, 12), batch="B-0425")
    assert [e["type"] for e in events] == ["health.immunisation_recorded"] * 2
    _person, card = svc.immunisation_card(lx.actor("kader"), baby.pk, on=dt.date(2025, 5, 20), grace_days=28)
    states = {(i.vaccine, i.dose): i.state for i in card.items}
    assert states[("hb0", 1)] == states[("bcg", 1)] == "given"
    assert states[("opv", 1)] == "overdue"  # due 10 Mar
    assert states[("dpt_hb_hib", 1)] == "overdue"  # due 10 Apr, 40 days
    assert states[("dpt_hb_hib", 2)] == "upcoming"  # waits for dose 1
    assert states[("mr", 1)] == "upcoming"
    assert not card.complete_basic


def test_due_list_for_the_next_posyandu_day(lx, baby):
    newborn = lx.child(name="Cici", birth_date=dt.date(2025, 10, 8))
    older = lx.child(name="Dodi", sex="M", birth_date=dt.date(2019, 1, 1))  # over five: not listed
    _dose(lx, baby, "hb0", 1, BIRTH)
    lists = svc.due_lists(lx.actor("kader"), lx.posyandu.pk, on=dt.date(2025, 10, 14), grace_days=28)
    rows = {r.person.pk: r for r in lists["immunisation"]}
    assert older.pk not in rows
    assert [d.label for d in rows[newborn.pk].doses] == ["HB0"]
    assert rows[baby.pk].overdue and "BCG 1" in [str(d.label) for d in rows[baby.pk].doses]
    # Without an explicit day, the posyandu's next scheduled day (2nd Tuesday) is used.
    assert svc.due_lists(lx.actor("kader"), lx.posyandu.pk)["on"] == dt.date(2025, 11, 11)


def test_a_child_with_every_basic_dose_by_one_year_is_complete(lx):
    birth = dt.date(2024, 9, 2)
    child = lx.child(name="Jaya", sex="M", birth_date=birth)
    for e in rules.SCHEDULE:
        if e.basic:
            _dose(lx, child, e.vaccine, e.dose, rules.add_months(birth, e.due_months))
    assert rules.complete_basic_by_person([child.pk]) == {child.pk: dt.date(2025, 6, 2)}  # MR1 at 9 months
    _p, card = svc.immunisation_card(lx.actor("kader"), child.pk, on=dt.date(2025, 10, 20))
    assert card.complete_basic and card.complete_basic_on == dt.date(2025, 6, 2)


@pytest.mark.parametrize("vaccine, n, day, code", [
    ("bcg", 1, dt.date(2025, 2, 9), "before_birth"),
    ("bcg", 1, dt.date(2025, 10, 21), "future_date"),
    ("cholera", 1, dt.date(2025, 3, 1), "invalid_vaccine"),
    ("opv", 5, dt.date(2025, 3, 1), "invalid_dose"),
])
def test_bad_doses_are_refused(lx, baby, vaccine, n, day, code):
    with pytest.raises(ServiceError) as e:
        _dose(lx, baby, vaccine, n, day)
    assert e.value.code == code
    assert not ImmunisationDose.objects.exists()


def test_a_duplicate_dose_is_refused(lx, baby):
    _dose(lx, baby, "bcg", 1, dt.date(2025, 3, 12))
    with pytest.raises(Conflict) as e:
        _dose(lx, baby, "bcg", 1, dt.date(2025, 3, 20))
    assert e.value.code == "duplicate_dose"
    assert ImmunisationDose.objects.count() == 1


def test_doses_out_of_order_are_refused(lx, baby):
    _dose(lx, baby, "opv", 1, dt.date(2025, 3, 20))
    with pytest.raises(ServiceError) as e:
        _dose(lx, baby, "opv", 2, dt.date(2025, 3, 15))
    assert e.value.code == "dose_order"


def test_an_early_dose_needs_confirmation_and_is_stored_flagged(lx, baby):
    with pytest.raises(ServiceError) as e:
        _dose(lx, baby, "dpt_hb_hib", 1, dt.date(2025, 3, 1))  # 19 days old; valid from 6 weeks
    assert e.value.code == "needs_confirmation" and e.value.details["reason"] == "early"
    d = _dose(lx, baby, "dpt_hb_hib", 1, dt.date(2025, 3, 1), confirm=True)
    assert d.early


def test_hb0_after_seven_days_needs_confirmation(lx, baby):
    with pytest.raises(ServiceError) as e:
        _dose(lx, baby, "hb0", 1, BIRTH + dt.timedelta(days=10))
    assert e.value.details["reason"] == "past_age_limit"


def test_a_dose_on_a_posyandu_day_is_linked_and_marks_attendance(lx, baby):
    session = services.open_session(lx.actor("kader"), posyandu_id=lx.posyandu.pk, date=dt.date(2025, 4, 8))
    d = _dose(lx, baby, "opv", 1, dt.date(2025, 4, 8), session_id=session.pk)
    assert d.session == session
    assert Attendance.objects.filter(session=session, person=baby).exists()


def test_a_kader_cannot_give_doses_at_another_posyandu(lx):
    theirs = lx.child(name="Eka", posyandu=lx.other_posyandu, birth_date=BIRTH)
    with pytest.raises(NotFound):
        _dose(lx, theirs, "bcg", 1, dt.date(2025, 3, 12))
    with pytest.raises(NotFound):
        svc.immunisation_card(lx.actor("kader"), theirs.pk)
    with pytest.raises(NotFound):
        svc.due_lists(lx.actor("kader"), lx.other_posyandu.pk)
    assert _dose(lx, theirs, "bcg", 1, dt.date(2025, 3, 12), who="midwife").pk


# --- vitamin A ----------------------------------------------------------------------------------


def test_vitamin_a_capsule_by_age_once_per_round(lx, baby, capture_events):
    with capture_events() as events:
        d = svc.record_vitamin_a(lx.actor("kader"), person_id=baby.pk, given_on=dt.date(2025, 8, 12))
    assert (d.capsule, d.round) == ("blue", "2025-08")
    assert events[-1]["type"] == "health.vitamin_a_recorded"
    with pytest.raises(Conflict):
        svc.record_vitamin_a(lx.actor("kader"), person_id=baby.pk, given_on=dt.date(2025, 9, 2))
    with pytest.raises(ServiceError) as e:
        svc.record_vitamin_a(lx.actor("kader"), person_id=lx.child(name="F", birth_date=dt.date(2024, 1, 1)).pk,
                             given_on=dt.date(2025, 8, 12), capsule="blue")
    assert e.value.code == "wrong_capsule" and e.value.details["expected"] == "red"


def test_vitamin_a_is_refused_under_six_months(lx):
    young = lx.child(name="Gita", birth_date=dt.date(2025, 4, 1))
    with pytest.raises(ServiceError) as e:
        svc.record_vitamin_a(lx.actor("kader"), person_id=young.pk, given_on=dt.date(2025, 8, 12))
    assert e.value.code == "vitamin_a_age"
    assert not VitaminADose.objects.exists()


def test_vitamin_a_due_list_skips_children_already_given_this_round(lx, baby):
    toddler = lx.child(name="Hana", birth_date=dt.date(2023, 5, 5))
    lx.child(name="Ira", birth_date=dt.date(2025, 6, 1))  # 2 months in August: too young
    svc.record_vitamin_a(lx.actor("kader"), person_id=toddler.pk, given_on=dt.date(2025, 8, 5))
    rows = svc.due_lists(lx.actor("kader"), lx.posyandu.pk, on=dt.date(2025, 8, 12))
    assert [(r.person.pk, r.capsule) for r in rows["vitamin_a"]] == [(baby.pk, "blue")]
    assert rows["vitamin_a_month"]
