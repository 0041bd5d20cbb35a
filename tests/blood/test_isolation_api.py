"""Every blood API path refuses another organisation's data: a UDD sees its own donors, a hospital its own stock."""

from tests.isolation import OrgIsolationSpec

from . import factories

NOT_TENANT_DATA = {
    "/api/blood/public/stock": "public board: aggregates by group per site, no personal data (tests/blood/test_public_board.py)",
}


class UddSpec(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"


class TestSiteIsolation(UddSpec):
    list_url = "/api/blood/sites"
    detail_urls = ["/api/blood/sites/{id}", "/api/blood/sites/{id}/cover"]

    def make_record(self, org):
        return factories.site_for(org)


class TestDonorIsolation(UddSpec):
    list_url = "/api/blood/donors"
    detail_urls = ["/api/blood/donors/{id}"]
    write_requests = [
        ("patch", "/api/blood/donors/{id}", {"name": "Diganti"}),
        ("post", "/api/blood/donors/{id}/reveal-nik", {"reason": "Verifikasi identitas donor"}),
        ("post", "/api/blood/donors/{id}/deferrals", {"kind": "permanent", "reason_code": "x", "reason": "x"}),
        ("post", "/api/blood/donors/{id}/visits", {"weight_kg": 60, "hb_g_dl": 13, "systolic_mmhg": 120,
                                                   "diastolic_mmhg": 80, "pulse_bpm": 70, "temperature_c": 36.5}),
    ]
    page_urls = ["/darah/donor/{id}/"]

    def make_record(self, org):
        return factories.donor_for(org)


class TestDeferralIsolation(UddSpec):
    write_requests = [("post", "/api/blood/deferrals/{id}/lift", {"reason": "salah"})]

    def make_record(self, org):
        return factories.deferral_for(org)


class TestSessionIsolation(UddSpec):
    list_url = "/api/blood/sessions"
    detail_urls = ["/api/blood/sessions/{id}"]
    write_requests = [("post", "/api/blood/sessions/{id}/status", {"status": "cancelled"})]

    def make_record(self, org):
        return factories.session_for(org)


class TestDonationIsolation(UddSpec):
    list_url = "/api/blood/donations"
    detail_urls = ["/api/blood/donations/{id}", "/api/blood/donations/lookup?din=W000026{id:06d}"]
    write_requests = [
        ("post", "/api/blood/donations/{id}/reaction", {"severity": "severe"}),
        ("post", "/api/blood/donations/{id}/results", {"marker": "hiv", "result": "reactive"}),
        ("post", "/api/blood/donations/{id}/components", {"components": [{"type": "PRC"}]}),
    ]
    page_urls = ["/darah/donasi/{id}/", "/darah/donasi/{id}/label/"]

    def make_record(self, org):
        return factories.donation_for(org, din_from_pk=True)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.adverse_reaction, record.results.count(), record.components.count())


class TestComponentIsolation(UddSpec):
    list_url = "/api/blood/components"
    detail_urls = ["/api/blood/components/{id}"]
    write_requests = [("post", "/api/blood/components/{id}/discard", {"reason": "haemolysed"})]

    def make_record(self, org):
        return factories.component_for(org)


class TestHospitalStockIsolation(OrgIsolationSpec):
    """A hospital blood bank's officer sees the units of its own bank, not another hospital's."""

    role = "hospital_officer"
    org_kind = "hospital"
    list_url = "/api/blood/components"
    detail_urls = ["/api/blood/components/{id}"]

    def make_record(self, org):
        return factories.component_for(org, kind="bdrs")


class TestStockIsolation(UddSpec):
    list_url = "/api/blood/stock"
    list_key = "site_id"

    def make_record(self, org):
        return factories.component_for(org).site


class TestStockExpiryIsolation(UddSpec):
    list_url = "/api/blood/stock/expiry"
    list_key = "site_id"

    def make_record(self, org):
        return factories.component_for(org).site


class TestLookbackIsolation(UddSpec):
    list_url = "/api/blood/lookbacks"
    detail_urls = ["/api/blood/lookbacks/{id}"]

    def make_record(self, org):
        return factories.lookback_for(org)


class TestTraceIsolation(UddSpec):
    detail_urls = ["/api/blood/trace?din=W000026{id:06d}"]

    def make_record(self, org):
        return factories.donation_for(org, din_from_pk=True)
