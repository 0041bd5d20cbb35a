"""Readiness of an area computed from data, never typed in: certified volunteers, stock against minimums,
vehicles in service, SOP checklists practised in drills, training completions; each with a traffic light.

An area is a set of Kemendagri codes (one kab/kota, one province, or a border zone's kab/kota on both sides).
Every component states its rule (RULES) and the page prints it next to the light. Aggregates only: no names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

GREEN, AMBER, RED, NONE = "green", "amber", "red", "none"
ORDER = {RED: 0, AMBER: 1, GREEN: 2}

# Targets and thresholds: the rule printed on the page is built from these numbers.
VOLUNTEERS_PER_KABKOTA = 20  # volunteers holding a valid certificate, per kab/kota of the area
STOCK_GREEN, STOCK_AMBER = 0.9, 0.6  # share of (warehouse, item) minimums met
VEHICLES_GREEN, VEHICLES_AMBER = 0.8, 0.5  # share of active vehicles not out of service
DRILL_MONTHS = 12
SOP_GREEN, SOP_AMBER = 0.8, 0.5  # share of SOP items practised in a drill within DRILL_MONTHS, over all SOPs
TRAINING_GREEN, TRAINING_AMBER = 0.5, 0.25  # share of active volunteers with a valid training completion
RATIO_GREEN, RATIO_AMBER = 1.0, 0.5  # certified volunteers against the target

RULES = {
    "volunteers": gettext_lazy(
        "Volunteers of the area holding at least one certificate not expired on the day. Target: %(n)d per "
        "kab/kota. Green at 100%% of the target, amber from 50%%, red below."),
    "stock": gettext_lazy(
        "Each minimum level set for an item in a warehouse of the area is met when the unexpired stock reaches "
        "it. Green when at least 90%% of the minimums are met, amber from 60%%, red below. Grey: no minimums set."),
    "vehicles": gettext_lazy(
        "Active dispatch units registered in the area, by kind; a unit counts as in service unless it is out of "
        "service. Green when at least 80%% are in service, amber from 50%%, red below. Grey: no units."),
    "sop": gettext_lazy(
        "For each SOP checklist in use: the share of its items ticked off in at least one drill held in the "
        "area in the last 12 months. Green when the average over all checklists is at least 80%%, amber from "
        "50%%, red below."),
    "training": gettext_lazy(
        "Active volunteers of the area with at least one passed training module still valid on the day. Green "
        "when at least 50%% of them have one, amber from 25%%, red below. Grey: no volunteers."),
}


def rule_text(key: str) -> str:
    text = str(RULES[key])
    return text % {"n": VOLUNTEERS_PER_KABKOTA} if "%(n)d" in text else text.replace("%%", "%")


@dataclass
class Component:
    key: str
    label: str
    status: str  # green | amber | red | none (not available or nothing to measure)
    value: float | None  # the measured share or ratio (0..1, or above 1 for the volunteer target)
    summary: str
    rule: str
    details: list[dict] = field(default_factory=list)
    available: bool = True


def light(value: float | None, green: float, amber: float) -> str:
    if value is None:
        return NONE
    return GREEN if value >= green else AMBER if value >= amber else RED


def area_q(field_name: str, codes) -> Q:
    """Rows whose region code lies in (or is) one of the codes."""
    q = Q(pk__in=[])
    for code in codes:
        q |= Q(**{field_name: code}) | Q(**{f"{field_name}__startswith": code + "."})
    return q


def kabkota_count(codes) -> int:
    """How many kab/kota an area spans: a province counts its kab/kota (from the loaded regions)."""
    from siaga.geo.models import Region

    n = 0
    for code in set(codes):
        if code.count(".") >= 1:
            n += 1
        else:
            n += Region.objects.filter(level=2, code__startswith=code + ".").count() or 1
    return n


# --- volunteers and their certificates ----------------------------------------------------------------


def _active_volunteers(codes):
    from siaga.disaster.volunteers.models import Volunteer

    # A record merged into another is the same person counted once, under the record it was merged into.
    return Volunteer.objects.filter(area_q("region_code", codes), active=True, merged_into__isnull=True)


def volunteers_component(codes, on: dt.date) -> Component:
    from siaga.disaster.volunteers.models import Certificate

    target = VOLUNTEERS_PER_KABKOTA * kabkota_count(codes)
    valid = Certificate.objects.filter(Certificate.valid_q(on), volunteer__in=_active_volunteers(codes).values("pk"))
    certified = valid.values("volunteer_id").distinct().count()
    details = [{"skill": r["skill__code"], "name": r["skill__name"], "volunteers": r["n"]}
               for r in valid.filter(skill__isnull=False).values("skill__code", "skill__name")
               .annotate(n=Count("volunteer_id", distinct=True)).order_by("skill__name")]
    value = certified / target if target else None
    return Component("volunteers", _("Certified volunteers"), light(value, RATIO_GREEN, RATIO_AMBER), value,
                     _("%(n)d volunteers with a valid certificate (target %(t)d).") % {"n": certified, "t": target},
                     rule_text("volunteers"), details)


# --- stock against minimums ---------------------------------------------------------------------------


def _minimum_rows(codes, on: dt.date) -> list[dict]:
    """(warehouse, item) rows that have a minimum, from the logistics app's own summary (unexpired stock)."""
    from siaga.core.permissions import system_actor
    from siaga.disaster.logistics.services import stock_summary

    rows = {}
    for code in codes:
        # The system actor sees every warehouse: readiness is an aggregate of the whole area, whoever owns it.
        for r in stock_summary(system_actor(), region_prefix=code):
            if r["minimum"] is not None:
                rows[(r["warehouse_id"], r["item_id"])] = r
    return list(rows.values())


def stock_component(codes, on: dt.date) -> Component:
    rows = _minimum_rows(codes, on)
    if not rows:
        return Component("stock", _("Stock against minimums"), NONE, None, _("No minimum levels are set."),
                         rule_text("stock"))
    details = [{"warehouse": r["warehouse_name"], "item": r["item_name"], "quantity": r["quantity"],
                "minimum": r["minimum"], "met": not r["below_minimum"]} for r in rows]
    met = sum(1 for d in details if d["met"])
    value = met / len(details)
    details.sort(key=lambda d: (d["met"], d["warehouse"], d["item"]))
    return Component("stock", _("Stock against minimums"), light(value, STOCK_GREEN, STOCK_AMBER), value,
                     _("%(met)d of %(n)d minimum levels met.") % {"met": met, "n": len(details)},
                     rule_text("stock"), details)


# --- vehicles -----------------------------------------------------------------------------------------


def vehicles_component(codes, on: dt.date) -> Component:
    from siaga.dispatch.models import Unit, UnitKind, UnitStatus

    rows = (Unit.objects.filter(area_q("region_code", codes), active=True).values("kind", "status"))
    by_kind: dict[str, list[int]] = {}
    for r in rows:
        counts = by_kind.setdefault(r["kind"], [0, 0])
        counts[1] += 1
        counts[0] += r["status"] != UnitStatus.OUT_OF_SERVICE
    total = sum(c[1] for c in by_kind.values())
    in_service = sum(c[0] for c in by_kind.values())
    labels = dict(UnitKind.choices)
    details = [{"kind": k, "name": str(labels.get(k, k)), "in_service": c[0], "total": c[1]}
               for k, c in sorted(by_kind.items())]
    value = in_service / total if total else None
    summary = (_("%(n)d of %(t)d vehicles in service.") % {"n": in_service, "t": total} if total
               else _("No dispatch units are registered in this area."))
    return Component("vehicles", _("Vehicles in service"), light(value, VEHICLES_GREEN, VEHICLES_AMBER), value,
                     summary, rule_text("vehicles"), details)


# --- SOP checklists practised in drills ---------------------------------------------------------------


def sop_component(codes, on: dt.date) -> Component:
    from .models import Drill, SopChecklist, SopItem
    from .services import add_months

    since = add_months(on, -DRILL_MONTHS)
    checklists = list(SopChecklist.objects.filter(active=True).select_related("disaster_type")
                      .order_by("disaster_type__sort_order", "title"))
    if not checklists:
        return Component("sop", _("SOP drills"), NONE, None, _("No SOP checklists are in use."), rule_text("sop"))
    items = {}
    for item in SopItem.objects.filter(checklist__in=checklists, retired=False).values("pk", "checklist_id"):
        items.setdefault(item["checklist_id"], set()).add(item["pk"])
    drills = Drill.objects.filter(area_q("region_code", codes), held_on__gte=since, held_on__lte=on,
                                  checklist__in=checklists)
    done: dict[int, set[int]] = {}
    last: dict[int, dt.date] = {}
    for drill_id, checklist_id, held_on, item_id in drills.values_list("pk", "checklist_id", "held_on",
                                                                       "completed_items"):
        if item_id is not None:
            done.setdefault(checklist_id, set()).add(item_id)
        last[checklist_id] = max(last.get(checklist_id, held_on), held_on)
    details, shares = [], []
    for c in checklists:
        total = len(items.get(c.pk, ()))
        ticked = len(done.get(c.pk, set()) & items.get(c.pk, set()))
        share = ticked / total if total else 0.0
        shares.append(share)
        details.append({"checklist_id": c.pk, "title": c.title, "disaster_type": c.disaster_type_id,
                        "type_name": c.disaster_type.name_id, "done": ticked, "items": total,
                        "share": round(share, 4), "last_drill": last.get(c.pk)})
    value = sum(shares) / len(shares)
    drilled = sum(1 for d in details if d["done"])
    return Component("sop", _("SOP drills"), light(value, SOP_GREEN, SOP_AMBER), value,
                     _("%(d)d of %(n)d SOP checklists practised in the last 12 months; %(p)d%% of their items.")
                     % {"d": drilled, "n": len(details), "p": round(value * 100)}, rule_text("sop"), details)


# --- training completions -----------------------------------------------------------------------------


def training_component(codes, on: dt.date) -> Component:
    from .models import TrainingCompletion

    valid = TrainingCompletion.objects.filter(area_q("region_code", codes), passed=True, valid_until__gte=on)
    volunteers = _active_volunteers(codes)
    n_volunteers = volunteers.count()
    trained = (valid.filter(volunteer__in=volunteers.values("pk")).values("volunteer_id").distinct().count())
    details = [{"module_id": r["module_id"], "title": r["module__title"], "people": r["people"]}
               for r in valid.values("module_id", "module__title").annotate(people=Count("user_id", distinct=True))
               .order_by("module__title")]
    value = trained / n_volunteers if n_volunteers else None
    summary = (_("%(t)d of %(n)d active volunteers hold a valid training completion.")
               % {"t": trained, "n": n_volunteers} if n_volunteers else _("No active volunteers in this area."))
    return Component("training", _("Training"), light(value, TRAINING_GREEN, TRAINING_AMBER), value, summary,
                     rule_text("training"), details)


# --- the whole ----------------------------------------------------------------------------------------

COMPONENTS = (volunteers_component, stock_component, vehicles_component, sop_component, training_component)


def overall(components) -> str:
    """The weakest measured component sets the overall light: a chain is as strong as its weakest link."""
    measured = [c.status for c in components if c.status != NONE]
    return min(measured, key=ORDER.__getitem__) if measured else NONE


def readiness(codes, on: dt.date) -> dict:
    codes = sorted(set(codes))
    components = [fn(codes, on) for fn in COMPONENTS]
    return {"codes": codes, "on": on, "status": overall(components), "components": components,
            "overall_rule": _("Overall: the light of the weakest component that can be measured.")}
