"""SOP checklists per disaster type and the drills that tick their items off."""

from __future__ import annotations

import datetime as dt

import pytest

from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster.readiness import services
from siaga.disaster.readiness.models import Drill
from tests.conftest import client_for

from .conftest import KEL, days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def checklist(area):
    return services.save_checklist(area["m"], type_code="banjir", title="SOP banjir", version="2026",
                                   items=["Pantau TMA", "Buka posko", "Evakuasi kelompok rentan"])


def test_a_drill_records_the_items_done_by_which_organisation_when(area, checklist, capture_events):
    items = list(checklist.items.order_by("position"))
    with capture_events() as evs:
        drill = services.record_drill(area["m"], checklist_id=checklist.pk, held_on=days_ago(3), region_code=KEL,
                                      title="Simulasi banjir", completed_item_ids=[items[0].pk, items[2].pk],
                                      participants=25)
    assert drill.organization == area["org"] and drill.held_on == days_ago(3)
    assert sorted(i.pk for i in drill.completed_items.all()) == [items[0].pk, items[2].pk]
    [ev] = [e for e in evs if e["type"] == "drill.recorded"]
    assert (ev["payload"]["completed_items"], ev["payload"]["total_items"]) == (2, 3)


def test_items_of_another_checklist_are_refused_and_nothing_is_written(area, checklist):
    other = services.save_checklist(area["m"], type_code="gempa_bumi", title="SOP gempa", items=["Berlindung"])
    with pytest.raises(ServiceError) as exc:
        services.record_drill(area["m"], checklist_id=checklist.pk, held_on=days_ago(1), region_code=KEL,
                              title="x", completed_item_ids=[other.items.get().pk])
    assert exc.value.code == "foreign_items"
    assert not Drill.objects.exists()


def test_a_drill_in_the_future_or_outside_the_area_is_refused(area, checklist):
    with pytest.raises(ServiceError) as exc:
        services.record_drill(area["m"], checklist_id=checklist.pk, held_on=days_ago(-2), region_code=KEL, title="x")
    assert exc.value.code == "future_date"
    with pytest.raises(PermissionDenied):
        services.record_drill(area["m"], checklist_id=checklist.pk, held_on=days_ago(1), region_code="32.75",
                              title="x")
    with pytest.raises(PermissionDenied):
        services.record_drill(area["v"], checklist_id=checklist.pk, held_on=days_ago(1), region_code=KEL, title="x")
    assert not Drill.objects.exists()


def test_editing_a_checklist_retires_dropped_items_and_keeps_ticked_ones(area, checklist):
    first = checklist.items.get(text="Pantau TMA")
    drill = services.record_drill(area["m"], checklist_id=checklist.pk, held_on=days_ago(1), region_code=KEL,
                                  title="x", completed_item_ids=[first.pk])
    services.save_checklist(area["m"], checklist_id=checklist.pk, type_code="banjir", title="SOP banjir",
                            items=["Buka posko", "Pantau TMA", "Dapur umum"])
    live = list(checklist.items.filter(retired=False).order_by("position").values_list("text", flat=True))
    assert live == ["Buka posko", "Pantau TMA", "Dapur umum"]
    assert checklist.items.get(text="Evakuasi kelompok rentan").retired
    assert list(drill.completed_items.all()) == [first]  # still the same item
    with pytest.raises(PermissionDenied):
        services.save_checklist(area["other_manager"], checklist_id=checklist.pk, type_code="banjir", title="x",
                                items=["y"])


def test_a_checklist_needs_distinct_items_and_a_known_type(area):
    for kwargs, code in [({"type_code": "banjir", "items": []}, "items_required"),
                         ({"type_code": "banjir", "items": ["a", "a"]}, "duplicate_item"),
                         ({"type_code": "meteor", "items": ["a"]}, "unknown_type")]:
        with pytest.raises(ServiceError) as exc:
            services.save_checklist(area["m"], title="x", **kwargs)
        assert exc.value.code == code


def test_the_drill_page_records_ticked_items(area, checklist):
    c = client_for(area["manager"])
    items = list(checklist.items.order_by("position"))
    page = c.get(f"/bencana/kesiapsiagaan/sop/{checklist.pk}/latihan/").content.decode()
    assert "Pantau TMA" in page
    r = c.post(f"/bencana/kesiapsiagaan/sop/{checklist.pk}/latihan/",
               {"title": "Simulasi", "held_on": days_ago(2).isoformat(), "region_code": KEL, "participants": "10",
                "items": [str(items[1].pk)]})
    assert r.status_code == 302
    drill = Drill.objects.get()
    assert list(drill.completed_items.all()) == [items[1]] and drill.participants == 10
    listing = c.get("/bencana/kesiapsiagaan/sop/").content.decode()
    assert "Simulasi" in listing
    r = c.post(f"/bencana/kesiapsiagaan/sop/{checklist.pk}/latihan/",
               {"title": "Besok", "held_on": (dt.date.today() + dt.timedelta(days=3)).isoformat(), "region_code": KEL})
    assert r.status_code == 200 and Drill.objects.count() == 1
    assert client_for(area["vol_user"]).get(f"/bencana/kesiapsiagaan/sop/{checklist.pk}/latihan/").status_code == 403
