"""Every disaster reports API path refuses another organisation's events, reports, sitreps and 3W lines."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from siaga.core import tokens
from siaga.core.models import Membership
from siaga.core.permissions import system_actor
from siaga.disaster.models import DisasterEvent
from siaga.disaster.reports import services
from siaga.disaster.reports.models import FieldReport, ResponseActivity, SituationReport
from tests.isolation import OrgIsolationSpec

from .conftest import figures

NOT_TENANT_DATA = {
    # Not public at all: the coverage check cannot match a path with two parameters to a URL with one filled in.
    "/api/disaster/reports/sitreps/{sitrep_id}/export/{fmt}": "tenant data, checked by TestIssuedSitrepIsolation "
                                                              "with fmt=pdf and fmt=xlsx (own 200, other 404)",
}


def _event(org, closed=False):
    now = timezone.now()
    return DisasterEvent.objects.create(
        organization=org, region_code=org.region_code, name="Banjir", type_id="banjir",
        started_at=now - dt.timedelta(days=1), affected_region_codes=[org.region_code] if org.region_code else [],
        phase="closed" if closed else "emergency_response", ended_at=now - dt.timedelta(hours=1) if closed else None)


def _kecamatan(org):
    return {"35.76": "35.76.01", "35.16": "35.16.01"}[org.region_code]


def _report(org):
    ev = _event(org)
    return FieldReport.objects.create(event=ev, organization=org, region_code=_kecamatan(org),
                                      reported_at=ev.started_at + dt.timedelta(hours=1), source="pmi",
                                      **figures(displaced=10, affected=20))


def _counts(ev):
    return (FieldReport.objects.filter(event=ev).count(), SituationReport.objects.filter(event=ev).count(),
            ResponseActivity.objects.filter(event=ev).count())


class TestReportsEventIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/reports/events/{id}/field-reports",
                   "/api/disaster/reports/events/{id}/sitrep",
                   "/api/disaster/reports/events/{id}/sitreps",
                   "/api/disaster/reports/events/{id}/activities",
                   "/api/disaster/reports/events/{id}/3w.csv"]
    write_requests = [
        ("post", "/api/disaster/reports/events/{id}/field-reports",
         {"region_code": "35.16.01", "source": "pmi", "displaced": 5}),
        ("post", "/api/disaster/reports/events/{id}/sitreps", {}),
        ("post", "/api/disaster/reports/events/{id}/activities",
         {"sector": "wash", "activity": "Air bersih", "region_code": "35.16.01", "reached": 5,
          "start_date": "2026-01-01"}),
    ]
    page_urls = ["/bencana/laporan/{id}/", "/bencana/laporan/{id}/sitrep/", "/bencana/laporan/{id}/sitrep.csv", "/bencana/laporan/{id}/3w/",
                 "/bencana/laporan/{id}/3w-hxl.csv"]

    def make_record(self, org):
        return _event(org)

    def snapshot(self, record):
        return _counts(record)


class TestReportsEventVolunteerIsolation(TestReportsEventIsolation):
    role = "volunteer"
    write_requests = [("post", "/api/disaster/reports/events/{id}/field-reports",
                       {"region_code": "35.16.01", "source": "pmi", "displaced": 5})]


class TestFinalReportIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/reports/events/{id}/final-report"]

    def make_record(self, org):
        return _event(org, closed=True)


class TestFieldReportIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/reports/field-reports/{id}", "/api/disaster/reports/field-reports/{id}/versions"]
    write_requests = [("post", "/api/disaster/reports/field-reports/{id}/corrections",
                       {"reason": "diambil alih", "figures": {"dead": 9}})]

    def make_record(self, org):
        return _report(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.is_current, record.dead, FieldReport.objects.filter(series=record.series).count())


class TestIssuedSitrepIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    detail_urls = ["/api/disaster/reports/sitreps/{id}", "/api/disaster/reports/sitreps/{id}/export/pdf",
                   "/api/disaster/reports/sitreps/{id}/export/xlsx"]
    page_urls = ["/bencana/laporan/terbit/{id}/", "/bencana/laporan/terbit/{id}.csv"]

    def make_record(self, org):
        report = _report(org)
        sr, _ = services.issue_sitrep(system_actor(), report.event_id)
        return sr


class TestActivityIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    write_requests = [("patch", "/api/disaster/reports/activities/{id}", {"reached": 999, "status": "completed"})]

    def make_record(self, org):
        ev = _event(org)
        return ResponseActivity.objects.create(event=ev, organization=org, sector="wash", activity="Air bersih",
                                               region_code=_kecamatan(org), reached=10,
                                               start_date=ev.started_at.date())

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.reached, record.status)


class TestHqIsolation(OrgIsolationSpec):
    """PMI headquarters' endpoint, read with the API token of a national organisation."""

    role = "disaster_manager"
    org_kind = "pmi_hq"
    region_code = ""
    other_region_code = ""
    list_url = "/api/disaster/reports/hq/v1/events"
    detail_urls = ["/api/disaster/reports/hq/v1/events/{id}"]

    @pytest.fixture
    def setting(self, db, regions, make_org, make_user):
        mine = make_org(kind=self.org_kind, region_code="")
        theirs = make_org(kind=self.org_kind, region_code="")
        me = make_user(self.role, mine, scope_code="")
        _tok, raw = tokens.issue(Membership.objects.get(user=me), "hq")
        return {"client": Client(headers={"Authorization": f"Bearer {raw}"}), "mine": _event(mine),
                "theirs": _event(theirs)}

    def client_for_user(self, user):  # the HQ endpoint is read by systems holding an API token
        _tok, raw = tokens.issue(Membership.objects.get(user=user), "hq")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    def make_record(self, org):
        return _event(org)
