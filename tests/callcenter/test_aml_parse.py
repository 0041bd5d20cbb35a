"""Advanced Mobile Location (ETSI TR 103 393) payloads: valid ones parse, malformed ones name the field at fault."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siaga.callcenter.aml import AmlError, AmlMessage, format_sms, looks_like_aml, parse_https, parse_sms

VALID = ('A"ML=1;lt=-7.47230;lg=112.43380;rd=15;top=20260216103045;lc=68;pm=G;si=510101234567890;'
         'ei=358240051111110;mcc=510;mnc=10;ml=127')


def with_ml(body: str) -> str:
    """A payload whose ml is right for the given body (which ends in "ml=")."""
    for digits in (2, 3, 4):
        if len(str(len(body) + digits)) == digits:
            return body + str(len(body) + digits)
    raise AssertionError


def test_it_reads_every_field_of_a_valid_message():
    m = parse_sms(VALID)
    assert (m.version, m.lat, m.lng, m.radius_m, m.accuracy_m) == (1, -7.4723, 112.4338, 15.0, 15)
    assert m.measured_at == dt.datetime(2026, 2, 16, 10, 30, 45, tzinfo=dt.timezone.utc)
    assert (m.confidence_pct, m.method) == (68, "G")
    assert (m.imsi, m.imei, m.mcc, m.mnc, m.length) == ("510101234567890", "358240051111110", "510", "10", 127)
    assert m.has_position and m.raw == VALID


def test_it_accepts_explicit_signs_surrounding_whitespace_and_a_trailing_separator():
    body = 'A"ML=1;lt=+54.76397;lg=-0.18305;rd=50;top=20130717141935;lc=90;pm=W;si=;ei=;mcc=234;mnc=30;ml='
    m = parse_sms("  " + with_ml(body) + "\n")
    assert (m.lat, m.lng, m.method, m.imsi) == (54.76397, -0.18305, "W", "")


def test_no_position_is_a_valid_message_without_coordinates():
    m = parse_sms(with_ml('A"ML=1;lt=;lg=;rd=;top=20260216103045;lc=;pm=N;si=;ei=;mcc=510;mnc=10;ml='))
    assert not m.has_position and m.method == "N" and m.accuracy_m is None


def test_a_decimal_radius_rounds_the_accuracy_up():
    m = parse_sms(with_ml('A"ML=1;lt=-7.5;lg=112.4;rd=12.2;top=20260216103045;lc=68;pm=C;ml='))
    assert m.radius_m == 12.2 and m.accuracy_m == 13


@pytest.mark.parametrize("payload, field", [
    ('lt=-7.47230;lg=112.43380;rd=15;ml=33', 'A"ML'),  # no header
    (with_ml('A"ML=2;lt=-7.4;lg=112.4;ml='), 'A"ML'),  # unknown version
    (with_ml('A"ML=x;lt=-7.4;lg=112.4;ml='), 'A"ML'),
    (with_ml('A"ML=1;lg=112.43380;rd=15;pm=G;ml='), "lt"),  # latitude missing
    (with_ml('A"ML=1;lt=-7.4;rd=15;pm=G;ml='), "lg"),  # longitude missing
    (with_ml('A"ML=1;lt=;lg=112.4;pm=G;ml='), "lt"),  # empty latitude with a fix claimed
    (with_ml('A"ML=1;lt=-97.4;lg=112.4;ml='), "lt"),  # out of range
    (with_ml('A"ML=1;lt=-7.4;lg=212.4;ml='), "lg"),
    (with_ml('A"ML=1;lt=g4.7d397;lg=112.4;ml='), "lt"),  # not a number
    (with_ml('A"ML=1;lt=1e1;lg=112.4;ml='), "lt"),
    (with_ml('A"ML=1;lt=nan;lg=112.4;ml='), "lt"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;rd=-5;ml='), "rd"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;top=20130717;ml='), "top"),  # date only
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;top=20131317141935;ml='), "top"),  # month 13
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;lc=99.9;ml='), "lc"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;lc=101;ml='), "lc"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;pm=Z;ml='), "pm"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;si=51010abc;ml='), "si"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;mcc=5100;ml='), "mcc"),
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;kl=23;ml='), "kl"),  # unknown field
    (with_ml('A"ML=1;lt=-7.4;lt=-7.5;lg=112.4;ml='), "lt"),  # twice
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;garbage;ml='), "payload"),
    (VALID[:-3] + "ml=10", "ml"),  # wrong length
    (VALID[:60], "ml"),  # truncated SMS: ml never arrived
    (VALID[:-1], "ml"),  # truncated inside ml
    (VALID + ";", "ml"),  # the length no longer matches
    (with_ml('A"ML=1;lt=-7.4;lg=112.4;ml=') + "0", "ml"),
    ("", 'A"ML'),
    ("Tolong ada kebakaran di Jl. Mojopahit", 'A"ML'),
    ('A"ML=1;' + "x" * 700, "payload"),
])
def test_it_refuses_malformed_payloads_naming_the_field(payload, field):
    with pytest.raises(AmlError) as exc:
        parse_sms(payload)
    assert exc.value.field == field
    assert exc.value.message


def test_it_refuses_non_text():
    with pytest.raises(AmlError):
        parse_sms(None)


def test_the_https_form_with_the_sms_field_names():
    m = parse_https({"lt": "-7.47230", "lg": "112.43380", "rd": "15", "top": "20260216103045", "lc": "68",
                     "pm": "G", "si": "", "ei": "358240051111110", "mcc": "510", "mnc": "10"})
    assert (m.lat, m.lng, m.accuracy_m, m.method, m.imei) == (-7.4723, 112.4338, 15, "G", "358240051111110")
    assert m.length is None  # no ml in the HTTPS form


def test_the_https_form_with_the_handset_transport_names():
    m = parse_https({"v": "1", "location_latitude": "-7.4723012", "location_longitude": "112.4338",
                     "location_accuracy": "9.5", "location_time": "1771237845000", "location_source": "gps",
                     "location_confidence": "0.68", "device_number": "+6281234567890", "device_imei": "35824005111111",
                     "time": "1771237800000", "emergency_number": "112"})
    assert (m.lat, m.lng, m.accuracy_m, m.method, m.confidence_pct) == (-7.4723012, 112.4338, 10, "G", 68)
    assert m.measured_at == dt.datetime(2026, 2, 16, 10, 30, 45, tzinfo=dt.timezone.utc)
    assert m.device_number == "+6281234567890"


@pytest.mark.parametrize("fields, field", [
    ({"location_latitude": "-7.4"}, "location_longitude"),
    ({"location_longitude": "112.4"}, "location_latitude"),
    ({"location_latitude": "-7.4", "location_longitude": "abc"}, "location_longitude"),
    ({"location_latitude": "-7.4", "location_longitude": "112.4", "location_confidence": "68"}, "location_confidence"),
    ({"location_latitude": "-7.4", "location_longitude": "112.4", "location_source": "magic"}, "location_source"),
    ({"location_latitude": "-7.4", "location_longitude": "112.4", "location_time": "yesterday"}, "location_time"),
    ({"lt": "-7.4", "lg": "112.4", "v": "9"}, "v"),
    ({"lt": "-7.4", "pm": "G"}, "lg"),
])
def test_the_https_form_refuses_malformed_fields(fields, field):
    with pytest.raises(AmlError) as exc:
        parse_https(fields)
    assert exc.value.field == field


def test_an_https_message_without_coordinates_has_no_position():
    m = parse_https({"v": "1", "device_number": "+6281234567890", "location_source": "unknown"})
    assert not m.has_position and m.method == "N"


def test_looks_like_aml():
    assert looks_like_aml(VALID) and looks_like_aml("  " + VALID)
    assert not looks_like_aml("Tolong, ada banjir") and not looks_like_aml(None)


# --- properties -----------------------------------------------------------------------------------

_times = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0, tzinfo=dt.timezone.utc))
_digits = st.text(alphabet="0123456789", max_size=15)


@st.composite
def messages(draw):
    method = draw(st.sampled_from(["G", "W", "C", "N", ""]))
    located = method != "N" or draw(st.booleans())
    return AmlMessage(
        version=1,
        lat=round(draw(st.floats(-90, 90)), 5) if located else None,
        lng=round(draw(st.floats(-180, 180)), 5) if located else None,
        radius_m=draw(st.none() | st.integers(0, 100_000).map(float) | st.decimals(0, 9999, places=1).map(float)),
        measured_at=draw(st.none() | _times),
        confidence_pct=draw(st.none() | st.integers(0, 100)),
        method=method,
        imsi=draw(_digits),
        imei=draw(st.text(alphabet="0123456789", max_size=16)),
        mcc=draw(st.text(alphabet="0123456789", max_size=3)),
        mnc=draw(st.text(alphabet="0123456789", max_size=3)),
    )


@settings(max_examples=300, deadline=None)
@given(messages())
def test_every_well_formed_message_round_trips(message):
    text = format_sms(message)
    parsed = parse_sms(text)
    assert parsed == message
    assert parsed.length == len(text)


@settings(max_examples=300, deadline=None)
@given(messages(), st.data())
def test_every_truncated_message_is_refused(message, data):
    text = format_sms(message)
    cut = data.draw(st.integers(0, len(text) - 1))
    with pytest.raises(AmlError):
        parse_sms(text[:cut])


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_random_text_raises_nothing_but_aml_error(text):
    try:
        parse_sms(text)
    except AmlError:
        pass


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('A"ML=1;ltgrdopcmsiexn0123456789.+-')), max_size=200))
def test_payload_like_noise_raises_nothing_but_aml_error(tail):
    try:
        parse_sms('A"ML=' + tail)
    except AmlError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc", "v",
                                        "location_latitude", "location_longitude", "location_accuracy",
                                        "location_time", "location_source", "location_confidence",
                                        "device_imei", "device_number"]),
                       st.text(max_size=30)))
def test_random_https_fields_raise_nothing_but_aml_error(fields):
    try:
        parse_https(fields)
    except AmlError:
        pass
