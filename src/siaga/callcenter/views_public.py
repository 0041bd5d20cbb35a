"""Citizens' pages under /lapor/: the "Minta Bantuan" report form, the tracking page and the location-link page.

No login. The report form is CSRF-protected, carries a honeypot field and a signed timestamp (a form
sent back faster than a person can fill it is refused), and a signed report key so a double tap or a
browser resend answers with the same report instead of creating a second one.
"""

from __future__ import annotations

import secrets

from django import forms
from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from siaga.core.errors import NotFound, ServiceError
from siaga.core.ratelimit import public_limit

from . import public, ratelimit
from .location import zone_for_region
from .models import Channel

FORM_SALT = "siaga.lapor.form"
# Field a person never sees nor fills (hidden by CSS, skipped by keyboard and screen readers).
HONEYPOT = "website"
# Which form field a service refusal belongs to, so the message appears next to it.
ERROR_FIELDS = {
    "invalid_phone": "phone",
    "unknown_type": "type_code",
    "description_too_long": "description",
    "photo_too_large": "photo",
    "photo_type": "photo",
    "location_required": "place",
    "place_unknown": "place",
    "place_ambiguous": "place",
    "outside_indonesia": "place",
    "invalid_position": "place",
}


def min_fill_seconds() -> float:
    return float(getattr(settings, "SIAGA_REPORT_MIN_FILL_SECONDS", 3))


def form_max_age() -> int:
    return int(getattr(settings, "SIAGA_REPORT_FORM_MAX_AGE", 2 * 3600))


def new_form_token() -> str:
    """Signed: when the form was served, and the report key its submissions share."""
    return signing.dumps({"t": timezone.now().timestamp(), "k": secrets.token_urlsafe(18)}, salt=FORM_SALT)


class ReportForm(forms.Form):
    type_code = forms.ChoiceField(label=gettext_lazy("What happened?"), widget=forms.RadioSelect)
    description = forms.CharField(label=gettext_lazy("Short description"), required=False,
                                  max_length=public.MAX_DESCRIPTION, widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=gettext_lazy("Photo (optional)"), required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)
    place = forms.CharField(label=gettext_lazy("Kelurahan or landmark"), required=False, max_length=public.MAX_PLACE)
    phone = forms.CharField(label=gettext_lazy("Your phone number"), max_length=40)
    website = forms.CharField(required=False)
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_code"].choices = [(t.code, t.name) for t in types]


def _render_form(request, form, *, status=200, message="", token=None):
    types = public.public_types()
    response = render(request, "callcenter/public/report.html", {
        "form": form,
        "types": types,
        "selected_type": form["type_code"].value() if form.is_bound else "",
        "form_token": token or new_form_token(),
        "message": message,
        "honeypot": HONEYPOT,
    }, status=status)
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def report(request):
    types = public.public_types()
    if request.method == "GET":
        return _render_form(request, ReportForm(types=types))
    form = ReportForm(request.POST, request.FILES, types=types)
    if request.POST.get(HONEYPOT):
        # Only a robot fills a field nobody can see; tell it nothing useful and write nothing.
        return _render_form(request, ReportForm(types=types), status=400,
                            message=_("Your report could not be sent. Please try again."))
    try:
        signed = signing.loads(request.POST.get("form_token", ""), salt=FORM_SALT)
        started, key = float(signed["t"]), str(signed["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        started, key = None, ""
    # Ages are measured on the system clock the token was stamped with (timezone.now()).
    elapsed = timezone.now().timestamp() - started if started is not None else None
    if elapsed is None or elapsed > form_max_age():
        return _render_form(request, form, status=400,
                            message=_("The form has expired. Please check your report and send it again."))
    if elapsed < min_fill_seconds():
        return _render_form(request, form, status=400, token=request.POST.get("form_token"),
                            message=_("That was very fast. Please check your report and send it again."))
    if not form.is_valid():
        return _render_form(request, form, status=400, token=request.POST.get("form_token"),
                            message=_("Please correct the marked fields."))
    data = form.cleaned_data
    try:
        result = public.submit_report(
            channel=Channel.WEB, type_code=data["type_code"], phone=data["phone"], description=data["description"],
            lat=data["lat"], lng=data["lng"], accuracy_m=data["accuracy"], place=data["place"],
            photo=data["photo"], idempotency_key=f"web-{key}", client_ip=ratelimit.client_ip(request),
            allowed_types={t.code for t in types},
        )
    except ratelimit.RateLimited as exc:
        response = _render_form(request, form, status=429, token=request.POST.get("form_token"), message=exc.message)
        response["Retry-After"] = str(exc.retry_after)
        return response
    except ServiceError as exc:
        field = ERROR_FIELDS.get(exc.code)
        if field:
            form.add_error(field, exc.message)
        return _render_form(request, form, status=exc.status if exc.status < 500 else 503,
                            token=request.POST.get("form_token"), message=exc.message)
    return redirect("lapor:status", token=result.tracking_token)


@public_limit("report_status")
def status(request, token: str):
    try:
        info = public.tracking_status(token)
    except NotFound:
        raise Http404 from None
    zone = zone_for_region(info["region_code"])
    response = render(request, "callcenter/public/status.html", {
        "info": info,
        "steps": [
            {"key": key, "label": label, "done": i < info["step"], "current": i + 1 == info["step"]}
            for i, (key, label) in enumerate([
                ("received", _("Received")), ("handled", _("Being handled")),
                ("on_the_way", _("Help is on the way")), ("closed", _("Finished")),
            ])
        ],
        "reported_at": timezone.localtime(info["reported_at"], zone),
        "updated_at": timezone.localtime(info["updated_at"], zone),
        "zone_name": {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}.get(str(zone), ""),
        "token": token,
    })
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def location(request, token: str):
    try:
        public.open_link(token)
    except NotFound:
        raise Http404 from None
    except public.LinkGone as exc:
        response = render(request, "callcenter/public/location.html", {"gone": exc.message, "token": token},
                          status=410)
        add_never_cache_headers(response)
        return response
    response = render(request, "callcenter/public/location.html", {"token": token})
    add_never_cache_headers(response)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
