"""Every volunteer API path refuses another organisation's volunteers, certificates and match candidates."""

import datetime as dt

from siaga.core.models import User
from siaga.disaster.volunteers.models import Certificate, MatchCandidate, Volunteer
from tests.isolation import OrgIsolationSpec

BASE = "/api/disaster/volunteers"

NOT_TENANT_DATA = {
    f"{BASE}/skills": "the skill catalogue: reference data owned by no organisation",
    f"{BASE}/me": "describes the caller's own volunteer record only (tests/disaster/volunteers/test_api.py)",
}


def _volunteer(org, name="Suparman", user=None):
    # A kelurahan inside the organisation's kab/kota (the spec's orgs sit in 35.76 and 35.16).
    return Volunteer.objects.create(organization=org, region_code=f"{org.region_code}.01.1006", name=name,
                                    phone="+6281234567890", user=user, nik_masked="3576********0001")


class TestVolunteerIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = BASE
    detail_urls = [BASE + "/{id}", BASE + "/{id}/certificates"]
    write_requests = [("patch", BASE + "/{id}", {"availability_notes": "Diambil alih"}),
                      ("post", BASE + "/{id}/status", {"status": "deployed"}),
                      ("post", BASE + "/{id}/certificates", {"name": "Sertifikat", "issued_on": "2025-01-01"})]
    page_urls = ["/bencana/relawan/{id}/"]

    def make_record(self, org):
        return _volunteer(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.availability_notes, record.certificates.count())


class TestVolunteerOwnRecordIsolation(TestVolunteerIsolation):
    """A volunteer (volunteer.respond) sees and changes only their own record."""

    role = "volunteer"
    write_requests = [("patch", BASE + "/{id}", {"availability_notes": "Diambil alih"}),
                      ("post", BASE + "/{id}/status", {"status": "resting"})]

    def make_record(self, org):
        # The spec creates the acting user in its own organisation before the records: link it.
        return _volunteer(org, user=User.objects.filter(memberships__organization=org).first())


class TestCertificateIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    write_requests = [("patch", BASE + "/certificates/{id}", {"name": "Diubah"}),
                      ("delete", BASE + "/certificates/{id}", {})]

    def make_record(self, org):
        return Certificate.objects.create(volunteer=_volunteer(org), name="Pertolongan Pertama",
                                          issued_on=dt.date(2025, 1, 1))

    def snapshot(self, record):
        return Certificate.objects.filter(pk=record.pk).values_list("name", "volunteer_id").first()


class TestMatchCandidateIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = BASE + "/candidates"
    detail_urls = [BASE + "/candidates/{id}"]
    write_requests = [("post", BASE + "/candidates/{id}/dismiss", {}),
                      ("post", BASE + "/candidates/{id}/merge", {"keep_id": 0})]
    page_posts = [("/bencana/relawan/duplikat/{id}/", {"action": "dismiss"}), ("/bencana/relawan/duplikat/{id}/", {"action": "merge", "keep_id": "0"})]

    def make_record(self, org):
        return MatchCandidate.objects.create(volunteer=_volunteer(org, "Soeparman"), other=_volunteer(org), score=90,
                                             reasons=["spelling_variant"])

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, Volunteer.objects.filter(merged_into__isnull=False).count())
