"""Rows shared explicitly with an organisation are seen wherever they lie; the area limit binds own rows only."""

import pytest
from django.db.models import Q

from siaga.core.models import Organization
from siaga.core.permissions import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(regions, make_org, make_user):
    dki = make_org(kind="pmi_province", region_code="35", name="PMI provinsi")
    branch_in = make_org(kind="pmi_branch", region_code="35.76", parent=dki, name="cabang di wilayah")
    branch_out = make_org(kind="pmi_branch", region_code="35.16", parent=dki, name="cabang di luar wilayah")
    stranger = make_org(kind="pmi_branch", region_code="35.16", name="organisasi lain")
    user = make_user("disaster_manager", dki, scope_code="35.76")
    return actor_for(user), dki, branch_in, branch_out, stranger


def test_can_see_a_shared_record_outside_the_area_but_not_an_own_one(setting):
    actor, dki, branch_in, branch_out, stranger = setting
    assert actor.can_see(branch_in.pk, "35.76")
    assert not actor.can_see(branch_out.pk, "35.16")                       # own, outside the area
    assert actor.can_see(stranger.pk, "35.16", shared_with=[dki.pk])      # shared with us, outside the area
    assert not actor.can_see(stranger.pk, "35.16", shared_with=[stranger.pk + 1000])


def test_scope_queryset_keeps_shared_rows_and_limits_own_rows_by_area(setting):
    actor, dki, branch_in, branch_out, stranger = setting
    qs = Organization.objects.filter(pk__in=[branch_in.pk, branch_out.pk, stranger.pk])
    plain = set(actor.scope_queryset(qs, org_field="pk").values_list("pk", flat=True))
    assert plain == {branch_in.pk}
    shared = set(actor.scope_queryset(qs, org_field="pk", shared_q=Q(pk=stranger.pk)).values_list("pk", flat=True))
    assert shared == {branch_in.pk, stranger.pk}


def test_a_live_event_shared_with_us_reaches_us_outside_the_area(setting):
    actor, dki, branch_in, branch_out, stranger = setting
    ev = {"topic": "organizations", "organization_id": stranger.pk, "region_code": "35.16"}
    assert not actor.can_see_event(ev)
    assert actor.can_see_event({**ev, "shared_with": [dki.pk]})
