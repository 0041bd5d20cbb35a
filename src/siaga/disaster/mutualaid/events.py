"""Mutual aid: event names and payload schemas (topic "mutual_aid", shared with both organisations).

Each payload carries request_id (a detail page follows its own request by it) and what a list or a detail page needs to decide whether to redraw: the request id, both
organisations, the state. Names of people and contact numbers stay out: the page re-reads them with the
viewer's own permissions.
"""

from __future__ import annotations

from datetime import datetime

import pydantic

from siaga.core.events import event_type


@event_type("mutual_aid.requested", topic="mutual_aid")
class MutualAidRequested(pydantic.BaseModel):
    id: int
    request_id: int
    organization_id: int
    lender_id: int
    event_id: int | None
    region_code: str
    state: str
    lines: list[dict]
    needed_from: datetime
    needed_until: datetime | None
    at: datetime


@event_type("mutual_aid.state_changed", topic="mutual_aid")
class MutualAidStateChanged(pydantic.BaseModel):
    id: int
    request_id: int
    organization_id: int
    lender_id: int
    event_id: int | None
    from_state: str
    state: str
    side: str
    actor_organization_id: int | None
    note: str
    resources: list[dict]
    at: datetime


@event_type("mutual_aid.letter_added", topic="mutual_aid")
class MutualAidLetterAdded(pydantic.BaseModel):
    id: int
    request_id: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    organization_id: int
    at: datetime


@event_type("mutual_aid.unit_position", topic="mutual_aid")
class LentUnitPosition(pydantic.BaseModel):
    """A lent unit's latest position, for both sides' request page (transient: the next one supersedes it)."""

    id: int  # the unit's id: the stream coalesces per entity
    request_id: int
    unit_id: int
    call_sign: str
    status: str
    lat: float
    lng: float
    at: datetime
    speed_kmh: float | None = None
    heading_deg: float | None = None


@event_type("mutual_aid.unit_status", topic="mutual_aid")
class LentUnitStatus(pydantic.BaseModel):
    """A lent unit's status changed (available, en route, on scene ...): both sides' request page follows it."""

    id: int  # the unit's id
    request_id: int
    unit_id: int
    call_sign: str
    status: str
    previous_status: str
    at: datetime
