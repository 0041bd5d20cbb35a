"""Land, sea or unknown: the land check routing runs before snapping a point onto a road."""

from __future__ import annotations

import pytest
import shapely

from siaga.geo import lookup
from siaga.geo.lookup import LAND, SEA, UNKNOWN, RegionIndex

JAKARTA_BAY = (-6.08, 106.83)
OFF_ANCOL = (-6.113, 106.84)  # about 0.9 km off the Ancol shore
MONAS = (-6.1754, 106.8272)
BOGOR = (-6.6, 106.8)  # Kota Bogor, 26 km south of DKI's border
BOGOR_FAR_SOUTH = (-6.75, 106.85)  # Kab. Bogor, 42 km from DKI
DEPOK = (-6.40, 106.82)  # Kota Depok, 4 km beyond DKI's southern border
AIRPORT = (-6.1256, 106.6558)  # Soekarno-Hatta, Kab. Tangerang, 4 km west of DKI


def bay_index(complete=None) -> RegionIndex:
    """One kota (level 2) shaped like a U around a bay 5 km wide, open to the east, at lat 0."""
    land = shapely.Polygon([(0, -0.1), (0.1, -0.1), (0.1, -0.025), (0.02, -0.025), (0.02, 0.025), (0.1, 0.025),
                            (0.1, 0.1), (0, 0.1)])
    return RegionIndex([("99.71", 2, land)], {"99.71": ("Kota Teluk", 2)}, complete=complete)


def test_inside_the_coast_tolerance_and_the_bay():
    index = bay_index()
    inside = index.land_status(0.05, 0.05)
    assert inside.status == LAND and inside.distance_m == 0 and inside.nearest_name == "Kota Teluk"
    # 0.0015 degree (about 167 m) off the bay's shore: the shore, within 250 m
    shore = index.land_status(0.0, 0.0215)
    assert shore.status == LAND and shore.distance_m == pytest.approx(167, abs=2)
    mid_bay = index.land_status(0.0, 0.06)
    assert mid_bay.status == SEA and mid_bay.distance_m == pytest.approx(2783, rel=0.01)
    assert mid_bay.nearest_code == "99.71"
    # A tighter tolerance makes the shore point sea.
    assert index.land_status(0.0, 0.0215, tolerance_m=100).status == SEA


def test_outside_the_mapped_area_or_far_away_nothing_is_known():
    index = bay_index()
    # East of the kota, outside the convex hull of its boundary: maybe a neighbour whose boundary is not loaded.
    beside = index.land_status(0.0, 0.12)
    # nearest land: the tip of an arm at (0.025, 0.1), hypot(0.025, 0.02) degree away
    assert beside.status == UNKNOWN and beside.distance_m == pytest.approx(3560, rel=0.01)
    far = index.land_status(1.0, 1.0)
    assert far.status == UNKNOWN and far.distance_m is None and far.nearest_code is None
    # A kab/kota only partly loaded cannot say that a gap is water.
    assert bay_index(complete=set()).land_status(0.0, 0.06).status == UNKNOWN
    assert bay_index(complete={"99.71"}).land_status(0.0, 0.06).status == SEA
    assert RegionIndex([], {}).land_status(0.0, 0.06).status == UNKNOWN
    assert index.land_status(float("nan"), 0.0).status == UNKNOWN


def test_many_points_agree_with_one_at_a_time():
    index = bay_index()
    pts = [(0.05, 0.05), (0.0, 0.0215), (0.0, 0.06), (0.0, 0.12), (1.0, 1.0), (0.01, 0.05), (-0.2, 0.0)]
    many = index.land_status_many([p[0] for p in pts], [p[1] for p in pts])
    assert many == [index.land_status(*p) for p in pts]
    assert [c.status for c in many] == [LAND, LAND, SEA, UNKNOWN, UNKNOWN, SEA, UNKNOWN]


@pytest.fixture
def dki(load_boundaries):
    return load_boundaries("kel_dki_jakarta_31.geojson", within=("31",))


def test_jakarta_bay_is_sea_and_monas_land(dki):
    bay = lookup.land_status(*JAKARTA_BAY)
    assert bay.status == SEA
    assert bay.distance_m == pytest.approx(3350, rel=0.05)
    assert bay.nearest_code.startswith("31.72")  # Jakarta Utara's shore
    off = lookup.land_status(*OFF_ANCOL)
    assert off.status == SEA and 700 < off.distance_m < 1100
    monas = lookup.land_status(*MONAS)
    assert monas.status == LAND and monas.distance_m == 0
    assert lookup.get_index().complete >= {"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"}


def test_beyond_dki_with_only_dki_loaded_is_unknown(dki):
    # Outside every loaded boundary but on land: DKI's boundaries cannot tell a land border from a coast,
    # so only water inside the area DKI's kab/kota span counts as sea.
    for point in (BOGOR, DEPOK, AIRPORT):
        check = lookup.land_status(*point)
        assert check.status == UNKNOWN, point
        assert check.distance_m > 250
    far = lookup.land_status(*BOGOR_FAR_SOUTH)
    assert far.status == UNKNOWN and far.distance_m is None
    statuses = [c.status for c in lookup.land_status_many(*zip(JAKARTA_BAY, MONAS, DEPOK, BOGOR_FAR_SOUTH))]
    assert statuses == [SEA, LAND, UNKNOWN, UNKNOWN]


def test_depok_is_land_once_its_kelurahan_are_loaded(load_boundaries):
    load_boundaries("kel_dki_jakarta_31.geojson", "kel_border_cities_jabar_banten.geojson",
                    within=("31", "32.75", "32.76", "36.71", "36.74"))
    assert lookup.land_status(*DEPOK).status == LAND
    assert lookup.land_status(*JAKARTA_BAY).status == SEA
