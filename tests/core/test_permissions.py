"""The permission module: scopes, organisation trees, roles, events."""

import pytest

from siaga.core.permissions import ROLE_PERMISSIONS, PermissionDenied, in_scope, scopes_overlap
from siaga.core.models import Organization, Role


def test_scope_contains_its_descendants_only():
    assert in_scope("35.76", "35.76.01.1006")
    assert in_scope("35.76", "35.76")
    assert not in_scope("35.76", "35.7")
    assert not in_scope("35.7", "35.76.01")  # a prefix of digits is not a parent code
    assert not in_scope("35.76", "35.16.01")
    assert in_scope("", "31.71")


def test_overlap_goes_both_ways_and_empty_region_is_unlimited():
    assert scopes_overlap("35.76", "35")
    assert scopes_overlap("35", "35.76.03.1001")
    assert not scopes_overlap("35.76", "35.16")
    assert scopes_overlap("35.76", "")


def test_every_role_has_permissions_and_leader_only_views():
    assert set(ROLE_PERMISSIONS) == set(Role.values)
    leader = ROLE_PERMISSIONS[Role.LEADER]
    assert all(p.endswith((".view", ".stats", ".dashboard")) for p in leader), "leaders only read dashboards"


@pytest.mark.django_db
def test_actor_sees_own_and_descendant_organisations_not_siblings(make_org, make_user, actor_of):
    parent = make_org(kind="pmi_province", region_code="35")
    child = make_org(kind="pmi_branch", region_code="35.76", parent=parent)
    grandchild = make_org(kind="udd", region_code="35.76", parent=child)
    sibling = make_org(kind="pmi_branch", region_code="35.16", parent=parent)
    actor = actor_of(make_user("administrator", child, scope_code="35.76"))
    assert actor.org_ids == {child.pk, grandchild.pk}
    assert actor.can_see(grandchild.pk, "35.76.01")
    assert not actor.can_see(sibling.pk, "35.16")
    assert not actor.can_see(parent.pk, "35")


@pytest.mark.django_db
def test_actor_outside_scope_is_refused_even_in_own_organisation(make_org, make_user, actor_of):
    org = make_org(region_code="35")
    actor = actor_of(make_user("disaster_manager", org, scope_code="35.76"))
    assert actor.can_see(org.pk, "35.76.03.1001")
    assert not actor.can_see(org.pk, "35.16.01")
    with pytest.raises(PermissionDenied):
        actor.require_region("35.16")


@pytest.mark.django_db
def test_shared_record_is_visible_to_the_organisation_it_was_shared_with(make_org, make_user, actor_of):
    owner, agency = make_org(region_code="35.16"), make_org(kind="police", region_code="35.16")
    actor = actor_of(make_user("agency_liaison", agency, scope_code="35.16"))
    assert not actor.can_see(owner.pk, "35.16.01")
    assert actor.can_see(owner.pk, "35.16.01", shared_with=[agency.pk])


@pytest.mark.django_db
def test_role_without_permission_is_refused(make_org, make_user, actor_of):
    actor = actor_of(make_user("leader", make_org()))
    assert actor.has("organization.view")
    with pytest.raises(PermissionDenied):
        actor.require("organization.manage")


@pytest.mark.django_db
def test_scope_queryset_filters_by_organisation_and_area(make_org, make_user, actor_of):
    mine = make_org(region_code="35.76")
    other = make_org(region_code="35.76")
    actor = actor_of(make_user("administrator", mine, scope_code="35.76"))
    qs = actor.scope_queryset(Organization.objects.all(), org_field="pk")
    assert list(qs) == [mine]
    assert other not in qs


@pytest.mark.django_db
def test_events_reach_only_actors_who_may_see_them(make_org, make_user, actor_of):
    mine, other = make_org(region_code="35.76"), make_org(region_code="35.16")
    actor = actor_of(make_user("administrator", mine, scope_code="35.76"))
    ev = {"topic": "organizations", "organization_id": mine.pk, "region_code": "35.76", "shared_with": []}
    assert actor.can_see_event(ev)
    assert not actor.can_see_event({**ev, "organization_id": other.pk, "region_code": "35.16"})
    assert not actor.can_see_event({**ev, "topic": "unknown-topic"})
    assert actor.can_see_event({"topic": "regions", "organization_id": None, "region_code": ""})


@pytest.mark.django_db
def test_user_without_membership_has_no_actor_unless_superuser(make_user, actor_of, django_user_model):
    assert actor_of(make_user(org=None)) is None
    su = django_user_model.objects.create_superuser("root", password="Rahasia-Siaga-2026")
    assert actor_of(su).is_platform_admin


@pytest.mark.django_db
def test_inactive_membership_does_not_count(make_org, make_user, actor_of):
    user = make_user("administrator", make_org())
    user.memberships.update(active=False)
    assert actor_of(user) is None
