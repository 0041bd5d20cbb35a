"""Needs reports per kelurahan and the event's needs estimate: latest figures win, sources kept, permissions."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.disaster import services
from siaga.disaster.models import NeedsReport

pytestmark = pytest.mark.django_db

KEL_A = "35.76.01.1006"  # Prajuritkulon, Kota Mojokerto
KEL_B = "35.76.01.1007"  # Surodinawan
KEL_C = "35.76.03.1001"  # Kranggan


@pytest.fixture
def setting(regions, make_org, make_user, actor_of):
    jatim = make_org(kind="pmi_province", region_code="35")
    banten = make_org(kind="pmi_province", region_code="36")
    dki = make_org(kind="pmi_province", region_code="31")
    lead = actor_of(make_user("disaster_manager", jatim, scope_code="35"))
    ev = services.create_event(lead, name="Banjir Mojokerto", type_code="banjir", affected_region_codes=["35.76"],
                               participant_ids=[banten.pk])
    return {
        "event": ev, "jatim": jatim, "banten": banten, "lead": lead,
        "kota_manager": actor_of(make_user("disaster_manager", jatim, scope_code="35.76.03")),
        "participant": actor_of(make_user("disaster_manager", banten, scope_code="36")),
        "outsider": actor_of(make_user("disaster_manager", dki, scope_code="31")),
        "volunteer": actor_of(make_user("volunteer", jatim, scope_code="35")),
    }


def report(s, actor=None, **kw):
    data = dict(region_code=KEL_A, displaced=137, affected=137, source="pmi")
    data.update(kw)
    return services.record_needs_report(actor or s["lead"], s["event"].pk, **data)


def lines(rows):
    return {line.item: line.quantity for line in rows}


def test_a_report_keeps_its_source_and_is_audited_and_announced(setting, capture_events):
    with capture_events() as evs:
        r = report(setting, source="government", source_note="BPBD Kota Mojokerto")
    r.refresh_from_db()
    assert (r.region_code, r.displaced, r.affected, r.source, r.source_note) == (
        KEL_A, 137, 137, "government", "BPBD Kota Mojokerto")
    assert r.organization == setting["jatim"] and r.reporter == setting["lead"].user
    assert AuditLog.objects.filter(model="disaster.needsreport", object_id=str(r.pk), action="create").exists()
    [ev] = [e for e in evs if e["type"] == "needs_report.recorded"]
    assert ev["topic"] == "disaster" and ev["payload"]["displaced"] == 137
    assert ev["organization_id"] == setting["jatim"].pk and ev["shared_with"] == [setting["banten"].pk]


def test_the_estimate_uses_the_latest_report_per_kelurahan(setting):
    now = timezone.now()
    report(setting, displaced=500, affected=800, reported_at=now - dt.timedelta(hours=5))
    report(setting, displaced=137, affected=137, reported_at=now - dt.timedelta(hours=1), source="government")
    # An older report entered later does not replace the newer figures.
    report(setting, displaced=999, affected=999, reported_at=now - dt.timedelta(hours=3), source="other")
    report(setting, region_code=KEL_B, displaced=40, affected=300, reported_at=now - dt.timedelta(hours=2))
    out = services.needs_for_event(setting["lead"], setting["event"].pk, "bnpb", 7)
    assert [a["region_code"] for a in out["areas"]] == [KEL_A, KEL_B]
    a, b = out["areas"]
    assert (a["displaced"], a["affected"], a["source"], a["name"]) == (137, 137, "government", "Prajuritkulon")
    assert lines(a["lines"]) == {"rice": 384, "drinking_water": 2398, "clean_water": 9179, "toilet": 7,
                                 "family_kit": 28}
    # KEL_B for 7 days: rice 40 × 2.8 = 112; drinking 300 × 17.5 = 5,250; clean 300 × 67 = 20,100; 2; 8.
    assert lines(b["lines"]) == {"rice": 112, "drinking_water": 5250, "clean_water": 20100, "toilet": 2,
                                 "family_kit": 8}
    assert (out["displaced"], out["affected"]) == (177, 437)
    assert lines(out["total"]) == {"rice": 496, "drinking_water": 7648, "clean_water": 29279, "toilet": 9,
                                   "family_kit": 36}


def test_the_sphere_profile_over_the_same_reports(setting):
    report(setting)
    out = services.needs_for_event(setting["lead"], setting["event"].pk, "sphere", 7)
    assert out["profile"] == "sphere" and out["days"] == 7
    assert lines(out["total"]) == {"rice_equivalent": 560, "water": 14385, "toilet": 7, "bathing_soap": 7992,
                                   "household_kit": 28}


def test_an_event_without_reports_needs_nothing(setting):
    out = services.needs_for_event(setting["lead"], setting["event"].pk, "bnpb", 7)
    assert out["areas"] == [] and set(lines(out["total"]).values()) == {0} and len(out["total"]) == 5


@pytest.mark.parametrize("kw, code", [
    ({"displaced": -1}, "negative_count"),
    ({"affected": -1, "displaced": 0}, "negative_count"),
    ({"displaced": 200, "affected": 100}, "displaced_exceeds_affected"),
    ({"source": "twitter"}, "invalid_choice"),
    ({"region_code": "35.76.01"}, "not_kelurahan"),
    ({"region_code": "35.76.01.9999"}, "unknown_region"),
    ({"reported_at": dt.datetime(2026, 1, 1, 8, 0)}, "naive_time"),
    ({"reported_at": timezone.now() + dt.timedelta(hours=2)}, "future_time"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(setting, kw, code):
    with pytest.raises(ServiceError) as exc:
        report(setting, **kw)
    assert exc.value.code == code
    assert not NeedsReport.objects.exists()


def test_an_unknown_profile_or_days_is_refused(setting):
    with pytest.raises(ServiceError):
        services.needs_for_event(setting["lead"], setting["event"].pk, "unicef", 7)
    with pytest.raises(ServiceError):
        services.needs_for_event(setting["lead"], setting["event"].pk, "bnpb", 0)


def test_reporting_stays_inside_the_actor_area(setting):
    report(setting, setting["kota_manager"], region_code=KEL_C)
    with pytest.raises(PermissionDenied):
        report(setting, setting["kota_manager"], region_code=KEL_A)
    assert list(NeedsReport.objects.values_list("region_code", flat=True)) == [KEL_C]


def test_a_participant_sees_the_needs_but_reports_only_inside_its_own_area(setting):
    report(setting)
    out = services.needs_for_event(setting["participant"], setting["event"].pk, "bnpb", 7)
    assert lines(out["total"])["rice"] == 384
    with pytest.raises(PermissionDenied):
        report(setting, setting["participant"], region_code=KEL_B)
    assert NeedsReport.objects.count() == 1


def test_an_organisation_outside_the_event_sees_and_writes_nothing(setting):
    report(setting)
    with pytest.raises(NotFound):
        services.needs_for_event(setting["outsider"], setting["event"].pk, "bnpb", 7)
    with pytest.raises(NotFound):
        report(setting, setting["outsider"])
    assert NeedsReport.objects.count() == 1


def test_a_volunteer_reads_the_needs_but_does_not_report(setting):
    report(setting)
    assert services.needs_for_event(setting["volunteer"], setting["event"].pk, "bnpb", 1)["displaced"] == 137
    with pytest.raises(PermissionDenied):
        report(setting, setting["volunteer"])
