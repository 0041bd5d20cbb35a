"""Cancel, divert and reassign are first-class: each ends the old dispatch with a reason and links its successor."""

import pytest

from siaga.core.errors import Conflict, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.dispatch import services
from siaga.dispatch.models import CrewMember, Dispatch, Unit

from .conftest import put_on_shift


@pytest.fixture
def sent(fleet):
    inc = fleet.incident()
    return services.dispatch_unit(fleet.actor(), incident_id=inc.pk, unit_id=fleet.amb1.pk)


def _crew_amb2(fleet):
    d = CrewMember.objects.create(organization=fleet.pmi, name="Dedi", qualifications=["driver"])
    n = CrewMember.objects.create(organization=fleet.pmi, name="Dr. Wulan", qualifications=["doctor"])
    put_on_shift(fleet.amb2, (d, "driver"), (n, "doctor"))


def test_cancel_frees_a_unit_that_never_left(fleet, sent):
    d = services.cancel_dispatch(fleet.actor(), sent.pk, reason="laporan ganda")
    assert d.status == "cancelled" and d.cancel_reason == "laporan ganda"
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "available"


def test_cancel_on_the_road_sends_the_unit_back(fleet, sent):
    crew = fleet.actor("crew")
    services.set_dispatch_status(crew, sent.pk, "acknowledged")
    services.set_dispatch_status(crew, sent.pk, "en_route")
    services.cancel_dispatch(fleet.actor(), sent.pk, reason="pasien sudah dibawa warga")
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "returning"


def test_cancel_needs_a_reason(fleet, sent):
    with pytest.raises(ServiceError) as exc:
        services.cancel_dispatch(fleet.actor(), sent.pk, reason="  ")
    assert exc.value.code == "reason_required"
    assert Dispatch.objects.get(pk=sent.pk).status == "alerted"


def test_the_crew_cannot_cancel_its_own_dispatch(fleet, sent):
    with pytest.raises(PermissionDenied):
        services.cancel_dispatch(fleet.actor("crew"), sent.pk, reason="malas")


def test_divert_sends_the_unit_to_the_more_urgent_incident(fleet, sent):
    services.set_dispatch_status(fleet.actor("crew"), sent.pk, "acknowledged")
    urgent = fleet.incident("henti-jantung", lat=-7.468, lng=112.436)
    new = services.divert_dispatch(fleet.actor(), sent.pk, incident_id=urgent.pk, reason="henti jantung")
    old = Dispatch.objects.get(pk=sent.pk)
    assert old.status == "diverted" and old.replaced_by_id == new.pk
    assert new.incident_id == urgent.pk and new.status == "alerted" and new.unit_id == fleet.amb1.pk
    assert Unit.objects.get(pk=fleet.amb1.pk).current_dispatch_id == new.pk


def test_a_unit_on_scene_cannot_be_diverted(fleet, sent):
    crew = fleet.actor("crew")
    for s in ["acknowledged", "en_route", "on_scene"]:
        services.set_dispatch_status(crew, sent.pk, s)
    other = fleet.incident(lat=-7.468, lng=112.436)
    with pytest.raises(Conflict):
        services.divert_dispatch(fleet.actor(), sent.pk, incident_id=other.pk)


def test_reassign_gives_the_incident_another_unit(fleet, sent):
    _crew_amb2(fleet)
    new = services.reassign_dispatch(fleet.actor(), sent.pk, unit_id=fleet.amb2.pk, reason="AMB-01 mogok")
    assert new.unit_id == fleet.amb2.pk and new.incident_id == sent.incident_id
    assert Dispatch.objects.get(pk=sent.pk).status == "reassigned"
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "available"
    assert Unit.objects.get(pk=fleet.amb2.pk).status == "alerted"


def test_reassign_to_an_uncrewed_unit_changes_nothing(fleet, sent):
    with pytest.raises(ServiceError):
        services.reassign_dispatch(fleet.actor(), sent.pk, unit_id=fleet.amb2.pk, reason="coba")
    assert Dispatch.objects.get(pk=sent.pk).status == "alerted"
    assert Unit.objects.get(pk=fleet.amb1.pk).status == "alerted"


def test_cancel_divert_and_reassign_are_audited_with_a_valid_action(fleet, sent):
    from siaga.core.models import AuditLog

    _crew_amb2(fleet)
    new = services.reassign_dispatch(fleet.actor(), sent.pk, unit_id=fleet.amb2.pk, reason="AMB-01 mogok")
    services.cancel_dispatch(fleet.actor(), new.pk, reason="pasien sudah dibawa")
    records = AuditLog.objects.filter(model="dispatch.dispatch", changes__has_key="operation")
    ops = sorted(r.changes["operation"][1] for r in records)
    assert ops == ["cancel", "reassign"]
    # The action must be one of the model's choices (PostgreSQL enforces its length; SQLite would not).
    assert {r.action for r in records} <= set(AuditLog.Action.values)
