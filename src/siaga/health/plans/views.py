"""Posyandu problems and plans pages (/posyandu/rencana/...): the indicators of a posyandu against their targets,
its problems, work plans with budget, and activities. Plain forms that post and redirect."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.health import services as health_services

from . import services
from .models import Activity, BudgetLine, Indicator, PlanItem, Problem

INDICATOR_LABELS = dict(Indicator.choices)


def _int(value, default=None):
    try:
        return int(str(value).strip().replace(".", ""))
    except (TypeError, ValueError):
        return default


def _month(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None


@page("health.view")
def index(request, actor):
    posyandu = list(health_services.visible_posyandu(actor).order_by("region_code", "name"))
    if len(posyandu) == 1:
        return redirect("health_plans:posyandu", posyandu_id=posyandu[0].pk)
    return render(request, "health_plans/index.html", {"posyandu": posyandu})


@page("health.view")
def posyandu_page(request, actor, posyandu_id: int):
    p = health_services.get_posyandu(actor, posyandu_id)
    today = health_services.today_local(p.region_code)
    month = _month(request.GET.get("bulan", "")) or today.replace(day=1)
    try:
        evidence = services.evidence(actor, posyandu_id=p.pk, period=month)
    except ServiceError as exc:
        messages.error(request, exc.message)
        month = today.replace(day=1)
        evidence = services.evidence(actor, posyandu_id=p.pk, period=month)
    open_indicators = set(services.visible_problems(actor).filter(
        posyandu=p, status__in=(Problem.Status.OPEN, Problem.Status.PLANNED)).values_list("indicator", flat=True))
    rows = [{**e, "label": INDICATOR_LABELS[name], "already": name in open_indicators} for name, e in evidence.items()]
    return render(request, "health_plans/posyandu.html", {
        "p": p, "month": month, "rows": rows, "can_plan": actor.has("health.plan"),
        "problems": services.visible_problems(actor).filter(posyandu=p),
        "plans": [(plan, services.budget(plan)) for plan in services.visible_plans(actor).filter(posyandu=p)],
        "activities": services.visible_activities(actor).filter(posyandu=p)[:50],
        "indicators": Indicator.choices, "problem_statuses": Problem.Status.choices,
        "kinds": Activity.Kind.choices, "this_year": month.year,
        "today": today,
    })


@page("health.plan")
def posyandu_post(request, actor, posyandu_id: int):
    if request.method != "POST":
        return redirect("health_plans:posyandu", posyandu_id=posyandu_id)
    action, post = request.POST.get("action", ""), request.POST
    try:
        if action == "problem":
            services.record_problem(actor, posyandu_id=posyandu_id, title=post.get("title", ""),
                                    indicator=post.get("indicator", "other"), period=_month(post.get("period", "")),
                                    description=post.get("description", ""), needs=post.get("needs", ""),
                                    client_id=post.get("client_id", ""))
            messages.success(request, _("Problem recorded."))
        elif action == "problem_status":
            services.set_problem_status(actor, _int(post.get("problem_id"), 0), post.get("status", ""))
            messages.success(request, _("Saved."))
        elif action == "plan":
            plan = services.create_plan(actor, posyandu_id=posyandu_id, year=_int(post.get("year"), 0),
                                        title=post.get("title", ""))
            return redirect("health_plans:plan", plan_id=plan.pk)
        elif action == "activity":
            held_on = dt.date.fromisoformat(post.get("held_on", "")) if post.get("held_on") else None
            services.record_activity(actor, posyandu_id=posyandu_id, title=post.get("title", ""), held_on=held_on,
                                     kind=post.get("kind", "activity"), description=post.get("description", ""),
                                     participants=_int(post.get("participants"), 0))
            messages.success(request, _("Activity recorded."))
    except ValueError:
        messages.error(request, _("Type the date as shown, e.g. 2026-11-25."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("health_plans:posyandu", posyandu_id=posyandu_id)


@page("health.view")
def plan_page(request, actor, plan_id: int):
    plan = services.get_plan(actor, plan_id)
    if request.method == "POST":
        actor.require("health.plan")
        post, action = request.POST, request.POST.get("action", "")
        try:
            if action == "item":
                services.add_item(actor, plan.pk, intervention=post.get("intervention", ""),
                                  start_month=_int(post.get("start_month"), 0), end_month=_int(post.get("end_month"), 0),
                                  problem_id=_int(post.get("problem_id")), target=post.get("target", ""),
                                  responsible=post.get("responsible", ""))
            elif action == "budget":
                services.add_budget_line(actor, _int(post.get("item_id"), 0), description=post.get("description", ""),
                                         quantity=_int(post.get("quantity"), 0), unit=post.get("unit", ""),
                                         unit_cost_idr=_int(post.get("unit_cost_idr"), -1),
                                         source=post.get("source", ""))
            elif action == "item_status":
                services.set_item_status(actor, _int(post.get("item_id"), 0), post.get("status", ""))
            elif action == "approve":
                services.approve_plan(actor, plan.pk)
            elif action == "close":
                services.close_plan(actor, plan.pk)
            messages.success(request, _("Saved."))
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("health_plans:plan", plan_id=plan.pk)
    money = services.budget(plan)
    items = [(i, money["by_item"].get(i.pk, 0)) for i in plan.items.select_related("problem").prefetch_related(
        "budget_lines")]
    return render(request, "health_plans/plan.html", {
        "plan": plan, "items": items, "money": money, "can_plan": actor.has("health.plan"),
        "sources": BudgetLine.Source.choices, "source_labels": dict(BudgetLine.Source.choices),
        "item_statuses": PlanItem.Status.choices, "months": range(1, 13),
        "problems": services.visible_problems(actor).filter(region_code=plan.region_code,
                                                            status__in=(Problem.Status.OPEN, Problem.Status.PLANNED)),
    })
