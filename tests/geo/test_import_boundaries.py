"""Boundary import from the real GeoJSON files: geometry, centroid, H3 cell, bbox, idempotence."""

import json

import h3
import shapely

from siaga.core.permissions import system_actor
from siaga.geo import services
from siaga.geo.models import BoundaryImport, Region

from .conftest import collection, feature, square


def test_it_stores_geometry_centroid_h3_cell_bbox_and_source(mojokerto, boundaries_dir):
    assert mojokerto.imported == 18
    assert mojokerto.level_counts == {"village": 18}
    r = Region.objects.get(code="35.76.01.1003")
    src = next(f for f in json.loads((boundaries_dir / "kel_kota_mojokerto_3576.geojson").read_text())["features"]
               if f["properties"]["kode"] == "35.76.01.1003")
    assert r.boundary == src["geometry"]
    assert (r.lat, r.lng) == (src["properties"]["lat"], src["properties"]["lng"])
    assert r.h3_cell == h3.latlng_to_cell(r.lat, r.lng, 9)
    assert h3.get_resolution(r.h3_cell) == 9
    assert r.bbox == list(shapely.geometry.shape(src["geometry"]).bounds)
    assert r.boundary_source == "kel_kota_mojokerto_3576.geojson"
    assert r.boundary_repaired is False


def test_it_is_idempotent_when_the_same_file_is_imported_again(mojokerto, load_boundaries):
    before = {r.code: (r.boundary, r.lat, r.h3_cell, r.updated_at) for r in Region.objects.filter(boundary__isnull=False)}
    again = load_boundaries("kel_kota_mojokerto_3576.geojson")
    assert (again.imported, again.updated, again.unchanged) == (18, 0, 18)
    after = {r.code: (r.boundary, r.lat, r.h3_cell, r.updated_at) for r in Region.objects.filter(boundary__isnull=False)}
    assert after == before
    assert Region.objects.count() == 23


def test_it_uses_a_point_inside_the_polygon_when_the_file_has_no_centroid(load_regions):
    load_regions("35.76")
    # An L-shaped polygon: its centroid lies outside, a representative point never does.
    ell = {"type": "Polygon", "coordinates": [[[112.40, -7.50], [112.46, -7.50], [112.46, -7.49], [112.41, -7.49],
                                               [112.41, -7.44], [112.40, -7.44], [112.40, -7.50]]]}
    services.import_boundaries(system_actor(), collection(feature("35.76.01.1003", ell)))
    r = Region.objects.get(code="35.76.01.1003")
    assert shapely.geometry.shape(ell).contains(shapely.Point(r.lng, r.lat))
    assert r.h3_cell


def test_it_accepts_parsed_dicts_and_records_the_given_source_name(load_regions):
    load_regions("35.76")
    report = services.import_boundaries(system_actor(), collection(feature("35.76.01.1003", square(112.4, -7.5))),
                                        source_name="Survey 2026")
    assert report.source == "Survey 2026"
    assert Region.objects.get(code="35.76.01.1003").boundary_source == "Survey 2026"
    assert BoundaryImport.objects.get(pk=report.import_id).source == "Survey 2026"


def test_it_imports_several_files_in_one_transaction(boundaries_dir, load_regions):
    load_regions("35.76", "15.71")
    report = services.import_boundaries(
        system_actor(),
        [boundaries_dir / "kel_kota_mojokerto_3576.geojson", boundaries_dir / "kel_kota_jambi_1571.geojson"],
    )
    assert report.imported == 18 + 68
    assert Region.objects.get(code="15.71.01.1001").boundary_source == "kel_kota_jambi_1571.geojson"
