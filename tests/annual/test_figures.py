"""The year in one page: each figure per month from its records, the drill-down lists exactly what a figure counts,
the organisation sees only its own tree, and a role sees only the figures of its capabilities."""

import csv
import io

import pytest
from django.urls import reverse

from siaga.annual import exports
from siaga.annual.figures import FIGURES, records_of, year_for, year_report
from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied

from tests.conftest import client_for

from .conftest import YEAR


def _by_key(report):
    return {row["figure"].key: row for row in report["rows"]}


def _months(row):
    return {c["month"]: c["value"] for c in row["months"] if c["value"] not in (None, 0)}


@pytest.fixture
def report(year):
    actor = year.actor("leader")
    return _by_key(year_report(actor, year_for(actor, YEAR)))


def test_calls_by_local_month(report):
    # The 1 March 00:30 WIB call is 28 February in UTC: it belongs to March. The 31 Dec 2024 call is last year's.
    assert _months(report["calls_received"]) == {1: 3, 3: 1} and report["calls_received"]["year"] == 4
    assert _months(report["calls_answered"]) == {1: 2, 3: 1} and report["calls_answered"]["year"] == 3
    assert _months(report["calls_nuisance"]) == {1: 1, 3: 1}


def test_response_times_against_targets(report):
    assert _months(report["dispatches"]) == {1: 2, 3: 1}
    # First arrivals only: 8 minutes in January (P1, target 10), 40 in March (P2, target 20).
    assert _months(report["response_minutes"]) == {1: 8.0, 3: 40.0}
    assert report["response_minutes"]["year"] == 24.0
    assert _months(report["within_target"]) == {1: 100.0} and report["within_target"]["months"][2]["value"] == 0.0
    assert report["within_target"]["year"] == 50.0
    assert _months(report["patients_to_hospital"]) == {1: 1}


def test_blood_and_relief(report):
    assert _months(report["bags_collected"]) == {2: 2, 6: 1}
    assert _months(report["bags_served"]) == {6: 2}
    assert _months(report["blood_outdated"]) == {8: 1}
    # People, not distributions: 120 + 80 in November, 50 in December; the neighbour's 999 are not ours.
    assert _months(report["people_helped"]) == {11: 200, 12: 50} and report["people_helped"]["year"] == 250


def test_a_month_without_records_shows_nothing_rather_than_a_made_up_value(report):
    april = report["response_minutes"]["months"][3]
    assert april["month"] == 4 and april["value"] is None and april["records"] == 0
    assert report["calls_received"]["months"][3]["value"] == 0


def test_every_figure_is_the_sum_of_the_records_it_lists(year):
    actor = year.actor("leader")
    y = year_for(actor, YEAR)
    report = year_report(actor, y)
    assert {row["figure"].key for row in report["rows"]} == {f.key for f in FIGURES}
    for row in report["rows"]:
        fig = row["figure"]
        for cell in row["months"]:
            rows = records_of(actor, y, fig.key, cell["month"])
            assert len(rows) == cell["records"], (fig.key, cell["month"])
            if fig.kind == "sum":
                assert sum(r["value"] for r in rows) == cell["value"], (fig.key, cell["month"])
        assert len(records_of(actor, y, fig.key)) == row["records"]
    ids = {r["id"] for r in records_of(actor, y, "calls_received", 1)}
    assert ids == {c.pk for c in year.calls[:3]}
    assert [r["id"] for r in records_of(actor, y, "people_helped", 11)] == [d.pk for d in year.distributions[:2]]
    assert [r["id"] for r in records_of(actor, y, "blood_outdated")] == [year.outdated.pk]


def test_the_neighbour_sees_its_own_year_only(year):
    actor = year.actor("neighbour")
    report = _by_key(year_report(actor, year_for(actor, YEAR)))
    assert report["calls_received"]["year"] == 1
    assert report["dispatches"]["year"] == 0 and report["bags_served"]["year"] == 0
    assert report["people_helped"]["year"] == 999
    assert report["bags_collected"]["year"] == 1


def test_a_role_sees_only_the_figures_of_its_capabilities(year):
    admin = year.actor("admin")  # no logistics.view: relief is withheld, and its records are refused
    report = year_report(admin, year_for(admin, YEAR))
    assert "people_helped" not in _by_key(report)
    assert [f.key for f in report["withheld"]] == ["people_helped"]
    with pytest.raises(PermissionDenied):
        records_of(admin, year_for(admin, YEAR), "people_helped")
    officer = year.actor("blood")  # blood statistics, but not the cross-capability page
    with pytest.raises(PermissionDenied):
        year_report(officer, year_for(officer, YEAR))


def test_bad_years_months_and_figures_are_refused(year):
    actor = year.actor("leader")
    for bad in (1999, 2999):
        with pytest.raises(ServiceError):
            year_for(actor, bad)
    with pytest.raises(ServiceError):
        records_of(actor, year_for(actor, YEAR), "calls_received", 13)
    with pytest.raises(ServiceError):
        records_of(actor, year_for(actor, YEAR), "salaries")


# --- pages and files --------------------------------------------------------------------------------------


def test_the_page_links_every_figure_to_its_records(year):
    client = client_for(year.users["leader"])
    page = client.get(reverse("annual:year"), {"tahun": YEAR})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert "PMI Kota Mojokerto" in html
    assert "angka=people_helped&amp;bulan=11" in html
    drill = client.get(reverse("annual:records"), {"tahun": YEAR, "angka": "people_helped", "bulan": 11})
    body = drill.content.decode()
    assert drill.status_code == 200
    assert body.count("data-record=") == 2 and 'data-count>2<' in body.replace(" ", "")
    as_csv = client.get(reverse("annual:records"), {"tahun": YEAR, "angka": "calls_received", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode())))
    assert sorted(int(r["id"]) for r in rows) == sorted(c.pk for c in year.calls)
    assert {r["month"] for r in rows} == {"1", "3"}


def test_the_pages_refuse_who_may_not_read_them(year):
    assert client_for(year.users["blood"]).get(reverse("annual:year")).status_code == 403
    admin = client_for(year.users["admin"])
    refused = admin.get(reverse("annual:records"), {"tahun": YEAR, "angka": "people_helped"})
    assert refused.status_code == 403
    bad = admin.get(reverse("annual:records"), {"tahun": YEAR, "angka": "nope"})
    assert bad.status_code == 302


def test_the_downloads_carry_the_page_s_figures_and_their_records(year):
    from openpyxl import load_workbook

    client = client_for(year.users["leader"])
    got = client.get(reverse("annual:download"), {"tahun": YEAR, "format": "xlsx"})
    assert got.status_code == 200 and f"siaga-laporan-tahunan-{YEAR}.xlsx" in got["Content-Disposition"]
    wb = load_workbook(io.BytesIO(got.content))
    figures = {row[0]: row for row in wb[str(YEAR)].iter_rows(min_row=2, values_only=True)}
    head = [c.value for c in wb[str(YEAR)][1]]
    people = dict(zip(head, figures["people_helped"]))
    assert people["m11"] == 200 and people["m12"] == 50 and people["year"] == 250
    # Each figure's sheet lists the records the figure counts.
    assert wb["people_helped"].max_row == 1 + 3 and wb["calls_received"].max_row == 1 + 4
    assert wb["blood_outdated"].max_row == 1 + 1
    as_csv = client.get(reverse("annual:download"), {"tahun": YEAR, "format": "csv"})
    rows = {r["figure"]: r for r in csv.DictReader(io.StringIO(as_csv.content.decode()))}
    assert rows["calls_answered"]["year"] == "3" and rows["response_minutes"]["m03"] == "40"
    pdf = client.get(reverse("annual:download"), {"tahun": YEAR, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000
    assert client.get(reverse("annual:download"), {"tahun": YEAR, "format": "doc"}).status_code == 302


def test_the_pdf_shows_the_figures(year):
    import pypdf
    actor = year.actor("leader")
    y = year_for(actor, YEAR)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(exports.pdf_bytes(year_report(actor, y), y))).pages)
    assert "PMI Kota Mojokerto" in text and "250" in text
