"""Write path of posyandu problems and plans: problems with evidence computed from the indicators, work plans with
items and budget lines, activities and innovations.

The evidence of a problem is never typed in: `suggest` computes each indicator of a posyandu (or of a
kelurahan) for a month from the records and compares it with the targets below; `record_problem`
recomputes it for the indicator named, so what a plan answers can be checked against data later. A
kader plans for their own posyandu; a puskesmas health worker for any posyandu or kelurahan below it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog
from siaga.core.permissions import Actor
from siaga.health import indicators
from siaga.health import services as health_services
from siaga.health.models import Posyandu

from .models import Activity, BudgetLine, Indicator, PlanItem, Problem, WorkPlan

# Targets a posyandu compares itself with, per indicator: ("min", x) means at least x, ("max", x) at most x.
# Stunting 14% and wasting 7% are the RPJMN 2020-2024 national targets; the participation (D/S) and
# growth (N/D) targets of 80% are the defaults many puskesmas use for posyandu. Override per deployment
# with SIAGA_POSYANDU_TARGETS = {"d_s": ["min", 0.85], ...}.
DEFAULT_TARGETS: dict[str, tuple[str, float]] = {
    "d_s": ("min", 0.80),
    "n_d": ("min", 0.80),
    "stunting": ("max", 0.14),
    "wasting": ("max", 0.07),
    "underweight": ("max", 0.10),
    "overweight": ("max", 0.05),
}
# Numerator and denominator of each rate, as named in indicators.MonthIndicators.
PARTS = {"d_s": ("d", "s"), "n_d": ("n", "d"), "stunting": ("stunted", "measured_length"),
         "wasting": ("wasted", "measured_wflh"), "underweight": ("underweight", "measured_weight"),
         "overweight": ("overweight", "measured_wflh")}
# Below this many children in the denominator a rate says little: it is shown but not suggested as a problem.
MIN_DENOMINATOR = 5


def targets() -> dict[str, tuple[str, float]]:
    over = getattr(settings, "SIAGA_POSYANDU_TARGETS", None) or {}
    return {**DEFAULT_TARGETS, **{k: (v[0], float(v[1])) for k, v in over.items()}}


def _user(actor: Actor):
    u = actor.user
    return u if getattr(u, "pk", None) else None


def _created(actor: Actor, obj) -> None:
    audit.record(actor, AuditLog.Action.CREATE, obj,
                 {k: [None, v] for k, v in audit.snapshot(obj).items() if v not in (None, "", {}, [])})


def _updated(actor: Actor, obj, before: dict) -> None:
    changes = audit.diff(before, audit.snapshot(obj))
    changes.pop("updated_at", None)
    if changes:
        audit.record(actor, AuditLog.Action.UPDATE, obj, changes)


def _emit(name: str, obj, **payload) -> None:
    emit(name, {"id": obj.pk, "region_code": obj.region_code, **payload}, organization=obj.organization_id,
         region_code=obj.region_code)


# --- where a plan belongs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A posyandu, or a whole kelurahan planned by the puskesmas above it."""

    organization_id: int
    region_code: str
    posyandu: Posyandu | None


def _place(actor: Actor, *, posyandu_id: int | None = None, region_code: str = "", write: bool = False) -> Place:
    actor.require("health.plan" if write else "health.view")
    if posyandu_id:
        p = health_services.get_posyandu(actor, posyandu_id)
        return Place(p.organization_id, p.region_code, p)
    code = (region_code or "").strip()
    if len(code.split(".")) != 4:
        raise ServiceError(_("Choose a posyandu or a kelurahan."), code="place_required",
                           details={"field": "posyandu_id"})
    if not health_services.visible_posyandu(actor).filter(region_code=code).exists():
        raise NotFound(_("No posyandu of yours in this kelurahan."))
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to plan for a kelurahan."), code="no_organization")
    actor.require_region(code)
    return Place(actor.organization.pk, code, None)


def _month(value: dt.date | None, region_code: str) -> dt.date:
    """The first day of the month asked for, or of this month where the place is; a future month is refused."""
    month = (value or health_services.today_local(region_code)).replace(day=1)
    if month > health_services.latest_allowed_date():
        raise ServiceError(_("This month has not started yet."), code="future_date", details={"field": "period"})
    return month


# --- evidence -----------------------------------------------------------------------------------------


def evidence(actor: Actor, *, posyandu_id: int | None = None, region_code: str = "",
             period: dt.date | None = None) -> dict[str, dict]:
    """Every indicator of the place for the month, with its numbers and how it compares with its target."""
    place = _place(actor, posyandu_id=posyandu_id, region_code=region_code)
    month = _month(period, place.region_code)
    persons = health_services.visible_persons(actor)
    measurements = health_services.visible_measurements(actor)
    if place.posyandu is not None:
        persons, measurements = persons.filter(posyandu=place.posyandu), measurements.filter(person__posyandu=place.posyandu)
    else:
        persons = persons.filter(region_code=place.region_code)
        measurements = measurements.filter(person__region_code=place.region_code)
    parts = indicators.monthly(persons, measurements, month.year, month.month, by="kelurahan")
    ind = indicators.total(parts)
    out = {}
    for name, (rule, target) in targets().items():
        num_name, den_name = PARTS[name]
        num, den = getattr(ind, num_name), getattr(ind, den_name)
        value = ind.rates.get(name)
        missed = value is not None and (value < target if rule == "min" else value > target)
        out[name] = {"indicator": name, "value": value, "numerator": num, "denominator": den, "rule": rule,
                     "target": target, "missed": missed, "enough_data": den >= MIN_DENOMINATOR,
                     "period": month.isoformat()}
    return out


def suggest(actor: Actor, *, posyandu_id: int | None = None, region_code: str = "",
            period: dt.date | None = None) -> list[dict]:
    """Indicators that miss their target with enough children to say so, and not already an open problem."""
    found = evidence(actor, posyandu_id=posyandu_id, region_code=region_code, period=period)
    place = _place(actor, posyandu_id=posyandu_id, region_code=region_code)
    open_ones = set(visible_problems(actor).filter(
        posyandu=place.posyandu, region_code=place.region_code,
        status__in=(Problem.Status.OPEN, Problem.Status.PLANNED)).values_list("indicator", flat=True))
    return [e for name, e in found.items() if e["missed"] and e["enough_data"] and name not in open_ones]


# --- problems ---------------------------------------------------------------------------------------


def visible_problems(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Problem.objects.all()).select_related("posyandu")


def get_problem(actor: Actor, problem_id: int) -> Problem:
    p = visible_problems(actor).filter(pk=problem_id).first()
    if p is None:
        raise NotFound(_("Problem not found."))
    return p


@transaction.atomic
def record_problem(actor: Actor, *, title: str, indicator: str = Indicator.OTHER, posyandu_id: int | None = None,
                   region_code: str = "", period: dt.date | None = None, description: str = "", needs: str = "",
                   client_id: str = "") -> Problem:
    """A problem of a posyandu or kelurahan; for an indicator, its evidence is computed now and kept."""
    place = _place(actor, posyandu_id=posyandu_id, region_code=region_code, write=True)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Name the problem."), code="required", details={"field": "title"})
    if indicator not in Indicator.values:
        raise ServiceError(_("Unknown indicator."), code="invalid_indicator", details={"field": "indicator"})
    client_id = (client_id or "")[:64]
    if client_id:
        existing = Problem.objects.filter(organization_id=place.organization_id, client_id=client_id).first()
        if existing is not None:
            return existing  # a retry of a problem already recorded
    proof, month = {}, None
    if indicator != Indicator.OTHER:
        month = _month(period, place.region_code)
        proof = evidence(actor, posyandu_id=posyandu_id, region_code=region_code, period=month)[indicator]
    elif not description.strip():
        raise ServiceError(_("Describe the problem when it is not one of the indicators."), code="required",
                           details={"field": "description"})
    try:
        with transaction.atomic():
            p = Problem.objects.create(organization_id=place.organization_id, posyandu=place.posyandu,
                                       region_code=place.region_code, title=title[:200], indicator=indicator,
                                       period=month, evidence=proof, description=description.strip(),
                                       needs=needs.strip(), client_id=client_id, created_by=_user(actor))
    except IntegrityError:
        return Problem.objects.get(organization_id=place.organization_id, client_id=client_id)
    _created(actor, p)
    _emit("health.problem_recorded", p, indicator=p.indicator, status=p.status)
    return p


PROBLEM_MOVES = {
    Problem.Status.OPEN: {Problem.Status.PLANNED, Problem.Status.RESOLVED, Problem.Status.DROPPED},
    Problem.Status.PLANNED: {Problem.Status.OPEN, Problem.Status.RESOLVED, Problem.Status.DROPPED},
    Problem.Status.RESOLVED: {Problem.Status.OPEN},
    Problem.Status.DROPPED: {Problem.Status.OPEN},
}


@transaction.atomic
def set_problem_status(actor: Actor, problem_id: int, status: str) -> Problem:
    actor.require("health.plan")
    p = get_problem(actor, problem_id)
    p = Problem.objects.select_for_update().get(pk=p.pk)
    if status == p.status:
        return p
    if status not in PROBLEM_MOVES.get(p.status, set()):
        raise Conflict(_("A problem that is %(from)s cannot become %(to)s.")
                       % {"from": Problem.Status(p.status).label, "to": status}, code="invalid_transition")
    before = audit.snapshot(p)
    p.status = status
    p.save(update_fields=["status", "updated_at"])
    _updated(actor, p, before)
    _emit("health.problem_changed", p, indicator=p.indicator, status=p.status)
    return p


# --- work plans -------------------------------------------------------------------------------------


def visible_plans(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(WorkPlan.objects.all()).select_related("posyandu")


def get_plan(actor: Actor, plan_id: int) -> WorkPlan:
    plan = visible_plans(actor).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("Work plan not found."))
    return plan


def _plan_for_write(actor: Actor, plan_id: int, *, editable: bool = True) -> WorkPlan:
    actor.require("health.plan")
    plan = WorkPlan.objects.select_for_update().get(pk=get_plan(actor, plan_id).pk)
    if editable and plan.status == WorkPlan.Status.DONE:
        raise Conflict(_("This work plan is done: it can no longer change."), code="plan_done")
    return plan


@transaction.atomic
def create_plan(actor: Actor, *, year: int, title: str, posyandu_id: int | None = None,
                region_code: str = "") -> WorkPlan:
    place = _place(actor, posyandu_id=posyandu_id, region_code=region_code, write=True)
    this_year = health_services.today_local(place.region_code).year
    if not this_year - 1 <= int(year) <= this_year + 1:
        raise ServiceError(_("Plan for last year, this year or next year."), code="invalid_year",
                           details={"field": "year"})
    title = (title or "").strip() or _("Posyandu work plan %(year)s") % {"year": year}
    plan = WorkPlan.objects.create(organization_id=place.organization_id, posyandu=place.posyandu,
                                   region_code=place.region_code, year=int(year), title=title[:200],
                                   created_by=_user(actor))
    _created(actor, plan)
    _emit("health.plan_changed", plan, status=plan.status)
    return plan


def _problem_for_plan(actor: Actor, plan: WorkPlan, problem_id: int | None) -> Problem | None:
    if not problem_id:
        return None
    problem = get_problem(actor, problem_id)
    if problem.region_code != plan.region_code:
        raise ServiceError(_("This problem belongs to another kelurahan."), code="problem_elsewhere",
                           details={"field": "problem_id"})
    return problem


@transaction.atomic
def add_item(actor: Actor, plan_id: int, *, intervention: str, start_month: int, end_month: int,
             problem_id: int | None = None, target: str = "", responsible: str = "") -> PlanItem:
    plan = _plan_for_write(actor, plan_id)
    intervention = (intervention or "").strip()
    if not intervention:
        raise ServiceError(_("Describe the intervention."), code="required", details={"field": "intervention"})
    if not (1 <= start_month <= 12 and 1 <= end_month <= 12) or end_month < start_month:
        raise ServiceError(_("Months run from 1 to 12, and the end is not before the start."), code="invalid_months",
                           details={"field": "end_month"})
    problem = _problem_for_plan(actor, plan, problem_id)
    item = PlanItem.objects.create(plan=plan, problem=problem, intervention=intervention[:300], target=target[:200],
                                   responsible=responsible[:200], start_month=start_month, end_month=end_month)
    if problem is not None and problem.status == Problem.Status.OPEN:
        before = audit.snapshot(problem)
        problem.status = Problem.Status.PLANNED
        problem.save(update_fields=["status", "updated_at"])
        _updated(actor, problem, before)
    _created(actor, item)
    _emit("health.plan_changed", plan, status=plan.status)
    return item


ITEM_MOVES = {
    PlanItem.Status.PLANNED: {PlanItem.Status.IN_PROGRESS, PlanItem.Status.CANCELLED, PlanItem.Status.DONE},
    PlanItem.Status.IN_PROGRESS: {PlanItem.Status.DONE, PlanItem.Status.CANCELLED},
    PlanItem.Status.DONE: {PlanItem.Status.IN_PROGRESS},
    PlanItem.Status.CANCELLED: {PlanItem.Status.PLANNED},
}


@transaction.atomic
def set_item_status(actor: Actor, item_id: int, status: str) -> PlanItem:
    item = PlanItem.objects.filter(pk=item_id, plan__in=visible_plans(actor)).first()
    if item is None:
        raise NotFound(_("Plan item not found."))
    plan = _plan_for_write(actor, item.plan_id)
    item = PlanItem.objects.select_for_update().get(pk=item.pk)
    if status == item.status:
        return item
    if status not in ITEM_MOVES.get(item.status, set()):
        raise Conflict(_("A plan item that is %(from)s cannot become %(to)s.")
                       % {"from": PlanItem.Status(item.status).label, "to": status}, code="invalid_transition")
    if plan.status == WorkPlan.Status.DRAFT and status != PlanItem.Status.CANCELLED:
        raise Conflict(_("Approve the work plan before its items start."), code="plan_not_approved")
    before = audit.snapshot(item)
    item.status = status
    item.save(update_fields=["status", "updated_at"])
    _updated(actor, item, before)
    if status != PlanItem.Status.CANCELLED and plan.status == WorkPlan.Status.APPROVED:
        plan.status = WorkPlan.Status.RUNNING
        plan.save(update_fields=["status", "updated_at"])
    _emit("health.plan_changed", plan, status=plan.status)
    return item


@transaction.atomic
def add_budget_line(actor: Actor, item_id: int, *, description: str, quantity: int, unit_cost_idr: int,
                    source: str, unit: str = "") -> BudgetLine:
    item = PlanItem.objects.filter(pk=item_id, plan__in=visible_plans(actor)).first()
    if item is None:
        raise NotFound(_("Plan item not found."))
    plan = _plan_for_write(actor, item.plan_id)
    if plan.status != WorkPlan.Status.DRAFT:
        raise Conflict(_("The budget of an approved plan is fixed: make a new item for new costs."),
                       code="plan_approved")
    description = (description or "").strip()
    if not description:
        raise ServiceError(_("Describe the budget line."), code="required", details={"field": "description"})
    if quantity is None or quantity <= 0 or unit_cost_idr is None or unit_cost_idr < 0:
        raise ServiceError(_("Quantity must be at least 1 and the unit cost cannot be negative."),
                           code="invalid_amount", details={"field": "quantity"})
    if unit_cost_idr > 10_000_000_000:
        raise ServiceError(_("A unit cost above Rp 10 billion is not a posyandu cost: check the number."),
                           code="invalid_amount", details={"field": "unit_cost_idr"})
    if source not in BudgetLine.Source.values:
        raise ServiceError(_("Unknown source of funds."), code="invalid_source", details={"field": "source"})
    line = BudgetLine.objects.create(item=item, description=description[:200], quantity=quantity, unit=unit[:40],
                                     unit_cost_idr=unit_cost_idr, source=source)
    _created(actor, line)
    _emit("health.plan_changed", plan, status=plan.status)
    return line


@transaction.atomic
def approve_plan(actor: Actor, plan_id: int) -> WorkPlan:
    """A draft with at least one item becomes approved; its budget is then fixed."""
    plan = _plan_for_write(actor, plan_id)
    if plan.status != WorkPlan.Status.DRAFT:
        return plan if plan.status == WorkPlan.Status.APPROVED else _refuse_approval(plan)
    if not plan.items.exists():
        raise Conflict(_("A work plan needs at least one item before approval."), code="plan_empty")
    before = audit.snapshot(plan)
    plan.status = WorkPlan.Status.APPROVED
    plan.approved_by = _user(actor)
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    _updated(actor, plan, before)
    _emit("health.plan_changed", plan, status=plan.status)
    return plan


def _refuse_approval(plan: WorkPlan):
    raise Conflict(_("A work plan that is %(status)s cannot be approved again.")
                   % {"status": WorkPlan.Status(plan.status).label}, code="invalid_transition")


@transaction.atomic
def close_plan(actor: Actor, plan_id: int) -> WorkPlan:
    """Done when no item is still planned or in progress."""
    plan = _plan_for_write(actor, plan_id, editable=False)
    if plan.status == WorkPlan.Status.DONE:
        return plan
    if plan.status == WorkPlan.Status.DRAFT:
        raise Conflict(_("Approve the work plan before closing it."), code="plan_not_approved")
    if plan.items.filter(status__in=(PlanItem.Status.PLANNED, PlanItem.Status.IN_PROGRESS)).exists():
        raise Conflict(_("Some items are still planned or in progress: finish or cancel them first."),
                       code="items_open")
    before = audit.snapshot(plan)
    plan.status = WorkPlan.Status.DONE
    plan.save(update_fields=["status", "updated_at"])
    _updated(actor, plan, before)
    _emit("health.plan_changed", plan, status=plan.status)
    return plan


def budget(plan: WorkPlan) -> dict:
    """Totals of a plan in rupiah: overall, per source of funds and per item."""
    lines = list(BudgetLine.objects.filter(item__plan=plan))
    by_source: dict[str, int] = {}
    by_item: dict[int, int] = {}
    for line in lines:
        by_source[line.source] = by_source.get(line.source, 0) + line.total_idr
        by_item[line.item_id] = by_item.get(line.item_id, 0) + line.total_idr
    return {"total_idr": sum(by_source.values()), "by_source": by_source, "by_item": by_item}


# --- activities and innovations --------------------------------------------------------------------


def visible_activities(actor: Actor) -> QuerySet:
    actor.require("health.view")
    return actor.scope_queryset(Activity.objects.all()).select_related("posyandu")


@transaction.atomic
def record_activity(actor: Actor, *, title: str, held_on: dt.date, kind: str = Activity.Kind.ACTIVITY,
                    posyandu_id: int | None = None, region_code: str = "", description: str = "",
                    participants: int = 0, plan_item_id: int | None = None) -> Activity:
    place = _place(actor, posyandu_id=posyandu_id, region_code=region_code, write=True)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("Name the activity."), code="required", details={"field": "title"})
    if kind not in Activity.Kind.values:
        raise ServiceError(_("An entry is an activity or an innovation."), code="invalid_kind",
                           details={"field": "kind"})
    if held_on is None or held_on > health_services.latest_allowed_date():
        raise ServiceError(_("This date is in the future."), code="future_date", details={"field": "held_on"})
    if participants is None or participants < 0:
        raise ServiceError(_("The number of participants cannot be negative."), code="invalid_amount",
                           details={"field": "participants"})
    item = None
    if plan_item_id:
        item = PlanItem.objects.filter(pk=plan_item_id, plan__in=visible_plans(actor),
                                       plan__region_code=place.region_code).first()
        if item is None:
            raise NotFound(_("Plan item not found."))
    a = Activity.objects.create(organization_id=place.organization_id, posyandu=place.posyandu,
                                region_code=place.region_code, plan_item=item, kind=kind, title=title[:200],
                                description=description.strip(), held_on=held_on, participants=participants,
                                created_by=_user(actor))
    _created(actor, a)
    _emit("health.activity_recorded", a, kind=a.kind)
    return a
