"""Travel time to the meeting point: by road where a network covers both points, else flagged as an estimate."""

from __future__ import annotations

import pytest

from siaga.core.permissions import system_actor
from tests.routing.conftest import SQUARE_EDGES, SQUARE_NODES, write_graphml

pytestmark = pytest.mark.django_db


@pytest.fixture
def square_roads(tmp_path, settings, regions):
    """The routing tests' square of roads in Kota Mojokerto, imported into a temporary VAR_DIR."""
    from siaga.routing import engine, services

    settings.VAR_DIR = tmp_path / "var"
    engine.clear_cache()
    path = write_graphml(tmp_path / "square.graphml", SQUARE_NODES, SQUARE_EDGES)
    yield services.import_roads(system_actor(), path, region_code="35.76").network
    engine.clear_cache()


def test_on_the_road_network_the_time_is_a_road_time(square_roads, make_volunteer, activate):
    a_lat, a_lon = SQUARE_NODES["A"]
    c_lat, c_lon = SQUARE_NODES["C"]
    v, _ = make_volunteer("Sari")
    v.lat, v.lon = a_lat, a_lon
    v.save()
    (alert,) = activate(meeting_lat=c_lat, meeting_lon=c_lon).alerts
    assert alert.travel_estimated is False
    assert 1 <= alert.travel_minutes <= 10  # 2.2 km of town roads
    assert alert.distance_km == pytest.approx(1.56, abs=0.05)  # the straight line stays the distance shown


def test_off_the_network_the_time_is_an_estimate(square_roads, make_volunteer, activate):
    make_volunteer("Far side", km_north=15)  # well beyond the square and its snapping margin
    (alert,) = activate().alerts
    assert alert.travel_estimated is True and alert.travel_minutes >= 10
