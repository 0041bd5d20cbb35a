"""CSV and XLSX exports of calls and incidents with their intervals, for evaluation outside Siaga.

Times are written in the call center's zone (the header says which); intervals in seconds. Roles
that may not see calls (leaders) get caller numbers masked and no free-text reasons.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import tabular
from siaga.core.errors import ServiceError

from . import stats

CALL_COLUMNS = [
    "id", "organization", "channel", "caller_number", "started_at", "answered_at", "ended_at", "outcome",
    "outcome_reason", "incident_number", "ring_seconds", "talk_seconds", "answer_to_create_seconds",
]
INCIDENT_COLUMNS = [
    "number", "organization", "type_code", "type_name", "priority", "suggested_priority", "status", "region_code",
    "channel", "created_at", "answered_at", "first_acknowledged_at", "first_committed_at", "closed_at",
    "answer_to_create_seconds", "create_to_dispatch_seconds", "response_seconds", "response_target_seconds",
    "within_target", "referrals_total", "referrals_acknowledged",
]
DATASETS = {"calls": CALL_COLUMNS, "incidents": INCIDENT_COLUMNS}
FREE_TEXT = {"organization", "outcome_reason", "type_name"}


def dataset_of(params) -> str:
    name = (params.get("data") or "calls").strip()
    if name not in DATASETS:
        raise ServiceError(_("Unknown export: %(name)s. Choose calls or incidents.") % {"name": name[:30]},
                           code="invalid_dataset")
    return name


def rows(actor, filters: stats.Filters, dataset: str):
    """(columns, iterator of row dicts) of one dataset, with numbers masked for roles without call.view."""
    actor.require("callcenter.stats")
    if dataset == "calls":
        masked = not actor.has("call.view")

        def calls():
            for row in stats.iter_call_rows(stats.calls_in(actor, filters)):
                if masked:
                    row["caller_number"] = stats.mask_number(row["caller_number"])
                    row["outcome_reason"] = ""
                yield row

        return CALL_COLUMNS, calls()
    incidents = stats.incident_rows(stats.incidents_in(actor, filters))
    return INCIDENT_COLUMNS, iter(incidents)


def filename(dataset: str, filters: stats.Filters, ext: str) -> str:
    return f"siaga-{dataset}-{filters.first_day.isoformat()}_{filters.last_day.isoformat()}.{ext}"


def header(columns, filters: stats.Filters) -> list[str]:
    return tabular.header(columns, filters.zone)


def csv_stream(columns, items, filters: stats.Filters):
    """The CSV as an iterator of text chunks (a year of calls need not sit in memory)."""
    return tabular.csv_stream(columns, items, tz=filters.tz, zone=filters.zone, free_text=FREE_TEXT)


def xlsx_bytes(columns, items, filters: stats.Filters, *, dataset: str) -> bytes:
    """An XLSX workbook: the rows on one sheet, the period and definitions on a second."""
    return tabular.xlsx_bytes(columns, items, tz=filters.tz, zone=filters.zone, sheet=dataset, free_text=FREE_TEXT,
                              info=[
                                  ("period", f"{filters.first_day.isoformat()} .. {filters.last_day.isoformat()}"),
                                  ("time zone", f"{filters.zone} ({filters.tz.key})"),
                                  ("call center", filters.organization.name if filters.organization else "*"),
                                  ("generated at", timezone.now().astimezone(filters.tz).replace(tzinfo=None)
                                   .isoformat(timespec="seconds")),
                                  ("definitions", (stats.__doc__ or "").strip()),
                              ])
