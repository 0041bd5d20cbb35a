"""FHIR R4 export API (/api/health/fhir/...): patients, observations, immunisations and encounters in the shape SATUSEHAT uses."""

from ninja import Router

router = Router(tags=["health-fhir"])
