"""Logistics: event names and payload schemas (all on the live topic "logistics")."""

from __future__ import annotations

import pydantic

from siaga.core.events import event_type

TOPIC = "logistics"


@event_type("logistics.stock_changed", topic=TOPIC)
class StockChanged(pydantic.BaseModel):
    """Stock of one or more lots of one warehouse changed (a receipt, shipment, distribution or adjustment)."""

    warehouse_id: int
    kind: str
    lots: list[dict]  # [{"lot_id", "item_id", "item_code", "change", "quantity"}]


@event_type("logistics.below_minimum", topic=TOPIC)
class BelowMinimum(pydantic.BaseModel):
    """A warehouse's stock of an item fell below its minimum level (sent once per crossing)."""

    warehouse_id: int
    warehouse_name: str
    item_id: int
    item_code: str
    item_name: str
    quantity: int
    minimum: int


@event_type("logistics.near_expiry", topic=TOPIC)
class NearExpiry(pydantic.BaseModel):
    """A lot with stock left expires within the warning period (sent once per lot)."""

    warehouse_id: int
    lot_id: int
    item_id: int
    item_code: str
    lot_number: str
    expiry: str
    quantity: int
    days_left: int


@event_type("logistics.request_created", topic=TOPIC)
class RequestCreated(pydantic.BaseModel):
    id: int
    organization_id: int
    event_id: int | None
    region_code: str
    lines: list[dict]  # [{"item_id", "item_code", "quantity"}]


@event_type("logistics.shipment_updated", topic=TOPIC)
class ShipmentUpdated(pydantic.BaseModel):
    """A shipment was sent, set in transit or received (with discrepancies)."""

    id: int
    status: str
    from_warehouse_id: int
    to_warehouse_id: int | None
    event_id: int | None
    request_id: int | None
    has_discrepancy: bool
    lines: list[dict]  # [{"item_code", "quantity", "received_quantity"}]


@event_type("logistics.distributed", topic=TOPIC)
class Distributed(pydantic.BaseModel):
    id: int
    warehouse_id: int
    region_code: str
    event_id: int | None
    households: int
    people: int
    lines: list[dict]  # [{"item_code", "quantity"}]


@event_type("logistics.warehouse_saved", topic=TOPIC)
class WarehouseSaved(pydantic.BaseModel):
    id: int
    organization_id: int
    name: str
    region_code: str
    active: bool
