"""Importing road files: counts, SCC drop report, persistence round trip, bad files keep the old network."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.geo.models import Region
from siaga.routing import services
from siaga.routing.engine import Engine
from siaga.routing.models import RoadNetwork

from .conftest import HELSINKI, KLANDASAN, need


def test_it_imports_graphml_and_reports_the_dropped_scc(square_network):
    net = square_network
    assert (net.node_count, net.arc_count) == (4, 7)
    assert (net.dropped_node_count, net.dropped_arc_count) == (1, 1)
    assert net.active and net.region_code == "35.76"
    z = services.load_arrays(net.file_path)
    assert sorted(z["names"].tolist()) == ["", "Jl. Satu Arah", "Jl. Selatan", "Jl. Timur", "Jl. Utara"]
    # A 1.1 km primary road at 35 km/h with the ambulance factor 1.25: about 91 s.
    ab = int(np.flatnonzero(z["name_code"] == list(z["names"]).index("Jl. Satu Arah"))[0])
    assert 1050 < z["length_m"][ab] < 1150
    assert z["travel_time_ds"][ab] == pytest.approx(z["length_m"][ab] / (35 * 1.25 / 3.6) * 10, abs=1)


def test_the_command_prints_the_report(db, regions, square_file, capsys):
    with translation.override("en"):
        call_command("import_roads", str(square_file), "--region", "35.76", "--no-progress")
    out = capsys.readouterr().out
    assert "4 nodes" in out and "dropped 1 nodes and 1 arcs" in out



def test_persistence_round_trip_gives_identical_answers(db, balikpapan_region):
    need(KLANDASAN)
    net = services.import_roads(system_actor(), KLANDASAN, region_code="64.71").network
    a = services.load_arrays(net.file_path)
    b = services.load_arrays(net.file_path)
    assert set(a) == set(b) and all(np.array_equal(a[k], b[k]) for k in a)
    e1, e2 = Engine(1, a), Engine(2, b)
    rng = np.random.default_rng(3)
    for s, t in rng.integers(0, net.node_count, (200, 2)):
        assert e1.node_time(s, t) == e2.node_time(s, t)
    assert e2.build_seconds < 1.0


@pytest.mark.parametrize("content", [b"", b"<graphml><node id='1'><broken", b"\x00\x01garbage"])
def test_a_bad_file_is_refused_and_the_previous_network_stays(square_network, tmp_path, content):
    bad = tmp_path / "bad.graphml"
    bad.write_bytes(content)
    with translation.override("en"), pytest.raises(CommandError, match="cannot be read|no drivable"):
        call_command("import_roads", str(bad), "--region", "35.76", "--no-progress")
    active = RoadNetwork.objects.get(region_code="35.76", active=True)
    assert active.pk == square_network.pk


def test_a_corrupt_pbf_is_refused(db, regions, tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a protobuf at all" * 10)
    with pytest.raises(ServiceError) as exc:
        services.import_roads(system_actor(), bad, region_code="35.76")
    assert exc.value.code == "bad_road_file"
    assert not RoadNetwork.objects.exists()


def test_a_file_of_another_region_is_refused(square_network, square_file, balikpapan_region):
    with pytest.raises(ServiceError) as exc:
        services.import_roads(system_actor(), square_file, region_code="64.71")
    assert exc.value.code == "wrong_region"
    assert not RoadNetwork.objects.filter(region_code="64.71").exists()


def test_an_unknown_region_is_refused(db, regions, square_file):
    with pytest.raises(ServiceError) as exc:
        services.import_roads(system_actor(), square_file, region_code="99.99")
    assert exc.value.code == "unknown_region"


def test_a_region_without_boundary_warns(db, regions, square_file):
    report = services.import_roads(system_actor(), square_file, region_code="35.76")
    assert report.warnings and "35.76" in report.warnings[0]


def test_a_new_import_replaces_the_active_network(square_network, square_file):
    Region.objects.filter(code="35.76").update(bbox=[112.3, -7.6, 112.5, -7.4])
    second = services.import_roads(system_actor(), square_file, region_code="35.76").network
    assert list(RoadNetwork.objects.filter(active=True).values_list("pk", flat=True)) == [second.pk]


def test_it_imports_a_pbf(db, regions):
    need(HELSINKI)
    report = services.import_roads(system_actor(), HELSINKI, region_code="35.76")
    net = report.network
    assert net.node_count > 1000 and net.arc_count > net.node_count
    assert net.dropped_node_count > 0
    z = services.load_arrays(net.file_path)
    assert "Mannerheimintie" in set(z["names"].tolist())
