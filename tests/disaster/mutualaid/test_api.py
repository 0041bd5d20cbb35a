"""The mutual-aid API end to end: create, list by side/state/event, detail, every step, and its refusals."""

import json

import pytest
from django.utils import timezone

from siaga.disaster.models import DisasterEvent
from siaga.disaster.mutualaid.models import MutualAidRequest

pytestmark = pytest.mark.django_db
BASE = "/api/disaster/mutual-aid/requests"


def _post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def _create(world, **extra):
    body = {"lender_id": world.jabar.pk, "region_code": "31.71", "needed_from": timezone.now().isoformat(),
            "contact_name": "Budi", "contact_phone": "081211112222",
            "lines": [{"kind": "volunteers", "quantity": 2}, {"kind": "ambulance", "quantity": 1}]}
    body.update(extra)
    return _post(world.client("dki"), BASE, body)


def test_the_whole_life_of_a_request_through_the_api(world):
    created = _create(world)
    assert created.status_code == 201, created.content
    r = created.json()
    assert r["state"] == "requested" and r["my_sides"] == ["borrower"] and r["next_actions"] == ["cancel"]
    jabar, dki = world.client("jabar"), world.client("dki")
    seen = jabar.get(f"{BASE}/{r['id']}").json()
    assert seen["my_sides"] == ["lender"] and seen["next_actions"] == ["accept", "decline"]
    lines = {line["kind"]: line["id"] for line in seen["lines"]}
    accepted = _post(jabar, f"{BASE}/{r['id']}/accept", {"resources": [
        {"line_id": lines["volunteers"], "volunteer_ids": [world.vol1.pk]},
        {"line_id": lines["ambulance"], "unit_ids": [world.amb2.pk]}], "note": "Siap berangkat"})
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["state"] == "accepted"
    assert {x["unit_call_sign"] or x["volunteer_name"] for x in body["resources"]} == {"AMB-JB-02", "Asep Sunandar"}
    for client, action, state in [(jabar, "dispatch", "dispatched"), (dki, "arrive", "arrived"),
                                  (dki, "release", "released"), (jabar, "return", "returned")]:
        res = _post(client, f"{BASE}/{r['id']}/{action}", {"note": ""})
        assert res.status_code == 200, (action, res.content)
        assert res.json()["state"] == state
    final = dki.get(f"{BASE}/{r['id']}").json()
    assert [t["to_state"] for t in final["transitions"]] == [
        "requested", "accepted", "dispatched", "arrived", "released", "returned"]
    assert final["returned_at"] and final["next_actions"] == []


def test_a_repeated_step_answers_200_unchanged_and_an_illegal_one_409(world):
    r = _create(world).json()
    jabar = world.client("jabar")
    first = _post(jabar, f"{BASE}/{r['id']}/decline", {"note": "Tidak ada armada"})
    again = _post(jabar, f"{BASE}/{r['id']}/decline", {"note": "Tidak ada armada"})
    assert first.status_code == again.status_code == 200
    assert first.json()["transitions"] == again.json()["transitions"]
    illegal = _post(jabar, f"{BASE}/{r['id']}/dispatch")
    assert illegal.status_code == 409 and illegal.json()["error"]["code"] == "illegal_transition"


def test_the_wrong_side_gets_403_and_a_third_province_cannot_see(world):
    r = _create(world).json()
    wrong = _post(world.client("dki"), f"{BASE}/{r['id']}/decline", {"note": "x"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_side"
    banten = world.client("banten")
    assert banten.get(f"{BASE}/{r['id']}").status_code == 404
    assert banten.get(BASE).json()["count"] == 0
    refused = _post(banten, f"{BASE}/{r['id']}/cancel")
    assert refused.status_code == 403
    assert MutualAidRequest.objects.get(pk=r["id"]).state == "requested"


def test_the_list_filters_by_side_state_and_event(world):
    event = DisasterEvent.objects.create(organization=world.dki, region_code="31", name="Banjir Jakarta",
                                         type_id="banjir", started_at=timezone.now())
    a = _create(world, event_id=event.pk).json()
    b = _create(world).json()
    _post(world.client("jabar"), f"{BASE}/{b['id']}/decline", {"note": "Penuh"})
    dki, jabar = world.client("dki"), world.client("jabar")

    def ids(client, query=""):
        return {x["id"] for x in client.get(f"{BASE}{query}").json()["items"]}

    assert ids(dki, "?side=borrower") == {a["id"], b["id"]}
    assert ids(dki, "?side=lender") == set()
    assert ids(jabar, "?side=lender") == {a["id"], b["id"]}
    assert ids(dki, "?state=declined") == {b["id"]}
    assert ids(dki, f"?event_id={event.pk}") == {a["id"]}
    assert ids(dki, "?active=true") == {a["id"]}
    assert dki.get(f"{BASE}?state=lost").status_code == 422


def test_bad_input_is_422_or_a_clear_service_error(world):
    assert _create(world, lines=[]).status_code == 422
    assert _create(world, lines=[{"kind": "volunteers", "quantity": 0}]).status_code == 422
    same = _create(world, lender_id=world.dki.pk)
    assert same.status_code == 400 and same.json()["error"]["code"] == "own_organization"
    assert not MutualAidRequest.objects.exists()


def test_a_retried_create_with_the_same_client_ref_is_one_request(world):
    a = _create(world, client_ref="hp-77")
    b = _create(world, client_ref="hp-77")
    assert a.json()["id"] == b.json()["id"]
    assert MutualAidRequest.objects.count() == 1


def test_the_list_costs_the_same_queries_for_two_or_six_requests(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = world.client("jabar")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BASE).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        _create(world)
    few = queries()
    for _ in range(4):
        _create(world)
    assert queries() == few
