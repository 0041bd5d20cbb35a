"""Point-level answers on Kota Balikpapan: snapped tables agree with single routes, and snapping is sane."""

from __future__ import annotations

import numpy as np
import pytest

from siaga.core.permissions import system_actor
from siaga.routing import query, services

from .conftest import BALIKPAPAN, need


@pytest.fixture
def balikpapan(db, balikpapan_region):
    need(BALIKPAPAN)
    return services.import_roads(system_actor(), BALIKPAPAN, region_code="64.71").network


def test_table_agrees_with_single_routes(balikpapan):
    rng = np.random.default_rng(11)
    lng0, lat0, lng1, lat1 = balikpapan.bbox
    points = np.column_stack([rng.uniform(lat0, lat1, 60), rng.uniform(lng0, lng1, 60)]).tolist()
    target = points.pop()
    table = query.table(system_actor(), points, target)
    assert table["network_id"] == balikpapan.pk
    for p, row in zip(points, table["results"]):
        r = query.route(system_actor(), p, target)
        assert row["estimate"] == r["estimate"]
        if not row["estimate"]:
            assert row["seconds"] == pytest.approx(r["seconds"], abs=0.2)
            assert row["metres"] == pytest.approx(r["metres"], abs=1)
            assert r["geometry"][0] == p and r["geometry"][-1] == target


def test_a_point_in_the_sea_is_an_estimate(balikpapan):
    # Selat Makassar, about 8 km off the Balikpapan coast.
    r = query.route(system_actor(), [-1.33, 116.90], [-1.265, 116.83])
    assert r["estimate"] is True and r["network_id"] is None
    t = query.table(system_actor(), [[-1.33, 116.90], [-1.27, 116.84]], [-1.265, 116.83])
    assert [row["estimate"] for row in t["results"]] == [True, False]


def test_snapping_reports_the_distance(balikpapan):
    from siaga.routing.engine import get_engine

    e = get_engine(balikpapan)
    lat, lng = float(e.a["lat"][100]), float(e.a["lng"][100])
    snaps = e.snap(lat + 0.0005, lng)  # about 55 m north of a junction
    assert snaps and all(0 <= s.distance_m <= 56 for s in snaps)
    assert e.snap(-1.33, 116.90) == []
