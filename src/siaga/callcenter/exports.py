"""CSV and XLSX exports of calls and incidents with their intervals, for evaluation outside Siaga.

Times are written in the call center's zone (the header says which); intervals in seconds. Roles
that may not see calls (leaders) get caller numbers masked and no free-text reasons.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.utils import timezone
from django.utils.translation import gettext as _

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
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): text gets a quote first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def _guard(column: str, value):
    if column in FREE_TEXT and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_value(column: str, value, tz):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.3f}"
    return _guard(column, value)


def header(columns, filters: stats.Filters) -> list[str]:
    """Column names; timestamp columns say their zone, e.g. "started_at (WIB)"."""
    return [f"{c} ({filters.zone})" if c.endswith("_at") else c for c in columns]


def csv_stream(columns, items, filters: stats.Filters):
    """The CSV as an iterator of text chunks (a year of calls need not sit in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(columns, filters))
    yield buffer.getvalue()
    for row in items:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(c, row.get(c), filters.tz) for c in columns])
        yield buffer.getvalue()


def xlsx_bytes(columns, items, filters: stats.Filters, *, dataset: str) -> bytes:
    """An XLSX workbook: the rows on one sheet, the period and definitions on a second."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(dataset)
    bold = Font(bold=True)
    ws.append([_cell(ws, name, font=bold) for name in header(columns, filters)])
    for row in items:
        out = []
        for c in columns:
            value = row.get(c)
            if isinstance(value, dt.datetime):
                # Spreadsheets have no time zones: write the local wall-clock time named in the header.
                cell = WriteOnlyCell(ws, value=value.astimezone(filters.tz).replace(tzinfo=None))
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
            else:
                cell = _cell(ws, _guard(c, value))
            out.append(cell)
        ws.append(out)
    info = wb.create_sheet("info")
    for label, value in [
        ("period", f"{filters.first_day.isoformat()} .. {filters.last_day.isoformat()}"),
        ("time zone", f"{filters.zone} ({filters.tz.key})"),
        ("call center", filters.organization.name if filters.organization else "*"),
        ("generated at", timezone.now().astimezone(filters.tz).replace(tzinfo=None).isoformat(timespec="seconds")),
        ("definitions", (stats.__doc__ or "").strip()),
    ]:
        info.append([_cell(info, label, font=bold), _cell(info, value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(ws, value, font=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    if font is not None:
        cell.font = font
    return cell
