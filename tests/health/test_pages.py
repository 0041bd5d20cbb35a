"""The posyandu pages: list, opening the day, the phone page shell, the child's chart page, the import form."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from siaga.health import services
from siaga.health.models import Session
from tests.conftest import client_for

from .conftest import make_nik
from .sheets import csv_bytes, header

pytestmark = pytest.mark.django_db


def test_the_index_lists_only_own_posyandu(hx):
    r = client_for(hx.user("kader")).get("/posyandu/")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Posyandu Melati" in body and "Posyandu Mawar" not in body


def test_opening_the_day_redirects_to_the_phone_page(hx):
    c = client_for(hx.user("kader"))
    r = c.post(f"/posyandu/{hx.posyandu.pk}/buka/")
    s = Session.objects.get(posyandu=hx.posyandu)
    assert r.status_code == 302 and r["Location"] == f"/posyandu/hari/{s.pk}/"
    page = c.get(r["Location"]).content.decode()
    assert 'id="session-config"' in page and "health/session.js" in page


def test_pages_have_no_inline_scripts_or_handlers(hx):
    c = client_for(hx.user("kader"))
    s = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk)
    child = hx.child()
    for url in ("/posyandu/", f"/posyandu/hari/{s.pk}/", f"/posyandu/anak/{child.pk}/",
                f"/posyandu/{hx.posyandu.pk}/impor/"):
        html = c.get(url).content.decode()
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
        assert scripts == [], (url, scripts)
        assert not re.search(r"\son[a-z]+=", html), url


def test_another_posyandus_day_and_child_are_404(hx):
    s = services.open_session(hx.actor("other_kader"), posyandu_id=hx.other_posyandu.pk)
    child = hx.child(posyandu=hx.other_posyandu)
    c = client_for(hx.user("kader"))
    assert c.get(f"/posyandu/hari/{s.pk}/").status_code == 404
    assert c.get(f"/posyandu/anak/{child.pk}/").status_code == 404
    assert c.get(f"/posyandu/{hx.other_posyandu.pk}/impor/").status_code == 404


def test_the_child_page_lists_measurements_with_categories(hx):
    child = hx.child(birth_date=dt.date(2023, 1, 10), sex="M")
    services.record_measurement(hx.actor(), person_id=child.pk, measured_on=dt.date(2025, 1, 20), weight_g=9800,
                                length_height_mm=760, position="standing")
    html = client_for(hx.user("kader")).get(f"/posyandu/anak/{child.pk}/").content.decode()
    assert "py-chip--bad" in html and "vendor/chartjs/chart.umd.min.js" in html
    assert child.nik not in html and child.nik_masked in html


def test_the_import_form_shows_the_report(hx):
    born = dt.date(2024, 3, 9)
    table = [header(["Jan"]), [1, make_nik(born, "F"), "Aisyah", "09/03/2024", "P", "", "12/01/2025", "8,4", "72,5", ""],
             [2, "99", "Bad", "09/03/2024", "P", "", "12/01/2025", "8,4", "72,5", ""]]
    r = client_for(hx.user("kader")).post(f"/posyandu/{hx.posyandu.pk}/impor/",
                                          {"file": SimpleUploadedFile("b.csv", csv_bytes(table))})
    html = r.content.decode()
    assert r.status_code == 200 and "data-import-report" in html and "NIK" in html


def test_a_leader_without_health_view_is_refused(hx):
    assert client_for(hx.user("leader")).get("/posyandu/").status_code == 403
