"""The call-center admin asks the permission module: reference data for platform admins, service rows read-only."""

import pytest

from siaga.callcenter.models import RoutingRule
from siaga.core.models import User

pytestmark = pytest.mark.django_db


def staff(user):
    User.objects.filter(pk=user.pk).update(is_staff=True)
    user.refresh_from_db()
    return user


def test_an_administrator_reads_the_taxonomy_but_only_a_platform_admin_edits_it(cc, login):
    c = login(staff(cc.users["admin"]))
    r = c.get("/admin/callcenter/incidenttype/")
    assert r.status_code == 200 and "Kecelakaan lalu lintas" in r.content.decode()
    assert c.get("/admin/callcenter/incidenttype/add/").status_code == 403
    root = User.objects.create_superuser("akar", password=None)
    c = login(root)
    assert c.get("/admin/callcenter/incidenttype/add/").status_code == 200
    banjir = cc.types["banjir"]
    assert c.get(f"/admin/callcenter/incidenttype/{banjir.pk}/change/").status_code == 200


def test_incidents_and_calls_are_read_only_and_scoped(cc, login):
    mine = cc.incident()
    from siaga.callcenter import services

    theirs = services.create_incident(cc.actor("other_call_taker"), type_code="banjir", region_code="35.76")
    c = login(staff(cc.users["call_taker"]))
    r = c.get("/admin/callcenter/incident/")
    assert r.status_code == 200
    assert mine.number in r.content.decode()
    assert f"/admin/callcenter/incident/{theirs.pk}/" not in r.content.decode()
    assert c.get(f"/admin/callcenter/incident/{mine.pk}/change/").status_code == 200  # view only
    assert c.get("/admin/callcenter/incident/add/").status_code == 403
    assert c.get("/admin/callcenter/call/").status_code == 200
    assert c.get(f"/admin/callcenter/incident/{theirs.pk}/change/").status_code in (302, 403, 404)


def test_routing_rules_are_owned_by_the_call_center(cc, login):
    RoutingRule.objects.create(organization=cc.org, agency=cc.psc, region_prefix="35.16")
    RoutingRule.objects.create(organization=cc.other, agency=cc.psc, region_prefix="35.76")
    c = login(staff(cc.users["admin"]))
    r = c.get("/admin/callcenter/routingrule/")
    assert r.status_code == 200
    assert r.context["cl"].result_count == 1
    page = c.get("/admin/callcenter/routingrule/add/")
    owners = list(page.context["adminform"].form.fields["organization"].queryset)
    assert cc.org in owners and cc.other not in owners


def test_agencies_have_no_call_center_admin(cc, login):
    c = login(staff(cc.users["psc_liaison"]))
    assert c.get("/admin/callcenter/incidenttype/").status_code == 403
    assert c.get("/admin/callcenter/call/").status_code == 403
