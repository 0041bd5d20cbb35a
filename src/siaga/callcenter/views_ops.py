"""Call-center operations pages: the call-taker screen, the live incident board and detail, the evaluation."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Count, Min, Q
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from siaga.core import audit
from siaga.core.errors import ServiceError
from siaga.core.pages import AUDIT_HIDDEN_FIELDS as AUDIT_HIDDEN_BASE
from siaga.core.pages import audit_rows as shared_audit_rows
from siaga.core.pages import page
from siaga.geo.models import Level, Region

from . import exports, stats
from .models import (
    OPEN_STATUSES,
    CallerNumber,
    CallOutcome,
    Channel,
    IncidentType,
    LocationSource,
    Priority,
    PriorityPolicy,
    ReferralStatus,
)

BOARD_LIMIT = 200
NUMBER_RE = re.compile(r"^\+?[0-9 ()-]{3,20}$")
INDONESIA_CENTER = (-2.5, 118.0)
ACKED = (ReferralStatus.ACKNOWLEDGED, ReferralStatus.COMMITTED, ReferralStatus.CLOSED)
# What the board shows in the priority column, from most to least urgent.
PRIORITY_CLASSES = {1: "p1", 2: "p2", 3: "p3", 4: "p4"}


# --- shared page plumbing -----------------------------------------------------------------------------


# Every call-center page: login, an acting membership and one permission (the shared rule in core.pages).
ops_page = page


def region_names(codes) -> dict[str, str]:
    codes = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def duration_text(seconds) -> str:
    """A short human duration: "45 s", "3 min 05 s", "2 h 10 min", "3 d 4 h"."""
    if seconds is None:
        return "—"
    s = int(round(seconds))
    sign = "−" if s < 0 else ""
    s = abs(s)
    if s < 60:
        return sign + _("%(s)d s") % {"s": s}
    if s < 3600:
        return sign + _("%(m)d min %(s)02d s") % {"m": s // 60, "s": s % 60}
    if s < 86400:
        return sign + _("%(h)d h %(m)02d min") % {"h": s // 3600, "m": s % 3600 // 60}
    return sign + _("%(d)d d %(h)d h") % {"d": s // 86400, "h": s % 86400 // 3600}


def age_text(seconds: float) -> str:
    m = int(seconds // 60)
    if m < 1:
        return _("<1 min")
    if m < 60:
        return _("%(m)d min") % {"m": m}
    if m < 1440:
        return _("%(h)d h %(m)d min") % {"h": m // 60, "m": m % 60}
    return _("%(d)d d %(h)d h") % {"d": m // 1440, "h": m % 1440 // 60}


def map_for(scope_code: str) -> dict:
    """Options of the web/components/map.html include: the kelurahan of the actor's area."""
    depth = scope_code.count(".") + 1 if scope_code else 0
    level = Level.VILLAGE if depth >= 2 else Level.REGENCY
    query = urlencode({"within": scope_code, "level": level})
    center, zoom = INDONESIA_CENTER, 5
    point = Region.objects.filter(code=scope_code).values_list("lat", "lng").first() if scope_code else None
    if point and point[0] is not None and point[1] is not None:
        center, zoom = point, 8 + 2 * min(depth, 3)
    return {"layers": [f"{reverse('web:map_boundaries')}?{query}"], "center": f"{center[0]},{center[1]}",
            "zoom": zoom}


# --- the call-taker screen ------------------------------------------------------------------------------


def nuisance_choices() -> list[dict]:
    """One-key call outcomes without an incident, each with its shortcut and the reasons offered."""
    return [
        {"outcome": CallOutcome.PRANK, "key": "p", "label": str(CallOutcome.PRANK.label), "reasons": [
            _("Caller joked or laughed"), _("False report, confirmed"), _("Abusive or insulting caller"),
            _("Child playing with the phone")]},
        {"outcome": CallOutcome.SILENT, "key": "s", "label": str(CallOutcome.SILENT.label), "reasons": [
            _("No voice, line open"), _("Background noise only"), _("Caller hung up at once")]},
        {"outcome": CallOutcome.ACCIDENTAL, "key": "a", "label": str(CallOutcome.ACCIDENTAL.label), "reasons": [
            _("Pocket dial"), _("Wrong number"), _("Caller apologised, no emergency")]},
        {"outcome": CallOutcome.INFORMATION, "key": "i", "label": str(CallOutcome.INFORMATION.label), "reasons": [
            _("Asked for a phone number"), _("Asked about a service"), _("Non-emergency complaint"),
            _("Asked about an earlier report")]},
        {"outcome": CallOutcome.TEST, "key": "t", "label": str(CallOutcome.TEST.label), "reasons": [
            _("Line test"), _("Training"), _("Telephony system check")]},
    ]


def calltaker_texts() -> dict:
    """Every sentence calltaker.js shows, translated here ({name} placeholders are filled in by the script)."""
    return {
        "idle": _("No call. Press F2 or type the caller's number to start."),
        "starting": _("Starting the call…"),
        "active": _("Call {id} in progress"),
        "done": _("Call finished. Press F2 for the next call."),
        "line_ended": _("The line is down: finish the report, or close the call."),
        "history_loading": _("Looking up the number…"),
        "history_none": _("No earlier calls from this number."),
        "history_summary": _("{total} earlier calls, {nuisance} of them nuisance."),
        "history_flagged": _("Flagged number: repeated nuisance calls. Policy: {policy}."),
        "history_error": _("The caller's history could not be loaded."),
        "region_none": _("No kelurahan found. Describe the place in the address field."),
        "region_picked": _("Kelurahan: {label}"),
        "region_lookup_none": _("This point lies in no known kelurahan."),
        "coords_bad": _("Type the coordinates as latitude, longitude, e.g. -7.4726, 112.4381."),
        "coords_outside": _("These coordinates lie outside Indonesia."),
        "coords_swapped": _("Latitude and longitude were swapped; corrected."),
        "type_none": _("No incident type matches."),
        "yes": _("Yes"),
        "no": _("No"),
        "suggested": _("Suggested priority: {priority}"),
        "suggested_none": _("Pick the incident type to get a suggested priority."),
        "need_call": _("Start a call first (F2)."),
        "need_type": _("Pick the incident type."),
        "need_location": _("Give the location: a kelurahan, an address, coordinates or a point on the map."),
        "need_reason": _("Give the reason for changing the suggested priority."),
        "need_outcome_reason": _("Pick or type a reason."),
        "creating": _("Creating the incident…"),
        "created": _("Incident {number} created"),
        "attached": _("Call attached to incident {number}"),
        "closed": _("Call closed: {outcome}"),
        "referrals": _("Referred to"),
        "referrals_none": _("No agency was referred automatically. Refer it from the incident page."),
        "deadline": _("acknowledge by {time}"),
        "open_incident": _("Open the incident"),
        "duplicates": _("Possible duplicates"),
        "duplicates_flag": _("⚠ Possible duplicate ({count})"),
        "attach": _("Attach this call to {number}"),
        "score": _("score {score}"),
        "http_error": _("The server answered with an error ({status})."),
        "network_error": _("No connection to the server. Check the network and try again."),
        "close_title": _("Close the call as: {outcome}"),
        "other_reason": _("Other reason"),
    }


def taxonomy_data() -> list[dict]:
    return [
        {"code": t.code, "name": t.name, "category": t.category, "default_priority": t.default_priority,
         "key_questions": t.key_questions or [], "keywords": t.keywords}
        for t in IncidentType.objects.filter(active=True).order_by("sort_order", "name")
    ]


@ops_page("call.create")
def calltaker(request, actor):
    number = request.GET.get("number", "").strip()
    if not NUMBER_RE.match(number):
        number = ""
    channel = request.GET.get("channel", Channel.PHONE)
    if channel not in Channel.values:
        channel = Channel.PHONE
    return render(request, "callcenter/ops/calltaker.html", {
        "number": number,
        "channel": channel,
        "channels": Channel.choices,
        "priorities": Priority.choices,
        "map": map_for(actor.scope_code),
        "scope_code": actor.scope_code,
        "config": {
            "taxonomy": taxonomy_data(),
            "nuisance": nuisance_choices(),
            "priorities": {str(v): str(label) for v, label in Priority.choices},
            "sources": {v: str(label) for v, label in LocationSource.choices},
            "statuses": {v: str(label) for v, label in ReferralStatus.choices},
            "outcomes": {v: str(label) for v, label in CallOutcome.choices},
            "policies": {v: str(label) for v, label in CallerNumber.Policy.choices},
            "texts": calltaker_texts(),
            "within": actor.scope_code,
            "event_names": stream_event_names("incidents,referrals").split(),
        },
        "incident_url": reverse("callcenter:incident", args=[0]).replace("/0/", "/{id}/"),
    })


# --- incident board -------------------------------------------------------------------------------------


def _visible_incidents(actor):
    from .services import visible_incidents

    return visible_incidents(actor)


def board_rows(actor, *, now=None) -> tuple[list[dict], bool]:
    """Open incidents the actor may see, most urgent and oldest first, with their referrals summary."""
    now = now or timezone.now()
    qs = (_visible_incidents(actor).filter(status__in=OPEN_STATUSES).select_related("type")
          .order_by("priority", "created_at", "pk"))
    incidents = list(qs[:BOARD_LIMIT + 1])
    truncated = len(incidents) > BOARD_LIMIT
    incidents = incidents[:BOARD_LIMIT]
    from .models import Referral

    counts = {
        row["incident_id"]: row
        for row in Referral.objects.filter(incident_id__in=[i.pk for i in incidents])
        .exclude(status=ReferralStatus.CANCELLED)
        .values("incident_id")
        .annotate(
            total=Count("pk"),
            acked=Count("pk", filter=Q(status__in=ACKED)),
            overdue=Count("pk", filter=Q(status=ReferralStatus.REQUESTED, ack_deadline__lt=now)),
            declined=Count("pk", filter=Q(status=ReferralStatus.DECLINED)),
            next_deadline=Min("ack_deadline", filter=Q(status=ReferralStatus.REQUESTED)),
        )
    }
    names = region_names(i.region_code for i in incidents)
    rows = []
    for inc in incidents:
        c = counts.get(inc.pk, {})
        rows.append({
            "incident": inc,
            "priority_class": PRIORITY_CLASSES.get(inc.priority, "p4"),
            "region_name": names.get(inc.region_code, ""),
            "age": age_text((now - inc.created_at).total_seconds()),
            "age_seconds": int((now - inc.created_at).total_seconds()),
            "referrals_total": c.get("total", 0),
            "referrals_acked": c.get("acked", 0),
            "referrals_overdue": c.get("overdue", 0),
            "referrals_declined": c.get("declined", 0),
        })
    return rows, truncated


def stream_topics(actor) -> str:
    return ",".join(t for t, perm in (("incidents", "incident.view"), ("referrals", "referral.view"))
                    if actor.has(perm))


def stream_event_names(topics: str) -> str:
    """The registered event types of these topics: an EventSource hears named events only when asked by name."""
    from siaga.core.events import EVENT_TYPES

    from . import referrals  # noqa: F401  (registers the referral event types)

    wanted = set(topics.split(","))
    return " ".join(sorted(name for name, et in EVENT_TYPES.items() if et.topic in wanted))


@ops_page("incident.view")
def board(request, actor):
    rows, truncated = board_rows(actor)
    return render(request, "callcenter/ops/board.html", {
        "rows": rows, "truncated": truncated, "limit": BOARD_LIMIT, "now": timezone.now(),
        "topics": stream_topics(actor), "event_names": stream_event_names(stream_topics(actor)),
        "can_take_calls": actor.has("call.create"), "can_read_stats": actor.has("callcenter.stats"),
    })


@ops_page("incident.view")
@require_GET
def board_fragment(request, actor):
    rows, truncated = board_rows(actor)
    return render(request, "callcenter/ops/_board_table.html", {
        "rows": rows, "truncated": truncated, "limit": BOARD_LIMIT, "now": timezone.now(),
    })


# --- incident detail ---------------------------------------------------------------------------------------

AUDIT_HIDDEN_FIELDS = AUDIT_HIDDEN_BASE | {"tracking_token"}


def audit_rows(records):
    """Audit records prepared for web/components/audit_table.html (the public tracking token hidden)."""
    return shared_audit_rows(records, AUDIT_HIDDEN_FIELDS)


@ops_page("incident.view")
def incident_detail(request, actor, incident_id: int):
    from .services import get_incident

    incident = get_incident(actor, incident_id)
    owner = actor.is_platform_admin or incident.organization_id in actor.org_ids
    # Callers' numbers and the audit trail stay with the call center that owns the incident.
    show_numbers = owner and actor.has("call.view")
    names = region_names([incident.region_code])
    questions = {q.get("id"): q.get("text") for q in (incident.type.key_questions or []) if isinstance(q, dict)}
    answers = [{"text": questions.get(k, k), "yes": bool(v)} for k, v in (incident.answers or {}).items()]
    calls = list(incident.calls.select_related("taken_by").order_by("started_at"))
    referrals = list(incident.referrals.select_related("agency").order_by("requested_at", "pk"))
    now = timezone.now()
    for ref in referrals:
        ref.overdue = ref.status == ReferralStatus.REQUESTED and ref.ack_deadline < now
        ref.ack_seconds = stats.seconds_between(ref.requested_at, ref.acknowledged_at)
        ref.ack_text = duration_text(ref.ack_seconds) if ref.ack_seconds is not None else ""
    policy = PriorityPolicy.objects.filter(priority=incident.priority).first()
    timeline = list(incident.timeline.select_related("actor", "organization").all())
    if not show_numbers:
        for entry in timeline:
            for call in calls:
                if call.caller_number:
                    entry.text = entry.text.replace(call.caller_number, stats.mask_number(call.caller_number))
    return render(request, "callcenter/ops/incident.html", {
        "incident": incident,
        "region_name": names.get(incident.region_code, ""),
        "answers": answers,
        "calls": calls,
        "show_numbers": show_numbers,
        "positions": list(incident.positions.all()[:50]),
        "referrals": referrals,
        "timeline": timeline,
        "records": audit_rows(list(audit.history(incident)[:100])) if owner else None,
        "policy": policy,
        "age": age_text((now - incident.created_at).total_seconds()),
        "open": incident.status in OPEN_STATUSES,
        "topics": stream_topics(actor),
        "event_names": stream_event_names(stream_topics(actor)),
    })


# --- evaluation -------------------------------------------------------------------------------------------

CHANNEL_COLORS = {"phone": "#a4161a", "sms": "#0a4da3", "web": "#0d5e25", "app": "#6b4500"}
OUTCOME_COLORS = {
    "new_incident": "#a4161a", "attached": "#e07a1f", "information": "#0a4da3", "prank": "#6a1b9a",
    "silent": "#5a6069", "accidental": "#b8a000", "test": "#0d5e25", "open": "#c3c8cf",
}


def _bar(labels, datasets, *, stacked=True, y_title="", percent=False):
    scale = {"beginAtZero": True, "title": {"display": bool(y_title), "text": y_title}}
    if stacked:
        scale["stacked"] = True
        scale["ticks"] = {"precision": 0}  # counts of calls: no half calls on the axis
    if percent:
        scale["max"] = 100
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "responsive": True, "maintainAspectRatio": False, "animation": False,
            "scales": {"x": {"stacked": stacked}, "y": scale},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


def charts(result) -> dict:
    vol = result["volume"]
    channel_labels = dict(Channel.choices)
    outcome_labels = {**dict(CallOutcome.choices), stats.NO_OUTCOME: _("Not closed")}
    days = [r["day"].strftime("%d/%m") for r in vol["by_day"]]
    hours = [f"{h:02d}" for h in range(24)]
    per_day = _bar(days, [
        {"label": str(channel_labels[c]), "data": [r["channel"][c] for r in vol["by_day"]],
         "backgroundColor": CHANNEL_COLORS.get(c, "#888")}
        for c in vol["channels"] if any(r["channel"][c] for r in vol["by_day"])
    ], y_title=_("Calls"))
    per_hour = _bar(hours, [
        {"label": str(outcome_labels[o]), "data": [r["outcome"][o] for r in vol["by_hour"]],
         "backgroundColor": OUTCOME_COLORS.get(o, "#888")}
        for o in vol["outcomes"] if any(r["outcome"][o] for r in vol["by_hour"])
    ], y_title=_("Calls"))
    nuis = result["nuisance"]

    def pct(v):
        return None if v is None else round(v * 100, 1)

    nuisance_day = _bar(days, [{"label": _("Nuisance share (%)"), "data": [pct(r["share"]) for r in nuis["by_day"]],
                                "backgroundColor": "#6a1b9a"}], stacked=False, y_title="%", percent=True)
    nuisance_hour = _bar(hours, [{"label": _("Nuisance share (%)"), "data": [pct(r["share"]) for r in nuis["by_hour"]],
                                  "backgroundColor": "#6a1b9a"}], stacked=False, y_title="%", percent=True)

    def minutes(v):
        return None if v is None else round(v / 60, 1)

    resp = result["response"]
    response = _bar([f"P{r['priority']}" for r in resp], [
        {"type": "bar", "label": _("Median (min)"), "data": [minutes(r["median"]) for r in resp],
         "backgroundColor": "#0a4da3"},
        {"type": "bar", "label": _("90th percentile (min)"), "data": [minutes(r["p90"]) for r in resp],
         "backgroundColor": "#a4161a"},
        {"type": "line", "label": _("Target (min)"), "data": [minutes(r["target_seconds"]) for r in resp],
         "borderColor": "#111111", "backgroundColor": "#111111", "showLine": False, "pointStyle": "line",
         "pointRadius": 14, "pointBorderWidth": 3},
    ], stacked=False, y_title=_("Minutes"))
    agencies = result["agencies"]
    ack = _bar([a["agency"] for a in agencies], [
        {"label": _("Median (min)"), "data": [minutes(a["median"]) for a in agencies], "backgroundColor": "#0a4da3"},
        {"label": _("90th percentile (min)"), "data": [minutes(a["p90"]) for a in agencies],
         "backgroundColor": "#a4161a"},
    ], stacked=False, y_title=_("Minutes"))
    # Agencies down the side, minutes along the bottom.
    ack["options"]["indexAxis"] = "y"
    ack["options"]["scales"] = {"x": {"beginAtZero": True, "title": {"display": True, "text": _("Minutes")}},
                                "y": {}}
    return {"chart-calls-day": per_day, "chart-calls-hour": per_hour, "chart-nuisance-day": nuisance_day,
            "chart-nuisance-hour": nuisance_hour, "chart-response": response, "chart-ack": ack}


def _with_texts(result):
    for key in ("answer_to_create", "create_to_dispatch"):
        s = result["intervals"][key]
        s["median_text"], s["p90_text"] = duration_text(s["median"]), duration_text(s["p90"])
    for r in result["response"]:
        r["median_text"], r["p90_text"] = duration_text(r["median"]), duration_text(r["p90"])
        r["target_text"] = duration_text(r["target_seconds"])
    for a in result["agencies"]:
        a["median_text"], a["p90_text"] = duration_text(a["median"]), duration_text(a["p90"])
    outcome_labels = {**dict(CallOutcome.choices), stats.NO_OUTCOME: _("Not closed")}
    vol = result["volume"]
    vol["channel_labels"] = [(c, Channel(c).label) for c in vol["channels"]]
    vol["outcome_labels"] = [(o, outcome_labels[o]) for o in vol["outcomes"]]
    for r in vol["by_day"] + vol["by_hour"]:
        r["channel_list"] = [r["channel"][c] for c in vol["channels"]]
        r["outcome_list"] = [r["outcome"][o] for o in vol["outcomes"]]
    for r in result["nuisance"]["by_number"]:
        r["outcome_text"] = ", ".join(f"{CallOutcome(o).label} {n}" for o, n in r["outcomes"].items())
    return result


@ops_page("callcenter.stats")
def evaluation(request, actor):
    error = ""
    try:
        filters = stats.parse_filters(actor, request.GET)
    except ServiceError as exc:
        error = exc.message
        filters = stats.parse_filters(actor, {})
    result = _with_texts(stats.evaluation(actor, filters))
    query = urlencode(filters.query())
    return render(request, "callcenter/ops/evaluation.html", {
        "filters": filters,
        "error": error,
        "centers": list(stats.call_centers(actor)),
        "result": result,
        "charts": charts(result),
        "masked": not actor.has("call.view"),
        "exports": [
            (label, f"{reverse('callcenter:export_' + ext)}?{query}&data={dataset}")
            for dataset, name in (("calls", _("Calls")), ("incidents", _("Incidents")))
            for ext, label in (("csv", f"{name} CSV"), ("xlsx", f"{name} XLSX"))
        ],
    }, status=400 if error else 200)


async def _async_chunks(chunks, batch: int = 500):
    """A synchronous stream read in batches on the database thread, so ASGI sends it as it comes.

    Given a synchronous iterator, Django's ASGI handler would first read the whole export into memory.
    """
    iterator = iter(chunks)

    def next_batch():
        out = []
        for chunk in iterator:
            out.append(chunk)
            if len(out) >= batch:
                break
        return "".join(out)

    while True:
        text = await sync_to_async(next_batch, thread_sensitive=True)()
        if not text:
            return
        yield text


def _export(request, actor, ext: str):
    try:
        filters = stats.parse_filters(actor, request.GET)
        dataset = exports.dataset_of(request.GET)
    except ServiceError as exc:
        return render(request, "web/error.html", {"error_code": exc.status, "error_title": _("Cannot export"),
                                                  "message": exc.message}, status=exc.status)
    columns, items = exports.rows(actor, filters, dataset)
    name = exports.filename(dataset, filters, ext)
    if ext == "csv":
        chunks = exports.csv_stream(columns, items, filters)
        if isinstance(request, ASGIRequest):
            chunks = _async_chunks(chunks)
        response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.xlsx_bytes(columns, items, filters, dataset=dataset),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@ops_page("callcenter.stats")
@require_GET
def export_csv(request, actor):
    return _export(request, actor, "csv")


@ops_page("callcenter.stats")
@require_GET
def export_xlsx(request, actor):
    return _export(request, actor, "xlsx")
