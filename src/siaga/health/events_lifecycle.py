"""Life-cycle service event types (topic "health"): pregnancies, antenatal visits, immunisation, vitamin A, screenings.

Payloads carry ids, dates, codes and flags, never a name or a NIK, so a PWS tile or a due list can redraw
and fetch details through the API the viewer may use.
"""

from __future__ import annotations

import datetime as dt

import pydantic

from siaga.core.events import event_type


@event_type("health.pregnancy_registered", topic="health")
class PregnancyRegistered(pydantic.BaseModel):
    id: int
    person_id: int
    posyandu_id: int
    lmp_date: dt.date
    edd: dt.date
    high_risk: bool
    risk_flags: list[str]


@event_type("health.pregnancy_ended", topic="health")
class PregnancyEnded(pydantic.BaseModel):
    id: int
    person_id: int
    posyandu_id: int
    outcome: str
    ended_on: dt.date


@event_type("health.antenatal_visit_recorded", topic="health")
class AntenatalVisitRecorded(pydantic.BaseModel):
    id: int
    pregnancy_id: int
    person_id: int
    posyandu_id: int
    session_id: int | None
    visit_date: dt.date
    trimester: int
    contact_number: int
    visit_count: int
    k4: bool
    k6: bool
    risk_flags: list[str]
    high_risk: bool
    implausible: bool


@event_type("health.immunisation_recorded", topic="health")
class ImmunisationRecorded(pydantic.BaseModel):
    id: int
    person_id: int
    posyandu_id: int
    session_id: int | None
    vaccine: str
    dose_number: int
    given_on: dt.date
    early: bool
    complete_basic: bool


@event_type("health.vitamin_a_recorded", topic="health")
class VitaminARecorded(pydantic.BaseModel):
    id: int
    person_id: int
    posyandu_id: int
    session_id: int | None
    given_on: dt.date
    capsule: str
    round: str


@event_type("health.screening_recorded", topic="health")
class ScreeningRecorded(pydantic.BaseModel):
    id: int
    person_id: int
    posyandu_id: int
    session_id: int | None
    screened_on: dt.date
    kind: str
    flags: list[str]
    implausible: bool

