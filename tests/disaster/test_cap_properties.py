"""Property tests: whatever text arrives, the CAP parser answers with an alert or a ParseError, nothing else;
an alert we write validates and reads back identically."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siaga.disaster import cap

from .conftest import bmkg_file, cap_xml

SAMPLE = cap_xml().decode()


def _parse_or_parse_error(data):
    try:
        return cap.parse_cap(data)
    except cap.ParseError as exc:
        assert exc.message
        return None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_raises_only_parse_error(text):
    _parse_or_parse_error(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_arbitrary_bytes_raise_only_parse_error(data):
    _parse_or_parse_error(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mangled_alerts_raise_only_parse_error(data):
    """Cut, duplicate or replace a slice of a valid alert: near-misses reach the deeper checks."""
    text = SAMPLE
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    insert = data.draw(st.one_of(st.just(""), st.text(max_size=20), st.sampled_from(
        ["<info>", "</info>", "<polygon>1,2 3,4</polygon>", "&amp;", "<!DOCTYPE x>", "Z", "-99", ",", " "])))
    _parse_or_parse_error(text[:start] + insert + text[end:])


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=200))
def test_arbitrary_description_in_a_real_alert_parses(description):
    from xml.sax.saxutils import escape

    data = bmkg_file("cap_banten.xml").decode()
    start, end = data.index("<description>") + len("<description>"), data.index("</description>")
    alert = _parse_or_parse_error(data[:start] + escape(description) + data[end:])
    assert alert is not None
    assert alert.infos[0].description == description.strip()


safe_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                    max_size=60).map(str.strip).filter(bool)
token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-@_", min_size=1, max_size=40)
zones = st.integers(-12, 14).map(lambda h: dt.timezone(dt.timedelta(hours=h)))
times = st.builds(lambda d, z: d.replace(tzinfo=z, microsecond=0),
                  st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 1, 1)), zones)
lats = st.floats(-89, 89).map(lambda v: round(v, 4))
lons = st.floats(-179, 179).map(lambda v: round(v, 4))
coords = st.tuples(lats, lons)


@st.composite
def rings(draw):
    points = draw(st.lists(coords, min_size=3, max_size=8))
    return points + [points[0]]


areas = st.builds(cap.CapArea, desc=safe_text, polygons=st.lists(rings(), max_size=3),
                  circles=st.lists(st.tuples(lats, lons, st.floats(0, 500).map(lambda v: round(v, 2))), max_size=2),
                  geocodes=st.lists(st.tuples(token, token), max_size=2))
infos = st.builds(
    cap.CapInfo, language=st.sampled_from(["id-ID", "en-US"]), categories=st.lists(st.sampled_from(cap.CATEGORY),
                                                                                     min_size=1, max_size=3),
    event=safe_text, response_types=st.lists(st.sampled_from(cap.RESPONSE_TYPE), max_size=2),
    urgency=st.sampled_from(cap.URGENCY), severity=st.sampled_from(cap.SEVERITY),
    certainty=st.sampled_from(cap.CERTAINTY), effective=st.none() | times, expires=st.none() | times,
    headline=st.just("") | safe_text, description=st.just("") | safe_text,
    event_codes=st.lists(st.tuples(token, token), max_size=2), parameters=st.lists(st.tuples(token, token), max_size=2),
    areas=st.lists(areas, max_size=2))
alerts = st.builds(cap.CapAlert, identifier=token, sender=token, sent=times, status=st.sampled_from(cap.STATUS),
                   msg_type=st.sampled_from(["Alert", "Update", "Cancel"]), scope=st.just("Public"),
                   references=st.lists(st.tuples(token, token, times.map(cap.format_datetime_cap)), max_size=2),
                   note=st.just("") | safe_text, infos=st.lists(infos, min_size=1, max_size=2))


@settings(max_examples=150, deadline=None)
@given(alerts)
def test_written_alerts_validate_and_read_back_identically(alert):
    xml = cap.to_xml(alert)
    assert cap.validate(xml) == []
    assert cap.parse_cap(xml) == alert
