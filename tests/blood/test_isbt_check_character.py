"""ISBT 128 DINs: the ISO 7064 Mod 37-2 check character against the published example, parsing and the label."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siaga.blood import isbt

# Published worked example (UK Red Book, Annex 2 "ISBT 128 check character calculation"): the donation
# number G123 498 654 321 has the Mod 37-2 checksum 17, barcode check flags "77" and eye-readable check "H".
PUBLISHED = ("G123498654321", 17, "77", "H")


def test_it_matches_the_published_worked_example():
    din, checksum, flags, char = PUBLISHED
    assert isbt.mod37_2(din) == checksum
    assert isbt.barcode_check_value(din) == flags
    assert isbt.check_character(din) == char


def test_the_recursive_form_equals_the_weighted_sum_definition():
    # ISO 7064 as the Red Book states it: sum of value x 2^n (n = position from the right), mod 37, from 38, mod 37.
    def weighted(text):
        total = sum(isbt.CHARSET.index(c) * 2 ** (len(text) - i) for i, c in enumerate(text))
        return (38 - total % 37) % 37

    for text in ("G123498654321", "A999926000001", "W000007123456", "Z9999991234567"[:13]):
        assert isbt.mod37_2(text) == weighted(text)


DIN_CHARS = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), DIN_CHARS, st.integers(0, 12), st.integers(1, 9))
def test_every_single_character_typing_error_is_caught(first, rest, pos, delta):
    din = first + rest
    chars = list(din)
    alphabet = "0123456789" if pos else "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    chars[pos] = alphabet[(alphabet.index(chars[pos]) + delta) % len(alphabet)]
    typo = "".join(chars)
    if typo != din:
        assert isbt.check_character(typo) != isbt.check_character(din)


@given(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), DIN_CHARS, st.integers(0, 11))
def test_every_swap_of_neighbours_is_caught(first, rest, pos):
    din = first + rest
    swapped = din[:pos] + din[pos + 1] + din[pos] + din[pos + 2:]
    if swapped != din:
        assert isbt.check_character(swapped) != isbt.check_character(din)


def test_it_builds_a_din_from_facility_year_and_sequence():
    din = isbt.make_din("A9999", 2026, 42)
    assert din.din == "A999926000042"
    assert din.barcode_data == "=A99992600004200"
    assert din.eye_readable.startswith("A9999 26 000042 00 ")
    assert din.check == isbt.check_character("A999926000042")


@pytest.mark.parametrize("fin", ["", "A999", "AA999", "a99999", "A99X9"])
def test_it_refuses_a_malformed_facility_number(fin):
    with pytest.raises(isbt.InvalidDin):
        isbt.make_din(fin, 2026, 1)


def test_it_refuses_a_sequence_past_six_digits():
    with pytest.raises(isbt.InvalidDin):
        isbt.make_din("A9999", 2026, 1_000_000)


def test_it_parses_typed_and_scanned_forms():
    assert isbt.parse("G123 498 654 321").din == "G123498654321"
    assert isbt.parse("G123 49 8654321 00 H").din == "G123498654321"
    assert isbt.parse("=G12349865432100").flags == "00"


def test_it_refuses_a_wrong_check_character():
    with pytest.raises(isbt.InvalidDin) as exc:
        isbt.parse("G123 49 8654321 00 K")
    assert exc.value.code == "din_check_mismatch"


def test_it_can_require_the_check_character():
    with pytest.raises(isbt.InvalidDin) as exc:
        isbt.parse("G123498654321", require_check=True)
    assert exc.value.code == "din_check_missing"


def test_the_label_barcode_is_a_code128_svg_without_inline_styles():
    svg = isbt.barcode_svg(isbt.make_din("A9999", 2026, 1))
    assert svg.startswith("<svg")
    assert "style=" not in svg
    assert svg.count("<rect") > 20  # the bars
