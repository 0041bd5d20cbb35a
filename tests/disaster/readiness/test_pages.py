"""Readiness pages: the overview shows lights with their rules, the SOP pages write checklists, the risk map
page loads its layers from the API with no inline script."""

import re

import pytest

from siaga.disaster.readiness.models import SopChecklist
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _no_inline_script(body: str):
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "inline script under the strict CSP"
    assert not re.search(r"\son[a-z]+=", body), "inline event handler"


def test_the_overview_shows_every_component_with_its_rule(area):
    c = client_for(area["manager"])
    body = c.get("/bencana/kesiapsiagaan/").content.decode()
    assert 'data-readiness="36.71"' in body
    for key in ("volunteers", "stock", "vehicles", "sop", "training"):
        assert f'data-component="{key}"' in body
    assert body.count('class="muted rule"') == 5
    _no_inline_script(body)
    # Another province's kab/kota is refused with the refusal page.
    other = c.get("/bencana/kesiapsiagaan/?wilayah=32.75")
    assert other.status_code == 403 and 'data-readiness="32.75"' not in other.content.decode()


def test_volunteers_read_readiness_but_do_not_write_checklists(area):
    c = client_for(area["vol_user"])
    assert c.get("/bencana/kesiapsiagaan/").status_code == 200
    assert c.get("/bencana/kesiapsiagaan/sop/").status_code == 200
    assert c.get("/bencana/kesiapsiagaan/sop/baru/").status_code == 403


def test_a_manager_writes_a_checklist_on_the_page(area):
    c = client_for(area["manager"])
    r = c.post("/bencana/kesiapsiagaan/sop/baru/", {"type_code": "tanah_longsor", "title": "SOP longsor",
                                                    "items": "Pantau retakan\r\nEvakuasi warga lereng\r\n\r\n"})
    assert r.status_code == 302
    checklist = SopChecklist.objects.get()
    assert list(checklist.items.values_list("text", flat=True)) == ["Pantau retakan", "Evakuasi warga lereng"]
    assert "SOP longsor" in c.get("/bencana/kesiapsiagaan/sop/").content.decode()
    r = c.post("/bencana/kesiapsiagaan/sop/baru/", {"type_code": "banjir", "title": "Kosong", "items": ""})
    assert r.status_code == 200 and SopChecklist.objects.count() == 1


def test_the_risk_map_page_points_at_the_layer_api(area):
    body = client_for(area["vol_user"]).get("/bencana/kesiapsiagaan/peta/").content.decode()
    assert 'data-risk-map data-api="/api/disaster/readiness/layers/"' in body
    for layer in ("events", "warnings", "affected", "volunteers", "warehouses", "quakes", "faults", "border-zones"):
        assert f'value="{layer}"' in body
    assert "disaster_readiness/risk_map.js" in body and "vendor/leaflet/leaflet.js" in body
    _no_inline_script(body)
