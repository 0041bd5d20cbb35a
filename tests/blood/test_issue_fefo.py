"""FEFO issue: the soonest-expiring identical unit first, then compatible substitutes in order; never a wrong unit."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import services_issue as si
from siaga.blood.models import BloodRequest, Component, DailyUsage, IssueItem, RequestLine
from siaga.core.errors import ServiceError
from siaga.core.models import AuditLog

from .test_issue_support import HANDOVER, make_request  # noqa: F401  (fixture)

D = dt.timedelta


def test_a_hospital_request_reaches_its_supplier_udd(blood, make_request, capture_events):
    with capture_events() as evs:
        req = make_request(quantity=2)
    assert req.supplier_id == blood.pmi.pk and req.supplier_site_id == blood.udd.pk
    assert req.organization_id == blood.hospital.pk and req.status == "submitted"
    assert req.number.startswith("PD-") and req.fee_bppd_rupiah == 2 * 360000
    assert si.visible_requests(blood.officer).filter(pk=req.pk).exists()
    assert si.visible_requests(blood.hospital_officer).filter(pk=req.pk).exists()
    ev = next(e for e in evs if e["type"] == "blood.request.changed")
    assert blood.pmi.pk in ev["shared_with"] and ev["payload"]["lines"][0]["quantity"] == 2


def test_issue_takes_the_soonest_expiring_identical_units(blood, make_request, make_units, capture_events):
    late = make_units(abo="O", rhd="pos", n=1, expires_in=D(days=30))
    soon = make_units(abo="O", rhd="pos", n=2, expires_in=D(days=3))
    make_units(abo="O", rhd="neg", n=1, expires_in=D(days=1))  # compatible but kept for RhD-negative patients
    req = make_request(quantity=2)
    with capture_events() as evs:
        issue = si.issue_request(blood.officer, req.pk, **HANDOVER)
    picked = set(issue.items.values_list("component_id", flat=True))
    assert picked == {u.pk for u in soon}
    assert Component.objects.get(pk=late[0].pk).status == "available"
    assert all(i.substitution == "" for i in issue.items.all())
    req.refresh_from_db()
    assert req.status == BloodRequest.Status.ISSUED and req.closed_at is not None
    assert RequestLine.objects.get(request=req).issued_quantity == 2
    assert issue.fee_bppd_rupiah == 720000 and issue.payer == "bpjs" and issue.signed_by == "Pak Kurir"
    assert issue.readings.get().in_range
    usage = DailyUsage.objects.get(site=blood.udd, date=timezone.localdate(), abo="O", rhd="pos")
    assert usage.issued == 2
    types = [e["type"] for e in evs]
    assert "blood.issue.created" in types and types.count("blood.component.status") == 2
    assert all(p["rank"] == 0 and "O+" in p["reason"] for p in issue.picks)


def test_a_substitute_follows_the_order_of_preference(blood, make_request, make_units):
    o_neg = make_units(abo="O", rhd="neg", n=1, expires_in=D(days=2))
    o_pos = make_units(abo="O", rhd="pos", n=1, expires_in=D(days=2))
    a_neg = make_units(abo="A", rhd="neg", n=1, expires_in=D(days=20))
    req = make_request(abo="A", rhd="pos", quantity=2)
    issue = si.issue_request(blood.officer, req.pk, **HANDOVER)
    items = {i.component_id: i for i in issue.items.all()}
    assert set(items) == {a_neg[0].pk, o_pos[0].pk}  # A- then O+; O- stays for those who need it
    assert "A−" in items[a_neg[0].pk].substitution and "A+" in items[a_neg[0].pk].substitution
    assert Component.objects.get(pk=o_neg[0].pk).status == "available"


def test_an_rhd_negative_patient_never_gets_rhd_positive_cells(blood, make_request, make_units):
    make_units(abo="A", rhd="pos", n=3)
    make_units(abo="O", rhd="pos", n=3)
    req = make_request(abo="A", rhd="neg", quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, req.pk, **HANDOVER)
    assert exc.value.code == "no_compatible_unit"
    assert Component.objects.filter(status="issued").count() == 0
    assert not IssueItem.objects.exists()


def test_expired_and_quarantined_units_are_never_issued_and_the_refusal_is_audited(blood, make_request, make_units):
    expired = make_units(abo="O", rhd="pos", n=1, expires_in=D(minutes=-5))  # not yet swept by the job
    quarantined = make_units(abo="O", rhd="pos", n=1, status="quarantine")
    req = make_request(quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, req.pk, **HANDOVER)
    assert exc.value.code == "no_compatible_unit" and exc.value.details["missing"] == 1
    for unit in expired + quarantined:
        unit.refresh_from_db()
        assert unit.status in ("available", "quarantine") and unit.version == 0
    req.refresh_from_db()
    assert req.status == "submitted" and not req.issues.exists()
    refusal = AuditLog.objects.get(action="refused", model="blood.bloodrequest", object_id=str(req.pk))
    assert refusal.changes["operation"][1] == "blood.issue"
    assert refusal.changes["code"][1] == "no_compatible_unit"
    # Hand-picking them is refused too, each with its own reason.
    for unit, code in ((expired[0], "expired"), (quarantined[0], "quarantined")):
        with pytest.raises(ServiceError) as exc:
            si.issue_request(blood.officer, req.pk, component_ids=[unit.pk], **HANDOVER)
        assert exc.value.code == code


def test_a_hand_picked_incompatible_unit_is_refused(blood, make_request, make_units):
    b_pos = make_units(abo="B", rhd="pos", n=1)
    req = make_request(abo="A", rhd="pos", quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, req.pk, component_ids=[b_pos[0].pk], **HANDOVER)
    assert exc.value.code == "incompatible_unit"
    assert Component.objects.get(pk=b_pos[0].pk).status == "available"


def test_an_incompatible_crossmatch_keeps_the_unit_from_that_patient(blood, make_request, make_units):
    first = make_units(abo="O", rhd="pos", n=1, expires_in=D(days=2))
    second = make_units(abo="O", rhd="pos", n=1, expires_in=D(days=9))
    req = make_request(quantity=1)
    line = req.lines.get()
    si.record_crossmatch(blood.officer, line.pk, component_id=first[0].pk, result="incompatible")
    issue = si.issue_request(blood.officer, req.pk, **HANDOVER)
    assert list(issue.items.values_list("component_id", flat=True)) == [second[0].pk]
    req.refresh_from_db()
    assert req.status == "issued"
    with pytest.raises(ServiceError) as exc:
        si.record_crossmatch(blood.officer, line.pk, component_id=make_units(abo="A", rhd="pos")[0].pk,
                             result="compatible")
    assert exc.value.code in ("abo_incompatible", "request_closed")


def test_a_crossmatch_cannot_call_an_abo_incompatible_unit_compatible(blood, make_request, make_units):
    a_pos = make_units(abo="A", rhd="pos", n=1)
    req = make_request(abo="O", rhd="pos", quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.record_crossmatch(blood.officer, req.lines.get().pk, component_id=a_pos[0].pk, result="compatible")
    assert exc.value.code == "abo_incompatible"


def test_the_same_unit_is_never_issued_twice(blood, make_request, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    first, second = make_request(quantity=1), make_request(quantity=1)
    si.issue_request(blood.officer, first.pk, component_ids=[unit.pk], **HANDOVER)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, second.pk, component_ids=[unit.pk], **HANDOVER)
    assert exc.value.code == "not_available"
    with pytest.raises(ServiceError):
        si.issue_request(blood.officer, second.pk, **HANDOVER)
    assert IssueItem.objects.filter(component=unit).count() == 1


def test_short_stock_is_refused_whole_unless_partial_issue_is_asked(blood, make_request, make_units):
    make_units(abo="B", rhd="pos", n=1)
    req = make_request(abo="B", rhd="pos", quantity=3)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, req.pk, **HANDOVER)
    assert exc.value.details["missing"] == 2
    assert Component.objects.filter(status="issued").count() == 0
    issue = si.issue_request(blood.officer, req.pk, allow_partial=True, **HANDOVER)
    assert issue.items.count() == 1
    req.refresh_from_db()
    assert req.status == "partially_issued"


def test_a_warm_cool_box_is_refused(blood, make_request, make_units):
    make_units(abo="O", rhd="pos", n=1)
    req = make_request(quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, req.pk, **{**HANDOVER, "cool_box_temperature_c": "14"})
    assert exc.value.code == "cold_chain"
    assert Component.objects.get().status == "available"


def test_the_hand_over_needs_a_signature(blood, make_request, make_units):
    make_units(abo="O", rhd="pos", n=1)
    req = make_request(quantity=1)
    with pytest.raises(ServiceError) as exc:
        si.issue_request(blood.officer, req.pk, recipient_kind="family", recipient_name="Ibu Sari", signed_by="")
    assert exc.value.code == "handover_required"


def test_plan_shows_what_would_be_picked_without_changing_anything(blood, make_request, make_units):
    units = make_units(abo="O", rhd="pos", n=3, expires_in=D(days=5))
    req = make_request(quantity=2)
    plan = si.plan_issue(blood.officer, req.pk)
    assert [p["component"].pk for p in plan[0]["picks"]] == [u.pk for u in units[:2]]
    assert plan[0]["short"] == 0
    assert Component.objects.filter(status="available").count() == 3


def test_a_hospital_cannot_issue_and_a_udd_cannot_request(blood, make_request, make_units):
    from siaga.core.permissions import PermissionDenied

    make_units(abo="O", rhd="pos", n=1)
    req = make_request(quantity=1)
    with pytest.raises(PermissionDenied):
        si.issue_request(blood.hospital_officer, req.pk, **HANDOVER)
    with pytest.raises(PermissionDenied):
        si.create_request(blood.officer, urgency="cito", patient_name="X Y", lines=[
            {"component_type": "PRC", "abo": "O", "rhd": "pos", "quantity": 1}])
    assert AuditLog.objects.filter(action="refused").count() == 2
