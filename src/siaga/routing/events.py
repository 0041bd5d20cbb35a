"""Event types of road closures (topic "roads"): operators' maps and dispatch follow them live."""

from __future__ import annotations

from datetime import datetime

import pydantic

from siaga.core.events import emit, event_type


@event_type("road.closure_created", topic="roads")
class ClosureCreated(pydantic.BaseModel):
    id: int
    network_id: int
    kind: str
    reason: str
    starts_at: datetime
    ends_at: datetime | None


@event_type("road.closure_lifted", topic="roads")
class ClosureLifted(pydantic.BaseModel):
    id: int
    network_id: int
    kind: str
    reason: str
    starts_at: datetime
    ends_at: datetime | None


def emit_closure(name: str, closure) -> None:
    emit(name, {"id": closure.pk, "network_id": closure.network_id, "kind": closure.kind, "reason": closure.reason,
                "starts_at": closure.starts_at, "ends_at": closure.ends_at},
         organization=closure.organization_id, region_code=closure.region_code)
