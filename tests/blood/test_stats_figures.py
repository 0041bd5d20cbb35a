"""Statistics per month and year from the records, the annual "kantong darah dilayani" figure, exports."""

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from siaga.blood import services_issue as si
from siaga.blood import stats
from siaga.blood.models import ComponentType, DailyUsage, DemandFactor, Donation
from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied

from .conftest import screen_all
from .test_issue_support import HANDOVER, request_for

D = dt.timedelta


@pytest.fixture
def year_of_work(blood, make_donation, make_units):
    """Two donations (one replacement), components, 3 units issued (1 returned to stock), 1 outdated, 1 broken."""
    d1 = make_donation()
    d2 = make_donation()
    Donation.objects.filter(pk=d2.pk).update(donor_type="replacement")
    from siaga.blood import services

    for d in (d1, d2):
        services.separate_components(blood.officer, d.pk, components=[{"type": "PRC"}, {"type": "FFP"}])
        screen_all(blood.officer, d, abo="O", rhd="pos")
    make_units(abo="O", rhd="pos", n=2)
    issue = si.issue_request(blood.officer, request_for(blood, quantity=3).pk, **HANDOVER)
    returned = issue.items.first().component_id
    si.return_unit(blood.officer, returned, temperature_c="4", minutes_out_of_storage=10)
    old = make_units(abo="A", rhd="pos", n=1, expires_in=D(minutes=-1))
    services.expire_components()
    broken = make_units(abo="B", rhd="pos", n=1)
    si.discard(blood.officer, broken[0].pk, reason="broken_bag")
    # The stock stubs were collected in an earlier year: only the two real donations count as this year's.
    from siaga.blood.models import Component

    long_ago = timezone.now() - D(days=800)
    Donation.objects.exclude(pk__in=[d1.pk, d2.pk]).update(collected_at=long_ago)
    Component.objects.exclude(donation__in=[d1, d2]).update(prepared_at=long_ago)
    return {"issue": issue, "outdated": old[0]}


def test_the_year_in_figures(blood, year_of_work):
    s = stats.summary(blood.officer, year=timezone.localdate().year)
    assert s["donations_by_type"] == {"voluntary": 1, "replacement": 1}
    assert s["bags_collected"] == 2 and s["volume_collected_ml"] == 700
    assert s["components_made"] == {"PRC": 2, "FFP": 2}
    # 3 handed over, 1 came back to stock in time: 2 bags served.
    assert s["issued_total"] == 2 and s["kantong_darah_dilayani"] == 2
    assert s["issued_per_hospital"] == [{"hospital_id": blood.hospital.pk, "hospital": blood.hospital.name,
                                         "region_code": "35.76", "units": 2}]
    assert s["issued_per_region"] == {"35.76": 2}
    assert s["discards_by_reason"]["broken_bag"] == 1 and s["discards_by_reason"]["expired"] == 1
    # outdate rate = 1 outdated / (2 issued + 1 broken + 1 outdated) = 25 %
    assert s["outdated"] == 1 and s["outdate_rate_percent"] == 25.0
    month = stats.summary(blood.officer, year=timezone.localdate().year, month=timezone.localdate().month)
    assert month["issued_total"] == 2
    rows = stats.monthly(blood.officer, year=timezone.localdate().year)
    this = rows[timezone.localdate().month - 1]
    assert (this["voluntary"], this["replacement"], this["issued"], this["discarded"], this["outdated"]) == (
        1, 1, 2, 1, 1)
    assert sum(r["issued"] for r in rows) == 2


def test_another_udd_sees_none_of_it(blood, year_of_work, make_org, make_user):
    from siaga.core.permissions import actor_for

    other = make_org(kind="udd", region_code="35.16")
    them = actor_for(make_user("blood_bank_officer", other, scope_code="35.16"))
    s = stats.summary(them, year=timezone.localdate().year)
    assert s["bags_collected"] == 0 and s["issued_total"] == 0 and s["discards_by_reason"].get("broken_bag") is None


def test_statistics_need_the_stats_permission(blood):
    with pytest.raises(PermissionDenied):
        stats.summary(blood.hospital_officer)
    with pytest.raises(ServiceError):
        stats.summary(blood.officer, year=1999)


def test_the_forecast_applies_the_fasting_month_factor(blood):
    prc = ComponentType.objects.get(code="PRC")
    today = timezone.localdate()
    DailyUsage.objects.bulk_create([
        DailyUsage(organization=blood.pmi, region_code="35.76", site=blood.udd, component_type=prc, abo="O",
                   rhd="pos", date=today - D(days=i), issued=2) for i in range(1, 57)])
    DemandFactor.objects.create(name="Ramadan", starts_on=today + D(days=7), ends_on=today + D(days=13),
                                factor="1.5")
    rows = {r["group"]: r for r in stats.forecast(blood.officer, blood.udd, weeks=3)}
    weeks = rows["O+"]["weeks"]
    assert [w["units"] for w in weeks] == [14.0, 21.0, 14.0]
    assert [w["seasonal"] for w in weeks] == [False, True, False]
    assert rows["A+"]["weeks"][0]["units"] == 0


def test_exports_as_csv_and_xlsx(blood, year_of_work):
    p, cols, rows = stats.export_rows(blood.officer, "issued")
    text = stats.csv_text(p, cols, rows)
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0][1] == "issued_at (WIB)" and len(parsed) == 1 + 2
    assert parsed[1][3] == blood.hospital.name
    data = stats.xlsx_bytes(p, cols, rows, dataset="issued")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    assert wb["issued"].max_row == 3 and wb["info"]["A1"].value == "period"
    _p, cols, rows = stats.export_rows(blood.officer, "monthly")
    assert len(rows) == 12
    with pytest.raises(ServiceError):
        stats.export_rows(blood.officer, "donors")
