"""FHIR R4 export API (/api/health/fhir/...): patients, observations, immunisations and encounters in the shape SATUSEHAT uses."""

from __future__ import annotations

from django.http import JsonResponse
from ninja import Query, Router

from siaga.core.api import ErrorOut

from . import fhir

router = Router(tags=["health-fhir"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
FHIR_JSON = "application/fhir+json"


def _bundle_response(bundle: dict) -> JsonResponse:
    return JsonResponse(bundle, content_type=FHIR_JSON, json_dumps_params={"ensure_ascii": False})


@router.get("/persons/{person_id}", response={200: dict, **ERRORS},
            summary="A person's record as a FHIR R4 Bundle (collection): Patient, Encounter, Observation, Immunization")
def person_bundle(request, person_id: int, include_nik: bool = Query(True, description="NIK as the Patient identifier")):
    return _bundle_response(fhir.export_person(request.auth, person_id, include_nik=include_nik))


@router.get("/posyandu/{posyandu_id}", response={200: dict, **ERRORS},
            summary="Everything a posyandu recorded in a month as a FHIR R4 Bundle (collection)")
def posyandu_month_bundle(request, posyandu_id: int, month: str = Query(..., description="YYYY-MM"),
                          include_nik: bool = Query(True, description="NIK as the Patient identifier")):
    return _bundle_response(fhir.export_posyandu_month(request.auth, posyandu_id, month, include_nik=include_nik))
