"""Grants: while an accepted, dispatched or arrived request covers a resource, the borrower may use it; before
acceptance, after release, for another resource or another province, it may not."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core.permissions import PermissionDenied
from siaga.disaster.mutualaid import grants

from .conftest import step

pytestmark = pytest.mark.django_db


def test_no_grant_before_acceptance(world):
    world.request()
    assert not grants.has_grant(world.dki, world.jabar)
    assert not grants.has_grant(world.dki, world.jabar, volunteer_id=world.vol1.pk)


@pytest.mark.parametrize("state", ["accepted", "dispatched", "arrived"])
def test_the_grant_covers_exactly_what_was_lent_while_active(world, state):
    r = world.request()
    world.advance(r, state)
    assert grants.has_grant(world.dki, world.jabar)
    assert grants.has_grant(world.dki, world.jabar.pk, volunteer_id=world.vol1.pk)
    assert grants.has_grant(world.dki.pk, world.jabar, unit_id=world.amb1.pk)
    assert grants.has_grant(world.dki, world.jabar, kind="items")
    assert grants.has_grant(world.dki, world.jabar, kind="ambulance", unit_id=world.amb1.pk)
    # Not lent: another unit, a unit kind not asked for, the reverse direction, a third province.
    assert not grants.has_grant(world.dki, world.jabar, unit_id=world.amb2.pk)
    assert not grants.has_grant(world.dki, world.jabar, kind="vehicle")
    assert not grants.has_grant(world.jabar, world.dki)
    assert not grants.has_grant(world.banten, world.jabar, volunteer_id=world.vol1.pk)
    assert not grants.has_grant(world.dki, world.banten)


@pytest.mark.parametrize("end", ["released", "returned", "cancel_after_accept", "declined"])
def test_the_grant_ends_with_release_or_never_starts(world, end):
    r = world.request()
    if end == "cancel_after_accept":
        world.advance(r, "accepted")
        step(world, r, "cancel")
    else:
        world.advance(r, end)
    assert not grants.has_grant(world.dki, world.jabar, volunteer_id=world.vol1.pk)
    assert grants.lent_volunteer_ids(world.dki) == set()


def test_require_grant_refuses_with_a_clear_message(world, english):
    world.request()
    with pytest.raises(PermissionDenied) as exc:
        grants.require_grant(world.dki, world.jabar, volunteer_id=world.vol1.pk)
    assert exc.value.code == "no_mutual_aid_grant"
    assert "PMI Jawa Barat has not lent volunteer #%d to PMI DKI Jakarta" % world.vol1.pk in exc.value.message


def test_require_grant_passes_silently_when_covered(world):
    world.advance(world.request(), "accepted")
    assert grants.require_grant(world.dki, world.jabar, volunteer_id=world.vol2.pk) is None


def test_at_asks_about_another_moment(world):
    r = world.request()
    world.advance(r, "arrived")
    r.refresh_from_db()
    during = r.arrived_at
    before = r.accepted_at - dt.timedelta(seconds=1)
    step(world, r, "release")
    assert grants.has_grant(world.dki, world.jabar, unit_id=world.amb1.pk, at=during)
    assert not grants.has_grant(world.dki, world.jabar, unit_id=world.amb1.pk, at=before)
    assert not grants.has_grant(world.dki, world.jabar, unit_id=world.amb1.pk, at=timezone.now())


def test_branches_below_either_party_are_covered(world, make_org):
    jakarta_pusat = make_org(kind="pmi_branch", region_code="31.71", parent=world.dki, name="PMI Jakarta Pusat")
    bekasi = make_org(kind="pmi_branch", region_code="32.75", parent=world.jabar, name="PMI Kota Bekasi")
    world.vol1.organization = bekasi
    world.vol1.save()
    world.advance(world.request(), "accepted")
    assert grants.has_grant(jakarta_pusat, bekasi, volunteer_id=world.vol1.pk)
    assert grants.has_grant(jakarta_pusat, world.jabar, volunteer_id=world.vol1.pk)
    assert grants.has_grant(world.dki, bekasi, volunteer_id=world.vol1.pk)
    # The direction matters: Jabar's branch has borrowed nothing from DKI.
    assert not grants.has_grant(bekasi, world.dki)


def test_lent_units_and_volunteers_are_listed_for_dispatch_and_teams(world):
    world.advance(world.request(), "dispatched")
    assert grants.lent_unit_ids(world.dki) == {world.amb1.pk}
    assert list(grants.lent_units(world.dki)) == [world.amb1]
    assert grants.lent_volunteer_ids(world.dki) == {world.vol1.pk, world.vol2.pk}
    assert grants.lent_unit_ids(world.banten) == set()
    assert grants.lent_now("unit", world.amb1.pk).organization_id == world.dki.pk
    assert grants.lent_now("unit", world.amb2.pk) is None


def test_lent_volunteers_q_plugs_into_the_volunteer_list(world, make_user):
    from siaga.core.permissions import actor_for
    from siaga.disaster.volunteers import services as volunteer_services

    world.advance(world.request(), "accepted")
    # National scope: scope_queryset also applies the area filter to shared rows (reported to the lead).
    dki = actor_for(make_user("disaster_manager", world.dki, scope_code=""))
    seen = set(volunteer_services.visible_volunteers(dki, shared_q=grants.lent_volunteers_q(dki.org_ids))
               .values_list("pk", flat=True))
    assert {world.vol1.pk, world.vol2.pk} <= seen
    assert world.banten_vol.pk not in seen


def test_an_unknown_kind_is_a_programming_error(world):
    with pytest.raises(ValueError):
        grants.has_grant(world.dki, world.jabar, kind="boats")
