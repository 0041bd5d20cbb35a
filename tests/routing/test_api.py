"""Routing API: networks, tables, routes, estimates off the network, closures and their isolation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from siaga.routing import query
from siaga.routing.models import RoadClosure, RoadNetwork
from tests.conftest import client_for
from tests.isolation import OrgIsolationSpec

from .conftest import SQUARE_NODES

NOT_TENANT_DATA = {
    "/api/routing/networks": "road networks are reference data of a region, shared by every organisation",
    "/api/routing/table": "computes travel times between points the caller sends; reads no tenant rows",
    "/api/routing/route": "computes a route between points the caller sends; reads no tenant rows",
    "/api/routing/closures": "POST creates a closure in the caller's own organisation; GET is covered by "
                             "TestRoadClosureIsolation",
}


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def dispatcher_client(db, make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    return client_for(make_user("dispatcher", org, scope_code="35.76"))


def test_it_lists_networks(square_network, dispatcher_client):
    r = dispatcher_client.get("/api/routing/networks")
    assert r.status_code == 200
    assert [n["id"] for n in r.json()] == [square_network.pk]
    assert r.json()[0]["dropped_node_count"] == 1


def test_table_of_units_to_an_incident(square_network, dispatcher_client):
    (la, ga), (lb, gb), (lc, gc) = SQUARE_NODES["A"], SQUARE_NODES["B"], SQUARE_NODES["C"]
    sea = [-7.0, 113.5]  # far off the network: an estimate
    r = _post(dispatcher_client, "/api/routing/table",
              {"sources": [[la + 0.0001, ga], [lc, gc - 0.0001], sea], "target": [lb - 0.0001, gb]})
    assert r.status_code == 200, r.content
    body = r.json()
    rows = body["results"]
    assert body["network_id"] == square_network.pk and body["estimate"] is True
    assert [row["estimate"] for row in rows] == [False, False, True]
    assert rows[0]["seconds"] < rows[2]["seconds"]
    assert 1000 < rows[0]["metres"] < 1150
    # The incident lies on the one-way Jl. Satu Arah just before B: from C the crew must go round by A.
    assert rows[1]["metres"] == pytest.approx(3300, rel=0.03)
    assert rows[2]["snap_m"] is None


def test_route_with_geometry_and_instructions(square_network, dispatcher_client):
    (la, ga), (lb, gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    r = _post(dispatcher_client, "/api/routing/route", {"from": [lb, gb + 0.0002], "to": [la, ga + 0.0002]})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["estimate"] is False and len(body["geometry"]) >= 4
    assert [i["street"] for i in body["instructions"]] == ["Jl. Utara", "Jl. Timur", "Jl. Selatan"]
    assert body["instructions"][1]["text"] == "Jl. Timur 1.1 km"


def test_off_network_points_are_estimates(db, dispatcher_client):
    r = _post(dispatcher_client, "/api/routing/route", {"from": [-6.2, 106.8], "to": [-6.21, 106.81]})
    body = r.json()
    assert r.status_code == 200 and body["estimate"] is True and body["instructions"] == []
    straight = 1568.0  # haversine of the two points, metres
    assert body["metres"] == pytest.approx(straight * query.DETOUR_FACTOR, rel=0.01)
    assert body["seconds"] == pytest.approx(body["metres"] / query.fallback_speed_mps(), rel=0.01)


def test_a_bad_point_is_a_clear_error(db, dispatcher_client):
    r = _post(dispatcher_client, "/api/routing/route", {"from": [95, 10], "to": [0, 0]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_position"
    r = _post(dispatcher_client, "/api/routing/table", {"sources": [], "target": [0, 0]})
    assert r.status_code == 400 and r.json()["error"]["code"] == "sources_required"


def test_closures_through_the_api(square_network, dispatcher_client):
    from siaga.routing.engine import get_engine

    e = get_engine(square_network)
    a = int(np.flatnonzero(e.a["node_ids"] == "A")[0])
    b = int(np.flatnonzero(e.a["node_ids"] == "B")[0])
    ab = int(np.flatnonzero((e.a["tail"] == a) & (e.a["head"] == b))[0])
    (la, ga), (lb, gb) = SQUARE_NODES["A"], SQUARE_NODES["B"]
    trip = {"from": [la + 0.0001, ga], "to": [lb - 0.0001, gb]}
    before = _post(dispatcher_client, "/api/routing/route", trip).json()["seconds"]
    r = _post(dispatcher_client, "/api/routing/closures",
              {"network_id": square_network.pk, "kind": "arcs", "arc_ids": [ab], "reason": "Pohon tumbang"})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert _post(dispatcher_client, "/api/routing/route", trip).json()["seconds"] > before * 2
    assert [c["id"] for c in dispatcher_client.get("/api/routing/closures?active=true").json()] == [cid]
    r = _post(dispatcher_client, f"/api/routing/closures/{cid}/lift", {})
    assert r.status_code == 200 and r.json()["lifted_at"]
    assert _post(dispatcher_client, "/api/routing/route", trip).json()["seconds"] == before
    assert dispatcher_client.get("/api/routing/closures?active=true").json() == []
    r = _post(dispatcher_client, "/api/routing/closures",
              {"network_id": square_network.pk, "kind": "arcs", "arc_ids": [12345], "reason": "x"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_arc"


def test_anonymous_callers_are_refused(db, client):
    assert client.get("/api/routing/networks").status_code == 401
    assert _post(client, "/api/routing/route", {"from": [0, 0], "to": [0, 0]}).status_code == 401


class TestRoadClosureIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "psc119"
    list_url = "/api/routing/closures"
    detail_urls = ["/api/routing/closures/{id}"]
    write_requests = [("post", "/api/routing/closures/{id}/lift", {})]
    page_posts = [("/routing/closures/{id}/lift", {})]

    def make_record(self, org):
        net = RoadNetwork.objects.first() or RoadNetwork.objects.create(
            region_code="35.76", name="n", source="n", file_path="/nonexistent.npz", arc_count=10,
            bbox=[112.4, -7.5, 112.5, -7.4])
        from django.utils import timezone

        return RoadClosure.objects.create(network=net, organization=org, region_code=org.region_code, kind="arcs",
                                          arc_ids=[1], reason="Banjir", starts_at=timezone.now())
