"""Volunteers: event names and payload schemas (topic "volunteers", permission volunteer.view).

Payloads carry what a live roster needs to redraw one row; never a NIK (not even masked), never a
phone number: a board that needs more fetches the record through the API, which checks access.
"""

from __future__ import annotations

from datetime import datetime

import pydantic

from siaga.core.events import event_type


@event_type("volunteer.registered", topic="volunteers")
class VolunteerRegistered(pydantic.BaseModel):
    id: int
    organization_id: int
    region_code: str
    name: str
    status: str
    skills: list[str]  # skill codes
    match_candidates: int  # merge-review candidates this registration opened


@event_type("volunteer.updated", topic="volunteers")
class VolunteerUpdated(pydantic.BaseModel):
    id: int
    changed: list[str]  # field names


@event_type("volunteer.status_changed", topic="volunteers")
class VolunteerStatusChanged(pydantic.BaseModel):
    id: int
    organization_id: int
    region_code: str
    name: str
    old_status: str
    status: str
    status_changed_at: datetime
    reason: str
    # True when another service changed it on an action it authorised itself (team assignment...).
    system: bool


@event_type("volunteer.certificate_changed", topic="volunteers")
class VolunteerCertificateChanged(pydantic.BaseModel):
    volunteer_id: int
    certificate_id: int
    action: str  # created | updated | deleted
    skill: str  # skill code or ""
    expires_on: str | None


@event_type("volunteer.match_opened", topic="volunteers")
class VolunteerMatchOpened(pydantic.BaseModel):
    id: int
    volunteer_id: int
    other_id: int
    score: int
    reasons: list[str]


@event_type("volunteer.match_decided", topic="volunteers")
class VolunteerMatchDecided(pydantic.BaseModel):
    id: int
    status: str  # merged | dismissed
    kept_id: int | None
    merged_id: int | None
