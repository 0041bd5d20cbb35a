"""Who sees and moves vital events: the facility its own, the Dukcapil office of its kab/kota its queue, nobody else."""

import pytest

from siaga.core.errors import NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.health import vital
from siaga.health.models_vital import VitalEventStatus as S

from .vital_support import vx  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_event_goes_to_the_dukcapil_of_the_facilitys_kabkota(vx):
    assert vx.birth().dukcapil == vx.orgs["dukcapil"]
    assert vx.death(who="hospital").dukcapil == vx.orgs["dukcapil"]
    assert vx.birth(who="other_facility").dukcapil == vx.orgs["other_dukcapil"]


def test_the_province_office_is_used_when_the_kabkota_has_none(vx):
    vx.orgs["dukcapil"].active = False
    vx.orgs["dukcapil"].save()
    assert vx.birth().dukcapil == vx.orgs["province_dukcapil"]


def test_the_facility_sees_its_events_and_their_status(vx):
    ev = vx.birth()
    vital.register(vx.actor("cro"), ev.pk, registration_number="R-1")
    mine = vital.get_event(vx.actor("facility"), ev.pk)
    assert mine.status == S.REGISTERED and mine.registration_number == "R-1"
    assert list(vital.visible_events(vx.actor("facility"))) == [mine]


def test_another_facility_sees_nothing(vx):
    ev = vx.birth()
    for name in ("other_facility", "hospital", "posyandu"):
        assert not vital.visible_events(vx.actor(name)).exists()
        with pytest.raises(NotFound):
            vital.get_event(vx.actor(name), ev.pk)


def test_the_dukcapil_queue_holds_its_own_events_only(vx):
    mine, theirs = vx.birth(), vx.birth(who="other_facility")
    assert list(vital.queue(vx.actor("cro"))) == [mine]
    assert list(vital.queue(vx.actor("other_cro"))) == [theirs]
    assert list(vital.queue(vx.actor("cro"), status=S.REGISTERED)) == []


def test_another_dukcapil_can_neither_see_nor_move_the_event(vx):
    ev = vx.birth()
    other = vx.actor("other_cro")
    with pytest.raises(NotFound):
        vital.get_event(other, ev.pk)
    for call in (lambda: vital.register(other, ev.pk, registration_number="X"),
                 lambda: vital.request_correction(other, ev.pk, reason="x"),
                 lambda: vital.reject(other, ev.pk, reason="x")):
        with pytest.raises(NotFound):
            call()
    ev.refresh_from_db()
    assert ev.status == S.NOTIFIED


def test_the_facility_cannot_register_its_own_event(vx):
    ev = vx.birth()
    with pytest.raises(PermissionDenied):
        vital.register(vx.actor("facility"), ev.pk, registration_number="R-1")
    with pytest.raises(PermissionDenied):
        vital.reject(vx.actor("facility"), ev.pk, reason="x")


def test_dukcapil_cannot_resubmit_for_the_facility(vx):
    ev = vital.request_correction(vx.actor("cro"), vx.birth().pk, reason="x")
    with pytest.raises(PermissionDenied):
        vital.resubmit(vx.actor("cro"), ev.pk, mother_name="A", sex="F", born_at=ev.born_at,
                       birth_attendant="doctor")


def test_another_facility_cannot_resubmit(vx):
    ev = vital.request_correction(vx.actor("cro"), vx.birth().pk, reason="x")
    with pytest.raises(NotFound):
        vital.resubmit(vx.actor("other_facility"), ev.pk, mother_name="A", sex="F", born_at=ev.born_at,
                       birth_attendant="doctor")


def test_dukcapil_and_leaders_cannot_notify(vx):
    for name in ("cro", "leader"):
        with pytest.raises(PermissionDenied):
            vx.birth(who=name)


def test_a_posyandu_is_not_a_facility_that_notifies(vx):
    with pytest.raises(ServiceError) as exc:
        vx.birth(who="posyandu")
    assert exc.value.code == "not_health_facility"


def test_a_facility_with_no_dukcapil_above_it_is_told_so(vx, make_org, make_user):
    from siaga.core.permissions import actor_for

    far = make_org(kind="hospital", region_code="36.71")
    user = make_user("kader", far, scope_code="36.71")
    with pytest.raises(ServiceError) as exc:
        vital.notify(actor_for(user), kind="death", person_name="X", sex="M", died_at=vx.death().died_at,
                     cause_category="A00-B99")
    assert exc.value.code == "no_dukcapil"
