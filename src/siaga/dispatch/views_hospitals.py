"""Pages: the hospitals' capacity board (dispatchers, crews) and the big-button capacity page for hospital staff."""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.callcenter.stats import zone_for_region, zone_label
from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.web.views import map_options

from . import hospitals

# The rows of the phone page: (need, label), each with its free and total fields.
CAPACITY_ROWS = [("emergency", gettext_lazy("Emergency beds (IGD)")), ("icu", gettext_lazy("ICU beds")),
                 ("operating_theatre", gettext_lazy("Operating theatres"))]


def _map_points(rows: list[dict]) -> str:
    return json.dumps([{k: r[k] for k in ("organization_id", "name", "lat", "lng")} for r in rows
                       if r["lat"] is not None and r["lng"] is not None], separators=(",", ":"))


@page("hospital.view")
def board_page(request, actor):
    rows = hospitals.capacity_board(actor)
    handovers = hospitals.handovers(actor, [r["organization_id"] for r in rows])
    for r in rows:
        h = handovers.get(r["organization_id"]) or {}
        r["incoming"] = h.get("incoming", 0)
        r["handover_minutes"] = (round(h["last_handover_seconds"] / 60) if h.get("last_handover_seconds")
                                 is not None else None)
        r["handover_at"] = h.get("last_handover_at")
    area = actor.scope_code
    zone = zone_for_region(area)
    return render(request, "dispatch/hospitals_board.html", {
        "zone": zone, "zone_label": zone_label(zone),
        "rows": rows, "points": _map_points(rows),
        "map": map_options(area) if area else {"layers": [], "center": "-2.5,118.0", "zoom": 5},
        "stale_hours": hospitals.stale_after().total_seconds() / 3600,
        "can_manage": actor.has("hospital.manage"),
        "show_handovers": actor.has("unit.view"),
    })


def _int_field(post, name: str):
    raw = (post.get(name) or "").strip()
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(_("Give whole numbers only."), code="invalid_capacity", details={name: raw}) from None


@page("hospital.manage")
def capacity_page(request, actor):
    managed = list(hospitals.managed_hospitals(actor))
    if not managed:
        return render(request, "dispatch/hospitals_capacity.html", {"hospital": None}, status=200)
    wanted = request.GET.get("hospital") or request.POST.get("hospital")
    org = next((o for o in managed if str(o.pk) == str(wanted)), managed[0])
    if request.method == "POST":
        try:
            counts = {f: _int_field(request.POST, f) for f in hospitals.COUNT_FIELDS}
            hospitals.update_capacity(actor, org.pk, accepting=request.POST.get("accepting") == "1",
                                      note=request.POST.get("note", ""),
                                      **{k: v for k, v in counts.items() if v is not None})
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Capacity saved."))
        return redirect(f"{reverse('dispatch:hospital_capacity')}?hospital={org.pk}")
    row = hospitals.get_board_row(actor, org.pk)
    rows = [{"need": need, "label": label, "free_field": hospitals.NEEDS[need][0],
             "total_field": hospitals.NEEDS[need][1], "free": row[hospitals.NEEDS[need][0]],
             "total": row[hospitals.NEEDS[need][1]]} for need, label in CAPACITY_ROWS]
    return render(request, "dispatch/hospitals_capacity.html", {
        "hospital": org, "row": row, "rows": rows, "managed": managed,
        "api_url": reverse("api:hospital_capacity", kwargs={"org_id": org.pk}),
    })
