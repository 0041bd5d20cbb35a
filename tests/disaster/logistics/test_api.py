"""Logistics API: a flow through receipts, shipments, distributions and needs against stock, and every path
checked for isolation between organisations."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Distribution, Request, Shipment, StockLot, Warehouse
from siaga.disaster.models import DisasterEvent
from tests.conftest import client_for
from tests.isolation import OrgIsolationSpec

NOT_TENANT_DATA = {
    "/api/disaster/logistics/items": "the relief item catalogue: reference data shared by every organisation",
    "/api/disaster/logistics/items/{item_id}": "one catalogue item: reference data shared by every organisation",
    "/api/disaster/logistics/needs-items": "which catalogue items meet which needs line: reference data",
    "/api/disaster/logistics/warehouses": "lists through visible_warehouses (own, or a shared event's participants; "
                                          "TestWarehouseIsolation lists it); POST creates in the caller's own "
                                          "organisation only",
    "/api/disaster/logistics/requests": "lists the caller's own and its events' requests (TestRequestIsolation); "
                                        "POST creates in the caller's own organisation only",
    "/api/disaster/logistics/stock/totals": "aggregate rows without ids, so no list spec applies; isolation is "
                                            "checked by TestStockTotalsIsolation.test_totals_count_only_own_stock",
}


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def dki_client(provinces):
    return client_for(provinces["dki"].user)


def test_receive_ship_receive_distribute_over_the_api(provinces, dki_client, regions):
    dki = provinces["dki"]
    wh = dki.warehouse.pk
    r = _post(dki_client, f"/api/disaster/logistics/warehouses/{wh}/receipts",
              {"item_code": "SIAGA-RICE", "quantity": 120, "lot_number": "B-01",
               "expiry": (dt.date.today() + dt.timedelta(days=90)).isoformat()})
    assert r.status_code == 201, r.content
    lot_id = r.json()["id"]
    r = _post(dki_client, "/api/disaster/logistics/warehouses", {"code": "pos-1", "name": "Pos 1",
                                                                  "region_code": "31.71.01"})
    assert r.status_code == 201, r.content
    post = r.json()["id"]
    r = _post(dki_client, f"/api/disaster/logistics/warehouses/{wh}/shipments",
              {"to_warehouse_id": post, "lines": [{"item_code": "SIAGA-RICE", "quantity": 100}]})
    assert r.status_code == 201, r.content
    sh = r.json()
    assert sh["status"] == "sent" and sh["lines"][0]["lot_id"] == lot_id
    assert _post(dki_client, f"/api/disaster/logistics/shipments/{sh['id']}/in-transit", {}).status_code == 200
    line = sh["lines"][0]["id"]
    r = _post(dki_client, f"/api/disaster/logistics/shipments/{sh['id']}/receive",
              {"lines": [{"line_id": line, "received_quantity": 90}]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "discrepancy_note_required"
    r = _post(dki_client, f"/api/disaster/logistics/shipments/{sh['id']}/receive",
              {"lines": [{"line_id": line, "received_quantity": 90, "note": "basah"}]})
    assert r.status_code == 200 and r.json()["has_discrepancy"] and r.json()["lines"][0]["discrepancy"] == 10
    r = _post(dki_client, f"/api/disaster/logistics/warehouses/{post}/distributions",
              {"region_code": "31.71.01.1001", "households": 10, "people": 38,
               "lines": [{"item_code": "SIAGA-RICE", "quantity": 90}]})
    assert r.status_code == 201, r.content
    r = dki_client.get("/api/disaster/logistics/stock/totals")
    assert r.json() == [{"province_code": "31", "item_id": r.json()[0]["item_id"], "item_code": "SIAGA-RICE",
                         "item_name": "Beras", "unit": "kg", "quantity": 20}]
    r = _post(dki_client, f"/api/disaster/logistics/warehouses/{wh}/shipments",
              {"destination_region_code": "31.71", "lines": [{"item_code": "SIAGA-RICE", "quantity": 21}]})
    assert r.status_code == 409 and r.json()["error"]["code"] == "insufficient_stock"
    assert StockLot.objects.get(pk=lot_id).quantity == 20


def test_moving_a_shared_event_partner_stock_is_a_clear_403(provinces, shared_event):
    dki, jabar = provinces["dki"], provinces["jabar"]
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=10)
    client = client_for(jabar.user)
    r = client.get(f"/api/disaster/logistics/stock?event_id={shared_event.pk}")
    assert r.status_code == 200 and [i["warehouse_id"] for i in r.json()["items"]] == [dki.warehouse.pk]
    r = _post(client, f"/api/disaster/logistics/warehouses/{dki.warehouse.pk}/shipments",
              {"destination_region_code": "32.75", "lines": [{"item_code": "SIAGA-RICE", "quantity": 5}]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_own_stock"
    assert StockLot.objects.get(warehouse=dki.warehouse).quantity == 10


def test_needs_vs_stock_over_the_api(provinces, shared_event):
    from siaga.disaster import services as disaster_services

    dki = provinces["dki"]
    disaster_services.record_needs_report(dki.actor, shared_event.pk, region_code="31.71.01.1001", displaced=20,
                                          affected=20, source="government")
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-FAMILY-KIT", quantity=3)
    r = client_for(dki.user).get(f"/api/disaster/logistics/events/{shared_event.pk}/needs-vs-stock?days=3")
    assert r.status_code == 200, r.content
    kits = {line["item"]: line for line in r.json()["lines"]}["family_kit"]
    assert (kits["needed"], kits["available"], kits["shortfall"]) == (4, 3, 1)
    r = client_for(provinces["banten"].user).get(f"/api/disaster/logistics/events/{shared_event.pk}/needs-vs-stock")
    assert r.status_code == 404


def test_a_leader_reads_but_cannot_move_stock(provinces, make_user):
    dki = provinces["dki"]
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=10)
    leader = client_for(make_user("leader", dki.org, scope_code="31"))
    assert leader.get("/api/disaster/logistics/stock").json()["count"] == 1
    r = _post(leader, f"/api/disaster/logistics/warehouses/{dki.warehouse.pk}/receipts",
              {"item_code": "SIAGA-RICE", "quantity": 1})
    assert r.status_code == 403


# --- isolation specs ----------------------------------------------------------------------------------


def _warehouse(org):
    return Warehouse.objects.create(organization=org, region_code=org.region_code, code=f"w{org.pk}",
                                    name=f"Gudang {org.pk}")


def _lot(org, qty=50):
    return StockLot.objects.create(warehouse=_warehouse(org), item_id=_rice(), lot_number="L", quantity=qty)


def _rice():
    from siaga.disaster.logistics.models import Item

    return Item.objects.get_or_create(code="SIAGA-RICE", defaults={"name": "Beras", "unit": "kg"})[0].pk


class TestWarehouseIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/logistics/warehouses"
    detail_urls = ["/api/disaster/logistics/warehouses/{id}"]
    write_requests = [
        ("patch", "/api/disaster/logistics/warehouses/{id}", {"name": "Diambil alih"}),
        ("put", "/api/disaster/logistics/warehouses/{id}/minimums", {"item_code": "SIAGA-RICE", "quantity": 5}),
        ("post", "/api/disaster/logistics/warehouses/{id}/receipts", {"item_code": "SIAGA-RICE", "quantity": 5}),
    ]

    def make_record(self, org):
        _rice()
        return _warehouse(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.name, record.minimums.count(), record.lots.count())


class TestStockLotIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/logistics/stock"
    detail_urls = ["/api/disaster/logistics/lots/{id}"]
    write_requests = [("post", "/api/disaster/logistics/lots/{id}/adjustments", {"change": -5, "reason": "x"})]

    def make_record(self, org):
        return _lot(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return record.quantity


class _WarehouseRowSpec(OrgIsolationSpec):
    """Lists whose rows name the warehouse: the record is the warehouse, holding a lot below its minimum."""

    role = "disaster_manager"
    list_key = "warehouse_id"

    def make_record(self, org):
        from siaga.disaster.logistics.models import MinimumLevel

        lot = _lot(org, qty=1)
        MinimumLevel.objects.create(warehouse=lot.warehouse, item_id=lot.item_id, quantity=10)
        return lot.warehouse

    def snapshot(self, record):
        record.refresh_from_db()
        return [lot.quantity for lot in record.lots.all()]


class TestStockSummaryIsolation(_WarehouseRowSpec):
    list_url = "/api/disaster/logistics/stock/summary"
    write_requests = [
        ("post", "/api/disaster/logistics/warehouses/{id}/shipments",
         {"destination_region_code": "35.76", "lines": [{"item_code": "SIAGA-RICE", "quantity": 1}]}),
        ("post", "/api/disaster/logistics/warehouses/{id}/distributions",
         {"region_code": "35.76.01.1006", "households": 1, "people": 1,
          "lines": [{"item_code": "SIAGA-RICE", "quantity": 1}]}),
    ]


class TestBelowMinimumIsolation(_WarehouseRowSpec):
    list_url = "/api/disaster/logistics/alerts/minimums"


class TestExpiringIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/logistics/alerts/expiry"

    def make_record(self, org):
        lot = _lot(org)
        lot.expiry = timezone.localdate() + dt.timedelta(days=3)
        lot.save()
        return lot


class TestStockTotalsIsolation(OrgIsolationSpec):
    """Totals carry no ids: each organisation holds a different quantity, and only its own may be counted."""

    role = "leader"
    list_url = None
    detail_urls = []

    def make_record(self, org):
        return _lot(org, qty=7 if org.region_code == self.region_code else 1000)

    def test_totals_count_only_own_stock(self, setting):
        r = setting["client"].get("/api/disaster/logistics/stock/totals")
        assert r.status_code == 200
        assert [row["quantity"] for row in r.json()] == [7]


class TestShipmentIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/logistics/shipments"
    detail_urls = ["/api/disaster/logistics/shipments/{id}"]
    write_requests = [("post", "/api/disaster/logistics/shipments/{id}/in-transit", {}),
                      ("post", "/api/disaster/logistics/shipments/{id}/receive", {"lines": []})]
    page_urls = ["/bencana/logistik/pengiriman/{id}/"]

    def make_record(self, org):
        from siaga.disaster.logistics.models import ShipmentLine

        lot = _lot(org)
        sh = Shipment.objects.create(organization=org, region_code=org.region_code, from_warehouse=lot.warehouse,
                                     destination_region_code=org.region_code, sent_at=timezone.now())
        ShipmentLine.objects.create(shipment=sh, lot=lot, item_id=lot.item_id, quantity=5)
        return sh

    def snapshot(self, record):
        record.refresh_from_db()
        return record.status


class TestDistributionIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/logistics/distributions"
    detail_urls = ["/api/disaster/logistics/distributions/{id}"]

    def make_record(self, org):
        lot = _lot(org)
        return Distribution.objects.create(organization=org, warehouse=lot.warehouse, region_code="35.76.01.1006",
                                           households=1, people=2, distributed_at=timezone.now())


class TestRequestIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/logistics/requests"
    detail_urls = ["/api/disaster/logistics/requests/{id}"]

    def make_record(self, org):
        return Request.objects.create(organization=org, region_code=org.region_code)


class TestNeedsVsStockIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/logistics/events/{id}/needs-vs-stock"]

    def make_record(self, org):
        return DisasterEvent.objects.create(organization=org, region_code=org.region_code, name="Banjir",
                                            type_id="banjir", started_at=timezone.now())
