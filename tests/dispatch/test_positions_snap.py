"""The unit's latest position is snapped onto the road network; off every network the snapped fields stay empty."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.permissions import system_actor
from siaga.dispatch import positions
from siaga.dispatch.models import Unit
from tests.routing.conftest import SQUARE_EDGES, SQUARE_NODES, write_graphml

pytestmark = pytest.mark.django_db


@pytest.fixture
def square(tmp_path, settings, regions):
    """The routing tests' square network in Kota Mojokerto (A-B runs north along lng 112.42)."""
    from siaga.routing import engine, services

    settings.VAR_DIR = tmp_path / "var"
    engine.clear_cache()
    path = write_graphml(tmp_path / "square.graphml", SQUARE_NODES, SQUARE_EDGES)
    yield services.import_roads(system_actor(), path, region_code="35.76").network
    engine.clear_cache()


def _at(seconds=0):
    return (timezone.now() - dt.timedelta(minutes=5) + dt.timedelta(seconds=seconds)).isoformat()


def test_the_latest_position_is_snapped_to_the_nearest_road(fleet, square):
    # 50 m east of Jl. Satu Arah (A-B, lng 112.42), halfway between A and B.
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk,
                                     [{"lat": -7.475, "lng": 112.42045, "measured_at": _at()}])
    assert res.moved
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert unit.snapped_lng == pytest.approx(112.42, abs=1e-6)
    assert unit.snapped_lat == pytest.approx(-7.475, abs=1e-5)
    assert unit.snap_m == pytest.approx(49.6, abs=1.5)
    # The event carries the snapped position for the map.
    assert res.unit.snapped_lng == unit.snapped_lng


def test_off_the_network_the_snapped_fields_are_empty(fleet, square):
    positions.record_positions(fleet.actor("crew"), fleet.amb1.pk,
                               [{"lat": -7.475, "lng": 112.42045, "measured_at": _at(-600)}])
    assert Unit.objects.get(pk=fleet.amb1.pk).snapped_lat is not None
    # Jatirejo, Kabupaten Mojokerto: 12 km south, beyond the network's reach. Ten minutes later: plausible.
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk,
                                     [{"lat": -7.579, "lng": 112.434, "measured_at": _at()}])
    assert res.moved
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert (unit.lat, unit.lng) == (-7.579, 112.434)
    assert (unit.snapped_lat, unit.snapped_lng, unit.snap_m) == (None, None, None)


def test_without_any_network_positions_are_still_recorded(fleet):
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk,
                                     [{"lat": -7.475, "lng": 112.42045, "measured_at": _at()}])
    assert res.points[0].status == "accepted"
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert unit.lat == -7.475 and unit.snapped_lat is None
