"""Readiness and training event types (topic "readiness") and their payload schemas.

Payloads carry ids, counts and outcomes only: a live readiness board redraws from them and asks the API for
the figures again; no names of people travel on the bus.
"""

from __future__ import annotations

import pydantic

from siaga.core.events import event_type


@event_type("training_module.saved", topic="readiness")
class TrainingModuleSaved(pydantic.BaseModel):
    id: int
    code: str
    title: str
    active: bool
    created: bool


@event_type("training.completed", topic="readiness")
class TrainingCompleted(pydantic.BaseModel):
    """Someone finished a module's quiz (passed or not)."""

    id: int
    module_id: int
    passed: bool
    score_percent: int
    region_code: str
    valid_until: str | None


@event_type("sop_checklist.saved", topic="readiness")
class SopChecklistSaved(pydantic.BaseModel):
    id: int
    disaster_type: str
    title: str
    items: int
    created: bool


@event_type("drill.recorded", topic="readiness")
class DrillRecorded(pydantic.BaseModel):
    id: int
    checklist_id: int
    disaster_type: str
    region_code: str
    held_on: str
    completed_items: int
    total_items: int
