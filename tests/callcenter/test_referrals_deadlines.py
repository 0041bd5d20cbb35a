"""Acknowledgement deadlines come from the priority policy of the incident's priority."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from siaga.callcenter import referrals
from siaga.callcenter.models import PriorityPolicy

from .referrals_helpers import POLICIES, world  # noqa: F401

FROZEN = dt.datetime(2026, 3, 14, 0, 10, tzinfo=dt.timezone.utc)  # 07:10 WIB


@pytest.mark.parametrize("priority,minutes", [(p, ack) for p, ack, _again in POLICIES])
def test_the_deadline_follows_the_priority(world, priority, minutes):
    inc = world.incident("uji-kecelakaan", priority=priority)
    with mock.patch("django.utils.timezone.now", return_value=FROZEN):
        refs = referrals.route_new_incident(world.actor("call_taker"), inc)
    assert refs and all(r.requested_at == FROZEN for r in refs)
    assert {r.ack_deadline for r in refs} == {FROZEN + dt.timedelta(minutes=minutes)}


def test_an_edited_policy_applies_to_new_referrals(world):
    PriorityPolicy.objects.filter(priority=1).update(ack_deadline_minutes=7)
    ref = referrals.refer(world.actor("call_taker"), world.incident("uji-pohon", priority=1).pk, world.fire.pk)
    assert ref.ack_deadline - ref.requested_at == dt.timedelta(minutes=7)


def test_a_missing_policy_falls_back_to_the_built_in_minutes(world):
    PriorityPolicy.objects.filter(priority=3).delete()
    now = timezone.now()
    assert referrals.ack_deadline_for(3, now) == now + dt.timedelta(minutes=referrals.DEFAULT_ACK_MINUTES[3])


def test_seconds_remaining_counts_down_and_goes_negative(world):
    inc = world.incident("uji-kecelakaan", priority=1)
    with mock.patch("django.utils.timezone.now", return_value=FROZEN):
        ref = referrals.refer(world.actor("call_taker"), inc.pk, world.fire.pk)
    assert referrals.seconds_remaining(ref, FROZEN + dt.timedelta(seconds=30)) == 90
    assert referrals.seconds_remaining(ref, FROZEN + dt.timedelta(minutes=3)) == -60
    assert referrals.board_state(ref, FROZEN + dt.timedelta(minutes=3)) == "overdue"
    ref.status = "acknowledged"
    assert referrals.seconds_remaining(ref, FROZEN) is None
