"""send_sms: every outbound text is stored; the backend gets it only after the action commits."""

import logging

import pytest
from django.db import transaction

from siaga.callcenter import sms
from siaga.callcenter.models import OutboundSms
from siaga.core.errors import ServiceError

from .public_helpers import make_call_center

pytestmark = pytest.mark.django_db

SENT: list = []


class RecordingBackend:
    marks_sent = True

    def send(self, message):
        SENT.append(message.pk)
        return f"gw-{message.pk}"


class BrokenBackend:
    def send(self, message):
        raise RuntimeError("gateway down")


@pytest.fixture
def center(regions):
    return make_call_center()


def test_the_default_backend_stores_the_message_queued(center, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        msg = sms.send_sms(center, "0812-3456-7890", "  Uji  ", kind="location_link")
    msg.refresh_from_db()
    assert (msg.to_number, msg.text, msg.kind, msg.status, msg.sent_at) == ("+6281234567890", "Uji", "location_link",
                                                                           "queued", None)
    assert msg.organization_id == center.pk and msg.created_at is not None


def test_the_console_backend_logs_and_marks_sent(center, settings, caplog, django_capture_on_commit_callbacks):
    settings.SIAGA_SMS_BACKEND = "console"
    with caplog.at_level(logging.WARNING, logger="siaga.sms"), django_capture_on_commit_callbacks(execute=True):
        msg = sms.send_sms(center, "081234567890", "Halo dari 112", kind="test")
    msg.refresh_from_db()
    assert msg.status == "sent" and msg.sent_at is not None and msg.gateway_ref == f"console-{msg.pk}"
    assert "Halo dari 112" in caplog.text


def test_a_dotted_path_backend(center, settings, django_capture_on_commit_callbacks):
    settings.SIAGA_SMS_BACKEND = f"{__name__}.RecordingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        msg = sms.send_sms(center, "081234567890", "Halo", kind="test")
    msg.refresh_from_db()
    assert msg.pk in SENT and msg.gateway_ref == f"gw-{msg.pk}" and msg.status == "sent"


def test_a_gateway_fault_is_recorded_on_the_message(center, settings, django_capture_on_commit_callbacks):
    settings.SIAGA_SMS_BACKEND = f"{__name__}.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        msg = sms.send_sms(center, "081234567890", "Halo", kind="test")
    msg.refresh_from_db()
    assert msg.status == "failed" and "gateway down" in msg.error


def test_nothing_reaches_the_gateway_when_the_action_rolls_back(center, settings, django_capture_on_commit_callbacks):
    settings.SIAGA_SMS_BACKEND = f"{__name__}.RecordingBackend"
    SENT.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                sms.send_sms(center, "081234567890", "Halo", kind="test")
                raise RuntimeError("the action failed")
    assert SENT == [] and not OutboundSms.objects.exists()


@pytest.mark.parametrize("number, text, code", [("12", "Halo", "invalid_phone"), ("", "Halo", "invalid_phone"),
                                                ("081234567890", "   ", "sms_empty"),
                                                ("081234567890", "x" * 1001, "sms_too_long")])
def test_bad_messages_are_refused(center, number, text, code):
    with pytest.raises(ServiceError) as exc:
        sms.send_sms(center, number, text, kind="test")
    assert exc.value.code == code and not OutboundSms.objects.exists()
