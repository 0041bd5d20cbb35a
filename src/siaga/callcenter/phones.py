"""Caller numbers in E.164: every number the call center stores or compares goes through normalize_phone()."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

DEFAULT_REGION = "ID"


def normalize_phone(raw: str | None, *, required: bool = False) -> str:
    """"0812-3456-7890", "+62 812 3456 7890" and "6281234567890" all become "+6281234567890".

    An empty value stays "" (a caller without caller ID) unless required; anything that is not a
    valid number (Indonesian or foreign, mobile or fixed line) raises ServiceError("invalid_phone").
    """
    text = (raw or "").strip()
    if not text:
        if required:
            raise ServiceError(_("A phone number is required."), code="invalid_phone")
        return ""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ServiceError(
            _("%(number)s is not a valid phone number. Type it as 0812xxxxxxx or +62812xxxxxxx.") % {"number": text[:40]},
            code="invalid_phone", details={"caller_number": text[:40]},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """The national way of writing a stored number ("0812-3456-7890"), for screens and SMS."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    fmt = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 62 else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, fmt)
