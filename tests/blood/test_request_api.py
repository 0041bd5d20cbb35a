"""The requests/issue API end to end, and its isolation: a hospital sees only its own requests, a UDD only those
addressed to it, another UDD nothing."""

import json

from django.utils import timezone

from siaga.blood.models import BloodRequest, Component, ComponentType, Issue, RequestLine, Site
from tests.conftest import client_for
from tests.isolation import OrgIsolationSpec

from . import factories

NOT_TENANT_DATA = {
    "/api/blood/stats": "aggregates scoped to the caller's organisations (tests/blood/test_stats_*.py, another UDD "
                        "sees zeros)",
    "/api/blood/stats/monthly": "aggregates scoped to the caller's organisations (tests/blood/test_stats_*.py)",
    "/api/blood/transfer-suggestions/compute": "computes over the caller's own network only; checked by "
                                               "TestSuggestionIsolation's list and tests/blood/test_transfer_*.py",
}


def post(c, url, body):
    return c.post(url, data=json.dumps(body), content_type="application/json")


def test_hospital_requests_and_udd_issues_over_the_api(blood, make_units):
    units = make_units(abo="O", rhd="pos", n=3)
    hosp, udd = client_for(blood.hospital_user), client_for(blood.officer_user)
    r = post(hosp, "/api/blood/requests", {"urgency": "cito", "patient_name": "Siti Aminah", "patient_abo": "O",
                                           "patient_rhd": "pos", "lines": [{"component_type": "PRC", "quantity": 2}]})
    assert r.status_code == 201, r.content
    req = r.json()
    assert req["supplier_site_id"] == blood.udd.pk and req["lines"][0]["group"] == "O+"
    queue = udd.get("/api/blood/requests?open=true").json()
    assert [x["id"] for x in queue["items"]] == [req["id"]]
    plan = udd.get(f"/api/blood/requests/{req['id']}/plan").json()
    assert [p["component_id"] for p in plan[0]["picks"]] == [u.pk for u in units[:2]]
    r = post(hosp, f"/api/blood/requests/{req['id']}/issue", {"recipient_kind": "courier", "recipient_name": "A B",
                                                              "signed_by": "A B"})
    assert r.status_code == 403 and r.json()["error"]["code"]
    r = post(udd, f"/api/blood/requests/{req['id']}/issue", {"recipient_kind": "courier", "recipient_name": "Kurir",
                                                             "signed_by": "Kurir", "cool_box_temperature_c": 4})
    assert r.status_code == 201, r.content
    issue = r.json()
    assert len(issue["items"]) == 2 and issue["readings"][0]["in_range"]
    r = post(udd, f"/api/blood/requests/{req['id']}/issue", {"recipient_kind": "courier", "recipient_name": "Kurir",
                                                             "signed_by": "Kurir"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "request_closed"
    assert hosp.get(f"/api/blood/issues/{issue['id']}").status_code == 200
    unit = issue["items"][0]["component_id"]
    r = post(udd, f"/api/blood/issued-units/{unit}/return", {"temperature_c": 4, "minutes_out_of_storage": 10})
    assert r.status_code == 201 and r.json()["accepted"]
    trace = udd.get(f"/api/blood/trace/units/{unit}").json()
    assert trace["units"][0]["issue"]["patient_name"] == "Siti Aminah"
    assert hosp.get(f"/api/blood/trace/requests/{req['id']}").json()["donations"][0]["donor_name"] is None


def test_refusals_carry_a_clear_reason(blood, make_units):
    make_units(abo="O", rhd="pos", n=1, status="quarantine")
    hosp, udd = client_for(blood.hospital_user), client_for(blood.officer_user)
    req = post(hosp, "/api/blood/requests", {"urgency": "elective", "patient_name": "X Y", "patient_abo": "O",
                                             "patient_rhd": "pos", "lines": [{"component_type": "PRC",
                                                                              "quantity": 1}]}).json()
    r = post(udd, f"/api/blood/requests/{req['id']}/issue", {"recipient_kind": "family", "recipient_name": "Ibu",
                                                             "signed_by": "Ibu"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "no_compatible_unit" and "PRC" in err["message"]
    r = post(hosp, "/api/blood/requests", {"urgency": "cito", "patient_name": "X Y", "patient_abo": "A",
                                           "patient_rhd": "pos", "lines": [{"component_type": "PRC", "abo": "O",
                                                                            "rhd": "pos", "quantity": 1}]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "group_mismatch"


# --- isolation ------------------------------------------------------------------------------------


def _udd_site(org):
    return factories.site_for(org, kind=Site.Kind.UDD)


def request_owned_by(hospital_org, supplier_org=None):
    """A request of `hospital_org` addressed to `supplier_org` (a fresh UDD when None)."""
    from siaga.core.models import Organization

    if supplier_org is None:
        supplier_org = Organization.objects.create(code=f"udd-for-{hospital_org.pk}", name="UDD lain", kind="udd",
                                                   region_code=hospital_org.region_code)
    n = BloodRequest.objects.count() + 1
    req = BloodRequest.objects.create(organization=hospital_org, region_code=hospital_org.region_code,
                                      supplier=supplier_org, supplier_site=_udd_site(supplier_org), number=f"PD-{n}",
                                      urgency="cito", patient_name="Pasien", created_at=timezone.now())
    RequestLine.objects.create(request=req, component_type=ComponentType.objects.get(code="PRC"), abo="O",
                               rhd="pos", quantity=1)
    return req


def request_addressed_to(udd_org):
    from siaga.core.models import Organization

    hospital = Organization.objects.create(code=f"rs-for-{udd_org.pk}-{BloodRequest.objects.count()}", name="RS",
                                           kind="hospital", region_code=udd_org.region_code)
    return request_owned_by(hospital, udd_org)


class TestRequestIsolationForHospitals(OrgIsolationSpec):
    role = "hospital_officer"
    org_kind = "hospital"
    list_url = "/api/blood/requests"
    detail_urls = ["/api/blood/requests/{id}", "/api/blood/requests/{id}/plan", "/api/blood/trace/requests/{id}"]
    write_requests = [("post", "/api/blood/requests/{id}/cancel", {"reason": "x"})]
    page_urls = ["/darah/permintaan/{id}/"]

    def make_record(self, org):
        return request_owned_by(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.closed_at)


class TestRequestIsolationForUdds(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/requests"
    detail_urls = ["/api/blood/requests/{id}", "/api/blood/requests/{id}/plan"]
    write_requests = [
        ("post", "/api/blood/requests/{id}/accept", {}),
        ("post", "/api/blood/requests/{id}/reject", {"reason": "stok habis"}),
        ("post", "/api/blood/requests/{id}/reserve", {}),
        ("post", "/api/blood/requests/{id}/issue", {"recipient_kind": "courier", "recipient_name": "Kurir",
                                                    "signed_by": "Kurir"}),
    ]
    page_urls = ["/darah/permintaan/{id}/"]

    def make_record(self, org):
        req = request_addressed_to(org)
        site = req.supplier_site
        c = factories.component_for(org)
        Component.objects.filter(pk=c.pk).update(site=site)
        return req

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.issues.count(), Component.objects.filter(status__in=["reserved", "issued"])
                .count())


class TestRequestLineIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    detail_urls = ["/api/blood/request-lines/{id}/crossmatches"]
    write_requests = [("post", "/api/blood/request-lines/{id}/crossmatches",
                       {"component_id": 1, "result": "incompatible"})]

    def make_record(self, org):
        return request_addressed_to(org).lines.get()

    def snapshot(self, record):
        return record.crossmatches.count()


def _issue_for(udd_org):
    req = request_addressed_to(udd_org)
    comp = factories.component_for(udd_org, status="issued")
    issue = Issue.objects.create(organization=udd_org, region_code=udd_org.region_code, site=req.supplier_site,
                                 request=req, hospital=req.organization, number="KLR-1", issued_at=timezone.now(),
                                 recipient_kind="courier", recipient_name="Kurir", signed_by="Kurir", payer="bpjs")
    return issue, issue.items.create(component=comp, request_line=req.lines.get())


class TestIssueIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/issues"
    detail_urls = ["/api/blood/issues/{id}"]
    write_requests = [("post", "/api/blood/issues/{id}/readings", {"temperature_c": 4})]

    def make_record(self, org):
        return _issue_for(org)[0]

    def snapshot(self, record):
        return record.readings.count()


class TestIssuedUnitIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    detail_urls = ["/api/blood/trace/units/{id}"]
    write_requests = [("post", "/api/blood/issued-units/{id}/return", {"temperature_c": 4,
                                                                       "minutes_out_of_storage": 5})]

    def make_record(self, org):
        return _issue_for(org)[1].component

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.version)


class TestIssueItemIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    write_requests = [("post", "/api/blood/issue-items/{id}/transfused", {})]

    def make_record(self, org):
        return _issue_for(org)[1]

    def snapshot(self, record):
        record.refresh_from_db()
        return record.transfused_at


class TestReturnIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/returns"

    def make_record(self, org):
        from siaga.blood.models import Return

        comp = factories.component_for(org)
        return Return.objects.create(organization=org, region_code=org.region_code, component=comp,
                                     returned_at=timezone.now(), cold_chain_ok=True, accepted=True)


class TestDiscardIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/discards"

    def make_record(self, org):
        from siaga.blood.models import Discard

        comp = factories.component_for(org, status="discarded")
        return Discard.objects.create(organization=org, region_code=org.region_code, site=comp.site, component=comp,
                                      reason="broken_bag", discarded_at=timezone.now())


def _transfer_for(org):
    from siaga.blood.models import Transfer

    site = _udd_site(org)
    other = factories.site_for(org, kind=Site.Kind.HOSPITAL_BANK)
    t = Transfer.objects.create(organization=org, region_code=org.region_code, to_organization=org, from_site=site,
                                to_site=other, number="MUT-1", requested_at=timezone.now())
    t.items.create(component=factories.component_for(org))
    return t


class TestTransferIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/transfers"
    detail_urls = ["/api/blood/transfers/{id}"]
    write_requests = [
        ("post", "/api/blood/transfers/{id}/dispatch", {"temperature_c": 4}),
        ("post", "/api/blood/transfers/{id}/readings", {"temperature_c": 4}),
        ("post", "/api/blood/transfers/{id}/receive", {"temperature_c": 4}),
        ("post", "/api/blood/transfers/{id}/cancel", {"reason": "x"}),
    ]
    page_urls = ["/darah/mutasi/{id}/"]

    def make_record(self, org):
        return _transfer_for(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.status, record.readings.count())


class TestTransferCreateIsolation(OrgIsolationSpec):
    """Sending another organisation's units from its site is refused."""

    role = "blood_bank_officer"
    org_kind = "udd"

    def make_record(self, org):
        return factories.component_for(org)

    def test_it_refuses_writes_to_other_organisation(self, setting):
        theirs = setting["theirs"]
        mine_site = setting["mine"].site
        r = setting["client"].post("/api/blood/transfers", data=json.dumps(
            {"from_site_id": theirs.site_id, "to_site_id": mine_site.pk, "component_ids": [theirs.pk]}),
            content_type="application/json")
        assert r.status_code in (403, 404)
        theirs.refresh_from_db()
        assert theirs.status == "available" and not theirs.transfer_items.exists()


class TestSuggestionIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/transfer-suggestions"
    write_requests = [("post", "/api/blood/transfer-suggestions/{id}/dismiss", {})]

    def make_record(self, org):
        from siaga.blood.models import TransferSuggestion

        site = _udd_site(org)
        other = factories.site_for(org, kind=Site.Kind.HOSPITAL_BANK)
        return TransferSuggestion.objects.create(organization=org, region_code=org.region_code, from_site=other,
                                                 to_site=site, component_type=ComponentType.objects.get(code="PRC"),
                                                 abo="B", rhd="pos", quantity=1, component_ids=[], score=1,
                                                 created_at=timezone.now())

    def snapshot(self, record):
        record.refresh_from_db()
        return record.status


class TestRecallIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    list_url = "/api/blood/recalls"
    detail_urls = ["/api/blood/recalls/{id}"]

    def make_record(self, org):
        from siaga.blood.models import RecallCampaign

        return RecallCampaign.objects.create(organization=org, region_code=org.region_code, site=_udd_site(org),
                                             abo="B", rhd="pos", message="x", created_at=timezone.now())


class TestRecallCreateIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    detail_urls = ["/api/blood/sites/{id}/shortages", "/api/blood/sites/{id}/forecast",
                   "/api/blood/sites/{id}/production-hint?abo=O&rhd=pos"]

    def make_record(self, org):
        return _udd_site(org)

    def test_it_refuses_writes_to_other_organisation(self, setting):
        from siaga.blood.models import RecallCampaign

        r = setting["client"].post("/api/blood/recalls", data=json.dumps(
            {"site_id": setting["theirs"].pk, "abo": "B", "rhd": "pos"}), content_type="application/json")
        assert r.status_code in (403, 404)
        assert not RecallCampaign.objects.exists()


class TestRequestCreateIsolation(OrgIsolationSpec):
    """A hospital cannot file a request on another hospital's blood bank."""

    role = "hospital_officer"
    org_kind = "hospital"

    def make_record(self, org):
        return factories.site_for(org, kind=Site.Kind.HOSPITAL_BANK)

    def test_it_refuses_writes_to_other_organisation(self, setting):
        udd_org = setting["theirs"].organization
        r = setting["client"].post("/api/blood/requests", data=json.dumps({
            "urgency": "cito", "patient_name": "X Y", "patient_abo": "O", "patient_rhd": "pos",
            "hospital_site_id": setting["theirs"].pk, "supplier_site_id": _udd_site(udd_org).pk,
            "lines": [{"component_type": "PRC", "quantity": 1}]}), content_type="application/json")
        assert r.status_code in (403, 404)
        assert not BloodRequest.objects.exists()


def test_the_udd_a_request_is_addressed_to_sees_it_across_kab_kota(db, regions, make_org, make_user):
    """A hospital in Kabupaten Mojokerto requests from the city UDD: the UDD (scoped to the city) sees it."""
    udd = make_org(kind="udd", region_code="35.76")
    hospital = make_org(kind="hospital", region_code="35.16")
    req = request_owned_by(hospital, udd)
    officer = client_for(make_user("blood_bank_officer", udd, scope_code="35.76"))
    assert [x["id"] for x in officer.get("/api/blood/requests").json()["items"]] == [req.pk]
    other = client_for(make_user("blood_bank_officer", make_org(kind="udd", region_code="35.16"), scope_code="35.16"))
    assert other.get("/api/blood/requests").json()["items"] == []
    assert other.get(f"/api/blood/requests/{req.pk}").status_code == 404

