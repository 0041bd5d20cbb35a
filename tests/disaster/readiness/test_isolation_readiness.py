"""Every readiness API path refuses another organisation's completions, drills, modules and checklists, or says
why it holds no tenant rows."""

from __future__ import annotations

from django.utils import timezone

from siaga.core.models import User
from siaga.disaster.readiness.models import Drill, SopChecklist, SopItem, TrainingCompletion, TrainingModule
from tests.isolation import OrgIsolationSpec

R = "/api/disaster/readiness"
NOT_TENANT_DATA = {
    f"{R}/modules": "the shared training curriculum every organisation reads; writing creates a module of the "
                    "caller's own organisation (tests/disaster/readiness/test_training.py)",
    f"{R}/modules/{{module_id}}/attempts": "records the caller's own attempt only; no other organisation's row is "
                                           "addressed (test_training.py)",
    f"{R}/checklists": "SOP checklists are shared between the provinces; writing creates one of the caller's own "
                       "organisation (test_drills.py)",
    f"{R}/regions/{{code}}": "aggregate counts per region, no rows; refused outside the caller's area "
                             "(test_border_zones.py)",
    f"{R}/border-zones": "reference data (kab/kota code sets) filtered to zones touching the caller's area",
    f"{R}/border-zones/{{zone_code}}": "aggregate counts of a zone touching the caller's area (test_border_zones.py)",
    f"{R}/layers/events": "GeoJSON of disaster.visible_events (its own isolation specs apply); test_layers.py",
    f"{R}/layers/warnings": "GeoJSON of disaster.visible_warnings (public BMKG data and published alerts)",
    f"{R}/layers/volunteers": "counts per kelurahan of the caller's organisations' volunteers only, no personal "
                              "data (test_layers.py)",
    f"{R}/layers/warehouses": "warehouses of the caller's organisations only (actor.scope_queryset)",
    f"{R}/layers/quakes": "the public BMKG earthquake catalogue 2008-2022",
    f"{R}/layers/faults": "public fault line reference data",
    f"{R}/layers/affected": "people affected per kelurahan over disaster.visible_events only (test_layers.py)",
    f"{R}/layers/border-zones": "reference data: border zones touching the caller's area",
}


def _module(org):
    return TrainingModule.objects.create(organization=org, code=f"m-{org.pk}", title="Modul", body="x",
                                         quiz=[{"question": "q", "options": ["a", "b"], "answer": 0}])


def _checklist(org):
    c = SopChecklist.objects.create(organization=org, disaster_type_id="banjir", title=f"SOP {org.pk}")
    SopItem.objects.create(checklist=c, position=1, text="Langkah")
    return c


class TestModuleIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = []  # modules are a shared curriculum: everyone reads them
    write_requests = [("put", f"{R}/modules/{{id}}", {"code": "diambil", "title": "Diambil", "body": "x",
                                                       "quiz": [{"question": "q", "options": ["a", "b"],
                                                                 "answer": 1}]})]

    def make_record(self, org):
        return _module(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.code, record.title, record.quiz)


class TestChecklistIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    write_requests = [("put", f"{R}/checklists/{{id}}", {"type_code": "banjir", "title": "Diambil",
                                                          "items": ["baru"]})]

    def make_record(self, org):
        return _checklist(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.title, list(record.items.values_list("text", "retired")))


class TestChecklistDetailIsShared(OrgIsolationSpec):
    """One checklist is readable by every organisation (shared SOPs); changing it is TestChecklistIsolation's."""

    role = "disaster_manager"
    write_requests = []

    def make_record(self, org):
        return _checklist(org)

    def test_it_refuses_other_organisation_detail(self, setting):  # shared on purpose: both read it
        for record in (setting["mine"], setting["theirs"]):
            assert setting["client"].get(f"{R}/checklists/{record.pk}").status_code == 200


class TestDrillIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = f"{R}/drills"
    detail_urls = [f"{R}/drills/{{id}}"]

    def make_record(self, org):
        c = _checklist(org)
        return Drill.objects.create(organization=org, region_code=org.region_code, checklist=c,
                                    held_on=timezone.localdate(), title="Simulasi")


class TestCompletionIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = f"{R}/completions"

    def make_record(self, org):
        user = User.objects.create_user(username=f"peserta-{org.pk}")
        return TrainingCompletion.objects.create(module=_module(org), user=user, organization=org,
                                                 region_code=org.region_code, score_percent=100, correct=1,
                                                 questions=1, passed=True, completed_at=timezone.now())
