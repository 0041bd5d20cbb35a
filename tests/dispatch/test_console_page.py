"""The dispatcher's console page: who may open it, what its server-rendered state holds (and hides from other
organisations), and a bounded number of queries however many units there are."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from siaga.core.permissions import system_actor
from siaga.dispatch import services
from siaga.dispatch.models import CrewMember

from .conftest import put_on_shift

URL = "/dispatch/"


def page_json(response, element_id: str) -> dict:
    html = response.content.decode()
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert m, f"{element_id} missing from the page"
    return json.loads(m.group(1))


def test_url_name_and_login_required(client):
    assert reverse("dispatch:console") == URL
    r = client.get(URL)
    assert r.status_code == 302 and "/login" in r["Location"]


def test_dispatcher_sees_units_incidents_hospitals_and_may_act(fleet):
    inc = fleet.incident()
    r = fleet.client().get(URL)
    assert r.status_code == 200
    state = page_json(r, "console-state")
    config = page_json(r, "console-config")
    calls = {u["call_sign"]: u for u in state["units"]}
    # PMI's ambulances are dispatched by PSC 119 directly; the neighbour's mutual-aid unit is not listed as ours.
    assert set(calls) == {"AMB-01", "AMB-02"}
    assert calls["AMB-01"]["direct"] is True and calls["AMB-01"]["crewed_now"] is True
    assert calls["AMB-02"]["crewed_now"] is False
    assert [c["name"] for c in calls["AMB-01"]["crew"]] == ["Budi Santoso", "Siti Aminah"]
    assert [i["id"] for i in state["incidents"]] == [inc.pk]
    assert [h["name"] for h in state["hospitals"]] == ["RSUD dr. Wahidin Sudiro Husodo"]
    assert config["can_dispatch"] is True
    assert config["stream_url"] == "/api/stream?topics=units,dispatches,incidents,hospitals"
    body = r.content.decode()
    # The hooks the browser test and the crews' page rely on, and no inline script (strict CSP).
    assert 'data-testid="ack-alarm"' in body
    assert "console.js" in body
    assert not re.search(r"<script(?![^>]*(src=|application/json))", body)
    assert " onclick=" not in body


def test_call_taker_may_not_open_the_console(fleet):
    # The console is for whoever may see units (unit.view): a call-taker of the same PSC may not.
    r = fleet.client("call_taker").get(URL)
    assert r.status_code == 403
    assert fleet.client("call_taker").get(reverse("dispatch:console_state")).status_code == 403


def test_crew_sees_the_console_without_dispatch_actions(fleet):
    r = fleet.client("crew").get(URL)
    assert r.status_code == 200
    config = page_json(r, "console-config")
    assert config["can_dispatch"] is False
    # A crew member cannot follow incidents, so the stream asks only for what its role may follow.
    assert "incidents" not in config["stream_url"]
    assert page_json(r, "console-state")["incidents"] == []


def test_another_organisations_dispatcher_sees_none_of_ours(fleet):
    inc = fleet.incident()
    services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    r = fleet.client("other_dispatcher").get(URL)
    assert r.status_code == 200
    state = page_json(r, "console-state")
    assert [u["call_sign"] for u in state["units"]] == ["AMB-K1"]
    assert state["incidents"] == [] and state["dispatches"] == [] and state["requests"] == []
    raw = r.content.decode()
    for secret in ("AMB-01", "AMB-02", inc.number, "Jl. Mojopahit", "Siti Aminah"):
        assert secret not in raw
    # Their state endpoint agrees.
    again = fleet.client("other_dispatcher").get(reverse("dispatch:console_state")).json()
    assert [u["call_sign"] for u in again["units"]] == ["AMB-K1"] and again["dispatches"] == []


def test_state_shows_live_dispatch_and_overdue_alarm(fleet):
    inc = fleet.incident()
    d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    c = fleet.client()
    state = c.get(reverse("dispatch:console_state")).json()
    [row] = state["dispatches"]
    assert (row["id"], row["status"], row["ack_overdue"], row["mine"]) == (d.pk, "alerted", False, True)
    assert {u["call_sign"]: u["status"] for u in state["units"]}["AMB-01"] == "alerted"
    services.raise_ack_alarms(timezone.now() + dt.timedelta(minutes=10))
    state = c.get(reverse("dispatch:console_state")).json()
    assert state["dispatches"][0]["ack_overdue"] is True


def test_unit_requests_on_both_sides(fleet):
    inc = fleet.incident()
    req = services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk, note="Tolong")
    made = fleet.client().get(reverse("dispatch:console_state")).json()["requests"]
    assert [(r["id"], r["made"], r["received"], r["status"]) for r in made] == [(req.pk, True, False, "requested")]
    received = fleet.client("other_dispatcher").get(reverse("dispatch:console_state")).json()["requests"]
    assert [(r["id"], r["made"], r["received"]) for r in received] == [(req.pk, False, True)]
    services.respond_unit_request(fleet.actor("other_dispatcher"), req.pk, accept=True)
    # Both see the unit's progress: the requester now follows AMB-K1 and its dispatch.
    ours = fleet.client().get(reverse("dispatch:console_state")).json()
    assert ours["requests"][0]["dispatch_status"] == "alerted"
    assert {u["call_sign"]: u["status"] for u in ours["units"]}["AMB-K1"] == "alerted"
    theirs = fleet.client("other_dispatcher").get(reverse("dispatch:console_state")).json()
    assert [d["call_sign"] for d in theirs["dispatches"]] == ["AMB-K1"]


@pytest.mark.parametrize("n_units", [20])
def test_query_count_is_bounded(fleet, django_assert_max_num_queries, n_units):
    sys = system_actor()
    now = timezone.now()
    for i in range(n_units - 2):
        u = services.create_unit(sys, call_sign=f"AMB-{i + 10}", kind="ambulance_basic", station=fleet.station,
                                 organization=fleet.pmi, dispatch_center=fleet.psc)
        driver = CrewMember.objects.create(organization=fleet.pmi, name=f"Sopir {i}", qualifications=["driver"])
        nurse = CrewMember.objects.create(organization=fleet.pmi, name=f"Perawat {i}", qualifications=["nurse"])
        put_on_shift(u, (driver, "driver"), (nurse, "nurse"), start=now - dt.timedelta(hours=2))
    incidents = [fleet.incident(description=f"Kejadian {i}") for i in range(3)]
    for inc, unit in zip(incidents, [fleet.amb1, *services.visible_units(fleet.actor()).filter(
            call_sign__in=["AMB-10", "AMB-11"])]):
        services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=unit.pk)
    services.request_unit(fleet.actor(), incident_id=incidents[0].pk, unit_id=fleet.amb_k1.pk)
    c = fleet.client()
    c.get(URL)  # warm the session and the caches the shell keeps
    # 15 today; an N+1 over 20 units would blow far past it.
    with django_assert_max_num_queries(20):
        r = c.get(URL)
    state = page_json(r, "console-state")
    assert len(state["units"]) == n_units + 1  # ours plus the requested mutual-aid unit
    assert len(state["dispatches"]) == 3
    with django_assert_max_num_queries(16):
        assert len(c.get(reverse("dispatch:console_state")).json()["units"]) == n_units + 1


def test_both_sides_of_a_request_across_regions_get_its_live_events(fleet):
    from siaga.core.events import as_message
    from siaga.core.models import OutboxEvent
    from siaga.dispatch.models import Dispatch

    inc = fleet.incident()
    start = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    req = services.request_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb_k1.pk)
    services.respond_unit_request(fleet.actor("other_dispatcher"), req.pk, accept=True)
    d = Dispatch.objects.get(unit=fleet.amb_k1)
    services.set_dispatch_status(fleet.actor("other_crew"), d.pk, "acknowledged")
    events = [as_message(ev) for ev in OutboxEvent.objects.filter(id__gt=start, topic__in=["units", "dispatches"])
              .order_by("id")]
    assert {m["type"] for m in events} >= {"unit_request.updated", "dispatch.created", "dispatch.status",
                                           "unit.status"}
    ours, owner = fleet.actor(), fleet.actor("other_dispatcher")
    # The consoles of both organisations follow the request and the unit's progress live.
    unseen = [(m["type"], who) for m in events for who, a in (("requester", ours), ("owner", owner))
              if not a.can_see_event(m)]
    assert unseen == []
