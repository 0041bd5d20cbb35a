"""Creating an incident: numbering, type, location rules, the call it came from, audit, events and routing."""

import re

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Call, Incident, Position, Referral, TimelineEntry
from siaga.core.errors import ServiceError
from siaga.core.models import AuditLog, OutboxEvent
from siaga.core.permissions import PermissionDenied

from .conftest import JATIREJO

pytestmark = pytest.mark.django_db


def _counts():
    return (Incident.objects.count(), Position.objects.count(), TimelineEntry.objects.count(),
            AuditLog.objects.count(), OutboxEvent.objects.count(), Call.objects.exclude(outcome="").count())


def test_it_creates_an_incident_from_a_call_with_audit_timeline_and_events(cc, capture_events):
    a = cc.actor()
    call = services.start_call(a, channel="phone", caller_number="081234567890")
    with capture_events() as evs:
        inc = services.create_incident(a, type_code="kecelakaan-lalu-lintas", call_id=call.pk,
                                       description="Motor menabrak mobil", address="Jl. Raya Jatirejo",
                                       lat=JATIREJO[0], lng=JATIREJO[1], location_source="map")
    assert re.fullmatch(r"112-\d{4}-000001", inc.number)
    assert inc.organization == cc.org and inc.created_by == cc.users["call_taker"]
    assert inc.type.code == "kecelakaan-lalu-lintas" and inc.priority == 2
    assert len(inc.tracking_token) >= 30
    call.refresh_from_db()
    assert call.incident == inc and call.outcome == "new_incident"
    kinds = list(TimelineEntry.objects.filter(incident=inc).values_list("kind", flat=True))
    assert kinds[:2] == ["incident.created", "call.linked"]
    assert AuditLog.objects.filter(model="callcenter.incident", object_id=str(inc.pk), action="create").exists()
    types = [e["type"] for e in evs]
    assert "incident.created" in types and types[-1] == "call.closed"
    created = next(e for e in evs if e["type"] == "incident.created")
    # routed to the regency's PSC 119 and police, who are given sight of the event
    assert set(created["shared_with"]) == {cc.psc.pk, cc.police.pk}
    assert set(Referral.objects.filter(incident=inc).values_list("agency_id", flat=True)) == {cc.psc.pk, cc.police.pk}
    assert created["payload"]["referral_ids"] and created["payload"]["status"] == "referred"


def test_numbers_are_consecutive_per_call_center(cc):
    first = cc.incident()
    second = cc.incident("banjir")
    theirs = services.create_incident(cc.actor("other_call_taker"), type_code="banjir", region_code="35.76")
    assert int(first.number[-6:]) + 1 == int(second.number[-6:])
    assert theirs.number.endswith("-000001")
    assert theirs.number == first.number  # the same text at another call center: unique per organisation


def test_an_incident_may_be_created_without_a_call(cc):
    inc = services.create_incident(cc.actor(), type_code="pohon-tumbang", region_code="35.16.01",
                                   description="Pohon tumbang menutup jalan")
    assert inc.calls.count() == 0 and inc.status == "new"


def test_unknown_type_is_refused_and_nothing_is_written(cc):
    call = services.start_call(cc.actor(), channel="phone")
    before = _counts()
    with pytest.raises(ServiceError) as exc:
        services.create_incident(cc.actor(), type_code="alien", call_id=call.pk, lat=JATIREJO[0], lng=JATIREJO[1])
    assert exc.value.code == "unknown_type"
    assert _counts() == before


def test_an_inactive_type_is_refused(cc):
    cc.types["banjir"].active = False
    cc.types["banjir"].save()
    with pytest.raises(ServiceError) as exc:
        cc.incident("banjir")
    assert exc.value.code == "unknown_type"


@pytest.mark.parametrize("lat,lng", [(112.43, -7.57), (51.5, -0.12), (-7.57, 150.0), (20.0, 100.0)])
def test_coordinates_outside_indonesia_are_refused_and_nothing_is_written(cc, lat, lng):
    call = services.start_call(cc.actor(), channel="phone", caller_number="081234567890")
    before = _counts()
    with pytest.raises(ServiceError) as exc:
        services.create_incident(cc.actor(), type_code="banjir", call_id=call.pk, lat=lat, lng=lng)
    assert exc.value.code == "outside_indonesia"
    assert _counts() == before
    assert Call.objects.get(pk=call.pk).outcome == ""


def test_half_a_position_is_refused(cc):
    with pytest.raises(ServiceError) as exc:
        services.create_incident(cc.actor(), type_code="banjir", lat=JATIREJO[0])
    assert exc.value.code == "invalid_position"


def test_coordinates_alone_give_the_region_whose_boundary_covers_them(cc, boundary):
    inc = services.create_incident(cc.actor(), type_code="banjir", lat=JATIREJO[0], lng=JATIREJO[1])
    assert inc.region_code == "35.16.01"
    assert inc.location_source == "coordinates"
    assert inc.h3_cell and len(inc.h3_cell) == 15
    assert Position.objects.get(incident=inc).source == "coordinates"


def test_coordinates_outside_every_boundary_keep_the_region_given(cc, boundary):
    inc = services.create_incident(cc.actor(), type_code="banjir", lat=-7.70, lng=112.60, region_code="35.16")
    assert inc.region_code == "35.16"


def test_coordinates_without_boundary_or_region_fall_back_to_the_call_centers_area(cc):
    inc = services.create_incident(cc.actor(), type_code="banjir", lat=-7.70, lng=112.60)
    assert inc.region_code == "35.16" and inc.lat == -7.70


def test_a_region_alone_places_the_incident_at_its_centroid(cc, regions):
    regions["35.16.01"].lat, regions["35.16.01"].lng = -7.5812, 112.4321
    regions["35.16.01"].save()
    inc = services.create_incident(cc.actor(), type_code="banjir", region_code="35.16.01")
    assert (inc.lat, inc.lng, inc.location_source, inc.location_accuracy_m) == (-7.5812, 112.4321, "region", None)
    assert inc.h3_cell
    assert not Position.objects.filter(incident=inc).exists()  # a centroid is not a measured position


def test_unknown_region_is_refused(cc):
    with pytest.raises(ServiceError) as exc:
        services.create_incident(cc.actor(), type_code="banjir", region_code="35.16.99")
    assert exc.value.code == "unknown_region"
    assert not Incident.objects.exists()


def test_a_region_outside_the_call_takers_area_is_refused(cc):
    with pytest.raises(PermissionDenied):
        services.create_incident(cc.actor(), type_code="banjir", region_code="31.71")
    assert not Incident.objects.exists()


def test_unknown_location_source_is_refused(cc):
    with pytest.raises(ServiceError) as exc:
        services.create_incident(cc.actor(), type_code="banjir", lat=JATIREJO[0], lng=JATIREJO[1],
                                 location_source="telepati")
    assert exc.value.code == "invalid_position"


def test_an_agency_cannot_create_incidents(cc):
    with pytest.raises(PermissionDenied):
        services.create_incident(cc.actor("psc_liaison"), type_code="banjir", region_code="35.16")


def test_a_platform_actor_names_the_call_center(cc):
    from siaga.core.permissions import system_actor

    with pytest.raises(ServiceError) as exc:
        services.create_incident(system_actor(), type_code="banjir", region_code="35.16")
    assert exc.value.code == "organization_required"
    inc = services.create_incident(system_actor(), type_code="banjir", region_code="35.16", organization=cc.org)
    assert inc.organization == cc.org and inc.created_by is None
