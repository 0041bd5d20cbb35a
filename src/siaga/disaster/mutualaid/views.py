"""Mutual aid pages (/bencana/bantuan-antarprovinsi/): both directions in one list, a request form, and a detail
page with the timeline and one-tap buttons for the side whose turn it is; list and detail follow the live stream.

Plain forms that post and redirect (they work with scripts off); web/live_fragment.js re-reads the list or the
detail when a mutual_aid event arrives, and the server decides again what the viewer may see.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from siaga.core.errors import ServiceError
from siaga.core.models import Organization, OrgKind
from siaga.core.pages import page
from siaga.core.permissions import PermissionDenied

from . import services
from .api import letter_response
from .models import ACTIVE_STATES, FINAL_STATES, Letter, LineKind, MutualAidLine, Side, State

PAGE_SIZE = 50
LENDER_KINDS = (OrgKind.PMI_HQ, OrgKind.PMI_PROVINCE, OrgKind.PMI_BRANCH, OrgKind.BPBD)
LINE_ROWS = (LineKind.VOLUNTEERS, LineKind.AMBULANCE, LineKind.VEHICLE, LineKind.ITEMS)


class FormError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _local_datetime(value: str, field: str, *, required: bool = False) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise FormError(field, _("Fill in the date and time."))
        return None
    try:
        naive = dt.datetime.fromisoformat(value)
    except ValueError:
        raise FormError(field, _("Type the date and time as shown, e.g. 2026-11-25 14:30.")) from None
    return timezone.make_aware(naive, timezone.get_current_timezone()) if timezone.is_naive(naive) else naive


def _int(value, field: str) -> int | None:
    value = str(value or "").strip().replace(".", "").replace(" ", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise FormError(field, _("Type a whole number.")) from None


def _float(value, field: str) -> float | None:
    value = str(value or "").strip().replace(",", ".")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise FormError(field, _("Type a number, e.g. -6.1754.")) from None


# --- list ---------------------------------------------------------------------------------------------


@require_GET
@page("disaster.view")
def list_page(request, actor):
    state = request.GET.get("state", "")
    if state not in State.values and state != "open":
        state = ""

    def rows(side):
        qs = services.visible_requests(actor, side=side).prefetch_related(
            Prefetch("lines", queryset=MutualAidLine.objects.order_by("position")))
        if state == "open":
            qs = qs.exclude(state__in=FINAL_STATES)
        elif state:
            qs = qs.filter(state=state)
        out = list(qs.order_by("-requested_at", "-id")[:PAGE_SIZE])
        for r in out:
            r.my_turn = bool(services.next_actions(actor, r))
        return out

    context = {"asked": rows(Side.BORROWER), "offered": rows(Side.LENDER), "state": state,
               "states": [("open", _("Open"))] + list(State.choices),
               "can_manage": actor.has("disaster.manage")}
    if request.GET.get("fragment") == "1":
        return render(request, "disaster_mutualaid/_list.html", context)
    return render(request, "disaster_mutualaid/list.html", context)


# --- new request --------------------------------------------------------------------------------------


def _lenders(actor):
    qs = Organization.objects.filter(active=True, kind__in=LENDER_KINDS).order_by("name")
    return qs if actor.is_platform_admin else qs.exclude(pk__in=actor.org_ids)


def _events(actor):
    from siaga.disaster import services as disaster_services

    return disaster_services.visible_events(actor).exclude(phase="closed").order_by("-started_at")[:50]


def _lines_from(post) -> list[dict]:
    lines = []
    for kind in LINE_ROWS:
        qty = _int(post.get(f"{kind}_quantity"), f"{kind}_quantity")
        if not qty:
            continue
        lines.append({"kind": kind, "quantity": qty, "description": post.get(f"{kind}_description", ""),
                      "item_code": post.get("items_item_code", "") if kind == LineKind.ITEMS else ""})
    return lines


@page("disaster.manage")
def new_page(request, actor):
    context = {"lenders": _lenders(actor), "events": _events(actor), "line_rows": LINE_ROWS,
               "kinds": dict(LineKind.choices),
               "values": request.POST if request.method == "POST" else {
                   "client_ref": uuid.uuid4().hex, "region_code": (actor.organization.region_code
                                                                   if actor.organization else ""),
                   "event_id": request.GET.get("event", "")}}
    if request.method == "POST":
        post = request.POST
        try:
            r = services.create_request(
                actor, lender_id=_int(post.get("lender_id"), "lender_id") or 0, lines=_lines_from(post),
                region_code=post.get("region_code", ""), destination=post.get("destination", ""),
                lat=_float(post.get("lat"), "lat"), lon=_float(post.get("lon"), "lon"),
                needed_from=_local_datetime(post.get("needed_from"), "needed_from", required=True),
                needed_until=_local_datetime(post.get("needed_until"), "needed_until"),
                event_id=_int(post.get("event_id"), "event_id"), purpose=post.get("purpose", ""),
                contact_name=post.get("contact_name", ""), contact_phone=post.get("contact_phone", ""),
                client_ref=post.get("client_ref", ""))
        except (FormError, ServiceError) as exc:
            field = getattr(exc, "field", None) or (getattr(exc, "details", None) or {}).get("field", "")
            context.update({"error": exc.message, "error_field": field})
            return render(request, "disaster_mutualaid/new.html", context, status=422)
        messages.success(request, _("Request sent to %(org)s. You will see its answer here.") % {"org": r.lender.name})
        return redirect("disaster_mutualaid:detail", request_id=r.pk)
    return render(request, "disaster_mutualaid/new.html", context)


# --- detail -------------------------------------------------------------------------------------------


def _detail_context(actor, request_id: int) -> dict:
    r = services.get_request(actor, request_id)
    lines = list(r.lines.order_by("position"))
    resources = list(r.resources.select_related("unit", "volunteer").order_by("line__position", "pk"))
    for line in lines:
        line.lent = [x for x in resources if x.line_id == line.pk]
    actions = services.next_actions(actor, r)
    sides = services.sides_of(actor, r)
    context = {
        "r": r, "lines": lines, "resources": resources, "actions": actions, "sides": sides,
        "is_borrower": Side.BORROWER in sides, "is_lender": Side.LENDER in sides,
        "whose_turn": services.whose_turn(r),
        "transitions": list(r.transitions.select_related("actor", "actor_organization").order_by("at", "id")),
        "letters": list(r.letters.defer("data").select_related("organization")),
        "letter_kinds": [(k, label) for k, label in Letter.Kind.choices
                         if k == Letter.Kind.OTHER
                         or (k == Letter.Kind.REQUEST_LETTER and Side.BORROWER in sides)
                         or (k == Letter.Kind.ASSIGNMENT_LETTER and Side.LENDER in sides)],
        "can_upload": actor.has("disaster.manage") and bool(sides),
        "max_mb": services.letter_max_bytes() // (1024 * 1024),
        "item_resources": [x for x in resources if x.kind == LineKind.ITEMS],
    }
    if "accept" in actions:
        context["volunteers"] = list(services.lendable_volunteers(actor, r)[:300])
        context["units"] = list(services.lendable_units(actor, r)[:300])
        context["ambulance_kinds"] = services.AMBULANCE_KINDS
    return context


def _lent_units(r, resources) -> list:
    """The units lent under the request, with their latest position and status, while the loan lasts: the
    borrower follows them by the grant (siaga.disaster.mutualaid.live), the lender because they are its own."""
    if r.state not in ACTIVE_STATES:
        return []
    return [x.unit for x in resources if x.unit_id is not None]


@require_GET
@page("disaster.view")
def detail_page(request, actor, request_id: int):
    context = _detail_context(actor, request_id)
    context["lent_units"] = _lent_units(context["r"], context["resources"])
    if request.GET.get("fragment") == "units":
        return render(request, "disaster_mutualaid/_lent_units.html", context)
    if request.GET.get("fragment") == "1":
        return render(request, "disaster_mutualaid/_detail.html", context)
    return render(request, "disaster_mutualaid/detail.html", context)


def _accept_resources(post, r) -> list[dict]:
    out = []
    for line in r.lines.all():
        prefix = f"line-{line.pk}-"
        entry = {"line_id": line.pk, "volunteer_ids": post.getlist(prefix + "volunteer"),
                 "unit_ids": post.getlist(prefix + "unit"), "description": post.get(prefix + "description", "")}
        qty = _int(post.get(prefix + "quantity"), prefix + "quantity")
        if line.kind == LineKind.ITEMS:
            if not qty:
                continue
            entry.update({"quantity": qty, "item_code": post.get(prefix + "item_code", "")})
        elif line.kind == LineKind.VEHICLE and not entry["unit_ids"]:
            if not qty:
                continue
            entry["quantity"] = qty
        elif not entry["volunteer_ids"] and not entry["unit_ids"]:
            continue
        out.append(entry)
    return out


@require_POST
@page("disaster.manage")
def step_page(request, actor, request_id: int):
    """One button: the step named in the form, for the side whose turn it is."""
    action = request.POST.get("action", "")
    if action not in services.ACTIONS:
        messages.error(request, _("Unknown action."))
        return redirect("disaster_mutualaid:detail", request_id=request_id)
    note = request.POST.get("note", "")
    try:
        if action == "accept":
            r = services.get_request(actor, request_id)
            services.accept(actor, request_id, resources=_accept_resources(request.POST, r), note=note)
        elif action == "release":
            consumed = []
            for key, value in request.POST.items():
                if key.startswith("consumed-") and value.strip():
                    consumed.append({"resource_id": key.split("-", 1)[1], "quantity": _int(value, key)})
            services.release(actor, request_id, note=note, consumed=consumed)
        else:
            services.ACTIONS[action](actor, request_id, note=note)
    except (FormError, ServiceError, PermissionDenied) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": services.action_label(action)})
    return redirect("disaster_mutualaid:detail", request_id=request_id)


@require_POST
@page("disaster.manage")
def letter_upload_page(request, actor, request_id: int):
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise FormError("file", _("Choose a file."))
        services.check_letter_size(upload.size or 0)
        services.add_letter(actor, request_id, kind=request.POST.get("kind", ""), filename=upload.name or "",
                            content_type=upload.content_type or "",
                            data=upload.read(services.letter_max_bytes() + 1))
    except (FormError, ServiceError, PermissionDenied) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Letter attached."))
    return redirect("disaster_mutualaid:detail", request_id=request_id)


@require_GET
@page("disaster.view")
def letter_download_page(request, actor, request_id: int, letter_id: int):
    return letter_response(services.get_letter(actor, request_id, letter_id))
