"""The stock list, the summary and needs against stock cost the same number of queries for 3 lots as for 30."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.disaster.logistics import services
from tests.conftest import client_for


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _stock(p, n, start=0):
    for i in range(start, start + n):
        item = ("SIAGA-RICE", "SIAGA-FAMILY-KIT", "SIAGA-WATER-DRINK")[i % 3]
        services.receive_stock(p.actor, p.warehouse.pk, item=item, quantity=10 + i, lot_number=f"L{i}")


@pytest.mark.parametrize("url", ["/api/disaster/logistics/stock", "/api/disaster/logistics/stock/summary",
                                 "/bencana/logistik/", "/bencana/logistik/peringatan/"])
def test_listing_stock_does_not_grow_with_the_lots(provinces, url):
    dki = provinces["dki"]
    client = client_for(dki.user)
    _stock(dki, 3)
    client.get(url)  # warm the per-process caches
    few = _queries(lambda: client.get(url))
    _stock(dki, 27, start=3)
    many = _queries(lambda: client.get(url))
    assert many == few, (url, few, many)


def test_needs_vs_stock_does_not_grow_with_the_lots(provinces, shared_event):
    from siaga.disaster import services as disaster_services

    dki, jabar = provinces["dki"], provinces["jabar"]
    disaster_services.record_needs_report(dki.actor, shared_event.pk, region_code="31.71.01.1001", displaced=500,
                                          affected=900, source="pmi")
    _stock(dki, 3)
    few = _queries(lambda: services.needs_vs_stock(dki.actor, shared_event.pk))
    _stock(dki, 27, start=3)
    _stock(jabar, 12)
    many = _queries(lambda: services.needs_vs_stock(dki.actor, shared_event.pk))
    assert many == few
