"""Corrections are new versions: the old figures stay readable, only the current version can be corrected."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster.reports import services
from siaga.disaster.reports.models import FieldReport

from .conftest import KEL_A, figures

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(setting):
    r, _ = services.create_field_report(setting["lead"], setting["event"].pk, region_code=KEL_A, source="government",
                                        source_name="BPBD Kota Mojokerto",
                                        reported_at=setting["t0"] + dt.timedelta(hours=1),
                                        figures=figures(dead=3, displaced=100, affected=400))
    return r


def test_a_correction_adds_a_version_and_keeps_the_old_one(setting, report, capture_events):
    with capture_events() as evs:
        v2, created = services.correct_field_report(setting["lead"], report.pk, reason="Satu korban teridentifikasi",
                                                    figures={"dead": 4})
    assert created and v2.pk != report.pk
    report.refresh_from_db()
    assert (report.version, report.is_current, report.dead) == (1, False, 3)
    assert (v2.version, v2.is_current, v2.dead, v2.displaced, v2.series) == (2, True, 4, 100, report.series)
    assert v2.reported_at == report.reported_at and v2.source == "government"
    assert v2.correction_reason == "Satu korban teridentifikasi"
    assert [r.dead for r in services.report_versions(setting["participant"], report.pk)] == [3, 4]
    assert [r.pk for r in services.field_reports(setting["lead"], setting["event"].pk)] == [v2.pk]
    assert services.field_reports(setting["lead"], setting["event"].pk, history=True).count() == 2
    [ev] = [e for e in evs if e["type"] == "field_report.recorded"]
    assert ev["payload"]["version"] == 2 and ev["payload"]["figures"]["dead"] == 4


def test_correcting_an_outdated_version_is_refused(setting, report):
    services.correct_field_report(setting["lead"], report.pk, reason="koreksi", figures={"dead": 4})
    with pytest.raises(Conflict) as exc:
        services.correct_field_report(setting["lead"], report.pk, reason="koreksi lagi", figures={"dead": 5})
    assert exc.value.code == "stale_version"
    assert FieldReport.objects.filter(series=report.series).count() == 2


def test_a_correction_is_validated_like_a_report(setting, report, english):
    with pytest.raises(ServiceError) as exc:
        services.correct_field_report(setting["lead"], report.pk, reason="x", figures={"dead": -2})
    assert exc.value.code == "invalid_figures"
    with pytest.raises(ServiceError) as exc:
        services.correct_field_report(setting["lead"], report.pk, reason=" ", figures={"dead": 2})
    assert exc.value.code == "reason_required"
    report.refresh_from_db()
    assert report.is_current and FieldReport.objects.count() == 1


def test_a_retried_correction_creates_one_version(setting, report):
    a, created_a = services.correct_field_report(setting["lead"], report.pk, reason="k", figures={"dead": 4},
                                                 client_id="fix-1")
    b, created_b = services.correct_field_report(setting["lead"], report.pk, reason="k", figures={"dead": 4},
                                                 client_id="fix-1")
    assert created_a and not created_b and a.pk == b.pk
    assert FieldReport.objects.count() == 2


def test_only_the_reporting_organisation_or_the_lead_corrects(setting, report):
    with pytest.raises(PermissionDenied):
        services.correct_field_report(setting["participant"], report.pk, reason="bukan milik kami",
                                      figures={"dead": 0})
    with pytest.raises(NotFound):
        services.correct_field_report(setting["outsider"], report.pk, reason="x", figures={"dead": 0})
    theirs, _ = services.create_field_report(setting["participant"], setting["event"].pk, region_code=KEL_A,
                                             source="pmi", figures=figures(assisted=30))
    fixed, _ = services.correct_field_report(setting["lead"], theirs.pk, reason="rekap posko", figures={"assisted": 35})
    assert fixed.organization == setting["banten"] and fixed.reporter == setting["lead_user"]


def test_the_api_corrects_and_lists_versions(setting, report, login):
    c = login(setting["lead_user"])
    r = c.post(f"/api/disaster/reports/field-reports/{report.pk}/corrections",
               {"reason": "data BPBD terbaru", "figures": {"displaced": 130}}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 2 and r.json()["displaced"] == 130
    stale = c.post(f"/api/disaster/reports/field-reports/{report.pk}/corrections",
                   {"reason": "lagi", "figures": {"displaced": 131}}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["error"]["details"]["current_id"] == r.json()["id"]
    versions = c.get(f"/api/disaster/reports/field-reports/{report.pk}/versions").json()
    assert [(v["version"], v["displaced"], v["is_current"]) for v in versions] == [(1, 100, False), (2, 130, True)]
