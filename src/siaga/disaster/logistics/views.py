"""Logistics pages (/bencana/logistik/...): stock by warehouse, item and expiry; minimum and expiry alerts;
shipments with their receive form (the shipment's status follows the live stream); distributions; warehouses; an
event's needs against stock."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.core.permissions import PermissionDenied
from siaga.disaster import services as disaster_services
from siaga.disaster.needs import DEFAULT_PROFILE, MAX_DAYS, PROFILES
from siaga.disaster.views import zone_for

from . import services
from .models import Item, Shipment

PAGE_SIZE = 200


def _local(value, region_code: str):
    return timezone.localtime(value, zone_for(region_code)) if value else None


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise ServiceError(_("Dates are written YYYY-MM-DD."), code="invalid_date")


def _fail(request, exc):
    messages.error(request, getattr(exc, "message", str(exc)))


def _context(actor, section: str, **extra) -> dict:
    return {"section": section, "can_manage": actor.has("logistics.manage"), **extra}


def _own_warehouses(actor):
    return list(services.own_warehouses(actor).filter(active=True).order_by("name")) \
        if actor.has("logistics.manage") else []


def _items():
    return list(Item.objects.filter(active=True).order_by("name").only("code", "name", "unit"))


@page("logistics.view")
def stock_page(request, actor):
    """Stock lots, filterable by warehouse, item and expiry; an event shows the participants' stock too."""
    if request.method == "POST":
        try:
            lot = services.receive_stock(actor, _int(request.POST.get("warehouse_id"), 0),
                                         item=request.POST.get("item_code", ""),
                                         quantity=_int(request.POST.get("quantity"), 0),
                                         lot_number=request.POST.get("lot_number", ""),
                                         expiry=_date(request.POST.get("expiry")),
                                         reason=request.POST.get("reason", ""))
        except (ServiceError, PermissionDenied) as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Received: %(q)s %(unit)s of %(item)s.")
                             % {"q": request.POST.get("quantity"), "unit": lot.item.unit, "item": lot.item.name})
        return redirect(request.get_full_path())
    event_id = _int(request.GET.get("event"))
    events = list(disaster_services.visible_events(actor).order_by("-started_at")[:50]) \
        if actor.has("disaster.view") else []
    if event_id is not None and not any(e.pk == event_id for e in events):
        event_id = None
    warehouses = list(services.visible_warehouses(actor, event_id).select_related("organization").order_by("name"))
    qs = services.visible_lots(actor, event_id).filter(quantity__gt=0)
    wid = _int(request.GET.get("warehouse"))
    if wid:
        qs = qs.filter(warehouse_id=wid)
    item_code = request.GET.get("item", "").strip()
    if item_code:
        qs = qs.filter(Q(item__code=item_code) | Q(item__name__icontains=item_code))
    expiring = _int(request.GET.get("expiring"))
    today = timezone.localdate()
    if expiring is not None:
        qs = qs.filter(expiry__isnull=False, expiry__lte=today + dt.timedelta(days=expiring))
    lots = list(qs.select_related("warehouse__organization", "item")
                .order_by("warehouse__name", "item__name", "expiry", "id")[:PAGE_SIZE])
    soon = today + dt.timedelta(days=services.NEAR_EXPIRY_DAYS)
    for lot in lots:
        lot.expired = lot.expiry is not None and lot.expiry < today
        lot.expiring = lot.expiry is not None and today <= lot.expiry <= soon
        lot.own = actor.is_platform_admin or lot.warehouse.organization_id in actor.org_ids
    if request.GET.get("fragment") == "1":
        return render(request, "disaster_logistics/_stock_table.html", {"lots": lots})
    return render(request, "disaster_logistics/stock.html", _context(
        actor, "stock", lots=lots, warehouses=warehouses, events=events, event_id=event_id, warehouse_id=wid,
        item_q=item_code, expiring=expiring, own_warehouses=_own_warehouses(actor), items=_items()))


@page("logistics.view")
def alerts_page(request, actor):
    """Warehouses below their minimums and lots near expiry; managers set minimums here."""
    if request.method == "POST":
        try:
            services.set_minimum(actor, _int(request.POST.get("warehouse_id"), 0), request.POST.get("item_code", ""),
                                 _int(request.POST.get("quantity"), -1))
        except (ServiceError, PermissionDenied) as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Minimum saved."))
        return redirect(reverse("disaster_logistics:alerts"))
    summary = services.stock_summary(actor)
    expiring = list(services.expiring_lots(actor)[:PAGE_SIZE])
    today = timezone.localdate()
    for lot in expiring:
        lot.days_left = (lot.expiry - today).days
    return render(request, "disaster_logistics/alerts.html", _context(
        actor, "alerts", below=[r for r in summary if r["below_minimum"]],
        minimums=[r for r in summary if r["minimum"] is not None], expiring=expiring,
        own_warehouses=_own_warehouses(actor), items=_items()))


def _lines_from_post(post) -> list[dict]:
    lines = []
    for code, qty in zip(post.getlist("item_code"), post.getlist("quantity")):
        if code.strip() or qty.strip():
            lines.append({"item_code": code.strip(), "quantity": _int(qty, 0)})
    return lines


@page("logistics.view")
def shipments_page(request, actor):
    if request.method == "POST":
        try:
            sh = services.send_shipment(
                actor, _int(request.POST.get("warehouse_id"), 0), lines=_lines_from_post(request.POST),
                to_warehouse_id=_int(request.POST.get("to_warehouse_id")),
                destination_region_code=request.POST.get("destination_region_code", "").strip(),
                destination=request.POST.get("destination", ""), event_id=_int(request.POST.get("event_id")),
                note=request.POST.get("note", ""))
        except (ServiceError, PermissionDenied) as exc:
            _fail(request, exc)
            return redirect(reverse("disaster_logistics:shipments"))
        messages.success(request, _("Shipment sent."))
        return redirect(reverse("disaster_logistics:shipment", args=[sh.pk]))
    shipments = list(services.visible_shipments(actor).select_related("from_warehouse", "to_warehouse", "event")
                     .order_by("-sent_at", "-id")[:PAGE_SIZE])
    for s in shipments:
        s.sent_local = _local(s.sent_at, s.region_code)
    events = list(disaster_services.visible_events(actor).order_by("-started_at")[:50]) \
        if actor.has("disaster.view") else []
    return render(request, "disaster_logistics/shipments.html", _context(
        actor, "shipments", shipments=shipments, own_warehouses=_own_warehouses(actor), items=_items(),
        events=events, line_slots=range(3)))


@page("logistics.view")
def shipment_page(request, actor, shipment_id: int):
    sh = services.get_shipment(actor, shipment_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "in_transit":
                services.mark_in_transit(actor, sh.pk)
                messages.success(request, _("Marked in transit."))
            else:
                received, notes = {}, {}
                for ln in sh.lines.all():
                    got = request.POST.get(f"received_{ln.pk}", "")
                    if got.strip():
                        received[ln.pk] = _int(got, -1)
                    notes[ln.pk] = request.POST.get(f"note_{ln.pk}", "")
                services.receive_shipment(actor, sh.pk, received=received, notes=notes)
                messages.success(request, _("Receipt recorded."))
        except (ServiceError, PermissionDenied) as exc:
            _fail(request, exc)
        return redirect(reverse("disaster_logistics:shipment", args=[sh.pk]))
    times = {"sent_local": _local(sh.sent_at, sh.region_code),
             "in_transit_local": _local(sh.in_transit_at, sh.region_code),
             "received_local": _local(sh.received_at, sh.region_code)}
    if request.GET.get("fragment") == "1":  # the live part of the page (web/live_fragment.js)
        return render(request, "disaster_logistics/_shipment_facts.html", {"sh": sh, **times})
    lines = list(sh.lines.select_related("item"))
    own = services.own_warehouses(actor) if actor.has("logistics.manage") else None
    can_send_side = own is not None and own.filter(pk=sh.from_warehouse_id).exists()
    can_receive = own is not None and sh.status != Shipment.Status.RECEIVED and \
        own.filter(pk=sh.to_warehouse_id or sh.from_warehouse_id).exists()
    return render(request, "disaster_logistics/shipment.html", _context(
        actor, "shipments", sh=sh, lines=lines, **times,
        can_transit=can_send_side and sh.status == Shipment.Status.SENT, can_receive=can_receive))


@page("logistics.view")
def distributions_page(request, actor):
    if request.method == "POST":
        try:
            services.distribute(actor, _int(request.POST.get("warehouse_id"), 0),
                                region_code=request.POST.get("region_code", "").strip(),
                                households=_int(request.POST.get("households"), 0),
                                people=_int(request.POST.get("people"), 0), lines=_lines_from_post(request.POST),
                                event_id=_int(request.POST.get("event_id")), note=request.POST.get("note", ""))
        except (ServiceError, PermissionDenied) as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("Distribution recorded."))
        return redirect(reverse("disaster_logistics:distributions"))
    rows = list(services.visible_distributions(actor).select_related("warehouse", "event")
                .prefetch_related("lines__item").order_by("-distributed_at", "-id")[:PAGE_SIZE])
    for d in rows:
        d.at_local = _local(d.distributed_at, d.region_code)
    events = list(disaster_services.visible_events(actor).order_by("-started_at")[:50]) \
        if actor.has("disaster.view") else []
    return render(request, "disaster_logistics/distributions.html", _context(
        actor, "distributions", distributions=rows, own_warehouses=_own_warehouses(actor), items=_items(),
        events=events, line_slots=range(3)))


@page("logistics.view")
def warehouses_page(request, actor):
    if request.method == "POST":
        lat, lon = request.POST.get("lat", "").strip(), request.POST.get("lon", "").strip()
        try:
            services.create_warehouse(actor, code=request.POST.get("code", ""), name=request.POST.get("name", ""),
                                      region_code=request.POST.get("region_code", "").strip(),
                                      address=request.POST.get("address", ""),
                                      lat=float(lat) if lat else None, lon=float(lon) if lon else None)
        except (ServiceError, PermissionDenied) as exc:
            _fail(request, exc)
        except ValueError:
            messages.error(request, _("Latitude or longitude out of range."))
        else:
            messages.success(request, _("Warehouse added."))
        return redirect(reverse("disaster_logistics:warehouses"))
    warehouses = list(services.own_warehouses(actor).select_related("organization").order_by("name"))
    return render(request, "disaster_logistics/warehouses.html", _context(actor, "warehouses",
                                                                           warehouses=warehouses))


@require_GET
@page("logistics.view")
def needs_page(request, actor, event_id: int | None = None):
    """Pick an event, then see its needs against the stock of every organisation taking part."""
    events = list(disaster_services.visible_events(actor).order_by("-started_at")[:100]) \
        if actor.has("disaster.view") else []
    result = None
    profile = request.GET.get("profile", DEFAULT_PROFILE)
    profile = profile if profile in PROFILES else DEFAULT_PROFILE
    days = _int(request.GET.get("days"), 7)
    days = days if 1 <= days <= MAX_DAYS else 7
    if event_id is not None:
        result = services.needs_vs_stock(actor, event_id, profile, days)
    return render(request, "disaster_logistics/needs.html", _context(
        actor, "needs", events=events, event_id=event_id, result=result, profile=profile, days=days,
        profiles=[(p.code, p.label) for p in PROFILES.values()]))
