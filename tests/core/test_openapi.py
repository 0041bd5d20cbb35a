"""The OpenAPI document is valid OpenAPI 3 and documents the error shape."""

import pytest
from openapi_spec_validator import validate


@pytest.mark.django_db
def test_openapi_json_is_a_valid_openapi_3_document(client):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    validate(doc)
    assert "/api/organizations" in doc["paths"]


@pytest.mark.django_db
def test_api_docs_page_is_served(client):
    assert client.get("/api/docs").status_code == 200
