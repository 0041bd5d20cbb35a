"""Calls through the API: start, answer, close, attach, read, list, and the caller's history."""

import pytest

from siaga.callcenter.models import Call, CallerNumber

from .conftest import MOBILE_E164, patch, post

pytestmark = pytest.mark.django_db

# Answered for the caller's own call center only: another call center's record of the same number
# is never read (checked in test_history_is_per_call_center below).
NOT_TENANT_DATA = {
    "/api/callcenter/callers/{number}/history": "always the caller's own call center's record of a number; "
                                                "checked in tests/callcenter/test_api_calls.py",
}


def test_a_call_from_start_to_close(cc, capture_events):
    c = cc.client()
    with capture_events() as evs:
        r = post(c, "/api/callcenter/calls", {"channel": "phone", "caller_number": "0812-3456-7890"})
        assert r.status_code == 201, r.content
        call = r.json()
        assert call["caller_number"] == MOBILE_E164 and call["answered_at"] is None and call["warning"] is None
        r = post(c, f"/api/callcenter/calls/{call['id']}/answer")
        assert r.status_code == 200 and r.json()["answered_at"]
        r = post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "silent", "reason": "Tidak ada suara"})
        assert r.status_code == 200, r.content
    body = r.json()
    assert (body["outcome"], body["outcome_reason"]) == ("silent", "Tidak ada suara") and body["outcome_label"]
    assert [e["type"] for e in evs] == ["call.started", "call.answered", "call.closed"]


def test_closing_twice_conflicts(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    assert post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "test"}).status_code == 200
    r = post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "information"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "call_closed"


def test_a_prank_without_reason_is_refused(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    r = post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "prank"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "reason_required"


def test_an_outcome_outside_the_list_is_invalid_input(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    r = post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "new_incident"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input"


def test_attach_through_the_api(cc):
    inc = cc.incident()
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone", "caller_number": "085643219876"}).json()
    r = post(c, f"/api/callcenter/calls/{call['id']}/attach", {"incident_id": inc.pk})
    assert r.status_code == 200, r.content
    assert (r.json()["outcome"], r.json()["incident_number"]) == ("attached", inc.number)


def test_a_flagged_number_is_answered_with_a_warning(cc):
    CallerNumber.objects.create(organization=cc.org, number=MOBILE_E164, flagged=True, policy="warn")
    r = post(cc.client(), "/api/callcenter/calls", {"channel": "phone", "caller_number": "081234567890"},
             HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 201
    body = r.json()
    assert body["caller_flagged"] and body["caller_policy"] == "warn"
    assert body["warning"]  # a sentence naming the policy, shown above the form
    assert Call.objects.filter(pk=body["id"]).exists()


def test_list_filters(cc):
    c = cc.client()
    open_call = post(c, "/api/callcenter/calls", {"channel": "phone", "caller_number": "081234567890"}).json()
    closed = post(c, "/api/callcenter/calls", {"channel": "sms", "caller_number": "085600001111"}).json()
    post(c, f"/api/callcenter/calls/{closed['id']}/close", {"outcome": "test"})
    ids = lambda r: [x["id"] for x in r.json()["items"]]  # noqa: E731
    assert ids(c.get("/api/callcenter/calls", {"open": "true"})) == [open_call["id"]]
    assert ids(c.get("/api/callcenter/calls", {"outcome": "test"})) == [closed["id"]]
    assert ids(c.get("/api/callcenter/calls", {"number": "0812 3456 7890"})) == [open_call["id"]]
    assert ids(c.get("/api/callcenter/calls", {"channel": "sms"})) == [closed["id"]]
    assert c.get("/api/callcenter/calls").json()["count"] == 2


def test_get_one_call(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "web", "external_id": "x-1"}).json()
    r = c.get(f"/api/callcenter/calls/{call['id']}")
    assert r.status_code == 200 and r.json()["channel"] == "web" and r.json()["answered_at"]


def test_history_as_the_number_is_typed(cc):
    cc.incident()
    r = cc.client().get("/api/callcenter/callers/0812-3456-7890/history")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["number"] == MOBILE_E164 and body["total_calls"] == 1 and len(body["incidents"]) == 1


def test_history_of_an_invalid_number_is_a_clear_error(cc):
    r = cc.client().get("/api/callcenter/callers/123/history")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_phone"


def test_history_is_per_call_center(cc):
    cc.incident()  # at Kabupaten Mojokerto
    r = cc.client("other_call_taker").get("/api/callcenter/callers/081234567890/history")
    body = r.json()
    assert (body["known"], body["total_calls"], body["calls"], body["incidents"]) == (False, 0, [], [])


def test_agencies_have_no_access_to_calls(cc):
    c = cc.client("psc_liaison")
    assert c.get("/api/callcenter/calls").status_code == 403
    assert post(c, "/api/callcenter/calls", {"channel": "phone"}).status_code == 403
    assert c.get("/api/callcenter/callers/081234567890/history").status_code == 403


def test_the_number_typed_after_the_call_started_is_saved_and_checked(cc, capture_events):
    CallerNumber.objects.create(organization=cc.org, number=MOBILE_E164, flagged=True, policy="warn")
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    assert call["caller_number"] == "" and not call["caller_flagged"]
    with capture_events() as evs:
        r = patch(c, f"/api/callcenter/calls/{call['id']}", {"caller_number": "0812 3456 7890"})
    assert r.status_code == 200, r.content
    assert (r.json()["caller_number"], r.json()["caller_flagged"]) == (MOBILE_E164, True)
    assert [e["type"] for e in evs] == ["call.updated"]
    r = patch(c, f"/api/callcenter/calls/{call['id']}", {"caller_number": "12"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_phone"
    assert Call.objects.get(pk=call["id"]).caller_number == MOBILE_E164


def test_the_number_of_a_closed_call_is_not_changed(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone", "caller_number": "081234567890"}).json()
    post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "test"})
    r = patch(c, f"/api/callcenter/calls/{call['id']}", {"caller_number": "085600001111"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "call_closed"


def test_closing_with_the_number_saves_it_first_so_it_counts(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    r = post(c, f"/api/callcenter/calls/{call['id']}/close",
             {"outcome": "prank", "reason": "Tertawa", "caller_number": "081234567890"})
    assert r.status_code == 200, r.content
    assert r.json()["caller_number"] == MOBILE_E164
    assert CallerNumber.objects.get(number=MOBILE_E164).nuisance_calls == 1


def test_a_bad_number_with_the_outcome_refuses_the_whole_action(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    r = post(c, f"/api/callcenter/calls/{call['id']}/close", {"outcome": "test", "caller_number": "99"})
    assert r.status_code == 400
    assert Call.objects.get(pk=call["id"]).outcome == ""


def test_creating_an_incident_with_the_number_saves_it_on_the_call(cc):
    c = cc.client()
    call = post(c, "/api/callcenter/calls", {"channel": "phone"}).json()
    r = post(c, "/api/callcenter/incidents", {"type_code": "banjir", "region_code": "35.16", "call_id": call["id"],
                                              "caller_number": "081234567890"})
    assert r.status_code == 201, r.content
    assert r.json()["calls"][0]["caller_number"] == MOBILE_E164
