"""The mutual-aid state machine: every legal step by its rightful side, illegal steps refused with nothing
changed, repeats are no-op successes, and each step leaves its timestamp, history, audit record and event."""

import pytest

from siaga.core.errors import Conflict, ServiceError
from siaga.core.models import AuditLog
from siaga.disaster.mutualaid import services
from siaga.disaster.mutualaid.models import MutualAidRequest, State, Transition

from .conftest import step

pytestmark = pytest.mark.django_db

# (state the request is in, action, state it reaches)
LEGAL = [
    ("requested", "accept", "accepted"),
    ("requested", "decline", "declined"),
    ("requested", "cancel", "cancelled"),
    ("accepted", "cancel", "cancelled"),
    ("accepted", "dispatch", "dispatched"),
    ("dispatched", "arrive", "arrived"),
    ("arrived", "release", "released"),
    ("released", "return", "returned"),
]
ALL_STATES = ["requested", "accepted", "declined", "cancelled", "dispatched", "arrived", "released", "returned"]
ILLEGAL = [(state, action) for state in ALL_STATES for action in services.STEPS
           if state not in services.STEPS[action].sources and state != services.STEPS[action].target
           and not (action == "consume" and state == "released")]


def _snapshot(r):
    r.refresh_from_db()
    return (r.state, r.updated_at, r.transitions.count(), r.resources.count(),
            AuditLog.objects.filter(model="disaster_mutualaid.mutualaidrequest", object_id=str(r.pk),
                                    action__in=["create", "update"]).count())


@pytest.mark.parametrize("start,action,target", LEGAL)
def test_a_legal_step_moves_the_request_and_records_it(world, capture_events, start, action, target):
    r = world.advance(world.request(), start)
    with capture_events() as evs:
        step(world, r, action)
    r.refresh_from_db()
    assert r.state == target
    assert getattr(r, services.TIMESTAMP_FIELD[target]) is not None
    last = r.transitions.order_by("-at", "-id").first()
    assert (last.from_state, last.to_state, last.side) == (start, target, services.STEPS[action].side)
    audit = AuditLog.objects.filter(model="disaster_mutualaid.mutualaidrequest", object_id=str(r.pk),
                                    action="update").order_by("-pk").first()
    assert audit.changes["state"] == [start, target]
    (ev,) = [e for e in evs if e["type"] == "mutual_aid.state_changed"]
    assert ev["payload"]["state"] == target and ev["payload"]["from_state"] == start
    assert ev["organization_id"] == world.dki.pk and ev["shared_with"] == [world.jabar.pk]


@pytest.mark.parametrize("state,action", ILLEGAL)
def test_an_illegal_step_is_refused_and_changes_nothing(world, capture_events, state, action):
    r = world.advance(world.request(), state)
    before = _snapshot(r)
    with capture_events() as evs, pytest.raises(Conflict) as exc:
        step(world, r, action)
    assert exc.value.code == "illegal_transition"
    assert exc.value.details["state"] == state
    assert _snapshot(r) == before
    assert evs == []


@pytest.mark.parametrize("start,action,target", LEGAL)
def test_repeating_a_step_is_a_no_op_success(world, capture_events, start, action, target):
    r = world.advance(world.request(), start)
    step(world, r, action)
    before = _snapshot(r)
    with capture_events() as evs:
        again = step(world, r, action)
    assert again.state == target
    assert _snapshot(r) == before
    assert evs == []


def test_the_whole_way_from_request_to_return_keeps_every_timestamp_in_order(world):
    r = world.advance(world.request(), "returned")
    stamps = [r.requested_at, r.accepted_at, r.dispatched_at, r.arrived_at, r.released_at, r.returned_at]
    assert all(stamps) and stamps == sorted(stamps)
    assert [t.to_state for t in r.transitions.order_by("at", "id")] == [
        "requested", "accepted", "dispatched", "arrived", "released", "returned"]
    assert r.declined_at is None and r.cancelled_at is None and r.consumed_at is None


def test_accepting_again_with_other_resources_is_a_conflict_not_a_second_loan(world):
    r = world.request()
    step(world, r, "accept")
    with pytest.raises(Conflict) as exc:
        step(world, r, "accept", resources=world.lent(r, volunteers=[world.vol1]))
    assert exc.value.code == "already_accepted"
    assert set(r.resources.exclude(volunteer=None).values_list("volunteer_id", flat=True)) == {
        world.vol1.pk, world.vol2.pk}
    assert r.resources.count() == 4


def test_items_only_can_be_closed_as_consumed_with_what_was_used_up(world):
    r = world.request(lines=[{"kind": "items", "quantity": 50, "item_code": "HSHEKIT"}])
    line = r.lines.get()
    step(world, r, "accept", resources=[{"line_id": line.pk, "quantity": 40}])
    step(world, r, "dispatch")
    step(world, r, "arrive")
    res = r.resources.get()
    step(world, r, "release", consumed=[{"resource_id": res.pk, "quantity": 25}])
    res.refresh_from_db()
    assert res.consumed_quantity == 25 and res.item_code == "HSHEKIT"
    step(world, r, "consume")
    r.refresh_from_db()
    res.refresh_from_db()
    assert r.state == "consumed" and r.consumed_at is not None
    assert res.consumed_quantity == 40


def test_people_cannot_be_closed_as_consumed(world):
    r = world.advance(world.request(), "released")
    with pytest.raises(ServiceError) as exc:
        step(world, r, "consume")
    assert exc.value.code == "not_only_items"
    r.refresh_from_db()
    assert r.state == "released"


def test_consuming_more_than_was_lent_is_refused_at_release(world):
    r = world.advance(world.request(), "arrived")
    res = r.resources.get(kind="items")
    with pytest.raises(ServiceError) as exc:
        step(world, r, "release", consumed=[{"resource_id": res.pk, "quantity": 101}])
    assert exc.value.code == "invalid_consumed"
    r.refresh_from_db()
    assert r.state == "arrived" and r.resources.get(kind="items").consumed_quantity == 0


def test_a_decline_needs_a_reason_the_borrower_reads(world):
    r = world.request()
    with pytest.raises(ServiceError) as exc:
        step(world, r, "decline", note="  ")
    assert exc.value.code == "reason_required"
    step(world, r, "decline", note="Armada sedang di Garut")
    r.refresh_from_db()
    assert r.state == "declined" and r.decision_note == "Armada sedang di Garut"


def test_lent_volunteers_are_deployed_on_dispatch_and_available_after_return(world):
    r = world.advance(world.request(), "dispatched")
    world.vol1.refresh_from_db()
    assert world.vol1.status == "deployed"
    world.advance(r, "returned")
    world.vol1.refresh_from_db()
    assert world.vol1.status == "available"


def test_a_repeated_client_ref_returns_the_first_request(world):
    first = world.request(client_ref="form-123")
    again = world.request(client_ref="form-123")
    assert again.pk == first.pk
    assert MutualAidRequest.objects.filter(organization=world.dki).count() == 1
    assert Transition.objects.filter(request=first).count() == 1


@pytest.mark.parametrize("lent,code", [
    ("more_than_asked", "more_than_asked"),
    ("nothing", "nothing_lent"),
    ("other_province_unit", "unknown_unit"),
    ("other_province_volunteer", "unknown_volunteer"),
    ("rescue_as_ambulance", "not_an_ambulance"),
    ("volunteers_without_names", "volunteers_required"),
])
def test_the_lender_lends_only_its_own_resources_and_at_most_what_was_asked(world, lent, code):
    r = world.request()
    lines = {ln.kind: ln for ln in r.lines.all()}
    resources = {
        "more_than_asked": [{"line_id": lines["items"].pk, "quantity": 101}],
        "nothing": [],
        "other_province_unit": [{"line_id": lines["ambulance"].pk, "unit_ids": [world.banten_amb.pk]}],
        "other_province_volunteer": [{"line_id": lines["volunteers"].pk, "volunteer_ids": [world.banten_vol.pk]}],
        "rescue_as_ambulance": [{"line_id": lines["ambulance"].pk, "unit_ids": [world.rescue.pk]}],
        "volunteers_without_names": [{"line_id": lines["volunteers"].pk, "quantity": 2}],
    }[lent]
    with pytest.raises(ServiceError) as exc:
        step(world, r, "accept", resources=resources)
    assert exc.value.code == code
    r.refresh_from_db()
    assert r.state == State.REQUESTED and r.resources.count() == 0


def test_a_unit_already_lent_elsewhere_cannot_be_lent_twice(world):
    first = world.advance(world.request(), "accepted")
    assert first.resources.filter(unit=world.amb1).exists()
    second = world.request(lines=[{"kind": "ambulance", "quantity": 1}])
    with pytest.raises(Conflict) as exc:
        step(world, second, "accept", resources=[{"line_id": second.lines.get().pk, "unit_ids": [world.amb1.pk]}])
    assert exc.value.code == "already_lent"
    # Once returned, the unit may be lent again.
    world.advance(first, "returned")
    step(world, second, "accept", resources=[{"line_id": second.lines.get().pk, "unit_ids": [world.amb1.pk]}])
    second.refresh_from_db()
    assert second.state == "accepted"


def test_the_lender_chooses_only_among_its_own_free_resources(world):
    world.advance(world.request(), "accepted")
    second = world.request()
    jabar = world.actor("jabar")
    assert set(services.lendable_units(jabar, second)) == {world.amb2, world.rescue}
    assert list(services.lendable_volunteers(jabar, second)) == []
    assert services.whose_turn(second) == "lender"
