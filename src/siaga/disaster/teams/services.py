"""Write path of team activation: teams, activations and their alerts, answers, assignments, check-in and out.

Every function takes the actor first, checks permission, runs in one transaction with an audit record and
queues its events. Rules kept here:

- Who may be alerted: volunteers the manager may see (siaga.disaster.volunteers.services.visible_volunteers),
  available, not merged, rested; a volunteer of an organisation the manager does not oversee (another
  province) only while a mutual-aid grant lends them to the manager's organisation
  (siaga.disaster.mutualaid.grants), checked again when they answer yes.
- Distance: straight line (haversine) from the volunteer's home position to the meeting point decides who is
  in range; the travel time comes from the road network where one covers both points (siaga.routing), and is
  flagged as an estimate from the straight line otherwise.
- Answers: idempotent (the same answer twice changes nothing); once an activation is filled or closed an
  answer can no longer change (a "no" to a still unanswered alert is always accepted).
- Rest: nobody is assigned or checked in before `min_rest_hours` have passed since their last check-out;
  a shift longer than its limit is flagged on the roster and in the check-out event.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.permissions import Actor, PermissionDenied
from siaga.disaster import services as disaster_services
from siaga.disaster.models import AffectedArea, DisasterEvent, Phase
from siaga.disaster.volunteers import services as volunteer_services
from siaga.disaster.volunteers.models import Skill, Volunteer
from siaga.geo.models import Region

from .models import Activation, ActivationAlert, Assignment, Team, TeamMembership

# More alerts than this per round would be a broadcast, not an activation: narrow the skills or the distance.
MAX_ALERTS_PER_ROUND = 300
MAX_TRAVEL_KM = 500
KM_PER_DEG_LAT = 111.32
EARTH_RADIUS_KM = 6371.0088


# --- small helpers ------------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _check_point(lat, lon) -> tuple[float, float]:
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ServiceError(_("A position is given as latitude and longitude."), code="invalid_position")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
        raise ServiceError(_("The position is outside the valid latitude/longitude range."), code="invalid_position")
    return lat, lon


def _hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


# --- mutual aid ---------------------------------------------------------------------------------------


def lent_volunteer_ids(actor: Actor) -> set[int]:
    """Volunteers of other organisations lent to the actor's organisation under a mutual-aid grant right now."""
    if actor.organization is None:
        return set()
    try:
        from siaga.disaster.mutualaid import grants
    except ImportError:  # without the mutual-aid module nothing crosses a provincial border
        return set()
    return set(grants.lent_volunteer_ids(actor.organization))


def grant_holds(organization, volunteer: Volunteer) -> bool:
    """True while a mutual-aid grant still lends this volunteer to the organisation."""
    try:
        from siaga.disaster.mutualaid import grants
    except ImportError:
        return False
    return grants.has_grant(organization, volunteer.organization_id, volunteer_id=volunteer.pk)


# --- teams --------------------------------------------------------------------------------------------


def visible_teams(actor: Actor):
    actor.require("volunteer.view")
    return actor.scope_queryset(Team.objects.all())


def get_team(actor: Actor, team_id: int) -> Team:
    team = visible_teams(actor).select_related("organization").filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("Team not found."))
    return team


def _team_event(team: Team) -> None:
    emit("team.saved", {"id": team.pk, "organization_id": team.organization_id, "name": team.name, "kind": team.kind,
                        "active": team.active, "member_count": team.memberships.count()},
         organization=team.organization_id, region_code=team.region_code)


@transaction.atomic
def save_team(actor: Actor, *, team_id: int | None = None, name: str, kind: str = Team.Kind.SATGANA,
              region_code: str = "", active: bool = True) -> Team:
    """Create a team in the actor's organisation, or rename/re-kind one it sees."""
    actor.require("volunteer.manage")
    name = (name or "").strip()[:120]
    if not name:
        raise ServiceError(_("Give the team a name."), code="name_required")
    if kind not in Team.Kind.values:
        raise ServiceError(_("Unknown team kind: %(kind)s.") % {"kind": kind}, code="invalid_kind",
                           details={"allowed": Team.Kind.values})
    region_code = (region_code or "").strip()
    if region_code:
        if not Region.objects.filter(code=region_code).exists():
            raise ServiceError(_("Unknown region codes: %(codes)s.") % {"codes": region_code}, code="unknown_region")
        actor.require_region(region_code)
    if team_id is None:
        if actor.organization is None:
            raise ServiceError(_("Act through an organisation to form a team."), code="no_organization")
        if Team.objects.filter(organization=actor.organization, name=name).exists():
            raise Conflict(_("Your organisation already has a team called %(name)s.") % {"name": name},
                           code="duplicate_team")
        team = Team.objects.create(organization=actor.organization, name=name, kind=kind,
                                   region_code=region_code or actor.scope_code, active=active)
        audit.created(actor, team)
    else:
        team = Team.objects.select_for_update().get(pk=get_team(actor, team_id).pk)
        if Team.objects.filter(organization=team.organization, name=name).exclude(pk=team.pk).exists():
            raise Conflict(_("Your organisation already has a team called %(name)s.") % {"name": name},
                           code="duplicate_team")
        before = audit.snapshot(team)
        team.name, team.kind, team.active = name, kind, active
        if region_code:
            team.region_code = region_code
        team.save()
        audit.updated(actor, team, before)
    _team_event(team)
    return team


@transaction.atomic
def set_member(actor: Actor, team_id: int, volunteer_id: int, role: str = TeamMembership.Role.MEMBER) -> TeamMembership:
    """Add a volunteer the actor sees to a team, or change their role in it (idempotent)."""
    actor.require("volunteer.manage")
    team = get_team(actor, team_id)
    if role not in TeamMembership.Role.values:
        raise ServiceError(_("Unknown team role: %(role)s.") % {"role": role}, code="invalid_role")
    volunteer = volunteer_services.get_volunteer(actor, volunteer_id, include_merged=False)
    m = TeamMembership.objects.filter(team=team, volunteer=volunteer).first()
    if m is None:
        m = TeamMembership.objects.create(team=team, volunteer=volunteer, role=role)
        audit.created(actor, m)
    elif m.role != role:
        before = audit.snapshot(m)
        m.role = role
        m.save()
        audit.updated(actor, m, before)
    else:
        return m
    _team_event(team)
    return m


@transaction.atomic
def remove_member(actor: Actor, team_id: int, volunteer_id: int) -> None:
    actor.require("volunteer.manage")
    team = get_team(actor, team_id)
    m = TeamMembership.objects.filter(team=team, volunteer_id=volunteer_id).first()
    if m is None:
        raise NotFound(_("This volunteer is not a member of the team."))
    before = audit.snapshot(m)
    m.delete()
    audit.deleted(actor, m, before)
    _team_event(team)


# --- activations: reading -----------------------------------------------------------------------------


def visible_activations(actor: Actor):
    """Activations of the actor's organisations (inside its area), and every activation for an event the
    actor's organisations lead: the lead coordinates everyone who responds to its event."""
    actor.require("disaster.view")
    actor.require("volunteer.view")
    if actor.is_platform_admin:
        return Activation.objects.all()
    own = actor.scope_queryset(Activation.objects.all()).values("pk")
    led = actor.scope_queryset(DisasterEvent.objects.all()).values("pk")
    return Activation.objects.filter(Q(pk__in=own) | Q(event__in=led))


def get_activation(actor: Actor, activation_id: int) -> Activation:
    act = (visible_activations(actor).select_related("event", "organization", "team")
           .filter(pk=activation_id).first())
    if act is None:
        raise NotFound(_("Activation not found."))
    return act


# --- activations: candidates --------------------------------------------------------------------------


@dataclass
class Candidate:
    volunteer: Volunteer
    distance_km: float | None
    via_grant: bool = False
    travel_minutes: int | None = None
    travel_estimated: bool = True


@dataclass
class Selection:
    candidates: list[Candidate]
    # Volunteers left out, by reason code (counts only: the manager sees why the list is short).
    left_out: dict[str, int] = field(default_factory=dict)


def rest_until(volunteer_id: int, min_rest_hours: int, *, exclude_assignment_id: int | None = None,
               now: dt.datetime | None = None) -> dt.datetime | None:
    """When the volunteer will have rested `min_rest_hours` since their last check-out; None if rested already."""
    now = now or timezone.now()
    last = (Assignment.objects.filter(volunteer_id=volunteer_id, check_out_at__isnull=False)
            .exclude(pk=exclude_assignment_id).order_by("-check_out_at").values_list("check_out_at", flat=True).first())
    if last is None:
        return None
    until = last + dt.timedelta(hours=min_rest_hours)
    return until if until > now else None


def _busy_ids(volunteer_ids) -> set[int]:
    """Volunteers holding an assignment that is neither withdrawn nor checked out (accepted or on site)."""
    return set(Assignment.objects.filter(volunteer_id__in=volunteer_ids, cancelled_at__isnull=True,
                                         check_out_at__isnull=True).values_list("volunteer_id", flat=True))


def _not_rested_ids(volunteer_ids, min_rest_hours: int, now: dt.datetime) -> set[int]:
    since = now - dt.timedelta(hours=min_rest_hours)
    return set(Assignment.objects.filter(volunteer_id__in=volunteer_ids, check_out_at__gt=since)
               .values_list("volunteer_id", flat=True))


def _travel(actor: Actor, candidates: list[Candidate], lat: float, lon: float) -> None:
    """Travel minutes from each candidate's home to the meeting point: on the road network where one covers
    both points, else estimated from the straight line (flagged). Best effort: routing never blocks an alert."""
    if not candidates or not actor.has("routing.view"):
        return
    from siaga.routing import query

    try:
        table = query.table(actor, [(c.volunteer.lat, c.volunteer.lon) for c in candidates], (lat, lon), metres=False)
    except ServiceError:
        return  # a home position in the sea (a bad record): keep the straight line for everyone
    for c, row in zip(candidates, table["results"]):
        c.travel_minutes = max(1, round(row["seconds"] / 60))
        c.travel_estimated = bool(row["estimate"])


def select_candidates(actor: Actor, event: DisasterEvent, *, lat: float, lon: float, max_travel_km: float,
                      skill_codes=(), team: Team | None = None, exclude_ids=(), min_rest_hours: int | None = None,
                      limit: int = MAX_ALERTS_PER_ROUND) -> Selection:
    """The volunteers an activation may alert, nearest first.

    With a team: its active members (skills and distance are not applied: the team was formed for the job;
    the distance is still recorded). Without: volunteers holding every skill asked for, whose home lies
    within max_travel_km in a straight line. In both cases only available, rested volunteers with no other
    assignment, whom the actor may see. A volunteer of another organisation (another province) only while a
    mutual-aid grant lends them to the actor's organisation: then "deployed" (on loan) counts as available
    and the home distance is not applied (they travel with the loan).
    """
    from .models import default_min_rest_hours

    now = timezone.now()
    min_rest = default_min_rest_hours() if min_rest_hours is None else min_rest_hours
    left: dict[str, int] = {}
    lent = lent_volunteer_ids(actor)
    qs = Volunteer.objects.filter(active=True, merged_into__isnull=True).exclude(pk__in=list(exclude_ids))
    if team is not None:
        qs = qs.filter(team_memberships__team=team)
    else:
        for code in skill_codes:
            qs = qs.filter(skills__code=code)
        # A box around the meeting point first, so the exact distance is computed for few rows. The box may
        # hold other organisations' volunteers too: below, they are kept only under a grant.
        dlat = max_travel_km / KM_PER_DEG_LAT
        dlon = max_travel_km / (KM_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
        box = Q(lat__isnull=False, lon__isnull=False, lat__gte=lat - dlat, lat__lte=lat + dlat,
                lon__gte=lon - dlon, lon__lte=lon + dlon)
        qs = qs.filter(box | Q(pk__in=lent))
    rows = list(qs.distinct().select_related("organization"))
    visible = set(volunteer_services.visible_volunteers(actor).filter(pk__in=[v.pk for v in rows])
                  .values_list("pk", flat=True))
    busy = _busy_ids([v.pk for v in rows])
    tired = _not_rested_ids([v.pk for v in rows], min_rest, now)
    out: list[Candidate] = []

    def leave(reason: str) -> None:
        left[reason] = left.get(reason, 0) + 1

    for v in rows:
        via_grant = v.pk not in visible
        if via_grant and v.pk not in lent:
            leave("no_grant")
            continue
        ready = {Volunteer.Status.AVAILABLE, Volunteer.Status.DEPLOYED} if via_grant else {Volunteer.Status.AVAILABLE}
        if v.status not in ready:
            leave("status")
            continue
        if v.pk in busy:
            leave("assigned")
            continue
        if v.pk in tired:
            leave("resting")
            continue
        distance = haversine_km(v.lat, v.lon, lat, lon) if v.lat is not None and v.lon is not None else None
        if team is None and not via_grant and (distance is None or distance > max_travel_km):
            leave("distance")
            continue
        out.append(Candidate(volunteer=v, distance_km=round(distance, 2) if distance is not None else None,
                             via_grant=via_grant))
    out.sort(key=lambda c: (c.distance_km is None, c.distance_km or 0, c.volunteer.pk))
    if len(out) > limit:
        left["limit"] = len(out) - limit
        out = out[:limit]
    return Selection(candidates=out, left_out=left)


# --- activations: writing -----------------------------------------------------------------------------


def default_meeting_point(event: DisasterEvent) -> tuple[float, float, str, str] | None:
    """The centre of the event's most covered affected area at the finest level known: (lat, lon, name, code)."""
    codes = list(AffectedArea.objects.filter(event=event).order_by("-level", "-share", "region_code")
                 .values_list("region_code", flat=True)[:20])
    codes += list(event.affected_region_codes or [])
    if not codes:
        return None
    regions = {r.code: r for r in Region.objects.filter(code__in=codes, lat__isnull=False, lng__isnull=False)}
    for code in codes:
        r = regions.get(code)
        if r is not None:
            return r.lat, r.lng, r.name, r.code
    return None


def _activation_region(actor: Actor, lat: float, lon: float, event: DisasterEvent) -> str:
    """The kelurahan of the meeting point when the actor's area covers it; else the actor's own area."""
    from siaga.core.permissions import scopes_overlap
    from siaga.geo import lookup

    try:
        code = lookup.get_index().code_at(lat, lon) or ""
    except Exception:  # noqa: BLE001 - no boundaries loaded: the area is only a filter, fall back
        code = ""
    for candidate in (code, event.region_code):
        if candidate and scopes_overlap(actor.scope_code, candidate):
            return candidate
    return actor.scope_code


def _skills(codes) -> list[Skill]:
    codes = sorted({(c or "").strip() for c in codes or [] if (c or "").strip()})
    skills = list(Skill.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {s.code for s in skills})
    if unknown:
        raise ServiceError(_("Unknown skills: %(codes)s.") % {"codes": ", ".join(unknown)}, code="unknown_skill",
                           details={"codes": unknown})
    return skills


def _share_ids(act: Activation, volunteer_org_ids=()) -> list[int]:
    """Who else follows an activation live: the event's lead and the organisations whose volunteers it alerted."""
    ids = {act.event.organization_id, *volunteer_org_ids}
    ids |= set(act.alerts.values_list("volunteer__organization_id", flat=True).distinct())
    ids.discard(act.organization_id)
    return sorted(i for i in ids if i)


def _accepted(act: Activation) -> int:
    return act.assignments.filter(cancelled_at__isnull=True).count()


def _roster_event(act: Activation, change: str, alert_ids, *, answer=None, assignment=None, over=False) -> None:
    emit("roster.changed", {"event_id": act.event_id, "activation_id": act.pk, "alert_ids": sorted(alert_ids),
                            "change": change, "answer": answer,
                            "assignment_id": assignment.pk if assignment else None, "over_shift_limit": over},
         organization=act.organization_id, region_code=act.region_code, shared_with=_share_ids(act))


def _volunteer_event(act: Activation, name: str, alerts, **extra) -> None:
    """Tell the alerted volunteers' phones, one event per organisation (ids only: the stream delivers by org)."""
    by_org: dict[int, list[int]] = {}
    for alert in alerts:
        by_org.setdefault(alert.volunteer.organization_id, []).append(alert.pk)
    for org_id, ids in sorted(by_org.items()):
        emit(name, {"activation_id": act.pk, "alert_ids": sorted(ids), **extra}, organization=org_id)


def _state_event(act: Activation) -> None:
    emit("activation.state_changed", {"id": act.pk, "event_id": act.event_id, "state": act.state,
                                      "accepted": _accepted(act), "number_needed": act.number_needed},
         organization=act.organization_id, region_code=act.region_code, shared_with=_share_ids(act))
    pending = list(act.alerts.select_related("volunteer"))
    _volunteer_event(act, "activation.alert_changed", pending, activation_state=act.state)


def _send(actor: Actor, act: Activation, selection: Selection) -> list[ActivationAlert]:
    _travel(actor, selection.candidates, act.meeting_lat, act.meeting_lon)
    now = timezone.now()
    alerts = []
    for c in selection.candidates:
        alert, created = ActivationAlert.objects.get_or_create(
            activation=act, volunteer=c.volunteer,
            defaults={"sent_at": now, "distance_km": c.distance_km, "travel_minutes": c.travel_minutes,
                      "travel_estimated": c.travel_estimated, "via_grant": c.via_grant})
        if created:
            alert.volunteer = c.volunteer
            alerts.append(alert)
    if alerts:
        audit.record(actor, "update", act, {"alerted": [None, [a.volunteer_id for a in alerts]]})
        _roster_event(act, "alerted", [a.pk for a in alerts])
        _volunteer_event(act, "activation.alerted", alerts)
    return alerts


@dataclass
class ActivationResult:
    activation: Activation
    alerts: list[ActivationAlert]
    left_out: dict[str, int]


@transaction.atomic
def activate(actor: Actor, event_id: int, *, number_needed: int, skill_codes=(), max_travel_km: int = 50,
             meeting_lat: float | None = None, meeting_lon: float | None = None, meeting_text: str = "",
             message: str = "", team_id: int | None = None, max_shift_hours: int | None = None,
             min_rest_hours: int | None = None, alert_limit: int | None = None) -> ActivationResult:
    """Open an activation for an event and alert the volunteers it selects (see select_candidates)."""
    from .models import default_max_shift_hours, default_min_rest_hours

    actor.require("disaster.manage")
    actor.require("volunteer.view")
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to activate a team."), code="no_organization")
    event = disaster_services.get_event(actor, event_id)
    if event.phase == Phase.CLOSED:
        raise Conflict(_("The event is closed: no team can be activated for it."), code="event_closed")
    if not isinstance(number_needed, int) or not (1 <= number_needed <= 1000):
        raise ServiceError(_("Ask for between 1 and 1,000 volunteers."), code="invalid_number_needed")
    if not (1 <= int(max_travel_km) <= MAX_TRAVEL_KM):
        raise ServiceError(_("The travel distance must lie between 1 and %(max)d km.") % {"max": MAX_TRAVEL_KM},
                           code="invalid_distance")
    max_shift = default_max_shift_hours() if max_shift_hours is None else int(max_shift_hours)
    min_rest = default_min_rest_hours() if min_rest_hours is None else int(min_rest_hours)
    if not (1 <= max_shift <= 24):
        raise ServiceError(_("A shift lasts between 1 and 24 hours."), code="invalid_shift")
    if not (0 <= min_rest <= 72):
        raise ServiceError(_("Rest between shifts lies between 0 and 72 hours."), code="invalid_rest")
    skills = _skills(skill_codes)
    team = get_team(actor, team_id) if team_id is not None else None
    if team is not None and not team.active:
        raise ServiceError(_("The team is not active."), code="team_inactive")
    if (meeting_lat is None) != (meeting_lon is None):
        raise ServiceError(_("Give both latitude and longitude of the meeting point, or neither."),
                           code="invalid_position")
    if meeting_lat is None:
        centre = default_meeting_point(event)
        if centre is None:
            raise ServiceError(_("The event has no affected area with a known position: give a meeting point."),
                               code="meeting_point_required")
        meeting_lat, meeting_lon, name, _code = centre
        meeting_text = meeting_text or name
    lat, lon = _check_point(meeting_lat, meeting_lon)
    act = Activation.objects.create(
        event=event, organization=actor.organization, region_code=_activation_region(actor, lat, lon, event),
        created_by=_user(actor), team=team, number_needed=number_needed, max_travel_km=int(max_travel_km),
        meeting_lat=lat, meeting_lon=lon, meeting_text=(meeting_text or "").strip()[:300],
        message=(message or "").strip()[:4000], max_shift_hours=max_shift, min_rest_hours=min_rest)
    act.required_skills.set(skills)
    audit.created(actor, act)
    emit("activation.created", {"id": act.pk, "event_id": event.pk, "organization_id": act.organization_id,
                                "number_needed": act.number_needed, "max_travel_km": act.max_travel_km,
                                "state": act.state},
         organization=act.organization_id, region_code=act.region_code, shared_with=_share_ids(act))
    selection = select_candidates(actor, event, lat=lat, lon=lon, max_travel_km=act.max_travel_km,
                                  skill_codes=[s.code for s in skills], team=team, min_rest_hours=min_rest,
                                  limit=min(alert_limit or MAX_ALERTS_PER_ROUND, MAX_ALERTS_PER_ROUND))
    alerts = _send(actor, act, selection)
    return ActivationResult(act, alerts, selection.left_out)


def _own_activation_for_update(actor: Actor, activation_id: int) -> Activation:
    act = get_activation(actor, activation_id)
    # The event's lead sees every activation; only the activating organisation (or those above it) steers one.
    if not actor.is_platform_admin and act.organization_id not in actor.org_ids:
        raise PermissionDenied(_("Only the organisation that activated this team can change it."),
                               code="not_activating_organization")
    return Activation.objects.select_for_update().select_related("event").get(pk=act.pk)


@transaction.atomic
def alert_more(actor: Actor, activation_id: int, *, alert_limit: int | None = None) -> ActivationResult:
    """Another round for an open activation: alert who matches now and was not alerted before."""
    actor.require("disaster.manage")
    act = _own_activation_for_update(actor, activation_id)
    if act.state != Activation.State.OPEN:
        raise Conflict(_("The activation is %(state)s: no more alerts are sent.") % {"state": act.get_state_display()},
                       code="activation_not_open")
    selection = select_candidates(actor, act.event, lat=act.meeting_lat, lon=act.meeting_lon,
                                  max_travel_km=act.max_travel_km,
                                  skill_codes=list(act.required_skills.values_list("code", flat=True)),
                                  team=act.team, exclude_ids=act.alerts.values_list("volunteer_id", flat=True),
                                  min_rest_hours=act.min_rest_hours,
                                  limit=min(alert_limit or MAX_ALERTS_PER_ROUND, MAX_ALERTS_PER_ROUND))
    return ActivationResult(act, _send(actor, act, selection), selection.left_out)


@transaction.atomic
def close_activation(actor: Actor, activation_id: int) -> Activation:
    """Close an activation: no more answers; who accepted but has not checked in is released (available)."""
    actor.require("disaster.manage")
    act = _own_activation_for_update(actor, activation_id)
    if act.state == Activation.State.CLOSED:
        return act
    before = audit.snapshot(act)
    act.state, act.closed_at = Activation.State.CLOSED, timezone.now()
    act.save()
    audit.updated(actor, act, before)
    for a in act.assignments.filter(cancelled_at__isnull=True, check_in_at__isnull=True).select_related("volunteer"):
        _withdraw(actor, act, a, _("Activation closed before check-in."))
    _state_event(act)
    return act


def _withdraw(actor: Actor, act: Activation, a: Assignment, reason: str) -> None:
    before = audit.snapshot(a)
    a.cancelled_at = timezone.now()
    a.save()
    audit.updated(actor, a, before)
    # A volunteer on loan stays deployed (with the borrower) until the lender takes them back.
    on_loan = a.alert is not None and a.alert.via_grant and grant_holds(act.organization, a.volunteer)
    if a.volunteer.status == Volunteer.Status.DEPLOYED and not on_loan:
        volunteer_services.set_status(actor, a.volunteer_id, Volunteer.Status.AVAILABLE, reason=reason, system=True)
    _roster_event(act, "withdrawn", [a.alert_id] if a.alert_id else [], assignment=a)


# --- the volunteer's side -----------------------------------------------------------------------------


def my_alerts(actor: Actor):
    """The actor's own alerts (newest first), with their activation, event and assignment."""
    actor.require("volunteer.respond")
    me = volunteer_services.own_volunteer(actor)
    if me is None:
        return ActivationAlert.objects.none()
    return (ActivationAlert.objects.filter(volunteer=me)
            .select_related("activation", "activation__event", "activation__organization", "volunteer")
            .order_by("-sent_at", "-id"))


def _own_alert_for_update(actor: Actor, alert_id: int) -> ActivationAlert:
    actor.require("volunteer.respond")
    me = volunteer_services.own_volunteer(actor)
    alert = ActivationAlert.objects.filter(pk=alert_id, volunteer=me).first() if me is not None else None
    if alert is None:
        raise NotFound(_("Alert not found."))
    return alert


def _require_rested(volunteer_id: int, min_rest_hours: int, exclude_assignment_id: int | None = None) -> None:
    until = rest_until(volunteer_id, min_rest_hours, exclude_assignment_id=exclude_assignment_id)
    if until is not None:
        from siaga.disaster.views import zone_for

        v = Volunteer.objects.filter(pk=volunteer_id).values_list("region_code", flat=True).first() or ""
        local = timezone.localtime(until, zone_for(v))
        raise Conflict(_("Not rested enough: %(hours)d hours of rest are required after a shift; available again "
                         "from %(time)s.") % {"hours": min_rest_hours, "time": local.strftime("%d-%m-%Y %H:%M %Z")},
                       code="rest_required", details={"rest_until": until.isoformat(), "min_rest_hours": min_rest_hours})


@transaction.atomic
def answer(actor: Actor, alert_id: int, answer: str) -> ActivationAlert:
    """The volunteer answers an alert yes or no (from their phone).

    Idempotent: the same answer again changes nothing. While the activation is open an answer may change
    (a yes withdrawn before check-in frees the place). Once it is filled only a first "no" is taken; once
    closed, nothing. Yes creates the assignment and deploys the volunteer.
    """
    if answer not in (ActivationAlert.Answer.YES, ActivationAlert.Answer.NO):
        raise ServiceError(_("Answer yes or no."), code="invalid_answer")
    alert = _own_alert_for_update(actor, alert_id)
    # The activation row serialises the answers: two yeses for the last place cannot both win.
    act = Activation.objects.select_for_update().select_related("event").get(pk=alert.activation_id)
    alert = ActivationAlert.objects.select_related("volunteer").get(pk=alert.pk)
    if alert.answer == answer:
        return alert
    if act.state == Activation.State.CLOSED:
        raise Conflict(_("This activation is closed: your answer can no longer change."), code="activation_closed")
    if act.state == Activation.State.FILLED and not (alert.answer == ActivationAlert.Answer.NONE and answer == "no"):
        raise Conflict(_("This activation is already filled: your answer can no longer change."),
                       code="activation_filled")
    assignment = Assignment.objects.filter(activation=act, volunteer=alert.volunteer).first()
    if answer == ActivationAlert.Answer.YES:
        volunteer = Volunteer.objects.get(pk=alert.volunteer_id)
        if volunteer.merged_into_id or not volunteer.active:
            raise Conflict(_("Your volunteer record is not active."), code="volunteer_inactive")
        if volunteer.status == Volunteer.Status.UNAVAILABLE:
            raise Conflict(_("You are marked unavailable: change your status first."), code="volunteer_unavailable")
        other = (Assignment.objects.filter(volunteer=volunteer, cancelled_at__isnull=True, check_out_at__isnull=True)
                 .exclude(activation=act).exists())
        if other:
            raise Conflict(_("You are already assigned to another activation: check out there first."),
                           code="already_assigned")
        if alert.via_grant and not grant_holds(act.organization, volunteer):
            raise PermissionDenied(_("The mutual-aid grant that lent you to %(org)s has ended: this alert can no "
                                     "longer be accepted.") % {"org": act.organization.name},
                                   code="no_mutual_aid_grant")
        _require_rested(volunteer.pk, act.min_rest_hours)
    before = audit.snapshot(alert)
    alert.answer, alert.answered_at = answer, timezone.now()
    alert.save()
    audit.updated(actor, alert, before)
    if answer == ActivationAlert.Answer.YES:
        if assignment is None:
            assignment = Assignment.objects.create(activation=act, event=act.event, volunteer=alert.volunteer,
                                                   alert=alert, shift_limit_hours=act.max_shift_hours,
                                                   role=_team_role(act, alert.volunteer_id))
            audit.created(actor, assignment)
        else:
            before_a = audit.snapshot(assignment)
            assignment.cancelled_at = None
            assignment.save()
            audit.updated(actor, assignment, before_a)
        volunteer_services.set_status(actor, alert.volunteer_id, Volunteer.Status.DEPLOYED,
                                      reason=_("Accepted activation #%(id)d.") % {"id": act.pk}, system=True)
    elif assignment is not None and assignment.cancelled_at is None:
        if assignment.check_in_at is not None:
            raise Conflict(_("You are checked in on site: check out instead of declining."), code="on_site")
        _withdraw(actor, act, assignment, _("Declined activation #%(id)d.") % {"id": act.pk})
    _roster_event(act, "answered", [alert.pk], answer=answer, assignment=assignment)
    state_before = act.state
    if act.state == Activation.State.OPEN and _accepted(act) >= act.number_needed:
        act.state, act.filled_at = Activation.State.FILLED, timezone.now()
        act.save(update_fields=["state", "filled_at", "updated_at"])
        audit.record(actor, "update", act, {"state": [state_before, act.state]})
    if act.state != state_before:
        _state_event(act)
    else:
        _volunteer_event(act, "activation.alert_changed", [alert], activation_state=act.state, answer=answer)
    return alert


def _team_role(act: Activation, volunteer_id: int) -> str:
    if act.team_id and TeamMembership.objects.filter(team_id=act.team_id, volunteer_id=volunteer_id,
                                                     role=TeamMembership.Role.LEADER).exists():
        return Assignment.Role.LEADER
    return Assignment.Role.MEMBER


def _assignment_for_update(actor: Actor, assignment_id: int) -> Assignment:
    """The volunteer's own assignment, or one of an activation the manager steers (else 404)."""
    a = Assignment.objects.select_related("activation", "volunteer").filter(pk=assignment_id).first()
    if a is None:
        raise NotFound(_("Assignment not found."))
    me = volunteer_services.own_volunteer(actor) if actor.has("volunteer.respond") else None
    if me is None or me.pk != a.volunteer_id:
        if not actor.has("disaster.manage"):
            raise NotFound(_("Assignment not found."))
        _own_activation_for_update(actor, a.activation_id)  # visibility and steering rights
    return Assignment.objects.select_for_update().select_related("activation", "activation__event", "volunteer").get(
        pk=a.pk)


@transaction.atomic
def check_in(actor: Actor, assignment_id: int, *, lat: float | None = None, lon: float | None = None) -> Assignment:
    """Arrival on site (the volunteer, or the manager for them); again is harmless, after check-out refused."""
    a = _assignment_for_update(actor, assignment_id)
    if a.cancelled_at is not None:
        raise Conflict(_("This assignment was withdrawn."), code="assignment_withdrawn")
    if a.check_out_at is not None:
        raise Conflict(_("This shift is already over (checked out)."), code="already_checked_out")
    if a.check_in_at is not None:
        return a
    if (lat is None) != (lon is None):
        raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_position")
    if lat is not None:
        lat, lon = _check_point(lat, lon)
    if Assignment.objects.filter(volunteer=a.volunteer, check_in_at__isnull=False,
                                 check_out_at__isnull=True).exclude(pk=a.pk).exists():
        raise Conflict(_("Already checked in on another site: check out there first."), code="on_site_elsewhere")
    _require_rested(a.volunteer_id, a.activation.min_rest_hours, exclude_assignment_id=a.pk)
    before = audit.snapshot(a)
    a.check_in_at, a.check_in_lat, a.check_in_lon = timezone.now(), lat, lon
    a.save()
    audit.updated(actor, a, before)
    if a.volunteer.status != Volunteer.Status.DEPLOYED:
        volunteer_services.set_status(actor, a.volunteer_id, Volunteer.Status.DEPLOYED,
                                      reason=_("Checked in for activation #%(id)d.") % {"id": a.activation_id},
                                      system=True)
    _roster_event(a.activation, "checked_in", [a.alert_id] if a.alert_id else [], assignment=a)
    if a.alert_id:
        _volunteer_event(a.activation, "activation.alert_changed", [a.alert], activation_state=a.activation.state)
    return a


def shift_hours(a: Assignment, now: dt.datetime | None = None) -> float | None:
    if a.check_in_at is None:
        return None
    return _hours((a.check_out_at or now or timezone.now()) - a.check_in_at)


def over_shift_limit(a: Assignment, now: dt.datetime | None = None) -> bool:
    hours = shift_hours(a, now)
    return hours is not None and hours > a.shift_limit_hours


@transaction.atomic
def check_out(actor: Actor, assignment_id: int) -> Assignment:
    """Leaving the site: the shift ends and the volunteer rests (status resting); again is harmless."""
    a = _assignment_for_update(actor, assignment_id)
    if a.check_in_at is None:
        raise Conflict(_("Check in before checking out."), code="not_checked_in")
    if a.check_out_at is not None:
        return a
    before = audit.snapshot(a)
    a.check_out_at = max(timezone.now(), a.check_in_at)
    a.save()
    over = over_shift_limit(a)
    changes = audit.diff(before, audit.snapshot(a))
    changes.pop("updated_at", None)
    if over:
        changes["over_shift_limit"] = [None, round(shift_hours(a), 1)]
    audit.record(actor, "update", a, changes)
    volunteer_services.set_status(actor, a.volunteer_id, Volunteer.Status.RESTING,
                                  reason=_("Checked out of activation #%(id)d.") % {"id": a.activation_id},
                                  system=True)
    _roster_event(a.activation, "checked_out", [a.alert_id] if a.alert_id else [], assignment=a, over=over)
    if a.alert_id:
        _volunteer_event(a.activation, "activation.alert_changed", [a.alert], activation_state=a.activation.state)
    return a


# --- shifts past their limit ---------------------------------------------------------------------------


def flag_long_shifts(actor: Actor, now: dt.datetime | None = None) -> list[int]:
    """Tell the live roster once about every shift still on site past its limit (run by huey every few minutes).

    Claimed with a conditional update, so several workers never flag one shift twice.
    """
    now = now or timezone.now()
    flagged = []
    on_site = (Assignment.objects.filter(check_in_at__isnull=False, check_out_at__isnull=True,
                                         cancelled_at__isnull=True, over_limit_flagged_at__isnull=True)
               .select_related("activation", "activation__event"))
    for a in on_site:
        if not over_shift_limit(a, now):
            continue
        with transaction.atomic():
            if not Assignment.objects.filter(pk=a.pk, over_limit_flagged_at__isnull=True).update(
                    over_limit_flagged_at=now):
                continue
            audit.record(actor, "update", a, {"over_shift_limit": [None, round(shift_hours(a, now), 1)]})
            _roster_event(a.activation, "over_shift_limit", [a.alert_id] if a.alert_id else [], assignment=a,
                          over=True)
        flagged.append(a.pk)
    return flagged


# --- rest is over -------------------------------------------------------------------------------------


def release_rested(actor: Actor, now: dt.datetime | None = None) -> list[int]:
    """Volunteers resting after a shift whose rest is over become available again (run by huey every few
    minutes). A volunteer who set their status by hand since checking out is left alone."""
    now = now or timezone.now()
    released = []
    resting = Volunteer.objects.filter(status=Volunteer.Status.RESTING, merged_into__isnull=True)
    for v in resting.iterator():
        last = (Assignment.objects.filter(volunteer=v, check_out_at__isnull=False)
                .select_related("activation", "activation__organization", "alert").order_by("-check_out_at").first())
        if last is None or v.status_changed_at is None:
            continue
        # Resting because of this check-out (set within a minute of it), not a rest they chose later.
        if abs((v.status_changed_at - last.check_out_at).total_seconds()) > 60:
            continue
        if last.check_out_at + dt.timedelta(hours=last.activation.min_rest_hours) > now:
            continue
        # Rested on loan: back with the borrower (deployed) until the lender takes them back.
        on_loan = (last.alert_id is not None and last.alert.via_grant
                   and grant_holds(last.activation.organization, v))
        volunteer_services.set_status(actor, v.pk, Volunteer.Status.DEPLOYED if on_loan else Volunteer.Status.AVAILABLE,
                                      reason=_("Rest complete."), system=True)
        released.append(v.pk)
    return released


# --- the roster ---------------------------------------------------------------------------------------


@dataclass
class RosterLine:
    alert: ActivationAlert
    assignment: Assignment | None
    state: str  # alerted | accepted | declined | on_site | resting | withdrawn
    hours_on_shift: float | None
    over_shift_limit: bool
    rest_until: dt.datetime | None


ROSTER_STATES = ("alerted", "accepted", "declined", "on_site", "resting", "withdrawn")


def _line_state(alert: ActivationAlert, a: Assignment | None) -> str:
    if a is not None and a.cancelled_at is None:
        if a.check_out_at is not None:
            return "resting"
        if a.check_in_at is not None:
            return "on_site"
        return "accepted"
    if alert.answer == ActivationAlert.Answer.NO:
        return "declined"
    if a is not None:
        return "withdrawn"
    return "alerted"


def roster(actor: Actor, event_id: int, now: dt.datetime | None = None) -> list[tuple[Activation, list[RosterLine]]]:
    """Every visible activation of an event with its lines: who was alerted, accepted, declined, is on site or
    resting, hours on shift (flagged beyond the shift limit) and when they may work again."""
    now = now or timezone.now()
    event = disaster_services.get_event(actor, event_id)
    acts = list(visible_activations(actor).filter(event=event).select_related("organization", "team", "event")
                .prefetch_related("required_skills").order_by("-created_at", "-id"))
    alerts = list(ActivationAlert.objects.filter(activation__in=acts)
                  .select_related("volunteer", "volunteer__organization").order_by("distance_km", "id"))
    assignments = {(a.activation_id, a.volunteer_id): a for a in Assignment.objects.filter(activation__in=acts)}
    by_act: dict[int, list[RosterLine]] = {act.pk: [] for act in acts}
    min_rest = {act.pk: act.min_rest_hours for act in acts}
    for alert in alerts:
        a = assignments.get((alert.activation_id, alert.volunteer_id))
        state = _line_state(alert, a)
        hours = shift_hours(a, now) if a is not None and a.cancelled_at is None else None
        until = None
        if state == "resting":
            until = a.check_out_at + dt.timedelta(hours=min_rest[alert.activation_id])
            until = until if until > now else None
        by_act[alert.activation_id].append(RosterLine(alert, a, state, round(hours, 1) if hours is not None else None,
                                                      hours is not None and hours > a.shift_limit_hours, until))
    return [(act, by_act[act.pk]) for act in acts]


def counts(lines: list[RosterLine]) -> dict[str, int]:
    out = {s: 0 for s in ROSTER_STATES}
    for line in lines:
        out[line.state] += 1
    return out
