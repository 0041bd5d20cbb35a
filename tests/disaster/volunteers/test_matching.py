"""Identity matching for Indonesian names: mononyms, old spellings, titles, initials, order; NIK always wins."""

import datetime as dt

import pytest

from siaga.disaster.volunteers.matching import NAME_THRESHOLD, Identity, name_score, normalize_name, score


@pytest.mark.parametrize("a, b", [
    ("Suparman", "Suparman S."),
    ("Suparman", "Soeparman"),
    ("Suparman S.", "Suparman Sastrowardojo"),
    ("Suparman", "SUPARMAN"),
])
def test_mononyms_match_their_variants(a, b):
    assert name_score(a, b).score >= NAME_THRESHOLD


@pytest.mark.parametrize("old, new", [
    ("Soeparman", "Suparman"),  # oe -> u
    ("Djoko Soesilo", "Joko Susilo"),  # dj -> j
    ("Tjahjo Kumolo", "Cahyo Kumolo"),  # tj -> c, j -> y
    ("Sjamsul Bahri", "Syamsul Bahri"),  # sj -> sy
    ("Chairul Tanjung", "Khairul Tanjung"),  # ch -> kh
    ("Jusuf Effendi", "Yusuf Efendi"),  # j -> y, doubled letters
    ("Moh. Rizky", "Muhammad Rizki"),  # Muhammad's short forms, final y
    ("Nurhajati", "Nur Hayati"),  # written together or apart
])
def test_old_and_new_spellings_match(old, new):
    m = name_score(old, new)
    assert m.score >= NAME_THRESHOLD, (old, new, m)


def test_a_spelling_variant_is_named_as_such():
    assert "spelling_variant" in name_score("Soeparman", "Suparman").reasons
    assert "name_equal" in name_score("Suparman", "suparman").reasons


@pytest.mark.parametrize("titled, plain", [
    ("H. Suparman, S.Kep", "Suparman"),
    ("Hj. Siti Aminah, Amd.Kep", "Siti Aminah"),
    ("Dr. Ir. Bambang Susanto, M.Kes.", "Bambang Soesanto"),
    ("Bpk Joko Widodo", "Joko Widodo"),
    ("Ibu Sri Wahyuni S.Kep Ns", "Sri Wahjoeni"),
    ("dr. Ani Lestari, Sp.A", "Ani Lestari"),
])
def test_titles_and_degrees_are_ignored(titled, plain):
    m = name_score(titled, plain)
    assert m.score == 100, m
    assert "titles_removed" in m.reasons


def test_initials_stand_for_name_parts():
    m = name_score("M. Rizki", "Muhammad Rizki")
    assert m.score >= NAME_THRESHOLD and "initials" in m.reasons


def test_order_of_name_parts_does_not_matter():
    m = name_score("Rizki Muhammad Akbar", "Muhammad Rizki Akbar")
    assert m.score >= NAME_THRESHOLD and "name_order" in m.reasons


def test_a_single_name_inside_a_longer_one_is_likely_but_not_certain():
    m = name_score("Suparman", "Suparman Hadi")
    assert NAME_THRESHOLD <= m.score < 100
    assert "mononym" in m.reasons


@pytest.mark.parametrize("a, b", [
    ("Suparman", "Sutrisno"),
    ("Suparman", "Supardi"),
    ("Siti Aminah", "Siti Rahayu"),
    ("Budi Santoso", "Budi Setiawan"),
    ("Andi", "Andri"),
    ("Suparman S.", "Suparman B."),  # initials that contradict each other
    ("Agus Salim", "Agus Salim Hidayat Nugroho"),
])
def test_clearly_different_people_do_not_match(a, b):
    assert name_score(a, b).score < NAME_THRESHOLD, (a, b, name_score(a, b))


def test_normalized_name_is_the_stored_key():
    assert normalize_name("H. Soeparman, S.Kep") == "suparman"
    assert normalize_name("Djoko  Tjahjono") == normalize_name("Joko Cahyono")


BD = dt.date(1990, 5, 12)


def test_equal_nik_always_matches_whatever_the_names():
    m = score(Identity("Suparman", nik_hash="abc"), Identity("Siti Rahayu", nik_hash="abc"))
    assert m.likely and m.score == 100 and "nik_equal" in m.reasons


def test_same_phone_is_likely():
    m = score(Identity("Budi", phone="+6281234567890"), Identity("Sutrisno", phone="+6281234567890"))
    assert m.likely and "phone_equal" in m.reasons


def test_similar_name_needs_birth_date_or_kelurahan():
    a = Identity("Soeparman", nik_hash="a", birth_date=BD, region_code="35.76.01.1006")
    assert score(a, Identity("Suparman S.", nik_hash="b", birth_date=BD, region_code="32.75.01.1001")).likely
    assert score(a, Identity("Suparman", nik_hash="b", region_code="35.76.01.1006")).likely
    # Same name, nothing else in common: a common name is not evidence enough.
    assert not score(a, Identity("Suparman", nik_hash="b", birth_date=dt.date(1971, 1, 1),
                                 region_code="32.75.01.1001")).likely


def test_different_people_with_same_birth_date_do_not_match():
    a = Identity("Suparman", nik_hash="a", birth_date=BD)
    assert not score(a, Identity("Siti Rahayu", nik_hash="b", birth_date=BD)).likely


def test_score_ranks_more_evidence_higher():
    base = Identity("Soeparman", nik_hash="a", birth_date=BD, region_code="35.76.01.1006", phone="+6281234567890")
    weak = score(base, Identity("Suparman", nik_hash="b", region_code="35.76.01.1006"))
    strong = score(base, Identity("Suparman", nik_hash="b", region_code="35.76.01.1006", birth_date=BD,
                                  phone="+6281234567890"))
    assert strong.score > weak.score
