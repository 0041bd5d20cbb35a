"""Field reports: figures keep their source, bad input is refused clearly and stores nothing, retries are safe."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.disaster.reports import services
from siaga.disaster.reports.models import FieldReport

from .conftest import KEC, KEL_A, OUTSIDE, figures

pytestmark = pytest.mark.django_db


def create(s, actor=None, **kw):
    data = dict(region_code=KEL_A, source="government", source_name="BPBD Kota Mojokerto",
                reported_at=s["t0"] + dt.timedelta(hours=2), figures=figures(dead=2, displaced=120, affected=400))
    data.update(kw)
    return services.create_field_report(actor or s["lead"], s["event"].pk, **data)


def test_a_report_keeps_its_figures_and_source_and_is_audited_and_shared(setting, capture_events):
    with capture_events() as evs:
        report, created = create(setting)
    assert created
    report.refresh_from_db()
    assert report.figures() == figures(dead=2, displaced=120, affected=400)
    assert (report.source, report.source_name, report.region_code, report.version, report.is_current) == (
        "government", "BPBD Kota Mojokerto", KEL_A, 1, True)
    assert report.organization == setting["jatim"] and report.reporter == setting["lead_user"]
    assert AuditLog.objects.filter(model="disaster_reports.fieldreport", object_id=str(report.pk),
                                   action="create").exists()
    [ev] = [e for e in evs if e["type"] == "field_report.recorded"]
    assert ev["topic"] == "disaster_reports"
    assert ev["organization_id"] == setting["jatim"].pk and ev["shared_with"] == [setting["banten"].pk]
    assert ev["payload"]["figures"]["displaced"] == 120


def test_a_kecamatan_is_a_valid_area_too(setting):
    report, _ = create(setting, region_code=KEC)
    assert report.region_code == KEC


@pytest.mark.parametrize("kw, code", [
    ({"figures": figures(dead=-1)}, "invalid_figures"),
    ({"figures": figures(injured=2.5)}, "invalid_figures"),
    ({"figures": figures(affected="12")}, "invalid_figures"),
    ({"figures": figures(displaced=True)}, "invalid_figures"),
    ({"figures": {"killed": 3}}, "unknown_figure"),
    ({"figures": figures(affected=50_000_000)}, "invalid_figures"),
    ({"region_code": OUTSIDE}, "area_outside_event"),
    ({"region_code": "35.76"}, "area_level"),
    ({"region_code": "99.99.99"}, "unknown_region"),
    ({"source": "twitter"}, "invalid_source"),
    ({"source": "other", "source_name": ""}, "source_name_required"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(setting, english, kw, code):
    with pytest.raises(ServiceError) as exc:
        create(setting, **kw)
    assert exc.value.code == code
    assert exc.value.message  # a sentence for the person, not only a code
    assert not FieldReport.objects.exists()


def test_negative_figures_are_named_in_the_error(setting, english):
    with pytest.raises(ServiceError) as exc:
        create(setting, figures=figures(dead=-1, missing=-3))
    assert exc.value.details == {"figures": {"dead": "cannot be negative", "missing": "cannot be negative"}}
    assert "dead" in exc.value.message and "missing" in exc.value.message


def test_as_of_cannot_be_in_the_future_nor_before_the_event(setting, english):
    with pytest.raises(ServiceError) as exc:
        create(setting, reported_at=timezone.now() + dt.timedelta(hours=1))
    assert exc.value.code == "future_time"
    with pytest.raises(ServiceError) as exc:
        create(setting, reported_at=setting["t0"] - dt.timedelta(minutes=1))
    assert exc.value.code == "before_event_start"
    with pytest.raises(ServiceError) as exc:
        create(setting, reported_at=dt.datetime(2026, 1, 1, 10, 0))
    assert exc.value.code == "naive_time"
    # A phone clock a minute ahead is fine.
    report, _ = create(setting, reported_at=timezone.now() + dt.timedelta(minutes=1))
    assert report.pk


def test_a_retry_with_the_same_client_id_creates_nothing(setting):
    first, created = create(setting, client_id="hp-1")
    again, created_again = create(setting, client_id="hp-1", figures=figures(dead=99))
    assert created and not created_again
    assert again.pk == first.pk and again.dead == 2
    assert FieldReport.objects.count() == 1


def test_the_api_answers_201_then_200_for_a_retried_post(setting, login):
    c = login(setting["volunteer_user"])
    body = {"region_code": KEL_A, "source": "pmi", "displaced": 40, "affected": 90, "client_id": "hp-7",
            "reported_at": (setting["t0"] + dt.timedelta(hours=1)).isoformat()}
    url = f"/api/disaster/reports/events/{setting['event'].pk}/field-reports"
    r1 = c.post(url, body, content_type="application/json")
    r2 = c.post(url, body, content_type="application/json")
    assert (r1.status_code, r2.status_code) == (201, 200), r1.content
    assert r1.json()["id"] == r2.json()["id"] and r1.json()["displaced"] == 40
    assert FieldReport.objects.count() == 1
    bad = c.post(url, {**body, "client_id": "", "dead": -4}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_figures"


def test_a_volunteer_of_the_lead_reports_from_the_field(setting):
    report, _ = create(setting, actor=setting["volunteer"], source="pmi", source_name="")
    assert report.organization == setting["jatim"] and report.source == "pmi"


def test_a_participant_from_another_province_reports_in_the_event_area(setting):
    report, _ = create(setting, actor=setting["participant"], source="pmi")
    assert report.organization == setting["banten"]
    assert [r.pk for r in services.field_reports(setting["lead"], setting["event"].pk)] == [report.pk]


def test_an_organisation_outside_the_event_sees_and_writes_nothing(setting):
    create(setting)
    with pytest.raises(NotFound):
        create(setting, actor=setting["outsider"])
    with pytest.raises(NotFound):
        services.field_reports(setting["outsider"], setting["event"].pk)
    assert FieldReport.objects.count() == 1


def test_a_role_without_reporting_rights_is_refused(setting, make_user, actor_of):
    kader = actor_of(make_user("kader", setting["jatim"], scope_code="35"))
    with pytest.raises(PermissionDenied):
        create(setting, actor=kader)
