"""Vein to vein and back: donor -> donation -> tests -> components -> issue -> hospital/patient, and from a unit or a
patient back to the donor; a hospital sees its units' chain with the donor by number only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.blood import services
from siaga.blood import services_issue as si
from siaga.blood import trace
from siaga.core.errors import NotFound
from siaga.core.permissions import actor_for

from .conftest import screen_all
from .test_issue_support import HANDOVER, request_for


@pytest.fixture
def chain(blood, make_donation):
    donation = make_donation()
    services.separate_components(blood.officer, donation.pk, components=[{"type": "PRC"}, {"type": "FFP"}])
    screen_all(blood.officer, donation, abo="O", rhd="pos")
    req = request_for(blood, quantity=1)
    issue = si.issue_request(blood.officer, req.pk, **HANDOVER)
    item = issue.items.get()
    si.record_transfusion(blood.hospital_officer, item.pk)
    return {"donation": donation, "request": req, "issue": issue, "unit": item.component}


def test_from_a_unit_back_to_the_donor_and_forward_to_the_patient(blood, chain):
    t = trace.trace_component(blood.officer, chain["unit"].pk)
    assert t["full"] and t["donor"].pk == chain["donation"].donor_id
    assert {r.marker for r in t["results"]} == {"hiv", "hbsag", "hcv", "syphilis", "grouping"}
    first = t["components"][0]
    assert first["component"].pk == chain["unit"].pk
    assert first["issue_item"].issue.request.patient_name == "Budi Santoso"
    assert first["issue_item"].issue.hospital_id == blood.hospital.pk
    assert [e.to_status for e in first["history"]][-2:] == ["issued", "transfused"]
    assert {row["component"].component_type.code for row in t["components"]} == {"PRC", "FFP"}


def test_from_the_patient_back_to_the_donation(blood, chain):
    t = trace.trace_request(blood.hospital_officer, chain["request"].pk)
    [d] = t["donations"]
    assert d["donation"].pk == chain["donation"].pk
    assert d["donor"] is None and d["donor_number"] == chain["donation"].donor.number  # number only
    assert d["chain"]["issue_item"].transfused_at is not None


def test_from_the_donor_forward_to_every_patient(blood, chain):
    t = trace.trace_donor(blood.officer, chain["donation"].donor_id)
    [d] = t["donations"]
    assert len(d["components"]) == 2 and len(d["results"]) == 5
    assert [r.pk for r in trace.patients_of_donor(blood.officer, chain["donation"].donor_id)] == [chain["request"].pk]


def test_the_hospital_sees_its_unit_but_not_the_donor_and_others_see_nothing(blood, chain, make_org, make_user):
    t = trace.trace_component(blood.hospital_officer, chain["unit"].pk)
    assert not t["full"] and t["donor"] is None
    assert [row["component"].pk for row in t["components"]] == [chain["unit"].pk]  # not the FFP still at the UDD
    stranger = actor_for(make_user("blood_bank_officer", make_org(kind="udd", region_code="35.16"),
                                   scope_code="35.16"))
    with pytest.raises(NotFound):
        trace.trace_component(stranger, chain["unit"].pk)
    with pytest.raises(NotFound):
        trace.trace_request(stranger, chain["request"].pk)


def test_tracing_takes_a_fixed_number_of_queries(blood, chain, make_units):
    with CaptureQueriesContext(connection) as small:
        trace.trace_donor(blood.officer, chain["donation"].donor_id)
    with CaptureQueriesContext(connection) as one:
        trace.trace_component(blood.officer, chain["unit"].pk)
    assert len(one.captured_queries) <= 12 and len(small.captured_queries) <= 12
