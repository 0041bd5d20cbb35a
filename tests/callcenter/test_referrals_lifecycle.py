"""The referral lifecycle: every transition of the one table, allowed and refused, with audit and timeline."""

import pytest

from siaga.callcenter import referrals
from siaga.callcenter.models import Referral, TimelineEntry
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied

from .referrals_helpers import make_referral, world  # noqa: F401

STATUSES = ["requested", "acknowledged", "committed", "closed", "declined", "cancelled"]


def _act(w, ref, action):
    """Run one action as the side that may take it."""
    agency = w.actor("psc_liaison")
    cc = w.actor("call_taker")
    if action == "acknowledge":
        return referrals.acknowledge(agency, ref.pk)
    if action == "commit":
        return referrals.commit_resources(agency, ref.pk, resources="1 ambulans, 2 perawat")
    if action == "close":
        return referrals.close_referral(agency, ref.pk, note="Korban dibawa ke RSUD")
    if action == "decline":
        return referrals.decline(agency, ref.pk, reason="Semua ambulans sedang bertugas")
    if action == "cancel":
        return referrals.cancel_referral(cc, ref.pk, reason="Salah instansi")
    if action == "rerequest":
        return referrals.refer(cc, ref.incident_id, ref.agency_id)
    raise AssertionError(action)


CASES = [(status, action) for status in STATUSES for action in referrals.TRANSITIONS]


@pytest.mark.parametrize("status,action", CASES)
def test_each_action_from_each_status_follows_the_table(world, status, action):  # noqa: F811
    ref = make_referral(world.incident(status="referred"), world.psc, status=status)
    t = referrals.TRANSITIONS[action]
    if status in t.sources:
        result = _act(world, ref, action)
        ref.refresh_from_db()
        assert ref.status == t.target == result.status
    else:
        before = Referral.objects.filter(pk=ref.pk).values().get()
        with pytest.raises(Conflict) as exc:
            _act(world, ref, action)
        assert exc.value.code in ("invalid_transition", "already_referred")
        assert Referral.objects.filter(pk=ref.pk).values().get() == before


def test_the_table_is_the_documented_lifecycle():
    table = {name: (sorted(t.sources), t.target, t.by) for name, t in referrals.TRANSITIONS.items()}
    assert table == {
        "acknowledge": (["requested"], "acknowledged", "agency"),
        "commit": (["acknowledged"], "committed", "agency"),
        "close": (["acknowledged", "committed"], "closed", "agency"),
        "decline": (["acknowledged", "requested"], "declined", "agency"),
        "cancel": (["acknowledged", "committed", "requested"], "cancelled", "call_center"),
        "rerequest": (["cancelled", "closed", "declined"], "requested", "call_center"),
    }


def test_the_full_path_stamps_each_step_with_the_system_clock(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    agency = world.actor("psc_liaison")
    referrals.acknowledge(agency, ref.pk)
    referrals.commit_resources(agency, ref.pk, resources="1 ambulans")
    referrals.close_referral(agency, ref.pk)
    ref.refresh_from_db()
    assert ref.status == "closed"
    assert ref.requested_at <= ref.acknowledged_at <= ref.committed_at <= ref.closed_at
    assert ref.resources == "1 ambulans"
    kinds = list(TimelineEntry.objects.filter(incident=ref.incident).values_list("kind", flat=True))
    assert kinds[-3:] == ["referral.acknowledged", "referral.committed", "referral.closed"] or \
        [k for k in kinds if k.startswith("referral.")] == ["referral.acknowledged", "referral.committed",
                                                             "referral.closed"]
    changes = [a.changes for a in AuditLog.objects.filter(model="callcenter.referral", object_id=str(ref.pk))]
    assert len(changes) == 3 and all("status" in c for c in changes)


def test_committing_resources_puts_the_incident_in_progress(world):
    inc = world.incident(status="referred")
    ref = make_referral(inc, world.psc, status="acknowledged")
    referrals.commit_resources(world.actor("psc_liaison"), ref.pk, resources="1 ambulans")
    inc.refresh_from_db()
    assert inc.status == "in_progress"


def test_declining_needs_a_reason_and_tells_the_call_center(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    with pytest.raises(ServiceError) as exc:
        referrals.decline(world.actor("psc_liaison"), ref.pk, reason="   ")
    assert exc.value.code == "reason_required"
    ref.refresh_from_db()
    assert ref.status == "requested"
    referrals.decline(world.actor("psc_liaison"), ref.pk, reason="Tidak ada unit tersedia")
    ref.refresh_from_db()
    assert ref.status == "declined" and ref.note == "Tidak ada unit tersedia" and ref.closed_at
    entry = TimelineEntry.objects.filter(incident=ref.incident, kind="referral.declined").get()
    assert "Tidak ada unit tersedia" in entry.text and entry.organization_id == world.psc.pk


def test_committing_needs_the_resources(world):
    ref = make_referral(world.incident(status="referred"), world.psc, status="acknowledged")
    with pytest.raises(ServiceError) as exc:
        referrals.commit_resources(world.actor("psc_liaison"), ref.pk, resources="")
    assert exc.value.code == "resources_required"
    ref.refresh_from_db()
    assert ref.status == "acknowledged" and ref.committed_at is None


def test_cancelling_needs_a_reason(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    with pytest.raises(ServiceError):
        referrals.cancel_referral(world.actor("call_taker"), ref.pk, reason="")
    ref.refresh_from_db()
    assert ref.status == "requested"


def test_the_call_center_cannot_act_for_the_agency(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    with pytest.raises(PermissionDenied):
        referrals.acknowledge(world.actor("call_taker"), ref.pk)
    ref.refresh_from_db()
    assert ref.status == "requested"


def test_another_agency_cannot_act_on_it_and_learns_nothing(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    for action in (lambda a: referrals.acknowledge(a, ref.pk), lambda a: referrals.decline(a, ref.pk, reason="x"),
                   lambda a: referrals.commit_resources(a, ref.pk, resources="x"),
                   lambda a: referrals.close_referral(a, ref.pk)):
        with pytest.raises(NotFound):
            action(world.actor("police_liaison"))
    ref.refresh_from_db()
    assert ref.status == "requested" and ref.acknowledged_at is None


def test_an_agency_cannot_cancel_or_refer(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    with pytest.raises(PermissionDenied):
        referrals.cancel_referral(world.actor("psc_liaison"), ref.pk, reason="bukan kami")
    with pytest.raises(PermissionDenied):
        referrals.refer(world.actor("psc_liaison"), ref.incident_id, world.fire.pk)
    assert Referral.objects.filter(incident=ref.incident).count() == 1


def test_referring_again_after_a_decline_starts_a_fresh_request(world):
    ref = make_referral(world.incident(status="referred"), world.psc, status="declined", minutes_ago=30,
                        escalation_level=2, note="penuh")
    again = referrals.refer(world.actor("call_taker"), ref.incident_id, world.psc.pk)
    assert again.pk == ref.pk
    ref.refresh_from_db()
    assert ref.status == "requested" and ref.escalation_level == 0 and ref.closed_at is None
    assert ref.ack_deadline > ref.requested_at > again.incident.created_at


def test_an_open_referral_cannot_be_requested_twice(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    with pytest.raises(Conflict) as exc:
        referrals.refer(world.actor("call_taker"), ref.incident_id, world.psc.pk)
    assert exc.value.code == "already_referred"
    assert Referral.objects.filter(incident=ref.incident).count() == 1


def test_refer_adds_an_agency_and_moves_a_new_incident_to_referred(world):
    inc = world.incident()
    ref = referrals.refer(world.actor("call_taker"), inc.pk, world.fire.pk)
    assert ref.status == "requested" and ref.agency_id == world.fire.pk
    inc.refresh_from_db()
    assert inc.status == "referred"


def test_refer_refuses_unknown_agencies_itself_and_closed_incidents(world):
    actor = world.actor("call_taker")
    inc = world.incident()
    with pytest.raises(NotFound):
        referrals.refer(actor, inc.pk, 999999)
    with pytest.raises(ServiceError) as exc:
        referrals.refer(actor, inc.pk, world.cc.pk)
    assert exc.value.code == "self_referral"
    closed = world.incident(status="closed")
    with pytest.raises(Conflict):
        referrals.refer(actor, closed.pk, world.fire.pk)
    assert not Referral.objects.exists()
