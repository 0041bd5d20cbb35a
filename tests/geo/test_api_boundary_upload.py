"""POST /api/regions/boundaries: multipart or JSON upload, permission, size and content-type limits."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaga.core.models import OutboxEvent
from siaga.geo.models import BoundaryImport, Region

from .conftest import collection, feature, square

URL = "/api/regions/boundaries"


@pytest.fixture
def manager(load_regions, make_org, make_user, login):
    load_regions("35.76")
    org = make_org(kind="bpbd", region_code="35.76")
    return login(make_user("disaster_manager", org, scope_code="35.76"))


def test_it_imports_an_uploaded_file(manager, boundaries_dir):
    path = boundaries_dir / "kel_kota_mojokerto_3576.geojson"
    upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/geo+json")
    r = manager.post(URL, {"file": upload, "source": "BIG 2026"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["imported"], body["updated"], body["source"]) == (18, 18, "BIG 2026")
    assert body["level_counts"] == {"village": 18}
    assert BoundaryImport.objects.get(pk=body["import_id"]).actor is not None
    assert Region.objects.filter(boundary_source="BIG 2026").count() == 18


def test_it_imports_a_json_feature_collection_body(manager):
    fc = collection(feature("35.76.01.1003", square(112.40, -7.50)))
    r = manager.post(URL + "?source=drawn", json.dumps(fc), content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["imported"] == 1
    assert Region.objects.get(code="35.76.01.1003").boundary_source == "drawn"


def test_a_bad_feature_answers_400_listing_it_and_writes_nothing(manager):
    fc = collection(feature("35.76.01.1003", square(112.40, -7.50)), feature("35.76.09.9999", square(1, 1)))
    r = manager.post(URL, json.dumps(fc), content_type="application/json")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid_boundaries"
    assert err["details"]["errors"][0]["kode"] == "35.76.09.9999"
    assert not Region.objects.filter(boundary__isnull=False).exists()
    assert not OutboxEvent.objects.exists()


def test_a_role_without_boundary_import_gets_403(load_regions, make_org, make_user, login):
    load_regions("35.76")
    client = login(make_user("call_taker", make_org(kind="cc112")))
    fc = collection(feature("35.76.01.1003", square(112.40, -7.50)))
    r = client.post(URL, json.dumps(fc), content_type="application/json")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert not Region.objects.filter(boundary__isnull=False).exists()


def test_anonymous_upload_gets_401(db, client):
    assert client.post(URL, "{}", content_type="application/json").status_code == 401


def test_an_upload_over_the_limit_gets_413(manager, settings):
    settings.SIAGA_MAX_IMPORT_BYTES = 100
    fc = collection(feature("35.76.01.1003", square(112.40, -7.50)))
    r = manager.post(URL, json.dumps(fc), content_type="application/json")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
    upload = SimpleUploadedFile("big.geojson", json.dumps(fc).encode(), content_type="application/json")
    assert manager.post(URL, {"file": upload}).status_code == 413


def test_other_content_types_get_415(manager):
    r = manager.post(URL, "kode,geometry", content_type="text/csv")
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"


def test_a_form_without_the_file_field_gets_400(manager):
    r = manager.post(URL, {"source": "x"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "file_missing"


def test_get_on_the_upload_path_is_not_mistaken_for_a_region_code(manager):
    assert manager.get(URL).status_code == 405
