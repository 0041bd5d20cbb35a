"""Community health event types and their payload schemas (topic "health", seen with health.view).

Payloads carry ids, dates and classifications: never a NIK or a name, so a live board can redraw a
row or a dashboard tile and fetch the rest through the API it is allowed to use.
"""

from __future__ import annotations

import datetime as dt

import pydantic

from siaga.core.events import event_type


@event_type("health.posyandu_created", topic="health")
class PosyanduCreated(pydantic.BaseModel):
    id: int
    organization_id: int
    region_code: str


@event_type("health.person_registered", topic="health")
class PersonRegistered(pydantic.BaseModel):
    id: int
    posyandu_id: int
    sex: str
    birth_date: dt.date
    region_code: str


@event_type("health.measurement_recorded", topic="health")
class MeasurementRecorded(pydantic.BaseModel):
    id: int
    person_id: int
    posyandu_id: int
    session_id: int | None
    measured_on: dt.date
    age_days: int
    z_wfa: float | None
    z_lhfa: float | None
    z_wflh: float | None
    z_bmi: float | None
    category_wfa: str
    category_lhfa: str
    category_wflh: str
    implausible: bool
    growth_status: str
    needs_referral: bool


@event_type("health.session_opened", topic="health")
class SessionOpened(pydantic.BaseModel):
    id: int
    posyandu_id: int
    date: dt.date


@event_type("health.attendance_recorded", topic="health")
class AttendanceRecorded(pydantic.BaseModel):
    session_id: int
    person_id: int
    attendance_count: int


@event_type("health.session_closed", topic="health")
class SessionClosed(pydantic.BaseModel):
    id: int
    posyandu_id: int
    date: dt.date
    attendance_count: int
    measurement_count: int


@event_type("health.import_completed", topic="health")
class ImportCompleted(pydantic.BaseModel):
    posyandu_id: int
    mode: str
    rows_total: int
    rows_imported: int
    rows_failed: int
    persons_created: int
    measurements_created: int


# Vital events: owned by the facility, shared with the Dukcapil office that registers them. Payloads carry
# the status and dates, never a name or a NIK.


class _VitalEventPayload(pydantic.BaseModel):
    id: int
    kind: str
    status: str
    facility_id: int
    dukcapil_id: int
    region_code: str


@event_type("health.vital_event_notified", topic="vital_events")
class VitalEventNotified(_VitalEventPayload):
    occurred_on: dt.date


@event_type("health.vital_event_status_changed", topic="vital_events")
class VitalEventStatusChanged(_VitalEventPayload):
    from_status: str
    registration_number: str
