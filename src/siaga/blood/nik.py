"""NIK (16-digit national identity number) checks, masking and the keyed hash used to find a donor by NIK.

A NIK has no check digit. What can be checked is its structure: the region of issue (province,
kab/kota and kecamatan codes, 2 digits each), the birth date (day, +40 for women; month; 2-digit year)
and a serial number 0001-9999. A NIK whose region or date cannot exist is a typing mistake.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re

from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

# Kemendagri province codes (including the Papua provinces formed in 2022).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52",
    "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82", "91", "92", "93", "94",
    "95", "96",
})


class InvalidNik(ServiceError):
    code = "invalid_nik"


@dataclasses.dataclass(frozen=True)
class NikInfo:
    nik: str
    province_code: str
    regency_code: str  # "35.76"
    district_code: str  # "35.76.01"
    birth_date: dt.date
    sex: str  # "M" | "F"


def normalize(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw or "")


def parse(raw: str, *, today: dt.date | None = None) -> NikInfo:
    """Check a NIK's structure and read the region of issue, birth date and sex from it."""
    nik = normalize(raw)
    if not re.fullmatch(r"\d{16}", nik):
        raise InvalidNik(_("A NIK is exactly 16 digits."))
    prov, kab, kec = nik[0:2], nik[2:4], nik[4:6]
    if prov not in PROVINCE_CODES:
        raise InvalidNik(_("The NIK starts with %(code)s, which is not a province code.") % {"code": prov},
                         code="invalid_nik_region")
    if kab == "00" or kec == "00":
        raise InvalidNik(_("The NIK's region of issue (%(code)s) is not a kecamatan code.") % {"code": nik[:6]},
                         code="invalid_nik_region")
    regency = f"{prov}.{kab}"
    Region = apps.get_model("geo", "Region")
    # When the region table knows this province's kab/kota, the NIK's one must be among them.
    if Region.objects.filter(code__startswith=prov + ".", level=2).exists() and not Region.objects.filter(
            code=regency).exists():
        raise InvalidNik(_("The NIK's kab/kota code %(code)s does not exist.") % {"code": regency},
                         code="invalid_nik_region")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "M"
    if day > 40:
        day -= 40
        sex = "F"
    today = today or timezone.localdate()
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        birth = dt.date(year, month, day)
    except ValueError:
        raise InvalidNik(_("The NIK's birth-date digits (%(digits)s) are not a date.") % {"digits": nik[6:12]},
                         code="invalid_nik_date") from None
    if birth > today:
        birth = birth.replace(year=birth.year - 100)
    if nik[12:] == "0000":
        raise InvalidNik(_("The NIK's serial number cannot be 0000."))
    return NikInfo(nik, prov, regency, f"{regency}.{kec}", birth, sex)


def check_matches(info: NikInfo, birth_date: dt.date | None, sex: str | None) -> None:
    """Refuse a NIK whose encoded birth date or sex differs from what was typed for the person."""
    if birth_date is not None and info.birth_date != birth_date:
        raise InvalidNik(_("The NIK encodes the birth date %(nik_date)s, not %(typed)s.")
                         % {"nik_date": info.birth_date.isoformat(), "typed": birth_date.isoformat()},
                         code="nik_birth_date_mismatch")
    if sex and info.sex != sex:
        raise InvalidNik(_("The NIK's day digits say the holder is %(sex)s.")
                         % {"sex": _("female") if info.sex == "F" else _("male")}, code="nik_sex_mismatch")


def nik_hash(nik: str) -> str:
    """Keyed SHA-256 of the NIK: an index for equality look-up that a copied table alone cannot reverse."""
    key = hashlib.sha256(("siaga.blood.nik:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, normalize(nik).encode(), hashlib.sha256).hexdigest()


def mask(nik: str) -> str:
    """The NIK as lists show it: region code and serial hidden except the first 4 and last 4 digits."""
    nik = normalize(nik)
    if len(nik) != 16:
        return "*" * len(nik)
    return nik[:4] + "*" * 8 + nik[-4:]
