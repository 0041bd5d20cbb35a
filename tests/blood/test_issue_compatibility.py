"""Every compatibility pair: red cells (8 x 8), plasma (reverse rule), platelets, whole blood, against the antigen rule."""

import pytest

from siaga.blood import services_issue as si

GROUPS = [(abo, rhd) for abo in ("O", "A", "B", "AB") for rhd in ("pos", "neg")]
ANTIGENS = {"O": set(), "A": {"A"}, "B": {"B"}, "AB": {"A", "B"}}


def cells_ok(recipient, donor):
    """Donor red cells carry no antigen the recipient lacks (ABO and D)."""
    r_ag = ANTIGENS[recipient[0]] | ({"D"} if recipient[1] == "pos" else set())
    d_ag = ANTIGENS[donor[0]] | ({"D"} if donor[1] == "pos" else set())
    return d_ag <= r_ag


def plasma_ok(recipient, donor):
    """Donor plasma holds antibodies against the ABO antigens the donor lacks: none may meet the recipient's."""
    donor_antibodies = {"A", "B"} - ANTIGENS[donor[0]]
    return not (donor_antibodies & ANTIGENS[recipient[0]])


@pytest.mark.parametrize("recipient", GROUPS)
@pytest.mark.parametrize("donor", GROUPS)
def test_red_cells_follow_the_antigen_rule_for_all_64_pairs(recipient, donor):
    assert si.compatible("red_cells", recipient, donor) is cells_ok(recipient, donor)


@pytest.mark.parametrize("recipient", GROUPS)
@pytest.mark.parametrize("donor", GROUPS)
def test_plasma_follows_the_reverse_rule_for_all_64_pairs(recipient, donor):
    assert si.compatible("plasma", recipient, donor) is plasma_ok(recipient, donor)
    assert si.compatible("cryo", recipient, donor) is plasma_ok(recipient, donor)


def test_red_cell_order_saves_rhd_negative_and_group_o():
    assert si.preference("red_cells", "A", "pos") == [("A", "pos"), ("A", "neg"), ("O", "pos"), ("O", "neg")]
    for recipient in GROUPS:
        order = si.preference("red_cells", *recipient)
        assert order[0] == recipient  # identical first
        if recipient != ("O", "neg"):
            assert order[-1] == ("O", "neg")  # the universal donor is the last resort
        # Group O comes after every other compatible group.
        first_o = next(i for i, g in enumerate(order) if g[0] == "O")
        assert all(g[0] == "O" for g in order[first_o:])


def test_ab_plasma_is_universal_and_kept_for_last():
    for recipient in GROUPS:
        order = si.preference("plasma", *recipient)
        assert ("AB", "pos") in order and ("AB", "neg") in order
        assert order[0] == recipient
        assert order[-1][0] == "AB"
    assert [g for g, _r in si.preference("plasma", "A", "pos")] == ["A", "A", "AB", "AB"]


@pytest.mark.parametrize("recipient", GROUPS)
def test_platelets_prefer_abo_identical_and_keep_rhd_negative_recipients_negative(recipient):
    order = si.preference("platelets", *recipient)
    identical = [g for g in order if g[0] == recipient[0]]
    assert order[: len(identical)] == identical  # ABO-identical first
    assert len({g[0] for g in order}) == 4  # then any ABO group
    if recipient[1] == "neg":
        assert all(r == "neg" for _a, r in order)


@pytest.mark.parametrize("recipient", GROUPS)
@pytest.mark.parametrize("donor", GROUPS)
def test_whole_blood_is_abo_identical_only(recipient, donor):
    expected = donor[0] == recipient[0] and cells_ok(recipient, donor)
    assert si.compatible("whole_blood", recipient, donor) is expected
