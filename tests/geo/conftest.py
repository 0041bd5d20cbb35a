"""Fixtures for the geo tests: real region codes from idn-area-data and real boundary files from DATA_DIR."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from siaga.core.permissions import system_actor
from siaga.geo import lookup, search, services


@pytest.fixture(autouse=True)
def fresh_geo_caches():
    """Per-process caches must not carry one test's (rolled back) regions into the next."""
    lookup.invalidate()
    search.invalidate()
    yield
    lookup.invalidate()
    search.invalidate()


@pytest.fixture
def regions_dir() -> Path:
    path = Path(settings.REGIONS_DIR)
    if not (path / "villages.csv").is_file():
        pytest.skip(f"idn-area-data is not installed at {path} (run `make install`)")
    return path


@pytest.fixture
def boundaries_dir() -> Path:
    path = Path(settings.DATA_DIR) / "regions"
    if not path.is_dir() or not any(path.glob("*.geojson")):
        pytest.skip(f"boundary files not found in {path} (set SIAGA_DATA_DIR to the shared data folder)")
    return path


@pytest.fixture
def load_regions(db, regions_dir):
    """load_regions("35.76", "31") -> imports those subtrees (and their ancestors) from idn-area-data."""

    def load(*within: str):
        reports = [services.import_regions(system_actor(), regions_dir, within=w) for w in within]
        return reports

    return load


@pytest.fixture
def load_boundaries(db, boundaries_dir, load_regions):
    """load_boundaries("kel_kota_mojokerto_3576.geojson", within=("35.76",)) -> the import report."""

    def load(*files: str, within: tuple[str, ...] = ()):
        if within:
            load_regions(*within)
        return services.import_boundaries(system_actor(), [boundaries_dir / f for f in files])

    return load


@pytest.fixture
def mojokerto(load_boundaries):
    """Kota Mojokerto (35.76): its codes, and its 18 kelurahan boundaries."""
    return load_boundaries("kel_kota_mojokerto_3576.geojson", within=("35.76",))


def square(x: float, y: float, size: float = 0.01) -> dict:
    """A GeoJSON Polygon: a small square with its south-west corner at (lon x, lat y)."""
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def feature(kode: str, geometry: dict, **props) -> dict:
    return {"type": "Feature", "properties": {"kode": kode, **props}, "geometry": geometry}


def collection(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}
