"""A point in the sea is refused with a clear error, checked before any snapping; unmapped areas keep estimates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from siaga.core.errors import ServiceError
from siaga.core.models import AuditLog, OutboxEvent
from siaga.core.permissions import system_actor
from siaga.geo import lookup
from siaga.geo.models import Region
from siaga.routing import query
from siaga.routing.engine import Engine
from tests.conftest import client_for

from .conftest import SQUARE_NODES

A, B, C = SQUARE_NODES["A"], SQUARE_NODES["B"], SQUARE_NODES["C"]
# Kota Mojokerto (35.76) drawn as land around the square network with a bay open to the east, north of
# the network (lng 112.425 to the edge, lat -7.466 to -7.446): the bay's middle is 0.9 km off the shore and
# 1.4 km from the nearest road (corner C), which a snap up to 2 km would reach.
BAY_NORTH = [(112.40, -7.50), (112.45, -7.50), (112.45, -7.466), (112.425, -7.466), (112.425, -7.446),
             (112.45, -7.446), (112.45, -7.44), (112.40, -7.44), (112.40, -7.50)]
IN_BAY = (-7.458, 112.437)
ALSO_IN_BAY = (-7.452, 112.44)
# The same kota with the bay further south, so that the northern street B-C runs through it like a causeway.
BAY_OVER_ROAD = [(112.40, -7.50), (112.45, -7.50), (112.45, -7.4745), (112.415, -7.4745), (112.415, -7.455),
                 (112.45, -7.455), (112.45, -7.44), (112.40, -7.44), (112.40, -7.50)]
ON_CAUSEWAY = (-7.4701, 112.425)  # 10 m from street B-C, 490 m from the shore
IN_OPEN_BAY = (-7.459, 112.44)  # 440 m from the shore, 1.2 km from the causeway
JAKARTA_BAY = (-6.08, 106.83)
MONAS = (-6.1754, 106.8272)


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def set_land(ring):
    r = Region.objects.get(code="35.76")
    r.boundary = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
    r.save()
    lookup.invalidate()


@pytest.fixture(autouse=True)
def fresh_lookup():
    lookup.invalidate()
    yield
    lookup.invalidate()


@pytest.fixture
def dispatcher_client(db, make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    return client_for(make_user("dispatcher", org, scope_code="35.76"))


@pytest.fixture
def snaps(monkeypatch):
    """Every point the engine snaps, in order."""
    seen = []
    original = Engine.snap

    def spy(self, lat, lng, *args, **kwargs):
        seen.append((lat, lng))
        return original(self, lat, lng, *args, **kwargs)

    monkeypatch.setattr(Engine, "snap", spy)
    return seen


def test_without_boundaries_a_bay_point_still_snaps_onto_the_coast_road(square_network, dispatcher_client):
    # Nothing loaded near: "unknown", today's behaviour (the point the land check now refuses).
    assert query.check_on_land(*IN_BAY).status == lookup.UNKNOWN
    r = _post(dispatcher_client, "/api/routing/route", {"from": [A[0] + 0.0001, A[1]], "to": list(IN_BAY)})
    assert r.status_code == 200 and r.json()["estimate"] is False
    assert r.json()["snap_m"][1] > 1000


def test_a_route_into_the_bay_is_refused_before_snapping(square_network, dispatcher_client, snaps):
    set_land(BAY_NORTH)
    audits, events = AuditLog.objects.count(), OutboxEvent.objects.count()
    r = _post(dispatcher_client, "/api/routing/route", {"from": [A[0] + 0.0001, A[1]], "to": list(IN_BAY)})
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert err["code"] == "point_in_sea"
    assert "-7.45800, 112.43700" in err["message"] and "0.9 km" in err["message"]
    assert "Kota Mojokerto" in err["message"]
    [point] = err["details"]["points"]
    assert point["role"] == "destination" and point["nearest_region_code"] == "35.76"
    assert point["distance_m"] == pytest.approx(885, rel=0.02)
    assert snaps == []  # refused before snapping onto the network
    assert (AuditLog.objects.count(), OutboxEvent.objects.count()) == (audits, events)
    # Both ends in the sea: both named; the origin first.
    r = _post(dispatcher_client, "/api/routing/route", {"from": list(ALSO_IN_BAY), "to": list(IN_BAY)})
    assert [p["role"] for p in r.json()["error"]["details"]["points"]] == ["origin", "destination"]
    # On land the route is computed as before.
    r = _post(dispatcher_client, "/api/routing/route", {"from": [A[0] + 0.0001, A[1]], "to": [C[0] - 0.0001, C[1]]})
    assert r.status_code == 200 and r.json()["estimate"] is False


def test_a_table_names_the_sources_in_the_sea(square_network, dispatcher_client):
    set_land(BAY_NORTH)
    sources = [[A[0] + 0.0001, A[1]], list(IN_BAY), [C[0], C[1] - 0.0001], list(ALSO_IN_BAY)]
    r = _post(dispatcher_client, "/api/routing/table", {"sources": sources, "target": [B[0] - 0.0001, B[1]]})
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert err["code"] == "point_in_sea"
    assert err["details"]["sources_in_sea"] == [1, 3] and err["details"]["target_in_sea"] is False
    assert [(p["role"], p["index"]) for p in err["details"]["points"]] == [("source", 1), ("source", 3)]
    assert "1, 3" in err["message"]
    r = _post(dispatcher_client, "/api/routing/table", {"sources": sources[:1], "target": list(IN_BAY)})
    assert r.status_code == 422
    assert r.json()["error"]["details"]["target_in_sea"] is True
    assert r.json()["error"]["details"]["sources_in_sea"] == []
    r = _post(dispatcher_client, "/api/routing/table", {"sources": [sources[0], sources[2]],
                                                        "target": [B[0] - 0.0001, B[1]]})
    assert r.status_code == 200 and [row["estimate"] for row in r.json()["results"]] == [False, False]


def test_a_road_across_the_water_is_land(square_network, dispatcher_client):
    set_land(BAY_OVER_ROAD)
    assert lookup.land_status(*ON_CAUSEWAY).status == lookup.SEA  # by the boundaries alone
    assert query.check_on_land(*ON_CAUSEWAY).status == lookup.LAND  # but a street runs there
    r = _post(dispatcher_client, "/api/routing/route", {"from": [A[0] + 0.0001, A[1]], "to": list(ON_CAUSEWAY)})
    assert r.status_code == 200 and r.json()["estimate"] is False
    with pytest.raises(ServiceError) as exc:
        query.check_on_land(*IN_OPEN_BAY)
    assert exc.value.code == "point_in_sea" and exc.value.status == 422


def test_the_coast_tolerance_is_a_setting(square_network, settings):
    set_land(BAY_NORTH)
    settings.SIAGA_ROUTING_COAST_TOLERANCE_M = 1000.0
    assert query.check_on_land(*IN_BAY).status == lookup.LAND
    settings.SIAGA_ROUTING_COAST_TOLERANCE_M = 250.0
    with pytest.raises(ServiceError):
        query.check_on_land(*IN_BAY)
    with pytest.raises(ServiceError) as exc:
        query.check_on_land(95, 0)
    assert exc.value.code == "invalid_position"


@pytest.fixture
def dki_boundaries(db):
    from siaga.geo import services

    path = Path(settings.DATA_DIR) / "regions" / "kel_dki_jakarta_31.geojson"
    if not path.is_file() or not (Path(settings.REGIONS_DIR) / "villages.csv").is_file():
        pytest.skip("kel_dki_jakarta_31.geojson or idn-area-data missing (set SIAGA_DATA_DIR, run make install)")
    services.import_regions(system_actor(), settings.REGIONS_DIR, within="31")
    services.import_boundaries(system_actor(), [path])
    lookup.invalidate()


def test_jakarta_bay_is_refused_on_real_boundaries(dki_boundaries, dispatcher_client):
    r = _post(dispatcher_client, "/api/routing/route", {"from": list(MONAS), "to": list(JAKARTA_BAY)})
    assert r.status_code == 422, r.content
    err = r.json()["error"]
    assert err["code"] == "point_in_sea" and "-6.08000, 106.83000" in err["message"]
    assert err["details"]["points"][0]["nearest_region_code"].startswith("31.72")
    assert err["details"]["points"][0]["distance_m"] == pytest.approx(3350, rel=0.05)
    # No Jakarta road network here: between two land points an estimate, as before.
    r = _post(dispatcher_client, "/api/routing/route", {"from": list(MONAS), "to": [-6.2, 106.8]})
    assert r.status_code == 200 and r.json()["estimate"] is True
