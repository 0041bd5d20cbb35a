"""Isolation: a puskesmas health worker exports only persons and posyandu below their own puskesmas."""

import datetime as dt
import itertools

from siaga.core.models import Organization
from siaga.health.models import Person, Posyandu
from tests.isolation import OrgIsolationSpec

_n = itertools.count(1)


def _posyandu_below(puskesmas):
    n = next(_n)
    org = Organization.objects.create(code=f"psy-fhir-{n}", name=f"Posyandu {n}", kind="posyandu",
                                      region_code=puskesmas.region_code, parent=puskesmas)
    return Posyandu.objects.create(organization=org, name=org.name, region_code=puskesmas.region_code)


class _Spec(OrgIsolationSpec):
    role = "health_worker"
    org_kind = "puskesmas"


class TestFhirPersonIsolation(_Spec):
    detail_urls = ["/api/health/fhir/persons/{id}"]

    def make_record(self, puskesmas):
        p = _posyandu_below(puskesmas)
        return Person.objects.create(organization=p.organization, posyandu=p, region_code=p.region_code,
                                     name=f"Anak {next(_n)}", sex="M", birth_date=dt.date(2024, 2, 2))


class TestFhirPosyanduIsolation(_Spec):
    detail_urls = ["/api/health/fhir/posyandu/{id}?month=2025-01"]

    def make_record(self, puskesmas):
        return _posyandu_below(puskesmas)
