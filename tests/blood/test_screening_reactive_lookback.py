"""A reactive marker discards every component of the donation, defers the donor for good and raises a lookback."""

import datetime as dt

from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import Component, Discard, Issue, IssueItem, Lookback, RequestLine, BloodRequest

from .conftest import screen_all


def test_reactive_result_discards_defers_and_looks_back(blood, make_donor, make_donation, capture_events):
    donor = make_donor()
    # An earlier donation: one unit issued to the hospital, one still on the shelf.
    old = make_donation(donor=donor, at=timezone.now() - dt.timedelta(days=70))
    prc_old, ffp_old = services.separate_components(blood.officer, old.pk, components=[{"type": "PRC"},
                                                                                        {"type": "FFP"}])
    screen_all(blood.officer, old)
    req = BloodRequest.objects.create(organization=blood.hospital, region_code="35.76", supplier=blood.pmi,
                                      supplier_site=blood.udd, number="R1", urgency="cito", patient_name="P",
                                      created_at=timezone.now())
    line = RequestLine.objects.create(request=req, component_type=prc_old.component_type, abo="O", rhd="pos",
                                      quantity=1)
    issue = Issue.objects.create(organization=blood.pmi, site=blood.udd, request=req, hospital=blood.hospital,
                                 issued_at=timezone.now(), recipient_kind="courier", recipient_name="Kurir",
                                 signed_by="Kurir", payer="bpjs")
    IssueItem.objects.create(issue=issue, component=prc_old, request_line=line)
    Component.objects.filter(pk=prc_old.pk).update(status="issued")

    new = make_donation(donor=donor)
    services.separate_components(blood.officer, new.pk, components=[{"type": "PRC"}, {"type": "TC"}])
    with capture_events() as evs:
        services.record_screening_result(blood.officer, new.pk, marker="hbsag", result="reactive")

    # every component of the reactive donation is discarded for the reason "reactive"
    assert set(Component.objects.filter(donation=new).values_list("status", flat=True)) == {"discarded"}
    assert set(Discard.objects.filter(component__donation=new).values_list("reason", flat=True)) == {"reactive"}
    new.refresh_from_db()
    assert new.status == "discarded" and new.screening == "reactive"
    # the donor is deferred for good
    donor.refresh_from_db()
    assert donor.permanently_deferred and donor.next_eligible_on is None
    # the lookback lists every earlier component with where it went; the one on the shelf is pulled
    lookback = Lookback.objects.get(donor=donor)
    items = {i.component_id: i for i in lookback.items.all()}
    assert set(items) == {prc_old.pk, ffp_old.pk}
    assert items[prc_old.pk].issued_to == blood.hospital and items[prc_old.pk].request == req
    assert items[ffp_old.pk].status_at_lookback == "available" and items[ffp_old.pk].action == "quarantined"
    ffp_old.refresh_from_db()
    assert ffp_old.status == "discarded" and ffp_old.discard.reason == "lookback"
    # the hospital that received a unit sees the lookback event
    raised = [e for e in evs if e["type"] == "blood.lookback.raised"]
    assert raised and raised[0]["payload"]["hospital_ids"] == [blood.hospital.pk]
    assert blood.hospital.pk in raised[0]["shared_with"]
    assert blood.hospital_officer.can_see_event(raised[0])


def test_no_results_are_taken_after_a_reactive_one(blood, make_donation):
    import pytest

    from siaga.core.errors import ServiceError

    d = make_donation()
    services.record_screening_result(blood.officer, d.pk, marker="hiv", result="reactive")
    with pytest.raises(ServiceError):
        services.record_screening_result(blood.officer, d.pk, marker="hcv", result="nonreactive")
