"""Region search by name: typo tolerance, spacing, prefix before fuzzy, level and area filters, parent chain."""

import pytest

from siaga.geo import search
from siaga.geo.models import Region


@pytest.fixture
def mojokerto_and_jakarta(load_regions):
    load_regions("35.76", "35.16", "31.71")


def codes(hits):
    return [h.code for h in hits]


def test_it_finds_prajuritkulon_when_typed_with_a_space(mojokerto_and_jakarta):
    hits = search.search("prajurit kulon")
    assert codes(hits)[:2] == ["35.76.01", "35.76.01.1006"]
    assert hits[0].match == "exact"
    assert hits[1].label == "Prajuritkulon, Prajuritkulon, Kota Mojokerto, Jawa Timur"
    assert hits[1].parents == ["Prajuritkulon", "Kota Mojokerto", "Jawa Timur"]


def test_it_tolerates_typos(mojokerto_and_jakarta):
    assert "35.76.01.1006" in codes(search.search("prajurit kolon"))
    assert codes(search.search("kranggn", within="35.76"))[:2] == ["35.76.03", "35.76.03.1001"]
    assert search.search("mentikn")[0].code == "35.76.01.1003"
    assert search.search("mentikn")[0].match == "fuzzy"


def test_it_finds_kranggan_in_kota_mojokerto_first_when_scoped(mojokerto_and_jakarta):
    hits = search.search("kranggan", within="35.76")
    assert codes(hits) == ["35.76.03", "35.76.03.1001"]
    assert hits[0].label == "Kranggan, Kota Mojokerto, Jawa Timur"


def test_the_area_filter_excludes_everything_outside(mojokerto_and_jakarta):
    assert all(h.code.startswith("35.16") for h in search.search("kranggan", within="35.16", limit=50))
    assert search.search("mentikan", within="31") == []
    assert search.search("mentikan", within="35.7") == []  # a code prefix, not a string prefix


def test_the_level_filter_keeps_one_level(mojokerto_and_jakarta):
    assert codes(search.search("kranggan", within="35.76", level=4)) == ["35.76.03.1001"]
    assert codes(search.search("mojokerto", level=2)) == ["35.16", "35.76"]


def test_kabkota_are_found_without_their_kabupaten_or_kota_prefix(mojokerto_and_jakarta):
    assert codes(search.search("mojokerto", level=2)) == ["35.16", "35.76"]
    assert search.search("jakarta pusat")[0].code == "31.71"
    assert search.search("kota mojokerto")[0].code == "35.76"


def test_exact_and_prefix_hits_rank_before_fuzzy_ones(mojokerto_and_jakarta):
    hits = search.search("magers", within="35.76")
    assert [h.match for h in hits][:2] == ["prefix", "prefix"]
    assert codes(hits)[:2] == ["35.76.02", "35.76.02.1003"]


def test_empty_or_punctuation_only_queries_find_nothing(mojokerto_and_jakarta):
    assert search.search("") == []
    assert search.search(" .,- ") == []


def test_the_limit_is_respected(mojokerto_and_jakarta):
    assert len(search.search("k", limit=3)) == 3


def test_the_candidate_table_follows_renames(mojokerto_and_jakarta):
    assert search.search("mentikan")[0].code == "35.76.01.1003"
    r = Region.objects.get(code="35.76.01.1003")
    r.name, r.search_key = "Mentikan Baru", "mentikanbaru"
    r.save()
    assert search.search("mentikan baru")[0].match == "exact"


def test_normalize_folds_case_spacing_punctuation_and_accents():
    assert search.normalize("Prajurit Kulon") == search.normalize("PRAJURITKULON") == "prajuritkulon"
    assert search.normalize("Regapu’u") == "regapuu"
    assert search.normalize("Kota Adm. Jakarta Pusat") == "kotaadmjakartapusat"
    assert search.normalize("Beté") == "bete"
