"""Pages of the web shell: login, home, map, organisations, regions, audit trail, switchers, boundary GeoJSON."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.http import require_GET, require_POST

from siaga.core import audit, login_guard, services
from siaga.core.errors import error_body
from siaga.core.middleware import SESSION_MEMBERSHIP_KEY
from siaga.core.models import AuditLog, Membership
from siaga.core.pages import audit_rows, page, render_error

from siaga.geo.models import Level, Region

from .auth import ThrottledAuthenticationForm, begin_second_factor

from .context import get_actor, scope_label

# Set when someone picks a language before logging in, so that choice wins over the stored one at login.
SESSION_LANGUAGE_CHOSEN_KEY = "siaga_language_chosen"
PAGE_SIZE = 50
# A boundary response is capped so one request cannot ship a whole province of desa to a phone.
MAX_BOUNDARY_FEATURES = 1500
# 5 decimals of a degree is about 1 m: plenty for drawing, and it roughly halves the payload.
COORDINATE_DIGITS = 5
REGION_CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
INDONESIA_CENTER = (-2.5, 118.0)


# --- answers shared by every page ---------------------------------------------------------------
def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# --- the map ------------------------------------------------------------------------------------
def code_depth(code: str) -> int:
    """0 national, 1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan."""
    return code.count(".") + 1 if code else 0


def default_map_level(within: str) -> int:
    # A kab/kota (or smaller) is shown by its kelurahan; a province or the nation by its kab/kota.
    return Level.VILLAGE if code_depth(within) >= 2 else Level.REGENCY


def boundaries_url(within: str, level: int) -> str:
    return f"{reverse('web:map_boundaries')}?{urlencode({'within': within, 'level': level})}"


def map_options(within: str, level: int | None = None, outlines: bool = False) -> dict:
    """Options for the web/components/map.html include: the area's boundary layers and a fallback view."""
    level = level or default_map_level(within)
    layers = [boundaries_url(within, level)]
    if outlines and level == Level.VILLAGE and code_depth(within) < 3:
        # Kecamatan outlines over kelurahan help people find their way without a base map.
        layers.append(boundaries_url(within, Level.DISTRICT))
    center, zoom = INDONESIA_CENTER, 5
    if within:
        point = Region.objects.filter(code=within).values_list("lat", "lng").first()
        if point and point[0] is not None and point[1] is not None:
            center, zoom = point, 8 + 2 * min(code_depth(within), 3)
    return {"layers": layers, "center": f"{center[0]},{center[1]}", "zoom": zoom}


def _rounded(value):
    if isinstance(value, float):
        return round(value, COORDINATE_DIGITS)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


@require_GET
def map_boundaries(request):
    """GeoJSON FeatureCollection of the level-N regions inside `within` that have a boundary loaded."""
    if not request.user.is_authenticated:
        return JsonResponse(error_body("unauthenticated", _("Please log in first.")), status=401)
    actor = get_actor(request)
    if actor is None or not actor.has("map.view"):
        return JsonResponse(error_body("forbidden", _("You are not allowed to do this.")), status=403)
    within = request.GET.get("within", "").strip()
    try:
        level = int(request.GET.get("level", ""))
    except ValueError:
        level = 0
    if (within and not REGION_CODE_RE.match(within)) or level not in Level.values or level <= code_depth(within):
        return JsonResponse(
            error_body("invalid_input", _("Give a region code in 'within' and a deeper level (1-4) in 'level'.")),
            status=400,
        )
    qs = Region.objects.filter(level=level, boundary__isnull=False)
    if within:
        qs = qs.filter(code__startswith=within + ".")
    rows = list(
        qs.order_by("code").values_list("code", "name", "level", "boundary", "boundary_repaired")[
            : MAX_BOUNDARY_FEATURES + 1
        ]
    )
    truncated = len(rows) > MAX_BOUNDARY_FEATURES
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "name": name, "level": lvl, "repaired": repaired},
            "geometry": _rounded(boundary),
        }
        for code, name, lvl, boundary, repaired in rows[:MAX_BOUNDARY_FEATURES]
    ]
    # "truncated" is a foreign member: GeoJSON readers ignore it, the map shows a notice.
    body = {"type": "FeatureCollection", "features": features, "truncated": truncated}
    response = JsonResponse(body, content_type="application/geo+json", json_dumps_params={"separators": (",", ":")})
    # Boundaries change only on import; let a phone on a bad line reuse them for a while.
    patch_cache_control(response, private=True, max_age=600)
    return response


# --- login, language and membership -------------------------------------------------------------
def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form):
        user = form.get_user()
        if login_guard.has_second_factor(user):
            return begin_second_factor(self.request, user, self.get_redirect_url())
        login_guard.record(user.get_username(), login_guard.client_ip(self.request), succeeded=True)
        chosen = self.request.session.pop(SESSION_LANGUAGE_CHOSEN_KEY, None)
        response = super().form_valid(form)
        languages = dict(settings.LANGUAGES)
        if chosen in languages and chosen != user.preferred_language:
            # The language picked on the login page is the user's latest explicit choice: keep it.
            services.set_preferred_language(user, chosen)
            user.preferred_language = chosen
        if user.preferred_language in languages:
            _set_language_cookie(response, user.preferred_language)
        return response


@require_POST
def set_language(request):
    """Django's set_language (cookie and redirect), plus remembering the choice for the user's next login."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            services.set_preferred_language(request.user, language)
        else:
            request.session[SESSION_LANGUAGE_CHOSEN_KEY] = language
    return response


@login_required
@require_POST
def switch_membership(request):
    """Act through another of the user's own active memberships (stored in the session)."""
    try:
        membership_id = int(request.POST.get("membership_id", ""))
    except ValueError:
        membership_id = None
    membership = (
        Membership.objects.filter(pk=membership_id, user=request.user, active=True, organization__active=True)
        .select_related("organization")
        .first()
        if membership_id is not None
        else None
    )
    if membership is None:
        return render_error(request, 403, _("This membership is not yours or is no longer active."))
    request.session[SESSION_MEMBERSHIP_KEY] = membership.pk
    messages.success(
        request,
        _("You now act as %(role)s at %(organization)s.")
        % {"role": membership.get_role_display(), "organization": membership.organization.name},
    )
    return redirect(safe_next(request, reverse("web:home")))


# --- pages --------------------------------------------------------------------------------------
@page()
def home(request, actor):
    return render(request, "web/home.html", {"actor": actor, "map": map_options(actor.scope_code)})


@page("map.view")
def map_page(request, actor):
    within = request.GET.get("within", "").strip()
    if not REGION_CODE_RE.match(within):
        within = actor.scope_code
    levels = [(value, label) for value, label in Level.choices if value > code_depth(within)]
    try:
        level = int(request.GET.get("level", ""))
    except ValueError:
        level = 0
    if level not in {value for value, _label in levels}:
        level = default_map_level(within)
    return render(
        request,
        "web/map.html",
        {
            "within": within,
            "within_label": scope_label(within),
            "level": level,
            "levels": levels,
            "map": map_options(within, level, outlines=True),
        },
    )


def _with_region_names(items, attr: str = "region_code"):
    codes = {getattr(item, attr) for item in items if getattr(item, attr)}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for item in items:
        item.region_name = names.get(getattr(item, attr), "")
    return items


@page("organization.view")
def organization_list(request, actor):
    qs = services.visible_organizations(actor).order_by("name")
    q = request.GET.get("q", "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page_obj.object_list = _with_region_names(list(page_obj.object_list))
    return render(request, "web/organizations/list.html",
                  {"page_obj": page_obj, "q": q, "query": urlencode({"q": q}) if q else ""})


def _audit_rows(records):
    """Audit rows for display, each organisation record linked to its page."""
    for rec in audit_rows(records):
        if rec.model == "core.organization" and rec.object_id.isdigit():
            rec.link = reverse("web:organization", args=[int(rec.object_id)])
    return records


@page("organization.view")
def organization_detail(request, actor, org_id: int):
    org = services.get_organization(actor, org_id)
    _with_region_names([org])
    children = list(services.visible_organizations(actor).filter(parent=org).order_by("name")[:100])
    _with_region_names(children)
    parent_visible = org.parent_id is not None and actor.can_see(org.parent_id, org.parent.region_code)
    # The audit trail is for roles that may read it; others see the record without its history.
    records = _audit_rows(list(audit.history(org)[:PAGE_SIZE])) if actor.has("audit.view") else None
    return render(
        request,
        "web/organizations/detail.html",
        {"org": org, "children": children, "parent_visible": parent_visible, "records": records},
    )


@page("region.view")
def region_search(request, actor):
    return render(
        request,
        "web/regions.html",
        {
            "q": request.GET.get("q", "").strip()[:100],
            "scope_code": actor.scope_code,
            "scope_label": scope_label(actor.scope_code),
            "level_labels": {str(value): str(label) for value, label in Level.choices},
            "map": map_options(actor.scope_code),
        },
    )


@page("audit.view")
def audit_list(request, actor):
    qs = AuditLog.objects.select_related("actor", "organization")
    if not actor.is_platform_admin:
        qs = qs.filter(organization_id__in=actor.org_ids)
    model = request.GET.get("model", "").strip()[:100]
    if model:
        qs = qs.filter(model=model)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page_obj.object_list = _audit_rows(list(page_obj.object_list))
    return render(request, "web/audit.html",
                  {"page_obj": page_obj, "model": model, "query": urlencode({"model": model}) if model else ""})
