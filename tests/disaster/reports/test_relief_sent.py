"""The situation report's relief-sent figures come from the records: shipments to the area and distributions for
the event, and items lent under mutual-aid grants, each figure listing the records it adds up. A shipment sent
after the period, a transfer between warehouses, another event's shipment and a cancelled loan do not count."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from siaga.disaster.logistics import services as logistics
from siaga.disaster.mutualaid import services as mutualaid
from siaga.disaster.reports import services

from .conftest import KEL_A, KEL_B

pytestmark = pytest.mark.django_db

KIT = "SIAGA-FAMILY-KIT"


@pytest.fixture
def stock(setting):
    importlib.import_module("siaga.disaster.logistics.migrations.0002_needs_items").seed(apps, None)
    lead = setting["lead"]
    wh = logistics.create_warehouse(lead, code="gudang-jatim", name="Gudang PMI Jatim", region_code="35.76")
    forward = logistics.create_warehouse(lead, code="gudang-maju", name="Gudang depan", region_code="35.76")
    logistics.receive_stock(lead, wh.pk, item=KIT, quantity=500, lot_number="kit-1")
    return {"wh": wh, "forward": forward}


def _kits(data):
    return next(ln for ln in data["relief"]["lines"] if ln["item_code"] == KIT)


def test_a_shipment_of_200_family_kits_appears_in_the_report_and_unsent_or_cancelled_ones_do_not(
        setting, stock, make_org, make_user, actor_of):
    lead, ev = setting["lead"], setting["event"]
    two_hours_ago = timezone.now() - dt.timedelta(hours=2)
    with time_machine.travel(two_hours_ago, tick=True):
        sent = logistics.send_shipment(lead, stock["wh"].pk, lines=[{"item_code": KIT, "quantity": 200}],
                                       destination_region_code=KEL_A, destination="Posko Prajuritkulon",
                                       event_id=ev.pk)
        # A transfer to our own forward warehouse is a stock move, not relief that reached the area.
        logistics.send_shipment(lead, stock["wh"].pk, lines=[{"item_code": KIT, "quantity": 40}],
                                to_warehouse_id=stock["forward"].pk, event_id=ev.pk)
        # Banten (taking part) asks DKI for 200 kits: accepted. A second loan of 70 is accepted, then cancelled.
        granted = mutualaid.create_request(
            setting["participant"], lender_id=setting["dki"].pk, event_id=ev.pk, region_code="36",
            lines=[{"kind": "items", "quantity": 200, "item_code": KIT}], needed_from=timezone.now(),
            contact_name="Dedi")
        cancelled = mutualaid.create_request(
            setting["participant"], lender_id=setting["dki"].pk, event_id=ev.pk, region_code="36",
            lines=[{"kind": "items", "quantity": 70, "item_code": KIT}], needed_from=timezone.now(),
            contact_name="Dedi")
        for r, qty in ((granted, 200), (cancelled, 70)):
            mutualaid.accept(setting["outsider"], r.pk, resources=[
                {"line_id": r.lines.get().pk, "item_code": KIT, "quantity": qty}])
        mutualaid.cancel(setting["participant"], cancelled.pk, note="Sudah cukup")
    period_end = timezone.now() - dt.timedelta(hours=1)
    # After the period: 25 more kits go out (not yet sent when the report's period ends).
    late = logistics.send_shipment(lead, stock["wh"].pk, lines=[{"item_code": KIT, "quantity": 25}],
                                   destination_region_code=KEL_B, event_id=ev.pk)

    data = services.compute_sitrep(lead, ev.pk, period_start=setting["t0"], period_end=period_end)
    kits = _kits(data)
    assert kits["shipped"]["quantity"] == 200 and kits["total"] == 200
    assert [(s["kind"], s["id"], s["quantity"]) for s in kits["shipped"]["sources"]] == [("shipment", sent.pk, 200)]
    assert kits["shipped"]["received"] == 0  # sent, not yet received
    assert kits["mutual_aid"]["quantity"] == 200  # the cancelled loan of 70 is not there
    assert [(s["kind"], s["id"]) for s in kits["mutual_aid"]["sources"]] == [("mutual_aid", granted.pk)]
    assert kits["name"] and kits["unit"]

    # The late shipment counts in a report whose period covers it, and a distribution adds to the total.
    logistics.distribute(lead, stock["wh"].pk, region_code=KEL_A, households=10, people=38,
                         lines=[{"item_code": KIT, "quantity": 10}], event_id=ev.pk)
    now = services.compute_sitrep(lead, ev.pk, period_start=period_end)
    kits = _kits(now)
    assert kits["shipped"]["quantity"] == 225 and kits["shipped"]["in_period"] == 25
    assert {s["id"] for s in kits["shipped"]["sources"]} == {sent.pk, late.pk}
    assert kits["distributed"]["quantity"] == 10 and kits["distributed"]["people"] == 38
    assert kits["total"] == 235 and kits["total_in_period"] == 35


def test_another_events_shipment_is_not_in_the_report(setting, stock):
    from siaga.disaster import services as disaster_services

    lead = setting["lead"]
    other = disaster_services.create_event(lead, name="Longsor Pacet", type_code="banjir",
                                           started_at=setting["t0"], phase="emergency_response",
                                           affected_region_codes=["35.76"])
    logistics.send_shipment(lead, stock["wh"].pk, lines=[{"item_code": KIT, "quantity": 30}],
                            destination_region_code=KEL_A, event_id=other.pk)
    data = services.compute_sitrep(lead, setting["event"].pk)
    assert data["relief"]["lines"] == []


def test_the_issued_sitrep_page_shows_the_kits_and_the_shipment_behind_them(setting, stock):
    from tests.conftest import client_for

    lead, ev = setting["lead"], setting["event"]
    sent = logistics.send_shipment(lead, stock["wh"].pk, lines=[{"item_code": KIT, "quantity": 200}],
                                   destination_region_code=KEL_A, event_id=ev.pk)
    sr, _ = services.issue_sitrep(lead, ev.pk)
    assert _kits(sr.data)["total"] == 200
    html = client_for(setting["lead_user"]).get(f"/bencana/laporan/terbit/{sr.pk}/").content.decode()
    assert f'data-relief-item="{KIT}"' in html
    assert '<td data-figure="total"><strong>200 ' in html
    assert f'data-source="shipment-{sent.pk}"' in html and f"/bencana/logistik/pengiriman/{sent.pk}/" in html


def test_the_pdf_grows_with_the_relief_sent_table(setting, stock):
    from siaga.disaster.reports import exports

    lead, ev = setting["lead"], setting["event"]
    before = exports.sitrep_pdf(services.compute_sitrep(lead, ev.pk))
    for n in range(40):  # enough lines of records to need room
        logistics.send_shipment(lead, stock["wh"].pk, lines=[{"item_code": KIT, "quantity": 1}],
                                destination_region_code=KEL_A, event_id=ev.pk)
    data = services.compute_sitrep(lead, ev.pk)
    assert _kits(data)["total"] == 40 and len(_kits(data)["shipped"]["sources"]) == 40
    after = exports.sitrep_pdf(data)
    assert after.startswith(b"%PDF-") and len(after) > len(before)
