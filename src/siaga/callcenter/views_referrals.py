"""Referral pages: the agency's own list with its action buttons, and the call center's "who has not answered" board."""

from __future__ import annotations


from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from siaga.core.errors import NotFound, ServiceError
from siaga.core.pages import page
from siaga.geo.models import Region

from . import referrals as svc
from .location import zone_for_region

# Event types that change what the pages show; the page script reloads its list on each of them.
LIVE_EVENTS = ["referral.requested", "referral.acknowledged", "referral.committed", "referral.closed",
               "referral.declined", "referral.cancelled", "referral.escalated"]
RECENT_FINISHED = 20


# Login, an acting membership and one permission: the rule every page shares (core.pages).
staff_page = page


def _clock(seconds: int | None) -> str:
    if seconds is None:
        return ""
    s = abs(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _decorate(refs, now):
    """Region names, time left and colour state for the templates."""
    codes = {r.incident.region_code for r in refs if r.incident.region_code}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for r in refs:
        r.region_name = names.get(r.incident.region_code, "")
        r.seconds_remaining = svc.seconds_remaining(r, now)
        r.clock = _clock(r.seconds_remaining)
        r.state = svc.board_state(r, now)
        r.agency_actions = svc.allowed_actions(r, by=svc.AGENCY)
        r.zone = zone_for_region(r.incident.region_code)
    return refs


def _live_context(request, fragment_name: str) -> dict:
    return {
        "fragment_url": reverse(f"callcenter:{fragment_name}"),
        "stream_url": "/api/stream?topics=referrals",
        "live_events": " ".join(LIVE_EVENTS),
    }


# --- the agency's page --------------------------------------------------------------------------------


def _agency_context(actor) -> dict:
    now = timezone.now()
    mine = svc.referrals_to_me(actor)
    open_refs = _decorate(list(mine.filter(status__in=svc.OPEN_REFERRAL_STATUSES).order_by("ack_deadline", "pk")), now)
    rank = {svc.S.REQUESTED: 0, svc.S.ACKNOWLEDGED: 1, svc.S.COMMITTED: 2}
    open_refs.sort(key=lambda r: (rank[r.status], r.ack_deadline, r.pk))
    finished = _decorate(list(mine.filter(status__in=svc.FINISHED_REFERRAL_STATUSES)
                              .order_by("-closed_at", "-pk")[:RECENT_FINISHED]), now)
    return {"open_refs": open_refs, "finished": finished, "now": now, "can_respond": actor.has("referral.respond")}


@require_GET
@staff_page("referral.view")
def agency_page(request, actor):
    if not actor.has("referral.respond"):
        # Call-center staff answer no referrals: their page is the board.
        return redirect("callcenter:referrals_board")
    ctx = _agency_context(actor)
    ctx.update(_live_context(request, "referrals_agency_fragment"))
    return render(request, "callcenter/referrals/agency.html", ctx)


@require_GET
@staff_page("referral.respond")
def agency_fragment(request, actor):
    return render(request, "callcenter/referrals/_agency_list.html", _agency_context(actor))


ACTIONS = {
    "acknowledge": (lambda actor, pk, post: svc.acknowledge(actor, pk, note=post.get("note", "")),
                    _("Referral acknowledged.")),
    "commit": (lambda actor, pk, post: svc.commit_resources(actor, pk, resources=post.get("resources", ""),
                                                            note=post.get("note", "")),
               _("Resources committed.")),
    "close": (lambda actor, pk, post: svc.close_referral(actor, pk, note=post.get("note", "")),
              _("Referral closed.")),
    "decline": (lambda actor, pk, post: svc.decline(actor, pk, reason=post.get("reason", "")),
                _("Referral declined; the call center is told.")),
}


@require_POST
@staff_page("referral.respond")
def agency_action(request, actor, referral_id: int, action: str):
    if action not in ACTIONS:
        raise NotFound()
    run, done = ACTIONS[action]
    try:
        run(actor, referral_id, request.POST)
    except NotFound:
        raise
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(done))
    return redirect(reverse("callcenter:referrals_agency") + f"#referral-{referral_id}")


# --- the board ------------------------------------------------------------------------------------------


def _incident_url(incident_id: int) -> str:
    """The call-center incident page when it is installed."""
    for name in ("callcenter:incident", "callcenter:incident_detail"):
        try:
            return reverse(name, args=[incident_id])
        except NoReverseMatch:
            continue
    return ""


def _board_context(actor) -> dict:
    now = timezone.now()
    refs = _decorate(svc.open_board(actor, now), now)
    groups: dict[int, dict] = {}
    for r in refs:
        g = groups.setdefault(r.agency_id, {"agency": r.agency, "items": [], "waiting": 0, "overdue": 0})
        g["items"].append(r)
        if r.state == "waiting":
            g["waiting"] += 1
        elif r.state in ("overdue", "escalated"):
            g["overdue"] += 1
        if actor.has("referral.manage") or actor.has("incident.view"):
            r.incident_url = _incident_url(r.incident_id)
    # Agencies with overdue referrals first, then those with unanswered ones, then by name.
    ordered = sorted(groups.values(), key=lambda g: (-g["overdue"], -g["waiting"], g["agency"].name))
    totals = {"open": len(refs), "unanswered": sum(g["waiting"] + g["overdue"] for g in ordered),
              "overdue": sum(g["overdue"] for g in ordered)}
    return {"groups": ordered, "totals": totals, "now": now}


@require_GET
@staff_page("referral.view")
def board_page(request, actor):
    ctx = _board_context(actor)
    ctx.update(_live_context(request, "referrals_board_fragment"))
    return render(request, "callcenter/referrals/board.html", ctx)


@require_GET
@staff_page("referral.view")
def board_fragment(request, actor):
    return render(request, "callcenter/referrals/_board_groups.html", _board_context(actor))
