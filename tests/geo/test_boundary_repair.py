"""Invalid polygons (self-intersections) are repaired with make_valid and reported, never dropped."""

import json

import pytest
import shapely

from siaga.core.permissions import system_actor
from siaga.geo import services
from siaga.geo.models import Region

from .conftest import collection, feature

KABKOTA = "kabkota_jatim_dki_jabar_banten_riau_jambi.geojson"


def bowtie(x=112.40, y=-7.50, d=0.02):
    """A self-intersecting ring: invalid, with a polygonal area once repaired."""
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]]}


@pytest.mark.slow
def test_it_repairs_the_14_invalid_kabkota_polygons_and_reports_their_codes(boundaries_dir, load_regions):
    data = json.loads((boundaries_dir / KABKOTA).read_text())
    invalid = sorted(f["properties"]["kode"] for f in data["features"]
                     if not shapely.geometry.shape(f["geometry"]).is_valid)
    assert len(invalid) == 14
    load_regions(*sorted({f["properties"]["kode"][:2] for f in data["features"]}))

    report = services.import_boundaries(system_actor(), boundaries_dir / KABKOTA)

    assert report.imported == 102
    assert report.repaired == invalid
    repaired = Region.objects.filter(boundary_repaired=True)
    assert sorted(repaired.values_list("code", flat=True)) == invalid
    for r in repaired:
        geom = shapely.geometry.shape(r.boundary)
        assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon") and not geom.is_empty
    assert Region.objects.filter(level=2, boundary__isnull=False).count() == 102


def test_it_repairs_a_bowtie_into_polygons_and_keeps_only_polygonal_parts(load_regions):
    load_regions("35.76")
    report = services.import_boundaries(system_actor(), collection(feature("35.76.01.1003", bowtie())))
    assert report.repaired == ["35.76.01.1003"]
    r = Region.objects.get(code="35.76.01.1003")
    geom = shapely.geometry.shape(r.boundary)
    assert r.boundary_repaired and geom.is_valid
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert geom.area == pytest.approx(0.0002, rel=1e-6)


def test_it_reports_repairs_on_every_reimport_but_changes_nothing_the_second_time(load_regions):
    load_regions("35.76")
    fc = collection(feature("35.76.01.1003", bowtie()))
    services.import_boundaries(system_actor(), fc)
    again = services.import_boundaries(system_actor(), fc)
    assert again.repaired == ["35.76.01.1003"]
    assert (again.updated, again.unchanged) == (0, 1)
