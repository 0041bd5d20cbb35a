"""Dispatch API: fleet, recommendations, dispatches and their status steps, the crew's own view, unit requests.

Positions, hospitals and rosters have their own routers (api_positions, api_hospitals, api_rosters),
mounted here so the whole capability lives under /api/dispatch.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import crewing, recommend, services
from .api_hospitals import router as hospitals_router
from .api_positions import router as positions_router
from .api_rosters import router as rosters_router
from .models import Dispatch, Unit

router = Router(tags=["dispatch"])
ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# --- schemas ------------------------------------------------------------------------------------------


class StationIn(Schema):
    name: str = Field(..., max_length=200)
    kind: str
    region_code: str = ""
    address: str = Field("", max_length=300)
    lat: float | None = None
    lng: float | None = None
    organization_id: int | None = None


class DispatchStationOut(Schema):
    id: int
    organization_id: int
    name: str
    kind: str
    region_code: str
    address: str
    lat: float | None
    lng: float | None
    active: bool


class UnitIn(Schema):
    call_sign: str = Field(..., max_length=40)
    kind: str
    station_id: int | None = None
    capabilities: list[str] = []
    equipment: list[str] = []
    plate_number: str = Field("", max_length=20)
    region_code: str = ""
    dispatch_center_id: int | None = None
    mutual_aid: bool = False
    always_crewed: bool = False
    organization_id: int | None = None


class UnitOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    dispatch_center_id: int | None
    station_id: int | None
    station_name: str | None
    call_sign: str
    kind: str
    capabilities: list[str]
    equipment: list[str]
    plate_number: str
    region_code: str
    mutual_aid: bool
    active: bool
    status: str
    status_changed_at: datetime | None
    current_dispatch_id: int | None
    lat: float | None
    lng: float | None
    position_at: datetime | None
    speed_kmh: float | None
    heading_deg: float | None
    snapped_lat: float | None
    snapped_lng: float | None
    crewed_now: bool


class ServiceIn(Schema):
    in_service: bool
    reason: str = Field("", max_length=300)


class StepIn(Schema):
    client_id: str = Field("", max_length=64, description="the phone's own id for a queued change (replay-safe)")
    at: datetime | None = Field(None, description="when it happened, by the device's clock, with time zone")


class DispatchStatusIn(StepIn):
    status: str
    note: str = Field("", max_length=300)
    destination_id: int | None = None


class DispatchIn(Schema):
    incident_id: int
    unit_id: int
    note: str = Field("", max_length=300)


class DispatchReasonIn(Schema):
    reason: str = Field(..., max_length=300)


class DivertIn(Schema):
    incident_id: int
    reason: str = Field("", max_length=300)


class ReassignIn(Schema):
    unit_id: int
    reason: str = Field(..., max_length=300)


class DestinationIn(Schema):
    hospital_id: int


class PlaceOut(Schema):
    id: int
    name: str
    lat: float | None
    lng: float | None


class DispatchOut(Schema):
    id: int
    organization_id: int
    incident_id: int
    incident_number: str
    incident_type: str
    priority: int
    incident_lat: float | None
    incident_lng: float | None
    incident_address: str
    incident_description: str
    unit_id: int
    call_sign: str
    status: str
    alerted_at: datetime
    ack_deadline_at: datetime
    ack_alarm_at: datetime | None
    acknowledged_at: datetime | None
    en_route_at: datetime | None
    on_scene_at: datetime | None
    transporting_at: datetime | None
    at_hospital_at: datetime | None
    handover_done_at: datetime | None
    returning_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    replaced_by_id: int | None
    destination: PlaceOut | None
    eta_seconds: float | None
    distance_m: float | None
    eta_estimate: bool
    unit_request_id: int | None


class CodeName(Schema):
    code: str
    name: str


class RecommendedUnitOut(Schema):
    unit_id: int
    call_sign: str
    organization_id: int
    organization_name: str
    kind: str
    status: str
    lat: float | None
    lng: float | None
    position_at: datetime | None
    position_stale: bool
    at_station: bool
    eta_seconds: float | None
    distance_m: float | None
    estimate: bool
    direct: bool
    leaves_uncovered: list[CodeName]


class RecommendationIncidentOut(Schema):
    id: int
    number: str
    lat: float | None
    lng: float | None
    type: str
    priority: int
    region_code: str


class RecommendationOut(Schema):
    incident: RecommendationIncidentOut
    capability: str
    target_minutes: int
    coverage_target_minutes: int
    units: list[RecommendedUnitOut]


class KecamatanCoverageOut(Schema):
    code: str
    name: str
    lat: float
    lng: float
    covered: bool
    units_within: int
    best_seconds: float | None


class CoverageNowOut(Schema):
    region_code: str
    priority: int
    target_minutes: int
    kecamatan: list[KecamatanCoverageOut]
    uncovered: list[str]
    uncovered_if_unit_leaves: list[str]


class CrewMeOut(Schema):
    units: list[UnitOut]
    dispatch: DispatchOut | None


class UnitRequestIn(Schema):
    incident_id: int
    unit_id: int
    note: str = Field("", max_length=300)


class RespondIn(Schema):
    accept: bool
    note: str = Field("", max_length=300)


class UnitRequestOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    owner_id: int
    owner_name: str
    unit_id: int
    call_sign: str
    incident_id: int
    incident_number: str
    status: str
    note: str
    requested_at: datetime
    responded_at: datetime | None
    response_note: str
    dispatch_id: int | None


# --- serialisers ----------------------------------------------------------------------------------------


def unit_out(u: Unit, crewed: set[int] | None = None) -> dict:
    if crewed is None:
        crewed = crewing.crewed_unit_ids([u.pk], timezone.now())
    return {"id": u.pk, "organization_id": u.organization_id, "organization_name": u.organization.name,
            "dispatch_center_id": u.dispatch_center_id, "station_id": u.station_id,
            "station_name": u.station.name if u.station_id else None, "call_sign": u.call_sign, "kind": u.kind,
            "capabilities": u.capabilities or [], "equipment": u.equipment or [], "plate_number": u.plate_number,
            "region_code": u.region_code, "mutual_aid": u.mutual_aid, "active": u.active, "status": u.status,
            "status_changed_at": u.status_changed_at, "current_dispatch_id": u.current_dispatch_id, "lat": u.lat,
            "lng": u.lng, "position_at": u.position_at, "speed_kmh": u.speed_kmh, "heading_deg": u.heading_deg,
            "snapped_lat": u.snapped_lat, "snapped_lng": u.snapped_lng, "crewed_now": u.pk in crewed}


def dispatch_out(d: Dispatch) -> dict:
    inc = d.incident
    dest = d.destination
    return {"id": d.pk, "organization_id": d.organization_id, "incident_id": inc.pk, "incident_number": inc.number,
            "incident_type": inc.type.name, "priority": inc.priority, "incident_lat": inc.lat,
            "incident_lng": inc.lng, "incident_address": inc.address or "",
            "incident_description": inc.description or "", "unit_id": d.unit_id, "call_sign": d.unit.call_sign,
            "status": d.status, "alerted_at": d.alerted_at, "ack_deadline_at": d.ack_deadline_at,
            "ack_alarm_at": d.ack_alarm_at, "acknowledged_at": d.acknowledged_at, "en_route_at": d.en_route_at,
            "on_scene_at": d.on_scene_at, "transporting_at": d.transporting_at, "at_hospital_at": d.at_hospital_at,
            "handover_done_at": d.handover_done_at, "returning_at": d.returning_at, "completed_at": d.completed_at,
            "cancelled_at": d.cancelled_at, "cancel_reason": d.cancel_reason, "replaced_by_id": d.replaced_by_id,
            "destination": {"id": dest.pk, "name": dest.name, "lat": dest.lat, "lng": dest.lng} if dest else None,
            "eta_seconds": d.eta_seconds, "distance_m": d.distance_m, "eta_estimate": d.eta_estimate,
            "unit_request_id": d.unit_request_id}


def _reload(d: Dispatch) -> Dispatch:
    return Dispatch.objects.select_related("unit", "incident", "incident__type", "destination").get(pk=d.pk)


def request_out(r) -> dict:
    d = r.dispatches.order_by("-pk").first()
    return {"id": r.pk, "organization_id": r.organization_id, "organization_name": r.organization.name,
            "owner_id": r.owner_id, "owner_name": r.owner.name, "unit_id": r.unit_id, "call_sign": r.unit.call_sign,
            "incident_id": r.incident_id, "incident_number": r.incident.number, "status": r.status, "note": r.note,
            "requested_at": r.requested_at, "responded_at": r.responded_at, "response_note": r.response_note,
            "dispatch_id": d.pk if d else None}


# --- fleet ------------------------------------------------------------------------------------------------


@router.get("/stations", response={200: list[DispatchStationOut], 403: ErrorOut}, summary="Stations and posts")
def list_stations(request):
    return list(services.visible_stations(request.auth).order_by("name")[:1000])


@router.post("/stations", response={201: DispatchStationOut, **ERRORS}, summary="Add a station")
def create_station(request, body: StationIn):
    st = services.create_station(request.auth, name=body.name, kind=body.kind, region_code=body.region_code,
                                 lat=body.lat, lng=body.lng, address=body.address,
                                 organization=body.organization_id)
    return Status(201, st)


@router.get("/units", response={200: list[UnitOut], 403: ErrorOut}, summary="Units with status and position")
def list_units(request, status: str | None = None, active: bool | None = None):
    qs = services.visible_units(request.auth).order_by("call_sign")
    if status:
        qs = qs.filter(status=status)
    if active is not None:
        qs = qs.filter(active=active)
    units = list(qs[:2000])
    crewed = crewing.crewed_unit_ids([u.pk for u in units], timezone.now())
    return [unit_out(u, crewed) for u in units]


@router.get("/units/{unit_id}", response={200: UnitOut, 403: ErrorOut, 404: ErrorOut})
def get_unit(request, unit_id: int):
    return unit_out(services.get_unit(request.auth, unit_id))


@router.post("/units", response={201: UnitOut, **ERRORS}, summary="Add a unit")
def create_unit(request, body: UnitIn):
    u = services.create_unit(request.auth, call_sign=body.call_sign, kind=body.kind, station=body.station_id,
                             capabilities=body.capabilities, equipment=body.equipment,
                             plate_number=body.plate_number, region_code=body.region_code,
                             dispatch_center=body.dispatch_center_id, mutual_aid=body.mutual_aid,
                             always_crewed=body.always_crewed, organization=body.organization_id)
    return Status(201, unit_out(services.get_unit(request.auth, u.pk)))


@router.post("/units/{unit_id}/service", response={200: UnitOut, **ERRORS},
             summary="Take a unit out of service or back")
def unit_service(request, unit_id: int, body: ServiceIn):
    services.set_unit_service(request.auth, unit_id, in_service=body.in_service, reason=body.reason)
    return unit_out(services.get_unit(request.auth, unit_id))


@router.post("/units/{unit_id}/available", response={200: UnitOut, **ERRORS},
             summary="A returning unit is available again")
def unit_available(request, unit_id: int, body: StepIn):
    services.return_to_station(request.auth, unit_id, client_id=body.client_id, at=body.at)
    return unit_out(services.get_unit(request.auth, unit_id))


# --- recommendation and coverage ---------------------------------------------------------------------------


@router.get("/incidents/{incident_id}/recommendation", response={200: RecommendationOut, **ERRORS},
            summary="Dispatchable units ranked by road travel time to the incident")
def recommendation(request, incident_id: int, limit: int = 20):
    return recommend.recommend(request.auth, incident_id, limit=max(1, min(limit, 100)))


@router.get("/coverage-now", response={200: CoverageNowOut, **ERRORS},
            summary="Kecamatan without a unit within target now, and if a unit leaves")
def coverage_now(request, region_code: str, unit_id: int | None = None):
    request.auth.require_region(region_code)
    cov = recommend.coverage_now(request.auth, region_code)
    if unit_id is not None:
        services.get_unit(request.auth, unit_id)
    lost = cov["uncovered_if"].get(unit_id, []) if unit_id is not None else []
    return {**cov, "uncovered_if_unit_leaves": lost}


# --- dispatches -----------------------------------------------------------------------------------------------


@router.post("/dispatches", response={201: DispatchOut, **ERRORS}, summary="Send a unit to an incident")
def create_dispatch(request, body: DispatchIn):
    d = services.dispatch_unit(request.auth, incident_id=body.incident_id, unit_id=body.unit_id, note=body.note)
    return Status(201, dispatch_out(_reload(d)))


@router.get("/dispatches", response={200: list[DispatchOut], 403: ErrorOut}, summary="Dispatches")
def list_dispatches(request, active: bool = False, incident_id: int | None = None, unit_id: int | None = None,
                    limit: int = 200):
    qs = services.visible_dispatches(request.auth)
    if active:
        qs = qs.filter(status__in=services.LIVE)
    if incident_id is not None:
        qs = qs.filter(incident_id=incident_id)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return [dispatch_out(d) for d in qs.order_by("-alerted_at", "-pk")[:max(1, min(limit, 1000))]]


@router.get("/dispatches/{dispatch_id}", response={200: DispatchOut, 403: ErrorOut, 404: ErrorOut})
def get_dispatch(request, dispatch_id: int):
    return dispatch_out(services.get_dispatch(request.auth, dispatch_id))


@router.post("/dispatches/{dispatch_id}/status", response={200: DispatchOut, **ERRORS},
             summary="One status step (acknowledge, en route, on scene, ...); replay-safe with client_id")
def dispatch_status(request, dispatch_id: int, body: DispatchStatusIn):
    d = services.set_dispatch_status(request.auth, dispatch_id, body.status, at=body.at, client_id=body.client_id,
                                     note=body.note, destination_id=body.destination_id)
    return dispatch_out(_reload(d))


@router.post("/dispatches/{dispatch_id}/cancel", url_name="dispatch_cancel", response={200: DispatchOut, **ERRORS},
             summary="Cancel a dispatch")
def cancel(request, dispatch_id: int, body: DispatchReasonIn):
    return dispatch_out(_reload(services.cancel_dispatch(request.auth, dispatch_id, reason=body.reason)))


@router.post("/dispatches/{dispatch_id}/divert", response={200: DispatchOut, **ERRORS},
             summary="Divert the unit to another incident (returns the new dispatch)")
def divert(request, dispatch_id: int, body: DivertIn):
    return dispatch_out(_reload(services.divert_dispatch(request.auth, dispatch_id, incident_id=body.incident_id,
                                                         reason=body.reason)))


@router.post("/dispatches/{dispatch_id}/reassign", response={200: DispatchOut, **ERRORS},
             summary="Give the incident another unit (returns the new dispatch)")
def reassign(request, dispatch_id: int, body: ReassignIn):
    return dispatch_out(_reload(services.reassign_dispatch(request.auth, dispatch_id, unit_id=body.unit_id,
                                                           reason=body.reason)))


@router.post("/dispatches/{dispatch_id}/destination", response={200: DispatchOut, **ERRORS},
             summary="Choose the hospital the patient is taken to")
def destination(request, dispatch_id: int, body: DestinationIn):
    return dispatch_out(_reload(services.set_destination(request.auth, dispatch_id, body.hospital_id)))


# URL name "me" (core's /api/me is "core_me"): the crew page reverses "api:me" to find this router's base URL.
@router.get("/me", url_name="me", response={200: CrewMeOut, 403: ErrorOut},
            summary="The crew's own units and live dispatch")
def me(request):
    actor = request.auth
    actor.require("unit.view")
    now = timezone.now()
    ids = crewing.units_of_user(actor.user, now)
    units = list(services.visible_units(actor).filter(pk__in=ids).order_by("call_sign"))
    crewed = crewing.crewed_unit_ids([u.pk for u in units], now)
    # Returning still belongs to the job: the crew closes it with "completed" or "available".
    live = (services.visible_dispatches(actor).filter(unit_id__in=[u.pk for u in units],
                                                      status__in=(*services.LIVE, "returning"))
            .order_by("-alerted_at").first())
    return {"units": [unit_out(u, crewed) for u in units], "dispatch": dispatch_out(live) if live else None}


# --- requests across organisations ------------------------------------------------------------------------------


@router.get("/unit-requests", response={200: list[UnitRequestOut], 403: ErrorOut},
            summary="Requests for units, made and received")
def list_unit_requests(request, status: str | None = None):
    qs = services.visible_unit_requests(request.auth)
    if status:
        qs = qs.filter(status=status)
    return [request_out(r) for r in qs.order_by("-requested_at")[:500]]


@router.post("/unit-requests", response={201: UnitRequestOut, **ERRORS},
             summary="Ask another organisation for one of its units")
def create_unit_request(request, body: UnitRequestIn):
    r = services.request_unit(request.auth, incident_id=body.incident_id, unit_id=body.unit_id, note=body.note)
    return Status(201, request_out(r))


@router.post("/unit-requests/{request_id}/respond", response={200: UnitRequestOut, **ERRORS},
             summary="The owner accepts (the unit is dispatched) or declines")
def respond(request, request_id: int, body: RespondIn):
    r = services.respond_unit_request(request.auth, request_id, accept=body.accept, note=body.note)
    return request_out(r)


router.add_router("", positions_router)
router.add_router("", hospitals_router)
router.add_router("", rosters_router)
