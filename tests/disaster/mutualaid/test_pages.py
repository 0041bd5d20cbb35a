"""Mutual-aid pages: both directions in one list, a request form, a detail page whose buttons belong to the
side whose turn it is, and fragments the live script reloads; a third province sees none of it."""

import datetime as dt

import pytest

from siaga.disaster.mutualaid.models import MutualAidRequest

pytestmark = pytest.mark.django_db
BASE = "/bencana/bantuan-antarprovinsi/"


def _text(response) -> str:
    return response.content.decode()


def test_the_list_shows_each_request_in_the_right_direction(world):
    r = world.request()
    dki = _text(world.client("dki").get(BASE))
    jabar = _text(world.client("jabar").get(BASE))
    banten = _text(world.client("banten").get(BASE))
    assert f'data-request-id="{r.pk}"' in dki and "PMI Jawa Barat" in dki
    assert f'data-request-id="{r.pk}"' in jabar and "ma-row--turn" in jabar
    assert f'data-request-id="{r.pk}"' not in banten
    assert 'data-stream-url="/api/stream?topics=mutual_aid"' in dki


def test_the_list_fragment_is_what_the_live_script_reloads(world):
    r = world.request()
    frag = world.client("jabar").get(BASE + "?fragment=1")
    assert frag.status_code == 200
    html = _text(frag)
    assert f'data-request-id="{r.pk}"' in html and "<html" not in html


def test_a_request_is_made_on_the_form_and_a_double_submit_is_one_request(world):
    client = world.client("dki")
    form = client.get(BASE + "baru/")
    assert form.status_code == 200 and "PMI Banten" in _text(form) and "PMI DKI Jakarta</option>" not in _text(form)
    data = {"client_ref": "abc123", "lender_id": world.jabar.pk, "volunteers_quantity": "5",
            "volunteers_description": "Tim SAR air", "items_quantity": "200", "items_description": "Terpal",
            "region_code": "31.71", "needed_from": "2026-11-26T08:00", "contact_name": "Budi",
            "contact_phone": "0812-1111-2222"}
    first = client.post(BASE + "baru/", data)
    second = client.post(BASE + "baru/", data)
    r = MutualAidRequest.objects.get()
    assert first.status_code == second.status_code == 302 and first["Location"].endswith(f"/{r.pk}/")
    assert [(ln.kind, ln.quantity) for ln in r.lines.all()] == [("volunteers", 5), ("items", 200)]
    # Typed in Jakarta time (WIB): stored as UTC.
    assert r.needed_from.astimezone(dt.timezone.utc).hour == 1


def test_a_form_error_is_explained_and_nothing_is_stored(world):
    res = world.client("dki").post(BASE + "baru/", {"lender_id": world.jabar.pk, "region_code": "31.71",
                                                    "needed_from": "2026-11-26T08:00", "contact_name": "Budi"})
    assert res.status_code == 422 and 'data-error-field="lines"' in _text(res)
    assert not MutualAidRequest.objects.exists()


def test_only_the_side_whose_turn_it_is_gets_the_buttons(world):
    r = world.request()
    url = f"{BASE}{r.pk}/"
    jabar = _text(world.client("jabar").get(url))
    dki = _text(world.client("dki").get(url))
    assert 'data-action="accept"' in jabar and 'data-action="decline"' in jabar
    assert world.vol1.name in jabar and world.amb1.call_sign in jabar and world.banten_amb.call_sign not in jabar
    assert 'data-action="accept"' not in dki and 'data-action="cancel"' in dki
    assert world.client("banten").get(url).status_code == 404


def test_one_tap_steps_through_the_pages(world):
    r = world.request()
    lines = {ln.kind: ln for ln in r.lines.all()}
    jabar, dki = world.client("jabar"), world.client("dki")
    step_url = f"{BASE}{r.pk}/langkah/"
    res = jabar.post(step_url, {"action": "accept", f"line-{lines['volunteers'].pk}-volunteer": [world.vol1.pk],
                                f"line-{lines['ambulance'].pk}-unit": [world.amb1.pk],
                                f"line-{lines['items'].pk}-quantity": "80",
                                f"line-{lines['items'].pk}-item_code": "HSHETARP"})
    assert res.status_code == 302
    r.refresh_from_db()
    assert r.state == "accepted" and r.resources.count() == 3
    jabar.post(step_url, {"action": "dispatch"})
    dki.post(step_url, {"action": "arrive"})
    items = r.resources.get(kind="items")
    dki.post(step_url, {"action": "release", f"consumed-{items.pk}": "30"})
    r.refresh_from_db()
    items.refresh_from_db()
    assert r.state == "released" and items.consumed_quantity == 30
    detail = _text(dki.get(f"{BASE}{r.pk}/?fragment=1"))
    assert 'data-to-state="released"' in detail and "<html" not in detail


def test_a_wrong_side_tap_shows_the_refusal_and_changes_nothing(world):
    r = world.request()
    res = world.client("dki").post(f"{BASE}{r.pk}/langkah/", {"action": "decline", "note": "x"}, follow=True)
    assert "msg--error" in _text(res)
    r.refresh_from_db()
    assert r.state == "requested"
    assert world.client("banten").post(f"{BASE}{r.pk}/langkah/", {"action": "cancel"}).status_code in (302, 403, 404)
    r.refresh_from_db()
    assert r.state == "requested"


def test_pages_are_indonesian_by_default(world):
    r = world.request()
    html = _text(world.client("dki").get(f"{BASE}{r.pk}/"))
    assert 'lang="id"' in html


def test_every_page_is_free_of_inline_code_for_the_strict_csp(world):
    from tests.web.conftest import parse_markup

    r = world.request()
    for who, url in [("dki", BASE), ("dki", BASE + "baru/"), ("jabar", f"{BASE}{r.pk}/"), ("dki", f"{BASE}{r.pk}/")]:
        m = parse_markup(_text(world.client(who).get(url)))
        assert m.viewport and "width=device-width" in m.viewport, url
        assert m.inline_scripts == [] and m.handlers == [] and m.style_attrs == [], (url, m)
