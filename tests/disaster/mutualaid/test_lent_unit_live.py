"""A lent ambulance is followed live by both sides for the loan's duration: its position and status events are
shared with the borrower while the grant holds (and never with a third province), both sides' request pages get
a mutual-aid event carrying them, and the request page shows the lent unit's last position and status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.permissions import actor_for, system_actor
from siaga.dispatch import positions
from siaga.dispatch import services as dispatch


pytestmark = pytest.mark.django_db

# Jl. Kebon Sirih, Jakarta Pusat, about 100 m apart.
P0 = (-6.1846, 106.8270)
P1 = (-6.1855, 106.8275)


def _move(unit, latlng, at):
    result = positions.record_positions(system_actor(), unit.pk, [
        {"lat": latlng[0], "lng": latlng[1], "measured_at": at.isoformat(), "accuracy_m": 10}])
    assert result.moved
    return result


@pytest.fixture
def people(world, make_user):
    """Who might follow Jabar's ambulance: DKI (the borrower) and Banten (unrelated), dispatchers and managers."""
    return {
        "dki_dispatcher": actor_for(make_user("dispatcher", world.dki, scope_code="31")),
        "banten_dispatcher": actor_for(make_user("dispatcher", world.banten, scope_code="36")),
        "jabar_dispatcher": actor_for(make_user("dispatcher", world.jabar, scope_code="32")),
        "dki": world.actor("dki"), "jabar": world.actor("jabar"), "banten": world.actor("banten"),
    }


def _of(evs, name):
    return [e for e in evs if e["type"] == name]


def test_the_borrower_follows_a_lent_ambulance_only_while_the_loan_lasts(world, people, capture_events):
    t0 = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    r = world.request()
    # Asked, not yet lent: DKI does not follow Jabar's ambulance.
    with capture_events() as evs:
        _move(world.amb1, P0, t0)
    (before,) = _of(evs, "unit.position")
    assert not people["dki_dispatcher"].can_see_event(before)
    assert people["jabar_dispatcher"].can_see_event(before)
    assert _of(evs, "mutual_aid.unit_position") == []

    world.advance(r, "dispatched")
    with capture_events() as evs:
        _move(world.amb1, P1, t0 + dt.timedelta(seconds=30))
    (pos,) = _of(evs, "unit.position")
    assert pos["payload"]["id"] == world.amb1.pk and pos["payload"]["lat"] == P1[0]
    assert world.dki.pk in pos["shared_with"]
    assert people["dki_dispatcher"].can_see_event(pos)  # the borrower's stream subscriber receives it
    assert people["jabar_dispatcher"].can_see_event(pos)  # the owner still does
    assert not people["banten_dispatcher"].can_see_event(pos)  # an unrelated province does not
    # The request page's event: both sides' disaster managers (no dispatch permissions) receive it.
    (ma,) = _of(evs, "mutual_aid.unit_position")
    assert (ma["payload"]["request_id"], ma["payload"]["unit_id"], ma["payload"]["lat"]) == (r.pk, world.amb1.pk,
                                                                                            P1[0])
    assert ma["id"] is None  # transient, like the unit's own position
    assert people["dki"].can_see_event(ma) and people["jabar"].can_see_event(ma)
    assert not people["banten"].can_see_event(ma) and not people["banten_dispatcher"].can_see_event(ma)

    # A status change of the lent unit goes to the borrower too, and to both request pages.
    with capture_events() as evs:
        dispatch.set_unit_service(system_actor(), world.amb1.pk, in_service=False, reason="Ban bocor")
    (status,) = _of(evs, "unit.status")
    assert status["payload"]["status"] == "out_of_service"
    assert people["dki_dispatcher"].can_see_event(status)
    assert not people["banten_dispatcher"].can_see_event(status)
    (ma_status,) = _of(evs, "mutual_aid.unit_status")
    assert (ma_status["payload"]["request_id"], ma_status["payload"]["status"],
            ma_status["payload"]["previous_status"]) == (r.pk, "out_of_service", "available")
    assert people["dki"].can_see_event(ma_status) and people["jabar"].can_see_event(ma_status)
    assert not people["banten"].can_see_event(ma_status)
    dispatch.set_unit_service(system_actor(), world.amb1.pk, in_service=True)

    # DKI releases the help: the loan is over, and so is the following.
    world.advance(r, "released")
    with capture_events() as evs:
        _move(world.amb1, P0, t0 + dt.timedelta(seconds=60))
        dispatch.set_unit_service(system_actor(), world.amb1.pk, in_service=False, reason="Servis")
    (after,) = _of(evs, "unit.position")
    assert world.dki.pk not in after["shared_with"]
    assert not people["dki_dispatcher"].can_see_event(after)
    assert people["jabar_dispatcher"].can_see_event(after)
    (status_after,) = _of(evs, "unit.status")
    assert not people["dki_dispatcher"].can_see_event(status_after)
    assert _of(evs, "mutual_aid.unit_position") == [] and _of(evs, "mutual_aid.unit_status") == []


def test_a_unit_not_lent_announces_nothing_to_mutual_aid(world, people, capture_events):
    r = world.advance(world.request(), "accepted")  # amb1 lent; amb2 stays home
    with capture_events() as evs:
        _move(world.amb2, P0, timezone.now() - dt.timedelta(minutes=1))
    assert [e["type"] for e in evs] == ["unit.position"]
    assert not people["dki_dispatcher"].can_see_event(evs[0])
    assert r.state == "accepted"


def test_both_sides_request_pages_show_the_lent_unit_live(world, english):
    r = world.request()
    url = f"/bencana/bantuan-antarprovinsi/{r.pk}/"
    page = world.client("dki").get(url).content.decode()
    # The section is there from the start (the stream fills it once a unit is lent), empty before the loan.
    assert "data-lent-units" in page and 'data-events="mutual_aid.unit_position mutual_aid.unit_status' in page
    assert "disaster_mutualaid/lent_units.js" in page
    assert "AMB-JB-01" not in world.client("dki").get(url + "?fragment=units").content.decode()

    world.advance(r, "dispatched")
    _move(world.amb1, P0, timezone.now() - dt.timedelta(minutes=1))
    for who in ("dki", "jabar"):
        html = world.client(who).get(url + "?fragment=units").content.decode()
        assert f'data-lent-unit="{world.amb1.pk}"' in html, who
        assert "AMB-JB-01" in html and "-6.18460, 106.82700" in html, who
        assert f'data-lat="{P0[0]}"' in html and "Posisi terakhir" in html, who
    assert world.client("banten").get(url + "?fragment=units").status_code == 404

    world.advance(r, "released")
    html = world.client("dki").get(url + "?fragment=units").content.decode()
    assert "AMB-JB-01" not in html  # the loan is over: the borrower no longer sees where the ambulance is
