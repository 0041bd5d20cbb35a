"""Vein to vein by DIN: the UDD sees donor to patient; a hospital sees the units it received; others see nothing."""

import pytest
from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import BloodRequest, Component, Issue, IssueItem, RequestLine
from siaga.core.errors import NotFound

from .conftest import screen_all


@pytest.fixture
def issued(blood, make_donation):
    donation = make_donation()
    prc, ffp = services.separate_components(blood.officer, donation.pk, components=[{"type": "PRC"},
                                                                                    {"type": "FFP"}])
    screen_all(blood.officer, donation)
    req = BloodRequest.objects.create(organization=blood.hospital, region_code="35.76", supplier=blood.pmi,
                                      supplier_site=blood.udd, number="RQ-1", urgency="cito",
                                      patient_name="Pasien Kecelakaan", patient_mrn="RM-77", created_at=timezone.now())
    line = RequestLine.objects.create(request=req, component_type=prc.component_type, abo="O", rhd="pos", quantity=1)
    issue = Issue.objects.create(organization=blood.pmi, site=blood.udd, request=req, hospital=blood.hospital,
                                 issued_at=timezone.now(), recipient_kind="courier", recipient_name="Kurir RS",
                                 signed_by="Kurir RS", payer="bpjs")
    IssueItem.objects.create(issue=issue, component=prc, request_line=line)
    Component.objects.filter(pk=prc.pk).update(status="issued")
    return donation, prc, ffp


def test_the_udd_traces_donor_tests_components_and_patient(blood, issued, login):
    donation, prc, ffp = issued
    r = login(blood.officer_user).get("/api/blood/trace", {"din": donation.din_display})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["donor_id"] == donation.donor_id and body["donor_name"]
    assert {x["marker"] for x in body["results"]} == {"grouping", "hiv", "hbsag", "hcv", "syphilis"}
    by_type = {c["component_type"]: c for c in body["components"]}
    assert by_type["PRC"]["issue"]["hospital_id"] == blood.hospital.pk
    assert by_type["PRC"]["issue"]["patient_mrn"] == "RM-77"
    assert [h["to_status"] for h in by_type["FFP"]["history"]] == ["quarantine", "available"]


def test_the_hospital_sees_only_the_unit_it_received_and_the_donor_by_number(blood, issued, login):
    donation, prc, _ffp = issued
    r = login(blood.hospital_user).get("/api/blood/trace", {"din": donation.din})
    assert r.status_code == 200
    body = r.json()
    assert [c["id"] for c in body["components"]] == [prc.pk]
    assert body["donor_name"] is None and body["donor_number"] == donation.donor.number


def test_an_unrelated_hospital_finds_nothing(blood, issued, make_org, make_user, actor_of):
    donation, _prc, _ffp = issued
    other = actor_of(make_user("hospital_officer", make_org(kind="hospital", region_code="35.76"), scope_code="35.76"))
    with pytest.raises(NotFound):
        services.trace_din(other, donation.din)


def test_the_trace_page(blood, issued, login):
    donation, _prc, _ffp = issued
    html = login(blood.officer_user).get("/darah/telusur/", {"din": donation.din_display}).content.decode()
    assert "Pasien Kecelakaan" in html and donation.donor.name in html
