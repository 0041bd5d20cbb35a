"""Community health pages: the kader's posyandu list, the phone page of a posyandu day, a child's growth chart, import."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from siaga.core import privacy, uploads
from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.geo.models import Region

from . import growth, importer, services
from .kms import completed_months
from .lifecycle import add_months
from .models import Measurement

CATEGORY_CLASS = {
    "normal": "ok", "tall": "ok",
    "stunted": "warn", "wasted": "warn", "underweight": "warn", "possible_risk_of_overweight": "warn",
    "risk_of_overweight": "warn",
    "severely_stunted": "bad", "severely_wasted": "bad", "severely_underweight": "bad", "overweight": "bad",
    "obese": "bad",
}


def _js_texts() -> dict:
    """Texts the page scripts show, translated on the server (scripts hold no language of their own)."""
    return {
        "months": _("{n} mo"), "years": _("{y} y {m} mo"), "present": _("present"), "measured": _("measured"),
        "not_measured": _("not measured"), "save": _("Save"), "saving": _("Saving…"),
        "confirm": _("The values are right: save them flagged"), "measure_again": _("Measure again"),
        "need_value": _("Type the weight, the length/height, or both."),
        "bad_number": _("Type a number, e.g. 9,5."), "network": _("No connection: the measurement was not saved."),
        "saved": _("Saved."), "referral": _("Did not gain weight twice in a row (2T): refer to the puskesmas."),
        "flagged": _("Flagged: values outside WHO's plausible range, confirmed by the kader."),
        "gain": _("Gain since last month: {g} g (minimum {m} g)."),
        "last": _("Last: {date}, {kg} kg, {cm} cm"),
        "wfa": "BB/U", "lhfa": _("PB/U or TB/U"), "wflh": _("BB/PB or BB/TB"), "bmi": "IMT/U",
        "weight_kg": _("Weight (kg)"), "age_months": _("Age (months)"), "length_cm": _("Length/height (cm)"),
        "bmi_axis": _("BMI (kg/m²)"), "chart": _("Growth chart of {name}"), "child": _("This child"), "median": _("Median"),
        "growth_status": {"N": _("Gained weight (N)"), "T": _("Did not gain weight (T)"),
                          "O": _("Not weighed last month (O)"), "B": _("First weighing (B)")},
    }


@page("health.view")
def index(request, actor):
    posyandu = list(services.visible_posyandu(actor).order_by("name"))
    names = dict(Region.objects.filter(code__in={p.region_code for p in posyandu}).values_list("code", "name"))
    sessions = {}
    for s in services.visible_sessions(actor).filter(posyandu__in=posyandu).order_by("-date")[:200]:
        sessions.setdefault(s.posyandu_id, []).append(s)
    rows = []
    for p in posyandu:
        today = services.today_local(p.region_code)
        rows.append({"p": p, "kelurahan": names.get(p.region_code, p.region_code),
                     "sessions": sessions.get(p.pk, [])[:3], "next": p.next_session_date(today),
                     "children": p.persons.filter(active=True, birth_date__gt=add_months(today, -60)).count()})
    today = services.today_local(services.actor_region(actor))
    return render(request, "health/index.html", {"rows": rows, "can_record": actor.has("health.record"),
                                                 "today": today})


@require_POST
@page("health.record")
def open_session(request, actor, posyandu_id: int):
    try:
        s = services.open_session(actor, posyandu_id=posyandu_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("health:index")
    return redirect("health:session", session_id=s.pk)


@page("health.view")
def session_page(request, actor, session_id: int):
    s = services.get_session(actor, session_id)
    return render(request, "health/session.html", {
        "session": s, "can_record": actor.has("health.record") and s.status == "open",
        "config": {"texts": _js_texts(), "sessionId": s.pk, "api": "/api/health", "streamUrl": "/api/stream?topics=health",
                   "childUrl": reverse("health:child", args=[0]).replace("/0/", "/{id}/")},
    })


@page("health.view")
def child_page(request, actor, person_id: int):
    person = services.get_person(actor, person_id)
    privacy.log_view(actor, person, via=request.path)
    rows = list(Measurement.objects.filter(person=person).order_by("-measured_on"))
    for m in rows:
        m.chips = [(growth.category_label(k, getattr(m, f"category_{k}")), CATEGORY_CLASS.get(getattr(m, f"category_{k}"), ""))
                   for k in ("wfa", "lhfa", "wflh") if getattr(m, f"category_{k}")]
    today = services.today_local(person.region_code)
    return render(request, "health/child.html", {
        "person": person, "measurements": rows, "age_months": completed_months(person.birth_date, today),
        "config": {"texts": _js_texts(), "personId": person.pk, "api": "/api/health"},
    })


@page("health.record")
def import_page(request, actor, posyandu_id: int):
    posyandu = services.get_posyandu(actor, posyandu_id)
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose a spreadsheet file (.xlsx or .csv) to import."))
        else:
            try:
                uploads.check_file(upload, uploads.SPREADSHEET, importer.MAX_FILE_BYTES)
                report = services.import_spreadsheet(actor, posyandu_id=posyandu.pk, content=upload.read(),
                                                     filename=upload.name or "",
                                                     mode=request.POST.get("mode") or services.IMPORT_ALL_OR_NOTHING)
            except ServiceError as exc:
                messages.error(request, exc.message)
    return render(request, "health/import.html", {"posyandu": posyandu, "report": report,
                                                  "modes": services.IMPORT_MODES})
