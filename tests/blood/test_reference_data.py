"""The data migration seeds component types, product codes and eligibility rules (editable as data)."""

import pytest

from siaga.blood.models import ComponentType, EligibilityRule, ProductCode


@pytest.mark.django_db
def test_it_seeds_component_types_with_shelf_life_and_storage():
    prc = ComponentType.objects.get(code="PRC")
    assert prc.shelf_life_hours == 35 * 24
    assert (prc.storage_min_c, prc.storage_max_c) == (2, 6)
    assert ComponentType.objects.get(code="TC").shelf_life_hours == 5 * 24
    assert ComponentType.objects.get(code="FFP").frozen
    assert ComponentType.objects.get(code="CRYO").derived_from.code == "FFP"


@pytest.mark.django_db
def test_it_seeds_product_codes_with_shelf_life_overrides():
    assert ProductCode.objects.get(code="PRC-SAGM").shelf_life_hours == 42 * 24
    assert ProductCode.objects.get(code="PRC-CPDA1").shelf_life_hours is None


@pytest.mark.django_db
def test_it_seeds_permenkes_rules_with_their_source():
    rule = EligibilityRule.objects.get(code="hb")
    assert (float(rule.min_value), float(rule.max_value)) == (12.5, 17.0)
    assert "91/2015" in rule.source
    assert EligibilityRule.objects.get(code="weight-450").bag_volume_ml == 450
