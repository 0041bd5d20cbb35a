"""Readiness of an area computed from a hand-made dataset: each component's arithmetic and its light."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.disaster.logistics.models import Item, MinimumLevel, StockLot, Warehouse
from siaga.disaster.readiness import compute
from siaga.disaster.readiness.models import Drill, SopChecklist, SopItem, TrainingCompletion
from siaga.disaster.volunteers.models import Certificate
from siaga.dispatch.models import Unit

from .conftest import KEL, OTHER_KEL, days_ago, skill, volunteer

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def dataset(area):
    org, other = area["org"], area["other"]
    first_aid, water = skill("first_aid"), skill("water_rescue")
    v1 = volunteer(org, name="Ani")
    Certificate.objects.create(volunteer=v1, name="PP", skill=first_aid, issued_on=days_ago(100),
                               expires_on=TODAY + dt.timedelta(days=30))
    v2 = volunteer(org, name="Budi")  # only an expired certificate: not certified
    Certificate.objects.create(volunteer=v2, name="PP", skill=first_aid, issued_on=days_ago(800),
                               expires_on=days_ago(1))
    v3 = volunteer(org, name="Citra")  # a certificate that never expires, plus an expired one
    Certificate.objects.create(volunteer=v3, name="Water", skill=water, issued_on=days_ago(10), expires_on=None)
    Certificate.objects.create(volunteer=v3, name="PP", skill=first_aid, issued_on=days_ago(900),
                               expires_on=days_ago(400))
    gone = volunteer(org, name="Dedi", active=False)  # inactive: not counted at all
    Certificate.objects.create(volunteer=gone, name="PP", skill=first_aid, issued_on=days_ago(5))
    far = volunteer(other, region_code=OTHER_KEL, name="Eka")  # another kab/kota
    Certificate.objects.create(volunteer=far, name="PP", skill=first_aid, issued_on=days_ago(5))

    wh = Warehouse.objects.create(organization=org, region_code="36.71.01", code="gudang", name="Gudang Tangerang")
    far_wh = Warehouse.objects.create(organization=other, region_code="32.75", code="gudang", name="Gudang Bekasi")
    rice = Item.objects.create(code="rice", name="Beras", unit="kg")
    tarp = Item.objects.create(code="tarp", name="Terpal", unit="pcs")
    MinimumLevel.objects.create(warehouse=wh, item=rice, quantity=100)
    StockLot.objects.create(warehouse=wh, item=rice, lot_number="a", quantity=70)
    StockLot.objects.create(warehouse=wh, item=rice, lot_number="b", quantity=50)  # 120 >= 100: met
    MinimumLevel.objects.create(warehouse=wh, item=tarp, quantity=50)
    StockLot.objects.create(warehouse=wh, item=tarp, lot_number="c", quantity=30)
    StockLot.objects.create(warehouse=wh, item=tarp, lot_number="d", quantity=40, expiry=days_ago(1))  # expired
    MinimumLevel.objects.create(warehouse=far_wh, item=tarp, quantity=1)  # not in the area

    for sign, kind, status, active in [("A1", "ambulance_basic", "available", True),
                                       ("A2", "ambulance_basic", "out_of_service", True),
                                       ("R1", "rescue", "en_route", True),
                                       ("R2", "rescue", "available", False)]:
        Unit.objects.create(organization=org, call_sign=sign, kind=kind, status=status, active=active,
                            region_code="36.71")
    Unit.objects.create(organization=other, call_sign="B1", kind="rescue", region_code="32.75")

    flood = SopChecklist.objects.create(organization=org, disaster_type_id="banjir", title="SOP banjir")
    items = [SopItem.objects.create(checklist=flood, position=i, text=f"Langkah {i}") for i in range(1, 5)]
    SopItem.objects.create(checklist=flood, position=9, text="Lama", retired=True)
    quake = SopChecklist.objects.create(organization=org, disaster_type_id="gempa_bumi", title="SOP gempa")
    SopItem.objects.create(checklist=quake, position=1, text="Berlindung")
    SopItem.objects.create(checklist=quake, position=2, text="Evakuasi")
    recent = Drill.objects.create(organization=org, region_code=KEL, checklist=flood, held_on=days_ago(30),
                                  title="Simulasi")
    recent.completed_items.set(items[:2])
    repeat = Drill.objects.create(organization=org, region_code="36.71", checklist=flood, held_on=days_ago(60),
                                  title="Ulang")
    repeat.completed_items.set(items[1:2])  # the same item again counts once
    old = Drill.objects.create(organization=org, region_code=KEL, checklist=flood, held_on=days_ago(400),
                               title="Lama")
    old.completed_items.set(items[2:])  # older than 12 months
    elsewhere = Drill.objects.create(organization=other, region_code="32.75", checklist=flood,
                                     held_on=days_ago(10), title="Bekasi")
    elsewhere.completed_items.set(items)

    module = _module(org)
    for v, passed, valid_until in [(v1, True, TODAY + dt.timedelta(days=100)), (v2, True, days_ago(1)),
                                   (v3, False, None)]:
        TrainingCompletion.objects.create(module=module, user=area["manager"], volunteer=v, organization=org,
                                          region_code=KEL, score_percent=80 if passed else 20, correct=4,
                                          questions=5, passed=passed, completed_at=timezone.now(),
                                          valid_until=valid_until)
    return {"v1": v1, "flood": flood, "quake": quake}


def _module(org):
    from siaga.disaster.readiness.models import TrainingModule

    return TrainingModule.objects.create(organization=org, code="m", title="Modul", body="x",
                                         quiz=[{"question": "q", "options": ["a", "b"], "answer": 0}])


def _components(codes=("36.71",), on=TODAY):
    result = compute.readiness(list(codes), on)
    return result, {c.key: c for c in result["components"]}


def test_expired_certificates_and_other_areas_are_not_counted(dataset):
    _, c = _components()
    vol = c["volunteers"]
    # Ani (valid) and Citra (never expires); Budi's is expired, Dedi is inactive, Eka lives in Bekasi.
    assert vol.value == pytest.approx(2 / 20)
    assert vol.status == "red"
    assert {d["skill"]: d["volunteers"] for d in vol.details} == {"first_aid": 1, "water_rescue": 1}


def test_a_certificate_counts_up_to_its_last_day(dataset):
    _, c = _components(on=TODAY + dt.timedelta(days=30))
    assert c["volunteers"].value == pytest.approx(2 / 20)
    _, c = _components(on=TODAY + dt.timedelta(days=31))
    assert c["volunteers"].value == pytest.approx(1 / 20)


def test_stock_counts_unexpired_lots_against_each_minimum(dataset):
    _, c = _components()
    stock = c["stock"]
    assert stock.value == pytest.approx(0.5)  # rice 120 >= 100; tarpaulins 30 (+40 expired) < 50
    assert stock.status == "red"
    short = [d for d in stock.details if not d["met"]]
    assert [(d["item"], d["quantity"], d["minimum"]) for d in short] == [("Terpal", 30, 50)]


def test_vehicles_in_service_by_kind(dataset):
    _, c = _components()
    v = c["vehicles"]
    assert v.value == pytest.approx(2 / 3) and v.status == "amber"
    assert {d["kind"]: (d["in_service"], d["total"]) for d in v.details} == {"ambulance_basic": (1, 2),
                                                                           "rescue": (1, 1)}


def test_sop_items_practised_in_the_last_twelve_months(dataset):
    _, c = _components()
    sop = c["sop"]
    per = {d["disaster_type"]: (d["done"], d["items"]) for d in sop.details}
    assert per == {"banjir": (2, 4), "gempa_bumi": (0, 2)}  # the old drill and Bekasi's do not count
    assert sop.value == pytest.approx((0.5 + 0.0) / 2) and sop.status == "red"


def test_training_counts_volunteers_with_a_valid_pass(dataset):
    _, c = _components()
    t = c["training"]
    assert t.value == pytest.approx(1 / 3) and t.status == "amber"  # Budi's pass expired, Citra failed


def test_the_weakest_component_sets_the_overall_light(dataset):
    result, _ = _components()
    assert result["status"] == "red"
    assert compute.overall([compute.Component("a", "", "green", 1, "", ""),
                            compute.Component("b", "", "none", None, "", ""),
                            compute.Component("c", "", "amber", 0.6, "", "")]) == "amber"


def test_an_empty_area_is_not_measured_rather_than_red(area):
    result, c = _components(codes=("35.76",))
    assert c["stock"].status == "none" and c["vehicles"].status == "none" and c["training"].status == "none"
    assert c["volunteers"].status == "red"  # a target with nobody certified is a real gap
    assert result["status"] == "red"


def test_each_component_states_its_rule_with_the_numbers_used():
    assert "20" in compute.rule_text("volunteers")
    assert "90%" in compute.rule_text("stock") and "%%" not in compute.rule_text("stock")
    assert "12" in compute.rule_text("sop")
