"""Evaluation figures of a call center, computed only from the timestamps the system recorded itself.

Definitions (also shown on the evaluation page):
- answer-to-create: the answered_at of the call that created an incident (outcome "new_incident")
  to the incident's created_at.
- create-to-dispatch: incident created_at to the first acknowledged_at among its referrals. When
  the dispatch module records unit dispatches, the first dispatch will count if it comes first.
- response time: incident created_at to the first committed_at among its referrals (an agency
  has committed resources: help is on the way). Until dispatch records arrival, this is the
  response measure compared with PriorityPolicy.response_target_minutes.
- acknowledgement time: referral requested_at to acknowledged_at. A deadline is missed when the
  acknowledgement came after ack_deadline, or when the referral is still "requested" past it.
- nuisance: calls closed as prank, silent or accidental, as a share of all calls in the period.
Medians and 90th percentiles interpolate linearly between the closest ranks (like PERCENTILE.INC
in spreadsheets and numpy's default), so an export recomputed by hand gives the same figures.
Periods are whole local days of the call center's time zone (WIB, WITA or WIT).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.geo.zones import zone_for_region, zone_label  # noqa: F401  (re-exported)
from siaga.core.errors import ServiceError
from siaga.core.models import Organization, OrgKind

from .models import (
    NUISANCE_OUTCOMES,
    Call,
    CallOutcome,
    Channel,
    Incident,
    Priority,
    PriorityPolicy,
    Referral,
    ReferralStatus,
)

DEFAULT_DAYS = 7
# A longer range is refused: it would load too many rows into one request.
MAX_DAYS = 366
TOP_NUMBERS = 20
CALL_CENTER_KINDS = (OrgKind.CALL_CENTER_112, OrgKind.PSC_119)
NO_OUTCOME = "open"  # calls not closed yet have an empty outcome

# --- small statistics --------------------------------------------------------------------------------


def percentile(values, fraction: float) -> float | None:
    """The fraction-quantile (0..1) of values, interpolating linearly between closest ranks; None if empty."""
    data = sorted(values)
    if not data:
        return None
    pos = (len(data) - 1) * fraction
    lo, hi = math.floor(pos), math.ceil(pos)
    if lo == hi:
        return float(data[lo])
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def summarize(seconds) -> dict:
    """count, median, p90 (seconds) of a list of intervals."""
    data = [s for s in seconds if s is not None]
    return {"count": len(data), "median": percentile(data, 0.5), "p90": percentile(data, 0.9)}


def seconds_between(start, end) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def mask_number(number: str) -> str:
    """A caller number with its middle hidden, for people who may see figures but not callers."""
    if not number:
        return ""
    if len(number) <= 6:
        return "•" * len(number)
    return number[:5] + "•" * (len(number) - 8) + number[-3:]


# --- filters -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the figures cover: [start, end) in UTC, local days first..last, optionally one call center."""

    first_day: dt.date
    last_day: dt.date
    tz: ZoneInfo
    organization: Organization | None = None

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time.min, tzinfo=self.tz)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time.min, tzinfo=self.tz)

    @property
    def days(self) -> list[dt.date]:
        n = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=i) for i in range(n)]

    @property
    def zone(self) -> str:
        return zone_label(self.tz)

    def query(self) -> dict:
        out = {"from": self.first_day.isoformat(), "to": self.last_day.isoformat()}
        if self.organization is not None:
            out["center"] = str(self.organization.pk)
        return out


def call_centers(actor):
    """The call centers whose figures this actor may read: visible organisations of a call-center kind."""
    qs = Organization.objects.filter(active=True)
    if not actor.is_platform_admin:
        qs = qs.filter(pk__in=actor.org_ids)
    cond = Q(kind__in=CALL_CENTER_KINDS)
    if actor.organization_id:
        cond |= Q(pk=actor.organization_id)  # a PSC or BPBD that takes calls itself
    return qs.filter(cond).order_by("name")


def _parse_day(raw: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ServiceError(_("%(name)s is not a date (YYYY-MM-DD): %(value)s") % {"name": name, "value": raw[:20]},
                           code="invalid_date") from None


def parse_filters(actor, params, *, now: dt.datetime | None = None) -> Filters:
    """Filters from request parameters (from, to, center); refuses bad dates and call centers out of sight."""
    actor.require("callcenter.stats")
    organization = None
    center = (params.get("center") or "").strip()
    if center:
        if not center.isdigit():
            raise ServiceError(_("Unknown call center."), code="invalid_center")
        organization = call_centers(actor).filter(pk=int(center)).first()
        if organization is None:
            raise ServiceError(_("Unknown call center."), code="invalid_center", status=404)
    region = organization.region_code if organization else (
        actor.organization.region_code if actor.organization else actor.scope_code)
    tz = zone_for_region(region or actor.scope_code)
    today = (now or timezone.now()).astimezone(tz).date()
    raw_to, raw_from = (params.get("to") or "").strip(), (params.get("from") or "").strip()
    last_day = _parse_day(raw_to, _("End date")) if raw_to else today
    first_day = _parse_day(raw_from, _("Start date")) if raw_from else last_day - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first_day > last_day:
        raise ServiceError(_("The start date comes after the end date."), code="invalid_range")
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise ServiceError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS}, code="range_too_long")
    return Filters(first_day=first_day, last_day=last_day, tz=tz, organization=organization)


# --- the rows the figures come from ----------------------------------------------------------------------


def calls_in(actor, filters: Filters):
    qs = actor.scope_queryset(Call.objects.all()).filter(started_at__gte=filters.start, started_at__lt=filters.end)
    if filters.organization is not None:
        qs = qs.filter(organization=filters.organization)
    return qs


def incidents_in(actor, filters: Filters):
    # The call center's own incidents only: one shared with an agency belongs to the figures of its owner.
    qs = actor.scope_queryset(Incident.objects.all()).filter(created_at__gte=filters.start,
                                                            created_at__lt=filters.end)
    if filters.organization is not None:
        qs = qs.filter(organization=filters.organization)
    return qs


def referrals_in(actor, filters: Filters):
    incidents = actor.scope_queryset(Incident.objects.all())
    if filters.organization is not None:
        incidents = incidents.filter(organization=filters.organization)
    return Referral.objects.filter(incident__in=incidents.values("pk"), requested_at__gte=filters.start,
                                   requested_at__lt=filters.end)


# --- calls --------------------------------------------------------------------------------------------


def call_rows(calls) -> list[dict]:
    """One dict per call with its intervals (seconds), oldest first."""
    return list(iter_call_rows(calls))


def iter_call_rows(calls):
    """call_rows one at a time, reading the database in chunks (exports of a whole year)."""
    qs = calls.select_related("incident", "organization").order_by("started_at", "pk")
    for c in qs.iterator(chunk_size=2000):
        creating = c.incident if c.outcome == CallOutcome.NEW_INCIDENT else None
        yield {
            "id": c.pk,
            "organization": c.organization.name,
            "channel": c.channel,
            "caller_number": c.caller_number,
            "started_at": c.started_at,
            "answered_at": c.answered_at,
            "ended_at": c.ended_at,
            "outcome": c.outcome or NO_OUTCOME,
            "outcome_reason": c.outcome_reason,
            "incident_number": c.incident.number if c.incident_id else "",
            "ring_seconds": seconds_between(c.started_at, c.answered_at),
            "talk_seconds": seconds_between(c.answered_at, c.ended_at),
            "answer_to_create_seconds": seconds_between(c.answered_at, creating.created_at) if creating else None,
        }


def call_volume(rows: list[dict], filters: Filters) -> dict:
    """Calls per local day and per hour of day, each split by channel and by outcome."""
    days = {d: {"total": 0, "channel": Counter(), "outcome": Counter()} for d in filters.days}
    hours = [{"total": 0, "channel": Counter(), "outcome": Counter()} for _h in range(24)]
    for r in rows:
        local = r["started_at"].astimezone(filters.tz)
        for bucket in (days.get(local.date()), hours[local.hour]):
            if bucket is None:
                continue
            bucket["total"] += 1
            bucket["channel"][r["channel"]] += 1
            bucket["outcome"][r["outcome"]] += 1
    channels = [value for value, _label in Channel.choices]
    outcomes = [value for value, _label in CallOutcome.choices] + [NO_OUTCOME]
    return {
        "channels": channels,
        "outcomes": outcomes,
        "by_day": [{"day": d, **_plain(b, channels, outcomes)} for d, b in days.items()],
        "by_hour": [{"hour": h, **_plain(b, channels, outcomes)} for h, b in enumerate(hours)],
        "total": len(rows),
    }


def _plain(bucket, channels, outcomes) -> dict:
    return {"total": bucket["total"], "channel": {c: bucket["channel"][c] for c in channels},
            "outcome": {o: bucket["outcome"][o] for o in outcomes}}


def nuisance(rows: list[dict], filters: Filters, *, mask: bool) -> dict:
    """Share of prank, silent and accidental calls per day, per hour of day and per caller number."""
    bad = set(NUISANCE_OUTCOMES)

    def share(n, total):
        return n / total if total else None

    per_day = {d: [0, 0] for d in filters.days}
    per_hour = [[0, 0] for _h in range(24)]
    per_number: dict[str, list] = defaultdict(lambda: [0, 0, Counter()])
    for r in rows:
        local = r["started_at"].astimezone(filters.tz)
        is_bad = r["outcome"] in bad
        for bucket in (per_day.get(local.date()), per_hour[local.hour]):
            if bucket is not None:
                bucket[0] += 1
                bucket[1] += is_bad
        if r["caller_number"]:
            entry = per_number[r["caller_number"]]
            entry[0] += 1
            entry[1] += is_bad
            if is_bad:
                entry[2][r["outcome"]] += 1
    numbers = sorted(((n, v) for n, v in per_number.items() if v[1]), key=lambda nv: (-nv[1][1], -nv[1][0], nv[0]))
    total = len(rows)
    total_bad = sum(1 for r in rows if r["outcome"] in bad)
    return {
        "total": total,
        "nuisance": total_bad,
        "share": share(total_bad, total),
        "by_day": [{"day": d, "calls": c, "nuisance": b, "share": share(b, c)} for d, (c, b) in per_day.items()],
        "by_hour": [{"hour": h, "calls": c, "nuisance": b, "share": share(b, c)} for h, (c, b) in enumerate(per_hour)],
        "by_number": [
            {"number": mask_number(n) if mask else n, "calls": v[0], "nuisance": v[1], "share": share(v[1], v[0]),
             "outcomes": {o: v[2][o] for o in NUISANCE_OUTCOMES if v[2][o]}}
            for n, v in numbers[:TOP_NUMBERS]
        ],
    }


# --- incidents ------------------------------------------------------------------------------------------


def policies() -> dict[int, PriorityPolicy]:
    return {p.priority: p for p in PriorityPolicy.objects.all()}


def incident_rows(incidents, *, targets: dict[int, PriorityPolicy] | None = None) -> list[dict]:
    """One dict per incident with its intervals (seconds) from the raw timestamps, oldest first."""
    targets = policies() if targets is None else targets
    qs = incidents.select_related("type", "organization").order_by("created_at", "pk")
    incidents = list(qs)
    ids = [i.pk for i in incidents]
    answered: dict[int, dt.datetime] = {}
    channel: dict[int, str] = {}
    for inc_id, answered_at, ch in (
        Call.objects.filter(incident_id__in=ids, outcome=CallOutcome.NEW_INCIDENT)
        .order_by("started_at", "pk").values_list("incident_id", "answered_at", "channel")
    ):
        answered.setdefault(inc_id, answered_at)
        channel.setdefault(inc_id, ch)
    refs: dict[int, list] = defaultdict(list)
    for ref in Referral.objects.filter(incident_id__in=ids).values(
            "incident_id", "status", "acknowledged_at", "committed_at", "ack_deadline"):
        refs[ref["incident_id"]].append(ref)
    rows = []
    for inc in incidents:
        mine = refs.get(inc.pk, [])
        acks = [r["acknowledged_at"] for r in mine if r["acknowledged_at"]]
        commits = [r["committed_at"] for r in mine if r["committed_at"]]
        first_ack = min(acks) if acks else None
        first_commit = min(commits) if commits else None
        response = seconds_between(inc.created_at, first_commit)
        policy = targets.get(inc.priority)
        target = policy.response_target_minutes * 60 if policy else None
        rows.append({
            "id": inc.pk,
            "number": inc.number,
            "organization": inc.organization.name,
            "type_code": inc.type.code,
            "type_name": inc.type.name,
            "priority": inc.priority,
            "suggested_priority": inc.suggested_priority,
            "status": inc.status,
            "region_code": inc.region_code,
            "channel": channel.get(inc.pk, ""),
            "created_at": inc.created_at,
            "answered_at": answered.get(inc.pk),
            "first_acknowledged_at": first_ack,
            "first_committed_at": first_commit,
            "closed_at": inc.closed_at,
            "answer_to_create_seconds": seconds_between(answered.get(inc.pk), inc.created_at),
            "create_to_dispatch_seconds": seconds_between(inc.created_at, first_ack),
            "response_seconds": response,
            "response_target_seconds": target,
            "within_target": None if response is None or target is None else response <= target,
            "referrals_total": len([r for r in mine if r["status"] != ReferralStatus.CANCELLED]),
            "referrals_acknowledged": len(acks),
        })
    return rows


def intervals(rows: list[dict]) -> dict:
    return {
        "answer_to_create": summarize(r["answer_to_create_seconds"] for r in rows),
        "create_to_dispatch": summarize(r["create_to_dispatch_seconds"] for r in rows),
    }


def response_by_priority(rows: list[dict], targets: dict[int, PriorityPolicy], *, now: dt.datetime) -> list[dict]:
    """Per priority: median and p90 response time, and how many met, missed or still wait for a response."""
    out = []
    for value, label in Priority.choices:
        mine = [r for r in rows if r["priority"] == value]
        times = [r["response_seconds"] for r in mine if r["response_seconds"] is not None]
        policy = targets.get(value)
        target = policy.response_target_minutes * 60 if policy else None
        waiting = [r for r in mine if r["response_seconds"] is None]
        overdue = [r for r in waiting if target is not None and (now - r["created_at"]).total_seconds() > target]
        out.append({
            "priority": value,
            "label": str(label),
            "incidents": len(mine),
            "target_seconds": target,
            **summarize(times),
            "within_target": sum(1 for t in times if target is not None and t <= target),
            "over_target": sum(1 for t in times if target is not None and t > target),
            "no_response": len(waiting),
            "no_response_overdue": len(overdue),
        })
    return out


# --- agencies -------------------------------------------------------------------------------------------


def agency_acknowledgements(referrals, *, now: dt.datetime) -> list[dict]:
    """Per agency: acknowledgement times (median, p90) and missed deadlines, worst first."""
    per: dict[int, dict] = {}
    for ref in referrals.select_related("agency").order_by("requested_at", "pk"):
        entry = per.setdefault(ref.agency_id, {"agency_id": ref.agency_id, "agency": ref.agency.name, "times": [],
                                                "referrals": 0, "missed_late": 0, "missed_unanswered": 0})
        entry["referrals"] += 1
        if ref.acknowledged_at is not None:
            entry["times"].append(seconds_between(ref.requested_at, ref.acknowledged_at))
            if ref.acknowledged_at > ref.ack_deadline:
                entry["missed_late"] += 1
        elif ref.status == ReferralStatus.REQUESTED and now > ref.ack_deadline:
            entry["missed_unanswered"] += 1
    out = []
    for entry in per.values():
        times = entry.pop("times")
        entry.update(summarize(times))
        entry["acknowledged"] = entry.pop("count")
        entry["missed"] = entry["missed_late"] + entry["missed_unanswered"]
        out.append(entry)
    out.sort(key=lambda e: (-e["missed"], -(e["p90"] or 0), e["agency"]))
    return out


# --- everything for the page ------------------------------------------------------------------------------


def evaluation(actor, filters: Filters, *, now: dt.datetime | None = None) -> dict:
    """Every figure of the evaluation page for the actor's call centers and the chosen period."""
    actor.require("callcenter.stats")
    now = now or timezone.now()
    targets = policies()
    calls = call_rows(calls_in(actor, filters))
    incidents = incident_rows(incidents_in(actor, filters), targets=targets)
    return {
        "filters": filters,
        "volume": call_volume(calls, filters),
        "intervals": intervals(incidents),
        "incidents": len(incidents),
        "response": response_by_priority(incidents, targets, now=now),
        "agencies": agency_acknowledgements(referrals_in(actor, filters), now=now),
        "nuisance": nuisance(calls, filters, mask=not actor.has("call.view")),
    }
