"""Isolation: another facility's or another Dukcapil office's vital events do not exist, through every API path."""

import itertools
import json

from django.utils import timezone

from siaga.core.models import Organization
from siaga.health.models_vital import VitalEvent
from tests.conftest import client_for
from tests.isolation import OrgIsolationSpec

from .conftest import make_nik

_n = itertools.count(1)

BIRTH = {"mother_name": "Siti", "sex": "F", "born_at": "2025-03-01T08:30:00+07:00", "birth_attendant": "midwife",
         "weight_g": 3000}
DEATH = {"person_name": "Budi", "sex": "M", "died_at": "2025-03-01T08:30:00+07:00", "cause_category": "I00-I99"}


def _dukcapil(region_code):
    kabkota = ".".join(region_code.split(".")[:2])
    return Organization.objects.get_or_create(kind="dukcapil", region_code=kabkota,
                                              defaults={"code": f"dukcapil-{next(_n)}", "name": "Dukcapil"})[0]


def _event(facility, dukcapil, status="notified"):
    return VitalEvent.objects.create(organization=facility, dukcapil=dukcapil, region_code=facility.region_code,
                                     kind="birth", status=status, sex="F", mother_name="Siti",
                                     born_at=timezone.now(), birth_attendant="midwife", notified_at=timezone.now())


def _snapshot(record):
    record.refresh_from_db()
    return (record.status, record.registration_number, record.mother_name, record.history.count())


class TestVitalEventFacilityIsolation(OrgIsolationSpec):
    role = "kader"
    org_kind = "puskesmas"
    list_url = "/api/health/vital-events"
    detail_urls = ["/api/health/vital-events/{id}"]
    write_requests = [("post", "/api/health/vital-events/{id}/resubmit", BIRTH),
                      ("post", "/api/health/vital-events/{id}/reveal-nik", {"reason": "Cocokkan dengan KTP"})]
    page_urls = ["/dukcapil/{id}/", "/dukcapil/{id}/perbaiki/"]

    def page_text(self, record):
        return record.child_name or record.person_name or None

    def make_record(self, org):
        return _event(org, _dukcapil(org.region_code), status="correction_requested")

    def snapshot(self, record):
        return _snapshot(record)


class TestVitalEventDukcapilIsolation(OrgIsolationSpec):
    role = "civil_registration_officer"
    org_kind = "dukcapil"
    list_url = "/api/health/vital-events"
    detail_urls = ["/api/health/vital-events/{id}"]
    write_requests = [
        ("post", "/api/health/vital-events/{id}/register", {"registration_number": "R-1"}),
        ("post", "/api/health/vital-events/{id}/request-correction", {"reason": "Nama salah"}),
        ("post", "/api/health/vital-events/{id}/reject", {"reason": "Duplikat"}),
    ]
    page_urls = ["/dukcapil/{id}/"]
    page_posts = [("/dukcapil/{id}/putuskan/", {"action": "register", "registration_number": "R-1"}),
                  ("/dukcapil/{id}/putuskan/", {"action": "reject", "reason": "Duplikat"})]

    def page_text(self, record):
        return record.child_name or record.person_name or None

    def make_record(self, org):
        facility = Organization.objects.create(code=f"fac-{next(_n)}", name="Puskesmas", kind="puskesmas",
                                               region_code=org.region_code)
        return _event(facility, org)

    def snapshot(self, record):
        return _snapshot(record)


class TestVitalEventNotifyIsolation(OrgIsolationSpec):
    """Notifying for another facility (facility_id in the body) is refused; for one's own it works."""

    role = "kader"
    org_kind = "puskesmas"
    write_requests = [("post", "/api/health/vital-events/births", BIRTH),
                      ("post", "/api/health/vital-events/deaths", DEATH)]

    def make_record(self, org):
        _dukcapil(org.region_code)
        return org

    def snapshot(self, record):
        return VitalEvent.objects.filter(organization=record).count()

    def test_it_refuses_writes_to_other_organisation(self, setting):
        for method, url, body in self.write_requests:
            before = self.snapshot(setting["theirs"])
            r = setting["client"].post(url, data=json.dumps({**body, "facility_id": setting["theirs"].pk}),
                                       content_type="application/json")
            assert r.status_code in (403, 404), (url, r.status_code, r.content)
            assert self.snapshot(setting["theirs"]) == before
            own = setting["client"].post(url, data=json.dumps({**body, "facility_id": setting["mine"].pk}),
                                         content_type="application/json")
            assert own.status_code == 201, own.content


def test_the_nik_is_shown_in_full_to_the_dukcapil_office_only(db, regions, make_org, make_user):
    import datetime as dt

    facility = make_org(kind="puskesmas", region_code="35.76")
    make_org(kind="dukcapil", region_code="35.76")
    staff = client_for(make_user("kader", facility, scope_code="35.76"))
    nik = make_nik(dt.date(1950, 1, 20), "M")
    r = staff.post("/api/health/vital-events/deaths", data=json.dumps(
        {**DEATH, "nik": nik, "birth_date": "1950-01-20"}), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["nik"] is None and body["nik_masked"] == nik[:4] + "********" + nik[12:]
    ev = VitalEvent.objects.get(pk=body["id"])
    cro = client_for(make_user("civil_registration_officer", ev.dukcapil, scope_code="35.76"))
    assert cro.get(f"/api/health/vital-events/{ev.pk}").json()["nik"] == nik
