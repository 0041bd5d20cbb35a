"""Dispatch API: hospitals' capacity board, capacity updates by hospital staff or systems, destination
suggestions, and the EDXL-HAVE 1.0 export (mounted under /api/dispatch)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from siaga.core.api import ErrorOut

from . import hospitals

router = Router(tags=["dispatch"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
COUNT = Field(None, ge=0, le=hospitals.MAX_COUNT)


class HospitalOut(Schema):
    organization_id: int
    name: str
    code: str
    region_code: str
    address: str
    phone: str
    lat: float | None
    lng: float | None
    location_approximate: bool
    reported: bool = Field(description="false: the hospital never reported its capacity")
    accepting: bool
    emergency_beds_free: int
    emergency_beds_total: int
    icu_beds_free: int
    icu_beds_total: int
    operating_theatres_free: int
    operating_theatres_total: int
    note: str
    updated_at: datetime | None
    age_seconds: int | None
    stale: bool = Field(description="no report, or the last one is older than SIAGA_HOSPITAL_STALE_HOURS")


class CapacityIn(Schema):
    """Absolute numbers (never increments, so a retry is harmless); fields left out keep their value."""

    accepting: bool | None = None
    emergency_beds_total: int | None = COUNT
    emergency_beds_free: int | None = COUNT
    icu_beds_total: int | None = COUNT
    icu_beds_free: int | None = COUNT
    operating_theatres_total: int | None = COUNT
    operating_theatres_free: int | None = COUNT
    note: str | None = Field(None, max_length=300)


class HospitalSuggestionOut(HospitalOut):
    need: str
    free: int
    total: int
    eta_seconds: float | None
    distance_m: float | None
    estimate: bool
    available: bool = Field(description="accepting now with a free bed of the kind needed")
    reason: str = Field(description='"" | not_accepting | full | no_report')
    reason_text: str


class SuggestOut(Schema):
    lat: float
    lng: float
    need: str
    hospitals: list[HospitalSuggestionOut]


@router.get("/hospitals", response=list[HospitalOut], summary="Hospitals' capacity in my area",
            url_name="hospitals_board")
def board(request, region_code: str = ""):
    return hospitals.capacity_board(request.auth, region_code)


@router.get("/hospitals/suggest", response={200: SuggestOut, **ERRORS},
            summary="Destination hospitals for a patient, by road time from the scene and free beds",
            url_name="hospitals_suggest")
def suggest(request, lat: float, lng: float, need: Literal["emergency", "icu", "operating_theatre"] = "emergency",
            limit: int = Query(10, ge=1, le=100)):
    return hospitals.suggest_destinations(request.auth, lat, lng, need=need, limit=limit)


@router.get("/hospitals/edxl-have.xml", summary="The capacity board as OASIS EDXL-HAVE 1.0 XML",
            response={200: None, **ERRORS}, url_name="hospitals_edxl_have")
def edxl_have(request, region_code: str = ""):
    body = hospitals.edxl_have(request.auth, region_code)
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="siaga-edxl-have.xml"'
    return response


@router.get("/hospitals/{org_id}", response={200: HospitalOut, **ERRORS}, summary="One hospital's capacity",
            url_name="hospital_detail")
def detail(request, org_id: int):
    return hospitals.get_board_row(request.auth, org_id)


def _update(request, org_id: int, payload: CapacityIn):
    data = payload.dict(exclude_none=True)
    hospitals.update_capacity(request.auth, org_id, **data)
    return hospitals.get_board_row(request.auth, org_id)


@router.put("/hospitals/{org_id}/capacity", response={200: HospitalOut, **ERRORS},
            summary="Set a hospital's capacity (its staff, or its system with a device token)",
            url_name="hospital_capacity")
def put_capacity(request, org_id: int, payload: CapacityIn):
    return _update(request, org_id, payload)


@router.post("/hospitals/{org_id}/capacity", response={200: HospitalOut, **ERRORS},
             summary="Set a hospital's capacity (same as PUT, for systems that only POST)",
             url_name="hospital_capacity_post")
def post_capacity(request, org_id: int, payload: CapacityIn):
    return _update(request, org_id, payload)
