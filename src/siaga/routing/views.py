"""Pages: the coverage report of a region's network (planners) and road closures on a map (operators)."""

from __future__ import annotations

import json
from datetime import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaga.core.errors import NotFound, ServiceError
from siaga.geo.models import Region
from siaga.core.pages import page
from siaga.web.views import boundaries_url

from . import coverage, services
from .models import ClosureKind, RoadNetwork
from .query import ready_engine

MAX_CLOSURE_SHAPES = 200


def _networks():
    return list(RoadNetwork.objects.filter(active=True).order_by("region_code", "-pk"))


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        v = int(value)
    except (TypeError, ValueError):
        return default
    return v if lo <= v <= hi else default


@page("routing.view")
def coverage_page(request, actor):
    networks = _networks()
    net = None
    if networks:
        wanted = _int(request.GET.get("network"), 0, 0, 2**31)
        net = next((n for n in networks if n.pk == wanted), networks[0])
    priority = _int(request.GET.get("priority"), 1, 1, 4)
    k = _int(request.GET.get("k"), 0, 0, coverage.MAX_K)
    report, error = None, ""
    if net is not None:
        try:
            report = coverage.coverage(actor, network_id=net.pk, priority=priority, k=k)
        except ServiceError as exc:
            error = exc.message
    rows = []
    if report:
        rows = [{"priority": int(p), "minutes": report["targets_minutes"][p], "share": share * 100,
                 "uncovered": report["uncovered_by_priority"][p]} for p, share in report["shares"].items()]
    has_boundaries = bool(net) and Region.objects.filter(
        level=4, code__startswith=net.region_code + ".", boundary__isnull=False).exists()
    target_s = report["targets_minutes"][str(priority)] * 60 if report else 0
    map_data = {}
    if report:
        map_data = {"target_seconds": target_s,
                    "demand": report["demand"], "stations": report["stations"], "suggestions": report["suggestions"]}
    center = "-2.5,118.0"
    if net and len(net.bbox or []) == 4:
        b = net.bbox
        center = f"{(b[1] + b[3]) / 2},{(b[0] + b[2]) / 2}"
    return render(request, "routing/coverage.html", {
        "networks": networks, "network": net, "priority": priority, "k": k, "k_choices": range(coverage.MAX_K + 1),
        "priorities": (1, 2, 3, 4), "report": report, "rows": rows, "error": error,
        "map": {"layers": [], "center": center, "zoom": 12},
        "boundaries_url": boundaries_url(net.region_code, 4) if has_boundaries else "",
        "map_data": json.dumps(map_data, separators=(",", ":")),
    })


def _closure_shapes(closures) -> list[dict]:
    """What the map draws for each live closure: road lines ([lat, lng]) or the closed area (GeoJSON)."""
    out = []
    engines = {}
    for c in closures[:MAX_CLOSURE_SHAPES]:
        item = {"id": c.pk, "kind": c.kind, "reason": c.reason}
        if c.kind == ClosureKind.ARCS:
            eng = engines.get(c.network_id)
            if eng is None:
                eng = engines[c.network_id] = ready_engine(c.network)
            item["lines"] = [eng.snapper.arc_points(a, 0.0, 1.0) for a in c.arc_ids[:50] if 0 <= a < eng.m]
        elif c.kind == ClosureKind.AREA:
            item["area"] = c.area
        out.append(item)
    return out


def _parse_end(text: str):
    text = (text or "").strip()
    if not text:
        return None
    value = parse_datetime(text)
    if value is None:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ServiceError(_("The end time is not a valid date and time."), code="invalid_end") from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _create_from_form(actor, post) -> None:
    network_id = _int(post.get("network"), 0, 1, 2**31)
    net = RoadNetwork.objects.filter(pk=network_id, active=True).first()
    if net is None:
        raise ServiceError(_("Choose a road network."), code="network_required")
    mode = post.get("mode", "road")
    reason = post.get("reason", "")
    ends_at = _parse_end(post.get("ends_at", ""))
    if mode == "area":
        try:
            points = json.loads(post.get("area_points") or "[]")
            ring = [[float(lng), float(lat)] for lat, lng in points]
        except (ValueError, TypeError, RecursionError):
            ring = []
        if len(ring) < 3:
            raise ServiceError(_("Tap at least three points of the flooded area, then Finish."), code="area_required")
        ring.append(ring[0])
        services.create_closure(actor, network_id=net.pk, kind=ClosureKind.AREA, reason=reason,
                                area={"type": "Polygon", "coordinates": [ring]}, ends_at=ends_at)
        return
    try:
        lat, lng = float(post.get("lat", "")), float(post.get("lng", ""))
    except ValueError:
        raise ServiceError(_("Tap the road to close on the map."), code="point_required") from None
    snaps = ready_engine(net).snap(lat, lng)
    if not snaps:
        raise ServiceError(_("No open road near the point you tapped."), code="no_road")
    # Ties are both directions of a two-way street: close both.
    services.create_closure(actor, network_id=net.pk, kind=ClosureKind.ARCS, reason=reason,
                            arc_ids=[s.arc for s in snaps], ends_at=ends_at)


@page("routing.view")
def closures_page(request, actor):
    networks = _networks()
    can_manage = actor.has("routing.manage")
    form = {}
    if request.method == "POST":
        actor.require("routing.manage")
        form = request.POST
        try:
            _create_from_form(actor, request.POST)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The closure is in force for every following route."))
            return redirect(reverse("routing:closures"))
    closures = list(services.visible_closures(actor, active_only=True).select_related("network", "author"))
    center = "-2.5,118.0"
    if networks and len(networks[0].bbox or []) == 4:
        b = networks[0].bbox
        center = f"{(b[1] + b[3]) / 2},{(b[0] + b[2]) / 2}"
    return render(request, "routing/closures.html", {
        "networks": networks, "closures": closures, "can_manage": can_manage, "form": form,
        "shapes": json.dumps(_closure_shapes(closures), separators=(",", ":")),
        "map": {"layers": [], "center": center, "zoom": 13, "pick": True},
    }, status=400 if request.method == "POST" else 200)


@page("routing.manage")
@require_POST
def lift_closure(request, actor, closure_id: int):
    try:
        services.lift_closure(actor, closure_id)
    except NotFound:
        raise  # another organisation's closure: the 404 page, as for any record one may not see
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The closure was lifted."))
    return redirect(reverse("routing:closures"))
