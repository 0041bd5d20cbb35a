"""Point-to-region lookup: the desa/kelurahan at a point, its ancestors, and None off every boundary."""

import csv

import pytest
import shapely

from siaga.core.permissions import system_actor
from siaga.geo import lookup, services
from siaga.geo.models import Region

from .conftest import collection, feature, square


def _centroids(boundaries_dir, prefix):
    with (boundaries_dir / "centroids_extracted_areas.csv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["kode"].startswith(prefix) and r["kode"].count(".") == 3]


def test_a_kelurahan_centroid_maps_to_its_own_code_with_its_ancestors(mojokerto):
    result = lookup.lookup(-7.467706124463731, 112.42867054160827)  # Mentikan's centroid in the data
    assert result.code == "35.76.01.1003"
    assert result.region.name == "Mentikan" and result.region.level == 4
    assert [a.code for a in result.ancestors] == ["35", "35.76", "35.76.01"]
    assert [a.name for a in result.chain] == ["Jawa Timur", "Kota Mojokerto", "Prajuritkulon", "Mentikan"]


def test_every_kelurahan_centroid_inside_its_polygon_maps_to_its_own_code(mojokerto, boundaries_dir):
    rows = _centroids(boundaries_dir, "35.76.")
    assert len(rows) == 18
    polys = {r.code: shapely.geometry.shape(r.boundary) for r in Region.objects.filter(boundary__isnull=False)}
    checked = 0
    for row in rows:
        lat, lng = float(row["lat"]), float(row["lng"])
        if polys[row["kode"]].contains(shapely.Point(lng, lat)):  # a concave kelurahan's centroid may lie outside
            assert lookup.lookup_code(lat, lng) == row["kode"], row
            checked += 1
    assert checked >= 16


def test_a_point_in_the_sea_finds_nothing(mojokerto):
    assert lookup.lookup(-6.0, 110.0) is None  # the Java Sea
    assert lookup.lookup_many([-6.0], [110.0]) == [None]


def test_invalid_coordinates_find_nothing(mojokerto):
    assert lookup.lookup(float("nan"), 112.43) is None
    assert lookup.lookup(95, 112.43) is None
    assert lookup.lookup_codes([float("nan"), -7.4677, 91], [112.43, 112.4287, 0]) == [None, "35.76.01.1003", None]


def test_the_deepest_level_with_a_boundary_answers(load_regions):
    load_regions("35.76")
    services.import_boundaries(system_actor(), collection(
        feature("35.76", square(112.40, -7.50, 0.10)),
        feature("35.76.01", square(112.40, -7.50, 0.05)),
        feature("35.76.01.1003", square(112.40, -7.50, 0.02)),
    ))
    assert lookup.lookup_code(-7.49, 112.41) == "35.76.01.1003"
    assert lookup.lookup_code(-7.46, 112.44) == "35.76.01"
    assert lookup.lookup_code(-7.42, 112.48) == "35.76"
    assert lookup.lookup(-7.42, 112.48).ancestors[0].code == "35"


def test_a_point_on_a_shared_border_belongs_to_the_smaller_code(load_regions):
    load_regions("35.76")
    services.import_boundaries(system_actor(), collection(
        feature("35.76.01.1004", square(112.41, -7.50)),
        feature("35.76.01.1003", square(112.40, -7.50)),
    ))
    assert lookup.lookup_code(-7.495, 112.41) == "35.76.01.1003"
    assert lookup.lookup_codes([-7.495], [112.41]) == ["35.76.01.1003"]


def test_batch_lookup_answers_like_single_lookups_in_input_order(mojokerto):
    lats = [-7.4677, -6.0, -7.47, -7.48, -7.46]
    lngs = [112.4287, 110.0, 112.43, 112.44, 112.45]
    assert lookup.lookup_codes(lats, lngs) == [lookup.lookup_code(a, b) for a, b in zip(lats, lngs)]
    results = lookup.lookup_many(lats, lngs)
    assert [r.code if r else None for r in results] == lookup.lookup_codes(lats, lngs)


def test_the_index_is_rebuilt_after_an_import_in_this_process(load_regions):
    load_regions("35.76")
    assert lookup.lookup_code(-7.495, 112.405) is None
    services.import_boundaries(system_actor(), collection(feature("35.76.01.1003", square(112.40, -7.50))))
    assert lookup.lookup_code(-7.495, 112.405) == "35.76.01.1003"


def test_another_process_writes_are_noticed_through_the_version_stamp(load_regions, settings):
    load_regions("35.76")
    services.import_boundaries(system_actor(), collection(feature("35.76.01.1003", square(112.40, -7.50))))
    assert lookup.lookup_code(-7.495, 112.405) == "35.76.01.1003"
    # A queryset update sends no signal and skips services: as if another server process had written.
    from django.utils import timezone

    Region.objects.filter(code="35.76.01.1004").update(boundary=square(112.40, -7.50), updated_at=timezone.now())
    Region.objects.filter(code="35.76.01.1003").update(boundary=None, updated_at=timezone.now())
    settings.SIAGA_GEO_CACHE_SECONDS = 3600
    assert lookup.lookup_code(-7.495, 112.405) == "35.76.01.1003"  # within the check interval: cached
    settings.SIAGA_GEO_CACHE_SECONDS = 0
    assert lookup.lookup_code(-7.495, 112.405) == "35.76.01.1004"


@pytest.mark.parametrize("file,within,sample", [
    ("kel_dki_jakarta_31.geojson", "31", "31.71.01.1001"),
    ("kel_kota_pekanbaru_1471.geojson", "14.71", "14.71.01.1002"),
])
def test_representative_points_of_real_kelurahan_map_back_to_them(load_boundaries, file, within, sample):
    load_boundaries(file, within=(within,))
    regions = list(Region.objects.filter(boundary__isnull=False, level=4))
    points = [shapely.geometry.shape(r.boundary).representative_point() for r in regions]
    codes = lookup.lookup_codes([p.y for p in points], [p.x for p in points])
    wrong = [(r.code, c) for r, c in zip(regions, codes) if c != r.code]
    # Simplified neighbours may overlap slightly; a representative point should still nearly always be unique.
    assert len(wrong) <= len(regions) // 100, wrong
    assert any(r.code == sample for r in regions)
