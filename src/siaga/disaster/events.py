"""Disaster response event types and their payload schemas."""

from __future__ import annotations

import pydantic

from siaga.core.events import event_type


class AffectedOut(pydantic.BaseModel):
    code: str
    level: int
    name: str
    share: float
    population_affected: int | None = None


@event_type("warning.received", topic="disaster")
class WarningReceived(pydantic.BaseModel):
    """A warning from a feed or a file (public reference data: no owner, visible by area)."""

    id: int
    source: str
    identifier: str
    sender: str
    sent: str
    msg_type: str
    event: str
    headline: str
    severity: str
    urgency: str
    expires: str | None
    affected: list[AffectedOut]
    affected_total: int


@event_type("warning.notice", topic="disaster")
class WarningNotice(pydantic.BaseModel):
    """Organisations whose areas a warning hits (the event is shared with exactly those organisations)."""

    warning_id: int
    headline: str
    severity: str
    organization_ids: list[int]
    region_codes: list[str]


@event_type("alert.updated", topic="disaster")
class AlertUpdated(pydantic.BaseModel):
    """One of our own CAP alerts was written, approved or published."""

    id: int
    state: str
    identifier: str
    headline: str
    organization_id: int | None
    author_id: int | None
    approved_by_id: int | None


@event_type("feed.dead_letter", topic="disaster")
class FeedDeadLetter(pydantic.BaseModel):
    id: int
    source: str
    kind: str
    reason: str
    error: str


@event_type("disaster_event.created", topic="disaster")
class DisasterEventCreated(pydantic.BaseModel):
    id: int
    name: str
    type: str
    phase: str
    organization_id: int
    participant_ids: list[int]
    region_code: str


@event_type("disaster_event.updated", topic="disaster")
class DisasterEventUpdated(pydantic.BaseModel):
    id: int
    name: str
    phase: str
    changed: list[str]


@event_type("disaster_event.timeline", topic="disaster")
class DisasterEventTimeline(pydantic.BaseModel):
    event_id: int
    entry_id: int
    kind: str
    text: str
    at: str


@event_type("needs_report.recorded", topic="disaster")
class NeedsReportRecorded(pydantic.BaseModel):
    """Displaced and affected figures for one kelurahan of an event (shared with the event's participants)."""

    id: int
    event_id: int
    region_code: str
    displaced: int
    affected: int
    source: str
    reported_at: str
    organization_id: int
