"""The dispatcher's console: open incidents with their dispatches, a live map of units, incidents and hospitals,
recommendations, coverage now, acknowledgement alarms and requests for units across organisations.

The page is rendered with its whole state as JSON (read by static/dispatch/console.js); the script
follows the live stream and re-reads the same state from console_state when dispatches, incidents
or requests change. Every write goes through the dispatch API.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.callcenter.models import OPEN_STATUSES
from siaga.core.models import Organization
from siaga.core.pages import page
from siaga.core.permissions import Actor, region_overlap_q
from siaga.web.views import boundaries_url, map_options

from . import crewing, services
from .api import dispatch_out, unit_out
from .models import Dispatch, DispatchStatus, Shift, UnitStatus

MAX_UNITS = 2000
MAX_INCIDENTS = 200
MAX_DISPATCHES = 500
MAX_HOSPITALS = 300
MAX_REQUESTS = 100


def _kab(code: str) -> str:
    parts = (code or "").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else ""


def area_code(actor: Actor) -> str:
    """The kab/kota the console centres on: the actor's scope, else its organisation's region."""
    org_region = actor.organization.region_code if actor.organization else ""
    return _kab(actor.scope_code) or _kab(org_region) or actor.scope_code or org_region or ""


def _incident_out(inc) -> dict:
    return {"id": inc.pk, "number": inc.number, "type": inc.type.name, "needs_capability": inc.type.needs_capability,
            "priority": inc.priority, "status": inc.status, "status_label": inc.get_status_display(),
            "address": inc.address or "", "description": (inc.description or "")[:300], "lat": inc.lat,
            "lng": inc.lng, "region_code": inc.region_code, "created_at": inc.created_at}


def _hospital_out(org: Organization) -> dict:
    cap = getattr(org, "capacity", None)
    row = {"id": org.pk, "name": org.name, "lat": org.lat, "lng": org.lng, "region_code": org.region_code,
           "capacity": None}
    if cap is not None:
        row["capacity"] = {
            "accepting": cap.accepting, "emergency_beds_free": cap.emergency_beds_free,
            "emergency_beds_total": cap.emergency_beds_total, "icu_beds_free": cap.icu_beds_free,
            "icu_beds_total": cap.icu_beds_total, "operating_theatres_free": cap.operating_theatres_free,
            "operating_theatres_total": cap.operating_theatres_total, "updated_at": cap.updated_at}
    return row


def _request_out(r, actor: Actor) -> dict:
    latest = r.console_dispatches[0] if r.console_dispatches else None
    return {"id": r.pk, "organization_id": r.organization_id, "organization_name": r.organization.name,
            "owner_id": r.owner_id, "owner_name": r.owner.name, "unit_id": r.unit_id, "call_sign": r.unit.call_sign,
            "incident_id": r.incident_id, "incident_number": r.incident.number, "status": r.status,
            "status_label": r.get_status_display(), "note": r.note, "requested_at": r.requested_at,
            "responded_at": r.responded_at, "response_note": r.response_note,
            "dispatch_id": latest.pk if latest else None, "dispatch_status": latest.status if latest else None,
            "received": actor.is_platform_admin or r.owner_id in actor.org_ids,
            "made": r.organization_id in actor.org_ids}


def console_state(actor: Actor) -> dict:
    """Everything the console shows, limited to what the actor may see (a bounded number of queries)."""
    now = timezone.now()
    units = list(services.visible_units(actor).filter(active=True).order_by("call_sign")[:MAX_UNITS])
    ids = [u.pk for u in units]
    crewed = crewing.crewed_unit_ids(ids, now)
    crew: dict[int, list[dict]] = {}
    shifts = (Shift.objects.filter(unit_id__in=ids, starts_at__lte=now, ends_at__gt=now, member__isnull=False,
                                   member__active=True)
              .select_related("member").order_by("unit_id", "role", "pk"))
    for s in shifts:
        crew.setdefault(s.unit_id, []).append({"name": s.member.name, "role": s.get_role_display(),
                                               "phone": s.member.phone})
    unit_rows = []
    for u in units:
        row = unit_out(u, crewed)
        row.update(direct=services.can_dispatch_directly(actor, u), status_label=u.get_status_display(),
                   crew=crew.get(u.pk, []), position_at=u.position_at)
        unit_rows.append(row)

    dispatches = list(services.visible_dispatches(actor).filter(status__in=services.LIVE)
                      .order_by("-alerted_at", "-pk")[:MAX_DISPATCHES])
    dispatch_rows = []
    for d in dispatches:
        row = dispatch_out(d)
        row.update(status_label=d.get_status_display(), ack_overdue=bool(d.status == DispatchStatus.ALERTED
                                                                          and d.ack_alarm_at is not None),
                   incident_region_code=d.incident.region_code, mine=d.organization_id in actor.org_ids)
        dispatch_rows.append(row)

    incidents = []
    if actor.has("incident.view"):
        from siaga.callcenter.services import visible_incidents

        incidents = [_incident_out(i) for i in visible_incidents(actor).filter(status__in=OPEN_STATUSES)
                     .select_related("type").order_by("priority", "created_at", "pk")[:MAX_INCIDENTS]]

    hospitals_qs = Organization.objects.filter(kind="hospital", active=True, lat__isnull=False, lng__isnull=False)
    if actor.scope_code and not actor.is_platform_admin:
        hospitals_qs = hospitals_qs.filter(region_overlap_q("region_code", actor.scope_code))
    hospitals = [_hospital_out(h) for h in hospitals_qs.select_related("capacity").order_by("name")[:MAX_HOSPITALS]]

    requests = list(services.visible_unit_requests(actor)
                    .prefetch_related(Prefetch("dispatches", queryset=Dispatch.objects.order_by("-pk"),
                                               to_attr="console_dispatches"))
                    .order_by("-requested_at", "-pk")[:MAX_REQUESTS])
    return {"now": now, "units": unit_rows, "dispatches": dispatch_rows, "incidents": incidents,
            "hospitals": hospitals, "requests": [_request_out(r, actor) for r in requests]}


def _topics(actor: Actor) -> str:
    topics = ["units", "dispatches"]
    if actor.has("incident.view"):
        topics.append("incidents")
    if actor.has("hospital.view"):
        topics.append("hospitals")
    return ",".join(topics)


def _config(actor: Actor, area: str) -> dict:
    statuses = {s.value: str(s.label) for s in UnitStatus}
    statuses.update({s.value: str(s.label) for s in DispatchStatus})
    return {
        "api": "/api/dispatch",
        "state_url": reverse("dispatch:console_state"),
        "stream_url": f"/api/stream?topics={_topics(actor)}",
        "area_code": area,
        # Kecamatan boundaries of the area (GeoJSON), to paint those a unit would leave without cover.
        "boundaries_url": boundaries_url(area, 3) if area.count(".") == 1 else "",
        "can_dispatch": actor.has("dispatch.create"),
        "org_ids": sorted(actor.org_ids),
        "statuses": statuses,
        "text": {
            "recommend": _("Recommendation"),
            "assign": _("Send"),
            "request": _("Request"),
            "estimate": _("estimate"),
            "stale": _("old position"),
            "at_station": _("at station"),
            "needs_request": _("needs a request"),
            "leaves_uncovered": _("Leaves without cover: %(names)s"),
            "no_units": _("No dispatchable unit with the needed capability."),
            "loading": _("Loading…"),
            "live": _("Live"),
            "offline": _("Reconnecting…"),
            "cancel": _("Cancel"),
            "divert": _("Divert"),
            "reassign": _("Reassign"),
            "call_crew": _("Call the crew"),
            "coverage": _("Coverage now"),
            "coverage_lost": _("Would lose cover if %(unit)s leaves: %(names)s"),
            "coverage_none_lost": _("No kecamatan loses cover if %(unit)s leaves."),
            "coverage_unavailable": _("Coverage is not available for this area."),
            "ack_overdue": _("%(unit)s has not acknowledged the dispatch to %(incident)s!"),
            "ack_handled": _("Crew contacted"),
            "no_crew_phone": _("No crew phone number on the roster."),
            "reason_required": _("Give a reason."),
            "accept": _("Accept"),
            "decline": _("Decline"),
            "requested_from": _("from %(org)s"),
            "requested_by": _("by %(org)s"),
            "no_incidents": _("No open incident."),
            "no_requests": _("No request."),
            "no_dispatch": _("No unit sent yet."),
            "sent": _("%(unit)s sent."),
            "requested": _("%(unit)s requested from its owner."),
            "error": _("Something went wrong: %(message)s"),
            "minutes": _("min"),
            "km": _("km"),
            "beds": _("ER beds"),
            "icu": _("ICU"),
            "not_accepting": _("not accepting patients"),
            "hospital": _("Hospital"),
            "incident": _("Incident"),
            "choose_incident": _("Choose an incident"),
            "choose_unit": _("Choose a unit"),
            "dispatch_of": _("Dispatch of %(unit)s to %(incident)s"),
            "eta": _("ETA"),
            "target": _("target %(m)s min"),
        },
    }


@page("unit.view")
def console(request, actor):
    area = area_code(actor)
    state = console_state(actor)
    return render(request, "dispatch/console.html", {
        "state": state, "config": _config(actor, area), "area": area,
        "map": map_options(area, 3) if area.count(".") == 1 else map_options(area),
        "can_dispatch": actor.has("dispatch.create"),
    })


@page("unit.view")
def state(request, actor):
    return JsonResponse(console_state(actor))

