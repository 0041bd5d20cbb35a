"""Movements are the only way stock changes: receipts, shipments (sent, in transit, received with discrepancies),
distributions per kelurahan and adjustments, each written to the ledger, none ever taking a lot below zero."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Movement, Shipment, StockLot

pytestmark = pytest.mark.usefixtures("english")

TODAY = dt.date.today


def _receive(p, item="SIAGA-RICE", qty=100, lot="L1", expiry=None):
    return services.receive_stock(p.actor, p.warehouse.pk, item=item, quantity=qty, lot_number=lot, expiry=expiry)


def _ledger_matches(lot):
    lot.refresh_from_db()
    assert Movement.objects.filter(lot=lot).aggregate(s=Sum("quantity_change"))["s"] == lot.quantity


def test_a_receipt_creates_the_lot_and_writes_the_ledger(provinces, capture_events):
    dki = provinces["dki"]
    with capture_events() as evs:
        lot = _receive(dki, qty=250, expiry=TODAY() + dt.timedelta(days=200))
        again = _receive(dki, qty=50, expiry=TODAY() + dt.timedelta(days=200))
    assert again.pk == lot.pk
    lot.refresh_from_db()
    assert lot.quantity == 300
    _ledger_matches(lot)
    assert [e["type"] for e in evs] == ["logistics.stock_changed", "logistics.stock_changed"]
    assert evs[-1]["payload"]["lots"][0]["quantity"] == 300 and evs[-1]["topic"] == "logistics"


def test_a_known_lot_number_must_keep_its_expiry(provinces):
    dki = provinces["dki"]
    _receive(dki, expiry=TODAY() + dt.timedelta(days=100))
    with pytest.raises(ServiceError) as exc:
        _receive(dki, expiry=TODAY() + dt.timedelta(days=50))
    assert exc.value.code == "lot_expiry_mismatch"
    assert StockLot.objects.get(lot_number="L1").quantity == 100


def test_a_shipment_takes_the_earliest_expiry_first_and_skips_expired_lots(provinces):
    dki = provinces["dki"]
    expired = _receive(dki, lot="OLD", qty=40, expiry=TODAY() - dt.timedelta(days=1))
    late = _receive(dki, lot="LATE", qty=40, expiry=TODAY() + dt.timedelta(days=300))
    soon = _receive(dki, lot="SOON", qty=40, expiry=TODAY() + dt.timedelta(days=20))
    sh = services.send_shipment(dki.actor, dki.warehouse.pk, lines=[{"item_code": "SIAGA-RICE", "quantity": 50}],
                                destination_region_code="31.71.01.1001")
    taken = {ln.lot_id: ln.quantity for ln in sh.lines.all()}
    assert taken == {soon.pk: 40, late.pk: 10}
    for lot in (expired, late, soon):
        _ledger_matches(lot)
    assert StockLot.objects.get(pk=expired.pk).quantity == 40


def test_shipping_more_than_the_stock_is_refused_and_changes_nothing(provinces):
    dki = provinces["dki"]
    lot = _receive(dki, qty=30)
    with pytest.raises(ServiceError) as exc:
        services.send_shipment(dki.actor, dki.warehouse.pk, lines=[{"item_code": "SIAGA-RICE", "quantity": 31}],
                               destination_region_code="31.71")
    assert exc.value.code == "insufficient_stock" and exc.value.details["available"] == 30
    assert "Not enough stock" in exc.value.message
    lot.refresh_from_db()
    assert lot.quantity == 30 and Shipment.objects.count() == 0
    assert Movement.objects.filter(kind="shipment_out").count() == 0


def test_two_lines_on_one_lot_cannot_together_exceed_it(provinces):
    dki = provinces["dki"]
    lot = _receive(dki, qty=30)
    with pytest.raises(ServiceError) as exc:
        services.send_shipment(dki.actor, dki.warehouse.pk, lines=[{"lot_id": lot.pk, "quantity": 20},
                                                                   {"lot_id": lot.pk, "quantity": 20}],
                               destination_region_code="31.71")
    assert exc.value.code == "insufficient_stock"
    lot.refresh_from_db()
    assert lot.quantity == 30


def test_the_database_refuses_a_negative_lot_whatever_the_code_does(provinces):
    lot = _receive(provinces["dki"], qty=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLot.objects.filter(pk=lot.pk).update(quantity=-1)
    lot.refresh_from_db()
    assert lot.quantity == 5


def test_a_shipment_goes_sent_in_transit_received_into_the_destination_warehouse(provinces, capture_events):
    dki = provinces["dki"]
    second = services.create_warehouse(dki.actor, code="pos-gambir", name="Pos Gambir", region_code="31.71.01")
    _receive(dki, qty=100, expiry=TODAY() + dt.timedelta(days=90))
    with capture_events() as evs:
        sh = services.send_shipment(dki.actor, dki.warehouse.pk, to_warehouse_id=second.pk,
                                    lines=[{"item_code": "SIAGA-RICE", "quantity": 60}])
        assert sh.status == "sent" and sh.destination_region_code == "31.71.01"
        services.mark_in_transit(dki.actor, sh.pk)
        line = sh.lines.get()
        with pytest.raises(ServiceError) as exc:
            services.receive_shipment(dki.actor, sh.pk, received={line.pk: 55})
        assert exc.value.code == "discrepancy_note_required"
        sh = services.receive_shipment(dki.actor, sh.pk, received={line.pk: 55}, notes={line.pk: "1 karung sobek"})
    assert sh.status == "received" and sh.has_discrepancy
    line.refresh_from_db()
    assert line.received_quantity == 55 and line.discrepancy == 5 and line.discrepancy_note == "1 karung sobek"
    arrived = StockLot.objects.get(warehouse=second)
    assert arrived.quantity == 55 and arrived.lot_number == "L1" and arrived.expiry == line.expiry
    assert StockLot.objects.get(warehouse=dki.warehouse).quantity == 40
    statuses = [e["payload"]["status"] for e in evs if e["type"] == "logistics.shipment_updated"]
    assert statuses == ["sent", "in_transit", "received"]
    with pytest.raises(ServiceError) as exc:
        services.receive_shipment(dki.actor, sh.pk)
    assert exc.value.code == "already_received"


def test_more_received_than_sent_is_refused(provinces):
    dki = provinces["dki"]
    _receive(dki, qty=10)
    sh = services.send_shipment(dki.actor, dki.warehouse.pk, lines=[{"item_code": "SIAGA-RICE", "quantity": 10}],
                                destination_region_code="31.71.01.1001")
    line = sh.lines.get()
    with pytest.raises(ServiceError) as exc:
        services.receive_shipment(dki.actor, sh.pk, received={line.pk: 11})
    assert exc.value.code == "received_exceeds_sent"
    sh.refresh_from_db()
    assert sh.status == "sent"


def test_in_transit_only_from_sent(provinces):
    dki = provinces["dki"]
    _receive(dki, qty=10)
    sh = services.send_shipment(dki.actor, dki.warehouse.pk, lines=[{"item_code": "SIAGA-RICE", "quantity": 1}],
                                destination_region_code="31.71")
    services.mark_in_transit(dki.actor, sh.pk)
    with pytest.raises(ServiceError) as exc:
        services.mark_in_transit(dki.actor, sh.pk)
    assert exc.value.code == "invalid_transition"


def test_a_distribution_counts_households_and_people_per_kelurahan(provinces, capture_events):
    dki = provinces["dki"]
    lot = _receive(dki, item="SIAGA-FAMILY-KIT", qty=20, lot="FK")
    with capture_events() as evs:
        d = services.distribute(dki.actor, dki.warehouse.pk, region_code="31.71.01.1002", households=12, people=47,
                                lines=[{"item_code": "SIAGA-FAMILY-KIT", "quantity": 12}])
    assert d.households == 12 and d.people == 47 and d.lines.get().quantity == 12
    _ledger_matches(lot)
    assert lot.quantity == 8
    dist = [e for e in evs if e["type"] == "logistics.distributed"][0]
    assert dist["payload"]["lines"] == [{"item_code": "SIAGA-FAMILY-KIT", "quantity": 12}]


@pytest.mark.parametrize("region, households, people, code", [
    ("31.71.01", 1, 1, "not_kelurahan"),
    ("31.71.01.1002", 5, 4, "households_exceed_people"),
    ("31.71.01.1002", 0, 4, "invalid_quantity"),
])
def test_a_distribution_with_bad_figures_is_refused(provinces, region, households, people, code):
    dki = provinces["dki"]
    lot = _receive(dki, qty=20)
    with pytest.raises(ServiceError) as exc:
        services.distribute(dki.actor, dki.warehouse.pk, region_code=region, households=households, people=people,
                            lines=[{"item_code": "SIAGA-RICE", "quantity": 1}])
    assert exc.value.code == code
    lot.refresh_from_db()
    assert lot.quantity == 20


def test_an_adjustment_needs_a_reason_and_never_goes_below_zero(provinces):
    dki = provinces["dki"]
    lot = _receive(dki, qty=20)
    with pytest.raises(ServiceError) as exc:
        services.adjust_stock(dki.actor, lot.pk, -5, "  ")
    assert exc.value.code == "reason_required"
    with pytest.raises(ServiceError) as exc:
        services.adjust_stock(dki.actor, lot.pk, -21, "stock opname")
    assert exc.value.code == "insufficient_stock"
    services.adjust_stock(dki.actor, lot.pk, -20, "rusak terendam banjir")
    services.adjust_stock(dki.actor, lot.pk, 3, "stock opname: ditemukan")
    _ledger_matches(lot)
    assert lot.quantity == 3
    assert list(Movement.objects.filter(lot=lot, kind="adjustment").values_list("reason", flat=True)) == [
        "stock opname: ditemukan", "rusak terendam banjir"]


def test_quantities_are_whole_positive_numbers(provinces):
    dki = provinces["dki"]
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(ServiceError) as exc:
            _receive(dki, qty=bad)
        assert exc.value.code == "invalid_quantity"
    assert StockLot.objects.count() == 0


def test_a_request_is_counted_as_shipments_fulfil_it(provinces, shared_event):
    dki = provinces["dki"]
    _receive(dki, qty=100)
    req = services.create_request(dki.actor, region_code="31.71.01.1001", event_id=shared_event.pk,
                                  lines=[{"item_code": "SIAGA-RICE", "quantity": 80}])
    services.send_shipment(dki.actor, dki.warehouse.pk, request_id=req.pk,
                           lines=[{"item_code": "SIAGA-RICE", "quantity": 50}])
    req.refresh_from_db()
    assert req.status == "partial" and req.lines.get().quantity_shipped == 50
    sh = services.send_shipment(dki.actor, dki.warehouse.pk, request_id=req.pk,
                                lines=[{"item_code": "SIAGA-RICE", "quantity": 30}])
    req.refresh_from_db()
    assert req.status == "fulfilled"
    assert sh.destination_region_code == "31.71.01.1001"
    assert timezone.now() >= sh.sent_at
