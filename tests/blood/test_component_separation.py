"""Separating a bag into components: expiry from the collection time, storage data from the type, quarantine."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import services
from siaga.blood.models import ComponentType, DailyUsage
from siaga.core.errors import ServiceError

from .conftest import screen_all


def separate(blood, donation, *specs):
    return services.separate_components(blood.officer, donation.pk, components=list(specs))


def test_expiry_counts_from_collection_per_component(blood, make_donation):
    collected = timezone.now() - dt.timedelta(hours=5)
    donation = make_donation(at=collected)
    prc, tc, ffp = separate(blood, donation, {"type": "PRC", "volume_ml": 200}, {"type": "TC", "volume_ml": 50},
                            {"type": "FFP", "volume_ml": 100})
    assert prc.expires_at == collected + dt.timedelta(days=35)
    assert tc.expires_at == collected + dt.timedelta(days=5)
    assert ffp.expires_at == collected + dt.timedelta(days=365)
    assert {c.status for c in (prc, tc, ffp)} == {"quarantine"}
    assert prc.din == donation.din


def test_a_product_code_overrides_the_shelf_life(blood, make_donation):
    donation = make_donation()
    (prc,) = separate(blood, donation, {"type": "PRC", "product_code": "PRC-SAGM"})
    assert prc.expires_at == donation.collected_at + dt.timedelta(days=42)


def test_shelf_life_is_configurable(blood, make_donation):
    ComponentType.objects.filter(code="TC").update(shelf_life_hours=7 * 24)
    donation = make_donation()
    (tc,) = separate(blood, donation, {"type": "TC"})
    assert tc.expires_at == donation.collected_at + dt.timedelta(days=7)


def test_components_cannot_exceed_the_bag_or_repeat(blood, make_donation):
    donation = make_donation()
    with pytest.raises(ServiceError) as exc:
        separate(blood, donation, {"type": "PRC", "volume_ml": 250}, {"type": "FFP", "volume_ml": 150})
    assert exc.value.code == "volume_exceeded"
    assert not donation.components.exists()
    separate(blood, donation, {"type": "PRC"})
    with pytest.raises(ServiceError):
        separate(blood, donation, {"type": "PRC"})


def test_derived_products_are_not_made_from_the_bag(blood, make_donation):
    donation = make_donation()
    with pytest.raises(ServiceError) as exc:
        separate(blood, donation, {"type": "PRC-W"})
    assert exc.value.code == "component_not_allowed"


def test_washing_red_cells_gives_24_hours_and_uses_up_the_parent(blood, make_donation):
    donation = make_donation()
    (prc,) = separate(blood, donation, {"type": "PRC"})
    screen_all(blood.officer, donation)
    washed = services.derive_component(blood.officer, prc.pk, type_code="PRC-W")
    prc.refresh_from_db()
    assert prc.status == "discarded"
    assert washed.status == "available" and washed.parent == prc
    assert washed.expires_at - washed.prepared_at == dt.timedelta(hours=24)


def test_grouped_components_count_as_collected(blood, make_donation):
    donation = make_donation()
    separate(blood, donation, {"type": "PRC"})
    screen_all(blood.officer, donation, abo="B", rhd="pos")
    row = DailyUsage.objects.get(site=blood.udd, component_type__code="PRC", abo="B", rhd="pos")
    assert row.collected == 1
