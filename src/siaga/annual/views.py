"""/laporan/tahunan/: the year in one page (printable), each figure's records, and the downloads."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.pages import page

from . import exports
from .figures import BY_KEY, MONTHS, aggregate, records_of, year_for, year_report

PAGE_SIZE = 200
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _cell(value, y) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return f"{value.astimezone(y.tz):%d-%m-%Y %H:%M}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (int, float)):
        return formats.number_format(value, 1 if isinstance(value, float) else None)
    return str(value)


def _year(request, actor):
    raw = request.GET.get("tahun")
    year = _int(raw)
    if raw not in (None, "") and year is None:
        raise ServiceError(_("Choose a year between 2000 and this year."), code="invalid_year")
    return year_for(actor, year)


@page("dashboard.view")
def year_page(request, actor):
    try:
        y = _year(request, actor)
        report = year_report(actor, y)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("annual:year")
    return render(request, "annual/year.html", {
        "r": report, "y": y, "months": MONTHS, "years": range(y.year - 4, y.year + 1) if y.year >= 2004 else [y.year],
    })


@page("dashboard.view")
def records_page(request, actor):
    key = request.GET.get("angka", "")
    month = _int(request.GET.get("bulan"))
    try:
        y = _year(request, actor)
        if key not in BY_KEY:
            raise ServiceError(_("Unknown figure."), code="invalid_figure")
        rows = records_of(actor, y, key, month)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("annual:year")
    fig = BY_KEY[key]
    if request.GET.get("format") == "csv":
        response = HttpResponse(exports.records_csv(rows, key, y), content_type="text/csv; charset=utf-8")
        suffix = f"-{month:02d}" if month else ""
        response["Content-Disposition"] = f'attachment; filename="siaga-{y.year}{suffix}-{key}.csv"'
        return response
    paginator = Paginator(rows, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    shown = [{"id": r["id"], "url": r.get("url", ""), "cells": [_cell(r.get(c), y) for c, _label in fig.columns]}
             for r in page_obj]
    return render(request, "annual/records.html", {
        "fig": fig, "y": y, "month": month, "rows": shown, "total": aggregate(fig.kind, rows),
        "count": len(rows), "columns": fig.columns, "page_obj": page_obj,
        "query": urlencode({k: v for k, v in (("tahun", y.year), ("angka", key), ("bulan", month or "")) if v}),
    })


@page("dashboard.view")
def download(request, actor):
    fmt = request.GET.get("format", "")
    try:
        y = _year(request, actor)
        if fmt not in ("csv", "xlsx", "pdf"):
            raise ServiceError(_("Choose CSV, XLSX or PDF."), code="invalid_format")
        report = year_report(actor, y)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("annual:year")
    if fmt == "csv":
        response = HttpResponse(exports.csv_text(report, y), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(exports.xlsx_bytes(report, y), content_type=XLSX)
    else:
        response = HttpResponse(exports.pdf_bytes(report, y), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="siaga-laporan-tahunan-{y.year}.{fmt}"'
    return response
