"""The year in one page as files: CSV (the figures), XLSX (the figures, then every figure's records on a sheet of
its own, then the definitions) and PDF (fpdf2, the page as printed). All are built from year_report(), so a file
shows exactly the figures the page shows, and the XLSX carries the records each figure counts."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext as _

from siaga.core import tabular
from siaga.core.pdf import PdfDoc

from .figures import BY_KEY, MONTHS, Year

FREE_TEXT = {"label", "organization", "site", "hospital", "event", "warehouse", "incident", "call_sign"}
FIGURE_COLUMNS = ["figure", "section", "label", *[f"m{m:02d}" for m in MONTHS], "year", "records"]


def title(report: dict) -> str:
    org = report["organization"].name if report["organization"] else _("All organisations")
    return _("%(org)s: the year %(year)s") % {"org": org, "year": report["year"]}


def figure_rows(report: dict) -> list[dict]:
    out = []
    for row in report["rows"]:
        fig = row["figure"]
        line = {"figure": fig.key, "section": str(fig.section), "label": str(fig.label), "year": row["year"],
                "records": row["records"]}
        for cell in row["months"]:
            line[f"m{cell['month']:02d}"] = cell["value"]
        out.append(line)
    return out


def info(report: dict) -> list[tuple[str, str]]:
    rows = [(_("Report"), title(report)),
            (_("Times"), _("local time (%(zone)s)") % {"zone": report["zone"]}),
            (_("Generated"), formats.date_format(report["generated_at"], "DATETIME_FORMAT"))]
    rows += [(str(r["figure"].label), str(r["figure"].definition)) for r in report["rows"]]
    rows += [(_("Target for %(priority)s") % {"priority": p}, _("%(n)s minutes") % {"n": m})
             for p, m in report["targets"].items()]
    rows += [(str(f.label), _("Not shown: your role may not read this figure.")) for f in report["withheld"]]
    return rows


def csv_text(report: dict, y: Year) -> str:
    return tabular.csv_text(FIGURE_COLUMNS, figure_rows(report), tz=y.tz, zone=y.zone, free_text=FREE_TEXT)


def record_columns(key: str) -> list[str]:
    return ["id", "month", *[c for c, _label in BY_KEY[key].columns if c != "month"], "value"]


def records_csv(rows: list[dict], key: str, y: Year) -> str:
    return tabular.csv_text(record_columns(key), rows, tz=y.tz, zone=y.zone, free_text=FREE_TEXT)


def xlsx_bytes(report: dict, y: Year) -> bytes:
    sheets = [(str(report["year"]), FIGURE_COLUMNS, figure_rows(report))]
    for row in report["rows"]:  # the very records the figures were computed from
        key = row["figure"].key
        sheets.append((key, record_columns(key), report["records_by_key"][key]))
    return tabular.xlsx_workbook(sheets, tz=y.tz, zone=y.zone, info=info(report), free_text=FREE_TEXT)


def _shown(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return formats.number_format(value, 1)
    return formats.number_format(value, force_grouping=True)


def pdf_bytes(report: dict, y: Year) -> bytes:
    doc = PdfDoc(title(report))
    doc.heading(title(report), 14)
    doc.para(_("Times in %(zone)s. Generated %(when)s.") % {
        "zone": y.zone, "when": formats.date_format(report["generated_at"].astimezone(y.tz), "DATETIME_FORMAT")})
    months = [formats.date_format(dt.date(y.year, m, 1), "M") for m in MONTHS]
    for section in report["sections"]:
        doc.heading(str(section["label"]), 11)
        rows = [[str(r["figure"].label), *[_shown(c["value"]) for c in r["months"]], _shown(r["year"])]
                for r in section["rows"]]
        doc.table([_("Figure"), *months, _("Year")], rows, (52, *([15] * 12), 18), size=7)
    doc.heading(_("Definitions"), 10)
    for label, text in info(report)[3:]:
        doc.para(f"{label}: {text}", 8)
    return doc.output()

