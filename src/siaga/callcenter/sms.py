"""Gateway-agnostic SMS: every outbound text is stored (OutboundSms) and handed to the configured backend.

settings.SIAGA_SMS_BACKEND picks the backend:
  "database" (default) stores the message as "queued" for a gateway worker to pick up;
  "console"  also writes it to the log and marks it "sent" (development, demos);
  a dotted path to a class with send(message) -> gateway reference (raise to mark it failed).
Inbound texts arrive through the webhook in api_public.py and are handled in public.py.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

from .phones import normalize_phone

log = logging.getLogger("siaga.sms")

MAX_TEXT_LENGTH = 1000  # about six concatenated SMS segments


class DatabaseBackend:
    """Store only: a gateway integration reads queued messages from the table."""

    marks_sent = False

    def send(self, message) -> str:
        return ""


class ConsoleBackend:
    """Log the message and call it sent: for development machines with no gateway."""

    marks_sent = True

    def send(self, message) -> str:
        log.warning("SMS to %s (%s): %s", message.to_number, message.kind, message.text)
        return f"console-{message.pk}"


BACKENDS = {"database": DatabaseBackend, "console": ConsoleBackend}


def get_backend():
    name = getattr(settings, "SIAGA_SMS_BACKEND", "database") or "database"
    cls = BACKENDS.get(name) or import_string(name)
    return cls()


def send_sms(organization, to_number: str, text: str, *, kind: str):
    """Store an outbound SMS from organization to to_number and pass it to the backend; returns the OutboundSms.

    The row is written in the caller's transaction; the backend gets the message only after commit,
    so an action that is rolled back sends nothing.
    """
    from .models import OutboundSms

    number = normalize_phone(to_number, required=True)
    text = (text or "").strip()
    if not text:
        raise ServiceError(_("An SMS needs some text."), code="sms_empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise ServiceError(_("The SMS text is too long."), code="sms_too_long")
    message = OutboundSms.objects.create(organization=organization, to_number=number, text=text, kind=kind[:40],
                                         status=OutboundSms.Status.QUEUED, created_at=timezone.now())
    backend = get_backend()
    # A gateway must not send a text for an action that is then rolled back: hand it over after commit.
    transaction.on_commit(lambda: _hand_over(backend, message), robust=True)
    return message


def _hand_over(backend, message) -> None:
    from .models import OutboundSms

    try:
        ref = backend.send(message)
    except Exception as exc:  # the action that wanted the SMS has committed: record the fault on the message
        log.exception("SMS backend failed for message %s", message.pk)
        OutboundSms.objects.filter(pk=message.pk).update(status=OutboundSms.Status.FAILED, error=str(exc)[:300])
        message.status, message.error = OutboundSms.Status.FAILED, str(exc)[:300]
        return
    changes = {}
    if ref:
        changes["gateway_ref"] = str(ref)[:100]
    if getattr(backend, "marks_sent", False):
        changes.update(status=OutboundSms.Status.SENT, sent_at=timezone.now())
    if changes:
        OutboundSms.objects.filter(pk=message.pk).update(**changes)
        for field, value in changes.items():
            setattr(message, field, value)
