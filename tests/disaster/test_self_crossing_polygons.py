"""A polygon that crosses itself is repaired (make_valid) and the repair noted; one beyond repair is refused."""

import pytest
import shapely

from siaga.disaster import affected, cap, services
from siaga.disaster.models import FeedItemError

from .conftest import cap_xml

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BOWTIE = "-6.0,106.0 -6.1,106.1 -6.0,106.1 -6.1,106.0 -6.0,106.0"


def test_a_bowtie_is_repaired_and_noted(system):
    result = services.ingest_cap(system, cap_xml(polygon=BOWTIE), source_name="bowtie.xml")
    assert result.status == "created"
    w = result.warning
    assert w.geometry_repaired
    assert any("Self-intersection" in note for note in w.geometry_notes)
    geom = affected.from_geojson(w.geometry)
    assert geom.is_valid and geom.area == pytest.approx(0.005, rel=0.01)  # two triangles of the 0.1° square


def test_a_polygon_with_no_area_is_refused_into_the_dead_letter_list(system):
    flat = "-6.0,106.0 -6.0,106.1 -6.0,106.2 -6.0,106.0"
    result = services.ingest_cap(system, cap_xml(polygon=flat), source_name="flat.xml")
    assert result.status == "malformed"
    assert "could not be repaired" in FeedItemError.objects.get().error


def test_repair_keeps_valid_polygons_untouched():
    square = shapely.box(106, -6.1, 106.1, -6.0)
    geom, notes = affected.repair(square, "square")
    assert geom is square and notes == []


def test_a_circle_area_becomes_a_polygon_of_the_right_size():
    geom, notes = affected.area_geometry([{"desc": "c", "polygons": [], "circles": [[-6.0, 106.0, 10.0]]}])
    assert notes == [] and affected.km2(geom) == pytest.approx(3.1416 * 100, rel=0.01)


def test_parse_error_is_a_service_error_with_its_own_code():
    from siaga.core.errors import ServiceError

    assert issubclass(cap.ParseError, ServiceError) and cap.ParseError.code == "malformed_feed_item"
