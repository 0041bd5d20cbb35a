"""CSV and XLSX writing shared by every export: local times named in the header, formulas never run.

A cell that starts with a formula character is prefixed with a quote in the columns a user typed (CSV
injection); spreadsheets have no time zones, so times are written as local wall-clock time in the zone
the header names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

# A spreadsheet runs a cell starting with one of these as a formula: free text gets a quote first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def header(columns, zone: str) -> list[str]:
    """Column names; timestamp columns say their zone, e.g. "started_at (WIB)"."""
    return [f"{c} ({zone})" if c.endswith("_at") else c for c in columns]


def guard(column: str, value, free_text: set[str]):
    if column in free_text and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_value(column: str, value, tz: ZoneInfo, free_text: set[str]):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.3f}"
    return guard(column, value, free_text)


def csv_stream(columns, rows, *, tz: ZoneInfo, zone: str, free_text: set[str] = frozenset()):
    """The CSV as an iterator of text chunks (a year of rows need not sit in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(columns, zone))
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_value(c, row.get(c), tz, free_text) for c in columns])
        yield buffer.getvalue()


def csv_text(columns, rows, **kw) -> str:
    return "".join(csv_stream(columns, rows, **kw))


def _cell(ws, value, font=None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    if font is not None:
        cell.font = font
    return cell


def xlsx_bytes(columns, rows, *, tz: ZoneInfo, zone: str, sheet: str, info: list[tuple[str, str]],
               free_text: set[str] = frozenset()) -> bytes:
    """An XLSX workbook: the rows on one sheet, `info` (period, zone, definitions...) on a second."""
    return xlsx_workbook([(sheet, columns, rows)], tz=tz, zone=zone, info=info, free_text=free_text)


def xlsx_workbook(sheets, *, tz: ZoneInfo, zone: str, info: list[tuple[str, str]],
                  free_text: set[str] = frozenset()) -> bytes:
    """An XLSX workbook with one sheet per (name, columns, rows), then `info` on a last sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet, columns, rows in sheets:
        ws = wb.create_sheet(sheet[:31])
        ws.append([_cell(ws, name, font=bold) for name in header(columns, zone)])
        for row in rows:
            out = []
            for c in columns:
                value = row.get(c)
                if isinstance(value, dt.datetime):
                    cell = WriteOnlyCell(ws, value=value.astimezone(tz).replace(tzinfo=None))
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                else:
                    value = guard(c, value, free_text)
                    # A plain value costs far less than a cell object; text that looks like a formula needs one.
                    cell = _cell(ws, value) if isinstance(value, str) and value.startswith("=") else value
                out.append(cell)
            ws.append(out)
    info_ws = wb.create_sheet("info")
    for label, value in info:
        info_ws.append([_cell(info_ws, label, font=bold), _cell(info_ws, value)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
