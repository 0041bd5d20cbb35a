"""Across organisations and provinces: who may activate, see the roster, steer an activation, and be alerted."""

from __future__ import annotations

import pytest
from django.utils import timezone

from siaga.core.errors import NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster.teams import services
from siaga.disaster.teams.models import Activation, ActivationAlert
from siaga.disaster.volunteers.models import Volunteer

from .conftest import fast_user

pytestmark = pytest.mark.django_db


def _lend(borrower, lender, volunteer, state="accepted"):
    """A mutual-aid request from borrower to lender, lending this volunteer, in the given state."""
    from siaga.disaster.mutualaid.models import MutualAidLine, MutualAidRequest, MutualAidResource

    now = timezone.now()
    req = MutualAidRequest.objects.create(organization=borrower, lender=lender, region_code="35.76",
                                          needed_from=now, contact_name="Posko", state=state, requested_at=now,
                                          accepted_at=now if state != "requested" else None)
    line = MutualAidLine.objects.create(request=req, kind="volunteers", quantity=1)
    MutualAidResource.objects.create(request=req, line=line, kind="volunteers", volunteer=volunteer)
    return req


def test_a_volunteer_of_another_province_is_not_alerted_without_a_grant(make_volunteer, activate, world):
    make_volunteer("Ours")
    make_volunteer("Jakarta, next door", org=world["dki"], region_code="31.71")  # same spot, other province
    result = activate()
    assert {a.volunteer.name for a in result.alerts} == {"Ours"}
    assert result.left_out == {"no_grant": 1}


def test_a_volunteer_lent_under_a_grant_is_alerted_and_marked(make_volunteer, activate, world):
    lent, lent_actor = make_volunteer("Lent", org=world["dki"], region_code="31.71", km_north=120,
                                      status="deployed")
    make_volunteer("Not lent", org=world["dki"], region_code="31.71")
    _lend(world["mjk"], world["dki"], lent, state="arrived")
    result = activate()
    alerts = {a.volunteer.name: a for a in result.alerts}
    assert set(alerts) == {"Lent"}  # on loan (deployed) and far from home: still alerted
    assert alerts["Lent"].via_grant is True
    assert result.left_out == {"no_grant": 1}
    services.answer(lent_actor, alerts["Lent"].pk, "yes")
    assert Volunteer.objects.get(pk=lent.pk).status == "deployed"


def test_a_yes_after_the_grant_ended_is_refused(make_volunteer, activate, world):
    lent, lent_actor = make_volunteer("Lent", org=world["dki"], region_code="31.71")
    req = _lend(world["mjk"], world["dki"], lent)
    alert = activate().alerts[0]
    req.state, req.released_at = "released", timezone.now()
    req.save()
    with pytest.raises(PermissionDenied) as exc:
        services.answer(lent_actor, alert.pk, "yes")
    assert exc.value.code == "no_mutual_aid_grant"
    assert ActivationAlert.objects.get(pk=alert.pk).answer == "none"


def test_a_requested_but_not_accepted_loan_grants_nothing(make_volunteer, activate, world):
    asked, _ = make_volunteer("Asked for", org=world["dki"], region_code="31.71")
    _lend(world["mjk"], world["dki"], asked, state="requested")
    assert activate().alerts == []


def test_another_province_sees_neither_the_activation_nor_the_roster(make_volunteer, activate, world):
    make_volunteer("Ours")
    act = activate().activation
    with pytest.raises(NotFound):
        services.get_activation(world["a_dki"], act.pk)
    with pytest.raises(NotFound):
        services.roster(world["a_dki"], world["event"].pk)
    with pytest.raises(NotFound):
        services.close_activation(world["a_dki"], act.pk)
    assert Activation.objects.get(pk=act.pk).state == "open"


def test_a_participant_activates_its_own_people_and_the_lead_sees_them(make_volunteer, activate, world, actor_of):
    world["event"].participants.add(world["dki"])
    make_volunteer("Mojokerto")
    make_volunteer("Jakarta", org=world["dki"], region_code="31.71")
    theirs = activate(actor=world["a_dki"])
    assert {a.volunteer.name for a in theirs.alerts} == {"Jakarta"}
    (act, lines), = services.roster(world["a_mjk"], world["event"].pk)  # the lead sees who responds
    assert act.pk == theirs.activation.pk and [x.alert.volunteer.name for x in lines] == ["Jakarta"]
    with pytest.raises(PermissionDenied) as exc:  # but only the activating organisation steers it
        services.close_activation(world["a_mjk"], act.pk)
    assert exc.value.code == "not_activating_organization"


def test_a_province_manager_sees_its_branch_activation(make_volunteer, activate, world, actor_of):
    make_volunteer("Ours")
    act = activate().activation
    province = actor_of(fast_user("disaster_manager", world["jatim"], scope_code="35"))
    assert services.get_activation(province, act.pk).pk == act.pk


@pytest.mark.parametrize("role", ["volunteer", "leader", "call_taker"])
def test_roles_without_disaster_manage_cannot_activate(world, actor_of, role):
    actor = actor_of(fast_user(role, world["mjk"], scope_code="35.76"))
    with pytest.raises(PermissionDenied):
        services.activate(actor, world["event"].pk, number_needed=1, meeting_lat=-7.47, meeting_lon=112.43)
    assert not Activation.objects.exists()


def test_a_leader_sees_no_names_on_the_roster(world, actor_of, make_volunteer, activate):
    make_volunteer("Sari")
    activate()
    leader = actor_of(fast_user("leader", world["mjk"], scope_code="35.76"))
    with pytest.raises(PermissionDenied):
        services.roster(leader, world["event"].pk)


def test_a_manager_checks_in_for_a_volunteer_of_their_activation_but_not_of_another(make_volunteer, activate,
                                                                                     world):
    v, me = make_volunteer("Sari")
    result = activate()
    services.answer(me, result.alerts[0].pk, "yes")
    a = result.activation.assignments.get()
    with pytest.raises(NotFound):
        services.check_in(world["a_dki"], a.pk)
    assert services.check_in(world["a_mjk"], a.pk).on_site


def test_a_volunteer_cannot_check_in_someone_else(make_volunteer, activate):
    v, me = make_volunteer("Sari")
    _, other = make_volunteer("Budi")
    result = activate()
    services.answer(me, next(a for a in result.alerts if a.volunteer_id == v.pk).pk, "yes")
    a = result.activation.assignments.get()
    with pytest.raises(NotFound):
        services.check_in(other, a.pk)


def test_teams_take_only_volunteers_the_manager_sees(make_volunteer, world):
    jakarta, _ = make_volunteer("Jakarta", org=world["dki"], region_code="31.71")
    team = services.save_team(world["a_mjk"], name="SATGANA")
    with pytest.raises(NotFound):
        services.set_member(world["a_mjk"], team.pk, jakarta.pk)
    with pytest.raises(NotFound):
        services.get_team(world["a_dki"], team.pk)
    with pytest.raises(ServiceError) as exc:
        services.save_team(world["a_mjk"], name="SATGANA")
    assert exc.value.code == "duplicate_team"
