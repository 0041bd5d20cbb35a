"""Routing API: road networks, travel-time tables, routes, closures and slow-downs."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from siaga.core.api import ErrorOut

from . import query, services
from .models import RoadNetwork

router = Router(tags=["routing"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
Point = list[float]


class NetworkOut(Schema):
    id: int
    region_code: str
    name: str
    source: str
    node_count: int
    arc_count: int
    dropped_node_count: int
    dropped_arc_count: int
    bbox: list[float]
    active: bool
    created_at: datetime


class TableIn(Schema):
    sources: list[Point] = Field(..., description="[[lat, lng], ...] e.g. the units' positions")
    target: Point = Field(..., description="[lat, lng] e.g. the incident")


class TableRowOut(Schema):
    seconds: float
    metres: float | None
    estimate: bool
    snap_m: float | None


class TableOut(Schema):
    network_id: int | None
    target_snap_m: float | None
    estimate: bool
    results: list[TableRowOut]


class RouteIn(Schema):
    from_: Point = Field(..., alias="from")
    to: Point


class InstructionOut(Schema):
    street: str
    metres: float
    text: str


class RouteOut(Schema):
    network_id: int | None
    seconds: float
    metres: float
    estimate: bool
    geometry: list[Point]
    instructions: list[InstructionOut]
    snap_m: list[float | None]


class ClosureIn(Schema):
    network_id: int
    kind: Literal["arcs", "area", "road_class_factor"]
    reason: str = Field(..., max_length=500)
    arc_ids: list[int] | None = None
    area: dict | None = Field(None, description="GeoJSON Polygon or MultiPolygon (lon, lat)")
    road_class: str = ""
    factor: float | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ClosureOut(Schema):
    id: int
    network_id: int
    organization_id: int
    kind: str
    arc_ids: list[int]
    area: dict | None
    road_class: str
    factor: float
    reason: str
    author_id: int | None
    starts_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None


def _require_view(request):
    request.auth.require("routing.view")


@router.get("/networks", response={200: list[NetworkOut], 403: ErrorOut}, summary="Road networks (reference data)")
def list_networks(request):
    _require_view(request)
    return list(RoadNetwork.objects.all())


@router.post("/table", response={200: TableOut, **ERRORS},
             summary="Travel time from many sources (units) to one target (an incident)")
def travel_table(request, body: TableIn):
    return query.table(request.auth, body.sources, body.target)


@router.post("/route", response={200: RouteOut, **ERRORS}, summary="Fastest route with geometry and instructions")
def fastest_route(request, body: RouteIn):
    return query.route(request.auth, body.from_, body.to)


@router.get("/closures", response={200: list[ClosureOut], 403: ErrorOut},
            summary="Closures and slow-downs of the caller's organisations")
def list_closures(request, network_id: int | None = None, active: bool = False):
    return list(services.visible_closures(request.auth, network_id=network_id, active_only=active))


@router.get("/closures/{closure_id}", response={200: ClosureOut, 403: ErrorOut, 404: ErrorOut})
def get_closure(request, closure_id: int):
    return services.get_closure(request.auth, closure_id)


@router.post("/closures", response={201: ClosureOut, **ERRORS}, summary="Close roads, an area or slow a road class")
def create_closure(request, body: ClosureIn):
    c = services.create_closure(request.auth, network_id=body.network_id, kind=body.kind, reason=body.reason,
                                arc_ids=body.arc_ids, area=body.area, road_class=body.road_class,
                                factor=body.factor, starts_at=body.starts_at, ends_at=body.ends_at)
    return Status(201, c)


@router.post("/closures/{closure_id}/lift", response={200: ClosureOut, **ERRORS}, summary="Lift a closure")
def lift_closure(request, closure_id: int):
    return services.lift_closure(request.auth, closure_id)




# --- coverage planning ---------------------------------------------------------------------------------
class CoverageIn(Schema):
    network_id: int | None = None
    region_code: str = Field("", max_length=20)
    stations: list[Point] | None = Field(None, description="[[lat, lng], ...]; default: the visible organisations "
                                                          "of kinds psc119, pmi_branch, hospital, fire, bpbd")
    priority: int = Field(1, ge=1, le=4)
    k: int = Field(0, ge=0, le=10, description="how many new posts to suggest")
    candidates: list[Point] | None = Field(None, description="candidate sites; default: the kelurahan centroids")


class DemandOut(Schema):
    code: str
    name: str
    lat: float
    lng: float
    best_seconds: float | None
    estimate: bool


class CoverageStationOut(Schema):
    lat: float
    lng: float
    name: str
    kind: str


class CoverageSuggestionOut(Schema):
    lat: float
    lng: float
    gained_weight: float
    gained_share: float
    covered_share: float
    estimate: bool


class CoverageOut(Schema):
    network_id: int
    region_code: str
    weighted_by_population: bool
    priority: int
    targets_minutes: dict[str, int]
    shares: dict[str, float]
    uncovered: list[DemandOut]
    uncovered_by_priority: dict[str, int]
    demand_count: int
    demand: list[DemandOut]
    stations: list[CoverageStationOut]
    suggestions: list[CoverageSuggestionOut]
    estimate: bool


@router.post("/coverage", response={200: CoverageOut, **ERRORS},
             summary="Share of population reached within each priority's target time; sites for new posts")
def coverage_report(request, body: CoverageIn):
    from . import coverage

    return coverage.coverage(request.auth, network_id=body.network_id, region_code=body.region_code,
                             stations=body.stations, priority=body.priority, k=body.k, candidates=body.candidates)
