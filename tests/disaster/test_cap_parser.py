"""The CAP 1.2 parser reads BMKG's nowcast and refuses what is not CAP, with ParseError and a reason."""

import pytest

from siaga.disaster import cap

from .conftest import cap_xml

pytestmark = pytest.mark.usefixtures("english")


def test_it_reads_the_real_bmkg_banten_alert(cap_banten):
    alert = cap.parse_cap(cap_banten)
    assert alert.identifier == "2.49.0.1.360.0.2026.02.16.16.36.004"
    assert alert.sender == "cuaca.ekstrem@bmkg.go.id"
    assert alert.sent.isoformat() == "2026-02-16T22:50:00+07:00"
    assert (alert.status, alert.msg_type, alert.scope) == ("Actual", "Alert", "Public")
    info = alert.infos[0]
    assert info.language == "id" and info.categories == ["Met"] and info.event == "Hujan Lebat dan Petir"
    assert (info.urgency, info.severity, info.certainty) == ("Immediate", "Moderate", "Observed")
    assert info.event_codes == [("OET", "OET-194")]
    assert info.expires.isoformat() == "2026-02-17T02:00:00+07:00"
    assert info.headline == "Hujan Lebat disertai Petir di Banten"
    area = info.areas[0]
    assert area.desc == "Banten" and len(area.polygons) == 2
    # CAP polygons are lat,lon: the first point is south of the equator, in Banten's longitudes.
    assert area.polygons[0][0] == (-5.981, 105.994)
    assert area.polygons[0][0] == area.polygons[0][-1]


def test_it_reads_the_rss_index():
    from .conftest import bmkg_file

    items = cap.parse_rss_index(bmkg_file("rss_active.xml"))
    assert len(items) == 3
    assert items[0].guid == "2.49.0.1.360.0.2026.02.16.16.36.004"
    assert items[0].link.endswith("CBT20260216004_alert.xml")
    assert items[0].published.utcoffset().total_seconds() == 7 * 3600


@pytest.mark.parametrize("data,fragment", [
    (b"", "empty"),
    (b"not xml at all", "well-formed"),
    (b"<alert>", "well-formed"),
    (b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.1'><identifier>x</identifier></alert>", "namespace"),
    (b"<feed/>", "not a CAP"),
])
def test_it_refuses_what_is_not_cap(data, fragment):
    with pytest.raises(cap.ParseError) as exc:
        cap.parse_cap(data)
    assert fragment in exc.value.message


def test_it_names_a_missing_required_element():
    data = cap_xml().replace(b"<identifier>test-1</identifier>", b"")
    with pytest.raises(cap.ParseError, match="identifier"):
        cap.parse_cap(data)


def test_it_refuses_values_outside_the_cap_lists():
    with pytest.raises(cap.ParseError, match="msgType"):
        cap.parse_cap(cap_xml(msg_type="Warning"))
    with pytest.raises(cap.ParseError, match="severity"):
        cap.parse_cap(cap_xml().replace(b"Moderate", b"Bad"))


def test_it_refuses_a_time_without_zone():
    with pytest.raises(cap.ParseError, match="sent"):
        cap.parse_cap(cap_xml(sent="2026-02-16T22:50:00"))


def test_it_refuses_an_identifier_with_spaces():
    with pytest.raises(cap.ParseError, match="identifier"):
        cap.parse_cap(cap_xml(identifier="two words"))


@pytest.mark.parametrize("polygon,fragment", [
    ("-6.0,106.0 -6.0,106.1 -6.1,106.1 -6.1,106.0", "not closed"),
    ("-6.0,106.0 -6.0,106.1 -6.0,106.0", "at least four"),
    ("106.0,-6.0 106.0,-6.1 106.1,-6.1 106.0,-6.0 106.0,-6.0", "outside latitude"),
    ("-6.0;106.0 -6.0,106.1 -6.1,106.1 -6.0;106.0", "not lat,lon"),
])
def test_it_refuses_bad_polygons(polygon, fragment):
    with pytest.raises(cap.ParseError) as exc:
        cap.parse_cap(cap_xml(polygon=polygon))
    assert fragment in exc.value.message


def test_it_keeps_references_of_an_update():
    data = cap_xml(msg_type="Update").replace(
        b"<scope>Public</scope>",
        b"<scope>Public</scope><references>a@b,id-1,2026-02-16T22:00:00+07:00</references>")
    alert = cap.parse_cap(data)
    assert alert.references == [("a@b", "id-1", "2026-02-16T22:00:00+07:00")]
