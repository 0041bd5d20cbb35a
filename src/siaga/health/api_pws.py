"""PWS dashboards API (/api/health/pws/...): indicators per area and month, follow-up lists, DHIS2 export."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from siaga.core.api import ErrorOut

from . import dhis2, pws, services

router = Router(tags=["health-pws"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
MonthQ = Query(None, description="YYYY-MM; default this month", max_length=7)
IndicatorName = Literal["d_s", "n_d", "stunting", "wasting", "underweight", "overweight", "immunisation", "k4"]


class IndicatorsOut(Schema):
    """Counts of one area and month; None where the small-cell rule hides a count of 1-4 (leaders only)."""

    s: int | None = Field(description="children 0-59 months registered")
    d: int | None = Field(description="of S, weighed this month")
    n: int | None = Field(description="of D, gained weight (KMS rule)")
    t: int | None = Field(description="of D, did not gain weight")
    o: int | None = Field(description="of D, not weighed the month before")
    b: int | None = Field(description="of D, first weighing")
    measured_length: int | None
    measured_wflh: int | None
    measured_weight: int | None
    stunted: int | None
    wasted: int | None
    underweight: int | None
    overweight: int | None
    needs_referral: int | None = Field(description="2T: did not gain weight twice in a row")
    imm_cohort: int | None = Field(description="children turning 12 months this month")
    imm_complete: int | None = Field(description="of those, complete basic immunisation before 12 months")
    k4_cohort: int | None = Field(description="pregnancies ending (or due) this month")
    k4: int | None = Field(description="of those, K4 (>=1 visit in T1, >=1 in T2, >=2 in T3)")
    rates: dict[str, float | None] = Field(description="d_s, n_d, n_d_prime, stunting, wasting, underweight, "
                                                       "overweight, immunisation, k4 as fractions 0-1")
    suppressed: list[str] = Field(description="counts hidden by the small-cell rule")


class AreaRef(Schema):
    code: str
    name: str
    level: str
    posyandu_count: int | None = None


class ChildRowOut(Schema):
    kind: str
    id: int | None
    code: str
    name: str
    indicators: IndicatorsOut


class CrumbOut(Schema):
    code: str
    name: str


class AreaSummaryOut(Schema):
    area: AreaRef
    month: str
    child_level: str
    indicators: IndicatorsOut
    children: list[ChildRowOut]
    breadcrumbs: list[CrumbOut]


class TrendPointOut(Schema):
    month: str
    indicators: IndicatorsOut


class AreaTrendOut(Schema):
    area: AreaRef
    months: list[TrendPointOut]


class PosyanduRef(Schema):
    id: int
    name: str
    region_code: str
    kelurahan: str


class PosyanduSummaryOut(Schema):
    posyandu: PosyanduRef
    month: str
    indicators: IndicatorsOut
    trend: list[TrendPointOut]


class FollowUpRowOut(Schema):
    person_id: int
    name: str
    sex: str
    birth_date: dt.date
    age_months: int
    posyandu_id: int
    posyandu: str
    region_code: str
    last_measured_on: dt.date | None
    last_weighed_on: dt.date | None
    reasons: list[str] = Field(description="severely_stunted, severely_wasted, 2T, not_weighed_2_months, "
                                           "immunisation_incomplete, immunisation_overdue")
    overdue_doses: list[str] = Field(description="overdue doses by the national schedule (lifecycle.SCHEDULE)")


class FollowUpOut(Schema):
    month: str
    items: list[FollowUpRowOut]


class DataValueOut(Schema):
    dataElement: str
    period: str
    orgUnit: str
    value: str


class DataValueSetOut(Schema):
    dataValues: list[DataValueOut]


@router.get("/areas/{code}", response={200: AreaSummaryOut, **ERRORS},
            summary="Indicators of a kab/kota, kecamatan or kelurahan for a month, with the areas (or posyandu) below")
def area_summary(request, code: str, month: str | None = MonthQ):
    return pws.area_summary(request.auth, code, pws.parse_month(month, region_code=code))


@router.get("/areas/{code}/trend", response={200: AreaTrendOut, **ERRORS},
            summary="The area's indicators for the 12 months up to a month")
def area_trend(request, code: str, month: str | None = MonthQ):
    return pws.area_trend(request.auth, code, pws.parse_month(month, region_code=code))


@router.get("/areas/{code}/map", response={200: dict, **ERRORS},
            summary="GeoJSON of the kelurahan of a kab/kota or kecamatan with one indicator's value (choropleth)")
def area_map(request, code: str, indicator: IndicatorName = "stunting", month: str | None = MonthQ):
    return pws.area_map(request.auth, code, indicator, pws.parse_month(month, region_code=code))


@router.get("/areas/{code}/follow-up", response={200: FollowUpOut, **ERRORS},
            summary="Children of the area needing follow-up, by name (kader and health workers only)")
def area_follow_up(request, code: str, month: str | None = MonthQ):
    return pws.follow_up(request.auth, pws.parse_month(month, region_code=code), code=code)


@router.get("/posyandu/{posyandu_id}", response={200: PosyanduSummaryOut, **ERRORS},
            summary="One posyandu's indicators for a month and its 12-month trend")
def posyandu_summary(request, posyandu_id: int, month: str | None = MonthQ):
    ym = pws.parse_month(month, region_code=services.actor_region(request.auth))
    return pws.posyandu_summary(request.auth, posyandu_id, ym)


@router.get("/posyandu/{posyandu_id}/follow-up", response={200: FollowUpOut, **ERRORS},
            summary="Children of one posyandu needing follow-up, by name (kader and health workers only)")
def posyandu_follow_up(request, posyandu_id: int, month: str | None = MonthQ):
    ym = pws.parse_month(month, region_code=services.actor_region(request.auth))
    return pws.follow_up(request.auth, ym, posyandu_id=posyandu_id)


@router.get("/export/dhis2", response={200: DataValueSetOut, **ERRORS},
            summary="DHIS2 dataValueSets of the PWS counts per kelurahan and month (JSON, or CSV with format=csv)")
def export_dhis2(request, area: str = Query(..., max_length=13, description="Kemendagri code of the area"),
                 start: str = Query(..., max_length=6, description="first period, YYYYMM"),
                 end: str = Query(None, max_length=6, description="last period, YYYYMM (default: start)"),
                 format: Literal["json", "csv"] = "json"):
    first = dhis2.parse_period(start)
    last = dhis2.parse_period(end) if end else first
    values = dhis2.data_values(request.auth, area, first, last)
    if format == "csv":
        response = HttpResponse(dhis2.as_csv(values), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="pws-{area}-{start}-{end or start}.csv"'
        return response
    return dhis2.as_json(values)
