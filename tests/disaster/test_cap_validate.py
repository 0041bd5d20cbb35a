import pytest
"""The CAP 1.2 rule checks: what the schema and the standard require of a document we publish."""

from siaga.disaster import cap

from .conftest import cap_xml

pytestmark = pytest.mark.usefixtures("english")


def test_the_real_bmkg_alert_conforms(cap_banten):
    assert cap.validate(cap_banten) == []


def test_a_small_valid_alert_conforms():
    assert cap.validate(cap_xml()) == []


def test_it_flags_elements_out_of_schema_order():
    data = cap_xml().replace(b"<status>Actual</status><msgType>Alert</msgType>",
                             b"<msgType>Alert</msgType><status>Actual</status>")
    assert any("out of schema order" in p for p in cap.validate(data))


def test_it_flags_a_z_time_zone_that_the_reader_tolerates():
    data = cap_xml(sent="2026-02-16T15:50:00Z")
    assert cap.parse_cap(data).sent.utcoffset().total_seconds() == 0
    assert any("<sent>" in p for p in cap.validate(data))


def test_it_flags_missing_required_elements():
    data = cap_xml().replace(b"<scope>Public</scope>", b"")
    assert "alert: <scope> must appear exactly once" in cap.validate(data)
    data = cap_xml().replace(b"<certainty>Observed</certainty>", b"")
    assert "info 1: <certainty> must appear exactly once" in cap.validate(data)


def test_it_flags_unknown_elements_and_bad_values():
    data = cap_xml().replace(b"<event>", b"<colour>red</colour><event>")
    assert any("unknown element <colour>" in p for p in cap.validate(data))
    data = cap_xml().replace(b"<category>Met</category>", b"<category>Weather</category>")
    assert any("<category> has a value outside its list" in p for p in cap.validate(data))


def test_it_flags_a_restricted_scope_without_restriction():
    data = cap_xml().replace(b"<scope>Public</scope>", b"<scope>Restricted</scope>")
    assert "alert: scope Restricted needs <restriction>" in cap.validate(data)


def test_it_flags_an_open_polygon():
    data = cap_xml(polygon="-6.0,106.0 -6.0,106.1 -6.1,106.1 -6.1,106.0")
    assert any("not closed" in p for p in cap.validate(data))


def test_writing_the_real_alert_reads_back_identically(cap_banten):
    alert = cap.parse_cap(cap_banten)
    xml = cap.to_xml(alert)
    assert cap.validate(xml) == []
    assert cap.parse_cap(xml) == alert
