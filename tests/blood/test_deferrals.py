"""Deferrals: temporary with an end date, permanent for ever, with reasons; they block visits and set the next date."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import Deferral
from siaga.core.errors import ServiceError

from .conftest import GOOD_VITALS


def test_a_temporary_deferral_refuses_until_its_end_and_sets_the_next_date(blood, make_donor, capture_events):
    donor = make_donor()
    ends = timezone.localdate() + dt.timedelta(days=30)
    with capture_events() as evs:
        services.defer_donor(blood.officer, donor.pk, kind="temporary", reason_code="tattoo",
                             reason="Tato baru", ends_on=ends)
    donor.refresh_from_db()
    assert donor.next_eligible_on == ends
    visit = services.record_visit(blood.officer, donor.pk, **GOOD_VITALS)
    assert not visit.eligible
    assert visit.refusals[0]["code"] == "deferred" and "Tato baru" in visit.refusals[0]["reason"]
    assert "blood.donor.deferred" in [e["type"] for e in evs]


def test_a_permanent_deferral_has_no_next_date(blood, make_donor):
    donor = make_donor()
    services.defer_donor(blood.officer, donor.pk, kind="permanent", reason_code="hepatitis",
                         reason="Riwayat hepatitis B")
    donor.refresh_from_db()
    assert donor.permanently_deferred and donor.next_eligible_on is None
    assert not services.record_visit(blood.officer, donor.pk, **GOOD_VITALS).eligible


def test_a_temporary_deferral_needs_a_future_end_and_a_reason(blood, make_donor):
    donor = make_donor()
    with pytest.raises(ServiceError):
        services.defer_donor(blood.officer, donor.pk, kind="temporary", reason_code="x", reason="y")
    with pytest.raises(ServiceError):
        services.defer_donor(blood.officer, donor.pk, kind="permanent", reason_code="x", reason=" ")
    assert not Deferral.objects.exists()


def test_lifting_a_deferral_makes_the_donor_eligible_again(blood, make_donor):
    donor = make_donor()
    d = services.defer_donor(blood.officer, donor.pk, kind="permanent", reason_code="err", reason="Salah input")
    services.lift_deferral(blood.officer, d.pk, reason="Entered for the wrong donor")
    donor.refresh_from_db()
    assert not donor.permanently_deferred
    assert services.record_visit(blood.officer, donor.pk, **GOOD_VITALS).eligible


def test_a_fever_defers_the_donor_for_the_rules_days(blood, make_donor):
    donor = make_donor()
    visit = services.record_visit(blood.officer, donor.pk, **{**GOOD_VITALS, "temperature_c": 38.2})
    assert not visit.eligible
    deferral = Deferral.objects.get(donor=donor)
    assert deferral.source == "eligibility"
    assert deferral.ends_on == timezone.localdate() + dt.timedelta(days=7)
