"""Login throttling and lockout, and the second factor (TOTP) for those who turned it on.

Failures are counted per username and per address in the database, so every server process sees
the same count. Rules (settings):

- SIAGA_LOGIN_MAX_FAILURES failures for one username inside SIAGA_LOGIN_WINDOW_MINUTES, with no
  success since, lock that username for SIAGA_LOGIN_LOCKOUT_MINUTES after the last failure;
- SIAGA_LOGIN_MAX_FAILURES_PER_IP failures from one address inside the window lock that address
  (a whole call center may share one address, so this limit is high).

While locked, the password is not even checked: the attempt is recorded as "locked" and refused
with the minutes left, in the user's language. A success clears the username's count.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math

import pyotp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import LoginAttempt, TotpDevice

TOTP_ISSUER = "Siaga"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_failures() -> int:
    return _setting("SIAGA_LOGIN_MAX_FAILURES", 5)


def max_failures_per_ip() -> int:
    return _setting("SIAGA_LOGIN_MAX_FAILURES_PER_IP", 50)


def window() -> dt.timedelta:
    return dt.timedelta(minutes=_setting("SIAGA_LOGIN_WINDOW_MINUTES", 15))


def lockout() -> dt.timedelta:
    return dt.timedelta(minutes=_setting("SIAGA_LOGIN_LOCKOUT_MINUTES", 15))


def client_ip(request) -> str | None:
    """The peer address as the server sees it (behind a proxy, uvicorn --proxy-headers sets it)."""
    return request.META.get("REMOTE_ADDR") or None


class Locked(Exception):
    def __init__(self, until: dt.datetime):
        self.until = until
        minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
        self.message = ngettext(
            "Too many failed attempts. Try again in %(n)d minute, or ask your administrator.",
            "Too many failed attempts. Try again in %(n)d minutes, or ask your administrator.", minutes) % {"n": minutes}
        super().__init__(self.message)


def _failures(qs, now: dt.datetime):
    return qs.filter(succeeded=False, at__gte=now - window()).exclude(reason="locked")


def locked_until(username: str, ip: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    now = now or timezone.now()
    username = (username or "").strip().lower()
    candidates = []
    by_user = LoginAttempt.objects.filter(username=username)
    last_success = by_user.filter(succeeded=True).order_by("-at").values_list("at", flat=True).first()
    user_failures = _failures(by_user, now)
    if last_success:
        user_failures = user_failures.filter(at__gt=last_success)
    if user_failures.count() >= max_failures():
        candidates.append(user_failures.order_by("-at").values_list("at", flat=True).first() + lockout())
    if ip:
        ip_failures = _failures(LoginAttempt.objects.filter(ip=ip), now)
        if ip_failures.count() >= max_failures_per_ip():
            candidates.append(ip_failures.order_by("-at").values_list("at", flat=True).first() + lockout())
    until = max(candidates) if candidates else None
    return until if until and until > now else None


def check(username: str, ip: str | None) -> None:
    """Raise Locked (and record the refused attempt) when this username or address is locked."""
    until = locked_until(username, ip)
    if until is not None:
        record(username, ip, succeeded=False, reason="locked")
        raise Locked(until)


def record(username: str, ip: str | None, *, succeeded: bool, reason: str = "") -> None:
    LoginAttempt.objects.create(username=(username or "").strip().lower()[:150], ip=ip, at=timezone.now(),
                                succeeded=succeeded, reason=reason)


# --- second factor --------------------------------------------------------------------------------


def has_second_factor(user) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def start_enrolment(user) -> TotpDevice:
    """A new secret for the user's authenticator app (replaces an unconfirmed one; a confirmed one stays)."""
    device = TotpDevice.objects.filter(user=user).first()
    if device and device.confirmed_at:
        return device
    if device is None:
        return TotpDevice.objects.create(user=user, secret=pyotp.random_base32())
    device.secret = pyotp.random_base32()
    device.save(update_fields=["secret"])
    return device


def provisioning_uri(device: TotpDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(name=device.user.get_username(), issuer_name=TOTP_ISSUER)


def _verify(device: TotpDevice, code: str) -> bool:
    """True for a current code (one step of clock drift either way) not used before; marks its step used."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(device.secret)
    step_now = int(timezone.now().timestamp()) // totp.interval
    for offset in (0, -1, 1):
        step = step_now + offset
        if step > device.last_step and hmac.compare_digest(totp.at(step * totp.interval), code):
            # Conditional update: two concurrent logins with the same code cannot both pass.
            return TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step) == 1
    return False


@transaction.atomic
def confirm_enrolment(user, code: str) -> bool:
    device = TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
    if device is None or not _verify(device, code):
        return False
    device.refresh_from_db(fields=["last_step"])
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return True


def verify_second_factor(user, code: str) -> bool:
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    return device is not None and _verify(device, code)


def remove_second_factor(user) -> None:
    TotpDevice.objects.filter(user=user).delete()
