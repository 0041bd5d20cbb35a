"""Fleet and roster pages: units with their crew now, the week's duty roster, roster warnings, response times."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from siaga.core.errors import NotFound, ServiceError
from siaga.core.pages import page

from . import crewing, rosters, services, stats
from .api_rosters import warning_items
from .models import CrewMember, CrewQualification, Station, StationKind, UnitStatus

ROLE_LABELS = dict(CrewQualification.choices)
# Units in these states are on a job; the fleet list shows them apart from those standing by.
BUSY = {UnitStatus.ALERTED, UnitStatus.ACKNOWLEDGED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE,
        UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.HANDOVER_DONE, UnitStatus.RETURNING}


def duration_text(seconds) -> str:
    """A short human duration: "45 s", "3 min 05 s", "2 h 10 min"."""
    if seconds is None:
        return "—"
    s = int(round(seconds))
    if s < 60:
        return _("%(s)d s") % {"s": s}
    if s < 3600:
        return _("%(m)d min %(s)02d s") % {"m": s // 60, "s": s % 60}
    return _("%(h)d h %(m)02d min") % {"h": s // 3600, "m": s % 3600 // 60}


def missing_text(missing) -> str:
    """[["driver"], ["doctor", "nurse"]] as "Driver, Doctor or Nurse"."""
    or_ = _("or")
    return ", ".join(f" {or_} ".join(str(ROLE_LABELS.get(r, r)) for r in need) for need in missing)


# --- fleet ------------------------------------------------------------------------------------------


@page("unit.view")
@require_GET
def fleet(request, actor):
    now = timezone.now()
    tz = stats.actor_zone(actor)
    units = list(services.visible_units(actor).select_related("station__organization")
                 .order_by("station__name", "call_sign", "pk"))
    crewed = crewing.crewed_unit_ids([u.pk for u in units], now)
    on_shift: dict[int, list[str]] = {}
    for s in (rosters.visible_shifts(actor).filter(unit_id__in=[u.pk for u in units], starts_at__lte=now,
                                                   ends_at__gt=now, member__isnull=False)
              .order_by("role", "member__name")):
        on_shift.setdefault(s.unit_id, []).append(f"{s.member.name} ({ROLE_LABELS.get(s.role, s.role)})")
    groups: dict = {}
    for u in units:
        u.crewed_now = u.pk in crewed
        u.crew_now = on_shift.get(u.pk, [])
        u.busy = u.status in BUSY
        groups.setdefault(u.station, []).append(u)
    stations = list(rosters.roster_stations(actor).order_by("name"))
    listed = {st.pk for st in groups if st is not None}
    return render(request, "dispatch/fleet.html", {
        "groups": [{"station": st, "units": us} for st, us in groups.items()],
        "idle_stations": [st for st in stations if st.pk not in listed],
        "counts": {"units": len(units), "crewed": sum(1 for u in units if u.crewed_now),
                   "available": sum(1 for u in units if u.status == UnitStatus.AVAILABLE and u.crewed_now
                                    and u.active)},
        "now": now.astimezone(tz), "zone": stats.zone_label(tz),
        "can_manage": actor.has("roster.manage"),
    })


# --- roster week ----------------------------------------------------------------------------------


def _week(actor, raw: str | None):
    tz = stats.actor_zone(actor)
    day = None
    if raw:
        try:
            day = dt.date.fromisoformat(raw.strip())
        except ValueError:
            day = None
    day = day or timezone.now().astimezone(tz).date()
    monday = day - dt.timedelta(days=day.weekday())
    return tz, monday, dt.datetime.combine(monday, dt.time.min, tzinfo=tz)


def _fmt(t: dt.datetime, tz) -> str:
    return t.astimezone(tz).strftime("%H:%M")


def _manageable(actor, organization_id) -> bool:
    return actor.has("roster.manage") and (actor.is_platform_admin or organization_id in actor.org_ids)


def _members_by_org(actor) -> dict[int, list[CrewMember]]:
    if not actor.has("roster.manage"):
        return {}
    out: dict[int, list[CrewMember]] = {}
    for m in rosters.visible_crew_members(actor).filter(active=True).order_by("name", "pk"):
        out.setdefault(m.organization_id, []).append(m)
    return out


def roster_grid(actor, start: dt.datetime, tz, *, unit_id: int | None = None) -> dict:
    """Rows (units, then facility posts) by 7 local days, each cell its shift blocks and crew gaps."""
    end = start + rosters.WEEK
    days = [(start + dt.timedelta(days=i)) for i in range(7)]
    shifts = list(rosters.shifts_between(actor, start, end, unit_id=unit_id))
    warnings = rosters.roster_warnings(actor, start, end, unit_id=unit_id)
    members = _members_by_org(actor)
    units = list(rosters.roster_units(actor).order_by("station__name", "call_sign", "pk"))
    if unit_id is not None:
        units = [u for u in units if u.pk == unit_id]
    station_ids = {s.station_id for s in shifts if s.station_id}
    stations = [] if unit_id is not None else [
        st for st in rosters.roster_stations(actor).order_by("name")
        if st.pk in station_ids or st.kind == StationKind.HOSPITAL]
    rows = [{"kind": "unit", "obj": u, "id": f"u{u.pk}", "label": u.call_sign,
             "sub": u.station.name if u.station_id else "", "organization_id": u.organization_id,
             "always_crewed": u.always_crewed} for u in units]
    rows += [{"kind": "station", "obj": st, "id": f"s{st.pk}", "label": st.name, "sub": st.get_kind_display(),
              "organization_id": st.organization_id, "always_crewed": False} for st in stations]
    today = timezone.now().astimezone(tz).date()
    for row in rows:
        mine = [s for s in shifts if (s.unit_id if row["kind"] == "unit" else s.station_id) == row["obj"].pk]
        gaps = [w for w in warnings["undercrewed"] if row["kind"] == "unit" and w["unit"].pk == row["obj"].pk]
        row["manage"] = _manageable(actor, row["organization_id"])
        row["cells"] = []
        for day in days:
            nxt = day + dt.timedelta(days=1)
            blocks = []
            for s in mine:
                if s.starts_at < nxt and s.ends_at > day:
                    choices = [m for m in members.get(s.organization_id, []) if s.role in m.qualifications]
                    blocks.append({
                        "shift": s, "role": ROLE_LABELS.get(s.role, s.role),
                        "start": _fmt(s.starts_at, tz), "end": _fmt(s.ends_at, tz),
                        "from_before": s.starts_at < day, "to_after": s.ends_at > nxt,
                        "covered": s.member_id is not None, "choices": choices,
                        "manage": row["manage"],
                    })
            cell_gaps = [{"start": _fmt(max(g["starts_at"], day), tz),
                          "end": "24:00" if g["ends_at"] >= nxt else _fmt(g["ends_at"], tz),
                          "missing": missing_text(g["missing"])}
                         for g in gaps if g["starts_at"] < nxt and g["ends_at"] > day]
            row["cells"].append({"day": day.date(), "blocks": blocks, "gaps": cell_gaps,
                                 "today": day.date() == today})
    return {"days": [d.date() for d in days], "rows": rows, "warnings": warnings,
            "warning_count": sum(len(v) for v in warnings.values())}


@page("unit.view")
@require_GET
def roster(request, actor):
    tz, monday, start = _week(actor, request.GET.get("week"))
    unit_id = request.GET.get("unit") or ""
    unit_id = int(unit_id) if unit_id.isdigit() else None
    grid = roster_grid(actor, start, tz, unit_id=unit_id)
    can_manage = actor.has("roster.manage")
    places = [r for r in grid["rows"] if r["manage"]]
    members = [m for ms in _members_by_org(actor).values() for m in ms]
    return render(request, "dispatch/roster.html", {
        "grid": grid, "monday": monday, "zone": stats.zone_label(tz),
        "prev_week": (monday - dt.timedelta(days=7)).isoformat(),
        "next_week": (monday + dt.timedelta(days=7)).isoformat(),
        "this_week": timezone.now().astimezone(tz).date().isoformat(),
        "unit_id": unit_id, "can_manage": can_manage, "places": places, "members": members,
        "roles": CrewQualification.choices,
    })


def _back(request, fallback_week: str = ""):
    week = request.POST.get("week") or fallback_week
    url = reverse("dispatch:roster")
    query = {"week": week} if week else {}
    if (request.POST.get("unit") or "").isdigit():
        query["unit"] = request.POST["unit"]
    return redirect(f"{url}?{urlencode(query)}" if query else url)


def _local_time(day: dt.date, text: str, tz) -> dt.datetime:
    try:
        t = dt.time.fromisoformat((text or "").strip())
    except ValueError:
        raise ServiceError(_("Give the time as HH:MM."), code="invalid_time") from None
    return dt.datetime.combine(day, t, tzinfo=tz)


def _shift_from_form(actor, post):
    tz = stats.actor_zone(actor)
    place = (post.get("place") or "").strip()
    unit = station = None
    if place[:1] == "u" and place[1:].isdigit():
        unit = int(place[1:])
    elif place[:1] == "s" and place[1:].isdigit():
        station = int(place[1:])
    else:
        raise ServiceError(_("Choose a unit or a post."), code="unit_or_station")
    try:
        day = dt.date.fromisoformat((post.get("day") or "").strip())
    except ValueError:
        raise ServiceError(_("Choose the day of the shift."), code="invalid_date") from None
    starts_at = _local_time(day, post.get("start"), tz)
    ends_at = _local_time(day, post.get("end"), tz)
    if ends_at <= starts_at:  # a night shift ends the next morning
        ends_at = _local_time(day + dt.timedelta(days=1), post.get("end"), tz)
    member = (post.get("member") or "").strip()
    return rosters.create_shift(actor, role=(post.get("role") or "").strip(), starts_at=starts_at, ends_at=ends_at,
                                unit=unit, station=station, member=int(member) if member.isdigit() else None,
                                note=(post.get("note") or "")[:300])


@page("roster.manage")
@require_POST
def shift_create(request, actor):
    try:
        _shift_from_form(actor, request.POST)
    except ServiceError as exc:  # an unknown unit or person included: the form names what it cannot find
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The shift was added."))
    return _back(request, request.POST.get("day", ""))


@page("roster.manage")
@require_POST
def shift_assign(request, actor, shift_id: int):
    member = (request.POST.get("member") or "").strip()
    try:
        shift = rosters.assign(actor, shift_id, int(member) if member.isdigit() else None)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s is on the shift.") % {"name": shift.member.name} if shift.member_id
                         else _("The shift is now uncovered."))
    return _back(request)


@page("roster.manage")
@require_POST
def shift_delete(request, actor, shift_id: int):
    try:
        rosters.delete_shift(actor, shift_id)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The shift was deleted."))
    return _back(request)


@page("roster.manage")
@require_POST
def copy_week(request, actor):
    tz, monday, start = _week(actor, request.POST.get("week"))
    weeks = request.POST.get("weeks") or "1"
    try:
        result = rosters.copy_week(actor, week_start=start, weeks=int(weeks) if weeks.isdigit() else 0)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(n)d shifts copied, %(s)d already there.")
                         % {"n": len(result.created), "s": result.skipped})
        for shift, name in result.uncovered:
            messages.warning(request, _("%(name)s is already booked on %(day)s: that copy is uncovered.")
                             % {"name": name, "day": shift.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")})
    return _back(request, monday.isoformat())


@page("unit.view")
@require_GET
def roster_warnings(request, actor):
    tz, monday, start = _week(actor, request.GET.get("week"))
    weeks = request.GET.get("weeks") or "1"
    weeks = min(max(int(weeks), 1), 8) if weeks.isdigit() else 1
    end = start + weeks * rosters.WEEK
    items = warning_items(rosters.roster_warnings(actor, start, end))
    for i in items:
        i["start_local"] = i["starts_at"].astimezone(tz)
        i["end_local"] = i["ends_at"].astimezone(tz)
    return render(request, "dispatch/roster_warnings.html", {
        "items": items, "monday": monday, "last_day": (start + weeks * rosters.WEEK - dt.timedelta(days=1)).date(),
        "weeks": weeks, "zone": stats.zone_label(tz),
        "kinds": {"uncovered": _("Uncovered slot"), "undercrewed": _("Unit without full crew"),
                  "double_booked": _("Booked twice")},
    })


# --- statistics -----------------------------------------------------------------------------------


def _with_texts(summary: dict) -> dict:
    summary["interval_rows"] = [
        {"name": name, "label": str(label), "short": str(stats.SHORT_LABELS[name]), **summary["intervals"][name],
         "median_text": duration_text(summary["intervals"][name]["median"]),
         "p90_text": duration_text(summary["intervals"][name]["p90"])}
        for name, _s, _e, label in stats.INTERVALS]
    summary["target_text"] = duration_text(summary["target_seconds"]) if summary["target_seconds"] else "—"
    share = summary["share_within_target"]
    summary["share_text"] = f"{share * 100:.0f}%" if share is not None else "—"
    return summary


@page("dispatch.stats")
@require_GET
def stats_page(request, actor):
    error = ""
    try:
        filters = stats.parse_filters(actor, request.GET)
    except ServiceError as exc:
        error = exc.message
        filters = stats.parse_filters(actor, {})
    result = stats.statistics(actor, filters)
    _with_texts(result["overall"])
    groups = []
    for by, label in stats.GROUPINGS.items():
        groups.append({"by": by, "label": str(label), "rows": [_with_texts(g) for g in result["groups"][by]]})
    query = urlencode(filters.query())
    datasets = [("summary", _("Summary"))]
    if actor.has("unit.view"):
        datasets.append(("dispatches", _("Dispatches")))
    units = list(stats.stats_units(actor).order_by("call_sign"))
    station_ids = {u.station_id for u in units if u.station_id}
    return render(request, "dispatch/stats.html", {
        "filters": filters, "error": error, "result": result, "groups": groups,
        "interval_labels": [(name, str(stats.SHORT_LABELS[name]), str(label))
                            for name, _s, _e, label in stats.INTERVALS],
        "targets": [(p, m) for p, m in sorted(result["targets"].items())],
        "units": units, "stations": list(Station.objects.filter(pk__in=station_ids).order_by("name")),
        "priorities": stats.Priority.choices,
        "exports": [(f"{name} {ext.upper()}", f"{reverse('dispatch:stats_export', args=[ext])}?{query}&data={ds}")
                    for ds, name in datasets for ext in ("csv", "xlsx")],
    }, status=400 if error else 200)


@page("dispatch.stats")
@require_GET
def stats_export(request, actor, ext: str):
    if ext not in ("csv", "xlsx"):
        raise NotFound(_("Unknown export format."))
    try:
        filters = stats.parse_filters(actor, request.GET)
        dataset = stats.dataset_of(request.GET)
    except ServiceError as exc:
        return render(request, "web/error.html", {"error_code": exc.status, "error_title": _("Cannot export"),
                                                  "message": exc.message}, status=exc.status)
    columns, rows = stats.export_rows(actor, filters, dataset)
    if ext == "csv":
        response = HttpResponse(stats.csv_text(columns, rows, filters), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(stats.xlsx_bytes(columns, rows, filters, dataset=dataset),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{stats.filename(dataset, filters, ext)}"'
    return response
