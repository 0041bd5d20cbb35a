"""Every mutual-aid API path refuses organisations that are neither the borrower nor the lender."""

from django.utils import timezone

from siaga.core.models import Organization
from siaga.disaster.mutualaid.models import Letter, MutualAidLine, MutualAidRequest, State
from tests.isolation import OrgIsolationSpec

BASE = "/api/disaster/mutual-aid/requests"


def _request(org, state=State.REQUESTED):
    n = Organization.objects.count() + 1
    lender = Organization.objects.create(code=f"lender-{n}", name=f"Lender {n}", kind="pmi_province",
                                         region_code="32")
    now = timezone.now()
    r = MutualAidRequest.objects.create(organization=org, lender=lender, region_code=org.region_code,
                                        lender_region_code="32", needed_from=now, contact_name="Budi",
                                        requested_at=now, state=state)
    MutualAidLine.objects.create(request=r, kind="items", quantity=10, description="Terpal")
    return r


class TestMutualAidRequestIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = BASE
    detail_urls = [BASE + "/{id}", BASE + "/{id}/letters"]
    write_requests = [
        ("post", BASE + "/{id}/accept", {"resources": [{"line_id": 1, "quantity": 1}]}),
        ("post", BASE + "/{id}/decline", {"note": "Tidak bisa"}),
        ("post", BASE + "/{id}/cancel", {"note": ""}),
        ("post", BASE + "/{id}/dispatch", {}),
        ("post", BASE + "/{id}/arrive", {}),
        ("post", BASE + "/{id}/release", {}),
        ("post", BASE + "/{id}/return", {}),
        ("post", BASE + "/{id}/consume", {}),
    ]
    page_urls = ["/bencana/bantuan-antarprovinsi/{id}/"]
    page_posts = [("/bencana/bantuan-antarprovinsi/{id}/langkah/", {"action": "decline", "note": "Tidak bisa"}),
                  ("/bencana/bantuan-antarprovinsi/{id}/langkah/", {"action": "cancel", "note": ""}),
                  ("/bencana/bantuan-antarprovinsi/{id}/surat/", {"kind": "request_letter", "file": b"%PDF-1.4\n%%EOF\n"})]

    def page_text(self, record):
        return record.purpose or None

    def make_record(self, org):
        return _request(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.state, record.updated_at, record.transitions.count(), record.resources.count())


class TestMutualAidLenderSideIsolation(TestMutualAidRequestIsolation):
    """The same checks when the caller's organisation is the lender of its own record."""

    def make_record(self, org):
        n = Organization.objects.count() + 1
        borrower = Organization.objects.create(code=f"borrower-{n}", name=f"Borrower {n}", kind="pmi_province",
                                               region_code="31")
        now = timezone.now()
        r = MutualAidRequest.objects.create(organization=borrower, lender=org, region_code="31",
                                            lender_region_code=org.region_code, needed_from=now,
                                            contact_name="Budi", requested_at=now)
        MutualAidLine.objects.create(request=r, kind="items", quantity=10, description="Terpal")
        return r


class TestMutualAidLetterIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    # The letter gets its request's id as its own, so one {id} fills both places of the download path.
    detail_urls = [BASE + "/{id}/letters/{pk}"]
    page_urls = ["/bencana/bantuan-antarprovinsi/{record.request_id}/surat/{id}/"]

    def make_record(self, org):
        r = _request(org)
        data = b"%PDF-1.4\n%%EOF\n"
        return Letter.objects.create(pk=r.pk, request=r, kind="request_letter", filename="surat.pdf",
                                     content_type="application/pdf", size_bytes=len(data), sha256=f"{r.pk:064d}",
                                     data=data, organization=org, uploaded_at=timezone.now())
