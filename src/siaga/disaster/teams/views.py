"""Team activation pages: the managers' overview and per-event page with the live roster, team membership, and
the volunteer's phone page (my alerts, Ya/Tidak, check-in and check-out)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from siaga.core.errors import ServiceError
from siaga.core.pages import page
from siaga.core.permissions import PermissionDenied
from siaga.disaster import services as disaster_services
from siaga.disaster.models import Phase
from siaga.disaster.views import zone_for
from siaga.disaster.volunteers import services as volunteer_services
from siaga.disaster.volunteers.models import Skill

from . import services
from .models import Activation, Assignment, Team, TeamMembership, default_max_shift_hours, default_min_rest_hours

RECENT_WARNINGS = 8


def _local(value: dt.datetime | None, region_code: str):
    return timezone.localtime(value, zone_for(region_code)) if value else None


def _int(value, default=None):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _float(value):
    text = str(value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ServiceError(_("A position is given as latitude and longitude."), code="invalid_position")


# --- managers -----------------------------------------------------------------------------------------


def _recent_warnings(actor):
    warnings = list(disaster_services.visible_warnings(actor).annotate(affected_n=Count("affected_areas"))
                    .order_by("-received_at", "-id")[:RECENT_WARNINGS])
    for w in warnings:
        w.sent_local = _local(w.sent, w.region_code)
    return warnings


@page("volunteer.view")
def index(request, actor):
    """Events to activate teams for, the latest warnings (live), and the organisation's teams."""
    if request.GET.get("fragment") == "warnings":
        return render(request, "disaster_teams/_warnings.html", {"warnings": _recent_warnings(actor)})
    if request.method == "POST":
        try:
            team = services.save_team(actor, name=request.POST.get("name", ""),
                                      kind=request.POST.get("kind", Team.Kind.SATGANA))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Team %(name)s formed.") % {"name": team.name})
            return redirect(reverse("disaster_teams:team", args=[team.pk]))
    events = list(disaster_services.visible_events(actor).exclude(phase=Phase.CLOSED)
                  .select_related("type", "organization").order_by("-started_at")[:100])
    open_counts = dict(services.visible_activations(actor).filter(event__in=events, state=Activation.State.OPEN)
                       .values("event_id").annotate(n=Count("id")).values_list("event_id", "n"))
    on_site = dict(Assignment.objects.filter(activation__in=services.visible_activations(actor), event__in=events,
                                             cancelled_at__isnull=True, check_in_at__isnull=False,
                                             check_out_at__isnull=True)
                   .values("event_id").annotate(n=Count("id")).values_list("event_id", "n"))
    for ev in events:
        ev.started_local = _local(ev.started_at, ev.region_code)
        ev.open_activations = open_counts.get(ev.pk, 0)
        ev.on_site = on_site.get(ev.pk, 0)
    teams = list(services.visible_teams(actor).annotate(n=Count("memberships")).order_by("name"))
    return render(request, "disaster_teams/index.html", {
        "events": events, "teams": teams, "warnings": _recent_warnings(actor), "kinds": Team.Kind.choices,
        "can_manage_teams": actor.has("volunteer.manage")})


def _activate_from_form(actor, event_id: int, post) -> services.ActivationResult:
    team_id = _int(post.get("team_id"))
    return services.activate(
        actor, event_id, number_needed=_int(post.get("number_needed"), 0),
        skill_codes=post.getlist("skills"), max_travel_km=_int(post.get("max_travel_km"), 0),
        meeting_lat=_float(post.get("meeting_lat")), meeting_lon=_float(post.get("meeting_lon")),
        meeting_text=post.get("meeting_text", ""), message=post.get("message", ""), team_id=team_id,
        max_shift_hours=_int(post.get("max_shift_hours")), min_rest_hours=_int(post.get("min_rest_hours")))


LEFT_OUT_LABELS = {
    "status": gettext_lazy("not available"), "assigned": gettext_lazy("already assigned"),
    "resting": gettext_lazy("still resting"), "distance": gettext_lazy("too far"),
    "no_grant": gettext_lazy("of another organisation without a mutual-aid grant"),
    "limit": gettext_lazy("beyond the alert limit"),
}


def _post_event(request, actor, event_id: int):
    action = request.POST.get("action", "activate")
    if action == "activate":
        result = _activate_from_form(actor, event_id, request.POST)
        n = len(result.alerts)
        text = ngettext("Activation #%(id)d opened: %(n)d volunteer alerted.",
                        "Activation #%(id)d opened: %(n)d volunteers alerted.", n) % {"id": result.activation.pk,
                                                                                      "n": n}
        if result.left_out:
            text += " " + _("Not alerted: %(why)s.") % {"why": ", ".join(
                f"{n} {LEFT_OUT_LABELS.get(k, k)}" for k, n in sorted(result.left_out.items()))}
        (messages.success if result.alerts else messages.warning)(request, text)
    elif action == "alert_more":
        result = services.alert_more(actor, _int(request.POST.get("activation_id"), 0))
        n = len(result.alerts)
        messages.success(request, ngettext("%(n)d more volunteer alerted.", "%(n)d more volunteers alerted.", n)
                         % {"n": n})
    elif action == "close":
        services.close_activation(actor, _int(request.POST.get("activation_id"), 0))
        messages.success(request, _("Activation closed."))
    elif action == "check_out":
        services.check_out(actor, _int(request.POST.get("assignment_id"), 0))
        messages.success(request, _("Checked out."))
    elif action == "check_in":
        services.check_in(actor, _int(request.POST.get("assignment_id"), 0))
        messages.success(request, _("Checked in."))


def _roster_context(actor, ev):
    data = services.roster(actor, ev.pk)
    blocks = []
    for act, lines in data:
        for line in lines:
            line.sent_local = _local(line.alert.sent_at, act.region_code)
            line.answered_local = _local(line.alert.answered_at, act.region_code)
            a = line.assignment
            line.check_in_local = _local(a.check_in_at, act.region_code) if a else None
            line.check_out_local = _local(a.check_out_at, act.region_code) if a else None
            line.rest_until_local = _local(line.rest_until, act.region_code)
        blocks.append({"act": act, "lines": lines, "counts": services.counts(lines),
                       "accepted": sum(1 for x in lines if x.state in ("accepted", "on_site", "resting")),
                       "can_steer": actor.is_platform_admin or act.organization_id in actor.org_ids,
                       "created_local": _local(act.created_at, act.region_code)})
    return {"ev": ev, "blocks": blocks, "can_manage": actor.has("disaster.manage")}


@page("volunteer.view")
def event_page(request, actor, event_id: int):
    """Activate a team for an event; the live roster of everyone alerted for it."""
    ev = disaster_services.get_event(actor, event_id)
    if request.method == "POST":
        actor.require("disaster.manage")
        try:
            _post_event(request, actor, ev.pk)
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
            if request.POST.get("action", "activate") == "activate":
                return _render_event(request, actor, ev, form=request.POST)
        return redirect(reverse("disaster_teams:event", args=[ev.pk]))
    if request.GET.get("fragment"):
        return render(request, "disaster_teams/_roster.html", _roster_context(actor, ev))
    return _render_event(request, actor, ev)


def _render_event(request, actor, ev, form=None):
    centre = services.default_meeting_point(ev)
    ctx = _roster_context(actor, ev)
    ctx.update({
        "skills": list(Skill.objects.order_by("name")), "teams": list(services.visible_teams(actor).filter(active=True)),
        "centre": centre, "form": form or {}, "selected_skills": set(form.getlist("skills")) if form else set(),
        "default_shift": default_max_shift_hours(), "default_rest": default_min_rest_hours(),
        "started_local": _local(ev.started_at, ev.region_code),
    })
    return render(request, "disaster_teams/event.html", ctx, status=422 if form else 200)


@page("volunteer.view")
def team_page(request, actor, team_id: int):
    team = services.get_team(actor, team_id)
    if request.method == "POST":
        try:
            action = request.POST.get("action")
            if action == "remove":
                services.remove_member(actor, team.pk, _int(request.POST.get("volunteer_id"), 0))
            else:
                services.set_member(actor, team.pk, _int(request.POST.get("volunteer_id"), 0),
                                    request.POST.get("role", TeamMembership.Role.MEMBER))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect(reverse("disaster_teams:team", args=[team.pk]))
    members = list(TeamMembership.objects.filter(team=team).select_related("volunteer").order_by("-role",
                                                                                                  "volunteer__name"))
    member_ids = {m.volunteer_id for m in members}
    choices = (volunteer_services.visible_volunteers(actor).filter(active=True).exclude(pk__in=member_ids)
               .order_by("name")[:500]) if actor.has("volunteer.manage") else []
    return render(request, "disaster_teams/team.html", {
        "team": team, "members": members, "choices": choices, "roles": TeamMembership.Role.choices,
        "can_manage": actor.has("volunteer.manage")})


# --- the volunteer's phone ----------------------------------------------------------------------------


def _mine_context(actor):
    me = volunteer_services.own_volunteer(actor)
    alerts = list(services.my_alerts(actor).prefetch_related("activation__required_skills")[:30]) if me else []
    assignments = {a.activation_id: a for a in Assignment.objects.filter(volunteer=me,
                                                                         activation__in=[x.activation for x in alerts])}
    now = timezone.now()
    zone = me.region_code if me else ""
    for alert in alerts:
        act = alert.activation
        a = assignments.get(act.pk)
        alert.assignment_row = a if a is not None and a.cancelled_at is None else None
        alert.state = services._line_state(alert, a)
        alert.sent_local = _local(alert.sent_at, zone)
        alert.can_answer = act.state == Activation.State.OPEN or (
            act.state == Activation.State.FILLED and alert.answer == "none")
        alert.can_say_yes = act.state == Activation.State.OPEN
        if alert.assignment_row is not None:
            r = alert.assignment_row
            r.check_in_local = _local(r.check_in_at, zone)
            r.check_out_local = _local(r.check_out_at, zone)
            r.hours = services.shift_hours(r, now)
            r.over = services.over_shift_limit(r, now)
    return {"me": me, "alerts": alerts, "status_label": me.get_status_display() if me else "",
            "pending": sum(1 for a in alerts if a.answer == "none" and a.can_answer)}


@page("volunteer.respond")
def mine(request, actor):
    """The volunteer's phone page: my alerts with big Ya/Tidak buttons, check-in and check-out."""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("yes", "no"):
                services.answer(actor, _int(request.POST.get("alert_id"), 0), action)
                messages.success(request, _("Thank you: you will be expected.") if action == "yes"
                                 else _("Your answer is recorded."))
            elif action == "check_in":
                services.check_in(actor, _int(request.POST.get("assignment_id"), 0),
                                  lat=_float(request.POST.get("lat")), lon=_float(request.POST.get("lon")))
                messages.success(request, _("Checked in. Stay safe."))
            elif action == "check_out":
                services.check_out(actor, _int(request.POST.get("assignment_id"), 0))
                messages.success(request, _("Checked out. Rest well."))
        except (ServiceError, PermissionDenied) as exc:
            messages.error(request, exc.message)
        return redirect(reverse("disaster_teams:mine"))
    ctx = _mine_context(actor)
    if request.GET.get("fragment"):
        return render(request, "disaster_teams/_mine.html", ctx)
    return render(request, "disaster_teams/mine.html", ctx)
