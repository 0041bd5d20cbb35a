"""The real BMKG Banten nowcast yields the kecamatan its own description names, and no others beyond a sliver."""

import re

import pytest

from siaga.disaster import services
from siaga.disaster.models import AffectedArea

pytestmark = pytest.mark.django_db


def _named_kecamatan(description: str) -> set[str]:
    listed = re.search(r"khususnya di (.*?)\.\s", description, re.S).group(1)
    return {name.strip().lower() for name in listed.split(",")}


def test_it_yields_the_kecamatan_the_description_names(banten, cap_banten, system):
    result = services.ingest_cap(system, cap_banten, source_name="cap_banten.xml")
    assert result.status == "created"
    w = result.warning
    named = _named_kecamatan(w.description_id)
    kec = list(AffectedArea.objects.filter(warning=w, level=3))
    assert kec, "the polygons cover no kecamatan"
    # Every kecamatan holding a real part of the warning area is one the description names.
    real = [a for a in kec if a.warning_share >= 0.01]
    assert {a.name.lower() for a in real} <= named, [a.name for a in real]
    # The two centres of the two polygons: Citangkil (Kota Cilegon) and Lebakgedong (Lebak), mostly covered.
    by_name = {a.name: a for a in kec}
    assert by_name["Lebakgedong"].share > 0.9
    assert by_name["Citangkil"].share > 0.85
    # Unnamed kecamatan only graze the polygons: together under 1% of the warning's area.
    unnamed = [a for a in kec if a.name.lower() not in named]
    assert sum(a.warning_share for a in unnamed) < 0.01, [(a.name, a.warning_share) for a in unnamed]
    assert all(a.share < 0.05 for a in unnamed)
    # Shares are shares.
    assert all(0 < a.share <= 1 and 0 <= a.warning_share <= 1 for a in kec)
    assert abs(sum(a.warning_share for a in kec) - 1) < 0.02  # the polygons lie on land in Banten


def test_it_marks_the_warning_region_as_banten(banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="cap_banten.xml").warning
    assert w.region_code == "36"
    assert w.source == "bmkg_cap" and w.organization_id is None
    assert w.raw.startswith("<?xml") and "Lebakgedong" in w.raw


def test_population_is_carried_where_known(banten, cap_banten, system):
    from siaga.geo.models import Region

    Region.objects.filter(code="36.02.25").update(population=40_000)  # Lebakgedong
    w = services.ingest_cap(system, cap_banten, source_name="cap_banten.xml").warning
    lebakgedong = AffectedArea.objects.get(warning=w, region_code="36.02.25")
    assert lebakgedong.population == 40_000
    assert lebakgedong.population_affected == round(40_000 * lebakgedong.share)
    assert AffectedArea.objects.get(warning=w, region_code="36.72.08").population is None  # unknown stays unknown
