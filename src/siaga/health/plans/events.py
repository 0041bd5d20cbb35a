"""Posyandu problems and plans: event names and payload schemas (topic "health_plans", seen with health.view).

Payloads carry ids, codes and statuses only; pages re-read what the viewer may see.
"""

from __future__ import annotations

import pydantic

from siaga.core.events import event_type


@event_type("health.problem_recorded", topic="health_plans")
class ProblemRecorded(pydantic.BaseModel):
    id: int
    region_code: str
    indicator: str
    status: str


@event_type("health.problem_changed", topic="health_plans")
class ProblemChanged(ProblemRecorded):
    pass


@event_type("health.plan_changed", topic="health_plans")
class PlanChanged(pydantic.BaseModel):
    id: int
    region_code: str
    status: str


@event_type("health.activity_recorded", topic="health_plans")
class ActivityRecorded(pydantic.BaseModel):
    id: int
    region_code: str
    kind: str
