"""Needs against stock: the event's needs estimate (siaga.disaster.needs) set against usable stock in the warehouses
of every organisation taking part, nearest warehouse first, split when one is not enough, shortfall reported."""

import datetime as dt

import pytest

from siaga.disaster import services as disaster_services
from siaga.disaster.logistics import services

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def flood(provinces, shared_event):
    dki, jabar, banten = provinces["dki"], provinces["jabar"], provinces["banten"]
    # 100 displaced, 200 affected in Gambir for 7 days (Perka BNPB): 280 kg rice, 3,500 L drinking water,
    # 13,400 L clean water, 5 toilets, 20 family kits.
    disaster_services.record_needs_report(dki.actor, shared_event.pk, region_code="31.71.01.1001", displaced=100,
                                          affected=200, source="pmi")
    rcv = services.receive_stock
    rcv(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=200, lot_number="R1")
    rcv(dki.actor, dki.warehouse.pk, item="SIAGA-RICE", quantity=500, lot_number="R0",
        expiry=dt.date.today() - dt.timedelta(days=3))  # expired: not stock anyone can send
    rcv(jabar.actor, jabar.warehouse.pk, item="SIAGA-RICE", quantity=50, lot_number="R2")
    rcv(banten.actor, banten.warehouse.pk, item="SIAGA-RICE", quantity=1000, lot_number="R3")  # not taking part
    rcv(jabar.actor, jabar.warehouse.pk, item="SIAGA-FAMILY-KIT", quantity=25, lot_number="FK")
    rcv(dki.actor, dki.warehouse.pk, item="SIAGA-WATER-DRINK", quantity=1000, lot_number="W1")
    rcv(dki.actor, dki.warehouse.pk, item="SIAGA-WATER-CLEAN", quantity=5000, lot_number="W2")
    return shared_event


def _lines(result):
    return {line["item"]: line for line in result["lines"]}


def test_rice_comes_from_the_nearest_warehouse_first_then_the_next_and_the_rest_is_a_shortfall(provinces, flood):
    dki, jabar = provinces["dki"], provinces["jabar"]
    result = services.needs_vs_stock(jabar.actor, flood.pk)
    rice = _lines(result)["rice"]
    assert rice["needed"] == 280 and rice["available"] == 250
    assert [(s["warehouse_id"], s["quantity"]) for s in rice["suggestions"]] == [(dki.warehouse.pk, 200),
                                                                                 (jabar.warehouse.pk, 50)]
    assert rice["suggestions"][0]["distance_km"] < rice["suggestions"][1]["distance_km"]
    assert rice["shortfall"] == 30
    # Jawa Barat sees DKI's stock for the shared event but it is not its own: lending goes through mutual aid.
    assert [s["own"] for s in rice["suggestions"]] == [False, True]
    assert result["destination"]["basis"] == "needs_reports"
    assert provinces["banten"].org.pk not in result["organization_ids"]


def test_one_warehouse_with_enough_covers_a_line_alone(provinces, flood):
    kits = _lines(services.needs_vs_stock(provinces["dki"].actor, flood.pk))["family_kit"]
    assert kits["needed"] == 20 and kits["shortfall"] == 0
    assert [(s["warehouse_id"], s["quantity"]) for s in kits["suggestions"]] == [
        (provinces["jabar"].warehouse.pk, 20)]


def test_a_need_with_no_stock_is_all_shortfall(provinces, flood):
    toilets = _lines(services.needs_vs_stock(provinces["dki"].actor, flood.pk))["toilet"]
    assert toilets == {"item": "toilet", "label": "Toilets", "unit": "unit", "needed": 5, "available": 0,
                       "mapped": True, "suggestions": [], "shortfall": 5}


def test_the_sphere_water_line_draws_on_drinking_and_clean_water(provinces, flood):
    result = services.needs_vs_stock(provinces["dki"].actor, flood.pk, profile="sphere", days=7)
    water = _lines(result)["water"]
    assert water["needed"] == 15 * 200 * 7
    assert sorted((s["item_code"], s["quantity"]) for s in water["suggestions"]) == [
        ("SIAGA-WATER-CLEAN", 5000), ("SIAGA-WATER-DRINK", 1000)]
    assert water["shortfall"] == 21000 - 6000


def test_an_organisation_outside_the_event_cannot_ask(provinces, flood):
    from siaga.core.errors import NotFound

    with pytest.raises(NotFound):
        services.needs_vs_stock(provinces["banten"].actor, flood.pk)


def test_items_covering_several_need_units_round_up_to_whole_items(provinces, flood):
    from siaga.disaster.logistics.models import Item, NeedsItem

    jerrycan = Item.objects.create(code="T-JERRY-20", name="Jerigen air minum 20 L", unit="piece")
    NeedsItem.objects.create(needs_item="drinking_water", item=jerrycan, units_per_item=20)
    jabar = provinces["jabar"]
    services.receive_stock(jabar.actor, jabar.warehouse.pk, item="T-JERRY-20", quantity=500)
    water = _lines(services.needs_vs_stock(jabar.actor, flood.pk))["drinking_water"]
    # 3,500 L: 1,000 L bottled in DKI (nearer), then 2,500 L = 125 jerrycans of 20 L from Jawa Barat.
    assert [(s["item_code"], s["quantity"], s["covers"]) for s in water["suggestions"]] == [
        ("SIAGA-WATER-DRINK", 1000, 1000), ("T-JERRY-20", 125, 2500)]
    assert water["shortfall"] == 0
