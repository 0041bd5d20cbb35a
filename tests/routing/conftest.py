"""Routing fixtures: hand-built GraphML files, networks imported into a temporary VAR_DIR, a clean engine cache."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.conf import settings

from siaga.core.permissions import system_actor

ROADS = Path(settings.DATA_DIR) / "roads"
BALIKPAPAN = ROADS / "balikpapan_kota_drive.graphml"
KLANDASAN = ROADS / "klandasan_ilir_balikpapan_drive.graphml"
HELSINKI = ROADS / "helsinki.osm.pbf"

# A square in Kota Mojokerto: A(SW) B(NW) C(NE) D(SE), about 1.1 km a side, plus a dangling node E.
# A->B is one-way (Jl. Satu Arah); every other side is two-way; E->A is the only arc of E.
SQUARE_NODES = {"A": (-7.48, 112.42), "B": (-7.47, 112.42), "C": (-7.47, 112.43), "D": (-7.48, 112.43),
                "E": (-7.485, 112.415)}
SQUARE_EDGES = [
    ("A", "B", "primary", "Jl. Satu Arah"),
    ("B", "C", "residential", "Jl. Utara"), ("C", "B", "residential", "Jl. Utara"),
    ("C", "D", "residential", "Jl. Timur"), ("D", "C", "residential", "Jl. Timur"),
    ("D", "A", "residential", "Jl. Selatan"), ("A", "D", "residential", "Jl. Selatan"),
    ("E", "A", "service", ""),
]


def write_graphml(path: Path, nodes: dict, edges: list) -> Path:
    """A minimal OSMnx-shaped GraphML (lengths left out: the importer measures them)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
           '<key id="d4" for="node" attr.name="y" attr.type="string"/>',
           '<key id="d5" for="node" attr.name="x" attr.type="string"/>',
           '<key id="d9" for="edge" attr.name="highway" attr.type="string"/>',
           '<key id="d11" for="edge" attr.name="name" attr.type="string"/>',
           '<graph edgedefault="directed">']
    for nid, (lat, lng) in nodes.items():
        out.append(f'<node id="{nid}"><data key="d4">{lat}</data><data key="d5">{lng}</data></node>')
    for u, v, hw, name in edges:
        out.append(f'<edge source="{u}" target="{v}"><data key="d9">{hw}</data>'
                   f'<data key="d11">{escape(name)}</data></edge>')
    out.append("</graph></graphml>")
    path.write_text("\n".join(out))
    return path


@pytest.fixture(autouse=True)
def _var_dir(tmp_path, settings):
    from siaga.routing import engine

    settings.VAR_DIR = tmp_path / "var"
    engine.clear_cache()
    yield
    engine.clear_cache()


@pytest.fixture
def square_file(tmp_path):
    return write_graphml(tmp_path / "square.graphml", SQUARE_NODES, SQUARE_EDGES)


@pytest.fixture
def square_network(db, regions, square_file):
    from siaga.routing import services

    return services.import_roads(system_actor(), square_file, region_code="35.76").network


@pytest.fixture
def balikpapan_region(db):
    from siaga.geo.models import Region

    Region.objects.update_or_create(code="64", defaults={"name": "Kalimantan Timur", "level": 1, "search_key": "x"})
    r, _ = Region.objects.update_or_create(
        code="64.71", defaults={"name": "Kota Balikpapan", "level": 2, "parent_id": "64", "search_key": "x",
                                "bbox": [116.78, -1.30, 117.05, -1.03]})
    return r


def need(path: Path):
    if not path.is_file():
        pytest.skip(f"{path} is missing: set SIAGA_DATA_DIR to the folder holding roads/ (see SOURCES.md)")
