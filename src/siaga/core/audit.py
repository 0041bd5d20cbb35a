"""Audit trail: services call these helpers so every create, update and delete records who changed what."""

from __future__ import annotations

import datetime
import decimal
import functools
import json
import logging
import uuid

from django.db import models, transaction

from .models import AuditLog

log = logging.getLogger(__name__)


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


def record_refusal(actor, operation: str, model_label: str, object_id, exc: Exception) -> None:
    """An audit record of a refused write (action "refused"): who tried what, on which record, and why."""
    try:
        AuditLog.objects.create(
            actor=actor.user if getattr(getattr(actor, "user", None), "pk", None) else None,
            organization=getattr(actor, "organization", None), action=AuditLog.Action.REFUSED, model=model_label, object_id=str(object_id if object_id is not None else "-")[:64],
            object_repr=f"{operation} refused"[:200],
            changes={"operation": [None, operation], "code": [None, getattr(exc, "code", "forbidden")],
                     "reason": [None, str(getattr(exc, "message", exc))],
                     "details": [None, json.loads(json.dumps(getattr(exc, "details", None), default=str))]})
    except Exception:  # pragma: no cover - never hide the refusal itself behind an audit failure
        log.exception("could not record refused %s", operation)


def refusable(operation: str, model_label: str, id_arg: str | None = None):
    """Run a write in its own transaction; a refusal rolls it back and leaves an audit record of the attempt."""
    from .errors import ServiceError
    from .permissions import PermissionDenied

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(actor, *args, **kwargs):
            try:
                with transaction.atomic():
                    return fn(actor, *args, **kwargs)
            except (ServiceError, PermissionDenied) as exc:
                obj_id = kwargs.get(id_arg) if id_arg else None
                if obj_id is None and id_arg and args:
                    obj_id = args[0]
                record_refusal(actor, operation, model_label, obj_id, exc)
                raise

        return wrapper

    return decorate
