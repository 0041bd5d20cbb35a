"""Regions API: browse the Kemendagri hierarchy, search names, find the region of a point, boundaries as GeoJSON."""

from __future__ import annotations

from typing import Literal

from django.conf import settings
from django.http import RawPostDataException
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema

from siaga.core.api import ErrorOut
from siaga.core import uploads
from siaga.core.errors import ServiceError

from . import services
from .models import Level, Region

router = Router(tags=["regions"])

CODE_PATTERN = r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$"
JSON_TYPES = {"application/json", "application/geo+json"}


# --- schemas ------------------------------------------------------------------------------------


class RegionRefOut(Schema):
    code: str
    name: str
    level: int


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None
    lat: float | None
    lng: float | None
    h3_cell: str
    has_boundary: bool


class RegionDetailOut(RegionOut):
    ancestors: list[RegionRefOut]
    bbox: list[float] | None
    boundary_source: str
    boundary_repaired: bool
    children_count: int


class SearchHitOut(Schema):
    code: str
    name: str
    level: int
    parents: list[str]
    label: str
    score: float
    match: str


class LookupOut(Schema):
    lat: float
    lng: float
    found: bool
    region: RegionRefOut | None
    ancestors: list[RegionRefOut]


class FeatureProperties(Schema):
    code: str
    name: str
    level: int
    repaired: bool
    source: str


class FeatureOut(Schema):
    type: Literal["Feature"] = "Feature"
    id: str
    bbox: list[float] | None
    geometry: dict
    properties: FeatureProperties


class FeatureCollectionOut(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureOut]


class ImportReportOut(Schema):
    import_id: int | None
    source: str
    imported: int
    updated: int
    unchanged: int
    repaired: list[str]
    level_counts: dict[str, int]


# --- helpers ------------------------------------------------------------------------------------


def _region_out(r: Region) -> dict:
    return {
        "code": r.code, "name": r.name, "level": r.level, "level_label": str(Level(r.level).label),
        "parent_code": r.parent_id, "lat": r.lat, "lng": r.lng, "h3_cell": r.h3_cell,
        "has_boundary": bool(getattr(r, "has_boundary", False)),
    }


def _ref(r) -> dict:
    return {"code": r.code, "name": r.name, "level": r.level}


def _feature(r: Region) -> dict:
    return {
        "type": "Feature", "id": r.code, "bbox": r.bbox, "geometry": r.boundary,
        "properties": {"code": r.code, "name": r.name, "level": r.level, "repaired": r.boundary_repaired,
                       "source": r.boundary_source},
    }


def _code(description: str):
    return Path(..., pattern=CODE_PATTERN, description=description + ", e.g. 35.76.01.1003")


# --- endpoints (fixed paths before /{code}, which would otherwise swallow them) -------------------


@router.get("", response={200: list[RegionOut], 404: ErrorOut},
            summary="Provinces, or the regions directly below ?parent=CODE")
def list_regions(request, parent: str | None = Query(None, pattern=CODE_PATTERN)):
    return [_region_out(r) for r in services.child_regions(request.auth, parent)]


@router.get("/search", response=list[SearchHitOut], summary="Typo-tolerant search by name")
def search_regions(
    request,
    q: str = Query(..., min_length=1, max_length=100, description="name, e.g. 'prajurit kulon'"),
    level: int | None = Query(None, ge=1, le=4, description="1 province, 2 kab/kota, 3 kecamatan, 4 desa/kelurahan"),
    within: str | None = Query(None, pattern=CODE_PATTERN, description="only below this code, e.g. 35.76"),
    limit: int = Query(20, ge=1, le=100),
):
    hits = services.search_regions(request.auth, q, level=level, within=within or "", limit=limit)
    return [
        {"code": h.code, "name": h.name, "level": h.level, "parents": h.parents, "label": h.label,
         "score": h.score, "match": h.match}
        for h in hits
    ]


@router.get("/lookup", response=LookupOut, summary="The desa/kelurahan (deepest region with a boundary) at a point")
def lookup_point(request, lat: float = Query(..., ge=-90, le=90), lng: float = Query(..., ge=-180, le=180)):
    result = services.lookup_point(request.auth, lat, lng)
    if result is None:
        return {"lat": lat, "lng": lng, "found": False, "region": None, "ancestors": []}
    return {"lat": lat, "lng": lng, "found": True, "region": _ref(result.region),
            "ancestors": [_ref(a) for a in result.ancestors]}


@router.post(
    "/boundaries",
    response={200: ImportReportOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut, 415: ErrorOut},
    summary="Import boundaries from a GeoJSON FeatureCollection (multipart field 'file', or a JSON body)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"},
                                       "source": {"type": "string", "maxLength": 200}},
                        "required": ["file"],
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                                       "features": {"type": "array", "items": {"type": "object"}}},
                        "required": ["type", "features"],
                    }
                },
            },
        },
        "parameters": [{"in": "query", "name": "source", "required": False, "schema": {"type": "string"},
                        "description": "name recorded as the boundaries' source (JSON bodies)"}],
    },
)
def import_boundaries(request):
    actor = request.auth
    actor.require("boundary.import")
    limit = settings.SIAGA_MAX_IMPORT_BYTES
    content_type = (request.content_type or "").lower()
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > limit:
        raise ServiceError(_("The upload is %(size)d bytes; imports are limited to %(limit)d bytes.")
                           % {"size": declared, "limit": limit}, code="too_large", status=413)
    if content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise ServiceError(_("Send the GeoJSON file in the form field 'file'."), code="file_missing")
        if upload.size > limit:
            raise ServiceError(_("The upload is %(size)d bytes; imports are limited to %(limit)d bytes.")
                               % {"size": upload.size, "limit": limit}, code="too_large", status=413)
        uploads.check_file(upload, uploads.GEOJSON, limit)
        source = (request.POST.get("source") or "").strip()[:200] or None
        report = services.import_boundaries(actor, [(upload.name or "upload.geojson", upload)], source)
    elif content_type in JSON_TYPES:
        try:
            # Streamed when nothing read the body yet, so DATA_UPLOAD_MAX_MEMORY_SIZE (forms) does not apply.
            raw = request.read(limit + 1) if not getattr(request, "_read_started", False) else request.body
        except RawPostDataException:
            raw = request.body
        source = (request.GET.get("source") or "").strip()[:200] or None
        report = services.import_boundaries(actor, [("upload.geojson", raw)], source)
    else:
        raise ServiceError(
            _("Send GeoJSON as application/json or as a multipart/form-data file upload, not %(type)s.")
            % {"type": content_type or "-"},
            code="unsupported_media_type", status=415,
        )
    return report.as_dict()


@router.get("/{code}", response={200: RegionDetailOut, 404: ErrorOut}, summary="One region with its ancestors")
def get_region(request, code: str = _code("Kemendagri code")):
    region = services.get_region(request.auth, code)
    out = _region_out(region)
    out.update(
        ancestors=[_ref(a) for a in services.ancestors_of(code)],
        bbox=region.bbox,
        boundary_source=region.boundary_source,
        boundary_repaired=region.boundary_repaired,
        children_count=region.children.count(),
    )
    return out


@router.get("/{code}/children", response={200: list[RegionOut], 404: ErrorOut},
            summary="The regions directly below a region")
def region_children(request, code: str = _code("Kemendagri code of the parent")):
    return [_region_out(r) for r in services.child_regions(request.auth, code)]


@router.get("/{code}/boundary", response={200: FeatureOut, 404: ErrorOut}, summary="A region's boundary as a GeoJSON Feature")
def region_boundary(request, code: str = _code("Kemendagri code")):
    return _feature(services.region_boundary(request.auth, code))


@router.get("/{code}/children/boundaries", response={200: FeatureCollectionOut, 404: ErrorOut},
            summary="Boundaries of the regions directly below a region, as a GeoJSON FeatureCollection (map layer)")
def children_boundaries(request, code: str = _code("Kemendagri code of the parent")):
    return {"type": "FeatureCollection", "features": [_feature(r) for r in services.child_boundaries(request.auth, code)]}
