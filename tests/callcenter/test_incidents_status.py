"""Incident statuses follow one table: every allowed move works, every other one is refused and changes nothing."""

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Incident, IncidentStatus, Referral, TimelineEntry
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog, OutboxEvent
from siaga.core.permissions import PermissionDenied

pytestmark = pytest.mark.django_db

SETTABLE = ["new", "referred", "in_progress", "resolved", "closed", "cancelled"]
ALL = [s for s in IncidentStatus.values]
ALLOWED = {
    ("new", "referred"), ("new", "in_progress"), ("new", "resolved"), ("new", "cancelled"),
    ("referred", "in_progress"), ("referred", "resolved"), ("referred", "cancelled"),
    ("in_progress", "resolved"), ("in_progress", "cancelled"),
    ("resolved", "closed"), ("resolved", "in_progress"),
}


def test_the_table_in_the_code_is_the_one_documented_here():
    assert {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(services.TRANSITIONS) == set(ALL)
    for final in ("closed", "merged", "cancelled"):
        assert services.TRANSITIONS[final] == frozenset()


def _at_status(cc, status):
    inc = cc.incident("banjir")  # routed to no agency in this fixture: stays "new"
    Incident.objects.filter(pk=inc.pk).update(status=status)
    return inc


@pytest.mark.parametrize("current,target", [(a, b) for a in ALL for b in SETTABLE])
def test_each_move_from_each_status_follows_the_table(cc, current, target, capture_events):
    inc = _at_status(cc, current)
    before = (AuditLog.objects.count(), OutboxEvent.objects.count(), TimelineEntry.objects.count())
    if (current, target) in ALLOWED:
        with capture_events() as evs:
            out = services.set_incident_status(cc.actor(), inc.pk, target, note="Sesuai laporan lapangan")
        assert out.status == target
        assert Incident.objects.get(pk=inc.pk).status == target
        assert [e["type"] for e in evs] == ["incident.status_changed"]
        assert evs[0]["payload"]["from_status"] == current and evs[0]["payload"]["to_status"] == target
        entry = TimelineEntry.objects.filter(incident=inc, kind="incident.status").order_by("-id").first()
        assert entry.data == {"from": current, "to": target, "note": "Sesuai laporan lapangan"}
        assert AuditLog.objects.filter(model="callcenter.incident", object_id=str(inc.pk), action="update").exists()
    else:
        with pytest.raises(ServiceError) as exc:
            services.set_incident_status(cc.actor(), inc.pk, target, note="x")
        assert exc.value.code == "invalid_transition"
        assert exc.value.status == 409
        assert Incident.objects.get(pk=inc.pk).status == current
        assert (AuditLog.objects.count(), OutboxEvent.objects.count(), TimelineEntry.objects.count()) == before


def test_merged_is_only_reached_by_merging(cc):
    inc = _at_status(cc, "new")
    with pytest.raises(ServiceError) as exc:
        services.set_incident_status(cc.actor(), inc.pk, "merged")
    assert exc.value.code == "invalid_transition"


def test_unknown_status_is_refused(cc):
    inc = _at_status(cc, "new")
    with pytest.raises(ServiceError) as exc:
        services.set_incident_status(cc.actor(), inc.pk, "done")
    assert exc.value.code == "unknown_status"


def test_cancelling_needs_a_reason(cc):
    inc = _at_status(cc, "new")
    with pytest.raises(ServiceError) as exc:
        services.set_incident_status(cc.actor(), inc.pk, "cancelled")
    assert exc.value.code == "reason_required"
    assert Incident.objects.get(pk=inc.pk).status == "new"


def test_resolving_and_closing_stamp_their_times(cc):
    inc = _at_status(cc, "in_progress")
    a = cc.actor()
    services.set_incident_status(a, inc.pk, "resolved")
    inc.refresh_from_db()
    assert inc.resolved_at is not None and inc.closed_at is None
    services.set_incident_status(a, inc.pk, "closed")
    inc.refresh_from_db()
    assert inc.closed_at >= inc.resolved_at


def test_reopening_a_resolved_incident_clears_its_resolution_time(cc):
    inc = _at_status(cc, "in_progress")
    services.set_incident_status(cc.actor(), inc.pk, "resolved")
    services.set_incident_status(cc.actor(), inc.pk, "in_progress", note="Korban kedua ditemukan")
    inc.refresh_from_db()
    assert inc.status == "in_progress" and inc.resolved_at is None


def test_cancelling_withdraws_the_open_referrals(cc):
    inc = cc.incident()  # a traffic accident: referred to PSC 119 and the police
    assert inc.status == "referred"
    refs = list(Referral.objects.filter(incident=inc))
    assert {r.agency for r in refs} == {cc.psc, cc.police}
    services.set_incident_status(cc.actor(), inc.pk, "cancelled", note="Laporan palsu, sudah dicek")
    assert set(Referral.objects.filter(incident=inc).values_list("status", flat=True)) == {"cancelled"}


def test_a_dispatcher_without_referral_rights_still_withdraws_referrals_when_cancelling(cc):
    inc = cc.incident()
    services.set_incident_status(cc.actor("dispatcher"), inc.pk, "cancelled", note="Dobel")
    assert set(Referral.objects.filter(incident=inc).values_list("status", flat=True)) == {"cancelled"}


def test_an_agency_cannot_change_the_call_centers_incident(cc):
    inc = cc.incident()
    with pytest.raises(PermissionDenied):
        services.set_incident_status(cc.actor("psc_liaison"), inc.pk, "resolved")


def test_another_call_center_cannot_see_or_change_it(cc):
    inc = cc.incident()
    with pytest.raises(NotFound):
        services.set_incident_status(cc.actor("other_call_taker"), inc.pk, "resolved")
    assert Incident.objects.get(pk=inc.pk).status == "referred"


def test_apply_status_lets_another_service_use_the_same_table(cc):
    inc = _at_status(cc, "referred")
    services.apply_status(cc.actor("psc_liaison"), inc, "in_progress", note="Ambulans berangkat")
    assert Incident.objects.get(pk=inc.pk).status == "in_progress"
    with pytest.raises(Conflict):
        services.apply_status(cc.actor("psc_liaison"), inc, "new")
