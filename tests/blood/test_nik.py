"""NIK structure checks (region of issue, encoded birth date and sex), masking and the keyed look-up hash."""

import datetime as dt

import pytest

from siaga.blood import nik


@pytest.mark.django_db
def test_it_reads_region_birth_date_and_sex(regions):
    info = nik.parse("3576015708920003", today=dt.date(2026, 1, 1))
    assert info.regency_code == "35.76"
    assert info.district_code == "35.76.01"
    assert info.birth_date == dt.date(1992, 8, 17)
    assert info.sex == "F"


@pytest.mark.django_db
def test_two_digit_years_before_today_are_this_century(regions):
    assert nik.parse("3576011705080001", today=dt.date(2026, 1, 1)).birth_date == dt.date(2008, 5, 17)
    assert nik.parse("3576011705300001", today=dt.date(2026, 1, 1)).birth_date == dt.date(1930, 5, 17)


@pytest.mark.django_db
@pytest.mark.parametrize("value,code", [
    ("357601170590001", "invalid_nik"),          # 15 digits
    ("35760117059000011", "invalid_nik"),        # 17 digits
    ("3576011705900A01", "invalid_nik"),
    ("9976011705900001", "invalid_nik_region"),  # no province 99
    ("3500011705900001", "invalid_nik_region"),  # kab/kota 00
    ("3599011705900001", "invalid_nik_region"),  # kab/kota not in the region table
    ("3576013205900001", "invalid_nik_date"),    # day 32
    ("3576017213900001", "invalid_nik_date"),    # day 72 - 40 = 32
    ("3576011713900001", "invalid_nik_date"),    # month 13
    ("3576011705900000", "invalid_nik"),         # serial 0000
])
def test_it_refuses_structurally_impossible_niks(regions, value, code):
    with pytest.raises(nik.InvalidNik) as exc:
        nik.parse(value)
    assert exc.value.code == code


@pytest.mark.django_db
def test_it_refuses_a_nik_that_contradicts_the_birth_date_or_sex(regions):
    info = nik.parse("3576011705900001")
    nik.check_matches(info, dt.date(1990, 5, 17), "M")
    with pytest.raises(nik.InvalidNik):
        nik.check_matches(info, dt.date(1990, 5, 18), "M")
    with pytest.raises(nik.InvalidNik):
        nik.check_matches(info, dt.date(1990, 5, 17), "F")


def test_it_masks_all_but_four_digits_at_each_end():
    assert nik.mask("3576011705900001") == "3576********0001"


def test_the_hash_is_stable_ignores_spaces_and_is_not_the_nik():
    h = nik.nik_hash("3576011705900001")
    assert h == nik.nik_hash("3576 0117 0590 0001")
    assert "3576011705900001" not in h and len(h) == 64
    assert h != nik.nik_hash("3576011705900002")
