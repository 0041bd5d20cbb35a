"""Isolation: another posyandu's records do not exist for a kader, through every health API path."""

import datetime as dt
import itertools

from siaga.health.models import Measurement, Person, Posyandu, Session
from tests.isolation import OrgIsolationSpec

_n = itertools.count(1)

NOT_TENANT_DATA = {
    "/api/health/growth/assess": "computes z-scores of the values sent; reads and stores no tenant rows",
}


def _posyandu(org):
    return Posyandu.objects.get_or_create(organization=org, defaults={"name": f"Posyandu {org.pk}",
                                                                      "region_code": org.region_code})[0]


def _person(org):
    p = _posyandu(org)
    return Person.objects.create(organization=org, posyandu=p, region_code=org.region_code, name=f"Anak {next(_n)}",
                                 sex="F", birth_date=dt.date(2024, 1, 5))


class _HealthSpec(OrgIsolationSpec):
    role = "kader"
    org_kind = "posyandu"


class TestPosyanduIsolation(_HealthSpec):
    list_url = "/api/health/posyandu"
    detail_urls = ["/api/health/posyandu/{id}"]
    write_requests = [("post", "/api/health/posyandu/{id}/import", {})]
    page_urls = ["/posyandu/rencana/posyandu/{id}/", "/posyandu/layanan/posyandu/{id}/", "/posyandu/pws/posyandu/{id}/",
                 "/posyandu/pws/posyandu/{id}/tindak-lanjut/", "/posyandu/{id}/impor/"]
    page_posts = [("/posyandu/{id}/buka/", {}), ("/posyandu/rencana/posyandu/{id}/simpan/", {"action": "problem", "title": "Diambil"})]

    def make_record(self, org):
        return _posyandu(org)

    def snapshot(self, record):
        return Person.objects.filter(posyandu=record).count()


class TestPersonIsolation(_HealthSpec):
    list_url = "/api/health/persons"
    detail_urls = ["/api/health/persons/{id}", "/api/health/persons/{id}/growth"]
    write_requests = [("post", "/api/health/persons/{id}/measurements",
                       {"measured_on": "2025-01-10", "weight_g": 9000, "length_height_mm": 740}),
                      ("post", "/api/health/persons/{id}/reveal-nik", {"reason": "Cocokkan dengan KK"})]
    page_urls = ["/posyandu/anak/{id}/"]

    def make_record(self, org):
        return _person(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.name, record.posyandu_id, Measurement.objects.filter(person=record).count())


class TestMeasurementIsolation(_HealthSpec):
    detail_urls = ["/api/health/measurements/{id}"]

    def make_record(self, org):
        person = _person(org)
        return Measurement.objects.create(organization=org, region_code=org.region_code, person=person,
                                          measured_on=dt.date(2025, 1, 10), age_days=371, weight_g=9000)


class TestSessionIsolation(_HealthSpec):
    list_url = "/api/health/sessions"
    detail_urls = ["/api/health/sessions/{id}"]
    page_urls = ["/posyandu/hari/{id}/"]

    def make_record(self, org):
        self._person = _person(org)
        return Session.objects.create(organization=org, posyandu=self._person.posyandu, region_code=org.region_code,
                                      date=dt.date(2025, 1, 10))

    write_requests = [
        ("post", "/api/health/sessions/{id}/attendance", {"person_id": 1}),
        ("post", "/api/health/sessions/{id}/measurements", {"person_id": 1, "weight_g": 9000}),
        ("post", "/api/health/sessions/{id}/close", {}),
    ]

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.attendance.count(), record.measurements.count())
