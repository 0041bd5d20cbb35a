"""Every import and upload refuses a file that is too large or not of its kind, says why, and changes nothing.

The endpoints: the posyandu spreadsheet (API and page), region boundaries (GeoJSON file or body), the
warning import (CAP XML, earthquake JSON or ShakeMap in a JSON body) and mutual-aid letters. Each case
also sends the right file once, so a refusal is known to come from the check and not from elsewhere.
The public report form's photo is checked the same way in tests/callcenter/test_public_report_form.py.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaga.core.permissions import system_actor
from siaga.disaster.models import FeedItemError, Warning
from siaga.disaster.mutualaid.models import Letter
from siaga.geo.models import Region
from siaga.health import importer
from siaga.health import services as health
from siaga.health.models import Person
from tests.conftest import client_for
from tests.disaster.mutualaid.conftest import world  # noqa: F401  (the mutual-aid fixture, reused)
from tests.health.conftest import make_nik
from tests.health.sheets import csv_bytes, header, xlsx_bytes

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Every endpoint that takes a file, and where this module checks it. A new one fails the inventory test.
CHECKED_UPLOADS = {
    "POST /api/health/posyandu/{posyandu_id}/import": "test_the_posyandu_import_*",
    "POST /api/regions/boundaries": "test_the_boundary_import_*",
    "POST /api/disaster/mutual-aid/requests/{request_id}/letters": "test_a_mutual_aid_letter_*",
    "POST /api/disaster/warnings/import": "test_the_warning_import_*",
}


def test_every_upload_or_import_endpoint_is_checked_here():
    from siaga.api import api

    found = set()
    for path, ops in api.get_openapi_schema()["paths"].items():
        for method, op in ops.items():
            content = (op.get("requestBody") or {}).get("content") or {}
            if "multipart/form-data" in content or "import" in path:
                found.add(f"{method.upper()} {path}")
    assert found == set(CHECKED_UPLOADS)


# --- posyandu spreadsheet ---------------------------------------------------------------------------

@pytest.fixture
def posyandu(regions, make_org, make_user):
    puskesmas = make_org(kind="puskesmas", region_code="35.76")
    org = make_org(kind="posyandu", region_code="35.76.01.1006", parent=puskesmas)
    p = health.create_posyandu(system_actor(), organization_id=org.pk, name="Posyandu Melati",
                               region_code="35.76.01.1006", schedule_day_of_month=10)
    p.kader = make_user("kader", org, scope_code="35.76", password=None)
    return p


def _sheet():
    born = dt.date(2024, 3, 9)
    return [header(["Jan"]), [1, make_nik(born, "F"), "Aisyah", "09/03/2024", "P", "", "12/01/2025", "8,4", "72,5", ""]]


def _import(p, upload):
    return client_for(p.kader).post(f"/api/health/posyandu/{p.pk}/import", {"file": upload})


@pytest.mark.parametrize("name, content, content_type, code", [
    ("foto.png", PNG, "image/png", "unsupported_type"),
    ("balita.csv", PNG, "image/png", "unsupported_type"),
    ("balita.pdf", PDF, "application/pdf", "unsupported_type"),
    ("balita.csv", PNG, "text/csv", "content_mismatch"),
    ("balita.csv", PDF, "application/octet-stream", "content_mismatch"),
    ("balita.xlsx", b"No;NIK;Nama\n1;2;3\n", XLSX_TYPE, "content_mismatch"),
    ("balita.csv", b"", "text/csv", "empty_file"),
])
def test_the_posyandu_import_refuses_a_file_that_is_not_a_spreadsheet(posyandu, name, content, content_type, code):
    r = _import(posyandu, SimpleUploadedFile(name, content, content_type=content_type))
    assert r.status_code == (400 if code == "empty_file" else 415), r.content
    err = r.json()["error"]
    assert err["code"] == code and err["message"]
    assert not Person.objects.exists()


@pytest.mark.parametrize("name, content_type, build", [
    ("balita.csv", "text/csv", csv_bytes),
    ("balita.csv", "application/vnd.ms-excel", csv_bytes),  # what Windows browsers declare for a CSV
    ("balita.xlsx", XLSX_TYPE, xlsx_bytes),
    ("balita.xlsx", "application/octet-stream", xlsx_bytes),
])
def test_the_posyandu_import_takes_a_spreadsheet_as_browsers_declare_it(posyandu, name, content_type, build):
    r = _import(posyandu, SimpleUploadedFile(name, build(_sheet()), content_type=content_type))
    assert r.status_code == 200, r.content
    assert Person.objects.filter(posyandu=posyandu).count() == 1


def test_the_posyandu_import_refuses_a_file_above_the_limit(posyandu, monkeypatch):
    content = csv_bytes(_sheet())
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", len(content) - 1)
    r = _import(posyandu, SimpleUploadedFile("balita.csv", content, content_type="text/csv"))
    assert r.status_code == 413
    err = r.json()["error"]
    assert err["code"] == "file_too_large" and err["details"]["max_bytes"] == len(content) - 1
    assert not Person.objects.exists()
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", len(content))
    assert _import(posyandu, SimpleUploadedFile("balita.csv", content, content_type="text/csv")).status_code == 200


def test_the_posyandu_import_refuses_by_declared_length_before_reading(posyandu, monkeypatch):
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 10)
    body = b"x" * (100 * 1024)
    r = client_for(posyandu.kader).generic("POST", f"/api/health/posyandu/{posyandu.pk}/import", body,
                                           content_type="multipart/form-data; boundary=zzz")
    assert r.status_code == 413 and r.json()["error"]["code"] == "file_too_large"


def test_the_posyandu_import_page_refuses_the_same_files(posyandu, monkeypatch):
    c = client_for(posyandu.kader)
    url = f"/posyandu/{posyandu.pk}/impor/"
    r = c.post(url, {"file": SimpleUploadedFile("foto.png", PNG, content_type="image/png")})
    assert r.status_code == 200 and "data-import-report" not in r.content.decode()
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    content = csv_bytes(_sheet())
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", len(content) - 1)
    r = c.post(url, {"file": SimpleUploadedFile("balita.csv", content, content_type="text/csv")})
    assert [m.level_tag for m in r.context["messages"]] == ["error"]
    assert not Person.objects.exists()


# --- region boundaries ------------------------------------------------------------------------------

def _feature_collection():
    ring = [[112.43, -7.47], [112.44, -7.47], [112.44, -7.46], [112.43, -7.47]]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": "35.76"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}


@pytest.fixture
def manager(regions, make_org, make_user):
    org = make_org(kind="bpbd", region_code="35.76")
    return client_for(make_user("disaster_manager", org, scope_code="35.76", password=None))


@pytest.mark.parametrize("name, content, content_type, code", [
    ("batas.geojson", PNG, "image/png", "unsupported_type"),
    ("batas.png", None, "application/json", "unsupported_type"),
    ("batas.geojson", PNG, "application/geo+json", "content_mismatch"),
    ("batas.json", b"kode,geometry\n35.76,POLYGON", "application/json", "content_mismatch"),
])
def test_the_boundary_import_refuses_a_file_that_is_not_geojson(manager, name, content, content_type, code):
    data = content if content is not None else json.dumps(_feature_collection()).encode()
    r = manager.post("/api/regions/boundaries", {"file": SimpleUploadedFile(name, data, content_type=content_type)})
    assert r.status_code == 415, r.content
    assert r.json()["error"]["code"] == code
    assert Region.objects.get(code="35.76").boundary is None


def test_the_boundary_import_takes_geojson_and_refuses_it_above_the_limit(manager, settings):
    data = json.dumps(_feature_collection()).encode()
    settings.SIAGA_MAX_IMPORT_BYTES = len(data) - 1
    r = manager.post("/api/regions/boundaries", {"file": SimpleUploadedFile("batas.geojson", data,
                                                                             content_type="application/geo+json")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert Region.objects.get(code="35.76").boundary is None
    settings.SIAGA_MAX_IMPORT_BYTES = len(data) + 1024  # the multipart framing counts in the declared length
    r = manager.post("/api/regions/boundaries", {"file": SimpleUploadedFile("batas.geojson", data,
                                                                             content_type="application/geo+json")})
    assert r.status_code == 200, r.content
    assert Region.objects.get(code="35.76").boundary is not None


def test_the_boundary_import_refuses_a_body_that_is_not_json(manager):
    r = manager.post("/api/regions/boundaries", "kode,geometry", content_type="text/csv")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    assert Region.objects.get(code="35.76").boundary is None


# --- warnings ---------------------------------------------------------------------------------------

CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>fuzz-1</identifier><sender>bmkg@example.id</sender><sent>2026-02-16T10:00:00+07:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>id-ID</language><category>Met</category><event>Hujan Lebat</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Observed</certainty><headline>Hujan lebat</headline>
    <area><areaDesc>Kota Mojokerto</areaDesc><polygon>-7.47,112.43 -7.47,112.44 -7.46,112.44 -7.47,112.43</polygon></area>
  </info>
</alert>"""


def test_the_warning_import_refuses_another_content_type(manager):
    body = json.dumps({"content": CAP, "kind": "cap"})
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        r = manager.post("/api/disaster/warnings/import", body, content_type=content_type)
        assert r.status_code == 415, (content_type, r.content)
        assert r.json()["error"]["code"] == "unsupported_media_type" and r.json()["error"]["message"]
    r = manager.post("/api/disaster/warnings/import", CAP, content_type="application/xml")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    assert not Warning.objects.exists() and not FeedItemError.objects.exists()
    r = manager.post("/api/disaster/warnings/import", body, content_type="application/json")
    assert r.status_code == 200, r.content
    assert Warning.objects.count() == 1


def test_the_warning_import_refuses_a_body_above_the_limit(manager, settings):
    body = json.dumps({"content": CAP, "kind": "cap"})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body) - 1
    r = manager.post("/api/disaster/warnings/import", body, content_type="application/json")
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large" and r.json()["error"]["message"]
    assert not Warning.objects.exists() and not FeedItemError.objects.exists()


# --- mutual-aid letters -----------------------------------------------------------------------------

LETTERS = "/api/disaster/mutual-aid/requests/{id}/letters"


@pytest.mark.parametrize("name, content, content_type, code", [
    ("surat.gif", b"GIF89a" + b"\x00" * 20, "image/gif", "unsupported_type"),
    ("surat.pdf", PNG, "application/pdf", "content_mismatch"),
    ("surat.pdf", b"<html><script>alert(1)</script>", "application/pdf", "content_mismatch"),
])
def test_a_mutual_aid_letter_of_another_type_is_refused(world, name, content, content_type, code):
    r = world.request()
    up = world.client("dki").post(LETTERS.format(id=r.pk), {
        "kind": "request_letter", "file": SimpleUploadedFile(name, content, content_type=content_type)})
    assert up.status_code == 415 and up.json()["error"]["code"] == code
    assert not Letter.objects.exists()


def test_a_mutual_aid_letter_above_the_limit_is_refused(world, settings):
    r = world.request()
    settings.SIAGA_MUTUAL_AID_LETTER_MAX_BYTES = len(PDF) - 1
    up = world.client("dki").post(LETTERS.format(id=r.pk), {
        "kind": "request_letter", "file": SimpleUploadedFile("surat.pdf", PDF, content_type="application/pdf")})
    assert up.status_code == 413 and up.json()["error"]["code"] == "file_too_large"
    assert not Letter.objects.exists()
    settings.SIAGA_MUTUAL_AID_LETTER_MAX_BYTES = len(PDF)
    up = world.client("dki").post(LETTERS.format(id=r.pk), {
        "kind": "request_letter", "file": SimpleUploadedFile("surat.pdf", PDF, content_type="application/pdf")})
    assert up.status_code == 201, up.content
