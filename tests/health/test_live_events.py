"""Live health events reach the posyandu's own kader and its puskesmas, never another posyandu; they carry no NIK."""

import datetime as dt

import pytest

from siaga.health import services

pytestmark = pytest.mark.django_db


def test_a_measurement_event_is_seen_by_own_posyandu_and_puskesmas_only(hx, capture_events):
    child = hx.child(birth_date=dt.date(2024, 3, 15))
    with capture_events() as evs:
        services.record_measurement(hx.actor(), person_id=child.pk, measured_on=dt.date(2025, 1, 12), weight_g=8000)
    (ev,) = [e for e in evs if e["type"] == "health.measurement_recorded"]
    assert ev["topic"] == "health"
    assert hx.actor("kader").can_see_event(ev)
    assert hx.actor("puskesmas_kader").can_see_event(ev)
    assert not hx.actor("other_kader").can_see_event(ev)
    assert not hx.actor("leader").can_see_event(ev)  # no health.view: aggregates only, through dashboards
    assert child.nik not in str(ev) and child.name not in str(ev)


def test_a_person_outside_the_kaders_area_is_refused(hx, regions):
    from siaga.core.permissions import PermissionDenied
    from siaga.geo.models import Region

    Region.objects.create(code="35.16.01.2001", name="Dinoyo", level=4, parent_id="35.16.01")
    with pytest.raises(PermissionDenied):
        services.register_person(hx.actor(), posyandu_id=hx.posyandu.pk, name="Tamu", sex="P",
                                 birth_date=dt.date(2024, 1, 1), region_code="35.16.01.2001")
