"""The year in one page: an organisation's year month by month, from the records of every capability it runs.

Every figure is computed from a list of records, one dict per record, and the drill-down page lists exactly those
records, so each figure on the page, in the PDF and in the spreadsheet can be traced to what it counts. A figure
reads its records through its capability's own scoping (the organisation, those below it within its area), and is
shown only to a role holding that capability's statistics permission.

Record dicts carry: id, at (the instant that places the record in a month), value (1 for a count, people for a
distribution, seconds for a response time, True/False for "within target"), url (where the record is opened, if
the reader may), and the figure's own display columns.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.callcenter.stats import percentile
from siaga.geo.zones import zone_for_region, zone_label
from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor

MONTHS = range(1, 13)
# Aggregations: how a month's records become its figure.
SUM, MEDIAN_MINUTES, SHARE = "sum", "median_minutes", "share"


@dataclass(frozen=True)
class Year:
    """A calendar year in the organisation's local zone: [start, end)."""

    year: int
    tz: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime(self.year, 1, 1, tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime(self.year + 1, 1, 1, tzinfo=self.tz)

    @property
    def zone(self) -> str:
        return zone_label(self.tz)

    def month_of(self, at: dt.datetime) -> int:
        return at.astimezone(self.tz).month

    def month_bounds(self, month: int) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime(self.year, month, 1, tzinfo=self.tz)
        end = dt.datetime(self.year + (month == 12), month % 12 + 1, 1, tzinfo=self.tz)
        return start, end

    def blood_period(self):
        from siaga.blood.stats import Period

        return Period(self.year, None, self.tz)


def year_for(actor: Actor, year: int | None = None, *, today: dt.date | None = None) -> Year:
    """The year asked for (this year if none) in the zone of the actor's organisation; refuses the implausible."""
    region = (actor.organization.region_code if actor.organization else "") or actor.scope_code
    tz = zone_for_region(region)
    today = today or timezone.now().astimezone(tz).date()
    year = year or today.year
    if not 2000 <= year <= today.year:
        raise ServiceError(_("Choose a year between 2000 and this year."), code="invalid_year")
    return Year(year, tz)


def _url(actor: Actor, perm: str, name: str, *args, query: str = "") -> str:
    if not actor.has(perm):
        return ""
    return reverse(name, args=args) + (f"?{query}" if query else "")


# --- the records behind each figure ------------------------------------------------------------------------


def _calls(actor: Actor, y: Year, **filters) -> list[dict]:
    from siaga.callcenter.models import Call

    qs = actor.scope_queryset(Call.objects.all()).filter(started_at__gte=y.start, started_at__lt=y.end, **filters)
    rows = []
    for pk, at, channel, outcome, inc_id, number, org in qs.order_by("started_at", "pk").values_list(
            "pk", "started_at", "channel", "outcome", "incident_id", "incident__number", "organization__name"):
        rows.append({"id": pk, "at": at, "value": 1, "channel": channel, "outcome": outcome or "-",
                     "incident": number or "", "organization": org,
                     "url": _url(actor, "incident.view", "callcenter:incident", inc_id) if inc_id else ""})
    return rows


def calls_received(actor: Actor, y: Year) -> list[dict]:
    return _calls(actor, y)


def calls_answered(actor: Actor, y: Year) -> list[dict]:
    return _calls(actor, y, answered_at__isnull=False)


def calls_nuisance(actor: Actor, y: Year) -> list[dict]:
    from siaga.callcenter.models import NUISANCE_OUTCOMES

    return _calls(actor, y, outcome__in=NUISANCE_OUTCOMES)


# Within one report the dispatch rows (the costliest read) are read once for the four figures built on them.
_SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("annual_shared_reads", default=None)


@contextlib.contextmanager
def shared_reads():
    """Within the block, records read for one figure are reused by the others (one report, one reading)."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _dispatch_rows(actor: Actor, y: Year) -> list[dict]:
    shared = _SHARED.get()
    key = ("dispatch_rows", id(actor), y)
    if shared is not None and key in shared:
        return shared[key]
    rows = _read_dispatch_rows(actor, y)
    if shared is not None:
        shared[key] = rows
    return rows


def _read_dispatch_rows(actor: Actor, y: Year) -> list[dict]:
    from siaga.dispatch import stats

    qs = stats.stats_dispatches(actor).filter(alerted_at__gte=y.start, alerted_at__lt=y.end)
    rows = stats.dispatch_rows(qs, tz=y.tz)
    for r in rows:
        r["at"] = r["alerted_at"]
        r["incident"] = r["incident_number"]
        r["url"] = _url(actor, "incident.view", "callcenter:incident", r["incident_id"])
    return rows


def dispatches(actor: Actor, y: Year) -> list[dict]:
    return [{**r, "value": 1} for r in _dispatch_rows(actor, y)]


def _priority(value) -> str:
    from siaga.callcenter.models import Priority

    return str(Priority(value).label) if value in Priority.values else f"P{value}"


def response_minutes(actor: Actor, y: Year) -> list[dict]:
    """First arrivals at each incident, valued by call-to-scene seconds (median shown in minutes)."""
    return [{**r, "value": r["call_to_scene_seconds"], "minutes": round(r["call_to_scene_seconds"] / 60, 1),
             "priority": _priority(r["priority"]),
             "target_minutes": (r["target_seconds"] // 60) if r["target_seconds"] is not None else None}
            for r in _dispatch_rows(actor, y) if r["first_on_scene"] and r["call_to_scene_seconds"] is not None]


def within_target(actor: Actor, y: Year) -> list[dict]:
    """First arrivals with a target for their priority, valued by whether they met it."""
    return [{**r, "value": r["within_target"], "minutes": round(r["call_to_scene_seconds"] / 60, 1),
             "priority": _priority(r["priority"]),
             "target_minutes": r["target_seconds"] // 60}
            for r in _dispatch_rows(actor, y) if r["within_target"] is not None]


def patients_to_hospital(actor: Actor, y: Year) -> list[dict]:
    """Dispatches that brought someone to a hospital (placed in the month of arrival at the hospital)."""
    from siaga.dispatch import stats

    qs = stats.stats_dispatches(actor).filter(at_hospital_at__gte=y.start, at_hospital_at__lt=y.end)
    rows = []
    for pk, at, inc_id, number, call_sign, hospital in qs.order_by("at_hospital_at", "pk").values_list(
            "pk", "at_hospital_at", "incident_id", "incident__number", "unit__call_sign", "destination__name"):
        rows.append({"id": pk, "at": at, "value": 1, "incident": number, "call_sign": call_sign,
                     "hospital": hospital or "-",
                     "url": _url(actor, "incident.view", "callcenter:incident", inc_id)})
    return rows


def bags_collected(actor: Actor, y: Year) -> list[dict]:
    from siaga.blood import stats

    rows = []
    for pk, at, din, donor_type, site in stats.donations_in(actor, y.blood_period()).order_by(
            "collected_at", "pk").values_list("pk", "collected_at", "din", "donor_type", "site__name"):
        rows.append({"id": pk, "at": at, "value": 1, "din": din, "donor_type": donor_type, "site": site,
                     "url": _url(actor, "blood.view", "blood:donation", pk)})
    return rows


def bags_served(actor: Actor, y: Year) -> list[dict]:
    from siaga.blood import services
    from siaga.blood import stats

    rows = []
    for pk, at, din, abo, rhd, ctype, hospital, comp_id, req_id in stats.issued_in(actor, y.blood_period()).order_by(
            "issue__issued_at", "pk").values_list(
            "pk", "issue__issued_at", "component__din", "component__abo", "component__rhd",
            "component__component_type__code", "issue__hospital__name", "component_id", "issue__request_id"):
        rows.append({"id": pk, "at": at, "value": 1, "din": din, "group": services.group_label(abo, rhd),
                     "component": ctype, "hospital": hospital,
                     "url": _url(actor, "blood.view", "blood:request", req_id)})
    return rows


def blood_outdated(actor: Actor, y: Year) -> list[dict]:
    from siaga.blood import services
    from siaga.blood import stats
    from siaga.blood.models import Component

    when = stats.outdated_in(actor, y.blood_period())
    rows = []
    for pk, din, abo, rhd, ctype, expires in Component.objects.filter(pk__in=list(when)).values_list(
            "pk", "din", "abo", "rhd", "component_type__code", "expires_at"):
        rows.append({"id": pk, "at": when[pk], "value": 1, "din": din, "group": services.group_label(abo, rhd),
                     "component": ctype, "expires_at": expires,
                     "url": _url(actor, "blood.view", "blood:trace", query=f"unit={pk}")})
    rows.sort(key=lambda r: (r["at"], r["id"]))
    return rows


def people_helped(actor: Actor, y: Year) -> list[dict]:
    """People reached by relief distributions from the organisation's own warehouses."""
    from siaga.disaster.logistics import services
    from siaga.disaster.logistics.models import Distribution

    qs = Distribution.objects.filter(warehouse__in=services.own_warehouses(actor).values("pk"),
                                     distributed_at__gte=y.start, distributed_at__lt=y.end)
    rows = []
    for pk, at, region, households, people, event, warehouse in qs.order_by("distributed_at", "pk").values_list(
            "pk", "distributed_at", "region_code", "households", "people", "event__name", "warehouse__name"):
        rows.append({"id": pk, "at": at, "value": people, "kelurahan": region, "households": households,
                     "people": people, "event": event or "-", "warehouse": warehouse,
                     "url": _url(actor, "logistics.view", "disaster_logistics:distributions")})
    return rows


# --- the figures -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    section: object
    label: object
    definition: object
    perm: str
    records: Callable[[Actor, Year], list[dict]]
    columns: list[tuple[str, object]] = field(default_factory=list)
    kind: str = SUM


_CALL_COLUMNS = [("at", gettext_lazy("Started")), ("organization", gettext_lazy("Organisation")),
                 ("channel", gettext_lazy("Channel")), ("outcome", gettext_lazy("Outcome")),
                 ("incident", gettext_lazy("Incident"))]
_RESPONSE_COLUMNS = [("at", gettext_lazy("Alerted")), ("incident", gettext_lazy("Incident")),
                     ("priority", gettext_lazy("Priority")), ("call_sign", gettext_lazy("Unit")),
                     ("minutes", gettext_lazy("Call to scene (min)")),
                     ("target_minutes", gettext_lazy("Target (min)"))]
_UNIT_COLUMNS = [("din", gettext_lazy("DIN")), ("group", gettext_lazy("Group")),
                 ("component", gettext_lazy("Component"))]
CALLS = gettext_lazy("Calls")
AMBULANCE = gettext_lazy("Ambulance")
BLOOD = gettext_lazy("Blood service")
RELIEF = gettext_lazy("Disaster relief")

FIGURES: list[Figure] = [
    Figure("calls_received", CALLS, gettext_lazy("Calls received"),
           gettext_lazy("Calls that started in the month, whatever their outcome."),
           "callcenter.stats", calls_received, _CALL_COLUMNS),
    Figure("calls_answered", CALLS, gettext_lazy("Calls answered"),
           gettext_lazy("Calls a call-taker picked up (an answer time was recorded)."),
           "callcenter.stats", calls_answered, _CALL_COLUMNS),
    Figure("calls_nuisance", CALLS, gettext_lazy("Prank, silent and accidental calls"),
           gettext_lazy("Calls closed as prank, silent or accidental."),
           "callcenter.stats", calls_nuisance, _CALL_COLUMNS),
    Figure("dispatches", AMBULANCE, gettext_lazy("Units dispatched"),
           gettext_lazy("Ambulance and other unit dispatches alerted in the month."),
           "dispatch.stats", dispatches,
           [("at", gettext_lazy("Alerted")), ("incident", gettext_lazy("Incident")),
            ("call_sign", gettext_lazy("Unit")), ("status", gettext_lazy("Status"))]),
    Figure("response_minutes", AMBULANCE, gettext_lazy("Median call to scene (minutes)"),
           gettext_lazy("The first unit at each incident: from the incident's creation to on scene; the median, "
                        "linear between closest ranks."),
           "dispatch.stats", response_minutes, _RESPONSE_COLUMNS, MEDIAN_MINUTES),
    Figure("within_target", AMBULANCE, gettext_lazy("First arrivals within target (%)"),
           gettext_lazy("Share of first arrivals whose call-to-scene time met the target of the incident's "
                        "priority."),
           "dispatch.stats", within_target, _RESPONSE_COLUMNS, SHARE),
    Figure("patients_to_hospital", AMBULANCE, gettext_lazy("Patients taken to hospital"),
           gettext_lazy("Dispatches that arrived at a hospital in the month."),
           "dispatch.stats", patients_to_hospital,
           [("at", gettext_lazy("At hospital")), ("incident", gettext_lazy("Incident")),
            ("call_sign", gettext_lazy("Unit")), ("hospital", gettext_lazy("Hospital"))]),
    Figure("bags_collected", BLOOD, gettext_lazy("Blood bags collected"),
           gettext_lazy("Donations recorded in the month, any procedure."),
           "blood.stats", bags_collected,
           [("at", gettext_lazy("Collected")), ("din", gettext_lazy("DIN")), ("donor_type", gettext_lazy("Donor")),
            ("site", gettext_lazy("Site"))]),
    Figure("bags_served", BLOOD, gettext_lazy("Blood bags served (kantong darah dilayani)"),
           gettext_lazy("Units issued to hospitals in the month, less those returned and accepted back."),
           "blood.stats", bags_served,
           [("at", gettext_lazy("Issued")), *_UNIT_COLUMNS, ("hospital", gettext_lazy("Hospital"))]),
    Figure("blood_outdated", BLOOD, gettext_lazy("Blood units outdated"),
           gettext_lazy("Units that expired on a shelf or in transit (placed in the month they expired)."),
           "blood.stats", blood_outdated,
           [("at", gettext_lazy("Expired")), *_UNIT_COLUMNS, ("expires_at", gettext_lazy("Expiry date"))]),
    Figure("people_helped", RELIEF, gettext_lazy("People reached by relief"),
           gettext_lazy("People counted at relief distributions from the organisation's own warehouses."),
           "logistics.view", people_helped,
           [("at", gettext_lazy("Distributed")), ("kelurahan", gettext_lazy("Kelurahan")),
            ("households", gettext_lazy("Households")), ("people", gettext_lazy("People")),
            ("event", gettext_lazy("Disaster event")), ("warehouse", gettext_lazy("Warehouse"))]),
]
BY_KEY = {f.key: f for f in FIGURES}
# The year's totals shown first, large: what a working meeting asks before anything else.
HEADLINE = ("calls_answered", "dispatches", "within_target", "bags_served", "blood_outdated", "people_helped")


def figure(key: str) -> Figure:
    found = BY_KEY.get(key)
    if found is None:
        raise ServiceError(_("Unknown figure."), code="invalid_figure")
    return found


def aggregate(kind: str, records: list[dict]) -> float | int | None:
    """One month's (or the year's) figure from its records."""
    if kind == SUM:
        return sum(r["value"] for r in records)
    if not records:
        return None
    if kind == MEDIAN_MINUTES:
        return round(percentile([r["value"] for r in records], 0.5) / 60, 1)
    return round(100.0 * sum(1 for r in records if r["value"]) / len(records), 1)


def records_of(actor: Actor, y: Year, key: str, month: int | None = None) -> list[dict]:
    """The records behind one figure, for the year or one month of it; refuses figures the role may not read."""
    fig = figure(key)
    actor.require(fig.perm)
    if month is not None and month not in MONTHS:
        raise ServiceError(_("A month is 1 to 12."), code="invalid_month")
    rows = fig.records(actor, y)
    for r in rows:
        r["month"] = y.month_of(r["at"])
    return [r for r in rows if month is None or r["month"] == month]


def year_report(actor: Actor, y: Year) -> dict:
    """Every figure the actor may read, per month and for the year; the others listed as withheld."""
    actor.require("dashboard.view")
    today = timezone.now().astimezone(y.tz).date()
    last_month = 12 if y.year < today.year else today.month
    rows, withheld = [], []
    with shared_reads():
        read = {fig.key: records_of(actor, y, fig.key) for fig in FIGURES if actor.has(fig.perm)}
    for fig in FIGURES:
        if fig.key not in read:
            withheld.append(fig)
            continue
        records = read[fig.key]
        by_month = {m: [] for m in MONTHS}
        for r in records:
            by_month[r["month"]].append(r)
        rows.append({
            "figure": fig,
            "months": [{"month": m, "value": aggregate(fig.kind, by_month[m]) if m <= last_month else None,
                        "records": len(by_month[m]), "future": m > last_month} for m in MONTHS],
            "year": aggregate(fig.kind, records),
            "records": len(records),
        })
    sections: list[dict] = []
    for row in rows:
        if not sections or sections[-1]["label"] != row["figure"].section:
            sections.append({"label": row["figure"].section, "rows": []})
        sections[-1]["rows"].append(row)
    by_key = {row["figure"].key: row for row in rows}
    headline = [by_key[k] for k in HEADLINE if k in by_key]
    return {"year": y.year, "zone": y.zone, "rows": rows, "sections": sections, "withheld": withheld,
            "headline": headline, "records_by_key": read,
            "organization": actor.organization, "targets": _targets() if any(
                r["figure"].perm == "dispatch.stats" for r in rows) else {},
            "generated_at": timezone.now().astimezone(y.tz), "last_month": last_month}


def _targets() -> dict:
    from siaga.callcenter.models import Priority
    from siaga.dispatch.stats import targets_minutes

    targets = targets_minutes()
    return {str(Priority(p).label): targets[p] for p in Priority.values if targets.get(p) is not None}

