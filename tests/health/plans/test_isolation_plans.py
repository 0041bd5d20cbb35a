"""Isolation: another posyandu's problems, plans and activities do not exist for a kader, through every plans path."""

import datetime as dt

from siaga.health.models import Posyandu
from siaga.health.plans.models import Activity, PlanItem, Problem, WorkPlan
from tests.isolation import OrgIsolationSpec

NOT_TENANT_DATA = {
    "/api/health/plans/evidence": "computed from the caller's visible records for a posyandu it must see (404 else)",
    "/api/health/plans/suggestions": "computed from the caller's visible records for a posyandu it must see",
}


def _posyandu(org):
    return Posyandu.objects.get_or_create(organization=org, defaults={"name": f"Posyandu {org.pk}",
                                                                      "region_code": org.region_code})[0]


class _Spec(OrgIsolationSpec):
    role = "kader"
    org_kind = "posyandu"
    region_code = "35.76.01.1006"
    other_region_code = "35.16.01.2001"


class TestProblemIsolation(_Spec):
    list_url = "/api/health/plans/problems"
    detail_urls = ["/api/health/plans/problems/{id}"]
    write_requests = [("post", "/api/health/plans/problems/{id}/status", {"status": "dropped"})]

    def make_record(self, org):
        return Problem.objects.create(organization=org, posyandu=_posyandu(org), region_code=org.region_code,
                                      title="P", description="d")


class TestPlanIsolation(_Spec):
    list_url = "/api/health/plans/plans"
    detail_urls = ["/api/health/plans/plans/{id}"]
    write_requests = [("post", "/api/health/plans/plans/{id}/items",
                       {"intervention": "x", "start_month": 1, "end_month": 2}),
                      ("post", "/api/health/plans/plans/{id}/approve", {}),
                      ("post", "/api/health/plans/plans/{id}/close", {})]
    page_urls = ["/posyandu/rencana/{id}/"]

    def make_record(self, org):
        plan = WorkPlan.objects.create(organization=org, posyandu=_posyandu(org), region_code=org.region_code,
                                       year=2025, title="P")
        PlanItem.objects.create(plan=plan, intervention="i", start_month=1, end_month=1)
        return plan

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.items.count())


class TestPlanItemIsolation(_Spec):
    write_requests = [("post", "/api/health/plans/items/{id}/status", {"status": "cancelled"}),
                      ("post", "/api/health/plans/items/{id}/budget-lines",
                       {"description": "x", "quantity": 1, "unit_cost_idr": 1, "source": "bok"})]

    def make_record(self, org):
        plan = WorkPlan.objects.create(organization=org, posyandu=_posyandu(org), region_code=org.region_code,
                                       year=2025, title="P")
        return PlanItem.objects.create(plan=plan, intervention="i", start_month=1, end_month=1)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.budget_lines.count())


class TestActivityIsolation(_Spec):
    list_url = "/api/health/plans/activities"

    def make_record(self, org):
        return Activity.objects.create(organization=org, posyandu=_posyandu(org), region_code=org.region_code,
                                       title="A", held_on=dt.date(2025, 1, 5))
