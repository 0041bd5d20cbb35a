"""NIK (Nomor Induk Kependudukan) checks, keyed hash for lookup, and the masked form shown in lists.

A NIK has 16 digits: the kecamatan of issue (PP KK CC, the Kemendagri code without dots), the birth
date as DDMMYY with 40 added to the day for women, and a 4-digit serial (never 0000).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.utils.translation import gettext as _

_DIGITS = re.compile(r"^\d{16}$")


@dataclass(frozen=True)
class NikParts:
    province: str  # "35"
    regency: str  # "35.76"
    district: str  # "35.76.01"
    day: int  # day of birth (40 already subtracted for women)
    month: int
    year_2: int  # last two digits of the year of birth
    female: bool
    serial: str


class NikError(ValueError):
    """A NIK that cannot be right; code is a stable machine name, message is translated."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def normalize(raw) -> str:
    """Digits only: kader type NIKs with spaces and dots, spreadsheets turn them into floats."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return re.sub(r"[\s.\-]", "", str(raw).strip())


def parse(nik: str) -> NikParts:
    """The parts of a NIK whose shape is right (16 digits, a real day and month, serial not 0000)."""
    if not _DIGITS.match(nik or ""):
        raise NikError("nik_format", _("A NIK has exactly 16 digits."))
    day = int(nik[6:8])
    female = day > 40
    if female:
        day -= 40
    month = int(nik[8:10])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise NikError("nik_birth_date", _("The birth date inside the NIK (digits 7-12) is not a real date."))
    if nik[12:] == "0000":
        raise NikError("nik_serial", _("The last four digits of a NIK cannot be 0000."))
    return NikParts(province=nik[:2], regency=f"{nik[:2]}.{nik[2:4]}", district=f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}",
                    day=day, month=month, year_2=int(nik[10:12]), female=female, serial=nik[12:])


def check_region(parts: NikParts) -> None:
    """The kab/kota of issue must exist; so must the kecamatan when that kab/kota's kecamatan are loaded."""
    Region = apps.get_model("geo", "Region")
    if not Region.objects.filter(code=parts.regency).exists():
        raise NikError("nik_region", _("The NIK starts with %(code)s, which is not a Kemendagri kab/kota code.")
                       % {"code": parts.regency.replace(".", "")})
    has_districts = Region.objects.filter(parent_id=parts.regency, level=3).exists()
    if has_districts and not Region.objects.filter(code=parts.district).exists():
        raise NikError("nik_region", _("The NIK's kecamatan code %(code)s does not exist in %(regency)s.")
                       % {"code": parts.district, "regency": parts.regency})


def check_matches(parts: NikParts, birth_date: dt.date, sex: str) -> None:
    """The NIK's embedded birth date and sex agree with the stated ones (day + 40 for women)."""
    if (parts.day, parts.month, parts.year_2) != (birth_date.day, birth_date.month, birth_date.year % 100):
        raise NikError("nik_birth_date_mismatch",
                       _("The NIK encodes the birth date %(nik_date)s, but the date of birth given is %(date)s.")
                       % {"nik_date": f"{parts.day:02d}-{parts.month:02d}-..{parts.year_2:02d}",
                          "date": birth_date.strftime("%d-%m-%Y")})
    if parts.female != (sex == "F"):
        raise NikError("nik_sex_mismatch",
                       _("The NIK is that of a woman (day of birth + 40), but the sex given is male.") if parts.female
                       else _("The NIK is that of a man, but the sex given is female (a woman's NIK adds 40 "
                              "to the day of birth)."))


def validate(raw, birth_date: dt.date, sex: str) -> str:
    """The normalised NIK, or NikError saying what is wrong with it."""
    nik = normalize(raw)
    parts = parse(nik)
    check_matches(parts, birth_date, sex)
    check_region(parts)
    return nik


def _key() -> bytes:
    key = getattr(settings, "SIAGA_NIK_HASH_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(("siaga.health.nik:" + key).encode()).digest()


def nik_hash(nik: str) -> str:
    """Keyed hash (HMAC-SHA256) for lookups and the uniqueness check, so lists never need the NIK itself."""
    return hmac.new(_key(), normalize(nik).encode(), hashlib.sha256).hexdigest() if nik else ""


def mask(nik: str) -> str:
    """The form shown in lists: the kab/kota digits and the serial, the rest hidden (3576********0012)."""
    nik = normalize(nik)
    if len(nik) != 16:
        return ""
    return nik[:4] + "*" * 8 + nik[12:]
