"""Property tests: any JSON (or any text) given to the earthquake reader yields reports or a ParseError."""

from hypothesis import given, settings
from hypothesis import strategies as st

from siaga.disaster import cap, quake

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
gempa_like = st.fixed_dictionaries({}, optional={
    "DateTime": st.text(max_size=30) | st.just("2026-02-16T06:15:30+00:00"),
    "Coordinates": st.text(max_size=20) | st.just("-6.89,109.67"),
    "Magnitude": st.text(max_size=6) | st.just("5.4") | st.floats(), "Kedalaman": st.text(max_size=8) | st.just("10 km"),
    "Wilayah": json_values})


def _read(data):
    try:
        return quake.parse_quake_json(data)
    except cap.ParseError as exc:
        assert exc.message
        return None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_reports_or_parse_error(text):
    _read(text)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_gives_reports_or_parse_error(value):
    import json

    _read(json.dumps(value))


@settings(max_examples=300, deadline=None)
@given(st.lists(gempa_like, max_size=3) | gempa_like)
def test_feed_shaped_json_gives_reports_or_parse_error(gempa):
    import json

    reports = _read(json.dumps({"Infogempa": {"gempa": gempa}}))
    for r in reports or []:
        assert -90 <= r.lat <= 90 and len(r.identifier) == 14
