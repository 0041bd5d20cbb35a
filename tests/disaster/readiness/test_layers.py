"""Risk map layers: a bounding box and a limit bound every answer; volunteers travel only as counts."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.disaster.models import AffectedArea, DisasterEvent, NeedsReport
from siaga.disaster.readiness import layers
from siaga.geo.models import Region
from tests.conftest import client_for

from .conftest import KEL, OTHER_KEL, volunteer

pytestmark = pytest.mark.django_db

JAVA_WEST = "105.0,-7.5,108.0,-5.5"


def _get(client, name, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    r = client.get(f"/api/disaster/readiness/layers/{name}?{query}")
    assert r.status_code == 200, r.content
    return r.json()


@pytest.fixture
def placed(area):
    Region.objects.filter(code=KEL).update(lat=-6.17, lng=106.63)
    Region.objects.filter(code=OTHER_KEL).update(lat=-6.25, lng=107.0)
    return area


def test_a_bad_box_or_limit_is_refused_with_a_reason():
    for text in ["1,2,3", "a,b,c,d", "107,-6,106,-5", "90,-20,160,10"]:
        with pytest.raises(ServiceError):
            layers.parse_bbox(text)
    assert layers.parse_bbox("") == layers.INDONESIA
    with pytest.raises(ServiceError):
        layers.check_limit(layers.MAX_LIMIT + 1)


def test_the_api_answers_a_bad_box_with_an_error_body(placed):
    r = client_for(placed["manager"]).get("/api/disaster/readiness/layers/quakes?bbox=1,2,3")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_bbox"


def test_volunteers_are_counted_per_kelurahan_with_no_personal_data(placed):
    org = placed["org"]
    for i, status in enumerate(["available", "available", "deployed"]):
        volunteer(org, name=f"Rahasia Nama {i}", status=status, lat=-6.171 + i / 1000, lon=106.631)
    volunteer(placed["other"], region_code=OTHER_KEL, name="Orang Bekasi")
    body = _get(client_for(placed["manager"]), "volunteers", bbox=JAVA_WEST)
    [f] = body["features"]
    assert f["properties"]["code"] == KEL
    assert (f["properties"]["total"], f["properties"]["available"], f["properties"]["deployed"]) == (3, 2, 1)
    assert f["geometry"]["coordinates"] == [106.63, -6.17]  # the kelurahan's centre, not anyone's home
    text = json.dumps(body)
    assert "Rahasia" not in text and "+6281" not in text and "106.631" not in text
    assert set(f["properties"]) == {"kind", "code", "name", "total", "available", "deployed", "resting",
                                    "unavailable"}
    assert _get(client_for(placed["manager"]), "volunteers", bbox="110,-8,112,-7")["features"] == []


def test_quakes_are_filtered_by_magnitude_years_and_box_strongest_first(placed):
    c = client_for(placed["manager"])
    body = _get(c, "quakes", bbox="95,-11,141,6", min_magnitude=6.5, limit=5)
    mags = [f["properties"]["magnitude"] for f in body["features"]]
    assert len(mags) == 5 and mags == sorted(mags, reverse=True) and min(mags) >= 6.5
    assert body["meta"]["truncated"] is True and body["meta"]["total"] > 5
    box = [105.0, -7.5, 108.0, -5.5]
    small = _get(c, "quakes", bbox=JAVA_WEST, min_magnitude=4, year_from=2015, year_to=2016, limit=2000)
    assert small["features"], "the catalogue has quakes in West Java in 2015-2016"
    for f in small["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
        assert f["properties"]["date"][:4] in ("2015", "2016") and f["properties"]["magnitude"] >= 4


def test_fault_lines_are_clipped_to_the_box(placed):
    body = _get(client_for(placed["manager"]), "faults", bbox="105,-9,110,-5")
    assert body["features"]
    for f in body["features"]:
        coords = f["geometry"]["coordinates"]
        lines = coords if f["geometry"]["type"] == "MultiLineString" else [coords]
        for line in lines:
            for lon, lat in line:
                assert 105 - 1e-6 <= lon <= 110 + 1e-6 and -9 - 1e-6 <= lat <= -5 + 1e-6


def test_events_and_affected_people_follow_event_visibility(placed):
    Region.objects.filter(code="36.71").update(lat=-6.18, lng=106.64)
    mine = DisasterEvent.objects.create(organization=placed["org"], region_code="36.71", name="Banjir Tangerang",
                                        type_id="banjir", started_at=timezone.now(), phase="emergency_response")
    theirs = DisasterEvent.objects.create(organization=placed["other"], region_code="32.75", name="Banjir Bekasi",
                                          type_id="banjir", started_at=timezone.now())
    AffectedArea.objects.create(event=mine, region_code=KEL, level=4, share=0.5, population_affected=900)
    AffectedArea.objects.create(event=theirs, region_code=OTHER_KEL, level=4, share=0.5, population_affected=50)
    NeedsReport.objects.create(event=mine, organization=placed["org"], region_code=KEL, displaced=100,
                               affected=1200, source="pmi", reported_at=timezone.now())
    c = client_for(placed["manager"])
    events = _get(c, "events", bbox=JAVA_WEST)
    assert [f["properties"]["id"] for f in events["features"]] == [mine.pk]
    affected = _get(c, "affected", bbox=JAVA_WEST)
    [f] = affected["features"]
    # The field report (PMI, 1,200) replaces the estimate from the covered share (900) for that kelurahan.
    assert (f["properties"]["code"], f["properties"]["people"], f["properties"]["sources"]) == (KEL, 1200, ["pmi"])
    # A field report of the reports app, newer and current, is the figure of record for the kelurahan.
    from siaga.disaster.reports.models import FieldReport

    FieldReport.objects.create(event=mine, organization=placed["org"], region_code=KEL, reported_at=timezone.now(),
                               source="government", affected=1500)
    [f] = _get(c, "affected", bbox=JAVA_WEST)["features"]
    assert (f["properties"]["people"], f["properties"]["sources"]) == (1500, ["government"])


def test_limits_cap_every_layer(placed):
    org = placed["org"]
    for i in range(5):
        code = f"36.71.01.20{i:02d}"
        Region.objects.create(code=code, name=f"K{i}", level=4, parent_id="36.71.01", lat=-6.1 - i / 100, lng=106.6)
        volunteer(org, region_code=code)
    body = _get(client_for(placed["manager"]), "volunteers", bbox=JAVA_WEST, limit=2)
    assert len(body["features"]) == 2 and body["meta"] == {"count": 2, "total": 5, "truncated": True}
    r = client_for(placed["manager"]).get("/api/disaster/readiness/layers/volunteers?limit=5000")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_limit"


def test_border_zones_are_drawn_from_their_kab_kota(placed):
    for code, lat, lng in [("31.71", -6.18, 106.83), ("32.75", -6.24, 106.99), ("36.71", -6.18, 106.63)]:
        Region.objects.filter(code=code).update(lat=lat, lng=lng)
    Region.objects.update_or_create(code="32.76", defaults={"name": "Kota Depok", "level": 2, "parent_id": "32",
                                                            "lat": -6.40, "lng": 106.82})
    national = client_for(placed["manager"])  # scope 36.71: only zones touching Kota Tangerang
    names = [f["properties"]["code"] for f in _get(national, "border-zones", bbox=JAVA_WEST)["features"]]
    assert names == ["jakarta-tangerang-tangsel"]
