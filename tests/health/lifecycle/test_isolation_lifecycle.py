"""Isolation: another posyandu's pregnancies, doses and screenings do not exist for a kader, through every life-cycle path."""

import datetime as dt
import itertools

from siaga.health.models import (
    AntenatalVisit,
    ImmunisationDose,
    Person,
    Posyandu,
    Pregnancy,
    Screening,
    VitaminADose,
)
from tests.isolation import OrgIsolationSpec

_n = itertools.count(1)

NOT_TENANT_DATA = {
    "/api/health/lifecycle/schedule": "the national schedule and rule sources: reference data, no tenant rows",
}


def _posyandu(org):
    return Posyandu.objects.get_or_create(organization=org, defaults={"name": f"Posyandu {org.pk}",
                                                                      "region_code": org.region_code})[0]


def _person(org, sex="F", birth_date=dt.date(2024, 1, 5)):
    return Person.objects.create(organization=org, posyandu=_posyandu(org), region_code=org.region_code,
                                 name=f"Warga {next(_n)}", sex=sex, birth_date=birth_date)


class _Spec(OrgIsolationSpec):
    role = "kader"
    org_kind = "posyandu"


class TestPregnancyIsolation(_Spec):
    list_url = "/api/health/lifecycle/pregnancies"
    detail_urls = ["/api/health/lifecycle/pregnancies/{id}"]
    write_requests = [
        ("post", "/api/health/lifecycle/pregnancies/{id}/visits", {"visit_date": "2025-03-01"}),
        ("post", "/api/health/lifecycle/pregnancies/{id}/end", {"outcome": "live_birth", "ended_on": "2025-09-01"}),
    ]
    page_urls = ["/posyandu/layanan/ibu-hamil/{id}/"]

    def page_text(self, record):
        return record.person.name

    def make_record(self, org):
        mother = _person(org, birth_date=dt.date(1996, 2, 2))
        return Pregnancy.objects.create(organization=org, region_code=org.region_code, person=mother,
                                        lmp_date=dt.date(2025, 1, 1), edd=dt.date(2025, 10, 8))

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.outcome, AntenatalVisit.objects.filter(pregnancy=record).count())


class TestPregnancyRegistrationIsolation(_Spec):
    write_requests = [("post", "/api/health/lifecycle/pregnancies", None)]

    def make_record(self, org):
        return _person(org, birth_date=dt.date(1996, 2, 2))

    def test_it_refuses_writes_to_other_organisation(self, setting):
        # The person is in the body, not the path: send the other posyandu's woman.
        import json

        r = setting["client"].post("/api/health/lifecycle/pregnancies", content_type="application/json",
                                   data=json.dumps({"person_id": setting["theirs"].pk, "lmp_date": "2025-09-01"}))
        assert r.status_code in (403, 404), r.content
        assert not Pregnancy.objects.filter(person=setting["theirs"]).exists()


class TestPersonServicesIsolation(_Spec):
    detail_urls = ["/api/health/lifecycle/persons/{id}/immunisations",
                   "/api/health/lifecycle/persons/{id}/screenings"]
    write_requests = [
        ("post", "/api/health/lifecycle/persons/{id}/immunisations",
         {"vaccine": "bcg", "dose_number": 1, "given_on": "2024-02-05"}),
        ("post", "/api/health/lifecycle/persons/{id}/vitamin-a", {"given_on": "2025-02-10"}),
        ("post", "/api/health/lifecycle/persons/{id}/screenings", {"screened_on": "2025-02-10", "weight_g": 20000}),
    ]
    page_urls = ["/posyandu/layanan/warga/{id}/imunisasi/", "/posyandu/layanan/warga/{id}/skrining/"]

    def make_record(self, org):
        return _person(org)

    def snapshot(self, record):
        return (ImmunisationDose.objects.filter(person=record).count(),
                VitaminADose.objects.filter(person=record).count(), Screening.objects.filter(person=record).count())


class TestDueListIsolation(_Spec):
    detail_urls = ["/api/health/lifecycle/posyandu/{id}/due"]

    def make_record(self, org):
        return _posyandu(org)
