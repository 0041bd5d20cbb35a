"""Escalation of unacknowledged referrals with a frozen clock: level 1 (agency supervisors), level 2 (call center)."""

import datetime as dt
from unittest import mock

from siaga.callcenter import referrals, tasks
from siaga.callcenter.models import Referral, TimelineEntry

from .referrals_helpers import world  # noqa: F401

T0 = dt.datetime(2026, 3, 14, 0, 10, tzinfo=dt.timezone.utc)


def _minutes(m, s=0):
    return T0 + dt.timedelta(minutes=m, seconds=s)


def _p1_referral(w, agency=None):
    """A P1 incident referred at T0: acknowledgement due T0+2 min, second escalation at T0+5 min."""
    inc = w.incident("uji-pohon", priority=1)
    with mock.patch("django.utils.timezone.now", return_value=T0):
        return referrals.refer(w.actor("call_taker"), inc.pk, (agency or w.psc).pk)


def _sms():
    try:
        from siaga.callcenter.models import OutboundSms
    except ImportError:
        return None
    return list(OutboundSms.objects.filter(kind="referral_escalation").values_list("to_number", flat=True))


def test_nothing_happens_before_the_deadline(world):
    ref = _p1_referral(world)
    assert referrals.escalate_overdue(now=_minutes(1, 59)) == []
    ref.refresh_from_db()
    assert ref.escalation_level == 0 and ref.escalated_at is None


def test_at_the_deadline_the_agency_supervisor_is_notified_once(world, capture_events):
    ref = _p1_referral(world)
    with capture_events() as events:
        done = referrals.escalate_overdue(now=_minutes(2))
        again = referrals.escalate_overdue(now=_minutes(2))
    assert [(d["referral_id"], d["level"]) for d in done] == [(ref.pk, 1)]
    assert again == []
    ref.refresh_from_db()
    assert ref.escalation_level == 1 and ref.escalated_at == _minutes(2)
    notified = done[0]["notified"]
    assert [(n["kind"], n["id"]) for n in notified] == [("user", world.users["psc_admin"].pk)]
    escalated = [e for e in events if e["type"] == "referral.escalated"]
    assert len(escalated) == 1
    assert escalated[0]["payload"]["level"] == 1 and escalated[0]["shared_with"] == [world.psc.pk]
    assert escalated[0]["organization_id"] == world.cc.pk
    assert TimelineEntry.objects.filter(incident=ref.incident, kind="referral.escalated").count() == 1
    sms = _sms()
    if sms is not None:
        assert sms == ["+6281211110002"]


def test_later_the_call_center_supervisor_is_notified(world):
    ref = _p1_referral(world)
    referrals.escalate_overdue(now=_minutes(2))
    # P1: escalate_again_minutes = 3 after the deadline (T0+2) -> T0+5.
    assert referrals.escalate_overdue(now=_minutes(4, 59)) == []
    done = referrals.escalate_overdue(now=_minutes(5))
    assert [(d["referral_id"], d["level"]) for d in done] == [(ref.pk, 2)]
    assert [n["id"] for n in done[0]["notified"]] == [world.users["cc_admin"].pk]
    assert referrals.escalate_overdue(now=_minutes(60)) == []
    ref.refresh_from_db()
    assert ref.escalation_level == 2 and ref.escalated_at == _minutes(5)


def test_a_long_missed_referral_reaches_both_levels_in_one_run(world):
    ref = _p1_referral(world)
    done = referrals.escalate_overdue(now=_minutes(30))
    assert [(d["referral_id"], d["level"]) for d in done] == [(ref.pk, 1), (ref.pk, 2)]


def test_acknowledged_in_time_is_never_escalated(world):
    ref = _p1_referral(world)
    with mock.patch("django.utils.timezone.now", return_value=_minutes(1)):
        referrals.acknowledge(world.actor("psc_liaison"), ref.pk)
    for m in (2, 5, 60):
        assert referrals.escalate_overdue(now=_minutes(m)) == []
    ref.refresh_from_db()
    assert ref.escalation_level == 0


def test_acknowledging_after_the_first_level_stops_the_second(world):
    ref = _p1_referral(world)
    referrals.escalate_overdue(now=_minutes(2))
    referrals.acknowledge(world.actor("psc_liaison"), ref.pk)
    assert referrals.escalate_overdue(now=_minutes(10)) == []
    ref.refresh_from_db()
    assert ref.escalation_level == 1 and ref.status == "acknowledged"


def test_an_agency_without_supervisor_is_notified_itself(world):
    world.fire.phone = "+62321321000"
    world.fire.save()
    _p1_referral(world, agency=world.fire)
    done = referrals.escalate_overdue(now=_minutes(2))
    assert [(n["kind"], n["id"]) for n in done[0]["notified"]] == [("organization", world.fire.pk)]


def test_the_deadline_depends_on_the_priority(world):
    inc = world.incident("uji-pohon", priority=4)  # 30 minutes to acknowledge
    with mock.patch("django.utils.timezone.now", return_value=T0):
        referrals.refer(world.actor("call_taker"), inc.pk, world.fire.pk)
    assert referrals.escalate_overdue(now=_minutes(29)) == []
    assert len(referrals.escalate_overdue(now=_minutes(30))) == 1


def test_a_claim_taken_by_another_worker_is_not_repeated(world):
    ref = _p1_referral(world)
    # Another worker escalated between our query and our claim: the conditional update finds nothing.
    Referral.objects.filter(pk=ref.pk).update(escalation_level=1, escalated_at=_minutes(2))
    assert referrals._escalate(ref.pk, 1, _minutes(2)) is None
    assert not TimelineEntry.objects.filter(kind="referral.escalated").exists()


def test_the_periodic_task_runs_the_escalation(world):
    ref = _p1_referral(world)
    with mock.patch("django.utils.timezone.now", return_value=_minutes(3)):
        assert tasks.escalate_overdue_referrals.call_local() == 1
        assert tasks.escalate_overdue_referrals.call_local() == 0
    ref.refresh_from_db()
    assert ref.escalation_level == 1
