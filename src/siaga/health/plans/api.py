"""Posyandu problems and plans API (/api/health/plans/...): indicator evidence and suggested problems, problems,
work plans with items and budget lines, activities and innovations."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import services
from .models import Activity, BudgetLine, Indicator, Problem, WorkPlan

router = Router(tags=["health_plans"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
IndicatorIn = Literal[tuple(Indicator.values)]


class EvidenceOut(Schema):
    indicator: str
    value: float | None
    numerator: int
    denominator: int
    rule: Literal["min", "max"]
    target: float
    missed: bool
    enough_data: bool
    period: dt.date


class ProblemIn(Schema):
    title: str = Field(..., max_length=200)
    indicator: IndicatorIn = "other"
    posyandu_id: int | None = None
    region_code: str = Field("", max_length=13, description="a kelurahan, when the problem is not one posyandu's")
    period: dt.date | None = Field(None, description="any day of the month the evidence is computed for")
    description: str = Field("", max_length=4000)
    needs: str = Field("", max_length=4000)
    client_id: str = Field("", max_length=64, description="the client's id for this problem: a retry returns it")


class ProblemOut(Schema):
    id: int
    organization_id: int
    posyandu_id: int | None
    region_code: str
    title: str
    description: str
    needs: str
    indicator: str
    period: dt.date | None
    evidence: dict
    status: str
    created_at: dt.datetime


class HealthPlanStatusIn(Schema):
    status: str = Field(..., max_length=12)


class PlanIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    title: str = Field("", max_length=200)
    posyandu_id: int | None = None
    region_code: str = Field("", max_length=13)


class BudgetLineOut(Schema):
    id: int
    description: str
    quantity: int
    unit: str
    unit_cost_idr: int
    total_idr: int
    source: str


class PlanItemOut(Schema):
    id: int
    problem_id: int | None
    intervention: str
    target: str
    responsible: str
    start_month: int
    end_month: int
    status: str
    budget_lines: list[BudgetLineOut]
    total_idr: int


class PlanOut(Schema):
    id: int
    organization_id: int
    posyandu_id: int | None
    region_code: str
    year: int
    title: str
    status: str
    approved_at: dt.datetime | None
    total_idr: int
    by_source: dict[str, int]


class PlanDetailOut(PlanOut):
    items: list[PlanItemOut]


class ItemIn(Schema):
    intervention: str = Field(..., max_length=300)
    start_month: int = Field(..., ge=1, le=12)
    end_month: int = Field(..., ge=1, le=12)
    problem_id: int | None = None
    target: str = Field("", max_length=200)
    responsible: str = Field("", max_length=200)


class BudgetLineIn(Schema):
    description: str = Field(..., max_length=200)
    quantity: int = Field(..., ge=1, le=1_000_000)
    unit: str = Field("", max_length=40)
    unit_cost_idr: int = Field(..., ge=0, le=10_000_000_000_000)
    source: Literal[tuple(BudgetLine.Source.values)]


class HealthPlanActivityIn(Schema):
    title: str = Field(..., max_length=200)
    held_on: dt.date
    kind: Literal[tuple(Activity.Kind.values)] = "activity"
    posyandu_id: int | None = None
    region_code: str = Field("", max_length=13)
    description: str = Field("", max_length=4000)
    participants: int = Field(0, ge=0, le=1_000_000)
    plan_item_id: int | None = None


class HealthPlanActivityOut(Schema):
    id: int
    organization_id: int
    posyandu_id: int | None
    region_code: str
    plan_item_id: int | None
    kind: str
    title: str
    description: str
    held_on: dt.date
    participants: int


def _plan_out(plan: WorkPlan, detail: bool = False) -> dict:
    money = services.budget(plan)
    out = {"id": plan.pk, "organization_id": plan.organization_id, "posyandu_id": plan.posyandu_id,
           "region_code": plan.region_code, "year": plan.year, "title": plan.title, "status": plan.status,
           "approved_at": plan.approved_at, "total_idr": money["total_idr"], "by_source": money["by_source"]}
    if detail:
        out["items"] = [{
            "id": i.pk, "problem_id": i.problem_id, "intervention": i.intervention, "target": i.target,
            "responsible": i.responsible, "start_month": i.start_month, "end_month": i.end_month, "status": i.status,
            "budget_lines": [{"id": b.pk, "description": b.description, "quantity": b.quantity, "unit": b.unit,
                              "unit_cost_idr": b.unit_cost_idr, "total_idr": b.total_idr, "source": b.source}
                             for b in i.budget_lines.all()],
            "total_idr": money["by_item"].get(i.pk, 0)} for i in plan.items.prefetch_related("budget_lines")]
    return out


@router.get("/evidence", response={200: list[EvidenceOut], **ERRORS},
            summary="Every indicator of a posyandu or kelurahan for a month, against its target")
def get_evidence(request, posyandu_id: int | None = None, region_code: str = Query("", max_length=13),
                 period: dt.date | None = None):
    return list(services.evidence(request.auth, posyandu_id=posyandu_id, region_code=region_code,
                                  period=period).values())


@router.get("/suggestions", response={200: list[EvidenceOut], **ERRORS},
            summary="Indicators missing their target with enough children, not yet an open problem")
def get_suggestions(request, posyandu_id: int | None = None, region_code: str = Query("", max_length=13),
                    period: dt.date | None = None):
    return services.suggest(request.auth, posyandu_id=posyandu_id, region_code=region_code, period=period)


@router.get("/problems", response={200: list[ProblemOut], 403: ErrorOut}, summary="Problems the caller sees")
def list_problems(request, posyandu_id: int | None = None, status: Literal[tuple(Problem.Status.values)] | None = None,
                  limit: int = Query(200, ge=1, le=1000)):
    qs = services.visible_problems(request.auth)
    if posyandu_id:
        qs = qs.filter(posyandu_id=posyandu_id)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:limit])


@router.post("/problems", response={201: ProblemOut, **ERRORS},
             summary="Record a problem; for an indicator its evidence is computed and kept")
def record_problem(request, body: ProblemIn):
    return Status(201, services.record_problem(request.auth, **body.dict()))


@router.get("/problems/{problem_id}", response={200: ProblemOut, **ERRORS}, summary="One problem")
def get_problem(request, problem_id: int):
    return services.get_problem(request.auth, problem_id)


@router.post("/problems/{problem_id}/status", response={200: ProblemOut, **ERRORS}, summary="Move a problem")
def set_problem_status(request, problem_id: int, body: HealthPlanStatusIn):
    return services.set_problem_status(request.auth, problem_id, body.status)


@router.get("/plans", response={200: list[PlanOut], 403: ErrorOut}, summary="Work plans the caller sees")
def list_plans(request, posyandu_id: int | None = None, year: int | None = None):
    qs = services.visible_plans(request.auth)
    if posyandu_id:
        qs = qs.filter(posyandu_id=posyandu_id)
    if year:
        qs = qs.filter(year=year)
    return [_plan_out(p) for p in qs[:500]]


@router.post("/plans", response={201: PlanDetailOut, **ERRORS}, summary="Start a work plan (draft)")
def create_plan(request, body: PlanIn):
    return Status(201, _plan_out(services.create_plan(request.auth, **body.dict()), detail=True))


@router.get("/plans/{plan_id}", response={200: PlanDetailOut, **ERRORS}, summary="A work plan with items and budget")
def get_plan(request, plan_id: int):
    return _plan_out(services.get_plan(request.auth, plan_id), detail=True)


@router.post("/plans/{plan_id}/items", response={201: PlanDetailOut, **ERRORS}, summary="Add an intervention")
def add_item(request, plan_id: int, body: ItemIn):
    services.add_item(request.auth, plan_id, **body.dict())
    return Status(201, _plan_out(services.get_plan(request.auth, plan_id), detail=True))


@router.post("/plans/{plan_id}/approve", response={200: PlanDetailOut, **ERRORS}, summary="Approve a draft plan")
def approve_plan(request, plan_id: int):
    return _plan_out(services.approve_plan(request.auth, plan_id), detail=True)


@router.post("/plans/{plan_id}/close", response={200: PlanDetailOut, **ERRORS}, summary="Close a finished plan")
def close_plan(request, plan_id: int):
    return _plan_out(services.close_plan(request.auth, plan_id), detail=True)


@router.post("/items/{item_id}/status", response={200: PlanDetailOut, **ERRORS}, summary="Move a plan item")
def set_item_status(request, item_id: int, body: HealthPlanStatusIn):
    item = services.set_item_status(request.auth, item_id, body.status)
    return _plan_out(services.get_plan(request.auth, item.plan_id), detail=True)


@router.post("/items/{item_id}/budget-lines", response={201: PlanDetailOut, **ERRORS},
             summary="Add a budget line to a draft plan's item")
def add_budget_line(request, item_id: int, body: BudgetLineIn):
    line = services.add_budget_line(request.auth, item_id, **body.dict())
    return Status(201, _plan_out(services.get_plan(request.auth, line.item.plan_id), detail=True))


@router.get("/activities", url_name="health_plan_list_activities",
            response={200: list[HealthPlanActivityOut], 403: ErrorOut},
            summary="Activities and innovations the caller sees")
def list_activities(request, posyandu_id: int | None = None, kind: Literal[tuple(Activity.Kind.values)] | None = None,
                    limit: int = Query(200, ge=1, le=1000)):
    qs = services.visible_activities(request.auth)
    if posyandu_id:
        qs = qs.filter(posyandu_id=posyandu_id)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs[:limit])


@router.post("/activities", url_name="health_plan_record_activity", response={201: HealthPlanActivityOut, **ERRORS},
             summary="Record an activity or innovation")
def record_activity(request, body: HealthPlanActivityIn):
    return Status(201, services.record_activity(request.auth, **body.dict()))
