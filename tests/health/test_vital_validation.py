"""Bad input on vital events: NIKs that cannot be right, dates in the future, impossible values; nothing stored."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.health import vital
from siaga.health.models_vital import VitalEvent

from .conftest import make_nik
from .vital_support import vx  # noqa: F401

pytestmark = pytest.mark.django_db


def _refused(call, code, field=None):
    with pytest.raises(ServiceError) as exc:
        call()
    assert exc.value.code == code, exc.value.message
    if field:
        assert exc.value.details["field"] == field
    assert not VitalEvent.objects.exists()


def test_a_mothers_nik_of_the_wrong_length_is_refused(vx):
    _refused(lambda: vx.birth(mother_nik="35760142059"), "nik_format", "mother_nik")


def test_a_mothers_nik_of_a_man_is_refused(vx):
    _refused(lambda: vx.birth(mother_nik=make_nik(dt.date(1995, 6, 2), "M")), "nik_sex_mismatch", "mother_nik")


def test_a_mothers_nik_from_an_unknown_kabkota_is_refused(vx):
    _refused(lambda: vx.birth(mother_nik=make_nik(dt.date(1995, 6, 2), "F", district="999901")), "nik_region")


def test_a_mothers_nik_is_stored_masked_and_hashed(vx):
    nik = make_nik(dt.date(1995, 6, 2), "F")
    ev = vx.birth(mother_nik=f"{nik[:6]} {nik[6:12]}.{nik[12:]}")
    assert ev.mother_nik == nik and ev.mother_nik_masked == nik[:4] + "********" + nik[12:]
    assert ev.mother_nik_hash and nik not in ev.mother_nik_hash


def test_a_deceaseds_nik_must_match_the_birth_date_and_sex(vx):
    _refused(lambda: vx.death(birth_date=dt.date(1951, 1, 20)), "nik_birth_date_mismatch", "nik")
    _refused(lambda: vx.death(sex="F"), "nik_sex_mismatch", "nik")


def test_a_deceaseds_nik_needs_the_birth_date(vx):
    _refused(lambda: vx.death(birth_date=None), "required", "birth_date")


def test_a_death_without_nik_is_accepted(vx):
    ev = vx.death(nik="", birth_date=None)
    assert ev.nik == "" and ev.nik_masked == ""


def test_a_birth_in_the_future_is_refused(vx):
    _refused(lambda: vx.birth(born_at=timezone.now() + dt.timedelta(hours=2)), "future_date", "born_at")


def test_a_death_in_the_future_is_refused(vx):
    _refused(lambda: vx.death(died_at=timezone.now() + dt.timedelta(days=1)), "future_date", "died_at")


def test_a_birth_date_after_the_death_is_refused(vx):
    died = timezone.make_aware(dt.datetime(2025, 3, 1, 8, 0))
    _refused(lambda: vx.death(nik="", birth_date=dt.date(2025, 3, 2), died_at=died), "birth_after_death")


def test_a_time_without_zone_is_refused(vx):
    _refused(lambda: vx.birth(born_at=dt.datetime(2025, 3, 1, 8, 0)), "naive_datetime", "born_at")


def test_an_impossible_birth_weight_is_refused(vx):
    _refused(lambda: vx.birth(weight_g=31000), "impossible_weight", "weight_g")


def test_unknown_attendant_and_cause_are_refused(vx):
    _refused(lambda: vx.birth(birth_attendant="dukun"), "invalid_birth_attendant")
    _refused(lambda: vx.death(cause_category="Z99"), "invalid_cause_category")


def test_a_resubmission_is_checked_like_a_notification(vx):
    ev = vital.request_correction(vx.actor("cro"), vx.birth().pk, reason="x")
    with pytest.raises(ServiceError) as exc:
        vital.resubmit(vx.actor("facility"), ev.pk, mother_name="Siti", sex="F", birth_attendant="midwife",
                       born_at=timezone.now() + dt.timedelta(days=3))
    assert exc.value.code == "future_date"
    ev.refresh_from_db()
    assert ev.status == "correction_requested"
