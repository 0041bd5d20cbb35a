"""Dispatch event types and their payload schemas: units (topic "units"), dispatches ("dispatches"),
hospital capacity ("hospitals").

A unit's events go to its owner, the dispatch center that sends it, and the organisation it is
currently working for (a cross-region request), so every party sees its progress. A unit on loan under an
active mutual-aid grant also goes to its borrower ("unit.position", "unit.status"), for the loan's duration.
"""

from __future__ import annotations

from datetime import datetime

import pydantic

from siaga.core.events import event_type


@event_type("unit.status", topic="units")
class UnitStatusChanged(pydantic.BaseModel):
    id: int
    call_sign: str
    organization_id: int
    status: str
    previous_status: str
    at: datetime
    dispatch_id: int | None


@event_type("unit.updated", topic="units")
class UnitUpdated(pydantic.BaseModel):
    """A unit was created or its fleet record changed (kind, station, capabilities, service)."""

    id: int
    call_sign: str
    organization_id: int
    kind: str
    status: str
    active: bool


@event_type("roster.updated", topic="units")
class RosterUpdated(pydantic.BaseModel):
    """A unit's roster changed: whether it is crewed right now may have changed with it."""

    unit_id: int
    call_sign: str
    organization_id: int
    crewed_now: bool


@event_type("unit.position", topic="units")
class UnitPosition(pydantic.BaseModel):
    """The unit's latest position (browsers receive at most one per unit per second)."""

    id: int
    call_sign: str
    lat: float
    lng: float
    at: datetime
    speed_kmh: float | None = None
    heading_deg: float | None = None
    snapped_lat: float | None = None
    snapped_lng: float | None = None


class _DispatchBase(pydantic.BaseModel):
    id: int
    incident_id: int
    incident_number: str
    unit_id: int
    call_sign: str
    organization_id: int
    status: str
    at: datetime


@event_type("dispatch.created", topic="dispatches")
class DispatchCreated(_DispatchBase):
    ack_deadline_at: datetime
    eta_seconds: float | None
    distance_m: float | None
    eta_estimate: bool
    incident_lat: float | None
    incident_lng: float | None
    incident_address: str
    incident_type: str
    priority: int


@event_type("dispatch.status", topic="dispatches")
class DispatchStatusChanged(_DispatchBase):
    previous_status: str
    note: str = ""
    destination_id: int | None = None
    replaced_by_id: int | None = None


@event_type("dispatch.ack_overdue", topic="dispatches")
class DispatchAckOverdue(_DispatchBase):
    """Nobody aboard acknowledged in time: the dispatcher must act (call the crew, send another unit)."""

    ack_deadline_at: datetime


@event_type("unit_request.updated", topic="dispatches")
class UnitRequestUpdated(pydantic.BaseModel):
    id: int
    organization_id: int
    owner_id: int
    unit_id: int
    call_sign: str
    incident_id: int
    incident_number: str
    status: str
    at: datetime
    dispatch_id: int | None = None


@event_type("hospital.capacity", topic="hospitals")
class HospitalCapacityChanged(pydantic.BaseModel):
    organization_id: int
    name: str
    accepting: bool
    emergency_beds_free: int
    emergency_beds_total: int
    icu_beds_free: int
    icu_beds_total: int
    operating_theatres_free: int
    operating_theatres_total: int
    updated_at: datetime
