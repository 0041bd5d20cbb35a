"""set_status(): validated, timestamped, audited, announced on "volunteers"; who may set what; system=True."""

import pytest

from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.disaster.volunteers import services
from siaga.disaster.volunteers.models import Volunteer

from .conftest import KEL_BKS, nik

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def vol(world, reg):
    return reg(world["a_mjk"]).volunteer


def test_it_sets_status_records_time_audits_and_emits(world, vol, capture_events):
    with capture_events() as evs:
        v = services.set_status(world["a_mjk"], vol.pk, "resting", reason="Shift selesai")
    v.refresh_from_db()
    assert v.status == "resting" and v.status_changed_at is not None
    [ev] = evs
    assert ev["type"] == "volunteer.status_changed" and ev["topic"] == "volunteers"
    assert ev["payload"]["old_status"] == "available" and ev["payload"]["status"] == "resting"
    assert ev["payload"]["reason"] == "Shift selesai" and ev["payload"]["system"] is False
    assert ev["organization_id"] == world["mojokerto"].pk
    rec = AuditLog.objects.filter(model="disaster_volunteers.volunteer", object_id=str(v.pk), action="update").latest("id")
    assert rec.changes["status"] == ["available", "resting"] and rec.changes["reason"] == [None, "Shift selesai"]


def test_the_same_status_again_changes_nothing(world, vol, capture_events):
    services.set_status(world["a_mjk"], vol, "deployed")
    with capture_events() as evs:
        services.set_status(world["a_mjk"], vol, "deployed")
    assert evs == []


def test_unknown_status_is_refused(world, vol):
    with pytest.raises(ServiceError) as exc:
        services.set_status(world["a_mjk"], vol, "on_holiday")
    assert exc.value.code == "invalid_status"
    vol.refresh_from_db()
    assert vol.status == "available"


def test_another_provinces_manager_cannot_set_status(world, vol):
    with pytest.raises(NotFound):
        services.set_status(world["a_jabar"], vol, "deployed")
    vol.refresh_from_db()
    assert vol.status == "available"


def test_a_province_manager_sets_status_of_its_branchs_volunteer(world, vol):
    assert services.set_status(world["a_jatim"], vol, "unavailable").status == "unavailable"


def test_system_true_lets_an_authorising_service_act_and_is_recorded(world, vol, capture_events):
    # e.g. siaga.disaster.teams assigning a volunteer lent to Jawa Barat under a mutual-aid grant
    with capture_events() as evs:
        services.set_status(world["a_jabar"], vol, "deployed", reason="Penugasan tim", system=True)
    vol.refresh_from_db()
    assert vol.status == "deployed"
    assert evs[0]["payload"]["system"] is True and evs[0]["shared_with"] == [world["jabar"].pk]
    rec = AuditLog.objects.filter(object_id=str(vol.pk), model="disaster_volunteers.volunteer").latest("id")
    assert rec.changes["system"] == [None, True] and rec.organization == world["jabar"]


def test_a_volunteer_sets_own_availability_but_not_deployed_nor_others(world, reg, make_user, actor_of):
    user = make_user("volunteer", world["mojokerto"], scope_code="35.76")
    mine = reg(world["a_mjk"], user_id=user.pk).volunteer
    other = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=5), phone="081233332222").volunteer
    me = actor_of(user)
    assert services.set_status(me, mine, "resting").status == "resting"
    with pytest.raises(PermissionDenied):
        services.set_status(me, mine, "deployed")
    with pytest.raises((PermissionDenied, NotFound)):
        services.set_status(me, other, "unavailable")
    assert Volunteer.objects.get(pk=other.pk).status == "available"


def test_a_merged_record_refuses_status_even_from_a_system_call(world, reg):
    a = reg(world["a_mjk"]).volunteer
    b = reg(world["a_jabar"], name="Soeparman", region_code=KEL_BKS, phone="081299998888")
    services.merge_candidate(world["a_jabar"], b.candidates[0].pk, keep_id=a.pk)
    with pytest.raises(ServiceError) as exc:
        services.set_status(world["a_jabar"], b.volunteer.pk, "deployed", system=True)
    assert exc.value.code == "volunteer_merged"
