"""Life-cycle service pages (/posyandu/layanan/...): due lists per posyandu, pregnant women and their visits,
a child's immunisation card, screenings. Plain forms that work at 360 px without scripts.

Forms take the units people use (kg, cm, g/dL with a decimal comma) and hand the services integers
(grams, millimetres, g/L). A refusal is shown above the form with the values kept; "needs
confirmation" shows a tick box that sends the same values again confirmed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from siaga.core import privacy
from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.geo.models import Region

from . import lifecycle as rules
from . import services
from . import services_lifecycle as svc
from .models import (
    BloodSugarKind,
    PregnancyOutcome,
    Provider,
    ScreeningKind,
    ServicePlace,
    SessionStatus,
    Sex,
    TdStatus,
    VitaminACapsule,
)

TEMPLATE_DIR = "health/lifecycle"


class FormError(ServiceError):
    pass


def _number(post, name: str, scale: int = 1, label: str = "") -> int | None:
    """A number typed with a comma or a point, times scale, as an integer; blank is None."""
    raw = (post.get(name) or "").strip().replace(" ", "")
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise FormError(_("%(field)s: type a number, e.g. 58,5.") % {"field": label or name}, code="bad_number",
                        details={"field": name}) from None
    if value < 0:
        raise FormError(_("%(field)s cannot be negative.") % {"field": label or name}, code="bad_number",
                        details={"field": name})
    return int((value * scale).to_integral_value())


def _date(post, name: str, label: str, default: dt.date | None = None) -> dt.date:
    raw = (post.get(name) or "").strip()
    if not raw:
        if default is not None:
            return default
        raise FormError(_("%(field)s is required.") % {"field": label}, code="date_required", details={"field": name})
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FormError(_("%(field)s: give a date.") % {"field": label}, code="bad_date",
                        details={"field": name}) from None


def _session_id(post) -> int | None:
    raw = (post.get("session_id") or "").strip()
    return int(raw) if raw.isdigit() else None


def _open_session(person, day: dt.date):
    from .models import Session

    return Session.objects.filter(posyandu_id=person.posyandu_id, date=day, status=SessionStatus.OPEN).first()


def _kelurahan_names(codes) -> dict:
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def _refusal(request, exc: ServiceError) -> dict:
    messages.error(request, exc.message)
    return {"error_code": exc.code, "needs_confirmation": exc.code == "needs_confirmation",
            "error_field": (exc.details or {}).get("field") if isinstance(exc.details, dict) else None}


# --- index and due lists ------------------------------------------------------------------------


@page("health.view")
def index(request, actor):
    posyandu = list(services.visible_posyandu(actor).order_by("name"))
    names = _kelurahan_names(p.region_code for p in posyandu)
    pregnant = dict(svc.visible_pregnancies(actor).filter(outcome=PregnancyOutcome.ONGOING)
                    .values("person__posyandu_id").annotate(n=Count("pk")).values_list("person__posyandu_id", "n"))
    rows = [{"p": p, "kelurahan": names.get(p.region_code, p.region_code),
             "next": p.next_session_date(services.today_local(p.region_code)), "pregnant": pregnant.get(p.pk, 0)}
            for p in posyandu]
    return render(request, f"{TEMPLATE_DIR}/index.html", {"rows": rows})


@page("health.view")
def due_page(request, actor, posyandu_id: int):
    on = None
    if request.GET.get("on"):
        try:
            on = dt.date.fromisoformat(request.GET["on"])
        except ValueError:
            messages.error(request, _("Give a date."))
    d = svc.due_lists(actor, posyandu_id, on)
    return render(request, f"{TEMPLATE_DIR}/due.html", {
        **d, "can_record": actor.has("health.record"),
        "preg_rows": [{"p": p, "anc": s, "weeks": ga // 7, "trimester": rules.trimester(ga)}
                      for p, s, ga in d["pregnancies"]],
    })


# --- pregnancies --------------------------------------------------------------------------------


@page("health.view")
def pregnancies_page(request, actor):
    posyandu = list(services.visible_posyandu(actor).order_by("name"))
    selected = None
    if request.GET.get("posyandu", "").isdigit():
        selected = services.get_posyandu(actor, int(request.GET["posyandu"]))
    elif len(posyandu) == 1:
        selected = posyandu[0]
    ctx: dict = {"posyandu": posyandu, "selected": selected, "can_record": actor.has("health.record"), "form": {}}
    if request.method == "POST":
        actor.require("health.record")
        post = request.POST
        ctx["form"] = post
        try:
            p = svc.register_pregnancy(
                actor, person_id=int(post.get("person_id") or 0), lmp_date=_date(post, "lmp_date", _("HPHT")),
                gravida=_number(post, "gravida", label=_("Gravida")) or 1,
                para=_number(post, "para", label=_("Para")) or 0,
                abortus=_number(post, "abortus", label=_("Abortus")) or 0,
                previous_caesarean=post.get("previous_caesarean") == "on",
                height_mm=_number(post, "height_cm", 10, _("Height (cm)")), note=post.get("note", ""),
                confirm=post.get("confirm") == "on")
        except ServiceError as exc:
            ctx.update(_refusal(request, exc))
        else:
            messages.success(request, _("Pregnancy registered. HPL: %(date)s.") % {"date": p.edd.strftime("%d-%m-%Y")})
            return redirect("health_lifecycle:pregnancy", pregnancy_id=p.pk)
    qs = svc.visible_pregnancies(actor).filter(outcome=PregnancyOutcome.ONGOING)
    if selected is not None:
        qs = qs.filter(person__posyandu=selected)
    pregnancies = list(qs.order_by("edd"))
    summaries = rules.anc_summaries(pregnancies)
    ctx["rows"] = [{"p": p, "anc": summaries[p.pk],
                    "weeks": rules.gestational_age_days(p.lmp_date, services.today_local(p.person.region_code)) // 7,
                    "flags": [rules.PREGNANCY_RISK_FLAGS[f] for f in p.risk_flags]} for p in pregnancies]
    if selected is not None and ctx["can_record"]:
        today = services.today_local(selected.region_code)
        oldest = rules.add_months(today, -12 * 55)
        youngest = rules.add_months(today, -12 * 10)
        ctx["women"] = list(services.visible_persons(actor).filter(
            posyandu=selected, sex=Sex.FEMALE, active=True, birth_date__gt=oldest, birth_date__lte=youngest)
            .exclude(pregnancies__outcome=PregnancyOutcome.ONGOING).order_by("name"))
    return render(request, f"{TEMPLATE_DIR}/pregnancies.html", ctx)


@page("health.view")
def pregnancy_page(request, actor, pregnancy_id: int):
    p = svc.get_pregnancy(actor, pregnancy_id)
    ctx: dict = {"form": {}}
    if request.method == "POST":
        actor.require("health.record")
        post = request.POST
        try:
            if post.get("action") == "end":
                svc.end_pregnancy(actor, pregnancy_id=p.pk, outcome=post.get("outcome", ""),
                                  ended_on=_date(post, "ended_on", _("End date")), note=post.get("note", ""))
                messages.success(request, _("Outcome recorded."))
            else:
                ctx["form"] = post
                day = _date(post, "visit_date", _("Visit date"))
                svc.record_antenatal_visit(
                    actor, pregnancy_id=p.pk, visit_date=day, session_id=_session_id(post),
                    weight_g=_number(post, "weight_kg", 1000, _("Weight (kg)")),
                    systolic_mmhg=_number(post, "systolic_mmhg", label=_("Systolic")),
                    diastolic_mmhg=_number(post, "diastolic_mmhg", label=_("Diastolic")),
                    hb_g_per_l=_number(post, "hb_g_dl", 10, _("Hb (g/dL)")),
                    muac_mm=_number(post, "muac_cm", 10, _("LiLA (cm)")),
                    fundal_height_mm=_number(post, "fundal_height_cm", 10, _("Fundal height (cm)")),
                    td_status=_number(post, "td_status", label=_("Td status")), td_given=post.get("td_given") == "on",
                    iron_tablets=_number(post, "iron_tablets", label=_("Iron tablets")) or 0,
                    signs=post.getlist("signs"), provider=post.get("provider") or Provider.MIDWIFE,
                    provider_name=post.get("provider_name", ""), place=post.get("place") or ServicePlace.POSYANDU,
                    note=post.get("note", ""), confirm=post.get("confirm") == "on")
                messages.success(request, _("Visit recorded."))
        except ServiceError as exc:
            ctx.update(_refusal(request, exc))
        else:
            return redirect("health_lifecycle:pregnancy", pregnancy_id=p.pk)
        p = svc.get_pregnancy(actor, pregnancy_id)
    privacy.log_view(actor, p.person, via=request.path)
    today = services.today_local(p.person.region_code)
    visits = list(p.visits.order_by("visit_date"))
    for v in visits:
        v.flag_labels = [rules.PREGNANCY_RISK_FLAGS[f] for f in v.risk_flags]
        v.weeks = v.gestational_age_days // 7
        v.weight_kg = None if v.weight_g is None else v.weight_g / 1000
    ctx.update({
        "p": p, "visits": visits, "anc": rules.anc_summary(p),
        "weeks": rules.gestational_age_days(p.lmp_date, today) // 7 if p.ongoing else None,
        "flags": [rules.PREGNANCY_RISK_FLAGS[f] for f in p.risk_flags], "today": today,
        "session": _open_session(p.person, today), "can_record": actor.has("health.record"),
        "signs": list(rules.VISIT_SIGNS.items()), "providers": Provider.choices, "places": ServicePlace.choices,
        "td_choices": TdStatus.choices,
        "outcomes": [c for c in PregnancyOutcome.choices if c[0] != PregnancyOutcome.ONGOING],
        "anc_source": rules.ANC_SOURCE,
        "checked_signs": ctx["form"].getlist("signs") if hasattr(ctx["form"], "getlist") else [],
    })
    return render(request, f"{TEMPLATE_DIR}/pregnancy.html", ctx)


# --- immunisation card --------------------------------------------------------------------------


@page("health.view")
def card_page(request, actor, person_id: int):
    person = services.get_person(actor, person_id)
    ctx: dict = {"form": {}, "vita_form": {}}
    if request.method == "POST":
        actor.require("health.record")
        post = request.POST
        try:
            if post.get("action") == "vitamin_a":
                ctx["vita_form"] = post
                svc.record_vitamin_a(actor, person_id=person.pk, given_on=_date(post, "given_on", _("Date")),
                                     capsule=post.get("capsule", ""), session_id=_session_id(post),
                                     place=post.get("place") or ServicePlace.POSYANDU)
                messages.success(request, _("Vitamin A recorded."))
            else:
                ctx["form"] = post
                vaccine, _sep, dose = (post.get("dose") or "").partition(":")
                svc.record_immunisation(
                    actor, person_id=person.pk, vaccine=vaccine, dose_number=int(dose) if dose.isdigit() else 0,
                    given_on=_date(post, "given_on", _("Date")), session_id=_session_id(post),
                    place=post.get("place") or ServicePlace.POSYANDU, batch=post.get("batch", ""),
                    provider_name=post.get("provider_name", ""), confirm=post.get("confirm") == "on")
                messages.success(request, _("Dose recorded."))
        except ServiceError as exc:
            ctx.update(_refusal(request, exc))
        else:
            return redirect("health_lifecycle:card", person_id=person.pk)
    privacy.log_view(actor, person, via=request.path)
    today = services.today_local(person.region_code)
    _p, status = svc.immunisation_card(actor, person.pk, today)
    for i in status.items:
        i.key = f"{i.vaccine}:{i.dose}"
    ctx.update({
        "person": person, "status": status, "today": today, "age_months": rules.age_months(person.birth_date, today),
        "pending": status.pending(), "session": _open_session(person, today), "can_record": actor.has("health.record"),
        "places": ServicePlace.choices, "doses": person.immunisations.order_by("given_on"),
        "vitamin_a": person.vitamin_a.order_by("-given_on"), "capsules": VitaminACapsule.choices,
        "capsule_now": rules.vitamin_a_capsule(person.birth_date, today),
        "vitamin_a_round": rules.vitamin_a_round(today), "schedule_source": rules.SCHEDULE_SOURCE,
        # Doses to give now first, then the coming ones; those past their age limit last.
        "not_given": sorted((i for i in status.items if i.state != "given"),
                            key=lambda i: {"overdue": 0, "due": 1, "upcoming": 2}.get(i.state, 3)),
        "preselect": request.GET.get("dose", ""),
    })
    return render(request, f"{TEMPLATE_DIR}/card.html", ctx)


# --- screening ----------------------------------------------------------------------------------


@page("health.view")
def screening_page(request, actor, person_id: int):
    person = services.get_person(actor, person_id)
    ctx: dict = {"form": {}}
    if request.method == "POST":
        actor.require("health.record")
        post = request.POST
        ctx["form"] = post
        try:
            svc.record_screening(
                actor, person_id=person.pk, screened_on=_date(post, "screened_on", _("Date")),
                session_id=_session_id(post),
                systolic_mmhg=_number(post, "systolic_mmhg", label=_("Systolic")),
                diastolic_mmhg=_number(post, "diastolic_mmhg", label=_("Diastolic")),
                blood_sugar_mg_dl=_number(post, "blood_sugar_mg_dl", label=_("Blood sugar")),
                blood_sugar_kind=post.get("blood_sugar_kind", ""),
                weight_g=_number(post, "weight_kg", 1000, _("Weight (kg)")),
                height_mm=_number(post, "height_cm", 10, _("Height (cm)")),
                waist_mm=_number(post, "waist_cm", 10, _("Waist (cm)")),
                hb_g_per_l=_number(post, "hb_g_dl", 10, _("Hb (g/dL)")),
                adl_score=_number(post, "adl_score", label=_("ADL score")),
                place=post.get("place") or ServicePlace.POSYANDU, notes=post.get("notes", ""),
                confirm=post.get("confirm") == "on")
        except ServiceError as exc:
            ctx.update(_refusal(request, exc))
        else:
            messages.success(request, _("Screening recorded."))
            return redirect("health_lifecycle:screening", person_id=person.pk)
    privacy.log_view(actor, person, via=request.path)
    today = services.today_local(person.region_code)
    years = rules.age_years(person.birth_date, today)
    rows = list(svc.visible_screenings(actor).filter(person=person).order_by("-screened_on"))
    for s in rows:
        s.flag_labels = [rules.SCREENING_FLAGS[f] for f in s.flags]
    ctx.update({
        "person": person, "rows": rows, "today": today, "age_years": years,
        "kind": rules.screening_kind_for_age(years), "kinds": dict(ScreeningKind.choices),
        "sugar_kinds": BloodSugarKind.choices, "places": ServicePlace.choices,
        "session": _open_session(person, today), "can_record": actor.has("health.record"),
        "screening_source": rules.SCREENING_SOURCE,
    })
    return render(request, f"{TEMPLATE_DIR}/screening.html", ctx)


@page("health.view")
def people_page(request, actor):
    """Find a person to open their card or screening (name or full NIK), within the actor's posyandu."""
    from . import nik as nik_mod

    q = (request.GET.get("q") or "").strip()
    rows = []
    if q:
        digits = nik_mod.normalize(q)
        qs = services.visible_persons(actor).filter(active=True)
        qs = qs.filter(nik_hash=nik_mod.nik_hash(digits)) if digits.isdigit() and len(digits) == 16 else qs.filter(
            Q(name__icontains=q))
        for p in qs.select_related("posyandu").order_by("name")[:50]:
            today = services.today_local(p.region_code)
            years = rules.age_years(p.birth_date, today)
            rows.append({"p": p, "years": years, "months": rules.age_months(p.birth_date, today),
                         "card": years < 6, "screening": rules.screening_kind_for_age(years) is not None})
    return render(request, f"{TEMPLATE_DIR}/people.html", {"q": q, "rows": rows,
                                                            "search_url": reverse("health_lifecycle:people")})
