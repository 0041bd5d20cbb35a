"""A bad feature aborts the whole boundary import: every offender is listed and nothing is written."""

import pytest

from siaga.core.models import AuditLog, OutboxEvent
from siaga.core.permissions import system_actor
from siaga.geo import services
from siaga.geo.models import BoundaryImport, Region

from .conftest import collection, feature, square


@pytest.fixture
def codes(load_regions):
    load_regions("35.76")


def _fails(source):
    with pytest.raises(services.BoundaryImportError) as exc:
        services.import_boundaries(system_actor(), source)
    return exc.value


def _nothing_written():
    assert not Region.objects.filter(boundary__isnull=False).exists()
    assert not BoundaryImport.objects.exists()
    assert not OutboxEvent.objects.filter(type="boundaries.imported").exists()
    assert not AuditLog.objects.filter(model="geo.boundaryimport").exists()


def test_it_rejects_an_unknown_code_and_writes_nothing(codes):
    err = _fails(collection(feature("35.76.01.1003", square(112.4, -7.5)), feature("99.99.99.9999", square(112.5, -7.5))))
    assert err.code == "invalid_boundaries" and err.status == 400
    assert [(e["feature"], e["kode"]) for e in err.details["errors"]] == [(1, "99.99.99.9999")]
    assert "99.99.99.9999" in err.details["errors"][0]["message"]
    _nothing_written()


def test_it_lists_every_offending_feature_not_just_the_first(codes):
    err = _fails(collection(
        feature("35.76.01.1003", {"type": "Point", "coordinates": [112.4, -7.5]}),
        feature("35.76.01.1004", square(112.4, -7.5)),
        {"type": "Feature", "properties": {}, "geometry": square(112.4, -7.5)},
        feature("35.76.01.1005", {"type": "Polygon", "coordinates": [[[112.4], [1]]]}),
        feature("35.76.01.1006", None),
    ))
    assert [e["feature"] for e in err.details["errors"]] == [0, 2, 3, 4]
    assert err.details["total_errors"] == 4
    assert "Point" in err.details["errors"][0]["message"]
    _nothing_written()


def test_it_rejects_malformed_json(codes):
    err = _fails(("broken.geojson", b'{"type": "FeatureCollection", "features": ['))
    assert err.details["errors"][0]["source"] == "broken.geojson"
    _nothing_written()


def test_it_rejects_a_document_that_is_not_a_feature_collection(codes):
    err = _fails({"type": "Polygon", "coordinates": []})
    assert err.details["errors"][0]["feature"] is None
    _nothing_written()


def test_it_rejects_coordinates_in_lat_lon_order_outside_ranges(codes):
    swapped = {"type": "Polygon", "coordinates": [[[-7.5, 112.4], [-7.5, 112.5], [-7.4, 112.5], [-7.5, 112.4]]]}
    err = _fails(collection(feature("35.76.01.1003", swapped)))
    assert "lon,lat" in err.details["errors"][0]["message"]
    _nothing_written()


def test_it_rejects_a_code_repeated_in_one_import(codes):
    err = _fails(collection(feature("35.76.01.1003", square(112.4, -7.5)), feature("35.76.01.1003", square(112.5, -7.5))))
    assert err.details["errors"][0]["feature"] == 1
    _nothing_written()


def test_it_keeps_earlier_boundaries_when_a_later_import_fails(mojokerto):
    before = dict(Region.objects.filter(boundary__isnull=False).values_list("code", "boundary"))
    _fails(collection(feature("35.76.01.1003", square(112.4, -7.5)), feature("35.76.99.9999", square(1, 1))))
    assert dict(Region.objects.filter(boundary__isnull=False).values_list("code", "boundary")) == before
    assert BoundaryImport.objects.count() == 1
