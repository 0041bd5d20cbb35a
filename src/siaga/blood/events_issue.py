"""Event types of hospital requests, crossmatch, reservation, issue, returns, transfers and donor recall (topic "blood").

Request and issue events are emitted with the hospital as owner and shared with the supplying UDD (or the
other way round), with no region, so that a UDD serving hospitals in neighbouring kab/kota sees them too.
"""

from __future__ import annotations

from datetime import datetime

import pydantic

from siaga.core.events import event_type


class LineOut(pydantic.BaseModel):
    line_id: int
    component_type: str
    abo: str
    rhd: str
    quantity: int
    issued_quantity: int
    status: str


@event_type("blood.request.changed", topic="blood")
class RequestChanged(pydantic.BaseModel):
    request_id: int
    number: str
    status: str
    urgency: str
    organization_id: int
    supplier_id: int
    supplier_site_id: int
    hospital_name: str
    lines: list[LineOut]


@event_type("blood.crossmatch.recorded", topic="blood")
class CrossmatchRecorded(pydantic.BaseModel):
    crossmatch_id: int
    request_id: int
    line_id: int
    component_id: int
    result: str


@event_type("blood.reservation.changed", topic="blood")
class ReservationChanged(pydantic.BaseModel):
    reservation_id: int
    request_id: int
    component_id: int
    status: str
    expires_at: datetime


class IssuedUnit(pydantic.BaseModel):
    component_id: int
    din: str
    component_type: str
    abo: str
    rhd: str
    expires_at: datetime
    substitution: str


@event_type("blood.issue.created", topic="blood")
class IssueCreated(pydantic.BaseModel):
    issue_id: int
    number: str
    request_id: int
    site_id: int
    hospital_id: int
    issued_at: datetime
    units: list[IssuedUnit]


@event_type("blood.return.recorded", topic="blood")
class ReturnRecorded(pydantic.BaseModel):
    return_id: int
    component_id: int
    accepted: bool
    cold_chain_ok: bool
    reason: str


@event_type("blood.transfer.changed", topic="blood")
class TransferChanged(pydantic.BaseModel):
    transfer_id: int
    number: str
    status: str
    from_site_id: int
    to_site_id: int
    units: int
    accepted: int | None = None


@event_type("blood.recall.created", topic="blood")
class RecallCreated(pydantic.BaseModel):
    campaign_id: int
    site_id: int
    abo: str
    rhd: str
    on_call_panel: bool
    recipients: int


@event_type("blood.recall.proposed", topic="blood")
class RecallProposed(pydantic.BaseModel):
    """A draft recall waiting for an officer to send it (nobody texted yet)."""

    campaign_id: int
    site_id: int
    abo: str
    rhd: str
    eligible: int
    alert_id: int | None = None


@event_type("blood.shortage.response", topic="blood")
class ShortageResponse(pydantic.BaseModel):
    """What Siaga did by itself about a red-cell shortage alert: suggestions computed, a recall proposed."""

    alert_id: int
    site_id: int
    component_type: str
    abo: str
    rhd: str
    suggestions: int
    units: int
    recall_id: int | None = None
    recall_eligible: int
