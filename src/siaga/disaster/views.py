"""Disaster response pages: warnings with their map, the dead-letter list, disaster events with their timeline,
and the public CAP XML and RSS feed of the alerts we publish."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from siaga.core.errors import ServiceError
from siaga.core.pages import page

from . import services
from .models import AffectedArea, DisasterType, FeedItemError, Phase

_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
PAGE_SIZE = 100


def zone_for(region_code: str) -> ZoneInfo:
    """WIB, WITA or WIT for a Kemendagri code ("" -> WIB): times are shown in the region's own zone."""
    province = (region_code or "")[:2]
    if province in _WITA:
        return ZoneInfo("Asia/Makassar")
    if province in _WIT:
        return ZoneInfo("Asia/Jayapura")
    return ZoneInfo("Asia/Jakarta")


def _local(value: dt.datetime | None, region_code: str):
    return timezone.localtime(value, zone_for(region_code)) if value else None


@require_GET
@page("disaster.view")
def warnings_page(request, actor):
    qs = services.visible_warnings(actor).order_by("-sent", "-id")
    source = request.GET.get("source", "")
    if source in ("bmkg_cap", "bmkg_quake", "own"):
        qs = qs.filter(source=source)
    warnings = list(qs[:PAGE_SIZE])
    counts = dict(AffectedArea.objects.filter(warning__in=warnings).values("warning_id")
                  .annotate(n=Count("id")).values_list("warning_id", "n")) if warnings else {}
    for w in warnings:
        w.sent_local = _local(w.sent, w.region_code)
        w.expires_local = _local(w.expires, w.region_code)
        w.affected_n = counts.get(w.pk, 0)
    return render(request, "disaster/warnings.html", {"warnings": warnings, "source": source,
                                                      "can_manage": actor.has("disaster.manage")})


@require_GET
@page("disaster.view")
def warning_page(request, actor, warning_id: int):
    w = services.get_warning(actor, warning_id)
    rows = list(w.affected_areas.order_by("-level", "-share", "region_code"))
    w.sent_local = _local(w.sent, w.region_code)
    w.effective_local = _local(w.effective, w.region_code)
    w.expires_local = _local(w.expires, w.region_code)
    return render(request, "disaster/warning.html", {
        "w": w, "kelurahan": [r for r in rows if r.level == 4], "kecamatan": [r for r in rows if r.level == 3],
        "kabkota": [r for r in rows if r.level == 2],
        "map_url": f"/api/disaster/warnings/{w.pk}/map",
    })


@page("disaster.manage")
def dead_letters_page(request, actor):
    if request.method == "POST":
        try:
            services.review_dead_letter(actor, int(request.POST.get("item_id", "0")), request.POST.get("note", ""))
        except (ServiceError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, _("Marked as reviewed."))
        return redirect(reverse("disaster:dead_letters"))
    show = request.GET.get("show", "open")
    qs = services.visible_dead_letters(actor)
    if show != "all":
        qs = qs.filter(reviewed=False)
    items = list(qs[:PAGE_SIZE])
    for item in items:
        item.received_local = _local(item.received_at, "")
        item.payload_head = item.payload[:2000]
    return render(request, "disaster/dead_letters.html", {"items": items, "show": show,
                                                          "reasons": FeedItemError.Reason})


@page("disaster.view")
def events_page(request, actor):
    if request.method == "POST":
        actor.require("disaster.manage")
        try:
            ev = services.create_event(
                actor, name=request.POST.get("name", ""), type_code=request.POST.get("type_code", ""),
                phase=request.POST.get("phase", Phase.WARNING),
                affected_region_codes=request.POST.get("region_codes", "").replace(",", " ").split(),
                description=request.POST.get("description", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The event is open."))
            return redirect(reverse("disaster:event", args=[ev.pk]))
    events = list(services.visible_events(actor).select_related("type", "organization").order_by("-started_at"))
    for ev in events:
        ev.started_local = _local(ev.started_at, ev.region_code)
    return render(request, "disaster/events.html", {
        "events": events, "types": DisasterType.objects.filter(active=True),
        "phases": [p for p in Phase if p != Phase.CLOSED], "can_manage": actor.has("disaster.manage"),
        "form": request.POST if request.method == "POST" else {}})


@page("disaster.view")
def event_page(request, actor, event_id: int):
    ev = services.get_event(actor, event_id)
    if request.method == "POST":
        actor.require("disaster.manage")
        try:
            if request.POST.get("action") == "phase":
                services.set_phase(actor, ev.pk, request.POST.get("phase", ""), request.POST.get("note", ""))
            else:
                services.add_timeline_note(actor, ev.pk, request.POST.get("text", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect(reverse("disaster:event", args=[ev.pk]))
    timeline = list(ev.timeline.select_related("organization", "author"))
    for t in timeline:
        t.at_local = _local(t.at, ev.region_code)
    is_lead = actor.is_platform_admin or ev.organization_id in actor.org_ids
    return render(request, "disaster/event.html", {
        "ev": ev, "timeline": timeline, "participants": list(ev.participants.all()),
        "warnings": list(ev.warnings.all()), "affected": list(ev.affected_areas.order_by("-level", "-share")[:200]),
        "phases": list(Phase), "can_note": actor.has("disaster.manage"),
        "can_steer": is_lead and actor.has("disaster.manage"), "started_local": _local(ev.started_at, ev.region_code)})


# --- public CAP (no login: alerts are meant to be read by anyone) --------------------------------------


@require_GET
def public_alert_xml(request, alert_id: int):
    w = services.published_alerts().filter(pk=alert_id).first()
    if w is None:
        raise Http404(_("No published alert with this number."))
    return HttpResponse(w.raw.encode("utf-8"), content_type="application/cap+xml; charset=utf-8")


@require_GET
def public_rss(request):
    base = request.build_absolute_uri("/").rstrip("/")
    body = services.rss_feed(services.published_alerts()[:50], base_url=base, title=_("Siaga alerts"))
    return HttpResponse(body, content_type="application/rss+xml; charset=utf-8")

