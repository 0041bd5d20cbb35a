"""Positions keep their source and accuracy; an incident moves to a new position only when it is better."""

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Incident, Position, TimelineEntry
from siaga.core.errors import ServiceError

from .conftest import JATIREJO

pytestmark = pytest.mark.django_db


def test_a_position_of_a_live_call_is_kept_and_announced(cc, capture_events):
    call = services.start_call(cc.actor(), channel="phone", caller_number="081234567890")
    with capture_events() as evs:
        pos = services.record_position(cc.actor(), call=call, lat=-7.58, lng=112.43, accuracy_m=14.6, source="aml",
                                       raw='A"ML=1;lt=-7.58;lg=112.43;rd=14.6')
    assert (pos.call, pos.incident, pos.accuracy_m, pos.source) == (call, None, 15, "aml")
    assert pos.raw.startswith('A"ML=1')
    assert [e["type"] for e in evs] == ["call.position"]


def test_an_incident_without_typed_location_takes_the_callers_best_position(cc):
    a = cc.actor()
    call = services.start_call(a, channel="phone", caller_number="081234567890")
    services.record_position(a, call=call, lat=-7.50, lng=112.40, accuracy_m=800, source="aml")
    services.record_position(a, call=call, lat=-7.58, lng=112.43, accuracy_m=9, source="aml")
    inc = services.create_incident(a, type_code="banjir", call_id=call.pk)
    assert (inc.lat, inc.lng, inc.location_source, inc.location_accuracy_m) == (-7.58, 112.43, "aml", 9)
    assert Position.objects.filter(incident=inc).count() == 2


def test_a_gps_fix_replaces_a_kelurahan_centroid(cc, regions):
    regions["35.16.01"].lat, regions["35.16.01"].lng = -7.60, 112.45
    regions["35.16.01"].save()
    inc = services.create_incident(cc.actor(), type_code="banjir", region_code="35.16.01")
    with_events = services.record_position(cc.actor(), incident=inc, lat=JATIREJO[0], lng=JATIREJO[1],
                                           accuracy_m=20, source="link")
    inc.refresh_from_db()
    assert (inc.lat, inc.lng, inc.location_source, inc.location_accuracy_m) == (JATIREJO[0], JATIREJO[1], "link", 20)
    assert with_events.incident == inc
    assert TimelineEntry.objects.filter(incident=inc, kind="incident.location").exists()


def test_a_more_accurate_automatic_fix_replaces_a_less_accurate_one(cc):
    inc = services.create_incident(cc.actor(), type_code="banjir", lat=-7.58, lng=112.43, location_source="aml",
                                   accuracy_m=300)
    services.record_position(cc.actor(), incident=inc, lat=-7.581, lng=112.431, accuracy_m=500, source="aml")
    assert Incident.objects.get(pk=inc.pk).location_accuracy_m == 300
    services.record_position(cc.actor(), incident=inc, lat=-7.582, lng=112.432, accuracy_m=10, source="aml")
    inc.refresh_from_db()
    assert (inc.lat, inc.location_accuracy_m) == (-7.582, 10)


def test_a_position_chosen_on_the_map_is_never_replaced_automatically(cc, capture_events):
    inc = cc.incident(location_source="map")
    with capture_events() as evs:
        services.record_position(cc.actor(), incident=inc, lat=-7.50, lng=112.40, accuracy_m=5, source="aml")
    inc.refresh_from_db()
    assert (inc.lat, inc.lng, inc.location_source) == (JATIREJO[0], JATIREJO[1], "map")
    assert "incident.updated" not in [e["type"] for e in evs]
    assert Position.objects.filter(incident=inc, source="aml").exists()  # kept all the same


def test_a_position_outside_indonesia_is_refused_and_nothing_written(cc):
    call = services.start_call(cc.actor(), channel="phone")
    with pytest.raises(ServiceError) as exc:
        services.record_position(cc.actor(), call=call, lat=1.35, lng=103.0 + 50, source="aml")
    assert exc.value.code == "outside_indonesia"
    assert not Position.objects.exists()


def test_unknown_source_and_negative_accuracy_are_refused(cc):
    call = services.start_call(cc.actor(), channel="phone")
    with pytest.raises(ServiceError):
        services.record_position(cc.actor(), call=call, lat=-7.5, lng=112.4, source="rumor")
    with pytest.raises(ServiceError) as exc:
        services.record_position(cc.actor(), call=call, lat=-7.5, lng=112.4, source="aml", accuracy_m=-3)
    assert exc.value.code == "invalid_accuracy"
    assert not Position.objects.exists()


def test_a_position_needs_a_call_or_an_incident(cc):
    with pytest.raises(ServiceError):
        services.record_position(cc.actor(), lat=-7.5, lng=112.4, source="aml")
