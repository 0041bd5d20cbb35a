"""Disaster response pages: warnings with their map, authoring our own CAP alerts (draft, second-person approval,
publish), the dead-letter list, disaster events with their timeline, and the public CAP XML and RSS feed.

The lists and detail pages follow the live stream (topic "disaster") through web/live_fragment.js: each view
answers ?fragment=1 with only the part of the page that changes."""

from __future__ import annotations

import datetime as dt

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
from siaga.core.ratelimit import public_limit
from siaga.core.permissions import PermissionDenied

from siaga.geo.zones import zone_for_region

from . import services
from .models import AffectedArea, DisasterType, FeedItemError, Phase, Warning, WarningSource

PAGE_SIZE = 100


zone_for = zone_for_region  # times are shown in the region's own zone


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
    context = {"warnings": warnings, "source": source, "can_manage": actor.has("disaster.manage")}
    if request.GET.get("fragment") == "1":
        return render(request, "disaster/_warning_list.html", context)
    return render(request, "disaster/warnings.html", context)


@require_GET
@page("disaster.view")
def warning_page(request, actor, warning_id: int):
    w = services.get_warning(actor, warning_id)
    rows = list(w.affected_areas.order_by("-level", "-share", "region_code"))
    w.sent_local = _local(w.sent, w.region_code)
    w.effective_local = _local(w.effective, w.region_code)
    w.expires_local = _local(w.expires, w.region_code)
    own = w.source == WarningSource.OWN
    is_author = own and w.author_id is not None and w.author_id == actor.user_id
    context = {
        "w": w, "kelurahan": [r for r in rows if r.level == 4], "kecamatan": [r for r in rows if r.level == 3],
        "kabkota": [r for r in rows if r.level == 2],
        "map_url": f"/api/disaster/warnings/{w.pk}/map",
        "own": own, "is_author": is_author,
        "can_approve": own and w.state == Warning.State.DRAFT and actor.has("disaster.manage") and not is_author,
        "can_publish": own and w.state == Warning.State.APPROVED and actor.has("disaster.manage"),
        # Before publishing, the regions the alert would hit are computed for the preview, not stored.
        "preview": _preview_regions(w) if own and w.state != Warning.State.PUBLISHED else [],
    }
    if request.GET.get("fragment") == "1":
        return render(request, "disaster/_warning_detail.html", context)
    return render(request, "disaster/warning.html", context)


def _preview_regions(w) -> list:
    from . import affected as aff

    if not w.geometry:
        return []
    hits = aff.affected_regions(aff.from_geojson(w.geometry))
    least = services.NOTIFY_MIN_SHARE
    return sorted((h for h in hits if h.share >= least or h.warning_share >= least),
                  key=lambda h: (-h.level, -h.share, h.code))[:100]


@page("disaster.manage")
def alert_action(request, actor, warning_id: int):
    """Approve (a second person) or publish one of our own alerts, from its page."""
    if request.method != "POST":
        return redirect(reverse("disaster:warning", args=[warning_id]))
    action = request.POST.get("action", "")
    try:
        if action == "approve":
            services.approve_alert(actor, warning_id)
            messages.success(request, _("The alert is approved. It can be published now."))
        elif action == "publish":
            services.publish_alert(actor, warning_id)
            messages.success(request, _("The alert is published as CAP and in the RSS feed."))
        else:
            messages.error(request, _("Unknown action."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
    return redirect(reverse("disaster:warning", args=[warning_id]))


# --- authoring our own CAP alerts ---------------------------------------------------------------------

CAP_CATEGORIES = ["Met", "Geo", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                  "CBRNE", "Other"]
CAP_URGENCY = ["Immediate", "Expected", "Future", "Past", "Unknown"]
CAP_SEVERITY = ["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
CAP_CERTAINTY = ["Observed", "Likely", "Possible", "Unlikely", "Unknown"]


class FormError(ServiceError):
    """A form value the page could not read (before any service is called)."""


def parse_polygons(text: str) -> list[list[list[float]]]:
    """Polygons pasted as CAP writes them: one per line, "lat,lon lat,lon ..." (the first point may be repeated
    at the end). A GeoJSON Polygon or MultiPolygon (lon, lat) is accepted as well."""
    import json

    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("{"):
        try:
            geo = json.loads(text)
            geo = geo.get("geometry", geo) if geo.get("type") == "Feature" else geo
            if geo["type"] not in ("Polygon", "MultiPolygon"):
                raise ValueError(geo["type"])
            polys = [geo["coordinates"]] if geo["type"] == "Polygon" else geo["coordinates"]
            return [[[float(lat), float(lon)] for lon, lat, *_ in poly[0]] for poly in polys]
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise FormError(_("The pasted GeoJSON is not a Polygon or MultiPolygon."), code="invalid_polygon")
    rings = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        ring = []
        for pair in line.replace(";", " ").split():
            try:
                lat, lon = (float(x) for x in pair.split(","))
            except ValueError:
                raise FormError(_("Line %(n)d: \"%(pair)s\" is not a lat,lon pair.") % {"n": n, "pair": pair[:40]},
                                code="invalid_polygon")
            ring.append([lat, lon])
        rings.append(ring)
    return rings


def _form_time(value: str, region_code: str):
    """A datetime-local field, read in the region's own zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FormError(_("%(v)s is not a date and time.") % {"v": value[:30]}, code="invalid_time")
    return naive.replace(tzinfo=zone_for(region_code)) if naive.tzinfo is None else naive


@page("disaster.manage")
def alert_new_page(request, actor):
    region = actor.scope_code or (actor.organization.region_code if actor.organization else "")
    form = request.POST if request.method == "POST" else {"category": "Met", "urgency": "Expected",
                                                          "severity": "Moderate", "certainty": "Likely",
                                                          "msg_type": "Alert", "status": "Actual"}
    if request.method == "POST":
        try:
            refs = [int(r) for r in request.POST.getlist("references") if r.isdigit()]
            w = services.author_alert(
                actor, event=request.POST.get("event", ""), category=request.POST.get("category", "Met"),
                urgency=request.POST.get("urgency", "Expected"), severity=request.POST.get("severity", "Moderate"),
                certainty=request.POST.get("certainty", "Likely"),
                headline_id=request.POST.get("headline_id", ""), headline_en=request.POST.get("headline_en", ""),
                description_id=request.POST.get("description_id", ""),
                description_en=request.POST.get("description_en", ""),
                instruction_id=request.POST.get("instruction_id", ""),
                instruction_en=request.POST.get("instruction_en", ""), area_desc=request.POST.get("area_desc", ""),
                polygons=parse_polygons(request.POST.get("polygons", "")),
                region_codes=sorted(set(request.POST.get("region_codes", "").replace(",", " ").split())),
                effective=_form_time(request.POST.get("effective", ""), region),
                expires=_form_time(request.POST.get("expires", ""), region),
                msg_type=request.POST.get("msg_type", "Alert"), references_ids=refs,
                status=request.POST.get("status", "Actual"))
        except ServiceError as exc:
            messages.error(request, exc.message)
        except PermissionDenied as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Draft saved. Check the preview; a second person approves it."))
            return redirect(reverse("disaster:warning", args=[w.pk]))
    published = services.published_alerts().filter(organization__in=actor.org_ids, superseded_by__isnull=True)[:50] \
        if not actor.is_platform_admin else services.published_alerts()[:50]
    return render(request, "disaster/alert_new.html", {
        "form": form, "categories": CAP_CATEGORIES, "urgencies": CAP_URGENCY, "severities": CAP_SEVERITY,
        "certainties": CAP_CERTAINTY, "published": list(published),
        "chosen_refs": request.POST.getlist("references") if request.method == "POST" else [],
        "zone": zone_for(region).key, "can_manage": True}, status=422 if request.method == "POST" else 200)


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
    context = {"items": items, "show": show, "reasons": FeedItemError.Reason}
    if request.GET.get("fragment") == "1":
        return render(request, "disaster/_dead_letter_list.html", context)
    return render(request, "disaster/dead_letters.html", context)


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
    context = {"events": events, "types": DisasterType.objects.filter(active=True),
               "phases": [p for p in Phase if p != Phase.CLOSED], "can_manage": actor.has("disaster.manage"),
               "form": request.POST if request.method == "POST" else {}}
    if request.GET.get("fragment") == "1":
        return render(request, "disaster/_event_list.html", context)
    return render(request, "disaster/events.html", context)


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
    context = {
        "ev": ev, "timeline": timeline, "participants": list(ev.participants.all()),
        "warnings": list(ev.warnings.all()), "affected": list(ev.affected_areas.order_by("-level", "-share")[:200]),
        "phases": list(Phase), "can_note": actor.has("disaster.manage"),
        "can_steer": is_lead and actor.has("disaster.manage"), "started_local": _local(ev.started_at, ev.region_code)}
    if request.GET.get("fragment") == "1":
        return render(request, "disaster/_event_detail.html", context)
    return render(request, "disaster/event.html", context)


# --- public CAP (no login: alerts are meant to be read by anyone) --------------------------------------


@require_GET
@public_limit("cap_feed")
def public_alert_xml(request, alert_id: int):
    w = services.published_alerts().filter(pk=alert_id).first()
    if w is None:
        raise Http404(_("No published alert with this number."))
    return HttpResponse(w.raw.encode("utf-8"), content_type="application/cap+xml; charset=utf-8")


@require_GET
@public_limit("cap_feed")
def public_rss(request):
    base = request.build_absolute_uri("/").rstrip("/")
    body = services.rss_feed(services.published_alerts()[:50], base_url=base, title=_("Siaga alerts"))
    return HttpResponse(body, content_type="application/rss+xml; charset=utf-8")

