"""ShakeMap grids: the MMI >= V area is contoured (contourpy) into polygons, and hits the regions under it."""

import json

import numpy as np
import pytest
import shapely

from siaga.disaster import cap, quake, services
from siaga.disaster.models import AffectedArea, Warning
from siaga.geo.models import Region

from .conftest import REGIONS, bmkg_file

PACITAN = "20160226063519"  # M5.0 off Pacitan, Jawa Timur: max MMI 5.27
SUKABUMI = "20240520204224"  # M4.6 off Sukabumi: max MMI 4.46, nowhere V


def grid(event_id):
    return quake.parse_shakemap(bmkg_file(f"shakemap/{event_id}_grid.xml"))


def test_it_reads_the_grid():
    g = grid(SUKABUMI)
    assert g.mmi.shape == (160, 161) and g.event_id == SUKABUMI
    assert g.magnitude == 4.6 and (g.lat, g.lng) == (-7.69, 106.42)
    assert g.origin.isoformat() == "2024-05-20T13:42:24+00:00"  # 20:42:24 WIB
    assert g.max_mmi == pytest.approx(4.46, abs=0.01)
    assert np.all(np.diff(g.lats) > 0) and np.all(np.diff(g.lons) > 0)


def test_an_earthquake_felt_nowhere_at_v_has_an_empty_area():
    assert quake.mmi_area(grid(SUKABUMI)).is_empty


def test_a_lower_threshold_gives_a_contour_around_the_strongest_shaking():
    g = grid(SUKABUMI)
    area = quake.mmi_area(g, 4.0)
    assert area.is_valid and not area.is_empty
    i, j = np.unravel_index(np.nanargmax(g.mmi), g.mmi.shape)
    assert area.contains(shapely.Point(g.lons[j], g.lats[i]))
    # Every grid point inside the contour is at MMI 4 or more (linear interpolation may shave the edge).
    lon, lat = np.meshgrid(g.lons, g.lats)
    inside = shapely.contains_xy(area, lon, lat)
    assert inside.sum() > 5 and np.all(g.mmi[inside] >= 3.95)
    assert np.all(g.mmi[g.mmi >= 4.05] > 0) and shapely.contains_xy(area, lon[g.mmi >= 4.05], lat[g.mmi >= 4.05]).all()


def test_the_pacitan_area_at_v_is_small_and_lies_near_the_peak():
    g = grid(PACITAN)
    area = quake.mmi_area(g)
    assert not area.is_empty and area.is_valid
    i, j = np.unravel_index(np.nanargmax(g.mmi), g.mmi.shape)
    assert area.distance(shapely.Point(g.lons[j], g.lats[i])) < 0.03
    assert area.area < quake.mmi_area(g, 4.0).area


@pytest.mark.parametrize("data", [b"<shakemap_grid/>", b"<other/>", b"<shakemap_grid><event/></shakemap_grid>"])
def test_it_refuses_broken_grids(data):
    with pytest.raises(cap.ParseError):
        quake.parse_shakemap(data)


def _load_kabkota(codes):
    """Jawa Timur's kab/kota boundaries named, straight from the shared file (no full region import needed)."""
    from siaga.geo import lookup

    path = REGIONS / "kabkota_jatim_dki_jabar_banten_riau_jambi.geojson"
    if not path.is_file():
        pytest.skip("kab/kota boundaries not found")
    Region.objects.update_or_create(code="35", defaults={"name": "Jawa Timur", "level": 1})
    for f in json.loads(path.read_text())["features"]:
        if f["properties"]["kode"] in codes:
            Region.objects.update_or_create(code=f["properties"]["kode"], defaults={
                "name": f["properties"]["nama"], "level": 2, "parent_id": "35", "boundary": f["geometry"]})
    lookup.invalidate()


@pytest.mark.django_db
def test_the_pacitan_shaking_at_v_stays_at_sea(system):
    _load_kabkota({"35.01", "35.02", "35.03"})
    result = services.ingest_shakemap(system, bmkg_file(f"shakemap/{PACITAN}_grid.xml"), source_name="grid")
    assert result.status == "created"
    w = result.warning
    assert w.source == "bmkg_quake" and w.identifier == PACITAN and w.quake["max_mmi"] == pytest.approx(5.27)
    assert w.geometry is not None  # an area exists, off the coast (the epicentre is 70 km out at sea)
    assert not AffectedArea.objects.filter(warning=w).exists()
    assert "<grid_data>" not in w.raw  # the header is kept, not the 1.4 MB of points


@pytest.mark.django_db
def test_the_pacitan_weak_shaking_reaches_the_coast(system):
    _load_kabkota({"35.01", "35.02", "35.03"})
    result = services.ingest_shakemap(system, bmkg_file(f"shakemap/{PACITAN}_grid.xml"), source_name="grid",
                                      threshold=2.5)
    rows = {a.region_code: a for a in AffectedArea.objects.filter(warning=result.warning)}
    assert "35.01" in rows and 0 < rows["35.01"].share <= 1
    # The same share computed straight from the contour and the boundary file.
    g = grid(PACITAN)
    pacitan = shapely.geometry.shape(Region.objects.get(code="35.01").boundary)
    expected = quake.mmi_area(g, 2.5).intersection(pacitan).area / pacitan.area
    assert rows["35.01"].share == pytest.approx(expected, rel=1e-6) and 0.2 < expected < 0.5


@pytest.mark.django_db
def test_a_grid_attaches_to_the_earthquake_it_belongs_to(system):
    doc = {"Infogempa": {"gempa": {"DateTime": "2024-05-20T13:42:24+00:00", "Coordinates": "-7.69,106.42",
                                   "Magnitude": "4.6", "Kedalaman": "22 km", "Wilayah": "79 km BaratDaya Sukabumi"}}}
    (created,) = services.ingest_quakes(system, json.dumps(doc), source_name="auto")
    assert created.warning.identifier == SUKABUMI
    result = services.ingest_shakemap(system, bmkg_file(f"shakemap/{SUKABUMI}_grid.xml"), source_name="grid",
                                      threshold=4.0)
    assert result.status == "updated" and result.warning.pk == created.warning.pk
    assert Warning.objects.count() == 1
    w = Warning.objects.get()
    assert w.geometry["type"] in ("Polygon", "MultiPolygon") and w.quake["mmi_threshold"] == 4.0
