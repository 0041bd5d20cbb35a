"""Permissions across three provinces: DKI asks Jabar; only the right side takes each step, Banten (a third
province) neither sees nor touches the request, and every refusal changes nothing and is audited."""

import pytest

from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied, actor_for
from siaga.disaster.mutualaid import services

from .conftest import step

pytestmark = pytest.mark.django_db

# The state each step starts from, and the side that must refuse it.
STEP_FROM = {"accept": "requested", "decline": "requested", "cancel": "requested", "dispatch": "accepted",
             "arrive": "dispatched", "release": "arrived", "return": "released"}


def _state(r):
    r.refresh_from_db()
    return (r.state, r.updated_at, r.transitions.count(), r.resources.count())


@pytest.mark.parametrize("action", list(STEP_FROM))
def test_the_other_side_may_not_take_a_step_that_is_not_its_own(world, action):
    r = world.advance(world.request(), STEP_FROM[action])
    wrong = "dki" if services.STEPS[action].side == "lender" else "jabar"
    before = _state(r)
    with pytest.raises(PermissionDenied) as exc:
        step(world, r, action, who=wrong)
    assert exc.value.code == "wrong_side"
    assert _state(r) == before


def test_the_borrower_may_not_confirm_the_return_on_the_lenders_behalf(world):
    r = world.advance(world.request(), "released")
    with pytest.raises(PermissionDenied) as exc:
        services.confirm_return(world.actor("dki"), r.pk)
    assert "PMI Jawa Barat" in exc.value.message
    r.refresh_from_db()
    assert r.state == "released"


def test_the_lender_may_not_release_on_the_borrowers_behalf(world):
    r = world.advance(world.request(), "arrived")
    with pytest.raises(PermissionDenied):
        services.release(world.actor("jabar"), r.pk)
    r.refresh_from_db()
    assert r.state == "arrived" and r.released_at is None


@pytest.mark.parametrize("action", list(STEP_FROM))
def test_a_third_province_may_take_no_step_at_all(world, action):
    r = world.advance(world.request(), STEP_FROM[action])
    before = _state(r)
    with pytest.raises(PermissionDenied) as exc:
        step(world, r, action, who="banten")
    assert exc.value.code == "not_a_party"
    assert _state(r) == before
    refused = AuditLog.objects.filter(action="refused", object_id=str(r.pk)).latest("pk")
    assert refused.changes["operation"][1] == f"mutual_aid.{action}"
    assert refused.organization_id == world.banten.pk


def test_banten_cannot_accept_a_request_addressed_to_jabar_even_if_it_lends_to_dki_elsewhere(world):
    to_banten = world.request(lender=world.banten, lines=[{"kind": "ambulance", "quantity": 1}])
    to_jabar = world.request()
    services.accept(world.actor("banten"), to_banten.pk,
                    resources=[{"line_id": to_banten.lines.get().pk, "unit_ids": [world.banten_amb.pk]}])
    with pytest.raises(PermissionDenied):
        services.accept(world.actor("banten"), to_jabar.pk,
                        resources=[{"line_id": to_jabar.lines.get(kind="ambulance").pk,
                                    "unit_ids": [world.banten_amb.pk]}])
    to_jabar.refresh_from_db()
    assert to_jabar.state == "requested"


def test_only_the_two_parties_see_the_request(world):
    r = world.request()
    assert services.get_request(world.actor("dki"), r.pk) == r
    assert services.get_request(world.actor("jabar"), r.pk) == r
    with pytest.raises(NotFound):
        services.get_request(world.actor("banten"), r.pk)
    assert list(services.visible_requests(world.actor("banten"))) == []
    assert list(services.visible_requests(world.actor("dki"), side="borrower")) == [r]
    assert list(services.visible_requests(world.actor("dki"), side="lender")) == []
    assert list(services.visible_requests(world.actor("jabar"), side="lender")) == [r]


def test_organisations_above_a_party_see_it_within_their_scope(world, make_org, make_user):
    hq = make_org(kind="pmi_hq", name="PMI Pusat")
    world.dki.parent = hq
    world.dki.save()
    r = world.request()
    national = actor_for(make_user("disaster_manager", hq, scope_code=""))
    banten_only = actor_for(make_user("disaster_manager", hq, scope_code="36"))
    assert services.get_request(national, r.pk) == r
    with pytest.raises(NotFound):
        services.get_request(banten_only, r.pk)


def test_a_branch_scoped_to_another_city_does_not_see_its_provinces_request(world, make_user):
    r = world.request(region_code="31.71")
    pusat = actor_for(make_user("disaster_manager", world.dki, scope_code="31.71"))
    elsewhere = actor_for(make_user("disaster_manager", world.dki, scope_code="31.74"))
    assert services.get_request(pusat, r.pk) == r
    with pytest.raises(NotFound):
        services.get_request(elsewhere, r.pk)


def test_roles_without_disaster_manage_see_but_do_not_act(world):
    r = world.request()
    volunteer = world.actor("dki_volunteer")
    assert services.get_request(volunteer, r.pk) == r
    assert services.next_actions(volunteer, r) == []
    with pytest.raises(PermissionDenied):
        services.cancel(volunteer, r.pk)
    with pytest.raises(PermissionDenied):
        services.visible_requests(world.actor("dki_call_taker"))


def test_next_actions_are_the_turn_of_one_side_only(world):
    r = world.request()
    assert services.next_actions(world.actor("jabar"), r) == ["accept", "decline"]
    assert services.next_actions(world.actor("dki"), r) == ["cancel"]
    assert services.next_actions(world.actor("banten"), r) == []
    world.advance(r, "dispatched")
    assert services.next_actions(world.actor("dki"), r) == ["arrive"]
    assert services.next_actions(world.actor("jabar"), r) == []


def test_a_request_to_ones_own_organisation_is_refused(world):
    with pytest.raises(ServiceError) as exc:
        world.request(lender=world.dki)
    assert exc.value.code == "own_organization"


def test_the_destination_must_lie_in_the_borrowers_area(world):
    with pytest.raises(PermissionDenied):
        world.request(region_code="36.71")


@pytest.mark.parametrize("change,code", [
    ({"lines": [{"kind": "boats", "quantity": 1}]}, "invalid_kind"),
    ({"lines": [{"kind": "volunteers", "quantity": 0}]}, "invalid_quantity"),
    ({"lines": [{"kind": "items", "quantity": 5}]}, "item_unspecified"),
    ({"region_code": "99.99"}, "invalid_region"),
    ({"contact_name": " "}, "contact_required"),
    ({"contact_phone": "12"}, "invalid_phone"),
    ({"lat": -6.2}, "invalid_point"),
])
def test_bad_input_is_refused_and_nothing_is_stored(world, change, code):
    with pytest.raises(ServiceError) as exc:
        world.request(**change)
    assert exc.value.code == code
    from siaga.disaster.mutualaid.models import MutualAidRequest

    assert not MutualAidRequest.objects.exists()


def test_an_event_the_borrower_cannot_see_is_refused(world):
    from django.utils import timezone

    from siaga.disaster.models import DisasterEvent

    banten_event = DisasterEvent.objects.create(organization=world.banten, region_code="36", name="Banjir Lebak",
                                                type_id="banjir", started_at=timezone.now())
    with pytest.raises(NotFound):
        world.request(event_id=banten_event.pk)


def test_the_lender_opens_the_event_it_is_asked_to_help_with_and_a_third_province_does_not(world):
    from django.utils import timezone

    from siaga.disaster import services as disaster_services
    from siaga.disaster.models import DisasterEvent

    event = DisasterEvent.objects.create(organization=world.dki, region_code="31", name="Banjir Jakarta",
                                         type_id="banjir", started_at=timezone.now())
    with pytest.raises(NotFound):  # before any request, Jabar has nothing to do with DKI's flood
        disaster_services.get_event(world.actor("jabar"), event.pk)
    r = world.request(event_id=event.pk)
    assert disaster_services.get_event(world.actor("jabar"), event.pk) == event  # to decide, and while it helps
    assert world.client("jabar").get(f"/bencana/kejadian/{event.pk}/").status_code == 200
    with pytest.raises(NotFound):
        disaster_services.get_event(world.actor("banten"), event.pk)
    world.advance(r, "returned")
    assert disaster_services.get_event(world.actor("jabar"), event.pk) == event  # the record of what it lent stays
    declined = world.request(event_id=DisasterEvent.objects.create(
        organization=world.dki, region_code="31", name="Longsor", type_id="banjir", started_at=timezone.now()).pk)
    world.advance(declined, "declined")
    with pytest.raises(NotFound):
        disaster_services.get_event(world.actor("jabar"), declined.event_id)
