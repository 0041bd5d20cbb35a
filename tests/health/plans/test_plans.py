"""Problems with evidence from the indicators, work plans with budget lines, activities: arithmetic, rules, access."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.health import services as health_services
from siaga.health.plans import services
from siaga.health.plans.models import Problem, WorkPlan
from tests.conftest import client_for

TODAY = dt.datetime(2025, 3, 20, 3, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(TODAY, tick=False):
        yield


def _six_children_two_weighed(hx):
    """Six children under five at Posyandu Melati; in March 2025 two are weighed: D/S = 2/6."""
    kids = [hx.child(name=f"Anak {i}", birth_date=dt.date(2023, 1, 10 + i)) for i in range(6)]
    kader = hx.actor("kader")
    for kid, (w, h) in zip(kids[:2], [(10_500, 850), (10_800, 860)]):
        health_services.record_measurement(kader, person_id=kid.pk, measured_on=dt.date(2025, 3, 12), weight_g=w,
                                           length_height_mm=h, position="standing")
    return kids


def test_evidence_is_computed_from_the_records_and_compared_with_the_target(hx):
    _six_children_two_weighed(hx)
    ev = services.evidence(hx.actor("kader"), posyandu_id=hx.posyandu.pk, period=dt.date(2025, 3, 1))
    d_s = ev["d_s"]
    assert (d_s["numerator"], d_s["denominator"], d_s["value"]) == (2, 6, round(2 / 6, 4))
    assert d_s["missed"] and d_s["enough_data"] and d_s["rule"] == "min" and d_s["target"] == 0.80
    # Two weighed children are too few to judge N/D or a prevalence.
    assert not ev["n_d"]["enough_data"] and not ev["stunting"]["enough_data"]


def test_a_suggested_problem_is_recorded_with_its_evidence_and_not_suggested_twice(hx):
    _six_children_two_weighed(hx)
    kader = hx.actor("kader")
    suggested = services.suggest(kader, posyandu_id=hx.posyandu.pk)
    assert [s["indicator"] for s in suggested] == ["d_s"]
    p = services.record_problem(kader, posyandu_id=hx.posyandu.pk, indicator="d_s", title="Sedikit yang ditimbang",
                                needs="Kunjungan rumah", client_id="c-1")
    assert p.evidence["numerator"] == 2 and p.evidence["denominator"] == 6 and p.period == dt.date(2025, 3, 1)
    assert (p.organization, p.region_code) == (hx.posyandu_org, hx.posyandu.region_code)
    assert services.suggest(kader, posyandu_id=hx.posyandu.pk) == []
    again = services.record_problem(kader, posyandu_id=hx.posyandu.pk, indicator="d_s", title="x", client_id="c-1")
    assert again.pk == p.pk and Problem.objects.count() == 1


def test_a_problem_outside_the_indicators_needs_a_description_and_a_month_not_in_the_future(hx):
    kader = hx.actor("kader")
    with pytest.raises(ServiceError) as exc:
        services.record_problem(kader, posyandu_id=hx.posyandu.pk, title="Timbangan rusak")
    assert exc.value.code == "required"
    with pytest.raises(ServiceError) as exc:
        services.record_problem(kader, posyandu_id=hx.posyandu.pk, title="x", indicator="d_s",
                                period=dt.date(2025, 4, 1))
    assert exc.value.code == "future_date"
    assert Problem.objects.count() == 0


def test_a_work_plan_adds_up_its_budget_and_follows_its_states(hx):
    kader = hx.actor("kader")
    problem = services.record_problem(kader, posyandu_id=hx.posyandu.pk, title="Timbangan rusak",
                                      description="Dacin patah")
    plan = services.create_plan(kader, posyandu_id=hx.posyandu.pk, year=2025, title="")
    assert plan.title.endswith(" 2025") and len(plan.title) > len(" 2025")  # a default title naming the year
    with pytest.raises(Conflict):
        services.approve_plan(kader, plan.pk)  # empty
    item = services.add_item(kader, plan.pk, intervention="Beli dacin baru", start_month=4, end_month=4,
                             problem_id=problem.pk, responsible="Bu Ani")
    problem.refresh_from_db()
    assert problem.status == "planned"
    services.add_budget_line(kader, item.pk, description="Dacin", quantity=2, unit="buah", unit_cost_idr=350_000,
                             source="dana_desa")
    services.add_budget_line(kader, item.pk, description="Ongkos kirim", quantity=1, unit_cost_idr=25_000,
                             source="swadaya")
    money = services.budget(plan)
    assert money == {"total_idr": 725_000, "by_source": {"dana_desa": 700_000, "swadaya": 25_000},
                     "by_item": {item.pk: 725_000}}
    with pytest.raises(Conflict):
        services.set_item_status(kader, item.pk, "in_progress")  # not approved yet
    services.approve_plan(kader, plan.pk)
    with pytest.raises(Conflict):
        services.add_budget_line(kader, item.pk, description="x", quantity=1, unit_cost_idr=1, source="bok")
    with pytest.raises(Conflict):
        services.close_plan(kader, plan.pk)  # item still planned
    services.set_item_status(kader, item.pk, "in_progress")
    assert WorkPlan.objects.get(pk=plan.pk).status == "running"
    services.set_item_status(kader, item.pk, "done")
    assert services.close_plan(kader, plan.pk).status == "done"
    with pytest.raises(Conflict):
        services.add_item(kader, plan.pk, intervention="x", start_month=1, end_month=2)


def test_bad_months_and_amounts_are_refused(hx):
    kader = hx.actor("kader")
    plan = services.create_plan(kader, posyandu_id=hx.posyandu.pk, year=2025, title="P")
    with pytest.raises(ServiceError) as exc:
        services.add_item(kader, plan.pk, intervention="x", start_month=6, end_month=3)
    assert exc.value.code == "invalid_months"
    item = services.add_item(kader, plan.pk, intervention="x", start_month=1, end_month=3)
    for bad in ({"quantity": 0, "unit_cost_idr": 1}, {"quantity": 1, "unit_cost_idr": -5}):
        with pytest.raises(ServiceError):
            services.add_budget_line(kader, item.pk, description="x", source="bok", **bad)
    with pytest.raises(ServiceError):
        services.create_plan(kader, posyandu_id=hx.posyandu.pk, year=2031, title="P")
    assert services.budget(plan)["total_idr"] == 0


def test_a_kader_plans_only_for_their_own_posyandu_and_a_leader_not_at_all(hx):
    with pytest.raises(NotFound):
        services.record_problem(hx.actor("other_kader"), posyandu_id=hx.posyandu.pk, title="x", description="y")
    with pytest.raises(PermissionDenied):
        services.create_plan(hx.actor("leader"), posyandu_id=hx.posyandu.pk, year=2025, title="x")
    # The puskesmas above both posyandu plans for either.
    assert services.create_plan(hx.actor("puskesmas_kader"), posyandu_id=hx.other_posyandu.pk, year=2025,
                                title="x").posyandu == hx.other_posyandu


def test_activities_are_recorded_with_their_plan_item_and_not_in_the_future(hx):
    kader = hx.actor("kader")
    plan = services.create_plan(kader, posyandu_id=hx.posyandu.pk, year=2025, title="P")
    item = services.add_item(kader, plan.pk, intervention="Kelas ibu balita", start_month=3, end_month=3)
    a = services.record_activity(kader, posyandu_id=hx.posyandu.pk, title="Kelas ibu balita", kind="innovation",
                                 held_on=dt.date(2025, 3, 15), participants=18, plan_item_id=item.pk)
    assert (a.plan_item, a.kind, a.participants) == (item, "innovation", 18)
    with pytest.raises(ServiceError):
        services.record_activity(kader, posyandu_id=hx.posyandu.pk, title="x", held_on=dt.date(2025, 4, 1))


def test_the_api_and_the_page_walk_the_same_path(hx, capture_events):
    _six_children_two_weighed(hx)
    c = client_for(hx.user("kader"))
    with capture_events() as events:
        _api_walk(hx, c)
    names = {e["type"] for e in events}
    assert {"health.problem_recorded", "health.plan_changed"} <= names
    assert all(e["topic"] == "health_plans" for e in events)


def _api_walk(hx, c):
    r = c.get(f"/api/health/plans/suggestions?posyandu_id={hx.posyandu.pk}")
    assert r.status_code == 200 and [s["indicator"] for s in r.json()] == ["d_s"]
    r = c.post("/api/health/plans/problems", {"posyandu_id": hx.posyandu.pk, "indicator": "d_s",
                                              "title": "D/S rendah"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["evidence"]["denominator"] == 6
    r = c.post("/api/health/plans/plans", {"posyandu_id": hx.posyandu.pk, "year": 2025, "title": "RK 2025"},
               content_type="application/json")
    plan_id = r.json()["id"]
    r = c.post(f"/api/health/plans/plans/{plan_id}/items",
               {"intervention": "Sweeping balita", "start_month": 4, "end_month": 5,
                "problem_id": Problem.objects.get().pk}, content_type="application/json")
    item_id = r.json()["items"][0]["id"]
    r = c.post(f"/api/health/plans/items/{item_id}/budget-lines",
               {"description": "Konsumsi", "quantity": 30, "unit_cost_idr": 15000, "source": "bok"},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["total_idr"] == 450_000
    page = c.get(f"/posyandu/rencana/posyandu/{hx.posyandu.pk}/?bulan=2025-03").content.decode()
    assert 'data-indicator="d_s" data-missed="1"' in page and "D/S rendah" in page
    assert c.get(f"/posyandu/rencana/{plan_id}/").content.decode().count('data-item="') == 1


def test_a_page_form_with_bad_input_says_why_and_stores_nothing(hx):
    c = client_for(hx.user("kader"))
    plan = services.create_plan(hx.actor("kader"), posyandu_id=hx.posyandu.pk, year=2025, title="P")
    r = c.post(f"/posyandu/rencana/{plan.pk}/", {"action": "item", "intervention": "x", "start_month": "9",
                                                 "end_month": "2"}, follow=True)
    assert "msg--error" in r.content.decode() and plan.items.count() == 0
