"""Retention of personal and technical data: what is deleted or blanked after how long.

The periods are settings (SIAGA_RETENTION_DAYS, days; None keeps forever) so each deployment sets
what its regulations and its data-protection officer decide. `purge` runs daily from huey and by
hand as `siaga purge_expired [--dry-run]`. Rules name models by label, so core needs no import of
the capability apps; a rule whose app is not installed is skipped.

Records that are evidence of care (incidents, donations, measurements, vital events) are not
touched here: their retention follows the archives law and is a decision for their owners.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class Rule:
    name: str
    model: str  # "app_label.Model"
    date_field: str
    # Delete the rows, or blank these fields and keep the rest (counts and timings stay for statistics).
    blank: dict = field(default_factory=dict)
    # Only rows matching these filters (e.g. published outbox events).
    only: dict = field(default_factory=dict)


RULES = (
    Rule("unit_positions", "dispatch.PositionReport", "measured_at"),
    Rule("caller_numbers", "callcenter.Call", "started_at", blank={"caller_number": ""}),
    Rule("login_attempts", "core.LoginAttempt", "at"),
    Rule("personal_data_access", "core.PersonalDataAccess", "at"),
    Rule("idempotency_records", "core.IdempotencyRecord", "created_at"),
    Rule("published_events", "core.OutboxEvent", "published_at", only={"published_at__isnull": False}),
)

DEFAULT_DAYS = {
    "unit_positions": 180,
    "caller_numbers": 730,
    "login_attempts": 365,
    "personal_data_access": 730,
    "idempotency_records": 7,
    "published_events": 30,
}


def days() -> dict:
    return {**DEFAULT_DAYS, **(getattr(settings, "SIAGA_RETENTION_DAYS", None) or {})}


def purge(now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """{rule name: rows deleted or blanked}; in batches so a large purge never holds the write lock for long."""
    now = now or timezone.now()
    periods = days()
    done: dict[str, int] = {}
    for rule in RULES:
        keep = periods.get(rule.name)
        if keep is None:
            continue
        try:
            model = apps.get_model(rule.model)
        except LookupError:
            continue
        qs = model.objects.filter(**{f"{rule.date_field}__lt": now - dt.timedelta(days=int(keep))}, **rule.only)
        if rule.blank:
            qs = qs.exclude(**rule.blank)
        if dry_run:
            done[rule.name] = qs.count()
            continue
        total = 0
        while True:
            ids = list(qs.values_list("pk", flat=True)[:5000])
            if not ids:
                break
            with transaction.atomic():
                batch = model.objects.filter(pk__in=ids)
                total += batch.update(**rule.blank) if rule.blank else batch.delete()[1].get(model._meta.label, 0)
        done[rule.name] = total
    return done
