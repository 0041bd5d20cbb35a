"""The /bencana/laporan/ pages: field report list and form, sitrep with sources and issuing, 3W; refusals."""

import datetime as dt

import pytest

from siaga.disaster.reports import services
from siaga.disaster.reports.models import FieldReport, ResponseActivity, SituationReport

from .conftest import KEL_A, OUTSIDE, figures

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _pages_in_english(settings):
    """These tests read the English texts; pages otherwise speak Indonesian unless the user chose a language."""
    settings.LANGUAGE_CODE = "en"



def test_the_index_lists_events_of_lead_and_participant_only(setting, login):
    for user in ("lead_user", "participant_user"):
        r = login(setting[user]).get("/bencana/laporan/")
        assert r.status_code == 200 and "Banjir Mojokerto" in r.content.decode()
    assert "Banjir Mojokerto" not in login(setting["outsider_user"]).get("/bencana/laporan/").content.decode()


def test_a_volunteer_sends_a_field_report_from_the_form(setting, login):
    c = login(setting["volunteer_user"])
    url = f"/bencana/laporan/{setting['event'].pk}/"
    page = c.get(url)
    assert page.status_code == 200 and 'name="displaced"' in page.content.decode()
    form = {"region_code": KEL_A, "source": "pmi", "source_name": "", "displaced": "45", "affected": "120",
            "dead": "", "client_id": "web-1", "reported_at": ""}
    r = c.post(url, form)
    assert r.status_code == 302
    report = FieldReport.objects.get()
    assert (report.displaced, report.affected, report.dead, report.source) == (45, 120, 0, "pmi")
    again = c.post(url, form)  # a double tap on a slow connection
    assert again.status_code == 302 and FieldReport.objects.count() == 1
    listing = c.get(url + "?fragment=1").content.decode()
    assert "45" in listing and "<html" not in listing


def test_the_form_shows_the_error_and_keeps_nothing(setting, login, english):
    c = login(setting["volunteer_user"])
    url = f"/bencana/laporan/{setting['event'].pk}/"
    r = c.post(url, {"region_code": OUTSIDE, "source": "pmi", "displaced": "5"}, follow=True)
    assert "msg--error" in r.content.decode()  # the page speaks the user's language (Indonesian here)
    r = c.post(url, {"region_code": KEL_A, "source": "pmi", "displaced": "-5"}, follow=True)
    assert "cannot be negative" in r.content.decode()
    r = c.post(url, {"region_code": KEL_A, "source": "pmi", "displaced": "lima"}, follow=True)
    assert "Enter whole numbers" in r.content.decode()
    assert not FieldReport.objects.exists()


def test_the_sitrep_page_shows_figures_with_their_source_and_the_lead_issues(setting, login, english):
    services.create_field_report(setting["lead"], setting["event"].pk, region_code=KEL_A, source="government",
                                 source_name="BPBD Kota Mojokerto", reported_at=setting["t0"] + H,
                                 figures=figures(dead=3, displaced=77))
    p = login(setting["participant_user"]).get(f"/bencana/laporan/{setting['event'].pk}/sitrep/")
    html = p.content.decode()
    assert p.status_code == 200 and "77" in html and "(BPBD Kota Mojokerto)" in html
    assert "Issue situation report" not in html  # a participant reads, the lead issues
    c = login(setting["lead_user"])
    assert "Issue situation report" in c.get(f"/bencana/laporan/{setting['event'].pk}/sitrep/").content.decode()
    r = c.post(f"/bencana/laporan/{setting['event'].pk}/sitrep/", {"client_id": "web-sr-1"})
    sr = SituationReport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/bencana/laporan/terbit/{sr.pk}/"
    frozen = c.get(r["Location"]).content.decode()
    assert "Situation report no. 1" in frozen and "77" in frozen
    assert c.get(f"/bencana/laporan/terbit/{sr.pk}.pdf").content.startswith(b"%PDF")


def test_the_3w_page_records_an_activity(setting, login):
    c = login(setting["participant_user"])
    url = f"/bencana/laporan/{setting['event'].pk}/3w/"
    r = c.post(url, {"sector": "health", "activity": "Pos kesehatan keliling", "region_code": KEL_A,
                     "reached": "60", "start_date": setting["t0"].date().isoformat(), "status": "ongoing",
                     "client_id": "web-3w-1"})
    assert r.status_code == 302
    act = ResponseActivity.objects.get()
    assert (act.organization, act.reached, act.sector) == (setting["banten"], 60, "health")
    assert "Pos kesehatan keliling" in c.get(url).content.decode()


def test_outsiders_get_not_found_on_every_page(setting, login):
    c = login(setting["outsider_user"])
    ev = setting["event"].pk
    for path in (f"/bencana/laporan/{ev}/", f"/bencana/laporan/{ev}/sitrep/", f"/bencana/laporan/{ev}/3w/"):
        assert c.get(path).status_code == 404, path
    assert c.post(f"/bencana/laporan/{ev}/", {"region_code": KEL_A, "source": "pmi"}).status_code == 404
    assert not FieldReport.objects.exists()
