"""A crew phone's offline queue: steps arrive late, in order, with the device's times; a replay changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.errors import Conflict, ServiceError
from siaga.dispatch import services
from siaga.dispatch.models import Dispatch, StatusChange


@pytest.fixture
def sent(fleet):
    inc = fleet.incident()
    d = services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)
    # The phone was out of signal for a quarter of an hour: its queued steps are all in the past.
    Dispatch.objects.filter(pk=d.pk).update(alerted_at=d.alerted_at - dt.timedelta(minutes=15))
    d.refresh_from_db()
    return d


def test_queued_steps_keep_the_times_they_happened(fleet, sent):
    crew = fleet.actor("crew")
    t0 = sent.alerted_at
    queue = [("acknowledged", t0 + dt.timedelta(seconds=20), "q-1"), ("en_route", t0 + dt.timedelta(seconds=70), "q-2"),
             ("on_scene", t0 + dt.timedelta(seconds=400), "q-3")]
    for status, at, cid in queue:
        services.set_dispatch_status(crew, sent.pk, status, at=at, client_id=cid)
    d = Dispatch.objects.get(pk=sent.pk)
    assert (d.acknowledged_at, d.en_route_at, d.on_scene_at) == tuple(at for _s, at, _c in queue)
    changes = StatusChange.objects.filter(dispatch=d, client_id__startswith="q-").order_by("at")
    assert [c.client_id for c in changes] == ["q-1", "q-2", "q-3"]
    assert all(c.received_at >= c.at for c in changes)


def test_replaying_the_whole_queue_applies_nothing_twice(fleet, sent):
    crew = fleet.actor("crew")
    t0 = sent.alerted_at
    queue = [("acknowledged", t0 + dt.timedelta(seconds=5), "r-1"), ("en_route", t0 + dt.timedelta(seconds=9), "r-2")]
    for status, at, cid in queue:
        services.set_dispatch_status(crew, sent.pk, status, at=at, client_id=cid)
    before = StatusChange.objects.count()
    # The phone lost the answers and sends everything again.
    for status, at, cid in queue:
        services.set_dispatch_status(crew, sent.pk, status, at=at, client_id=cid)
    assert StatusChange.objects.count() == before
    assert Dispatch.objects.get(pk=sent.pk).status == "en_route"


def test_a_time_before_the_previous_step_is_refused(fleet, sent):
    crew = fleet.actor("crew")
    services.set_dispatch_status(crew, sent.pk, "acknowledged", at=sent.alerted_at + dt.timedelta(seconds=30))
    with pytest.raises(ServiceError) as exc:
        services.set_dispatch_status(crew, sent.pk, "en_route", at=sent.alerted_at + dt.timedelta(seconds=10))
    assert exc.value.code == "status_out_of_order"
    assert Dispatch.objects.get(pk=sent.pk).en_route_at is None


def test_a_time_in_the_future_is_refused(fleet, sent):
    with pytest.raises(ServiceError) as exc:
        services.set_dispatch_status(fleet.actor("crew"), sent.pk, "acknowledged",
                                     at=timezone.now() + dt.timedelta(minutes=30))
    assert exc.value.code == "time_in_future"


def test_a_step_for_a_dispatch_cancelled_meanwhile_is_refused_clearly(fleet, sent):
    services.cancel_dispatch(fleet.actor(), sent.pk, reason="pasien sudah dibawa warga")
    with pytest.raises(Conflict) as exc:
        services.set_dispatch_status(fleet.actor("crew"), sent.pk, "acknowledged", client_id="late-1")
    assert exc.value.code == "dispatch_ended"
