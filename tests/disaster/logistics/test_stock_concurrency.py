"""Stock never goes negative under concurrent shipments: real threads, each with its own database connection,
all shipping from one lot at once. Runs on SQLite by default and on PostgreSQL when DATABASE_URL points there."""

import threading

import pytest
from django.db import connections
from django.db.models import Sum

from siaga.core.errors import ServiceError
from siaga.core.permissions import actor_for
from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Movement, ShipmentLine, StockLot

pytestmark = pytest.mark.timeout(180)


def _race(user, n, work):
    barrier = threading.Barrier(n)
    results: dict[int, object] = {}

    def run(i):
        try:
            actor = actor_for(user)
            barrier.wait(timeout=30)
            results[i] = work(actor, i)
        except BaseException as exc:  # judged by the assertions below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def test_concurrent_shipments_from_one_lot_never_ship_more_than_the_stock(transactional_db, provinces):
    dki = provinces["dki"]
    lot = services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-WATER-DRINK", quantity=100,
                                 lot_number="AIR-1")
    # 12 shipments of 15 L from 100 L: at most 6 fit (90 L), the rest must be refused, none may overdraw.
    results = _race(dki.user, 12, lambda actor, i: services.send_shipment(
        actor, dki.warehouse.pk, lines=[{"lot_id": lot.pk, "quantity": 15}], destination_region_code="31.71.01.1001"))
    wins = [r for r in results.values() if not isinstance(r, BaseException)]
    losses = [r for r in results.values() if isinstance(r, BaseException)]
    assert len(results) == 12
    assert all(isinstance(r, ServiceError) and r.code == "insufficient_stock" for r in losses), losses
    lot.refresh_from_db()
    shipped = ShipmentLine.objects.filter(lot=lot).aggregate(s=Sum("quantity"))["s"] or 0
    assert len(wins) == 6 and shipped == 90 and lot.quantity == 10
    assert shipped + lot.quantity == 100
    assert Movement.objects.filter(lot=lot).aggregate(s=Sum("quantity_change"))["s"] == lot.quantity
    assert not Movement.objects.filter(lot=lot, quantity_after__lt=0).exists()


def test_concurrent_uneven_takes_from_one_item_across_lots_stay_within_stock(transactional_db, provinces):
    dki = provinces["dki"]
    for n, qty in enumerate((7, 11, 13)):
        services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=qty, lot_number=f"B{n}")
    sizes = [5, 9, 4, 8, 6, 3, 7, 2]  # 44 asked of 31 in stock

    def work(actor, i):
        if i % 2:
            return services.distribute(actor, dki.warehouse.pk, region_code="31.71.01.1002", households=1,
                                       people=3, lines=[{"item_code": "SIAGA-RICE", "quantity": sizes[i]}])
        return services.send_shipment(actor, dki.warehouse.pk, destination_region_code="31.71",
                                      lines=[{"item_code": "SIAGA-RICE", "quantity": sizes[i]}])

    results = _race(dki.user, len(sizes), work)
    granted = sum(sizes[i] for i, r in results.items() if not isinstance(r, BaseException))
    assert all(isinstance(r, ServiceError) for r in results.values() if isinstance(r, BaseException)), results
    left = StockLot.objects.filter(warehouse=dki.warehouse).aggregate(s=Sum("quantity"))["s"]
    assert granted + left == 31 and granted <= 31
    assert StockLot.objects.filter(quantity__lt=0).count() == 0
    out = -(Movement.objects.filter(warehouse=dki.warehouse, quantity_change__lt=0)
            .aggregate(s=Sum("quantity_change"))["s"] or 0)
    assert out == granted
