"""BMKG earthquake JSON in its three shapes: each earthquake becomes one warning; bad items are kept aside."""

import json

import pytest

from siaga.disaster import cap, quake, services
from siaga.disaster.models import FeedItemError, Warning

from .conftest import bmkg_file

pytestmark = pytest.mark.django_db


def test_it_reads_autogempa_as_one_earthquake():
    (q,) = quake.parse_quake_json(bmkg_file("autogempa.json"))
    assert (q.lat, q.lng, q.magnitude, q.depth_km) == (-6.89, 109.67, 5.4, 10.0)
    assert q.origin.isoformat() == "2026-02-16T06:15:30+00:00"
    # BMKG's event id is the WIB origin time: the name of its ShakeMap image.
    assert q.identifier == "20260216131530" and q.shakemap.startswith(q.identifier)


@pytest.mark.parametrize("name,count", [("gempaterkini.json", 2), ("gempadirasakan.json", 2)])
def test_it_reads_the_lists(name, count):
    assert len(quake.parse_quake_json(bmkg_file(name))) == count


@pytest.mark.parametrize("data", [b"", b"[]", b'{"Infogempa": {}}', b"\xff\xfe", b'{"Infogempa": {"gempa": 3}}'])
def test_it_refuses_documents_that_are_not_feeds(data):
    with pytest.raises(cap.ParseError):
        quake.parse_quake_json(data)


def test_import_creates_warnings_and_a_poll_does_not_repeat_them(system):
    results = services.ingest_quakes(system, bmkg_file("gempaterkini.json"), source_name="terkini", mode=services.POLL)
    assert [r.status for r in results] == ["created", "created"]
    w = Warning.objects.get(identifier="20260216131530")
    assert w.source == "bmkg_quake" and w.quake["magnitude"] == 5.4 and w.organization_id is None
    # The same earthquake again in autogempa and gempadirasakan (without the Shakemap field): already known.
    again = services.ingest_quakes(system, bmkg_file("autogempa.json"), source_name="auto", mode=services.POLL)
    felt = services.ingest_quakes(system, bmkg_file("gempadirasakan.json"), source_name="felt", mode=services.POLL)
    assert [r.status for r in again] == ["unchanged"]
    assert [r.status for r in felt] == ["unchanged", "created"]
    assert not FeedItemError.objects.exists()


def test_a_revised_magnitude_under_the_same_event_id_is_kept_for_review(system):
    services.ingest_quakes(system, bmkg_file("autogempa.json"), source_name="auto", mode=services.POLL)
    doc = json.loads(bmkg_file("autogempa.json"))
    doc["Infogempa"]["gempa"]["Magnitude"] = "5.6"
    (result,) = services.ingest_quakes(system, json.dumps(doc), source_name="auto", mode=services.POLL)
    assert result.status == "duplicate" and FeedItemError.objects.get().reason == "duplicate"


def test_one_bad_earthquake_in_a_list_does_not_stop_the_others(system):
    doc = json.loads(bmkg_file("gempaterkini.json"))
    doc["Infogempa"]["gempa"][1]["Coordinates"] = "somewhere"
    results = services.ingest_quakes(system, json.dumps(doc), source_name="terkini")
    assert [r.status for r in results] == ["created", "malformed"]
    item = FeedItemError.objects.get()
    assert item.kind == "quake_json" and "Coordinates" in item.error and "somewhere" in item.payload
