"""Every referral action announces itself on topic "referrals", to the call center and the referred agency only."""

import pytest

from siaga.callcenter import referrals
from siaga.core.errors import Conflict
from siaga.core.events import EVENT_TYPES

from .referrals_helpers import make_referral, world  # noqa: F401

REFERRAL_EVENTS = {"referral.requested", "referral.acknowledged", "referral.committed", "referral.closed",
                   "referral.declined", "referral.cancelled", "referral.escalated"}


def test_the_event_types_are_registered_on_the_referrals_topic():
    assert REFERRAL_EVENTS <= set(EVENT_TYPES)
    assert {EVENT_TYPES[name].topic for name in REFERRAL_EVENTS} == {"referrals"}


def test_each_action_emits_one_event_that_follows_its_schema(world, capture_events):
    inc = world.incident()
    agency, cc = world.actor("psc_liaison"), world.actor("call_taker")
    with capture_events() as events:
        refs = referrals.route_new_incident(cc, inc)
        psc = next(r for r in refs if r.agency_id == world.psc.pk)
        police = next(r for r in refs if r.agency_id == world.police.pk)
        referrals.acknowledge(agency, psc.pk)
        referrals.commit_resources(agency, psc.pk, resources="1 ambulans")
        referrals.close_referral(agency, psc.pk, note="selesai")
        referrals.decline(world.actor("police_liaison"), police.pk, reason="bukan wilayah")
        referrals.cancel_referral(cc, referrals.refer(cc, inc.pk, world.fire.pk).pk, reason="tidak perlu")
    mine = [e for e in events if e["topic"] == "referrals"]
    assert [e["type"] for e in mine] == [
        "referral.requested", "referral.requested", "referral.acknowledged", "referral.committed", "referral.closed",
        "referral.declined", "referral.requested", "referral.cancelled"]
    for e in mine:
        assert e["organization_id"] == world.cc.pk
        assert e["region_code"] == inc.region_code
        assert e["shared_with"] == [e["payload"]["agency_id"]]
    ack = mine[2]["payload"]
    assert ack["within_deadline"] is True and ack["status"] == "acknowledged" and ack["acknowledged_at"]
    assert mine[3]["payload"]["resources"] == "1 ambulans"
    assert mine[5]["payload"]["reason"] == "bukan wilayah"
    assert {e["payload"]["reason"] for e in mine if e["type"] == "referral.requested"} == {
        "default:psc119", "default:police", "manual"}


def test_the_stream_gives_each_agency_only_its_own_referral_events(world, capture_events):
    with capture_events() as events:
        referrals.route_new_incident(world.actor("call_taker"), world.incident())
    requested = [e for e in events if e["type"] == "referral.requested"]
    assert len(requested) == 2
    psc, police, fire = world.actor("psc_liaison"), world.actor("police_liaison"), world.actor("fire_liaison")
    assert [e["payload"]["agency_id"] for e in requested if psc.can_see_event(e)] == [world.psc.pk]
    assert [e["payload"]["agency_id"] for e in requested if police.can_see_event(e)] == [world.police.pk]
    assert not any(fire.can_see_event(e) for e in requested)
    assert all(world.actor("dispatcher").can_see_event(e) for e in requested)


def test_a_refused_action_emits_nothing(world, capture_events):
    ref = make_referral(world.incident(status="referred"), world.psc, status="closed")
    with capture_events() as events:
        with pytest.raises(Conflict):
            referrals.acknowledge(world.actor("psc_liaison"), ref.pk)
    assert events == []
