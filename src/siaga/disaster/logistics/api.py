"""Logistics API (/api/disaster/logistics/...): the item catalogue, warehouses and their stock, minimums and alerts,
requests, shipments, distributions, and the needs of a disaster event set against the stock that could meet them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Q
from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.disaster.needs import DEFAULT_PROFILE, MAX_DAYS

from . import services
from .models import Distribution, Item, Movement, NeedsItem, Request, Shipment, StockLot, Warehouse

router = Router(tags=["disaster_logistics"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CODE = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"


# --- schemas ------------------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    code: str
    name: str
    unit: str
    category: str
    catalog: str
    weight_g: int | None
    volume_cm3: int | None
    is_kit: bool = False
    components: list[dict] = []
    needs_lines: list[str] = []


class NeedsItemOut(Schema):
    needs_item: str
    item_id: int
    item_code: str
    units_per_item: int


class WarehouseIn(Schema):
    code: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    region_code: str = Field(..., max_length=13, pattern=CODE)
    address: str = Field("", max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    organization_id: int | None = Field(None, description="an organisation below the caller's (default: own)")


class WarehousePatch(Schema):
    name: str | None = Field(None, max_length=200)
    region_code: str | None = Field(None, max_length=13, pattern=CODE)
    address: str | None = Field(None, max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    active: bool | None = None


class WarehouseOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    region_code: str
    code: str
    name: str
    address: str
    lat: float | None
    lon: float | None
    active: bool
    own: bool


class LotOut(Schema):
    id: int
    warehouse_id: int
    warehouse_name: str
    organization_id: int
    item_id: int
    item_code: str
    item_name: str
    unit: str
    lot_number: str
    expiry: dt.date | None
    quantity: int
    expired: bool


class LotListOut(Schema):
    count: int
    items: list[LotOut]


class MovementOut(Schema):
    id: int
    kind: str
    lot_id: int
    item_id: int
    warehouse_id: int
    quantity_change: int
    quantity_after: int
    reason: str
    shipment_id: int | None
    distribution_id: int | None
    at: dt.datetime


class LotDetailOut(LotOut):
    movements: list[MovementOut]


class ReceiptIn(Schema):
    item_code: str = Field(..., max_length=40)
    quantity: int = Field(..., gt=0)
    lot_number: str = Field("", max_length=60)
    expiry: dt.date | None = None
    reason: str = Field("", max_length=300, description="where it came from (purchase, donation)")


class AdjustmentIn(Schema):
    change: int = Field(..., description="signed change in the item's unit (negative to remove)")
    reason: str = Field(..., min_length=1, max_length=300)


class MinimumIn(Schema):
    item_code: str = Field(..., max_length=40)
    quantity: int = Field(..., ge=0, description="0 removes the minimum")


class SummaryOut(Schema):
    warehouse_id: int
    warehouse_name: str
    organization_id: int
    region_code: str
    item_id: int
    item_code: str
    item_name: str
    unit: str
    quantity: int
    minimum: int | None
    below_minimum: bool


class TotalOut(Schema):
    province_code: str
    item_id: int
    item_code: str
    item_name: str
    unit: str
    quantity: int


class LogisticsLineIn(Schema):
    item_code: str | None = Field(None, max_length=40, description="take first-expiry-first-out from this item")
    lot_id: int | None = Field(None, description="or take from this lot")
    quantity: int


class RequestLineIn(Schema):
    item_code: str = Field(..., max_length=40)
    quantity: int


class LogisticsRequestIn(Schema):
    region_code: str = Field(..., max_length=13, pattern=CODE, description="where the items are needed")
    event_id: int | None = None
    note: str = Field("", max_length=2000)
    lines: list[RequestLineIn]


class RequestLineOut(Schema):
    item_id: int
    item_code: str
    quantity: int
    quantity_shipped: int


class LogisticsRequestOut(Schema):
    id: int
    organization_id: int
    region_code: str
    event_id: int | None
    status: str
    note: str
    created_at: dt.datetime
    lines: list[RequestLineOut]


class ShipmentIn(Schema):
    lines: list[LogisticsLineIn]
    to_warehouse_id: int | None = None
    destination_region_code: str = Field("", max_length=13)
    destination: str = Field("", max_length=300)
    event_id: int | None = None
    request_id: int | None = None
    note: str = Field("", max_length=2000)


class ShipmentLineOut(Schema):
    id: int
    lot_id: int
    item_id: int
    item_code: str
    lot_number: str
    expiry: dt.date | None
    quantity: int
    received_quantity: int | None
    discrepancy: int | None
    discrepancy_note: str


class ShipmentOut(Schema):
    id: int
    organization_id: int
    status: str
    from_warehouse_id: int
    to_warehouse_id: int | None
    destination_region_code: str
    destination: str
    event_id: int | None
    request_id: int | None
    sent_at: dt.datetime
    in_transit_at: dt.datetime | None
    received_at: dt.datetime | None
    has_discrepancy: bool
    lines: list[ShipmentLineOut]


class ReceiveLineIn(Schema):
    line_id: int
    received_quantity: int
    note: str = Field("", max_length=300)


class LogisticsReceiveIn(Schema):
    lines: list[ReceiveLineIn] = Field([], description="lines not listed arrived in full")


class DistributionIn(Schema):
    region_code: str = Field(..., max_length=13, pattern=CODE, description="kelurahan")
    households: int
    people: int
    lines: list[LogisticsLineIn]
    event_id: int | None = None
    distributed_at: dt.datetime | None = None
    note: str = Field("", max_length=2000)


class DistributionLineOut(Schema):
    item_id: int
    item_code: str
    lot_id: int
    quantity: int


class DistributionOut(Schema):
    id: int
    organization_id: int
    warehouse_id: int
    region_code: str
    event_id: int | None
    households: int
    people: int
    distributed_at: dt.datetime
    note: str
    lines: list[DistributionLineOut]


class LogisticsSuggestionOut(Schema):
    warehouse_id: int
    warehouse_name: str
    organization_id: int
    organization_name: str
    region_code: str
    own: bool
    item_id: int
    item_code: str
    item_name: str
    item_unit: str
    quantity: int
    covers: int
    distance_km: float | None


class NeedStockLineOut(Schema):
    item: str
    label: str
    unit: str
    needed: int
    available: int
    mapped: bool
    suggestions: list[LogisticsSuggestionOut]
    shortfall: int


class DestinationOut(Schema):
    lat: float
    lon: float
    basis: str


class NeedsVsStockOut(Schema):
    event_id: int
    event_name: str
    profile: str
    profile_label: str
    days: int
    displaced: int
    affected: int
    destination: DestinationOut | None
    organization_ids: list[int]
    lines: list[NeedStockLineOut]


# --- converters ---------------------------------------------------------------------------------------


def warehouse_out(actor, w: Warehouse) -> dict:
    return {"id": w.pk, "organization_id": w.organization_id, "organization_name": w.organization.name,
            "region_code": w.region_code, "code": w.code, "name": w.name, "address": w.address, "lat": w.lat,
            "lon": w.lon, "active": w.active, "own": actor.is_platform_admin or w.organization_id in actor.org_ids}


def lot_out(lot: StockLot, today=None) -> dict:
    from django.utils import timezone

    today = today or timezone.localdate()
    return {"id": lot.pk, "warehouse_id": lot.warehouse_id, "warehouse_name": lot.warehouse.name,
            "organization_id": lot.warehouse.organization_id, "item_id": lot.item_id, "item_code": lot.item.code,
            "item_name": lot.item.name, "unit": lot.item.unit, "lot_number": lot.lot_number, "expiry": lot.expiry,
            "quantity": lot.quantity, "expired": lot.expiry is not None and lot.expiry < today}


def request_out(r: Request) -> dict:
    return {"id": r.pk, "organization_id": r.organization_id, "region_code": r.region_code, "event_id": r.event_id,
            "status": r.status, "note": r.note, "created_at": r.created_at,
            "lines": [{"item_id": ln.item_id, "item_code": ln.item.code, "quantity": ln.quantity,
                       "quantity_shipped": ln.quantity_shipped} for ln in r.lines.select_related("item")]}


def shipment_out(s: Shipment) -> dict:
    return {"id": s.pk, "organization_id": s.organization_id, "status": s.status,
            "from_warehouse_id": s.from_warehouse_id, "to_warehouse_id": s.to_warehouse_id,
            "destination_region_code": s.destination_region_code, "destination": s.destination,
            "event_id": s.event_id, "request_id": s.request_id, "sent_at": s.sent_at,
            "in_transit_at": s.in_transit_at, "received_at": s.received_at, "has_discrepancy": s.has_discrepancy,
            "lines": [{"id": ln.pk, "lot_id": ln.lot_id, "item_id": ln.item_id, "item_code": ln.item.code,
                       "lot_number": ln.lot_number, "expiry": ln.expiry, "quantity": ln.quantity,
                       "received_quantity": ln.received_quantity, "discrepancy": ln.discrepancy,
                       "discrepancy_note": ln.discrepancy_note} for ln in s.lines.select_related("item")]}


def distribution_out(d: Distribution) -> dict:
    return {"id": d.pk, "organization_id": d.organization_id, "warehouse_id": d.warehouse_id,
            "region_code": d.region_code, "event_id": d.event_id, "households": d.households, "people": d.people,
            "distributed_at": d.distributed_at, "note": d.note,
            "lines": [{"item_id": ln.item_id, "item_code": ln.item.code, "lot_id": ln.lot_id,
                       "quantity": ln.quantity} for ln in d.lines.select_related("item")]}


def _lines(lines) -> list[dict]:
    return [ln.dict() for ln in lines]


# --- catalogue ----------------------------------------------------------------------------------------


@router.get("/items", response={200: list[ItemOut], 403: ErrorOut},
            summary="The item catalogue (search by name or code)")
def list_items(request, q: str = Query("", max_length=100), limit: int = Query(100, ge=1, le=500)):
    request.auth.require("logistics.view")
    qs = Item.objects.filter(active=True)
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(code__icontains=q.strip()))
    items = list(qs.prefetch_related("components__component", "needs_lines")[:limit])
    return [_item_out(i) for i in items]


def _item_out(i: Item) -> dict:
    comps = [{"item_code": c.component.code, "quantity": c.quantity} for c in i.components.all()]
    return {"id": i.pk, "code": i.code, "name": i.name, "unit": i.unit, "category": i.category,
            "catalog": i.catalog, "weight_g": i.weight_g, "volume_cm3": i.volume_cm3, "is_kit": bool(comps),
            "components": comps, "needs_lines": sorted({m.needs_item for m in i.needs_lines.all()})}


@router.get("/items/{item_id}", response={200: ItemOut, **ERRORS}, summary="One catalogue item with its kit lines")
def get_item(request, item_id: int):
    request.auth.require("logistics.view")
    item = Item.objects.filter(pk=item_id).prefetch_related("components__component", "needs_lines").first()
    if item is None:
        from siaga.core.errors import NotFound

        raise NotFound()
    return _item_out(item)


@router.get("/needs-items", response={200: list[NeedsItemOut], 403: ErrorOut},
            summary="Which items meet which needs-estimate line")
def needs_items(request):
    request.auth.require("logistics.view")
    return [{"needs_item": m.needs_item, "item_id": m.item_id, "item_code": m.item.code,
             "units_per_item": m.units_per_item} for m in NeedsItem.objects.select_related("item")]


# --- warehouses ---------------------------------------------------------------------------------------


@router.get("/warehouses", response={200: list[WarehouseOut], **ERRORS},
            summary="Own warehouses; with event_id also those of every organisation taking part (read-only)")
def list_warehouses(request, event_id: int | None = None):
    qs = services.visible_warehouses(request.auth, event_id).select_related("organization").order_by("name", "id")
    return [warehouse_out(request.auth, w) for w in qs]


@router.post("/warehouses", response={201: WarehouseOut, **ERRORS}, summary="Add a warehouse to the own organisation")
def create_warehouse(request, payload: WarehouseIn):
    w = services.create_warehouse(request.auth, **payload.dict())
    return Status(201, warehouse_out(request.auth, w))


@router.get("/warehouses/{warehouse_id}", response={200: WarehouseOut, **ERRORS}, summary="One warehouse")
def get_warehouse(request, warehouse_id: int, event_id: int | None = None):
    return warehouse_out(request.auth, services.get_warehouse(request.auth, warehouse_id, event_id))


@router.patch("/warehouses/{warehouse_id}", response={200: WarehouseOut, **ERRORS}, summary="Change a warehouse")
def update_warehouse(request, warehouse_id: int, payload: WarehousePatch):
    w = services.update_warehouse(request.auth, warehouse_id, **payload.dict(exclude_unset=True))
    return warehouse_out(request.auth, w)


@router.put("/warehouses/{warehouse_id}/minimums", response={200: list[SummaryOut], **ERRORS},
            summary="Set the minimum level of an item in a warehouse (0 removes it)")
def set_minimum(request, warehouse_id: int, payload: MinimumIn):
    services.set_minimum(request.auth, warehouse_id, payload.item_code, payload.quantity)
    return [r for r in services.stock_summary(request.auth) if r["warehouse_id"] == warehouse_id]


@router.post("/warehouses/{warehouse_id}/receipts", response={201: LotOut, **ERRORS},
             summary="Receive stock into a warehouse (purchase, donation)")
def receive(request, warehouse_id: int, payload: ReceiptIn):
    lot = services.receive_stock(request.auth, warehouse_id, item=payload.item_code, quantity=payload.quantity,
                                 lot_number=payload.lot_number, expiry=payload.expiry, reason=payload.reason)
    lot = StockLot.objects.select_related("warehouse", "item").get(pk=lot.pk)
    return Status(201, lot_out(lot))


@router.post("/warehouses/{warehouse_id}/shipments", response={201: ShipmentOut, **ERRORS},
             summary="Send items from a warehouse (stock leaves now; first-expiry-first-out unless a lot is named)")
def send_shipment(request, warehouse_id: int, payload: ShipmentIn):
    data = payload.dict()
    data["lines"] = _lines(payload.lines)
    return Status(201, shipment_out(services.send_shipment(request.auth, warehouse_id, **data)))


@router.post("/warehouses/{warehouse_id}/distributions", response={201: DistributionOut, **ERRORS},
             summary="Hand items from a warehouse to beneficiaries in one kelurahan")
def distribute(request, warehouse_id: int, payload: DistributionIn):
    data = payload.dict()
    data["lines"] = _lines(payload.lines)
    return Status(201, distribution_out(services.distribute(request.auth, warehouse_id, **data)))


# --- stock --------------------------------------------------------------------------------------------


@router.get("/stock", response={200: LotListOut, **ERRORS},
            summary="Stock lots by warehouse, item and expiry (own; with event_id also the participants')")
def list_stock(request, event_id: int | None = None, warehouse_id: int | None = None,
               item_code: str = Query("", max_length=40), region_prefix: str = Query("", max_length=13),
               expiring_within_days: int | None = Query(None, ge=0, le=3650), include_empty: bool = False,
               limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0)):
    from django.utils import timezone

    qs = services.visible_lots(request.auth, event_id)
    if not include_empty:
        qs = qs.filter(quantity__gt=0)
    if warehouse_id is not None:
        qs = qs.filter(warehouse_id=warehouse_id)
    if item_code:
        qs = qs.filter(item__code=item_code)
    if region_prefix:
        qs = qs.filter(Q(warehouse__region_code=region_prefix)
                       | Q(warehouse__region_code__startswith=region_prefix + "."))
    if expiring_within_days is not None:
        qs = qs.filter(expiry__isnull=False,
                       expiry__lte=timezone.localdate() + dt.timedelta(days=expiring_within_days))
    qs = qs.select_related("warehouse", "item").order_by("warehouse__name", "item__name", "expiry", "id")
    today = timezone.localdate()
    return {"count": qs.count(), "items": [lot_out(lot, today) for lot in qs[offset:offset + limit]]}


@router.get("/stock/summary", response={200: list[SummaryOut], **ERRORS},
            summary="Stock per warehouse and item against its minimum")
def stock_summary(request, region_prefix: str = Query("", max_length=13), event_id: int | None = None):
    return services.stock_summary(request.auth, region_prefix, event_id)


@router.get("/stock/totals", response={200: list[TotalOut], **ERRORS},
            summary="Usable stock by province and item over the warehouses the caller sees")
def stock_totals(request, region_prefix: str = Query("", max_length=13), event_id: int | None = None):
    return services.stock_totals(request.auth, region_prefix=region_prefix, event_id=event_id)


@router.get("/alerts/minimums", response={200: list[SummaryOut], **ERRORS},
            summary="Warehouses and items below their minimum")
def below_minimums(request, region_prefix: str = Query("", max_length=13)):
    return services.minimums_breached(request.auth, region_prefix)


@router.get("/alerts/expiry", response={200: list[LotOut], **ERRORS}, summary="Lots expiring soon (or expired)")
def near_expiry(request, days: int = Query(services.NEAR_EXPIRY_DAYS, ge=0, le=3650)):
    return [lot_out(lot) for lot in services.expiring_lots(request.auth, days)[:500]]


@router.get("/lots/{lot_id}", response={200: LotDetailOut, **ERRORS}, summary="One lot with its movements")
def get_lot(request, lot_id: int, event_id: int | None = None):
    lot = services.get_lot(request.auth, lot_id, event_id)
    out = lot_out(lot)
    out["movements"] = list(Movement.objects.filter(lot=lot).order_by("-at", "-id")[:200].values(
        "id", "kind", "lot_id", "item_id", "warehouse_id", "quantity_change", "quantity_after", "reason",
        "shipment_id", "distribution_id", "at"))
    return out


@router.post("/lots/{lot_id}/adjustments", response={200: LotOut, **ERRORS},
             summary="Correct a lot after a count, damage or loss (reason required; never below zero)")
def adjust(request, lot_id: int, payload: AdjustmentIn):
    lot = services.adjust_stock(request.auth, lot_id, payload.change, payload.reason)
    return lot_out(StockLot.objects.select_related("warehouse", "item").get(pk=lot.pk))


# --- requests -----------------------------------------------------------------------------------------


@router.get("/requests", url_name="logistics_list_requests", response={200: list[LogisticsRequestOut], **ERRORS},
            summary="Requests of the own organisation and for events it takes part in")
def list_requests(request, status: Literal["open", "partial", "fulfilled", "cancelled"] | None = None,
                  event_id: int | None = None, limit: int = Query(100, ge=1, le=500)):
    qs = services.visible_requests(request.auth)
    if status:
        qs = qs.filter(status=status)
    if event_id:
        qs = qs.filter(event_id=event_id)
    return [request_out(r) for r in qs.order_by("-created_at", "-id")[:limit]]


@router.post("/requests", url_name="logistics_create_request", response={201: LogisticsRequestOut, **ERRORS},
             summary="Request items for an area or an event")
def create_request(request, payload: LogisticsRequestIn):
    req = services.create_request(request.auth, region_code=payload.region_code, event_id=payload.event_id,
                                  note=payload.note, lines=[ln.dict() for ln in payload.lines])
    return Status(201, request_out(req))


@router.get("/requests/{request_id}", url_name="logistics_get_request", response={200: LogisticsRequestOut, **ERRORS},
            summary="One request")
def get_request(request, request_id: int):
    return request_out(services.get_request(request.auth, request_id))


# --- shipments ----------------------------------------------------------------------------------------


@router.get("/shipments", response={200: list[ShipmentOut], **ERRORS},
            summary="Shipments from or into own warehouses, and for events the organisation takes part in")
def list_shipments(request, status: Literal["sent", "in_transit", "received"] | None = None,
                   event_id: int | None = None, limit: int = Query(100, ge=1, le=500)):
    qs = services.visible_shipments(request.auth)
    if status:
        qs = qs.filter(status=status)
    if event_id:
        qs = qs.filter(event_id=event_id)
    return [shipment_out(s) for s in qs.order_by("-sent_at", "-id")[:limit]]


@router.get("/shipments/{shipment_id}", response={200: ShipmentOut, **ERRORS}, summary="One shipment")
def get_shipment(request, shipment_id: int):
    return shipment_out(services.get_shipment(request.auth, shipment_id))


@router.post("/shipments/{shipment_id}/in-transit", response={200: ShipmentOut, **ERRORS},
             summary="The shipment left (sender)")
def shipment_in_transit(request, shipment_id: int):
    return shipment_out(services.mark_in_transit(request.auth, shipment_id))


@router.post("/shipments/{shipment_id}/receive", response={200: ShipmentOut, **ERRORS},
             summary="Confirm what arrived; less than sent is a discrepancy and needs a note")
def receive_shipment(request, shipment_id: int, payload: LogisticsReceiveIn):
    sh = services.receive_shipment(request.auth, shipment_id,
                                   received={ln.line_id: ln.received_quantity for ln in payload.lines},
                                   notes={ln.line_id: ln.note for ln in payload.lines})
    return shipment_out(sh)


# --- distributions ------------------------------------------------------------------------------------


@router.get("/distributions", response={200: list[DistributionOut], **ERRORS},
            summary="Distributions from own warehouses and for events the organisation takes part in")
def list_distributions(request, event_id: int | None = None, region_code: str = Query("", max_length=13),
                       limit: int = Query(100, ge=1, le=500)):
    qs = services.visible_distributions(request.auth)
    if event_id:
        qs = qs.filter(event_id=event_id)
    if region_code:
        qs = qs.filter(region_code=region_code)
    return [distribution_out(d) for d in qs.order_by("-distributed_at", "-id")[:limit]]


@router.get("/distributions/{distribution_id}", response={200: DistributionOut, **ERRORS}, summary="One distribution")
def get_distribution(request, distribution_id: int):
    return distribution_out(services.get_distribution(request.auth, distribution_id))


# --- needs against stock ------------------------------------------------------------------------------


@router.get("/events/{event_id}/needs-vs-stock", response={200: NeedsVsStockOut, **ERRORS},
            summary="The event's needs against stock of all participating organisations, with what to send from where")
def needs_vs_stock(request, event_id: int, profile: Literal["bnpb", "sphere"] = DEFAULT_PROFILE,
                   days: int = Query(7, ge=1, le=MAX_DAYS)):
    return services.needs_vs_stock(request.auth, event_id, profile, days)
