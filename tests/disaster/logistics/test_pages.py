"""Logistics pages: stock, alerts, shipments with the receive form, distributions, warehouses and needs against
stock render in Indonesian for a manager, forms go through the services, another province's stock stays read-only."""

import datetime as dt
import re

import pytest

from siaga.disaster import services as disaster_services
from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Distribution, MinimumLevel, Shipment, StockLot, Warehouse
from tests.conftest import client_for

PAGES = ["/bencana/logistik/", "/bencana/logistik/peringatan/", "/bencana/logistik/pengiriman/",
         "/bencana/logistik/distribusi/", "/bencana/logistik/gudang/", "/bencana/logistik/kebutuhan/"]


@pytest.fixture
def dki(provinces):
    p = provinces["dki"]
    services.receive_stock(p.actor, p.warehouse.pk, item="SIAGA-RICE", quantity=40, lot_number="BR-7",
                           expiry=dt.date.today() + dt.timedelta(days=12))
    return p


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_for_a_manager(dki, url):
    r = client_for(dki.user).get(url)
    assert r.status_code == 200, url
    assert r["Cache-Control"].startswith("private") or "no-store" in r["Cache-Control"]


def test_pages_refuse_a_role_without_logistics(dki, make_user):
    kader = client_for(make_user("kader", dki.org))
    for url in PAGES:
        assert kader.get(url).status_code == 403, url


def test_the_stock_page_shows_lots_with_expiry_and_its_live_fragment(dki):
    c = client_for(dki.user)
    html = c.get("/bencana/logistik/").content.decode()
    assert "BR-7" in html and "Beras" in html
    assert 'class="tag tag--warn"' in html  # expires within 30 days
    assert "data-live-fragment" in html and "<script>" not in html
    frag = c.get("/bencana/logistik/?fragment=1").content.decode()
    assert "BR-7" in frag and "<html" not in frag


def test_receiving_on_the_page_goes_through_the_service(dki):
    c = client_for(dki.user)
    r = c.post("/bencana/logistik/", {"warehouse_id": dki.warehouse.pk, "item_code": "SIAGA-TOILET",
                                      "quantity": "4", "lot_number": "", "expiry": "", "reason": "donasi"})
    assert r.status_code == 302
    assert StockLot.objects.get(item__code="SIAGA-TOILET").quantity == 4


def test_a_minimum_set_on_the_alerts_page_shows_as_breached(dki):
    c = client_for(dki.user)
    c.post("/bencana/logistik/peringatan/", {"warehouse_id": dki.warehouse.pk, "item_code": "SIAGA-RICE",
                                              "quantity": "100"})
    assert MinimumLevel.objects.get().quantity == 100
    html = c.get("/bencana/logistik/peringatan/").content.decode()
    assert "data-below-minimum" in html and "data-expiring" in html


def test_ship_then_receive_with_a_discrepancy_on_the_pages(dki):
    c = client_for(dki.user)
    post = services.create_warehouse(dki.actor, code="pos", name="Pos Gambir", region_code="31.71.01")
    r = c.post("/bencana/logistik/pengiriman/", {"warehouse_id": dki.warehouse.pk, "to_warehouse_id": post.pk,
                                                  "item_code": ["SIAGA-RICE", "", ""], "quantity": ["30", "", ""]})
    sh = Shipment.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/bencana/logistik/pengiriman/{sh.pk}/"
    line = sh.lines.get()
    html = c.get(r["Location"]).content.decode()
    assert f'name="received_{line.pk}"' in html
    c.post(r["Location"], {"action": "receive", f"received_{line.pk}": "28", f"note_{line.pk}": "2 kg tumpah"})
    sh.refresh_from_db()
    assert sh.status == "received" and sh.has_discrepancy
    assert StockLot.objects.get(warehouse=post).quantity == 28


def test_a_distribution_recorded_on_the_page(dki):
    c = client_for(dki.user)
    c.post("/bencana/logistik/distribusi/", {"warehouse_id": dki.warehouse.pk, "region_code": "31.71.01.1002",
                                              "households": "5", "people": "19", "item_code": ["SIAGA-RICE"],
                                              "quantity": ["10"]})
    d = Distribution.objects.get()
    assert (d.households, d.people, d.region_code) == (5, 19, "31.71.01.1002")
    assert "31.71.01.1002" in c.get("/bencana/logistik/distribusi/").content.decode()


def test_a_refusal_on_the_page_is_a_message_not_a_crash(dki):
    c = client_for(dki.user)
    r = c.post("/bencana/logistik/pengiriman/", {"warehouse_id": dki.warehouse.pk, "destination_region_code": "31.71",
                                                  "item_code": ["SIAGA-RICE"], "quantity": ["999"]}, follow=True)
    assert r.status_code == 200 and Shipment.objects.count() == 0
    assert "999" in r.content.decode()


def test_the_needs_page_shows_shortfalls_and_partner_stock_as_mutual_aid(provinces, shared_event):
    dki, jabar = provinces["dki"], provinces["jabar"]
    disaster_services.record_needs_report(dki.actor, shared_event.pk, region_code="31.71.01.1001", displaced=50,
                                          affected=50, source="pmi")
    services.receive_stock(jabar.actor, jabar.warehouse.pk, item="SIAGA-FAMILY-KIT", quantity=4)
    html = client_for(dki.user).get(f"/bencana/logistik/kebutuhan/{shared_event.pk}/").content.decode()
    assert 'data-need="family_kit"' in html and "Gudang jabar" in html and "data-shortfall" in html
    assert "bantuan antarprovinsi" in html.lower() or "mutual aid" in html.lower()


def test_a_partner_warehouse_shows_read_only_on_the_stock_page(provinces, shared_event):
    dki, jabar = provinces["dki"], provinces["jabar"]
    services.receive_stock(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=9, lot_number="DKI-LOT")
    c = client_for(jabar.user)
    assert "DKI-LOT" not in c.get("/bencana/logistik/").content.decode()
    html = c.get(f"/bencana/logistik/?event={shared_event.pk}").content.decode()
    assert "DKI-LOT" in html and "tag--shared" in html
    # The receipt form offers Jawa Barat's own warehouse only, never DKI's.
    form = re.search(r'<select id="r-wh".*?</select>', html, re.S).group(0)
    assert f'value="{jabar.warehouse.pk}"' in form and f'value="{dki.warehouse.pk}"' not in form


def test_adding_a_warehouse_on_the_page(dki):
    client_for(dki.user).post("/bencana/logistik/gudang/", {"code": "gudang-2", "name": "Gudang Kemayoran",
                                                            "region_code": "31.71", "lat": "-6.16", "lon": "106.85"})
    w = Warehouse.objects.get(code="gudang-2")
    assert w.organization_id == dki.org.pk and w.lat == -6.16
