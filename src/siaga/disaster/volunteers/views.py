"""Volunteer pages (/bencana/relawan/): the list with filters and status counts, one volunteer, registration,
and the merge review queue. Views only read through services and call services to write."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from siaga.blood.models import ABO, RhD
from siaga.core.errors import NotFound, ServiceError
from siaga.core.pages import page
from siaga.core.permissions import PermissionDenied
from siaga.disaster.views import zone_for

from . import matching, services
from .models import Certificate, MatchCandidate, Skill, Volunteer

PAGE_SIZE = 100


_region_names = services.region_names


def _date(raw: str, field: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw[:20]}, code="invalid_date",
                           details={"field": field}) from None


def _filters(request) -> dict:
    g = request.GET
    status = g.get("status", "")
    return {"status": status if status in services.STATUSES else "", "skill": g.get("skill", "")[:40],
            "region": g.get("region", "").strip()[:13], "q": g.get("q", "").strip()[:100],
            "certified": g.get("certified", "") == "1"}


@require_GET
@page("volunteer.view")
def list_page(request, actor):
    f = _filters(request)
    today = timezone.localdate()
    common = {"skill": f["skill"] or None, "region": f["region"] or None, "q": f["q"] or None,
              "valid_certificate_on": today if f["certified"] else None}
    try:
        counts = services.status_counts(services.list_volunteers(actor, **common))
        qs = services.list_volunteers(actor, status=f["status"] or None, **common)
    except ServiceError as exc:
        messages.error(request, exc.message)
        counts, qs = dict.fromkeys(Volunteer.Status.values, 0), services.visible_volunteers(actor).none()
    total = qs.count()
    rows = list(qs.select_related("organization").prefetch_related("skills").order_by("name", "pk")[:PAGE_SIZE])
    valid = services.valid_certificate_counts([v.pk for v in rows], today)
    names = _region_names(v.region_code for v in rows)
    for v in rows:
        v.region_name = names.get(v.region_code, "")
        v.valid_certificates = valid.get(v.pk, 0)
    ctx = {"rows": rows, "total": total, "f": f, "counts": [(s, label, counts.get(s, 0)) for s, label in
                                                           Volunteer.Status.choices],
           "all_count": sum(counts.values()), "skills": list(Skill.objects.order_by("code")),
           "can_manage": actor.has("volunteer.manage"), "page_size": PAGE_SIZE,
           "open_candidates": services.visible_candidates(actor).count(),
           "query": request.GET.urlencode()}
    template = "disaster_volunteers/_list.html" if request.GET.get("fragment") == "1" else "disaster_volunteers/list.html"
    return render(request, template, ctx)


@require_GET
@page()
def me_page(request, actor):
    v = services.own_volunteer(actor)
    if v is None:
        raise NotFound(_("You have no volunteer record."))
    return redirect(reverse("disaster_volunteers:detail", args=[v.pk]))


@page()
def detail_page(request, actor, volunteer_id: int):
    if not (actor.has("volunteer.view") or actor.has("volunteer.respond")):
        actor.require("volunteer.view")
    v = services.get_volunteer(actor, volunteer_id)
    if request.method == "POST":
        return _detail_post(request, actor, v)
    today = timezone.localdate()
    certs = list(v.certificates.select_related("skill").order_by("-issued_on", "pk"))
    for c in certs:
        c.valid = c.is_valid(today)
    own = bool(actor.user_id) and v.user_id == actor.user_id
    can_manage = services.can_manage(actor, v)
    statuses = Volunteer.Status.choices if can_manage else [
        (s, label) for s, label in Volunteer.Status.choices if s in services.SELF_STATUSES]
    candidates = list(services.visible_candidates(actor).filter(volunteer=v)) + list(
        services.visible_candidates(actor).filter(other=v)) if actor.has("volunteer.view") else []
    return render(request, "disaster_volunteers/detail.html", {
        "v": v, "certs": certs, "skills_held": list(v.skills.order_by("code")), "own": own, "can_manage": can_manage,
        "can_set_status": (can_manage or own) and not v.merged_into_id, "statuses": statuses,
        "status_changed_local": timezone.localtime(v.status_changed_at, zone_for(v.region_code))
        if v.status_changed_at else None,
        "region_name": _region_names([v.region_code]).get(v.region_code, ""), "all_skills": list(Skill.objects.order_by("code")),
        "kinds": Certificate.Kind.choices, "candidates": candidates, "today": today,
        "can_view_list": actor.has("volunteer.view")})


def _detail_post(request, actor, v: Volunteer):
    action = request.POST.get("action", "")
    try:
        if action == "status":
            services.set_status(actor, v.pk, request.POST.get("status", ""), reason=request.POST.get("reason", ""))
            messages.success(request, _("Status changed."))
        elif action == "add_certificate":
            services.add_certificate(actor, v.pk, kind=request.POST.get("kind", "certificate"),
                                     name=request.POST.get("name", ""), skill=request.POST.get("skill", ""),
                                     issuer=request.POST.get("issuer", ""),
                                     issued_on=_date(request.POST.get("issued_on", ""), "issued_on"),
                                     expires_on=_date(request.POST.get("expires_on", ""), "expires_on"))
            messages.success(request, _("Certificate recorded."))
        elif action == "delete_certificate":
            cert_id = int(request.POST.get("certificate_id", "0") or 0)
            if not v.certificates.filter(pk=cert_id).exists():
                raise NotFound(_("Certificate not found."))
            services.delete_certificate(actor, cert_id)
            messages.success(request, _("Certificate removed."))
        elif action == "availability":
            services.update_volunteer(actor, v.pk, availability_notes=request.POST.get("availability_notes", ""))
            messages.success(request, _("Availability notes saved."))
        else:
            messages.error(request, _("Unknown action."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("disaster_volunteers:detail", args=[v.pk]))


@page("volunteer.manage")
def register_page(request, actor):
    form = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.POST
        try:
            result = services.register(
                actor, name=form.get("name", ""), nik=form.get("nik", ""), phone=form.get("phone", ""),
                region_code=form.get("region_code", ""), birth_date=_date(form.get("birth_date", ""), "birth_date"),
                sex=form.get("sex", ""), blood_abo=form.get("blood_abo", ""), blood_rhd=form.get("blood_rhd", ""),
                skills=form.getlist("skills"), availability_notes=form.get("availability_notes", ""))
        except (ServiceError, PermissionDenied) as exc:
            details = getattr(exc, "details", None)
            if isinstance(exc, PermissionDenied):
                field = "region_code"  # the only refusal a manager meets here: a home outside their area
            else:
                field = details.get("field") if isinstance(details, dict) else None
            errors[field or "form"] = exc.message
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is registered.") % {"name": result.volunteer.name})
            if result.candidates:
                messages.warning(request, _("This may be a person already registered (%(n)s possible matches): "
                                            "check the merge review queue.") % {"n": len(result.candidates)})
            return redirect(reverse("disaster_volunteers:detail", args=[result.volunteer.pk]))
    return render(request, "disaster_volunteers/register.html", {
        "form": form, "errors": errors, "skills": list(Skill.objects.order_by("code")),
        "chosen_skills": form.getlist("skills") if form else [], "abo": ABO.choices, "rhd": RhD.choices,
        "scope_code": actor.scope_code}, status=422 if errors else 200)


@require_GET
@page("volunteer.view")
def candidates_page(request, actor):
    show = request.GET.get("show", "open")
    qs = services.visible_candidates(actor, status=None if show == "all" else MatchCandidate.Status.OPEN)
    rows = []
    page_rows = list(qs[:PAGE_SIZE])
    names = services.region_names([v.region_code for c in page_rows for v in (c.volunteer, c.other)])
    for c in page_rows:
        rows.append({"c": c, "labels": matching.reason_labels(c.reasons),
                     "a": services.candidate_view(actor, c.volunteer, names),
                     "b": services.candidate_view(actor, c.other, names),
                     "can_drop_a": c.status == "open" and services.can_manage(actor, c.volunteer),
                     "can_drop_b": c.status == "open" and services.can_manage(actor, c.other)})
    return render(request, "disaster_volunteers/candidates.html", {"rows": rows, "show": show,
                                                                  "can_manage": actor.has("volunteer.manage")})


@require_POST
@page("volunteer.manage")
def candidate_decide(request, actor, candidate_id: int):
    try:
        if request.POST.get("action") == "dismiss":
            services.dismiss_candidate(actor, candidate_id, note=request.POST.get("note", ""))
            messages.success(request, _("Marked as two different people."))
        else:
            keep = services.merge_candidate(actor, candidate_id, keep_id=int(request.POST.get("keep_id", "0") or 0),
                                            note=request.POST.get("note", ""))
            messages.success(request, _("Merged: %(name)s now has one record (#%(id)s).") % {"name": keep.name,
                                                                                             "id": keep.pk})
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("disaster_volunteers:candidates"))
