"""Across provinces: an organisation moves only its own stock; the stock of the other organisations taking part
in an event it shares is visible read-only, and moving it is refused with a clear reason (lending is mutual aid)."""

import pytest

from siaga.core.errors import NotFound
from siaga.core.permissions import PermissionDenied
from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import StockLot

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def stocked(provinces):
    for p in provinces.values():
        services.receive_stock(p.actor, p.warehouse.pk, item="SIAGA-RICE", quantity=100, lot_number="R")
    return provinces


def test_an_organisation_sees_only_its_own_warehouses_without_an_event(stocked):
    dki = stocked["dki"]
    assert list(services.visible_warehouses(dki.actor)) == [dki.warehouse]
    assert {lot.warehouse_id for lot in services.visible_lots(dki.actor)} == {dki.warehouse.pk}
    with pytest.raises(NotFound):
        services.get_warehouse(dki.actor, stocked["jabar"].warehouse.pk)


def test_a_shared_event_shows_every_participant_stock_read_only(stocked, shared_event):
    dki, jabar, banten = stocked["dki"], stocked["jabar"], stocked["banten"]
    seen = set(services.visible_warehouses(jabar.actor, shared_event.pk).values_list("pk", flat=True))
    assert seen == {dki.warehouse.pk, jabar.warehouse.pk}  # Banten does not take part
    totals = {(r["province_code"], r["item_code"]): r["quantity"]
              for r in services.stock_totals(jabar.actor, event_id=shared_event.pk)}
    assert totals == {("31", "SIAGA-RICE"): 100, ("32", "SIAGA-RICE"): 100}
    with pytest.raises(NotFound):
        services.visible_warehouses(banten.actor, shared_event.pk).count()


@pytest.mark.parametrize("move", ["ship", "distribute", "receive", "adjust", "minimum"])
def test_moving_another_province_stock_is_refused_and_changes_nothing(stocked, shared_event, move):
    dki, jabar = stocked["dki"], stocked["jabar"]
    wh = dki.warehouse
    lot = StockLot.objects.get(warehouse=wh)
    calls = {
        "ship": lambda: services.send_shipment(jabar.actor, wh.pk, destination_region_code="31.71",
                                               lines=[{"item_code": "SIAGA-RICE", "quantity": 10}]),
        "distribute": lambda: services.distribute(jabar.actor, wh.pk, region_code="31.71.01.1001", households=1,
                                                  people=2, lines=[{"item_code": "SIAGA-RICE", "quantity": 1}]),
        "receive": lambda: services.receive_stock(jabar.actor, wh.pk, item="SIAGA-RICE", quantity=5),
        "adjust": lambda: services.adjust_stock(jabar.actor, lot.pk, -10, "diambil"),
        "minimum": lambda: services.set_minimum(jabar.actor, wh.pk, "SIAGA-RICE", 5),
    }
    with pytest.raises((PermissionDenied, NotFound)) as exc:
        calls[move]()
    if move != "adjust":
        assert exc.value.code == "not_own_stock"
        assert "mutual aid" in exc.value.message
    lot.refresh_from_db()
    assert lot.quantity == 100


def test_an_organisation_outside_the_event_gets_not_found_not_a_hint(stocked, shared_event):
    banten, dki = stocked["banten"], stocked["dki"]
    with pytest.raises(NotFound):
        services.send_shipment(banten.actor, dki.warehouse.pk, destination_region_code="31.71",
                               lines=[{"item_code": "SIAGA-RICE", "quantity": 1}])


def test_shipping_into_another_organisation_warehouse_is_refused(stocked, shared_event):
    dki, jabar = stocked["dki"], stocked["jabar"]
    with pytest.raises(PermissionDenied) as exc:
        services.send_shipment(dki.actor, dki.warehouse.pk, to_warehouse_id=jabar.warehouse.pk,
                               lines=[{"item_code": "SIAGA-RICE", "quantity": 1}])
    assert exc.value.code == "not_own_stock"
    assert StockLot.objects.get(warehouse=dki.warehouse).quantity == 100
