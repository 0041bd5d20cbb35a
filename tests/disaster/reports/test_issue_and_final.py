"""Issued sitreps are numbered frozen snapshots by the lead; the final report comes when the event closes."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import Conflict, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster import services as disaster_services
from siaga.disaster.reports import services
from siaga.disaster.reports.models import SituationReport

from .conftest import KEL_A, figures

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def rep(s, at, **figs):
    return services.create_field_report(s["lead"], s["event"].pk, region_code=KEL_A, source="pmi", reported_at=at,
                                        figures=figures(**figs))[0]


def test_issuing_numbers_and_freezes_the_snapshot(setting, capture_events):
    s, t0 = setting, setting["t0"]
    rep(s, t0 + H, displaced=50)
    with capture_events() as evs:
        one, created = services.issue_sitrep(s["lead"], s["event"].pk, period_start=t0, period_end=t0 + 2 * H)
    assert created and one.number == 1 and one.kind == "sitrep" and one.data["number"] == 1
    assert one.data["totals"]["displaced"] == 50
    [ev] = [e for e in evs if e["type"] == "sitrep.issued"]
    assert ev["topic"] == "disaster_reports" and ev["shared_with"] == [s["banten"].pk]
    assert ev["payload"]["totals"]["displaced"] == 50
    # A later report (even one dated inside the issued period) does not change what was issued.
    rep(s, t0 + H + dt.timedelta(minutes=30), displaced=80)
    two, _ = services.issue_sitrep(s["lead"], s["event"].pk, period_end=t0 + 3 * H)
    one.refresh_from_db()
    assert one.data["totals"]["displaced"] == 50
    assert two.number == 2 and two.period_start == one.period_end and two.data["totals"]["displaced"] == 80
    assert [x.number for x in services.issued_sitreps(s["participant"], s["event"].pk)] == [2, 1]


def test_a_retried_issue_returns_the_same_sitrep(setting):
    a, ca = services.issue_sitrep(setting["lead"], setting["event"].pk, client_id="sr-1")
    b, cb = services.issue_sitrep(setting["lead"], setting["event"].pk, client_id="sr-1")
    assert ca and not cb and a.pk == b.pk and SituationReport.objects.count() == 1


def test_only_a_manager_of_the_lead_issues(setting):
    with pytest.raises(PermissionDenied):
        services.issue_sitrep(setting["participant"], setting["event"].pk)
    with pytest.raises(PermissionDenied):
        services.issue_sitrep(setting["volunteer"], setting["event"].pk)
    assert not SituationReport.objects.exists()


def test_a_bad_period_is_refused(setting, english):
    t0 = setting["t0"]
    with pytest.raises(ServiceError) as exc:
        services.issue_sitrep(setting["lead"], setting["event"].pk, period_start=t0 + 2 * H, period_end=t0 + H)
    assert exc.value.code == "invalid_period"
    with pytest.raises(ServiceError) as exc:
        services.compute_sitrep(setting["lead"], setting["event"].pk, period_end=timezone.now() + 2 * H)
    assert exc.value.code == "future_time"


def test_the_final_report_needs_a_closed_event_and_carries_the_timeline(setting, english):
    s, t0 = setting, setting["t0"]
    rep(s, t0 + H, displaced=50, assisted=20)
    with pytest.raises(Conflict) as exc:
        services.compute_sitrep(s["lead"], s["event"].pk, final=True)
    assert exc.value.code == "event_not_closed"
    disaster_services.add_timeline_note(s["lead"], s["event"].pk, "Posko utama dibuka di Prajuritkulon")
    disaster_services.set_phase(s["lead"], s["event"].pk, "closed", "Tanggap darurat berakhir")
    data = services.compute_sitrep(s["participant"], s["event"].pk, final=True)
    assert data["kind"] == "final" and data["event"]["phase"] == "closed"
    assert data["period"]["start"] == t0.isoformat()
    assert data["totals"]["displaced"] == 50 and data["totals"]["assisted"] == 20
    texts = [t["text"] for t in data["timeline"]]
    assert any("Posko utama" in t for t in texts) and any(t.startswith("Phase changed") for t in texts)
    final, _ = services.issue_sitrep(s["lead"], s["event"].pk, final=True)
    assert final.kind == "final" and final.number == 1 and final.data["timeline"]
    with pytest.raises(Conflict) as exc:
        services.issue_sitrep(s["lead"], s["event"].pk, final=True)
    assert exc.value.code == "final_exists"


def test_the_api_issues_lists_and_reads_sitreps(setting, login):
    rep(setting, setting["t0"] + H, injured=7)
    c = login(setting["lead_user"])
    ev = setting["event"].pk
    r = c.post(f"/api/disaster/reports/events/{ev}/sitreps", {}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["number"] == 1 and r.json()["data"]["totals"]["injured"] == 7
    assert [x["number"] for x in c.get(f"/api/disaster/reports/events/{ev}/sitreps").json()] == [1]
    p = login(setting["participant_user"])
    assert p.get(f"/api/disaster/reports/sitreps/{r.json()['id']}").json()["totals"]["injured"] == 7
    refused = p.post(f"/api/disaster/reports/events/{ev}/sitreps", {}, content_type="application/json")
    assert refused.status_code == 403
    cur = p.get(f"/api/disaster/reports/events/{ev}/sitrep").json()
    assert cur["totals"]["injured"] == 7 and cur["areas"][0]["figures"]["injured"]["source"] == "pmi"
    assert p.get(f"/api/disaster/reports/events/{ev}/final-report").status_code == 409
