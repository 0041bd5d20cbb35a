"""Audit trail: services call these helpers so every create, update and delete records who changed what."""

from __future__ import annotations

import datetime
import decimal
import uuid

from django.db import models

from .models import AuditLog


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "<binary>"
    return value


def snapshot(obj: models.Model) -> dict:
    """The concrete field values of a row, JSON-ready (foreign keys as ids)."""
    out = {}
    for f in obj._meta.concrete_fields:
        out[f.attname] = _plain(getattr(obj, f.attname))
    return out


def diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def record(actor, action: str, obj: models.Model, changes: dict) -> AuditLog:
    org = getattr(actor, "organization", None)
    user = getattr(actor, "user", None)
    return AuditLog.objects.create(
        actor=user if getattr(user, "pk", None) else None,
        organization=org,
        action=action,
        model=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=changes,
    )


def created(actor, obj: models.Model) -> AuditLog:
    snap = snapshot(obj)
    return record(actor, AuditLog.Action.CREATE, obj, {k: [None, v] for k, v in snap.items() if v not in (None, "")})


def updated(actor, obj: models.Model, before: dict) -> AuditLog | None:
    changes = diff(before, snapshot(obj))
    changes.pop("updated_at", None)
    if not changes:
        return None
    return record(actor, AuditLog.Action.UPDATE, obj, changes)


def deleted(actor, obj: models.Model, before: dict) -> AuditLog:
    return record(actor, AuditLog.Action.DELETE, obj, {k: [v, None] for k, v in before.items() if v not in (None, "")})


def history(obj: models.Model):
    """Audit records of one row, newest first."""
    return AuditLog.objects.filter(model=obj._meta.label_lower, object_id=str(obj.pk)).select_related("actor", "organization")
