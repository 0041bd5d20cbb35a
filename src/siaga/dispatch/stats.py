"""Response-time statistics of dispatched units, computed only from the timestamps the system recorded itself.

Definitions (also shown on the statistics page and in the XLSX export):
- alert to acknowledge: the dispatch's alerted_at to the crew's acknowledged_at.
- turnout: acknowledged_at to en_route_at (the crew is on the road).
- travel: en_route_at to on_scene_at.
- on scene: on_scene_at to the next step: transporting_at, else returning_at, else completed_at.
- transport: transporting_at to at_hospital_at.
- hand-over: at_hospital_at to handover_done_at.
- call to scene: the incident's created_at to this unit's on_scene_at.
- within target: for the first unit on scene of each incident, call to scene is at most the target of the
  incident's priority (siaga.routing.coverage.targets_minutes). Later units at the same incident count in the
  intervals but not again in the target share.
A dispatch belongs to the period in which it was alerted; an interval counts where both its timestamps exist
(a cancelled dispatch has an acknowledgement time but no travel time). Medians and 90th percentiles
interpolate linearly between the closest ranks (PERCENTILE.INC in spreadsheets), so an export recomputed by
hand gives the same figures. Periods are whole local days of the actor's region (WIB, WITA or WIT).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.callcenter.models import Priority
from siaga.callcenter.stats import percentile, zone_for_region, zone_label
from siaga.core import tabular
from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor

from .models import Dispatch, Unit
from .services import _dispatch_q, tree_q

DEFAULT_DAYS = 30
MAX_DAYS = 366
KECAMATAN_LEN = 8  # "35.76.03": province.kabkota.kecamatan

# name, start field, end field(s) (the first present end counts), label
INTERVALS: list[tuple[str, str, tuple[str, ...], object]] = [
    ("alert_to_ack", "alerted_at", ("acknowledged_at",), gettext_lazy("Alert → acknowledge")),
    ("turnout", "acknowledged_at", ("en_route_at",), gettext_lazy("Turnout (acknowledge → en route)")),
    ("travel", "en_route_at", ("on_scene_at",), gettext_lazy("Travel (en route → on scene)")),
    ("on_scene", "on_scene_at", ("transporting_at", "returning_at", "completed_at"),
     gettext_lazy("On scene (on scene → leaving)")),
    ("transport", "transporting_at", ("at_hospital_at",), gettext_lazy("Transport (transporting → at hospital)")),
    ("handover", "at_hospital_at", ("handover_done_at",), gettext_lazy("Hand-over (at hospital → hand-over done)")),
    ("call_to_scene", "incident_created_at", ("on_scene_at",), gettext_lazy("Call to scene (incident → on scene)")),
]
INTERVAL_NAMES = [name for name, *_rest in INTERVALS]
# Column heads of the per-group tables, where the full names would not fit.
SHORT_LABELS = {
    "alert_to_ack": gettext_lazy("Acknowledge"), "turnout": gettext_lazy("Turnout"), "travel": gettext_lazy("Travel"),
    "on_scene": gettext_lazy("On scene"), "transport": gettext_lazy("Transport"),
    "handover": gettext_lazy("Hand-over"), "call_to_scene": gettext_lazy("Call to scene"),
}
GROUPINGS = {
    "unit": gettext_lazy("Unit"),
    "station": gettext_lazy("Station"),
    "priority": gettext_lazy("Priority"),
    "kecamatan": gettext_lazy("Kecamatan"),
    "month": gettext_lazy("Month"),  # local month of the alert, "2026-03": the year in one page
}
TIMESTAMPS = ["incident_created_at", "alerted_at", "acknowledged_at", "en_route_at", "on_scene_at",
              "transporting_at", "at_hospital_at", "handover_done_at", "returning_at", "completed_at", "cancelled_at"]


def targets_minutes() -> dict[int, int]:
    from siaga.routing.coverage import targets_minutes as engine_targets

    return engine_targets()


def seconds_between(start, end) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def summarize(values) -> dict:
    data = [v for v in values if v is not None]
    return {"count": len(data), "median": percentile(data, 0.5), "p90": percentile(data, 0.9)}


# --- filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the figures cover: dispatches alerted in local days first..last, optionally narrowed."""

    first_day: dt.date
    last_day: dt.date
    tz: ZoneInfo
    unit_id: int | None = None
    station_id: int | None = None
    priority: int | None = None
    kecamatan: str = ""

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)

    @property
    def zone(self) -> str:
        return zone_label(self.tz)

    def query(self) -> dict:
        out = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        for key in ("unit_id", "station_id", "priority"):
            if getattr(self, key) is not None:
                out[key.removesuffix("_id") if key != "priority" else key] = str(getattr(self, key))
        if self.kecamatan:
            out["kecamatan"] = self.kecamatan
        return out


def _day(raw: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ServiceError(_("%(name)s is not a date (YYYY-MM-DD): %(value)s") % {"name": name, "value": raw[:20]},
                           code="invalid_date") from None


def _int(params, name: str, label: str) -> int | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ServiceError(_("%(name)s must be a number.") % {"name": label}, code="invalid_filter")
    return int(raw)


def actor_zone(actor: Actor) -> ZoneInfo:
    region = actor.organization.region_code if actor.organization else ""
    return zone_for_region(region or actor.scope_code)


def parse_filters(actor: Actor, params, *, now: dt.datetime | None = None) -> Filters:
    """Filters from request parameters: from, to (local dates), unit, station, priority, kecamatan."""
    actor.require("dispatch.stats")
    tz = actor_zone(actor)
    today = (now or timezone.now()).astimezone(tz).date()
    raw_to, raw_from = str(params.get("to") or "").strip(), str(params.get("from") or "").strip()
    last_day = _day(raw_to, _("End date")) if raw_to else today
    first_day = _day(raw_from, _("Start date")) if raw_from else last_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise ServiceError(_("The start date comes after the end date."), code="invalid_range")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ServiceError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS}, code="range_too_long")
    priority = _int(params, "priority", _("Priority"))
    if priority is not None and priority not in Priority.values:
        raise ServiceError(_("Unknown priority."), code="invalid_filter")
    kecamatan = str(params.get("kecamatan") or "").strip()
    if kecamatan and (len(kecamatan) != KECAMATAN_LEN or not kecamatan.replace(".", "").isdigit()):
        raise ServiceError(_("A kecamatan code looks like 35.76.03."), code="invalid_filter")
    return Filters(first_day=first_day, last_day=last_day, tz=tz, unit_id=_int(params, "unit", _("Unit")),
                   station_id=_int(params, "station", _("Station")), priority=priority, kecamatan=kecamatan)


# --- rows ------------------------------------------------------------------------------------------------


def stats_dispatches(actor: Actor) -> QuerySet:
    """Dispatches whose figures the actor reads: sent by, or with units of, or dispatched by its organisations."""
    actor.require("dispatch.stats")
    qs = Dispatch.objects.all()
    if actor.is_platform_admin:
        return qs
    return qs.filter(_dispatch_q(actor))


def stats_units(actor: Actor) -> QuerySet:
    """Units that can appear in the actor's figures (for the filter choices)."""
    actor.require("dispatch.stats")
    qs = Unit.objects.select_related("station")
    if actor.is_platform_admin:
        return qs
    return qs.filter(tree_q(actor, "organization", "region_code") | tree_q(actor, "dispatch_center", "region_code"))


def dispatches_in(actor: Actor, filters: Filters) -> QuerySet:
    qs = stats_dispatches(actor).filter(alerted_at__gte=filters.start, alerted_at__lt=filters.end)
    if filters.unit_id is not None:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.station_id is not None:
        qs = qs.filter(unit__station_id=filters.station_id)
    if filters.priority is not None:
        qs = qs.filter(incident__priority=filters.priority)
    if filters.kecamatan:
        qs = qs.filter(Q(region_code=filters.kecamatan) | Q(region_code__startswith=filters.kecamatan + "."))
    return qs


def dispatch_rows(dispatches: QuerySet, *, targets: dict[int, int] | None = None,
                  tz: ZoneInfo | None = None) -> list[dict]:
    """One dict per dispatch with its timestamps and intervals (seconds), oldest first."""
    targets = targets_minutes() if targets is None else targets
    tz = tz or zone_for_region("")
    qs = dispatches.select_related("unit", "unit__station", "unit__organization", "incident", "organization") \
        .order_by("alerted_at", "pk")
    items = list(qs)
    # The first arrival of each incident decides whether help came within target (all its dispatches count,
    # also those outside the filter: a faster unit of another station still arrived first).
    incident_ids = {d.incident_id for d in items}
    first_arrival: dict[int, int] = {}
    for pk, inc_id, _at in (Dispatch.objects.filter(incident_id__in=incident_ids, on_scene_at__isnull=False)
                            .order_by("on_scene_at", "pk").values_list("pk", "incident_id", "on_scene_at")):
        first_arrival.setdefault(inc_id, pk)
    rows = []
    for d in items:
        unit, inc = d.unit, d.incident
        row = {
            "id": d.pk,
            "incident_id": inc.pk,
            "incident_number": inc.number,
            "priority": inc.priority,
            "organization": d.organization.name,
            "unit_id": unit.pk,
            "call_sign": unit.call_sign,
            "unit_organization": unit.organization.name,
            "station_id": unit.station_id,
            "station": unit.station.name if unit.station_id else "",
            "region_code": d.region_code,
            "kecamatan": d.region_code[:KECAMATAN_LEN] if len(d.region_code) >= KECAMATAN_LEN else "",
            "status": d.status,
            "month": d.alerted_at.astimezone(tz).strftime("%Y-%m"),
            "incident_created_at": inc.created_at,
        }
        for name in TIMESTAMPS[1:]:
            row[name] = getattr(d, name)
        for name, start, ends, _label in INTERVALS:
            end = next((row[e] for e in ends if row.get(e) is not None), None)
            row[f"{name}_seconds"] = seconds_between(row[start], end)
        target = targets.get(inc.priority)
        row["target_seconds"] = target * 60 if target is not None else None
        row["first_on_scene"] = first_arrival.get(inc.pk) == d.pk
        response = row["call_to_scene_seconds"] if row["first_on_scene"] else None
        row["within_target"] = (None if response is None or row["target_seconds"] is None
                                else response <= row["target_seconds"])
        rows.append(row)
    return rows


# --- figures ---------------------------------------------------------------------------------------------


def _group_key(row: dict, by: str):
    if by == "unit":
        return row["unit_id"]
    if by == "station":
        return row["station_id"]
    if by == "priority":
        return row["priority"]
    if by == "kecamatan":
        return row["kecamatan"]
    if by == "month":
        return row["month"]
    raise ServiceError(_("Unknown grouping: %(by)s.") % {"by": str(by)[:20]}, code="invalid_grouping")


def summary(rows: list[dict]) -> dict:
    """Median and p90 of every interval, and how many first arrivals met their target."""
    judged = [r["within_target"] for r in rows if r["within_target"] is not None]
    within = sum(1 for j in judged if j)
    targets = {r["target_seconds"] for r in rows}
    return {
        "dispatches": len(rows),
        "acknowledged": sum(1 for r in rows if r["acknowledged_at"] is not None),
        "intervals": {name: summarize(r[f"{name}_seconds"] for r in rows) for name in INTERVAL_NAMES},
        "responses": len(judged),
        "within_target": within,
        "over_target": len(judged) - within,
        "share_within_target": within / len(judged) if judged else None,
        # One target when every row shares it (a priority group); mixed priorities have none.
        "target_seconds": targets.pop() if len(targets) == 1 else None,
    }


def _labels(by: str, keys) -> dict:
    keys = [k for k in keys if k not in (None, "")]
    if by == "priority":
        return {k: str(Priority(k).label) if k in Priority.values else f"P{k}" for k in keys}
    if by == "kecamatan":
        from siaga.geo.models import Region

        return dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
    if by == "station":
        from .models import Station

        return dict(Station.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "unit":
        return dict(Unit.objects.filter(pk__in=keys).values_list("pk", "call_sign"))
    return {}


def grouped(rows: list[dict], by: str) -> list[dict]:
    """summary() per unit, station, priority or kecamatan, in a stable order (key order, none last)."""
    buckets: dict = {}
    for r in rows:
        buckets.setdefault(_group_key(r, by), []).append(r)
    labels = _labels(by, buckets)
    none_label = {"station": _("No station"), "kecamatan": _("Unknown kecamatan")}.get(by, "-")
    out = []
    for key in sorted(buckets, key=lambda k: (k in (None, ""), str(k) if by in ("kecamatan", "month") else (k or 0))):
        label = labels.get(key) or (none_label if key in (None, "") else str(key))
        out.append({"key": key, "label": label, **summary(buckets[key])})
    if by == "unit":
        out.sort(key=lambda g: (g["label"], g["key"]))
    return out


def statistics(actor: Actor, filters: Filters) -> dict:
    """Every figure of the statistics page: overall, and per unit, station, priority and kecamatan."""
    actor.require("dispatch.stats")
    targets = targets_minutes()
    rows = dispatch_rows(dispatches_in(actor, filters), targets=targets, tz=filters.tz)
    return {
        "filters": filters,
        "targets": {p: targets.get(p) for p in Priority.values},
        "overall": summary(rows),
        "groups": {by: grouped(rows, by) for by in GROUPINGS},
        "rows": rows,
    }


# --- exports ---------------------------------------------------------------------------------------------
# Same approach as the call center's exports: times in the region's zone (named in the header), intervals
# in seconds, text that a spreadsheet would run as a formula gets a quote first.

DISPATCH_COLUMNS = [
    "id", "incident_number", "priority", "organization", "call_sign", "unit_organization", "station",
    "region_code", "kecamatan", "month", "status", *TIMESTAMPS, *[f"{n}_seconds" for n in INTERVAL_NAMES],
    "target_seconds", "first_on_scene", "within_target",
]
SUMMARY_COLUMNS = [
    "grouping", "key", "label", "dispatches", "acknowledged",
    *[f"{n}_{m}" for n in INTERVAL_NAMES for m in ("count", "median_seconds", "p90_seconds")],
    "target_seconds", "responses", "within_target", "over_target", "share_within_target",
]
DATASETS = ("summary", "dispatches")
FREE_TEXT = {"organization", "unit_organization", "station", "label", "call_sign"}


def dataset_of(params) -> str:
    name = str(params.get("data") or "summary").strip()
    if name not in DATASETS:
        raise ServiceError(_("Unknown export: %(name)s. Choose summary or dispatches.") % {"name": name[:30]},
                           code="invalid_dataset")
    return name


def summary_rows(result: dict) -> list[dict]:
    out = []
    for by, groups in [("all", [{"key": "", "label": _("All"), **result["overall"]}]), *result["groups"].items()]:
        for g in groups:
            row = {"grouping": by, "key": "" if g["key"] is None else g["key"], "label": g["label"]}
            for k in ("dispatches", "acknowledged", "target_seconds", "responses", "within_target", "over_target",
                      "share_within_target"):
                row[k] = g[k]
            for n in INTERVAL_NAMES:
                s = g["intervals"][n]
                row[f"{n}_count"], row[f"{n}_median_seconds"], row[f"{n}_p90_seconds"] = (
                    s["count"], s["median"], s["p90"])
            out.append(row)
    return out


def export_rows(actor: Actor, filters: Filters, dataset: str) -> tuple[list[str], list[dict]]:
    """(columns, rows) of one export. Per-dispatch rows name incidents and units: only for who sees units."""
    result = statistics(actor, filters)
    if dataset == "dispatches":
        actor.require("unit.view")
        return DISPATCH_COLUMNS, result["rows"]
    return SUMMARY_COLUMNS, summary_rows(result)


def filename(dataset: str, filters: Filters, ext: str) -> str:
    return f"siaga-dispatch-{dataset}-{filters.first_day.isoformat()}_{filters.last_day.isoformat()}.{ext}"


def csv_text(columns, rows, filters: Filters) -> str:
    return tabular.csv_text(columns, rows, tz=filters.tz, zone=filters.zone, free_text=FREE_TEXT)


def xlsx_bytes(columns, rows, filters: Filters, *, dataset: str) -> bytes:
    """An XLSX workbook: the rows on one sheet, the period and the definitions on a second."""
    query = ", ".join(f"{k}={v}" for k, v in filters.query().items() if k not in ("from", "to")) or "-"
    return tabular.xlsx_bytes(columns, rows, tz=filters.tz, zone=filters.zone, sheet=dataset, free_text=FREE_TEXT,
                              info=[
                                  ("period", f"{filters.first_day.isoformat()} .. {filters.last_day.isoformat()}"),
                                  ("time zone", f"{filters.zone} ({filters.tz.key})"),
                                  ("filters", query),
                                  ("generated at", timezone.now().astimezone(filters.tz).replace(tzinfo=None)
                                   .isoformat(timespec="seconds")),
                                  ("definitions", (__doc__ or "").strip()),
                              ])
