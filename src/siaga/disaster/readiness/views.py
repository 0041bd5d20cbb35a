"""Readiness and training pages (/bencana/kesiapsiagaan/...): readiness per region and border zone, training
modules taken on a phone, SOP checklists with their drills, and the risk map."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.disaster.models import DisasterType
from siaga.geo.models import Region

from . import services
from .compute import GREEN, NONE, RED
from .text import render as render_text


def _default_code(actor) -> str:
    """The actor's own province or kab/kota: its scope, else its organisation's region, cut to level 2."""
    code = actor.scope_code or (actor.organization.region_code if actor.organization else "")
    return ".".join(code.split(".")[:2]) if code else ""


def _choices(actor) -> list[Region]:
    """Provinces and kab/kota inside the actor's area, to pick from."""
    qs = Region.objects.filter(level__in=(1, 2)).order_by("code")
    if actor.scope_code and not actor.is_platform_admin:
        parts = actor.scope_code.split(".")
        if len(parts) == 1:
            qs = qs.filter(Q(code=parts[0]) | Q(code__startswith=parts[0] + "."))
        else:
            qs = qs.filter(code=".".join(parts[:2]))
    return list(qs.only("code", "name", "level"))


@page("disaster.view")
def overview_page(request, actor):
    zones = services.visible_zones(actor)
    zone_code = request.GET.get("zona", "")
    code = request.GET.get("wilayah", "") or ("" if zone_code else _default_code(actor))
    result, error = None, ""
    try:
        if zone_code:
            result = services.readiness_for_zone(actor, zone_code)
        elif code:
            result = services.readiness_for_region(actor, code)
    except ServiceError as exc:
        error = exc.message
    zone_lights = []
    for z in zones:
        r = result if zone_code == z.code else services.readiness_for_zone(actor, z.code)
        zone_lights.append({"zone": z, "status": r["status"]})
    return render(request, "disaster_readiness/overview.html", {
        "result": result, "error": error, "code": code, "zone_code": zone_code, "zones": zone_lights,
        "choices": _choices(actor), "section": "overview", "GREEN": GREEN, "RED": RED, "NONE": NONE})


# --- training -----------------------------------------------------------------------------------------


@page("disaster.view")
def modules_page(request, actor):
    modules = list(services.visible_modules(actor))
    mine = {}
    if actor.has("training.take"):
        for c in services.visible_completions(actor).filter(user_id=actor.user_id).order_by("completed_at"):
            mine[c.module_id] = c  # the latest attempt per module wins
    today = services.local_today(_default_code(actor))
    for m in modules:
        m.latest = mine.get(m.pk)
        m.valid = bool(m.latest and m.latest.passed and m.latest.valid_until and m.latest.valid_until >= today)
    return render(request, "disaster_readiness/modules.html", {"modules": modules, "section": "training",
                                                               "can_take": actor.has("training.take")})


@page("disaster.view")
def module_page(request, actor, module_id: int):
    module = services.get_module(actor, module_id)
    result, error, chosen = None, "", {}
    if request.method == "POST":
        actor.require("training.take")
        answers = []
        for i in range(len(module.quiz)):
            value = request.POST.get(f"q{i}", "")
            answers.append(int(value) if value.isdigit() else -1)
            chosen[i] = answers[-1]
        if any(a < 0 for a in answers):
            error = _("Answer every question (%(n)d) before sending.") % {"n": len(module.quiz)}
        else:
            try:
                result = services.submit_attempt(actor, module.pk, answers)
            except ServiceError as exc:
                error = exc.message
    questions = [{"index": i, "text": q["question"], "name": f"q{i}",
                  "options": [{"value": j, "text": o, "checked": chosen.get(i) == j,
                               "right": result is not None and j == q["answer"]}
                              for j, o in enumerate(q["options"])]}
                 for i, q in enumerate(module.quiz)]
    return render(request, "disaster_readiness/module.html", {
        "module": module, "body": render_text(module.body), "questions": questions, "result": result,
        "error": error, "can_take": actor.has("training.take"), "section": "training"})


# --- SOP checklists and drills ------------------------------------------------------------------------


@page("disaster.view")
def sop_page(request, actor):
    checklists = list(services.visible_checklists(actor).filter(active=True).prefetch_related("items"))
    for c in checklists:
        c.live_items = [i for i in c.items.all() if not i.retired]
    drills = list(services.visible_drills(actor)[:50])
    return render(request, "disaster_readiness/sop.html", {
        "checklists": checklists, "drills": drills, "section": "sop",
        "can_manage": actor.has("disaster.manage")})


@page("disaster.manage")
def drill_new_page(request, actor, checklist_id: int):
    checklist = services.get_checklist(actor, checklist_id)
    items = [i for i in checklist.items.all() if not i.retired]
    form = request.POST if request.method == "POST" else {"region_code": _default_code(actor),
                                                          "held_on": services.local_today().isoformat()}
    ticked = {int(v) for v in request.POST.getlist("items") if v.isdigit()} if request.method == "POST" else set()
    if request.method == "POST":
        try:
            held_on = dt.date.fromisoformat(request.POST.get("held_on", ""))
        except ValueError:
            messages.error(request, _("Give the date of the drill."))
        else:
            participants = request.POST.get("participants", "0") or "0"
            try:
                services.record_drill(actor, checklist_id=checklist.pk, held_on=held_on,
                                      region_code=request.POST.get("region_code", ""),
                                      title=request.POST.get("title", ""), completed_item_ids=sorted(ticked),
                                      participants=int(participants) if participants.isdigit() else -1,
                                      notes=request.POST.get("notes", ""))
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("The drill is recorded."))
                return redirect(reverse("disaster_readiness:sop"))
    return render(request, "disaster_readiness/drill_new.html", {
        "checklist": checklist, "items": items, "form": form, "ticked": ticked, "section": "sop"})


@page("disaster.manage")
def checklist_new_page(request, actor):
    form = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            services.save_checklist(actor, type_code=request.POST.get("type_code", ""),
                                    title=request.POST.get("title", ""), version=request.POST.get("version", ""),
                                    items=request.POST.get("items", "").splitlines())
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The checklist is saved."))
            return redirect(reverse("disaster_readiness:sop"))
    return render(request, "disaster_readiness/checklist_new.html", {
        "form": form, "types": DisasterType.objects.filter(active=True), "section": "sop"})


# --- risk map -----------------------------------------------------------------------------------------


@page("disaster.view")
def map_page(request, actor):
    code = _default_code(actor)
    region = Region.objects.filter(code=code).first() if code else None
    bbox = ""
    if region is not None and region.bbox:
        bbox = ",".join(str(x) for x in region.bbox)
    elif region is not None and region.lat is not None:
        bbox = f"{region.lng - 0.5},{region.lat - 0.5},{region.lng + 0.5},{region.lat + 0.5}"
    return render(request, "disaster_readiness/map.html", {"start_bbox": bbox, "section": "map"})
