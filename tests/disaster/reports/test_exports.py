"""Exports: the PDF is a real multi-section PDF, the XLSX opens with openpyxl, the 3W CSV carries valid HXL tags."""

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from siaga.disaster.reports import exports, services

from .conftest import KEC, KEL_A, figures

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
# HXL 1.1 hashtag syntax: "#" and a name, then attributes "+name"; names are letters, digits and "_".
HXL_TAG = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")


@pytest.fixture
def data(setting):
    s, t0 = setting, setting["t0"]
    services.create_field_report(s["lead"], s["event"].pk, region_code=KEL_A, source="government",
                                 source_name="BPBD Kota Mojokerto", reported_at=t0 + H,
                                 figures=figures(dead=3, displaced=120, affected=400))
    services.create_field_report(s["participant"], s["event"].pk, region_code=KEL_A, source="pmi",
                                 reported_at=t0 + 2 * H, figures=figures(dead=5, assisted=75, affected=420))
    services.record_activity(s["lead"], s["event"].pk, sector="wash", activity="Distribusi air bersih",
                             region_code=KEL_A, reached=350, start_date=t0.date(), status="ongoing")
    services.record_activity(s["participant"], s["event"].pk, sector="health", activity="Pos kesehatan",
                             region_code=KEC, reached=120, start_date=t0.date(), end_date=t0.date(),
                             status="completed")
    return services.compute_sitrep(s["lead"], s["event"].pk, period_start=t0, period_end=t0 + 3 * H)


def test_the_pdf_is_a_pdf_with_pages(data):
    pdf = exports.sitrep_pdf(data)
    assert pdf.startswith(b"%PDF-")
    pages = re.findall(rb"/Type\s*/Page\b", pdf)
    assert len(pages) >= 1
    assert pdf.rstrip().endswith(b"%%EOF")


def test_the_final_report_pdf_grows_with_the_timeline(setting, data):
    from siaga.disaster import services as disaster_services

    for i in range(40):
        disaster_services.add_timeline_note(setting["lead"], setting["event"].pk, f"Catatan posko nomor {i}")
    disaster_services.set_phase(setting["lead"], setting["event"].pk, "closed")
    final = services.compute_sitrep(setting["lead"], setting["event"].pk, final=True)
    pdf = exports.sitrep_pdf(final)
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) > len(re.findall(rb"/Type\s*/Page\b", exports.sitrep_pdf(data)))


def test_the_xlsx_opens_and_holds_figures_with_sources(data, english):
    wb = load_workbook(io.BytesIO(exports.sitrep_xlsx(data)))
    ws = wb["sitrep"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    assert head[:3] == ["region_code", "area", "level"]
    row = dict(zip(head, rows[1]))
    assert row["region_code"] == KEL_A
    assert (row["dead"], row["dead_source"]) == (3, "Government (BPBD Kota Mojokerto)")
    assert (row["affected"], row["affected_source"]) == (420, "PMI")
    assert (row["assisted"], row["assisted_source"]) == (75, "PMI")
    total = dict(zip(head, rows[2]))
    assert total["area"] == "TOTAL" and total["displaced"] == 120
    info = {r[0]: r[1] for r in wb["info"].iter_rows(values_only=True)}
    assert info["Event"] == "Banjir Mojokerto" and info["Lead organisation"] == "PMI Provinsi Jawa Timur"


def test_the_csv_has_one_row_per_area_then_totals(data):
    rows = list(csv.DictReader(io.StringIO(exports.sitrep_csv(data))))
    assert [r["region_code"] for r in rows] == [KEL_A, "", ""]
    assert rows[0]["dead"] == "3" and rows[0]["dead_source"].startswith(exports.source_label("government"))


def test_the_3w_csv_carries_valid_hxl_hashtags(setting, data):
    text = exports.hxl_3w_csv(services.activity_rows(setting["lead"], setting["event"].pk))
    rows = list(csv.reader(io.StringIO(text)))
    tags = rows[1]
    assert all(HXL_TAG.match(t) for t in tags), tags
    assert {"#org+name", "#sector", "#activity", "#adm1+code", "#adm2+name", "#adm3+code", "#reached", "#status",
            "#date+start", "#date+end"} <= set(tags)
    by_tag = [dict(zip(tags, r)) for r in rows[2:]]
    wash = next(r for r in by_tag if r["#reached"] == "350")
    assert wash["#adm1+code"] == "35" and wash["#adm1+name"] == "Jawa Timur"
    assert wash["#adm2+code"] == "35.76" and wash["#adm2+name"] == "Kota Mojokerto"
    assert wash["#adm3+code"] == "35.76.01" and wash["#adm4+code"] == KEL_A
    assert wash["#org+name"] == "PMI Provinsi Jawa Timur" and wash["#activity"] == "Distribusi air bersih"
    health = next(r for r in by_tag if r["#reached"] == "120")
    assert health["#org+name"] == "PMI Provinsi Banten" and health["#adm4+code"] == ""


def test_a_formula_typed_as_activity_is_not_run(setting):
    services.record_activity(setting["lead"], setting["event"].pk, sector="other", activity="=HYPERLINK(\"x\")",
                             region_code=KEL_A, reached=1, start_date=setting["t0"].date())
    text = exports.hxl_3w_csv(services.activity_rows(setting["lead"], setting["event"].pk))
    assert "'=HYPERLINK" in text


def test_the_download_pages_answer_participants_and_refuse_outsiders(setting, data, login):
    ev = setting["event"].pk
    p = login(setting["participant_user"])
    pdf = p.get(f"/bencana/laporan/{ev}/sitrep.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    xlsx = p.get(f"/bencana/laporan/{ev}/sitrep.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content))["sitrep"].max_row >= 3
    hxl = p.get(f"/bencana/laporan/{ev}/3w-hxl.csv")
    assert hxl.status_code == 200 and "#org+name" in hxl.content.decode()
    o = login(setting["outsider_user"])
    for path in ("sitrep.pdf", "sitrep.csv", "3w-hxl.csv"):
        assert o.get(f"/bencana/laporan/{ev}/{path}").status_code == 404
    api = p.get(f"/api/disaster/reports/events/{ev}/3w.csv")
    assert api.status_code == 200 and list(csv.reader(io.StringIO(api.content.decode())))[1][0] == "#org+name"
