"""Disaster pages: warnings with their affected areas, the dead-letter review, events and their timeline."""

import pytest

from siaga.disaster import services
from siaga.disaster.models import DisasterEvent, FeedItemError

from .conftest import cap_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="36")
    return {"manager": login(make_user("disaster_manager", org, scope_code="36")),
            "volunteer": login(make_user("volunteer", org, scope_code="36")),
            "call_taker": login(make_user("call_taker", make_org(region_code="36"), scope_code="36"))}


def test_the_warning_page_lists_affected_kecamatan_and_points_the_map_at_the_api(people, banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    r = people["volunteer"].get(f"/bencana/peringatan/{w.pk}/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "Lebakgedong" in body and "Citangkil" in body
    assert f'data-url="/api/disaster/warnings/{w.pk}/map"' in body
    assert "<script>" not in body.replace('<script src', '')  # no inline script under the strict CSP
    assert "WIB" in body  # shown in Banten's zone


def test_the_list_shows_warnings_to_volunteers_only_with_permission(people, system):
    services.ingest_cap(system, cap_xml(headline="Uji daftar"), source_name="a")
    assert "Uji daftar" in people["volunteer"].get("/bencana/").content.decode()
    assert people["call_taker"].get("/bencana/").status_code == 403


def test_a_manager_reviews_a_dead_letter_on_the_page(people, system):
    services.ingest_cap(system, b"<html>", source_name="bad-item")
    page = people["manager"].get("/bencana/antrean-galat/").content.decode()
    assert "bad-item" in page
    item = FeedItemError.objects.get()
    r = people["manager"].post("/bencana/antrean-galat/", {"item_id": item.pk, "note": "bukan CAP"})
    assert r.status_code == 302
    item.refresh_from_db()
    assert item.reviewed and item.review_note == "bukan CAP"
    assert people["volunteer"].get("/bencana/antrean-galat/").status_code == 403


def test_a_manager_opens_an_event_and_writes_its_timeline(people):
    r = people["manager"].post("/bencana/kejadian/", {"name": "Banjir Serang", "type_code": "banjir",
                                                      "phase": "warning", "region_codes": "36.71"})
    ev = DisasterEvent.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/bencana/kejadian/{ev.pk}/"
    people["manager"].post(f"/bencana/kejadian/{ev.pk}/", {"action": "note", "text": "Posko dibuka."})
    people["manager"].post(f"/bencana/kejadian/{ev.pk}/", {"action": "phase", "phase": "emergency_response"})
    page = people["volunteer"].get(f"/bencana/kejadian/{ev.pk}/").content.decode()
    assert "Posko dibuka." in page and 'name="phase"' not in page  # a volunteer reads, does not steer
    ev.refresh_from_db()
    assert ev.phase == "emergency_response"


def test_a_bad_event_form_shows_the_error_and_keeps_the_input(people):
    r = people["manager"].post("/bencana/kejadian/", {"name": "Banjir", "type_code": "banjir", "region_codes": "99.99"})
    assert r.status_code == 200 and "99.99" in r.content.decode()
    assert not DisasterEvent.objects.exists()
