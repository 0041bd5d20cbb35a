"""Permenkes 2/2020 categories at and around every cut-off."""

import numpy as np
import pytest

from siaga.health.growth import classify


@pytest.mark.parametrize("z,expected", [
    (-3.01, "severely_stunted"), (-3.0, "stunted"), (-2.01, "stunted"), (-2.0, "normal"),
    (0.0, "normal"), (3.0, "normal"), (3.01, "tall"),
])
def test_length_height_for_age_bands(z, expected):
    assert classify("lhfa", z)[0] == expected


@pytest.mark.parametrize("z,expected", [
    (-3.5, "severely_wasted"), (-3.0, "wasted"), (-2.0, "normal"), (1.0, "normal"),
    (1.01, "possible_risk_of_overweight"), (2.0, "possible_risk_of_overweight"), (2.01, "overweight"),
    (3.0, "overweight"), (3.01, "obese"),
])
def test_weight_for_length_height_bands(z, expected):
    assert classify("wflh", z)[0] == expected


@pytest.mark.parametrize("z,expected", [
    (-3.2, "severely_wasted"), (-2.5, "wasted"), (0.5, "normal"), (1.5, "possible_risk_of_overweight"),
    (2.5, "overweight"), (4.0, "obese"),
])
def test_bmi_for_age_uses_the_weight_for_length_bands(z, expected):
    assert classify("bmi", z)[0] == expected


@pytest.mark.parametrize("z,expected", [
    (-3.01, "severely_underweight"), (-3.0, "underweight"), (-2.0, "normal"), (1.0, "normal"),
    (1.01, "risk_of_overweight"),
])
def test_weight_for_age_bands(z, expected):
    assert classify("wfa", z)[0] == expected


def test_missing_z_has_no_category():
    assert list(classify("wfa", np.array([np.nan, -2.5]))) == ["", "underweight"]


def test_unknown_indicator_is_refused():
    with pytest.raises(ValueError):
        classify("hcfa", 0.0)
