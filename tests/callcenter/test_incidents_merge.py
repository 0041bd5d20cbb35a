"""Merging a duplicate: calls, timeline, positions and referrals move; the source is merged once and for all."""

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import Call, Incident, Position, Referral, TimelineEntry
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog, OutboxEvent
from siaga.core.permissions import system_actor

pytestmark = pytest.mark.django_db


def test_merge_moves_calls_timeline_and_positions_and_marks_the_source(cc, capture_events):
    target = cc.incident()
    source = cc.incident(number="081311112222", lat=-7.5795, description="Kecelakaan dekat pasar")
    source_entries = TimelineEntry.objects.filter(incident=source).count()
    with capture_events() as evs:
        out = services.merge_incidents(cc.actor(), source.pk, target.pk)
    assert out.pk == target.pk
    source.refresh_from_db()
    assert source.status == "merged" and source.merged_into == target and source.closed_at is not None
    assert set(Call.objects.filter(incident=target).values_list("caller_number", flat=True)) == {
        "+6281234567890", "+6281311112222"}
    assert not Call.objects.filter(incident=source).exists()
    assert Position.objects.filter(incident=target).count() == 2
    # the whole story is on the target; the source keeps only the note where it went
    assert list(TimelineEntry.objects.filter(incident=source).values_list("kind", flat=True)) == [
        "incident.merged_into"]
    assert TimelineEntry.objects.filter(incident=target).count() >= source_entries
    merged = TimelineEntry.objects.get(incident=target, kind="incident.merged")
    assert merged.data["source_number"] == source.number and merged.data["description"] == "Kecelakaan dekat pasar"
    assert "incident.merged" in [e["type"] for e in evs]
    assert AuditLog.objects.filter(model="callcenter.incident", object_id=str(source.pk), action="update").exists()


def test_a_second_merge_of_the_same_incident_is_refused(cc):
    target, source, third = cc.incident(), cc.incident(number="081311112222"), cc.incident(number="081399998888")
    services.merge_incidents(cc.actor(), source.pk, target.pk)
    before = (AuditLog.objects.count(), OutboxEvent.objects.count(), Call.objects.filter(incident=target).count())
    for into in (third, target):
        with pytest.raises(Conflict) as exc:
            services.merge_incidents(cc.actor(), source.pk, into.pk)
        assert exc.value.code == "already_merged"
        assert exc.value.details == {"merged_into": target.pk}
    assert (AuditLog.objects.count(), OutboxEvent.objects.count(), Call.objects.filter(incident=target).count()) == before
    assert Incident.objects.get(pk=source.pk).merged_into_id == target.pk


def test_merging_into_itself_is_refused(cc):
    inc = cc.incident()
    with pytest.raises(ServiceError) as exc:
        services.merge_incidents(cc.actor(), inc.pk, inc.pk)
    assert exc.value.code == "merge_into_itself"


def test_merging_into_a_merged_incident_is_refused(cc):
    a, b, c = cc.incident(), cc.incident(number="081311112222"), cc.incident(number="081399998888")
    services.merge_incidents(cc.actor(), b.pk, a.pk)
    with pytest.raises(Conflict) as exc:
        services.merge_incidents(cc.actor(), c.pk, b.pk)
    assert exc.value.code == "incident_merged"


def test_a_finished_incident_is_not_merged(cc):
    a, b = cc.incident(), cc.incident(number="081311112222")
    Incident.objects.filter(pk=b.pk).update(status="closed")
    with pytest.raises(Conflict) as exc:
        services.merge_incidents(cc.actor(), b.pk, a.pk)
    assert exc.value.code == "incident_closed"


def test_merging_across_call_centers_is_refused(cc):
    mine = cc.incident()
    theirs = services.create_incident(cc.actor("other_call_taker"), type_code="banjir", region_code="35.76")
    with pytest.raises(NotFound):
        services.merge_incidents(cc.actor(), mine.pk, theirs.pk)
    # even an actor who sees both may not mix two call centers' incidents
    with pytest.raises(ServiceError) as exc:
        services.merge_incidents(system_actor(), mine.pk, theirs.pk)
    assert exc.value.code == "different_organization"
    assert Incident.objects.get(pk=mine.pk).status == "referred"


def test_referrals_to_an_agency_the_target_already_has_are_cancelled_the_others_move(cc, make_org):
    fire = make_org(kind="fire", region_code="35.16", name="Damkar Kabupaten Mojokerto")
    target = cc.incident()  # referred to PSC 119 and police
    source = cc.incident("kebakaran-kendaraan", number="081311112222")  # referred to fire and police
    src_refs = {r.agency_id: r.pk for r in Referral.objects.filter(incident=source)}
    assert set(src_refs) == {fire.pk, cc.police.pk}
    services.merge_incidents(cc.actor(), source.pk, target.pk)
    moved = Referral.objects.get(pk=src_refs[fire.pk])
    assert moved.incident_id == target.pk and moved.status == "requested"
    dup = Referral.objects.get(pk=src_refs[cc.police.pk])
    assert dup.incident_id == source.pk and dup.status == "cancelled"
    assert set(Referral.objects.filter(incident=target).values_list("agency_id", flat=True)) == {
        cc.psc.pk, cc.police.pk, fire.pk}


def test_the_target_takes_the_more_urgent_priority(cc):
    target = cc.incident("banjir")  # P3
    source = cc.incident(number="081311112222", answers={"tidak_sadar_terjepit": True})  # P1
    out = services.merge_incidents(cc.actor(), source.pk, target.pk)
    assert out.priority == 1
    assert TimelineEntry.objects.filter(incident=target, kind="incident.priority").exists()


def test_a_merge_is_never_automatic(cc):
    cc.incident()
    cc.incident(number="081311112222")  # same place, same type, a minute later: still two incidents
    assert Incident.objects.filter(status="merged").count() == 0
    assert Incident.objects.count() == 2
