"""Team activation API (/api/disaster/teams/...): teams, activations and their live roster for managers; a
volunteer's own alerts, answers, check-in and check-out for the phone."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import services
from .models import Activation, ActivationAlert, Assignment, Team, TeamMembership

router = Router(tags=["disaster_teams"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
TeamKindIn = Literal["satgana", "first_aid", "water_rescue", "assessment", "logistics", "psychosocial", "wash",
                     "public_kitchen", "other"]


# --- schemas ------------------------------------------------------------------------------------------


class MemberOut(Schema):
    volunteer_id: int
    name: str
    role: str
    status: str


class TeamIn(Schema):
    name: str = Field(..., max_length=120)
    kind: TeamKindIn = "satgana"
    region_code: str = Field("", max_length=13)
    active: bool = True


class TeamOut(Schema):
    id: int
    organization_id: int
    name: str
    kind: str
    region_code: str
    active: bool
    members: list[MemberOut]


class MemberIn(Schema):
    role: Literal["leader", "member"] = "member"


class ActivationIn(Schema):
    event_id: int
    number_needed: int = Field(..., ge=1, le=1000)
    skill_codes: list[str] = Field(default_factory=list, description="every skill is required (AND)")
    max_travel_km: int = Field(50, ge=1, le=services.MAX_TRAVEL_KM, description="straight line from home")
    meeting_lat: float | None = Field(None, ge=-90, le=90, description="default: the event's most covered area")
    meeting_lon: float | None = Field(None, ge=-180, le=180)
    meeting_text: str = Field("", max_length=300)
    message: str = Field("", max_length=4000)
    team_id: int | None = Field(None, description="alert this team's available members instead of a skill search")
    max_shift_hours: int | None = Field(None, ge=1, le=24)
    min_rest_hours: int | None = Field(None, ge=0, le=72)
    alert_limit: int | None = Field(None, ge=1, le=services.MAX_ALERTS_PER_ROUND,
                                    description="alert at most this many, nearest first")


class RoundIn(Schema):
    alert_limit: int | None = Field(None, ge=1, le=services.MAX_ALERTS_PER_ROUND)


class ActivationOut(Schema):
    id: int
    event_id: int
    organization_id: int
    region_code: str
    team_id: int | None
    skill_codes: list[str]
    number_needed: int
    max_travel_km: int
    meeting_lat: float
    meeting_lon: float
    meeting_text: str
    message: str
    max_shift_hours: int
    min_rest_hours: int
    state: str
    created_at: datetime
    filled_at: datetime | None
    closed_at: datetime | None
    counts: dict[str, int]


class ActivationResultOut(Schema):
    activation: ActivationOut
    alerted: int
    left_out: dict[str, int] = Field(description="volunteers not alerted, by reason: status, assigned, resting, "
                                                 "distance, no_grant, limit")


class ActivationListOut(Schema):
    count: int
    items: list[ActivationOut]


class RosterLineOut(Schema):
    alert_id: int
    volunteer_id: int
    name: str
    phone: str
    organization_id: int
    via_grant: bool
    distance_km: float | None
    travel_minutes: int | None
    travel_estimated: bool
    sent_at: datetime
    answer: str
    answered_at: datetime | None
    state: Literal["alerted", "accepted", "declined", "on_site", "resting", "withdrawn"]
    assignment_id: int | None
    role: str | None
    check_in_at: datetime | None
    check_out_at: datetime | None
    hours_on_shift: float | None
    shift_limit_hours: int | None
    over_shift_limit: bool
    rest_until: datetime | None


class RosterActivationOut(Schema):
    activation: ActivationOut
    lines: list[RosterLineOut]


class RosterOut(Schema):
    event_id: int
    activations: list[RosterActivationOut]


class MyAssignmentOut(Schema):
    id: int
    role: str
    check_in_at: datetime | None
    check_out_at: datetime | None
    shift_limit_hours: int
    withdrawn: bool


class MyAlertOut(Schema):
    id: int
    activation_id: int
    activation_state: str
    event_id: int
    event_name: str
    organization_name: str
    meeting_text: str
    meeting_lat: float
    meeting_lon: float
    message: str
    skill_codes: list[str]
    sent_at: datetime
    answer: str
    answered_at: datetime | None
    distance_km: float | None
    travel_minutes: int | None
    travel_estimated: bool
    assignment: MyAssignmentOut | None


class AnswerIn(Schema):
    answer: Literal["yes", "no"]


class CheckInIn(Schema):
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


# --- helpers ------------------------------------------------------------------------------------------


def _team_out(team: Team) -> dict:
    members = [{"volunteer_id": m.volunteer_id, "name": m.volunteer.name, "role": m.role, "status": m.volunteer.status}
               for m in TeamMembership.objects.filter(team=team).select_related("volunteer")]
    return {"id": team.pk, "organization_id": team.organization_id, "name": team.name, "kind": team.kind,
            "region_code": team.region_code, "active": team.active, "members": members}


def _activation_out(act: Activation, lines=None) -> dict:
    if lines is None:
        lines = []
        alerts = list(act.alerts.all())
        assignments = {a.volunteer_id: a for a in act.assignments.all()}
        for alert in alerts:
            lines.append(services._line_state(alert, assignments.get(alert.volunteer_id)))
        counts = {s: lines.count(s) for s in services.ROSTER_STATES}
    else:
        counts = services.counts(lines)
    return {"id": act.pk, "event_id": act.event_id, "organization_id": act.organization_id,
            "region_code": act.region_code, "team_id": act.team_id,
            "skill_codes": sorted(s.code for s in act.required_skills.all()), "number_needed": act.number_needed,
            "max_travel_km": act.max_travel_km, "meeting_lat": act.meeting_lat, "meeting_lon": act.meeting_lon,
            "meeting_text": act.meeting_text, "message": act.message, "max_shift_hours": act.max_shift_hours,
            "min_rest_hours": act.min_rest_hours, "state": act.state, "created_at": act.created_at,
            "filled_at": act.filled_at, "closed_at": act.closed_at, "counts": counts}


def _line_out(line: services.RosterLine) -> dict:
    alert, a, v = line.alert, line.assignment, line.alert.volunteer
    live = a is not None and a.cancelled_at is None
    return {"alert_id": alert.pk, "volunteer_id": v.pk, "name": v.name, "phone": v.phone,
            "organization_id": v.organization_id, "via_grant": alert.via_grant, "distance_km": alert.distance_km,
            "travel_minutes": alert.travel_minutes, "travel_estimated": alert.travel_estimated,
            "sent_at": alert.sent_at, "answer": alert.answer, "answered_at": alert.answered_at, "state": line.state,
            "assignment_id": a.pk if live else None, "role": a.role if live else None,
            "check_in_at": a.check_in_at if live else None, "check_out_at": a.check_out_at if live else None,
            "hours_on_shift": line.hours_on_shift, "shift_limit_hours": a.shift_limit_hours if live else None,
            "over_shift_limit": line.over_shift_limit, "rest_until": line.rest_until}


def _my_alert_out(alert: ActivationAlert, assignments: dict | None = None) -> dict:
    act = alert.activation
    if assignments is None:
        a = Assignment.objects.filter(activation=act, volunteer_id=alert.volunteer_id).first()
    else:
        a = assignments.get(act.pk)
    return {"id": alert.pk, "activation_id": act.pk, "activation_state": act.state, "event_id": act.event_id,
            "event_name": act.event.name, "organization_name": act.organization.name, "meeting_text": act.meeting_text,
            "meeting_lat": act.meeting_lat, "meeting_lon": act.meeting_lon, "message": act.message,
            "skill_codes": sorted(s.code for s in act.required_skills.all()), "sent_at": alert.sent_at,
            "answer": alert.answer, "answered_at": alert.answered_at, "distance_km": alert.distance_km,
            "travel_minutes": alert.travel_minutes, "travel_estimated": alert.travel_estimated,
            "assignment": None if a is None else {
                "id": a.pk, "role": a.role, "check_in_at": a.check_in_at, "check_out_at": a.check_out_at,
                "shift_limit_hours": a.shift_limit_hours, "withdrawn": a.cancelled_at is not None}}


# --- teams --------------------------------------------------------------------------------------------


@router.get("/teams", response={200: list[TeamOut], 403: ErrorOut}, summary="Teams of my organisations")
def list_teams(request, active: bool | None = None):
    qs = services.visible_teams(request.auth).order_by("name")
    if active is not None:
        qs = qs.filter(active=active)
    return [_team_out(t) for t in qs[:500]]


@router.post("/teams", response={201: TeamOut, **ERRORS}, summary="Form a team")
def create_team(request, payload: TeamIn):
    return Status(201, _team_out(services.save_team(request.auth, **payload.dict())))


@router.get("/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="One team with its members")
def get_team(request, team_id: int):
    return _team_out(services.get_team(request.auth, team_id))


@router.put("/teams/{team_id}", response={200: TeamOut, **ERRORS}, summary="Rename or change a team")
def update_team(request, team_id: int, payload: TeamIn):
    return _team_out(services.save_team(request.auth, team_id=team_id, **payload.dict()))


@router.put("/teams/{team_id}/members/{volunteer_id}", response={200: TeamOut, **ERRORS},
            summary="Add a volunteer to a team or change their role (idempotent)")
def put_member(request, team_id: int, volunteer_id: int, payload: MemberIn):
    services.set_member(request.auth, team_id, volunteer_id, payload.role)
    return _team_out(services.get_team(request.auth, team_id))


@router.delete("/teams/{team_id}/members/{volunteer_id}", response={200: TeamOut, **ERRORS},
               summary="Remove a volunteer from a team")
def delete_member(request, team_id: int, volunteer_id: int):
    services.remove_member(request.auth, team_id, volunteer_id)
    return _team_out(services.get_team(request.auth, team_id))


# --- activations --------------------------------------------------------------------------------------


@router.get("/activations", response={200: ActivationListOut, 403: ErrorOut},
            summary="Activations of my organisations and for events we lead")
def list_activations(request, event_id: int | None = None, state: Literal["open", "filled", "closed"] | None = None,
                     limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = services.visible_activations(request.auth).prefetch_related("required_skills", "alerts", "assignments")
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    if state:
        qs = qs.filter(state=state)
    qs = qs.order_by("-created_at", "-id")
    return {"count": qs.count(), "items": [_activation_out(a) for a in qs[offset:offset + limit]]}


@router.post("/activations", response={201: ActivationResultOut, **ERRORS},
             summary="Activate: open an activation for an event and alert the volunteers it selects")
def create_activation(request, payload: ActivationIn):
    data = payload.dict()
    event_id = data.pop("event_id")
    result = services.activate(request.auth, event_id, **data)
    return Status(201, {"activation": _activation_out(result.activation), "alerted": len(result.alerts),
                        "left_out": result.left_out})


@router.get("/activations/{activation_id}", response={200: ActivationOut, **ERRORS}, summary="One activation")
def get_activation(request, activation_id: int):
    return _activation_out(services.get_activation(request.auth, activation_id))


@router.post("/activations/{activation_id}/alert-more", response={200: ActivationResultOut, **ERRORS},
             summary="Alert who matches now and was not alerted before (open activations)")
def alert_more(request, activation_id: int, payload: RoundIn):
    result = services.alert_more(request.auth, activation_id, alert_limit=payload.alert_limit)
    return {"activation": _activation_out(result.activation), "alerted": len(result.alerts),
            "left_out": result.left_out}


@router.post("/activations/{activation_id}/close", response={200: ActivationOut, **ERRORS},
             summary="Close an activation (who accepted but has not checked in is released)")
def close_activation(request, activation_id: int):
    services.close_activation(request.auth, activation_id)
    return _activation_out(services.get_activation(request.auth, activation_id))


@router.post("/assignments/{assignment_id}/check-in", response={200: MyAssignmentOut, **ERRORS},
             summary="Check in on site (the volunteer, or the activating manager for them)")
def check_in(request, assignment_id: int, payload: CheckInIn):
    a = services.check_in(request.auth, assignment_id, lat=payload.lat, lon=payload.lon)
    return _assignment_out(a)


@router.post("/assignments/{assignment_id}/check-out", response={200: MyAssignmentOut, **ERRORS},
             summary="Check out: the shift ends, the volunteer rests")
def check_out(request, assignment_id: int):
    return _assignment_out(services.check_out(request.auth, assignment_id))


def _assignment_out(a: Assignment) -> dict:
    return {"id": a.pk, "role": a.role, "check_in_at": a.check_in_at, "check_out_at": a.check_out_at,
            "shift_limit_hours": a.shift_limit_hours, "withdrawn": a.cancelled_at is not None}


@router.get("/events/{event_id}/roster", response={200: RosterOut, **ERRORS},
            summary="The live roster of an event: who is alerted, accepted, declined, on site, resting")
def event_roster(request, event_id: int):
    data = services.roster(request.auth, event_id)
    return {"event_id": event_id, "activations": [
        {"activation": _activation_out(act, lines), "lines": [_line_out(x) for x in lines]} for act, lines in data]}


# --- the volunteer's phone ----------------------------------------------------------------------------


@router.get("/my/alerts", response={200: list[MyAlertOut], 403: ErrorOut}, summary="My alerts, newest first")
def my_alerts(request, limit: int = Query(50, ge=1, le=200)):
    alerts = list(services.my_alerts(request.auth).prefetch_related("activation__required_skills")[:limit])
    assignments = {a.activation_id: a for a in Assignment.objects.filter(
        volunteer_id__in={x.volunteer_id for x in alerts}, activation__in=[x.activation_id for x in alerts])}
    return [_my_alert_out(a, assignments) for a in alerts]


@router.post("/alerts/{alert_id}/answer", response={200: MyAlertOut, **ERRORS},
             summary="Answer my alert yes or no (the same answer again changes nothing)")
def answer_alert(request, alert_id: int, payload: AnswerIn):
    services.answer(request.auth, alert_id, payload.answer)
    return _my_alert_out(services.my_alerts(request.auth).get(pk=alert_id))
