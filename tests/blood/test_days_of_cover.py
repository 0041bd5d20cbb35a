"""Days of cover: stock divided by forecast use by weekday, against targets (6 days green, amber from 2, red below)."""

import datetime as dt

from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import ComponentType, DailyUsage, DemandFactor, StockTarget


def test_cover_walks_the_weekday_forecast():
    # Monday 2026-03-09; uses: Mon 2, Tue 4, rest 1 per day
    monday = dt.date(2026, 3, 9)
    means = [2, 4, 1, 1, 1, 1, 1]
    assert services.cover_from(0, means, monday) == 0.0
    assert services.cover_from(2, means, monday) == 1.0
    assert services.cover_from(4, means, monday) == 1.5     # 2 on Monday, then half of Tuesday's 4
    assert services.cover_from(11, means, monday) == 7.0    # a full week
    assert services.cover_from(5, None, monday) is None     # no history: unknown, not infinite


def test_seasonal_factors_scale_the_forecast():
    monday = dt.date(2026, 3, 9)
    f = DemandFactor(name="Ramadan", starts_on=monday, ends_on=monday + dt.timedelta(days=30), factor=2)
    assert services.cover_from(4, [1] * 7, monday, [f]) == 2.0


def test_levels_against_target_and_amber():
    assert services.cover_level(6, 6, 2) == "green"
    assert services.cover_level(5.99, 6, 2) == "amber"
    assert services.cover_level(2, 6, 2) == "amber"
    assert services.cover_level(1.99, 6, 2) == "red"
    assert services.cover_level(None, 6, 2) == ""


def _history(site, per_day, code="PRC", abo="B", rhd="pos"):
    ctype = ComponentType.objects.get(code=code)
    today = timezone.localdate()
    for i in range(1, 57):
        DailyUsage.objects.create(organization_id=site.organization_id, site=site, component_type=ctype, abo=abo,
                                  rhd=rhd, date=today - dt.timedelta(days=i), issued=per_day)
    return ctype


def test_days_of_cover_of_a_site_and_its_dashboard_row(blood, make_units):
    ctype = _history(blood.udd, 2)
    make_units(code="PRC", abo="B", rhd="pos", n=6)
    assert services.days_of_cover(blood.udd, ctype, "B", "pos") == 3.0
    row = next(r for r in services.stock_table(blood.udd) if r["group"] == "B+" and r["component_type"] == "PRC")
    assert row["available"] == 6 and row["days_of_cover"] == 3.0
    assert row["forecast_per_day"] == 2.0 and row["level"] == "amber"


def test_a_site_target_overrides_the_default(blood, make_units):
    ctype = _history(blood.udd, 2)
    make_units(code="PRC", abo="B", rhd="pos", n=6)
    StockTarget.objects.create(organization=blood.pmi, site=blood.udd, component_type=ctype, abo="B",
                               target_days=3, amber_days=1)
    row = next(r for r in services.stock_table(blood.udd) if r["group"] == "B+" and r["component_type"] == "PRC")
    assert row["level"] == "green"


def test_falling_below_amber_raises_one_shortage_alert_and_clears_it(blood, make_units, capture_events):
    from django.db import transaction

    from siaga.blood.models import StockAlert

    _history(blood.udd, 2)
    units = make_units(code="PRC", abo="B", rhd="pos", n=4)  # 2 days: amber
    with capture_events() as evs, transaction.atomic():
        services.transition_component(blood.officer, units[0], "reserved")   # 3 left: 1.5 days, red
        services.transition_component(blood.officer, units[1], "reserved")   # 2 left: still red, no second alert
    alerts = [e for e in evs if e["type"] == "blood.stock.alert"]
    assert len(alerts) == 1 and alerts[0]["payload"]["level"] == "red"
    assert StockAlert.objects.filter(site=blood.udd, cleared_at__isnull=True).count() == 1
    with transaction.atomic():
        services.transition_component(blood.officer, units[0], "available")
        services.transition_component(blood.officer, units[1], "available")
    assert not StockAlert.objects.filter(site=blood.udd, cleared_at__isnull=True).exists()


def test_near_expiry_alerts(blood, make_units):
    from siaga.blood.models import StockAlert

    make_units(code="PRC", abo="A", rhd="pos", n=2, expires_in=dt.timedelta(hours=30))
    assert services.scan_near_expiry() == 1
    assert services.scan_near_expiry() == 0  # raised once
    alert = StockAlert.objects.get(kind="near_expiry")
    assert alert.details["units"] == 2
