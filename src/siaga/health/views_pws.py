"""PWS dashboard pages (/posyandu/pws/): indicator tiles, drill-down, 12-month trend, choropleth map, follow-up list.

The figures are rendered on the server, so the page reads without scripts; health/pws.js draws the trend
(Chart.js) and the map (Leaflet), and re-reads the figures when the live stream says a measurement was
recorded (actors with health.view), or every five minutes for leaders, who are not on the "health" topic.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.pages import page

from . import pws, services

LIVE_EVENTS = "health.measurement_recorded health.session_closed health.person_registered health.import_completed"
LEADER_REFRESH_SECONDS = 300


def _pct(rate):
    return None if rate is None else round(rate * 100, 1)


def tiles(ind: dict) -> list[dict]:
    """The tiles of one area or posyandu: a headline figure and the counts behind it."""
    r = ind["rates"]

    def ratio(key, label, num, den, num_label="", den_label="", good_high=True):
        return {"key": key, "label": label, "pct": _pct(r[key]), "num": ind[num], "den": ind[den],
                "num_label": num_label, "den_label": den_label, "good_high": good_high}

    return [
        ratio("d_s", _("Weighed (D/S)"), "d", "s", "D", "S"),
        ratio("n_d", _("Gained weight (N/D)"), "n", "d", "N", "D"),
        {"key": "t", "label": _("Did not gain weight (T)"), "count": ind["t"], "referral": ind["needs_referral"]},
        ratio("stunting", _("Stunting"), "stunted", "measured_length", good_high=False),
        ratio("wasting", _("Wasting"), "wasted", "measured_wflh", good_high=False),
        ratio("underweight", _("Underweight"), "underweight", "measured_weight", good_high=False),
        ratio("overweight", _("Overweight"), "overweight", "measured_wflh", good_high=False),
        ratio("immunisation", _("Complete basic immunisation"), "imm_complete", "imm_cohort"),
        ratio("k4", _("Pregnant women with K4"), "k4", "k4_cohort"),
    ]


def _trend_config(trend: list[dict]) -> dict:
    keys = ("d_s", "n_d", "stunting", "wasting", "underweight")
    labels = pws.indicator_labels()
    return {"labels": [p["month"] for p in trend],
            "series": [{"key": k, "label": labels[k], "data": [_pct(p["indicators"]["rates"][k]) for p in trend]}
                       for k in keys],
            "d": [p["indicators"]["d"] for p in trend]}


def _live(request, actor) -> dict:
    url = request.path + "?fragment=1"
    if request.GET.get("month"):
        url += "&month=" + request.GET["month"]
    if actor.has("health.view"):
        return {"fragment_url": url, "stream_url": "/api/stream?topics=health", "events": LIVE_EVENTS, "poll": ""}
    return {"fragment_url": url, "stream_url": "", "events": "", "poll": LEADER_REFRESH_SECONDS}


def _common(request, actor, ym) -> dict:
    return {"month": pws.month_label(ym), "sees_names": pws.sees_names(actor), "suppresses": pws.suppresses(actor),
            "small_cell": pws.SMALL_CELL, "live": _live(request, actor)}


def _page_texts() -> dict:
    return {"percent": "%", "noData": _("no data"), "hidden": _("fewer than 5"), "chartTitle": _("Last 12 months"),
            "mapError": _("The map could not be loaded."), "weighed": _("weighed")}


def _month(request, region_code: str) -> tuple[int, int]:
    """The month asked for; a bad or future one falls back to this month (where region_code is), saying so."""
    try:
        return pws.parse_month(request.GET.get("month"), region_code=region_code)
    except ServiceError as exc:
        messages.warning(request, exc.message)
        return pws.parse_month(None, region_code=region_code)


@page()
def index(request, actor):
    kind, target = pws.home_target(actor)
    if kind == "posyandu":
        return redirect("health_pws:posyandu", posyandu_id=target)
    if kind == "area":
        return redirect("health_pws:area", code=target)
    names = pws._region_names(target)
    return render(request, "health/pws/index.html", {"areas": [(c, names.get(c, c)) for c in target]})


@page()
def area_page(request, actor, code: str):
    ym = _month(request, code)
    summary = pws.area_summary(actor, code, ym)
    trend = pws.area_trend(actor, code, ym)["months"]
    for row in summary["children"]:
        row["url"] = (reverse("health_pws:posyandu", args=[row["id"]]) if row["kind"] == "posyandu"
                      else reverse("health_pws:area", args=[row["code"]]))
        row["tiles"] = {t["key"]: t for t in tiles(row["indicators"])}
    indicator = request.GET.get("indicator") or "stunting"
    if indicator not in pws.MAP_INDICATORS:
        indicator = "stunting"
    ctx = {**_common(request, actor, ym), "summary": summary, "area": summary["area"],
           "tiles": tiles(summary["indicators"]), "children": summary["children"],
           "child_level_label": pws.level_labels()[summary["child_level"]],
           "level_label": pws.level_labels()[summary["area"]["level"]],
           "trend": _trend_config(trend), "has_map": summary["area"]["level"] in ("kabkota", "kecamatan"),
           "map_indicator": indicator, "map_indicators": pws.indicator_labels(),
           "map_url": f"/api/health/pws/areas/{summary['area']['code']}/map",
           "follow_up_url": reverse("health_pws:area_follow_up", args=[code]),
           "config": {"texts": _page_texts()}}
    template = "health/pws/_figures.html" if request.GET.get("fragment") else "health/pws/area.html"
    return render(request, template, ctx)


@page()
def posyandu_page(request, actor, posyandu_id: int):
    ym = _month(request, services.actor_region(actor))
    summary = pws.posyandu_summary(actor, posyandu_id, ym)
    ctx = {**_common(request, actor, ym), "posyandu": summary["posyandu"], "tiles": tiles(summary["indicators"]),
           "summary": summary, "children": [], "trend": _trend_config(summary["trend"]), "has_map": False,
           "follow_up_url": reverse("health_pws:posyandu_follow_up", args=[posyandu_id]),
           "area_url": reverse("health_pws:area", args=[summary["posyandu"]["region_code"]]),
           "config": {"texts": _page_texts()}}
    template = "health/pws/_figures.html" if request.GET.get("fragment") else "health/pws/posyandu.html"
    return render(request, template, ctx)


def _follow_up(request, actor, *, code=None, posyandu_id=None):
    ym = _month(request, code or services.actor_region(actor))
    data = pws.follow_up(actor, ym, code=code, posyandu_id=posyandu_id)
    labels = pws.reason_labels()
    for row in data["items"]:
        row["reason_labels"] = [labels.get(r, r) for r in row["reasons"]]
        row["child_url"] = reverse("health:child", args=[row["person_id"]])
    back = (reverse("health_pws:posyandu", args=[posyandu_id]) if posyandu_id
            else reverse("health_pws:area", args=[code]))
    return render(request, "health/pws/follow_up.html", {"items": data["items"], "month": data["month"],
                                                         "back_url": back})


@page("health.view")
def area_follow_up(request, actor, code: str):
    return _follow_up(request, actor, code=code)


@page("health.view")
def posyandu_follow_up(request, actor, posyandu_id: int):
    return _follow_up(request, actor, posyandu_id=posyandu_id)
