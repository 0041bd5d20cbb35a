"""Minimum levels and expiry: an alert on topic "logistics" once per crossing below the minimum, once per lot near
expiry; stock_summary and minimums_breached for the readiness view."""

import datetime as dt

import pytest

from siaga.disaster.logistics import services

pytestmark = pytest.mark.usefixtures("english")


def _types(evs, name):
    return [e for e in evs if e["type"] == name]


def test_falling_below_the_minimum_alerts_once_and_recovery_rearms_it(provinces, capture_events):
    dki = provinces["dki"]
    lot = services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=100)
    services.set_minimum(dki.actor, dki.warehouse.pk, "SIAGA-RICE", 50)
    with capture_events() as evs:
        services.adjust_stock(dki.actor, lot.pk, -60, "rusak")
        services.adjust_stock(dki.actor, lot.pk, -10, "rusak")
    alerts = _types(evs, "logistics.below_minimum")
    assert len(alerts) == 1 and alerts[0]["topic"] == "logistics"
    assert alerts[0]["payload"]["quantity"] == 40 and alerts[0]["payload"]["minimum"] == 50
    assert alerts[0]["organization_id"] == dki.org.pk
    with capture_events() as evs:
        services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=30)
        services.adjust_stock(dki.actor, lot.pk, -11, "sampel")  # 60 -> 49
    assert len(_types(evs, "logistics.below_minimum")) == 1


def test_setting_a_minimum_above_the_stock_alerts_at_once(provinces, capture_events):
    dki = provinces["dki"]
    with capture_events() as evs:
        services.set_minimum(dki.actor, dki.warehouse.pk, "SIAGA-TOILET", 10)
    assert _types(evs, "logistics.below_minimum")[0]["payload"]["quantity"] == 0


def test_stock_summary_sets_stock_against_minimums(provinces):
    dki, jabar = provinces["dki"], provinces["jabar"]
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=100)
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-SOAP", quantity=500,
                           lot_number="S", expiry=dt.date.today() - dt.timedelta(days=1))
    services.set_minimum(dki.actor, dki.warehouse.pk, "SIAGA-RICE", 80)
    services.set_minimum(dki.actor, dki.warehouse.pk, "SIAGA-SOAP", 100)
    services.set_minimum(jabar.actor, jabar.warehouse.pk, "SIAGA-RICE", 10)
    rows = {r["item_code"]: r for r in services.stock_summary(dki.actor)}
    assert set(rows) == {"SIAGA-RICE", "SIAGA-SOAP"}  # Jawa Barat's warehouse is not DKI's to see
    assert rows["SIAGA-RICE"]["quantity"] == 100 and not rows["SIAGA-RICE"]["below_minimum"]
    assert rows["SIAGA-SOAP"]["quantity"] == 0 and rows["SIAGA-SOAP"]["below_minimum"]  # expired stock is no stock
    breached = services.minimums_breached(dki.org)
    assert [(r["warehouse_id"], r["item_code"]) for r in breached] == [(dki.warehouse.pk, "SIAGA-SOAP")]
    assert services.minimums_breached(dki.actor) == breached
    assert [r["item_code"] for r in services.minimums_breached(jabar.org)] == ["SIAGA-RICE"]
    assert services.stock_summary(dki.actor, region_prefix="32") == []


def test_near_expiry_alerts_once_per_lot(provinces, capture_events):
    dki = provinces["dki"]
    today = dt.date.today()
    soon = services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-WATER-DRINK", quantity=10,
                                  lot_number="A", expiry=today + dt.timedelta(days=10))
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-WATER-DRINK", quantity=10, lot_number="B",
                           expiry=today + dt.timedelta(days=200))
    with capture_events() as evs:
        assert services.check_expiry(dki.actor, days=30) == 1
        assert services.check_expiry(dki.actor, days=30) == 0
    alerts = _types(evs, "logistics.near_expiry")
    assert len(alerts) == 1 and alerts[0]["payload"]["lot_id"] == soon.pk and alerts[0]["payload"]["days_left"] == 10
    assert [lot.pk for lot in services.expiring_lots(dki.actor)] == [soon.pk]


def test_a_lot_expiring_overnight_breaches_the_minimum_on_the_hourly_check(provinces, capture_events):
    from siaga.disaster.logistics.models import StockLot
    from siaga.disaster.logistics.tasks import stock_alerts

    dki = provinces["dki"]
    lot = services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=100, lot_number="X",
                                 expiry=dt.date.today() + dt.timedelta(days=5))
    services.set_minimum(dki.actor, dki.warehouse.pk, "SIAGA-RICE", 50)
    StockLot.objects.filter(pk=lot.pk).update(expiry=dt.date.today() - dt.timedelta(days=1))  # time passed
    with capture_events() as evs:
        result = stock_alerts.call_local()
    assert result == {"near_expiry": 1, "below_minimum": 1}
    assert [e["payload"]["quantity"] for e in _types(evs, "logistics.below_minimum")] == [0]
