"""Our z-scores agree with WHO Anthro's own output for every child and indicator WHO computed."""

import numpy as np
import pytest

from siaga.health import growth

from .who_anthro import survey

PAIRS = [("zlen", "flen"), ("zwei", "fwei"), ("zwfl", "fwfl"), ("zbmi", "fbmi")]


def _ours(age_days):
    s = survey()
    return growth.compute(s["GENDER"], age_days, s["WEIGHT"], s["HEIGHT"], s["measure"], s["oedema"])


@pytest.mark.parametrize("zname,fname", PAIRS)
def test_it_matches_who_anthro_within_a_hundredth(zname, fname):
    s = survey()
    ours = _ours(s["age.days"])
    ref = s[zname]
    computed_by_who = ~np.isnan(ref)
    assert computed_by_who.sum() > 400
    mismatched = [s["id"][i] for i in np.where(computed_by_who & np.isnan(ours[zname]))[0]]
    assert mismatched == [], f"WHO computed {zname} for children {mismatched}, we did not"
    diff = np.abs(ours[zname][computed_by_who] - ref[computed_by_who])
    worst = int(np.argmax(diff))
    assert diff.max() <= 0.01, f"{zname}: child {np.array(s['id'])[computed_by_who][worst]} differs by {diff.max():.4f}"


@pytest.mark.parametrize("zname,fname", PAIRS)
def test_it_leaves_out_what_who_leaves_out(zname, fname):
    s = survey()
    ours = _ours(s["age.days"])
    extra = [s["id"][i] for i in np.where(np.isnan(s[zname]) & ~np.isnan(ours[zname]))[0]]
    assert extra == []


@pytest.mark.parametrize("zname,fname", PAIRS)
def test_it_flags_the_same_children_as_who(zname, fname):
    s = survey()
    ours = _ours(s["age.days"])
    has_flag = ~np.isnan(s[fname])
    assert np.array_equal(ours[fname][has_flag], s[fname][has_flag].astype(bool))


def test_age_in_months_gives_the_same_answer_as_age_in_days():
    s = survey()
    by_days = _ours(s["age.days"])
    by_months = _ours(s["agemons"] * growth.DAYS_PER_MONTH)
    for zname, _f in PAIRS:
        both = ~np.isnan(s[zname])
        assert np.max(np.abs(by_days[zname][both] - by_months[zname][both])) <= 0.01


def test_it_adjusts_length_height_like_who():
    s = survey()
    ours = _ours(s["age.days"])
    known = ~np.isnan(s["clenhei"])
    assert np.allclose(ours["clenhei"][known], s["clenhei"][known], atol=1e-6)
