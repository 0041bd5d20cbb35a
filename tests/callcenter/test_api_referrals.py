"""The referrals API: lists for each side, actions with their status codes, the board, errors in one shape."""

import json

from siaga.callcenter.models import Referral

from .referrals_helpers import make_referral, world  # noqa: F401

BASE = "/api/callcenter/referrals"

# Not tenant rows: the directory of public agencies a call center may refer to (names and kinds only).
NOT_TENANT_DATA = {
    "/api/callcenter/referrals/agencies": "directory of public responder agencies (names, kinds, areas) that a call "
                                          "center may refer incidents to; holds no tenant records",
}


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def test_the_call_center_lists_the_referrals_of_its_incidents(world):
    inc = world.incident(status="referred")
    a = make_referral(inc, world.psc)
    b = make_referral(inc, world.police)
    r = world.client("call_taker").get(BASE)
    assert r.status_code == 200
    assert sorted(item["id"] for item in r.json()) == sorted([a.pk, b.pk])
    item = next(i for i in r.json() if i["id"] == a.pk)
    assert item["agency_name"] == "PSC 119 Kota Mojokerto" and item["region_name"] == "Kranggan"
    assert item["allowed_actions"] == ["cancel"]


def test_an_agency_lists_only_what_was_referred_to_it(world):
    inc = world.incident(status="referred")
    mine = make_referral(inc, world.psc)
    make_referral(inc, world.police)
    r = world.client("psc_liaison").get(BASE)
    assert r.status_code == 200
    assert [item["id"] for item in r.json()] == [mine.pk]
    assert r.json()[0]["allowed_actions"] == ["acknowledge", "decline"]


def test_filters_by_status_open_and_incident(world):
    inc = world.incident(status="referred")
    open_ref = make_referral(inc, world.psc)
    closed = make_referral(inc, world.police, status="closed")
    other = make_referral(world.incident(status="referred"), world.fire)
    c = world.client("call_taker")
    assert [i["id"] for i in c.get(f"{BASE}?status=closed").json()] == [closed.pk]
    assert sorted(i["id"] for i in c.get(f"{BASE}?open=true").json()) == sorted([open_ref.pk, other.pk])
    assert len(c.get(f"{BASE}?incident_id={inc.pk}").json()) == 2


def test_the_agency_works_its_referral_through_the_api(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    c = world.client("psc_liaison")
    r = _post(c, f"{BASE}/{ref.pk}/acknowledge")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["acknowledged_at"]
    r = _post(c, f"{BASE}/{ref.pk}/commit", {"resources": "1 ambulans"})
    assert r.status_code == 200 and r.json()["resources"] == "1 ambulans"
    r = _post(c, f"{BASE}/{ref.pk}/close", {"note": "selesai"})
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["allowed_actions"] == []


def test_an_invalid_transition_is_409_and_changes_nothing(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    r = _post(world.client("psc_liaison"), f"{BASE}/{ref.pk}/close")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "invalid_transition"
    assert r.json()["error"]["details"]["allowed"] == ["acknowledge", "decline", "cancel"]
    ref.refresh_from_db()
    assert ref.status == "requested"


def test_decline_without_reason_is_refused(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    r = _post(world.client("psc_liaison"), f"{BASE}/{ref.pk}/decline", {"reason": ""})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"
    r = _post(world.client("psc_liaison"), f"{BASE}/{ref.pk}/decline", {"reason": "  "})
    assert r.status_code == 400 and r.json()["error"]["code"] == "reason_required"
    ref.refresh_from_db()
    assert ref.status == "requested"


def test_the_call_center_refers_and_cancels(world):
    inc = world.incident()
    c = world.client("call_taker")
    r = _post(c, BASE, {"incident_id": inc.pk, "agency_id": world.fire.pk})
    assert r.status_code == 201 and r.json()["agency_id"] == world.fire.pk and r.json()["seconds_remaining"] > 0
    again = _post(c, BASE, {"incident_id": inc.pk, "agency_id": world.fire.pk})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_referred"
    r = _post(c, f"{BASE}/{r.json()['id']}/cancel", {"reason": "Api sudah padam"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["note"] == "Api sudah padam"


def test_an_agency_may_not_refer_or_cancel(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    c = world.client("psc_liaison")
    assert _post(c, BASE, {"incident_id": ref.incident_id, "agency_id": world.fire.pk}).status_code == 403
    assert _post(c, f"{BASE}/{ref.pk}/cancel", {"reason": "x"}).status_code == 403
    assert Referral.objects.count() == 1


def test_referring_another_call_centers_incident_is_404(world, make_org):
    other = make_org(kind="cc112", region_code="35.76", name="CC lain")
    from .referrals_helpers import make_incident

    theirs = make_incident(other, world.types["uji-pohon"])
    r = _post(world.client("call_taker"), BASE, {"incident_id": theirs.pk, "agency_id": world.fire.pk})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert not Referral.objects.exists()


def test_the_board_lists_open_referrals_unanswered_first_with_seconds_left(world):
    inc = world.incident(status="referred", priority=1)
    committed = make_referral(inc, world.fire, status="committed")
    late = make_referral(inc, world.psc, minutes_ago=10)
    fresh = make_referral(world.incident(status="referred", priority=4), world.police)
    make_referral(world.incident(status="referred"), world.regency_police, status="closed")
    r = world.client("dispatcher").get(f"{BASE}/board")
    assert r.status_code == 200
    items = r.json()["items"]
    assert [i["id"] for i in items] == [late.pk, fresh.pk, committed.pk]
    assert items[0]["state"] == "overdue" and items[0]["seconds_remaining"] < 0
    assert items[1]["state"] == "waiting" and 29 * 60 < items[1]["seconds_remaining"] <= 30 * 60
    assert items[2]["seconds_remaining"] is None


def test_agencies_lists_responders_of_the_area(world):
    r = world.client("call_taker").get(f"{BASE}/agencies")
    assert r.status_code == 200
    names = {a["name"] for a in r.json()}
    assert {"PSC 119 Kota Mojokerto", "Polres Mojokerto Kota", "Damkar Kota Mojokerto"} <= names
    assert "Call Center 112 Kota Mojokerto" not in names and "Polres Mojokerto" not in names
    assert world.client("psc_liaison").get(f"{BASE}/agencies").status_code == 403


def test_anonymous_callers_are_refused(client, world):
    assert client.get(BASE).status_code == 401
    assert client.get(f"{BASE}/board").status_code == 401


def test_the_list_and_board_cost_the_same_queries_for_many_referrals(world, django_assert_max_num_queries):
    c = world.client("dispatcher")
    make_referral(world.incident(status="referred"), world.psc)
    with django_assert_max_num_queries(100) as few:
        c.get(BASE)
        c.get(f"{BASE}/board")
    for _ in range(8):
        inc = world.incident(status="referred")
        make_referral(inc, world.psc)
        make_referral(inc, world.police, status="acknowledged")
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert len(c.get(BASE).json()) == 17
        assert len(c.get(f"{BASE}/board").json()["items"]) == 17
    assert len(many.captured_queries) == len(few.captured_queries)
