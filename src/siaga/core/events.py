"""Event types with their payload schemas, and emit(): queue an event in the outbox of the current transaction.

The outbox row is written inside the caller's transaction, so an event exists exactly when the
change it announces was committed; the bus is told only after commit (transaction.on_commit).
"""

from __future__ import annotations

from dataclasses import dataclass

import pydantic
from django.db import transaction

from .models import OutboxEvent


@dataclass(frozen=True)
class EventType:
    name: str
    topic: str
    schema: type[pydantic.BaseModel]


EVENT_TYPES: dict[str, EventType] = {}

# Test fixture hook: lists that receive every event emitted (see tests/conftest.py capture_events).
_capture_stack: list[list] = []


def event_type(name: str, topic: str):
    """Class decorator registering a pydantic model as the payload schema of an event type."""

    def register(schema: type[pydantic.BaseModel]):
        if name in EVENT_TYPES and EVENT_TYPES[name].schema is not schema:
            raise ValueError(f"event type {name} registered twice")
        EVENT_TYPES[name] = EventType(name, topic, schema)
        return schema

    return register


def as_message(ev: OutboxEvent) -> dict:
    """The dict carried on the bus and streamed to clients."""
    return {
        "id": ev.pk,
        "type": ev.type,
        "topic": ev.topic,
        "organization_id": ev.organization_id,
        "region_code": ev.region_code,
        "shared_with": list(ev.shared_with or []),
        "payload": ev.payload,
        "created_at": ev.created_at.isoformat() if ev.created_at else None,
    }


def emit(name: str, payload: dict, *, organization=None, region_code: str = "", shared_with=()) -> OutboxEvent:
    """Validate payload against the event type's schema and queue it in the outbox of this transaction."""
    et = EVENT_TYPES.get(name)
    if et is None:
        raise KeyError(f"unknown event type {name}")
    data = et.schema.model_validate(payload).model_dump(mode="json")
    org_id = organization.pk if hasattr(organization, "pk") else organization
    ev = OutboxEvent.objects.create(
        type=name,
        topic=et.topic,
        organization_id=org_id,
        region_code=region_code or "",
        shared_with=sorted({int(x) for x in shared_with}),
        payload=data,
    )
    message = as_message(ev)
    for captured in _capture_stack:
        captured.append(message)

    def publish():
        from .bus import publish_event

        publish_event(ev.pk, message)

    # robust: one failing callback of another service must not keep this event off the bus.
    transaction.on_commit(publish, robust=True)
    return ev


# --- core event types ---------------------------------------------------------------------------


@event_type("organization.created", topic="organizations")
class OrganizationCreated(pydantic.BaseModel):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    region_code: str


@event_type("organization.updated", topic="organizations")
class OrganizationUpdated(pydantic.BaseModel):
    id: int
    code: str
    name: str
    changed: list[str]


@event_type("boundaries.imported", topic="regions")
class BoundariesImported(pydantic.BaseModel):
    source: str
    imported: int
    repaired: list[str]
    level_counts: dict[str, int]
