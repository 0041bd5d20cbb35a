"""Vital-event events: checked against their schemas, owned by the facility, shared with its Dukcapil office only."""

import pytest

from siaga.health import vital

from .vital_support import vx  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_notification_is_announced_to_the_facility_and_shared_with_its_dukcapil(vx, capture_events):
    with capture_events() as evs:
        ev = vx.death()
    (e,) = [x for x in evs if x["type"] == "health.vital_event_notified"]
    assert e["topic"] == "vital_events"
    assert e["payload"]["status"] == "notified" and e["payload"]["occurred_on"] == "2025-03-01"
    assert e["organization_id"] == vx.orgs["facility"].pk
    assert e["shared_with"] == [vx.orgs["dukcapil"].pk]
    assert vx.actor("facility").can_see_event(e)
    assert not vx.actor("other_facility").can_see_event(e)
    # The live stream delivers it to this Dukcapil office and no other.
    assert vx.actor("cro").can_see_event(e)
    assert not vx.actor("other_cro").can_see_event(e)
    assert ev.nik not in str(e) and ev.person_name not in str(e)


def test_each_status_change_is_announced(vx, capture_events):
    ev = vx.birth()
    with capture_events() as evs:
        vital.request_correction(vx.actor("cro"), ev.pk, reason="x")
        vital.resubmit(vx.actor("facility"), ev.pk, mother_name="Siti", sex="F", born_at=ev.born_at,
                       birth_attendant="midwife")
        vital.register(vx.actor("cro"), ev.pk, registration_number="R-9")
    changes = [(e["payload"]["from_status"], e["payload"]["status"]) for e in evs
               if e["type"] == "health.vital_event_status_changed"]
    assert changes == [("notified", "correction_requested"), ("correction_requested", "resubmitted"),
                       ("resubmitted", "registered")]
    assert evs[-1]["payload"]["registration_number"] == "R-9"
    assert all(e["shared_with"] == [vx.orgs["dukcapil"].pk] for e in evs)


def test_a_refused_move_announces_nothing(vx, capture_events):
    from siaga.core.errors import Conflict

    ev = vital.reject(vx.actor("cro"), vx.birth().pk, reason="x")
    with capture_events() as evs:
        with pytest.raises(Conflict):
            vital.register(vx.actor("cro"), ev.pk, registration_number="R-1")
    assert evs == []
