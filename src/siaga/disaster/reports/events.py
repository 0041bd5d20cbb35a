"""Disaster reports: event names and payload schemas (topic "disaster_reports", shared with participants)."""

from __future__ import annotations

import pydantic

from siaga.core.events import event_type


@event_type("field_report.recorded", topic="disaster_reports")
class FieldReportRecorded(pydantic.BaseModel):
    """A field report, or a correction of one (version > 1), was recorded for an area of an event."""

    id: int
    event_id: int
    series: str
    version: int
    region_code: str
    reported_at: str
    source: str
    organization_id: int
    figures: dict[str, int]


@event_type("sitrep.issued", topic="disaster_reports")
class SitrepIssued(pydantic.BaseModel):
    """A numbered situation report (or the final report) was issued and frozen."""

    id: int
    event_id: int
    kind: str
    number: int
    period_start: str
    period_end: str
    totals: dict[str, int]


@event_type("response_activity.recorded", topic="disaster_reports")
class ResponseActivityRecorded(pydantic.BaseModel):
    """A 3W line (who does what where) was added or changed."""

    id: int
    event_id: int
    organization_id: int
    sector: str
    region_code: str
    reached: int
    status: str
    created: bool
