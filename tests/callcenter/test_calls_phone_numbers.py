"""Caller numbers are stored in E.164; anything that is not a phone number is refused clearly."""

import pytest
from django.utils import translation

from siaga.callcenter import services
from siaga.callcenter.models import Call
from siaga.callcenter.phones import display_phone, normalize_phone
from siaga.core.errors import ServiceError
from siaga.core.models import AuditLog

from .conftest import post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", ["081234567890", "0812-3456-7890", "0812 3456 7890", "+6281234567890",
                                 "+62 812-3456-7890", "6281234567890", " 081234567890 "])
def test_indonesian_mobile_numbers_in_every_common_form_become_e164(raw):
    assert normalize_phone(raw) == "+6281234567890"


def test_fixed_lines_and_foreign_numbers_are_valid_too():
    assert normalize_phone("(0321) 321123") == "+62321321123"
    assert normalize_phone("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize("raw", ["12345", "08123", "abc", "+62 000", "0812345678901234567"])
def test_invalid_numbers_are_refused_with_a_clear_code(raw):
    with translation.override("en"), pytest.raises(ServiceError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "invalid_phone"
    assert "valid phone number" in exc.value.message


def test_empty_is_allowed_unless_required():
    assert normalize_phone("") == ""
    with pytest.raises(ServiceError):
        normalize_phone("", required=True)


def test_display_form_is_national():
    assert display_phone("+6281234567890") == "0812-3456-7890"


def test_start_call_refuses_an_invalid_number_and_writes_nothing(cc):
    with pytest.raises(ServiceError) as exc:
        services.start_call(cc.actor(), channel="phone", caller_number="12345")
    assert exc.value.code == "invalid_phone"
    assert not Call.objects.exists()
    assert not AuditLog.objects.filter(model="callcenter.call").exists()


def test_api_refuses_an_invalid_number_with_the_error_shape(cc):
    r = post(cc.client(), "/api/callcenter/calls", {"channel": "phone", "caller_number": "12345"},
             HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_phone"
    assert not Call.objects.exists()
