"""Isolation: another organisation's posyandu and areas do not exist for kader and leaders, on every PWS API path."""

import datetime as dt
import itertools
from types import SimpleNamespace

from siaga.core.models import Organization
from siaga.health.models import Measurement, Person, Posyandu
from tests.isolation import OrgIsolationSpec

_n = itertools.count(1)


def _posyandu(org):
    """A posyandu (of org itself when org is a posyandu, else of a new posyandu below it) with a weighed child."""
    kelurahan = f"{org.region_code}.01.1006"
    if org.kind != "posyandu":
        org = Organization.objects.create(code=f"pws-{next(_n)}", name="Posyandu", kind="posyandu",
                                          region_code=kelurahan, parent=org)
    p = Posyandu.objects.create(organization=org, name=f"Posyandu {org.pk}", region_code=kelurahan)
    child = Person.objects.create(organization=org, posyandu=p, region_code=kelurahan, name=f"Anak {next(_n)}",
                                  sex="F", birth_date=dt.date(2024, 1, 5))
    Measurement.objects.create(organization=org, region_code=kelurahan, person=child, measured_on=dt.date(2025, 1, 10),
                               age_days=371, weight_g=9000, growth_status="B", category_wfa="normal")
    return p


def _snapshot_counts(record):
    return Measurement.objects.count()


class TestPwsKelurahanIsolation(OrgIsolationSpec):
    role = "kader"
    org_kind = "posyandu"
    detail_urls = ["/api/health/pws/areas/{id}", "/api/health/pws/areas/{id}/trend",
                   "/api/health/pws/areas/{id}/follow-up"]
    page_urls = ["/posyandu/pws/wilayah/{id}/", "/posyandu/pws/wilayah/{id}/tindak-lanjut/"]

    def make_record(self, org):
        return SimpleNamespace(pk=_posyandu(org).region_code)


class TestPwsKecamatanMapIsolation(OrgIsolationSpec):
    role = "leader"
    org_kind = "government"
    detail_urls = ["/api/health/pws/areas/{id}/map"]

    def make_record(self, org):
        return SimpleNamespace(pk=_posyandu(org).region_code[:8])


class TestPwsExportIsolation(OrgIsolationSpec):
    role = "health_worker"
    org_kind = "puskesmas"
    detail_urls = ["/api/health/pws/export/dhis2?area={id}&start=202501"]

    def make_record(self, org):
        return SimpleNamespace(pk=_posyandu(org).region_code[:5])


class TestPwsPosyanduIsolation(OrgIsolationSpec):
    role = "kader"
    org_kind = "posyandu"
    detail_urls = ["/api/health/pws/posyandu/{id}", "/api/health/pws/posyandu/{id}/follow-up"]

    def make_record(self, org):
        return _posyandu(org)
