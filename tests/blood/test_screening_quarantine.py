"""Quarantine release: units stay in quarantine until all four markers and the grouping are in and non-reactive."""

import pytest

from siaga.blood import services
from siaga.blood.models import Component
from siaga.core.errors import ServiceError

from .conftest import screen_all


@pytest.fixture
def donation_with_units(blood, make_donation):
    donation = make_donation()
    services.separate_components(blood.officer, donation.pk, components=[{"type": "PRC"}, {"type": "FFP"}])
    return donation


def statuses(donation):
    return set(Component.objects.filter(donation=donation).values_list("status", flat=True))


def test_units_stay_in_quarantine_until_the_last_result(blood, donation_with_units):
    d = donation_with_units
    services.record_screening_result(blood.officer, d.pk, marker="grouping", result="", abo="A", rhd="neg")
    for marker in ("hiv", "hbsag", "hcv"):
        services.record_screening_result(blood.officer, d.pk, marker=marker, result="nonreactive")
        assert statuses(d) == {"quarantine"}
    services.record_screening_result(blood.officer, d.pk, marker="syphilis", result="nonreactive")
    assert statuses(d) == {"available"}
    d.refresh_from_db()
    assert d.status == "released" and d.screening == "negative"


def test_grouping_sets_the_units_and_confirms_the_donor(blood, donation_with_units, capture_events):
    d = donation_with_units
    with capture_events() as evs:
        screen_all(blood.officer, d, abo="AB", rhd="neg")
    assert set(Component.objects.filter(donation=d).values_list("abo", "rhd")) == {("AB", "neg")}
    d.donor.refresh_from_db()
    assert (d.donor.abo, d.donor.rhd, d.donor.group_confirmed) == ("AB", "neg", True)
    types = [e["type"] for e in evs]
    assert "blood.screening.completed" in types
    stock = [e for e in evs if e["type"] == "blood.stock.changed"]
    assert stock and stock[-1]["payload"]["abo"] == "AB"
    assert stock[-1]["organization_id"] == blood.pmi.pk


def test_a_grouping_that_contradicts_the_confirmed_group_is_refused(blood, make_donation, donation_with_units):
    screen_all(blood.officer, donation_with_units, abo="O", rhd="pos")
    from siaga.blood.models import Donation
    later = Donation.objects.get(pk=make_donation(donor=None).pk)
    later.donor = donation_with_units.donor
    later.save()
    with pytest.raises(ServiceError) as exc:
        services.record_screening_result(blood.officer, later.pk, marker="grouping", result="", abo="A", rhd="pos")
    assert exc.value.code == "group_mismatch"


def test_a_result_cannot_be_entered_twice(blood, donation_with_units):
    services.record_screening_result(blood.officer, donation_with_units.pk, marker="hiv", result="nonreactive")
    with pytest.raises(ServiceError) as exc:
        services.record_screening_result(blood.officer, donation_with_units.pk, marker="hiv", result="reactive")
    assert exc.value.code == "duplicate_result"


def test_components_separated_after_release_are_available_at_once(blood, make_donation):
    d = make_donation()
    screen_all(blood.officer, d)
    (prc,) = services.separate_components(blood.officer, d.pk, components=[{"type": "PRC"}])
    assert prc.status == "available" and (prc.abo, prc.rhd) == ("O", "pos")


def test_hospital_officers_cannot_enter_results(blood, donation_with_units):
    from siaga.core.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.record_screening_result(blood.hospital_officer, donation_with_units.pk, marker="hiv",
                                         result="nonreactive")
