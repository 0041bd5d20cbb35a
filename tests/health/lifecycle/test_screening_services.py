"""Screenings of school-age children, adolescents, adults and the elderly: kinds by age, flags, bad input."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.health import services
from siaga.health import services_lifecycle as svc
from siaga.health.models import Screening

DAY = dt.date(2025, 10, 14)


def _adult(lx, name="Pak Amir", sex="M", birth_date=dt.date(1970, 5, 5), posyandu=None):
    posyandu = posyandu or lx.posyandu
    actor = lx.actor("kader" if posyandu == lx.posyandu else "other_kader")
    return services.register_person(actor, posyandu_id=posyandu.pk, name=name, sex=sex, birth_date=birth_date)


def _screen(lx, person, who="kader", **kw):
    kw.setdefault("screened_on", DAY)
    return svc.record_screening(lx.actor(who), person_id=person.pk, **kw)


def test_an_adult_screening_derives_kind_bmi_and_flags(lx, capture_events):
    amir = _adult(lx)
    with capture_events() as events:
        s = _screen(lx, amir, systolic_mmhg=150, diastolic_mmhg=92, blood_sugar_mg_dl=230, blood_sugar_kind="random",
                    weight_g=82_000, height_mm=1680, waist_mm=980)
    assert (s.kind, s.age_years, s.bmi_x10) == ("adult", 55, 291)
    assert s.flags == ["hypertension", "diabetes_suspected", "obesity", "central_obesity"]
    assert events[-1]["type"] == "health.screening_recorded" and events[-1]["payload"]["flags"] == s.flags


def test_an_elderly_screening_records_independence(lx):
    nenek = _adult(lx, name="Nek Ijah", sex="F", birth_date=dt.date(1950, 1, 1))
    s = _screen(lx, nenek, adl_score=10, systolic_mmhg=130, diastolic_mmhg=80)
    assert (s.kind, s.adl_level, s.flags) == ("elderly", "C", ["dependent"])


def test_the_adl_score_is_for_the_elderly_only(lx):
    with pytest.raises(ServiceError) as e:
        _screen(lx, _adult(lx), adl_score=20)
    assert e.value.code == "adl_not_elderly"


def test_the_kind_must_fit_the_age(lx):
    teen = _adult(lx, name="Rudi", birth_date=dt.date(2010, 2, 2))
    with pytest.raises(ServiceError) as e:
        _screen(lx, teen, kind="adult", hb_g_per_l=120)
    assert e.value.code == "kind_age_mismatch" and e.value.details["expected"] == "adolescent"
    assert _screen(lx, teen, hb_g_per_l=118).flags == ["anaemia"]


def test_under_fives_are_not_screened(lx):
    with pytest.raises(ServiceError) as e:
        _screen(lx, lx.child(birth_date=dt.date(2023, 1, 1)), weight_g=12_000)
    assert e.value.code == "screening_age"


@pytest.mark.parametrize("kw, code", [
    ({"screened_on": dt.date(2025, 10, 21), "weight_g": 60_000}, "future_date"),
    ({"systolic_mmhg": 120, "diastolic_mmhg": 130}, "impossible_blood_pressure"),
    ({"systolic_mmhg": 20, "diastolic_mmhg": 10}, "impossible_value"),
    ({"blood_sugar_mg_dl": 140}, "blood_sugar_kind_required"),
    ({"weight_g": 600_000}, "impossible_value"),
    ({}, "no_values"),
])
def test_bad_screening_input_is_refused(lx, kw, code):
    with pytest.raises(ServiceError) as e:
        _screen(lx, _adult(lx), **kw)
    assert e.value.code == code
    assert not Screening.objects.exists()


def test_implausible_blood_sugar_needs_confirmation(lx):
    amir = _adult(lx)
    with pytest.raises(ServiceError) as e:
        _screen(lx, amir, blood_sugar_mg_dl=700, blood_sugar_kind="random")
    assert e.value.code == "needs_confirmation"
    s = _screen(lx, amir, blood_sugar_mg_dl=700, blood_sugar_kind="random", confirm=True)
    assert s.implausible and s.implausible_fields == ["blood_sugar_mg_dl"] and "diabetes_suspected" in s.flags


def test_one_screening_per_person_per_day(lx):
    amir = _adult(lx)
    _screen(lx, amir, weight_g=70_000)
    with pytest.raises(Conflict):
        _screen(lx, amir, weight_g=71_000)


def test_a_kader_cannot_screen_at_another_posyandu(lx):
    theirs = _adult(lx, name="Pak Joko", posyandu=lx.other_posyandu)
    with pytest.raises(NotFound):
        _screen(lx, theirs, weight_g=70_000)
    assert _screen(lx, theirs, who="midwife", weight_g=70_000).pk
