"""Event types with their payload schemas, and emit(): queue an event in the outbox of the current transaction.

The outbox row is written inside the caller's transaction, so an event exists exactly when the
change it announces was committed; the bus is told only after commit (transaction.on_commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pydantic
from django.db import transaction
from django.utils import timezone

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


def publish_transient(name: str, payload: dict, *, organization=None, region_code: str = "", shared_with=()) -> dict:
    """Validate payload and publish it on the bus once the current transaction commits, with no outbox row.

    For high-rate state that the next message supersedes (a unit's live position every few seconds):
    writing an outbox row per message would cost more than the change it announces. Such an event is
    never replayed: it has no outbox id (its "id" is None), a stream sends it without an "id:" line so
    the client's Last-Event-ID stays on the last durable event, and a message lost to a crash, a bus
    outage or a reconnect is simply replaced by the next one. Use emit() for anything that must arrive.
    Returns the message (published only if the transaction commits).
    """
    et = EVENT_TYPES.get(name)
    if et is None:
        raise KeyError(f"unknown event type {name}")
    data = et.schema.model_validate(payload).model_dump(mode="json")
    org_id = organization.pk if hasattr(organization, "pk") else organization
    message = {
        "id": None,
        "type": name,
        "topic": et.topic,
        "organization_id": org_id,
        "region_code": region_code or "",
        "shared_with": sorted({int(x) for x in shared_with}),
        "payload": data,
        "created_at": timezone.now().isoformat(),
        "transient": True,
    }
    for captured in _capture_stack:
        captured.append(message)

    def publish():
        from .bus import publish as bus_publish

        try:
            bus_publish(message)
        except Exception:  # noqa: BLE001 - the write committed; the next message replaces this one
            logging.getLogger(__name__).warning("could not publish transient event %s", name, exc_info=True)

    transaction.on_commit(publish, robust=True)
    return message


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
