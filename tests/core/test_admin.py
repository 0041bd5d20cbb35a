"""The admin answers to the same permission module: scoped lists, audit trail on each record."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_admin_login_goes_through_the_one_login_page(client):
    # The admin's own form would skip the lockout and the second factor (tests/web/test_login_guard.py).
    r = client.get("/admin/login/", follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0].startswith("/login/")


def test_an_administrator_sees_only_own_organisations(make_org, make_user, login):
    mine, theirs = make_org(region_code="35.76", name="PMI Kota Mojokerto"), make_org(name="PMI Banten", region_code="36")
    user = make_user("administrator", mine, scope_code="35.76", is_staff=True)
    c = login(user)
    r = c.get("/admin/core/organization/")
    assert r.status_code == 200
    assert b"PMI Kota Mojokerto" in r.content and b"PMI Banten" not in r.content
    assert c.get(f"/admin/core/organization/{theirs.pk}/change/").status_code in (302, 403, 404)


def test_admin_edit_is_audited_and_trail_shown(make_org, make_user, login):
    org = make_org(region_code="35.76")
    c = login(make_user("administrator", org, scope_code="35.76", is_staff=True))
    page = c.get(f"/admin/core/organization/{org.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k not in ("parent",)}
    data.update({"name": "Nama Baru", "kind": org.kind, "code": org.code, "attributes": "{}", "active": "on"})
    data = {k: v for k, v in data.items() if v is not False}
    r = c.post(f"/admin/core/organization/{org.pk}/change/", data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    from siaga.core.models import AuditLog

    rec = AuditLog.objects.get(object_id=str(org.pk), action="update")
    assert rec.changes["name"][1] == "Nama Baru"
    assert "Nama Baru" in c.get(f"/admin/core/organization/{org.pk}/change/").content.decode()


def test_a_role_without_manage_rights_can_only_look(make_org, make_user, login):
    c = login(make_user("call_taker", make_org(), is_staff=True))
    assert c.get("/admin/core/organization/").status_code == 200
    assert c.get("/admin/core/organization/add/").status_code == 403
    assert c.get("/admin/core/membership/").status_code == 403
    assert c.get("/admin/core/user/").status_code == 403


def test_non_staff_is_sent_to_login():
    r = Client().get("/admin/core/organization/")
    assert r.status_code == 302


def test_regions_are_read_only_in_the_admin(regions, make_org, make_user, login):
    c = login(make_user("administrator", make_org(), is_staff=True))
    r = c.get("/admin/geo/region/")
    assert r.status_code == 200 and b"Prajuritkulon" in r.content
    assert c.get("/admin/geo/region/add/").status_code == 403
