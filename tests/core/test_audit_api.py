"""The audit list shows only records made on behalf of the caller's organisations."""

import json

import pytest

pytestmark = pytest.mark.django_db


def test_audit_list_is_limited_to_own_organisations(regions, make_org, make_user, login):
    a, b = make_org(region_code="35.76"), make_org(region_code="35.16")
    ca = login(make_user("administrator", a, scope_code="35.76"))
    cb = login(make_user("administrator", b, scope_code="35.16"))
    ca.patch(f"/api/organizations/{a.pk}", data=json.dumps({"phone": "0321-1"}), content_type="application/json")
    cb.patch(f"/api/organizations/{b.pk}", data=json.dumps({"phone": "0321-2"}), content_type="application/json")
    seen_a = ca.get("/api/audit").json()
    assert {r["object_id"] for r in seen_a} == {str(a.pk)}
    assert ca.get(f"/api/audit?object_id={b.pk}").json() == []


def test_roles_without_audit_permission_are_refused(make_org, make_user, login):
    c = login(make_user("kader", make_org()))
    assert c.get("/api/audit").status_code == 403
