"""The import endpoint: multipart upload, report row by row, refused for another posyandu before reading the file."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaga.health.models import Person
from tests.conftest import client_for

from .conftest import make_nik
from .sheets import csv_bytes, header, xlsx_bytes

pytestmark = pytest.mark.django_db

BORN = dt.date(2024, 3, 9)


def _table(nik):
    return [header(["Jan"]), [1, nik, "Aisyah", "09/03/2024", "P", "", "12/01/2025", "8,4", "72,5", "berbaring"]]


def test_an_xlsx_upload_is_imported(hx):
    c = client_for(hx.user("kader"))
    f = SimpleUploadedFile("balita.xlsx", xlsx_bytes(_table(make_nik(BORN, "F"))))
    r = c.post(f"/api/health/posyandu/{hx.posyandu.pk}/import", {"file": f})
    assert r.status_code == 200, r.content
    assert r.json()["imported"] and r.json()["measurements_created"] == 1
    assert Person.objects.filter(posyandu=hx.posyandu).count() == 1


def test_a_bad_row_comes_back_in_the_report(hx):
    c = client_for(hx.user("kader"))
    f = SimpleUploadedFile("balita.csv", csv_bytes(_table("123")))
    r = c.post(f"/api/health/posyandu/{hx.posyandu.pk}/import", {"file": f, "mode": "valid_rows"})
    body = r.json()
    assert r.status_code == 200 and not body["imported"] and body["rows_failed"] == 1
    assert body["errors"][0]["column"] == "NIK" and body["errors"][0]["row"] == 4


def test_no_file_is_a_clear_error(hx):
    r = client_for(hx.user("kader")).post(f"/api/health/posyandu/{hx.posyandu.pk}/import", {})
    assert r.status_code == 400 and r.json()["error"]["code"] == "file_required"


def test_another_posyandu_is_a_404_even_with_a_good_file(hx):
    c = client_for(hx.user("kader"))
    f = SimpleUploadedFile("balita.csv", csv_bytes(_table(make_nik(BORN, "F"))))
    r = c.post(f"/api/health/posyandu/{hx.other_posyandu.pk}/import", {"file": f})
    assert r.status_code == 404 and not Person.objects.exists()
