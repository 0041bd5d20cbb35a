"""Collection: a donation after an eligible visit gets the next ISBT 128 DIN with its check character."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import isbt, services
from siaga.blood.models import Donation
from siaga.core.errors import ServiceError

from .conftest import GOOD_VITALS


def test_donations_get_sequential_dins_with_valid_check_characters(blood, make_donation, capture_events):
    with capture_events() as evs:
        first = make_donation()
        second = make_donation()
    year = timezone.localdate().year % 100
    assert first.din == f"A9999{year:02d}000001"
    assert second.din == f"A9999{year:02d}000002"
    assert first.din_check == isbt.check_character(first.din)
    assert isbt.parse(first.din_display).din == first.din
    assert "blood.donation.recorded" in [e["type"] for e in evs]


def test_the_donor_record_follows_the_donation(blood, make_donation, make_donor):
    donor = make_donor()
    donation = make_donation(donor=donor)
    donor.refresh_from_db()
    assert donor.donation_count == 1
    assert donor.last_donation_at == donation.collected_at
    assert donor.next_eligible_on == timezone.localdate(donation.collected_at) + dt.timedelta(days=60)


def test_an_ineligible_visit_cannot_become_a_donation(blood, make_donor):
    donor = make_donor()
    visit = services.record_visit(blood.officer, donor.pk, **{**GOOD_VITALS, "hb_g_dl": 11.9})
    with pytest.raises(ServiceError) as exc:
        services.record_donation(blood.officer, visit_id=visit.pk, bag_type="triple", volume_ml=350)
    assert exc.value.code == "not_eligible"
    assert [r["rule"] for r in exc.value.details["refusals"]] == ["hb"]
    assert not Donation.objects.exists()


def test_a_donor_inside_the_interval_is_refused_with_the_date(blood, make_donation, make_donor):
    donor = make_donor()
    make_donation(donor=donor, at=timezone.now() - dt.timedelta(days=30))
    visit = services.record_visit(blood.officer, donor.pk, **GOOD_VITALS)
    assert not visit.eligible
    assert visit.refusals[0]["code"] == "interval_days_low"
    assert visit.refusals[0]["until"]


def test_one_visit_gives_one_donation(blood, make_donor):
    donor = make_donor()
    visit = services.record_visit(blood.officer, donor.pk, **GOOD_VITALS)
    services.record_donation(blood.officer, visit_id=visit.pk, bag_type="triple", volume_ml=350)
    with pytest.raises(ServiceError):
        services.record_donation(blood.officer, visit_id=visit.pk, bag_type="triple", volume_ml=350)


def test_an_adverse_reaction_is_recorded_and_may_defer(blood, make_donation):
    donation = make_donation()
    services.record_adverse_reaction(blood.officer, donation.pk, severity="moderate", notes="pingsan",
                                     defer_days=90)
    donation.refresh_from_db()
    assert donation.adverse_reaction == "moderate"
    donation.donor.refresh_from_db()
    assert donation.donor.next_eligible_on == timezone.localdate() + dt.timedelta(days=90)


def test_find_donation_refuses_a_mistyped_check_character(blood, make_donation):
    donation = make_donation()
    assert services.find_donation(blood.officer, donation.din_display) == donation
    wrong = isbt.CHARSET[(isbt.CHARSET.index(donation.din_check) + 1) % 37]
    with pytest.raises(isbt.InvalidDin):
        services.find_donation(blood.officer, f"{donation.din} {donation.din_flags} {wrong}")


def test_refusals_leave_an_audit_record_and_change_nothing(blood, make_donor, make_donation):
    from siaga.core.models import AuditLog

    donor = make_donor()
    make_donation(donor=donor, at=timezone.now() - dt.timedelta(days=10))
    visit = services.record_visit(blood.officer, donor.pk, **GOOD_VITALS)  # inside the interval: not eligible
    with pytest.raises(ServiceError):
        services.record_donation(blood.officer, visit_id=visit.pk, bag_type="triple", volume_ml=350)
    refused = AuditLog.objects.get(action="refused", model="blood.donorvisit", object_id=str(visit.pk))
    assert refused.changes["code"][1] == "not_eligible"
    assert refused.actor == blood.officer_user
    assert Donation.objects.filter(donor=donor).count() == 1
    with pytest.raises(isbt.InvalidDin):
        services.find_donation(blood.officer, "G123 49 8654321 00 K")
    assert AuditLog.objects.filter(action="refused", model="blood.donation",
                                   changes__code__1="din_check_mismatch").exists()


@pytest.mark.parametrize("local_time", ["07:30", "12:34", "23:45"])
def test_the_next_eligible_date_counts_a_donation_made_at_any_hour_of_the_day(blood, make_donation, make_donor,
                                                                              local_time, time_machine):
    """A donation in the afternoon once left the donor eligible again the same day (the check looked at noon)."""
    from zoneinfo import ZoneInfo

    hh, mm = map(int, local_time.split(":"))
    at = dt.datetime(2026, 5, 20, hh, mm, tzinfo=ZoneInfo("Asia/Jakarta"))
    time_machine.move_to(at + dt.timedelta(minutes=10), tick=False)
    donor = make_donor()
    make_donation(donor=donor, at=at)
    donor.refresh_from_db()
    assert donor.next_eligible_on == dt.date(2026, 5, 20) + dt.timedelta(days=60)
