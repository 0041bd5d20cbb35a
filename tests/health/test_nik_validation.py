"""NIK checks: 16 digits, a Kemendagri region of issue, the embedded birth date and sex, masked and hashed."""

import datetime as dt

import pytest

from siaga.health import nik

from .conftest import make_nik

pytestmark = pytest.mark.django_db

BORN = dt.date(2023, 7, 9)


def test_a_good_nik_passes(regions):
    value = make_nik(BORN, "M")
    assert nik.validate(value, BORN, "M") == value


def test_spaces_and_dots_are_ignored(regions):
    value = make_nik(BORN, "F", serial=12)
    spaced = f"{value[:6]} {value[6:12]}.{value[12:]}"
    assert nik.validate(spaced, BORN, "F") == value


@pytest.mark.parametrize("raw", ["123", "35760109072300011", "3576010907230a01", ""])
def test_it_refuses_a_nik_that_is_not_16_digits(regions, raw):
    with pytest.raises(nik.NikError) as exc:
        nik.validate(raw, BORN, "M")
    assert exc.value.code == "nik_format"


def test_a_woman_has_40_added_to_the_day(regions):
    value = make_nik(BORN, "F")
    assert value[6:8] == "49"
    with pytest.raises(nik.NikError) as exc:
        nik.validate(value, BORN, "M")
    assert exc.value.code == "nik_sex_mismatch"


def test_a_man_with_a_womans_date_is_refused_as_female_given(regions):
    value = make_nik(BORN, "M")
    with pytest.raises(nik.NikError) as exc:
        nik.validate(value, BORN, "F")
    assert exc.value.code == "nik_sex_mismatch"


def test_it_refuses_a_birth_date_that_differs(regions):
    value = make_nik(BORN, "M")
    with pytest.raises(nik.NikError) as exc:
        nik.validate(value, dt.date(2023, 7, 10), "M")
    assert exc.value.code == "nik_birth_date_mismatch"


def test_it_refuses_an_impossible_embedded_date(regions):
    with pytest.raises(nik.NikError) as exc:
        nik.validate("3576013313230001", BORN, "M")
    assert exc.value.code == "nik_birth_date"


def test_it_refuses_serial_0000(regions):
    with pytest.raises(nik.NikError) as exc:
        nik.validate(make_nik(BORN, "M", serial=0), BORN, "M")
    assert exc.value.code == "nik_serial"


def test_it_refuses_an_unknown_kab_kota(regions):
    with pytest.raises(nik.NikError) as exc:
        nik.validate(make_nik(BORN, "M", district="359901"), BORN, "M")
    assert exc.value.code == "nik_region"


def test_it_refuses_an_unknown_kecamatan_of_a_known_kab_kota(regions):
    with pytest.raises(nik.NikError) as exc:
        nik.validate(make_nik(BORN, "M", district="357699"), BORN, "M")
    assert exc.value.code == "nik_region"


def test_masking_keeps_the_kab_kota_and_the_serial_only():
    assert nik.mask("3576014907230012") == "3576********0012"


def test_the_hash_is_stable_and_keyed(settings):
    a = nik.nik_hash("3576014907230012")
    assert a == nik.nik_hash("3576 0149 0723 0012") and len(a) == 64 and "3576" not in a
    settings.SIAGA_NIK_HASH_KEY = "another-key"
    assert nik.nik_hash("3576014907230012") != a


def test_a_spreadsheet_float_is_read_back_as_digits():
    assert nik.normalize(3576014907230012.0) == "3576014907230012"
