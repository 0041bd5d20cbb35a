"""Fixtures for the disaster tests: real BMKG samples and real Banten boundaries from the shared data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from siaga.core.permissions import system_actor
from siaga.geo import services as geo_services

BMKG = Path(settings.DATA_DIR) / "bmkg"
REGIONS = Path(settings.DATA_DIR) / "regions"


def bmkg_file(name: str) -> bytes:
    path = BMKG / name
    if not path.is_file():
        pytest.skip(f"BMKG sample {path} not found (set SIAGA_DATA_DIR to the shared data folder)")
    return path.read_bytes()


@pytest.fixture
def cap_banten() -> bytes:
    return bmkg_file("cap_banten.xml")


@pytest.fixture
def load_area(db):
    """load_area(("36",), "kec_banten_36.geojson") -> regions of those provinces and the boundary files."""

    def load(within: tuple[str, ...], *files: str):
        regions_dir = Path(settings.REGIONS_DIR)
        if not (regions_dir / "villages.csv").is_file():
            pytest.skip(f"idn-area-data is not installed at {regions_dir}")
        for code in within:
            geo_services.import_regions(system_actor(), regions_dir, within=code)
        if files:
            missing = [f for f in files if not (REGIONS / f).is_file()]
            if missing:
                pytest.skip(f"boundary files {missing} not found in {REGIONS}")
            return geo_services.import_boundaries(system_actor(), [REGIONS / f for f in files])
        return None

    return load


@pytest.fixture
def banten(load_area):
    """Banten's regions and its 155 kecamatan boundaries."""
    return load_area(("36",), "kec_banten_36.geojson")


@pytest.fixture
def system():
    return system_actor()


def cap_xml(identifier="test-1", sender="tester@example.org", sent="2026-02-16T22:50:00+07:00",
            polygon="-6.0,106.0 -6.0,106.1 -6.1,106.1 -6.1,106.0 -6.0,106.0", msg_type="Alert",
            extra_info="", headline="Uji peringatan") -> bytes:
    """A small valid CAP 1.2 alert, with the parts tests vary."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>
  <info><language>id</language><category>Met</category><event>Hujan Lebat</event>
    <urgency>Immediate</urgency><severity>Moderate</severity><certainty>Observed</certainty>
    <headline>{headline}</headline><description>Uji</description>{extra_info}
    <area><areaDesc>Uji</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>""".encode()


@pytest.fixture
def english():
    """Parser tests read refusal reasons by their English words; the pages' Indonesian is tested elsewhere."""
    from django.utils import translation

    with translation.override("en"):
        yield
