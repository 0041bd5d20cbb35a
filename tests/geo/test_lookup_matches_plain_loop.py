"""The STRtree index answers exactly like a plain loop over every polygon, on random points."""

import numpy as np
import pytest
import shapely

from siaga.geo import lookup
from siaga.geo.models import Region


def plain_loop(polygons, lat, lng):
    """Deepest level first, then code order: the rule the index documents, written the obvious way."""
    point = shapely.Point(lng, lat)
    for code, geom in polygons:
        if geom.intersects(point):
            return code
    return None


@pytest.mark.slow
def test_strtree_lookup_matches_a_plain_loop_on_random_points(load_boundaries):
    load_boundaries("kel_kota_mojokerto_3576.geojson", "kel_kab_mojokerto_3516.geojson",
                    "kec_mojokerto_jakarta_pekanbaru_jambi.geojson", within=("35.16", "35.76", "31", "14.71", "15.71"))
    rows = Region.objects.filter(boundary__isnull=False).values_list("code", "level", "boundary")
    polygons = [(code, shapely.geometry.shape(b)) for code, level, b in sorted(rows, key=lambda r: (-r[1], r[0]))]
    rng = np.random.default_rng(20261125)
    # Greater Mojokerto and land around it with no boundary loaded, so both hits and misses are tested.
    lats = rng.uniform(-7.75, -7.35, 1500)
    lngs = rng.uniform(112.25, 112.75, 1500)
    expected = [plain_loop(polygons, a, b) for a, b in zip(lats, lngs)]
    assert lookup.lookup_codes(lats, lngs) == expected
    assert [lookup.lookup_code(a, b) for a, b in zip(lats[:300], lngs[:300])] == expected[:300]
    assert 0 < sum(c is None for c in expected) < len(expected)
    assert sum(c is not None and c.count(".") == 3 for c in expected) > 400
