"""Disaster reports pages (/bencana/laporan/): field reports with an entry form for the field, the sitrep, 3W and
downloads (PDF, XLSX, CSV, HXL 3W)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.disaster import services as disaster_services
from siaga.disaster.models import FigureSource, Phase
from siaga.disaster.views import zone_for

from . import exports, services
from .models import FIGURE_LABELS, FIGURES, ResponseActivity, Sector, SituationReport

CONTENT_TYPES = {"pdf": "application/pdf",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}
BUILDERS = {"pdf": exports.sitrep_pdf, "xlsx": exports.sitrep_xlsx, "csv": exports.sitrep_csv}


def _int(value) -> int | None:
    value = (value or "").strip()
    if value == "":
        return 0
    try:
        return int(value)
    except ValueError:
        return None


def _local_input(value: str, region_code: str) -> dt.datetime | None:
    """A datetime-local form value read in the event's zone (the phone shows local wall-clock time)."""
    if not value:
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ServiceError(_("The time is not valid."), code="invalid_time") from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=zone_for(region_code))


def _file(content, fmt: str, name: str) -> HttpResponse:
    resp = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return resp


@require_GET
@page("disaster.view")
def index(request, actor):
    events = list(disaster_services.visible_events(actor).select_related("type", "organization")
                  .order_by("-started_at")[:100])
    return render(request, "disaster_reports/index.html", {"events": events})


def _report_rows(actor, ev):
    tz = zone_for(ev.region_code)
    rows = list(services.field_reports(actor, ev.pk)[:200])
    for r in rows:
        r.local = timezone.localtime(r.reported_at, tz)
        r.figure_list = [(FIGURE_LABELS[f], getattr(r, f)) for f in FIGURES]
    return rows


@page("disaster.view")
def event_reports(request, actor, event_id: int):
    ev = disaster_services.get_event(actor, event_id)
    can_report = actor.has("disaster.report") and actor.organization is not None
    form = {}
    if request.method == "POST":
        if not can_report:
            actor.require("disaster.report")
        form = request.POST
        figures, bad = {}, []
        for f in FIGURES:
            value = _int(request.POST.get(f))
            if value is None:
                bad.append(str(FIGURE_LABELS[f]))
            figures[f] = value
        try:
            if bad:
                raise ServiceError(_("Enter whole numbers: %(list)s.") % {"list": ", ".join(bad)},
                                   code="invalid_figures")
            report, created = services.create_field_report(
                actor, ev.pk, region_code=request.POST.get("region_code", ""),
                source=request.POST.get("source", ""), source_name=request.POST.get("source_name", ""),
                reported_at=_local_input(request.POST.get("reported_at", ""), ev.region_code),
                figures=figures, notes=request.POST.get("notes", ""),
                client_id=request.POST.get("client_id", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Report saved.") if created else _("This report was already saved."))
            return redirect("disaster_reports:event", event_id=ev.pk)
    ctx = {"ev": ev, "rows": _report_rows(actor, ev), "can_report": can_report, "form": form,
           "figures": [(f, FIGURE_LABELS[f], form.get(f, "")) for f in FIGURES], "sources": FigureSource.choices,
           "client_id": timezone.now().strftime("web-%Y%m%d%H%M%S%f"),
           "areas": services.event_area_codes(ev)}
    if request.GET.get("fragment"):
        return render(request, "disaster_reports/_reports.html", ctx)
    return render(request, "disaster_reports/event.html", ctx)


def _period_from_get(request, ev):
    start = _local_input(request.GET.get("start", ""), ev.region_code)
    end = _local_input(request.GET.get("end", ""), ev.region_code)
    return start, end


def _view_data(data: dict) -> dict:
    """The sitrep dict with local times and rows ready for the template."""
    tz, zone = exports.zone_of(data)
    totals = [{"label": FIGURE_LABELS[f], "total": data["totals"][f], "previous": data["previous_totals"][f],
               "change": data["change"][f], "rule": data["rules"][f]} for f in FIGURES]
    areas = []
    for area in data["areas"]:
        cells = []
        for f in FIGURES:
            fig = area["figures"].get(f)
            cells.append({"value": fig["value"] if fig else None, "source": exports.source_text(fig),
                          "source_code": fig["source"] if fig else ""})
        areas.append({"code": area["region_code"], "name": area["name"], "cells": cells})
    return {"title": exports.title(data), "start": exports._local(data["period"]["start"], tz, zone),
            "end": exports._local(data["period"]["end"], tz, zone), "totals": totals, "areas": areas,
            "figure_labels": [FIGURE_LABELS[f] for f in FIGURES], "rule": exports.rule_text(),
            "timeline": [{**t, "local": exports._local(t["at"], tz, zone)} for t in data.get("timeline") or []]}


@page("disaster.view")
def sitrep_page(request, actor, event_id: int):
    ev = disaster_services.get_event(actor, event_id)
    can_issue = actor.has("disaster.manage") and services._is_lead(actor, ev)
    if request.method == "POST":
        actor.require("disaster.manage")
        try:
            start = _local_input(request.POST.get("start", ""), ev.region_code)
            end = _local_input(request.POST.get("end", ""), ev.region_code)
            sr, _created = services.issue_sitrep(actor, ev.pk, period_start=start, period_end=end,
                                                 final=request.POST.get("final") == "1",
                                                 client_id=request.POST.get("client_id", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(title)s issued.") % {"title": exports.title(sr.data)})
            return redirect("disaster_reports:issued", sitrep_id=sr.pk)
    final = request.GET.get("final") == "1" and ev.phase == Phase.CLOSED
    query = ""
    try:
        start, end = (None, None) if final else _period_from_get(request, ev)
        data = services.compute_sitrep(actor, ev.pk, period_start=start, period_end=end, final=final)
        query = request.GET.urlencode()
    except ServiceError as exc:
        messages.error(request, exc.message)
        data = services.compute_sitrep(actor, ev.pk, final=final)
    issued = list(services.issued_sitreps(actor, ev.pk)[:50])
    return render(request, "disaster_reports/sitrep.html", {
        "ev": ev, "data": data, "v": _view_data(data), "issued": issued, "can_issue": can_issue,
        "closed": ev.phase == Phase.CLOSED, "final": final, "query": query, "frozen": None,
        "client_id": timezone.now().strftime("web-%Y%m%d%H%M%S%f"),
        "final_issued": any(s.kind == SituationReport.Kind.FINAL for s in issued)})


@require_GET
@page("disaster.view")
def sitrep_export(request, actor, event_id: int, fmt: str):
    ev = disaster_services.get_event(actor, event_id)
    final = request.GET.get("final") == "1"
    start, end = (None, None) if final else _period_from_get(request, ev)
    data = services.compute_sitrep(actor, ev.pk, period_start=start, period_end=end, final=final)
    return _file(BUILDERS[fmt](data), fmt, f"{'laporan-akhir' if final else 'sitrep'}-{ev.pk}")


@require_GET
@page("disaster.view")
def issued_page(request, actor, sitrep_id: int):
    sr = services.get_issued_sitrep(actor, sitrep_id)
    ev = disaster_services.get_event(actor, sr.event_id)
    return render(request, "disaster_reports/sitrep.html", {
        "ev": ev, "data": sr.data, "v": _view_data(sr.data), "issued": [], "can_issue": False, "frozen": sr,
        "final": sr.kind == SituationReport.Kind.FINAL})


@require_GET
@page("disaster.view")
def issued_export(request, actor, sitrep_id: int, fmt: str):
    sr = services.get_issued_sitrep(actor, sitrep_id)
    return _file(BUILDERS[fmt](sr.data), fmt, f"sitrep-{sr.event_id}-{sr.number}")


@page("disaster.view")
def activities_page(request, actor, event_id: int):
    ev = disaster_services.get_event(actor, event_id)
    can_record = actor.has("disaster.manage") and actor.organization is not None
    if request.method == "POST":
        actor.require("disaster.manage")
        reached = _int(request.POST.get("reached"))
        try:
            if reached is None:
                raise ServiceError(_("People reached must be a whole number, not negative."),
                                   code="invalid_reached")
            try:
                start = dt.date.fromisoformat(request.POST.get("start_date", ""))
                end = dt.date.fromisoformat(request.POST["end_date"]) if request.POST.get("end_date") else None
            except ValueError:
                raise ServiceError(_("Enter the dates as YYYY-MM-DD."), code="invalid_dates") from None
            services.record_activity(actor, ev.pk, sector=request.POST.get("sector", ""),
                                     activity=request.POST.get("activity", ""),
                                     region_code=request.POST.get("region_code", ""), reached=reached,
                                     start_date=start, end_date=end, status=request.POST.get("status", "ongoing"),
                                     client_id=request.POST.get("client_id", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Activity saved."))
            return redirect("disaster_reports:activities", event_id=ev.pk)
    return render(request, "disaster_reports/activities.html", {
        "ev": ev, "rows": services.activity_rows(actor, ev.pk), "can_record": can_record,
        "sectors": Sector.choices, "statuses": ResponseActivity.Status.choices,
        "today": timezone.localdate().isoformat(), "client_id": timezone.now().strftime("web-%Y%m%d%H%M%S%f"),
        "areas": services.event_area_codes(ev)})


@require_GET
@page("disaster.view")
def activities_hxl(request, actor, event_id: int):
    ev = disaster_services.get_event(actor, event_id)
    resp = HttpResponse(exports.hxl_3w_csv(services.activity_rows(actor, ev.pk)), content_type=CONTENT_TYPES["csv"])
    resp["Content-Disposition"] = f'attachment; filename="3w-hxl-{ev.pk}.csv"'
    return resp

