"""Blood service pages: stock dashboard, donor registry and detail, donation with label and screening, sessions,
the public stock board and the donors' self-service page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from siaga.core import privacy
from siaga.core.errors import NotFound, ServiceError
from siaga.core.pages import page

from . import isbt, public, services
from .models import (
    ComponentType,
    Deferral,
    Donation,
    DonationSession,
    DiscardReason,
    ScreeningResult,
    Site,
)

GROUP_LABELS = [services.group_label(a, r) for a, r in services.GROUPS]


# --- small helpers ------------------------------------------------------------------------------


def _dec(value):
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ServiceError(_("%(value)s is not a number.") % {"value": value[:20]}, code="invalid_number") from None


def _int(value):
    d = _dec(value)
    return int(d) if d is not None else None


def _date(value):
    d = parse_date((value or "").strip()) if value else None
    if value and d is None:
        raise ServiceError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value[:20]}, code="invalid_date")
    return d


def _datetime(value):
    value = (value or "").strip()
    if not value:
        return None
    d = parse_datetime(value)
    if d is None:
        raise ServiceError(_("%(value)s is not a date and time.") % {"value": value[:20]}, code="invalid_datetime")
    return timezone.make_aware(d) if timezone.is_naive(d) else d


def _stock_grid(site: Site) -> dict:
    """The dashboard rows of one site arranged as component type x 8 groups."""
    rows = services.stock_table(site)
    by = {(r["component_type"], r["group"]): r for r in rows}
    grid = []
    for ctype in ComponentType.objects.filter(active=True):
        cells = [by.get((ctype.code, g)) for g in GROUP_LABELS]
        if any(cells):
            grid.append({"type": ctype, "cells": [c or {"group": g, "available": 0, "level": ""}
                                                  for c, g in zip(cells, GROUP_LABELS)]})
    return {"site": site, "grid": grid}


# --- staff pages --------------------------------------------------------------------------------


@page("blood.view")
def dashboard(request, actor):
    sites = list(services.visible_sites(actor).filter(active=True).order_by("kind", "name"))
    context = {"sites": [_stock_grid(s) for s in sites], "groups": GROUP_LABELS,
               "alerts": _alerts(actor), "can_manage": actor.has("blood.manage")}
    return render(request, "blood/dashboard.html", context)


@page("blood.view")
def dashboard_fragment(request, actor):
    sites = list(services.visible_sites(actor).filter(active=True).order_by("kind", "name"))
    return render(request, "blood/_stock_grids.html", {"sites": [_stock_grid(s) for s in sites],
                                                       "groups": GROUP_LABELS, "alerts": _alerts(actor)})


def _alerts(actor):
    """Open alerts; a shortage alert carries what Siaga did about it: the open transfer suggestions that bring
    units of its group to its site, and the recall it proposed (both read now, so a dismissed suggestion or a
    sent recall shows as such)."""
    from . import services_issue as si
    from .models import RecallCampaign, StockAlert

    alerts = list(actor.scope_queryset(StockAlert.objects.filter(cleared_at__isnull=True))
                  .select_related("site", "component_type")[:50])
    shortages = [a for a in alerts if a.kind == StockAlert.Kind.SHORTAGE]
    if not shortages:
        return alerts
    suggestions = {}
    for sug in (si.visible_suggestions(actor).filter(status="open", to_site_id__in={a.site_id for a in shortages})
                .values("to_site_id", "component_type_id", "abo", "rhd", "quantity")):
        key = (sug["to_site_id"], sug["component_type_id"], sug["abo"], sug["rhd"])
        n, units = suggestions.get(key, (0, 0))
        suggestions[key] = (n + 1, units + sug["quantity"])
    recalls = {c.alert_id: c for c in si.visible_recalls(actor).filter(alert_id__in=[a.pk for a in shortages])
               .exclude(status=RecallCampaign.Status.WITHDRAWN).order_by("created_at")}
    for a in shortages:
        a.suggestions, a.suggested_units = suggestions.get((a.site_id, a.component_type_id, a.abo, a.rhd), (0, 0))
        a.responded = "response" in (a.details or {})
        a.recall = recalls.get(a.pk)
    return alerts


@page("blood.view")
def donors(request, actor):
    if request.method == "POST":
        try:
            donor = services.register_donor(
                actor, nik=request.POST.get("nik", ""), name=request.POST.get("name", ""),
                sex=request.POST.get("sex", ""), birth_date=_date(request.POST.get("birth_date")),
                phone=request.POST.get("phone", ""), address=request.POST.get("address", ""),
                home_region_code=request.POST.get("home_region_code", ""), abo=request.POST.get("abo", ""),
                rhd=request.POST.get("rhd", ""), donor_type=request.POST.get("donor_type", "voluntary"),
                site_id=_int(request.POST.get("site_id")),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
            if exc.code == "duplicate_donor" and exc.details:
                return redirect("blood:donor", donor_id=exc.details["donor_id"])
        else:
            messages.success(request, _("Donor %(number)s registered.") % {"number": donor.number})
            return redirect("blood:donor", donor_id=donor.pk)
    q = request.GET.get("q", "").strip()[:100]
    qs = services.visible_donors(actor)
    if q:
        from . import nik as nik_mod

        cond = Q(name__icontains=q) | Q(number__iexact=q)
        if len(nik_mod.normalize(q)) == 16:
            cond |= Q(nik_hash=nik_mod.nik_hash(q))
        qs = qs.filter(cond)
    group = request.GET.get("group", "")
    if group in GROUP_LABELS:
        qs = qs.filter(abo=group[:-1], rhd="pos" if group.endswith("+") else "neg")
    total = qs.count()
    return render(request, "blood/donors.html", {
        "donors": qs.order_by("name", "pk")[:200], "total": total, "q": q, "group": group, "groups": GROUP_LABELS,
        "can_manage": actor.has("blood.manage"),
        "sites": services.visible_sites(actor).filter(kind=Site.Kind.UDD, active=True),
    })


@page("blood.view")
def donor_detail(request, actor, donor_id: int):
    donor = services.get_donor(actor, donor_id)
    if request.method == "GET":
        privacy.log_view(actor, donor, via=request.path)
    if request.method == "POST":
        if not actor.has("blood.manage"):
            actor.require("blood.manage")
        action = request.POST.get("action")
        try:
            if action == "defer":
                services.defer_donor(actor, donor.pk, kind=request.POST.get("kind", ""),
                                     reason_code=request.POST.get("reason_code", "manual"),
                                     reason=request.POST.get("reason", ""), ends_on=_date(request.POST.get("ends_on")))
                messages.success(request, _("Deferral recorded."))
            elif action == "lift":
                services.lift_deferral(actor, _int(request.POST.get("deferral_id")),
                                       reason=request.POST.get("reason", ""))
                messages.success(request, _("Deferral lifted."))
            elif action == "visit":
                visit = services.record_visit(
                    actor, donor.pk, procedure=request.POST.get("procedure", "whole_blood"),
                    bag_volume_ml=_int(request.POST.get("bag_volume_ml")) or 350,
                    session_id=_int(request.POST.get("session_id")),
                    weight_kg=_dec(request.POST.get("weight_kg")), hb_g_dl=_dec(request.POST.get("hb_g_dl")),
                    systolic_mmhg=_int(request.POST.get("systolic_mmhg")),
                    diastolic_mmhg=_int(request.POST.get("diastolic_mmhg")),
                    pulse_bpm=_int(request.POST.get("pulse_bpm")),
                    pulse_regular=request.POST.get("pulse_regular", "1") == "1",
                    temperature_c=_dec(request.POST.get("temperature_c")),
                    platelet_count_k=_int(request.POST.get("platelet_count_k")),
                )
                if visit.eligible:
                    messages.success(request, _("Eligible: record the donation below."))
                else:
                    messages.error(request, _("Not eligible: %(reasons)s")
                                   % {"reasons": "; ".join(r["reason"] for r in visit.refusals)})
            elif action == "donate":
                donation = services.record_donation(
                    actor, visit_id=_int(request.POST.get("visit_id")), bag_type=request.POST.get("bag_type", ""),
                    volume_ml=_int(request.POST.get("volume_ml")) or 0,
                    anticoagulant=request.POST.get("anticoagulant", "CPDA-1"))
                messages.success(request, _("Donation %(din)s recorded.") % {"din": donation.din_display})
                return redirect("blood:donation", donation_id=donation.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("blood:donor", donor_id=donor.pk)
    visits = list(donor.visits.order_by("-at")[:10])
    open_visit = next((v for v in visits if v.eligible and not Donation.objects.filter(visit=v).exists()
                       and timezone.now() - v.at < dt.timedelta(hours=12)), None)
    return render(request, "blood/donor_detail.html", {
        "donor": donor, "can_manage": actor.has("blood.manage"),
        "donations": donor.donations.order_by("-collected_at")[:50],
        "deferrals": donor.deferrals.all(), "visits": visits, "open_visit": open_visit,
        "sessions": services.visible_sessions(actor).filter(
            status__in=[DonationSession.Status.PLANNED, DonationSession.Status.OPEN],
            ends_at__gte=timezone.now()).order_by("starts_at")[:20],
        "self_service_url": request.build_absolute_uri(
            reverse("blood:self_service", args=[services.self_service_token(donor)])),
        "bag_types": Donation.BagType.choices, "deferral_kinds": Deferral.Kind.choices,
    })


@page("blood.view")
def donation_detail(request, actor, donation_id: int):
    donation = services.get_donation(actor, donation_id)
    if request.method == "POST":
        actor.require("blood.manage")
        action = request.POST.get("action")
        try:
            if action == "result":
                services.record_screening_result(actor, donation.pk, marker=request.POST.get("marker", ""),
                                                 result=request.POST.get("result", ""),
                                                 abo=request.POST.get("abo", ""), rhd=request.POST.get("rhd", ""),
                                                 method=request.POST.get("method", ""))
                messages.success(request, _("Result recorded."))
            elif action == "separate":
                specs = [{"type": code} for code in request.POST.getlist("components")]
                services.separate_components(actor, donation.pk, components=specs)
                messages.success(request, _("Components prepared."))
            elif action == "reaction":
                services.record_adverse_reaction(actor, donation.pk, severity=request.POST.get("severity", ""),
                                                 notes=request.POST.get("notes", ""))
                messages.success(request, _("Reaction recorded."))
            elif action == "discard":
                services.discard_component(actor, _int(request.POST.get("component_id")),
                                           reason=request.POST.get("reason", ""), notes=request.POST.get("notes", ""))
                messages.success(request, _("Unit discarded."))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("blood:donation", donation_id=donation.pk)
    results = {r.marker: r for r in donation.results.all()}
    markers = [(m.value, m.label, results.get(m.value)) for m in ScreeningResult.Marker]
    trace = services.trace_donation(actor, donation.pk)
    return render(request, "blood/donation_detail.html", {
        "donation": donation, "markers": markers, "trace": trace, "can_manage": actor.has("blood.manage"),
        "hint": donation.production_hint or [], "component_types": ComponentType.objects.filter(
            active=True, derived_from__isnull=True), "discard_reasons": DiscardReason.choices,
        "reactions": Donation.Reaction.choices,
    })


@page("blood.view")
def donation_label(request, actor, donation_id: int):
    donation = services.get_donation(actor, donation_id)
    din = isbt.parse(donation.din)
    din = isbt.Din(din.fin, din.year, din.sequence, donation.din_flags)
    return render(request, "blood/label.html", {"donation": donation, "din": din,
                                                "barcode": isbt.barcode_svg(din)})


@page("blood.view")
def screening_queue(request, actor):
    qs = (services.visible_donations(actor).filter(status=Donation.Status.QUARANTINE)
          .annotate(n_results=Count("results")).order_by("collected_at")[:200])
    q = request.GET.get("din", "").strip()
    if q:
        try:
            d = services.find_donation(actor, q)
            return redirect("blood:donation", donation_id=d.pk)
        except (ServiceError, NotFound) as exc:
            messages.error(request, exc.message)
    return render(request, "blood/screening.html", {"donations": qs, "din": q, "markers_total": 5})


@page("blood.view")
def sessions(request, actor):
    if request.method == "POST":
        actor.require("blood.manage")
        try:
            services.create_session(
                actor, site_id=_int(request.POST.get("site_id")), kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""), starts_at=_datetime(request.POST.get("starts_at")),
                ends_at=_datetime(request.POST.get("ends_at")), location=request.POST.get("location", ""),
                organiser=request.POST.get("organiser", ""), target_donors=_int(request.POST.get("target_donors")) or 0)
            messages.success(request, _("Session planned."))
        except (ServiceError, TypeError) as exc:
            messages.error(request, getattr(exc, "message", _("Give a start and an end time.")))
        return redirect("blood:sessions")
    return render(request, "blood/sessions.html", {
        "sessions": services.visible_sessions(actor).annotate(n=Count("donations")).order_by("-starts_at")[:100],
        "can_manage": actor.has("blood.manage"),
        "sites": services.visible_sites(actor).filter(kind=Site.Kind.UDD, active=True),
        "kinds": DonationSession.Kind.choices,
    })


# --- public pages -------------------------------------------------------------------------------


@require_GET
def public_board(request):
    """/darah/stok/: availability by group for citizens and hospitals, live; no login and nothing personal."""
    try:
        public.check_rate(request)
    except ServiceError as exc:
        return render(request, "429.html" if _template_exists("429.html") else "blood/public_board.html",
                      {"error": exc.message, "board": {"sites": [], "totals": {}}, "groups": GROUP_LABELS},
                      status=429)
    # Not publicly cacheable: the page carries the language form's CSRF token.
    return render(request, "blood/public_board.html", {"board": public.board(), "groups": GROUP_LABELS})


def _template_exists(name: str) -> bool:
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template(name)
        return True
    except TemplateDoesNotExist:
        return False


@require_GET
def public_board_data(request):
    """The board as JSON (for clients that poll instead of following the stream)."""
    try:
        public.check_rate(request)
    except ServiceError as exc:
        from siaga.core.errors import error_body

        return JsonResponse(error_body(exc.code, exc.message, exc.details), status=429)
    response = JsonResponse(public.board())
    patch_cache_control(response, public=True, max_age=int(public.cache_seconds()))
    return response


@require_http_methods(["GET", "POST"])
def self_service_login(request):
    """/darah/donor-saya/: a donor types NIK and birth date and is sent to their signed page."""
    error, status = "", 200
    if request.method == "POST":
        try:
            public.check_rate(request, bucket="donor-login", limit=public.login_rate_limit())
            birth = _date(request.POST.get("birth_date"))
            if birth is None:
                raise ServiceError(_("Give your birth date."), code="birth_date_required")
            donor = services.donor_by_nik_and_birth_date(request.POST.get("nik", ""), birth)
        except (ServiceError, ValidationError) as exc:
            error = getattr(exc, "message", str(exc))
            status = 429 if getattr(exc, "code", "") == "rate_limited" else 400
        else:
            return redirect("blood:self_service", token=services.self_service_token(donor))
    response = render(request, "blood/self_service_login.html", {"error": error,
                                                                 "sessions": services.public_sessions()[:30]},
                      status=status)
    add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def self_service(request, token: str):
    """A donor's own page: next eligible date, history, upcoming drives, and booking one."""
    try:
        donor = services.donor_from_token(token)
    except NotFound as exc:
        response = render(request, "blood/self_service_login.html", {"error": exc.message,
                                                                     "sessions": services.public_sessions()[:30]},
                          status=404)
        add_never_cache_headers(response)
        return response
    if request.method == "POST":
        try:
            services.book_appointment(donor, _int(request.POST.get("session_id")) or 0)
            messages.success(request, _("Booked. Thank you, see you there!"))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("blood:self_service", token=token)
    from . import eligibility

    response = render(request, "blood/self_service.html", {
        "donor": donor, "next_date": eligibility.next_eligible_date(donor),
        "donations": donor.donations.order_by("-collected_at")[:50],
        "appointments": donor.appointments.filter(scheduled_at__gte=timezone.now()).select_related("session"),
        "sessions": services.public_sessions().filter(organization_id=donor.organization_id)[:30],
    })
    add_never_cache_headers(response)
    patch_cache_control(response, private=True, no_store=True)
    return response

