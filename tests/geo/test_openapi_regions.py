"""The OpenAPI document stays valid with the regions endpoints and declares their schemas."""

import json

from openapi_spec_validator import validate


def test_the_openapi_document_is_valid(db):
    from siaga.api import api

    # As served at /api/openapi.json (response codes become string keys).
    schema = json.loads(json.dumps(api.get_openapi_schema()))
    validate(schema)
    paths = schema["paths"]
    assert "multipart/form-data" in paths["/api/regions/boundaries"]["post"]["requestBody"]["content"]
    assert paths["/api/regions/lookup"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    for path in ("/api/regions/{code}", "/api/regions/{code}/boundary"):
        assert "404" in paths[path]["get"]["responses"]
