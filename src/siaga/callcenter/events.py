"""Call-center event types and their payload schemas: calls (topic "calls") and incidents (topic "incidents").

Referral events live with the referral services (referrals.py). Every payload here is what a
live board needs to redraw one row without another request; nothing private beyond what the
topic's permission already shows (call.view sees caller numbers, incident.view sees incidents).
"""

from __future__ import annotations

from datetime import datetime

import pydantic

from siaga.core.events import event_type


# --- calls --------------------------------------------------------------------------------------


@event_type("call.started", topic="calls")
class CallStarted(pydantic.BaseModel):
    id: int
    organization_id: int
    channel: str
    caller_number: str
    started_at: datetime
    answered_at: datetime | None
    caller_flagged: bool
    caller_policy: str


@event_type("call.updated", topic="calls")
class CallUpdated(pydantic.BaseModel):
    """The caller's number was typed after the call started."""

    id: int
    caller_number: str
    caller_flagged: bool
    caller_policy: str


@event_type("call.answered", topic="calls")
class CallAnswered(pydantic.BaseModel):
    id: int
    answered_at: datetime
    taken_by_id: int | None


@event_type("call.ended", topic="calls")
class CallEnded(pydantic.BaseModel):
    id: int
    ended_at: datetime
    answered: bool


@event_type("call.closed", topic="calls")
class CallClosed(pydantic.BaseModel):
    """The call got its outcome: an incident, attached, information, prank, silent, accidental or test."""

    id: int
    outcome: str
    reason: str
    incident_id: int | None
    outcome_at: datetime
    caller_number: str


@event_type("call.position", topic="calls")
class CallPosition(pydantic.BaseModel):
    id: int  # the call
    position_id: int
    lat: float
    lng: float
    accuracy_m: int | None
    source: str


@event_type("caller.flagged", topic="calls")
class CallerFlagged(pydantic.BaseModel):
    number: str
    nuisance_calls: int
    recent_nuisance_calls: int
    policy: str


# --- incidents ----------------------------------------------------------------------------------


@event_type("incident.created", topic="incidents")
class IncidentCreated(pydantic.BaseModel):
    id: int
    number: str
    organization_id: int
    type_code: str
    type_name: str
    category: str
    priority: int
    suggested_priority: int
    status: str
    region_code: str
    lat: float | None
    lng: float | None
    address: str
    created_at: datetime
    call_id: int | None
    referral_ids: list[int]


@event_type("incident.status_changed", topic="incidents")
class IncidentStatusChanged(pydantic.BaseModel):
    id: int
    number: str
    from_status: str
    to_status: str
    note: str
    at: datetime


@event_type("incident.updated", topic="incidents")
class IncidentUpdated(pydantic.BaseModel):
    """Location or priority changed (a better position arrived, a merge raised the priority)."""

    id: int
    number: str
    changed: list[str]
    priority: int
    region_code: str
    lat: float | None
    lng: float | None
    location_source: str


@event_type("incident.call_attached", topic="incidents")
class IncidentCallAttached(pydantic.BaseModel):
    id: int
    number: str
    call_id: int
    calls_count: int


@event_type("incident.merged", topic="incidents")
class IncidentMerged(pydantic.BaseModel):
    id: int  # the source, now "merged"
    number: str
    into_id: int
    into_number: str
    calls_moved: int
    referrals_moved: list[int]
    referrals_cancelled: list[int]


# Referral event types are declared beside the referral services; importing them here registers them at app ready.
from . import referrals  # noqa: E402,F401
