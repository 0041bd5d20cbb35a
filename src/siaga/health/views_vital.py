"""Dukcapil pages: facilities notify births and deaths; the Dukcapil office works its queue; both follow the status live.

Plain forms that post and redirect, so they work on a cheap phone with scripts off; the list and the
detail re-read themselves over the live stream when a status changes (web/live_fragment.js).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import privacy
from siaga.core.errors import ServiceError
from siaga.core.pages import page

from . import vital
from .models import Sex
from .models_vital import BirthAttendant, CauseCategory, VitalEventKind, VitalEventStatus

PAGE_SIZE = 50
# Waiting work first in Dukcapil's queue; then the rest, newest first.
WAITING = (VitalEventStatus.NOTIFIED, VitalEventStatus.RESUBMITTED)


class FormError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _local_datetime(value: str, field: str) -> dt.datetime | None:
    """A datetime-local input, read in the user's zone (the region's, set by the middleware)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FormError(field, _("Type the date and time as shown, e.g. 2026-11-25 14:30.")) from None
    return timezone.make_aware(naive, timezone.get_current_timezone()) if timezone.is_naive(naive) else naive


def _date(value: str, field: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise FormError(field, _("Type the date as shown, e.g. 2026-11-25.")) from None


def _int(value: str, field: str) -> int | None:
    value = (value or "").strip().replace(".", "").replace(" ", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise FormError(field, _("Type a whole number.")) from None


def _birth_data(post) -> dict:
    return {"mother_name": post.get("mother_name", ""), "mother_nik": post.get("mother_nik", ""),
            "child_name": post.get("child_name", ""), "sex": post.get("sex", ""),
            "born_at": _local_datetime(post.get("born_at"), "born_at"), "place": post.get("place", ""),
            "birth_attendant": post.get("birth_attendant", ""), "weight_g": _int(post.get("weight_g"), "weight_g"),
            "notes": post.get("notes", "")}


def _death_data(post) -> dict:
    return {"person_name": post.get("person_name", ""), "nik": post.get("nik", ""), "sex": post.get("sex", ""),
            "birth_date": _date(post.get("birth_date"), "birth_date"),
            "died_at": _local_datetime(post.get("died_at"), "died_at"), "place": post.get("place", ""),
            "cause_category": post.get("cause_category", ""), "notes": post.get("notes", "")}


def _choices() -> dict:
    return {"sexes": Sex.choices, "attendants": BirthAttendant.choices, "causes": CauseCategory.choices}


def _error_context(exc) -> dict:
    field = getattr(exc, "field", None) or (getattr(exc, "details", None) or {}).get("field", "")
    return {"error": exc.message, "error_field": field}


@page()
def queue_page(request, actor):
    """Dukcapil's queue, or a facility's own notifications, with their status."""
    if not (actor.has("vital_event.view") or actor.has("vital_event.notify")):
        actor.require("vital_event.view")
    status = request.GET.get("status", "")
    if status not in VitalEventStatus.values:
        status = ""
    qs = vital.visible_events(actor)
    is_dukcapil = actor.has("vital_event.register")
    if is_dukcapil:
        qs = qs.filter(dukcapil_id__in=actor.org_ids)
    if status:
        qs = qs.filter(status=status)
    counts = {s: 0 for s in VitalEventStatus.values}
    for row in vital.visible_events(actor).values_list("status", flat=True):
        counts[row] += 1
    qs = qs.select_related("organization").order_by("-notified_at", "-id")
    if is_dukcapil and not status:
        waiting = list(qs.filter(status__in=WAITING).order_by("notified_at", "id")[:PAGE_SIZE])
        rest = Paginator(qs.exclude(status__in=WAITING), PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        waiting = []
        rest = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"waiting": waiting, "rows": rest, "status": status, "is_dukcapil": is_dukcapil,
               "can_notify": actor.has("vital_event.notify"),
               "statuses": [(s.value, s.label, counts[s.value]) for s in VitalEventStatus]}
    if request.GET.get("fragment") == "1":
        return render(request, "health/vital/_queue.html", context)
    return render(request, "health/vital/queue.html", context)


@page("vital_event.notify")
def notify_page(request, actor, kind: str):
    if kind not in VitalEventKind.values:
        kind = VitalEventKind.BIRTH
    context = {"kind": kind, "values": request.POST if request.method == "POST" else {}, **_choices()}
    if request.method == "POST":
        try:
            data = _birth_data(request.POST) if kind == VitalEventKind.BIRTH else _death_data(request.POST)
            ev = vital.notify(actor, kind=kind, **data)
        except (FormError, ServiceError) as exc:
            context.update(_error_context(exc))
            return render(request, "health/vital/notify.html", context, status=422)
        messages.success(request, _("Notified to Dukcapil. You will see its answer here."))
        return redirect("health_vital:detail", event_id=ev.pk)
    return render(request, "health/vital/notify.html", context)


def _detail_context(actor, ev) -> dict:
    return {"ev": ev, "history": list(ev.history.select_related("actor", "actor_organization").order_by("at", "id")),
            "can_register": actor.has("vital_event.register") and ev.dukcapil_id in actor.org_ids
            and ev.status in WAITING,
            "can_resubmit": actor.has("vital_event.notify") and ev.organization_id in actor.org_ids
            and ev.status == VitalEventStatus.CORRECTION_REQUESTED}


@page()
def detail_page(request, actor, event_id: int):
    ev = vital.get_event(actor, event_id)
    context = _detail_context(actor, ev)
    if request.GET.get("fragment") == "1":
        return render(request, "health/vital/_detail.html", context)
    privacy.log_view(actor, ev, via=request.path)
    return render(request, "health/vital/detail.html", context)


@page("vital_event.register")
def decide(request, actor, event_id: int):
    """Dukcapil's three answers: register with a number, ask for a correction, or reject with a reason."""
    if request.method != "POST":
        return redirect("health_vital:detail", event_id=event_id)
    action = request.POST.get("action", "")
    try:
        if action == "register":
            vital.register(actor, event_id, registration_number=request.POST.get("registration_number", ""))
            messages.success(request, _("Registered."))
        elif action == "correction":
            vital.request_correction(actor, event_id, reason=request.POST.get("reason", ""))
            messages.success(request, _("Correction requested: the facility sees your reason."))
        elif action == "reject":
            vital.reject(actor, event_id, reason=request.POST.get("reason", ""))
            messages.success(request, _("Rejected."))
        else:
            messages.error(request, _("Choose register, ask for a correction, or reject."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("health_vital:detail", event_id=event_id)


@page("vital_event.notify")
def resubmit_page(request, actor, event_id: int):
    ev = vital.get_event(actor, event_id)
    if request.method == "POST":
        values = request.POST
    else:
        local = timezone.localtime
        values = {f: getattr(ev, f) for f in ("mother_name", "child_name", "sex", "place", "birth_attendant",
                                              "weight_g", "notes", "person_name", "cause_category")}
        values.update({"born_at": local(ev.born_at).strftime("%Y-%m-%dT%H:%M") if ev.born_at else "",
                       "died_at": local(ev.died_at).strftime("%Y-%m-%dT%H:%M") if ev.died_at else "",
                       "birth_date": ev.birth_date.isoformat() if ev.birth_date else ""})
    context = {"kind": ev.kind, "ev": ev, "values": values, "resubmit": True, **_choices()}
    if request.method == "POST":
        try:
            data = _birth_data(request.POST) if ev.kind == VitalEventKind.BIRTH else _death_data(request.POST)
            # The NIK is never shown back in full: an empty field keeps the one already notified.
            key = "mother_nik" if ev.kind == VitalEventKind.BIRTH else "nik"
            if not data[key].strip():
                data[key] = getattr(ev, key)
            vital.resubmit(actor, event_id, **data)
        except (FormError, ServiceError) as exc:
            context.update(_error_context(exc))
            return render(request, "health/vital/notify.html", context, status=422)
        messages.success(request, _("Corrected data sent to Dukcapil."))
        return redirect("health_vital:detail", event_id=event_id)
    return render(request, "health/vital/notify.html", context)
