"""A second caller about the same event: the call joins the incident, and all callers stay on it."""

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Incident, TimelineEntry
from siaga.core.errors import Conflict, NotFound

pytestmark = pytest.mark.django_db


def _call(cc, number="085643219876", who="call_taker"):
    return services.start_call(cc.actor(who), channel="phone", caller_number=number)


def test_attaching_puts_the_call_on_the_incident_with_timeline_and_events(cc, capture_events):
    inc = cc.incident()
    call = _call(cc)
    with capture_events() as evs:
        services.attach_call(cc.actor(), call.pk, inc.pk)
    assert set(inc.calls.values_list("caller_number", flat=True)) == {"+6281234567890", "+6285643219876"}
    entry = TimelineEntry.objects.get(incident=inc, kind="call.attached")
    assert entry.data["caller_number"] == "+6285643219876"
    assert [e["type"] for e in evs] == ["call.closed", "incident.call_attached"]
    attached = evs[1]
    assert attached["payload"]["calls_count"] == 2
    assert set(attached["shared_with"]) == {cc.psc.pk, cc.police.pk}


def test_positions_sent_during_the_call_follow_it_to_the_incident(cc):
    inc = cc.incident()
    call = _call(cc)
    pos = services.record_position(cc.actor(), call=call, lat=-7.5791, lng=112.4342, accuracy_m=12, source="aml")
    assert pos.incident is None
    services.attach_call(cc.actor(), call.pk, inc.pk)
    pos.refresh_from_db()
    assert pos.incident == inc


def test_a_merged_incident_points_to_the_one_that_absorbed_it(cc):
    target, source = cc.incident(), cc.incident(number="081311112222")
    services.merge_incidents(cc.actor(), source.pk, target.pk)
    call = _call(cc)
    with pytest.raises(Conflict) as exc:
        services.attach_call(cc.actor(), call.pk, source.pk)
    assert exc.value.code == "incident_merged"
    assert exc.value.details == {"merged_into": target.pk}


@pytest.mark.parametrize("status", ["closed", "cancelled", "resolved"])
def test_a_finished_incident_takes_no_more_calls(cc, status):
    inc = cc.incident()
    Incident.objects.filter(pk=inc.pk).update(status=status)
    call = _call(cc)
    with pytest.raises(Conflict) as exc:
        services.attach_call(cc.actor(), call.pk, inc.pk)
    assert exc.value.code == "incident_closed"
    call.refresh_from_db()
    assert call.outcome == "" and call.incident is None


def test_another_call_centers_incident_does_not_exist_for_attaching(cc):
    theirs = services.create_incident(cc.actor("other_call_taker"), type_code="banjir", region_code="35.76")
    call = _call(cc)
    with pytest.raises(NotFound):
        services.attach_call(cc.actor(), call.pk, theirs.pk)
    assert theirs.calls.count() == 0


def test_an_unknown_incident_is_not_found(cc):
    call = _call(cc)
    with pytest.raises(NotFound):
        services.attach_call(cc.actor(), call.pk, 987654)
