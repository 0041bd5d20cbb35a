"""Login with throttling and lockout, the second-factor step, and the page where a user sets up their authenticator.

The admin's own login page redirects here, so there is one way in and every rule applies to it.
"""

from __future__ import annotations

import io

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from siaga.core import login_guard

PENDING_KEY = "siaga_2fa_pending"


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's form, refusing a locked username or address before the password is even checked."""

    def clean(self):
        username = self.data.get("username", "")
        ip = login_guard.client_ip(self.request)
        try:
            login_guard.check(username, ip)
        except login_guard.Locked as exc:
            raise forms.ValidationError(exc.message, code="locked") from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_guard.record(username, ip, succeeded=False, reason="password")
            raise
        return cleaned


def _safe_next(request, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return value
    return settings.LOGIN_REDIRECT_URL


def begin_second_factor(request, user, next_url: str):
    """The password was right and the user has an authenticator: ask for its code before logging in."""
    request.session[PENDING_KEY] = {"user_id": user.pk, "backend": user.backend, "next": next_url}
    return redirect("web:login_code")


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, label=_("Code from your authenticator app"),
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "autofocus": True}))


def login_code(request):
    """Second step of the login: the six-digit code, counted against the same lockout as passwords."""
    pending = request.session.get(PENDING_KEY)
    user = get_user_model().objects.filter(pk=(pending or {}).get("user_id"), is_active=True).first()
    if user is None:
        return redirect("web:login")
    form = CodeForm(request.POST or None)
    ip = login_guard.client_ip(request)
    if request.method == "POST" and form.is_valid():
        try:
            login_guard.check(user.get_username(), ip)
        except login_guard.Locked as exc:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, exc.message)
            return redirect("web:login")
        if login_guard.verify_second_factor(user, form.cleaned_data["code"]):
            request.session.pop(PENDING_KEY, None)
            login(request, user, backend=pending["backend"])
            login_guard.record(user.get_username(), ip, succeeded=True)
            return redirect(_safe_next(request, pending.get("next", "")))
        login_guard.record(user.get_username(), ip, succeeded=False, reason="totp")
        form.add_error("code", _("This code is wrong or already used. Type the code your app shows now."))
    return render(request, "web/login_code.html", {"form": form}, status=422 if form.errors else 200)


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True)
    return out.getvalue().decode()


@login_required
def second_factor(request):
    """Turn the authenticator on (scan, then confirm with a code) or off (with a current code)."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        code = request.POST.get("code", "")
        if action == "confirm":
            if login_guard.confirm_enrolment(user, code):
                messages.success(request, _("Your authenticator app is on: the login will ask for its code."))
            else:
                messages.error(request, _("This code is wrong or already used. Type the code your app shows now."))
        elif action == "remove":
            if login_guard.verify_second_factor(user, code):
                login_guard.remove_second_factor(user)
                messages.success(request, _("Your authenticator app is off."))
            else:
                messages.error(request, _("This code is wrong or already used. Type the code your app shows now."))
        return redirect("web:second_factor")
    if login_guard.has_second_factor(user):
        return render(request, "web/second_factor.html", {"enabled": True})
    device = login_guard.start_enrolment(user)
    uri = login_guard.provisioning_uri(device)
    return render(request, "web/second_factor.html", {"enabled": False, "secret": device.secret, "uri": uri,
                                                      "qr_svg": _qr_svg(uri)})
