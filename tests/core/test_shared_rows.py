"""Rows shared explicitly with our own organisation are seen wherever they lie; our own rows, and rows of or
shared with the organisations below ours, only within our area."""

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
    assert not actor.can_see(stranger.pk, "35.16", shared_with=[branch_out.pk])  # shared below us: area applies
    assert actor.can_see(stranger.pk, "35.76", shared_with=[branch_out.pk])
    assert not actor.can_see(stranger.pk, "35.16", shared_with=[stranger.pk + 1000])


def test_scope_queryset_keeps_shared_rows_and_limits_own_rows_by_area(setting):
    actor, dki, branch_in, branch_out, stranger = setting
    qs = Organization.objects.filter(pk__in=[branch_in.pk, branch_out.pk, stranger.pk])
    plain = set(actor.scope_queryset(qs, org_field="pk").values_list("pk", flat=True))
    assert plain == {branch_in.pk}
    # The stranger shares its row with our own organisation (dki): seen outside our area.
    to_us = {dki.pk: stranger.pk}
    shared = set(actor.scope_queryset(
        qs, org_field="pk", shared_q=lambda ids: Q(pk__in=[to_us[i] for i in ids if i in to_us])
    ).values_list("pk", flat=True))
    assert shared == {branch_in.pk, stranger.pk}
    # Shared with an organisation below ours (branch_out) only: our area limit still applies.
    to_branch = {branch_out.pk: stranger.pk}
    below = set(actor.scope_queryset(
        qs, org_field="pk", shared_q=lambda ids: Q(pk__in=[to_branch[i] for i in ids if i in to_branch])
    ).values_list("pk", flat=True))
    assert below == {branch_in.pk}


def test_a_live_event_shared_with_us_reaches_us_outside_the_area(setting):
    actor, dki, branch_in, branch_out, stranger = setting
    ev = {"topic": "organizations", "organization_id": stranger.pk, "region_code": "35.16"}
    assert not actor.can_see_event(ev)
    assert actor.can_see_event({**ev, "shared_with": [dki.pk]})
