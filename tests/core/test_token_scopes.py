"""API tokens: scopes within the role, expiry, rotation with a grace period, revocation, and who may manage them."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from siaga.core import tokens
from siaga.core.models import ApiToken, AuditLog
from tests.isolation import OrgIsolationSpec

pytestmark = pytest.mark.django_db


def _get(raw, path="/api/me"):
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def admin_and_crew(make_org, make_user):
    org = make_org(region_code="35.76")
    admin = make_user("administrator", org, scope_code="35.76")
    crew = make_user("ambulance_crew", org, scope_code="35.76")
    return admin, crew, org


def _issue(client, membership, **body):
    payload = {"membership_id": membership.pk, "name": "pelacak AB 1234 C", "scopes": ["position.create"]}
    payload.update(body)
    return client.post("/api/tokens", payload, content_type="application/json")


def test_an_administrator_issues_a_scoped_token_shown_once(admin_and_crew, actor_of):
    admin, crew, org = admin_and_crew
    from tests.conftest import client_for

    r = _issue(client_for(admin), crew.memberships.get())
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["token"].startswith("sg_") and body["scopes"] == ["position.create"]
    assert body["status"] == "active" and body["expires_at"] is not None  # a year by default
    tok = ApiToken.objects.get(pk=body["id"])
    assert tok.token_hash != body["token"] and tok.created_by == admin
    # Listing never shows the raw token again.
    listed = client_for(admin).get("/api/tokens").json()
    assert [t["id"] for t in listed] == [tok.pk] and "token" not in listed[0]
    assert AuditLog.objects.filter(model="core.apitoken", object_id=str(tok.pk), action="create").exists()


def test_a_scoped_token_can_use_only_its_scopes(admin_and_crew):
    admin, crew, org = admin_and_crew
    _tok, raw = tokens.issue(crew.memberships.get(), "tracker", scopes=["position.create"])
    me = _get(raw).json()
    assert me["permissions"] == ["position.create"]
    # The crew's role may list units, but this token may not.
    assert _get(raw, "/api/dispatch/units").status_code == 403
    _tok, full = tokens.issue(crew.memberships.get(), "phone")  # no scopes: the whole role
    assert _get(full, "/api/dispatch/units").status_code == 200
    assert "unit.view" in _get(full).json()["permissions"]


def test_scopes_must_lie_within_the_role(admin_and_crew):
    admin, crew, org = admin_and_crew
    from tests.conftest import client_for

    c = client_for(admin)
    r = _issue(c, crew.memberships.get(), scopes=["position.create", "blood.manage"])
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "scope_outside_role"
    assert r.json()["error"]["details"] == {"scopes": ["blood.manage"]}
    assert _issue(c, crew.memberships.get(), scopes=[" "]).status_code in (400, 422)
    assert _issue(c, crew.memberships.get(), name="  ").status_code == 400
    assert not ApiToken.objects.exists()


def test_an_expired_token_is_refused(admin_and_crew):
    admin, crew, org = admin_and_crew
    tok, raw = tokens.issue(crew.memberships.get(), "tracker", scopes=["position.create"],
                            expires_at=timezone.now() + dt.timedelta(minutes=5))
    assert _get(raw).status_code == 200
    ApiToken.objects.filter(pk=tok.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = _get(raw)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"


def test_rotation_keeps_the_old_token_working_for_the_grace_period(admin_and_crew):
    admin, crew, org = admin_and_crew
    from tests.conftest import client_for

    c = client_for(admin)
    first = _issue(c, crew.memberships.get(), expires_in_days=90).json()
    r = c.post(f"/api/tokens/{first['id']}/rotate", {"grace_hours": 2}, content_type="application/json")
    assert r.status_code == 201, r.content
    second = r.json()
    assert second["replaces_id"] == first["id"] and second["scopes"] == first["scopes"]
    assert second["token"] != first["token"]
    # The successor gets the same lifetime (90 days) from now.
    new_expiry = dt.datetime.fromisoformat(second["expires_at"])
    assert abs((new_expiry - timezone.now()) - dt.timedelta(days=90)) < dt.timedelta(minutes=1)
    # Both work during the grace period; the old one ends with it.
    assert _get(first["token"]).status_code == 200 and _get(second["token"]).status_code == 200
    old = ApiToken.objects.get(pk=first["id"])
    assert abs(old.expires_at - (timezone.now() + dt.timedelta(hours=2))) < dt.timedelta(minutes=1)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _get(first["token"]).status_code == 401
    assert _get(second["token"]).status_code == 200
    # A token is rotated once; the chain continues from its successor.
    again = c.post(f"/api/tokens/{first['id']}/rotate", {}, content_type="application/json")
    assert again.status_code == 400 and again.json()["error"]["code"] in ("token_not_live", "already_rotated")


def test_rotation_without_grace_revokes_at_once_and_revocation_is_immediate(admin_and_crew):
    admin, crew, org = admin_and_crew
    from tests.conftest import client_for

    c = client_for(admin)
    first = _issue(c, crew.memberships.get()).json()
    second = c.post(f"/api/tokens/{first['id']}/rotate", {"grace_hours": 0}, content_type="application/json").json()
    assert _get(first["token"]).status_code == 401
    assert _get(second["token"]).status_code == 200
    r = c.post(f"/api/tokens/{second['id']}/revoke")
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert _get(second["token"]).status_code == 401
    # Revoking twice is harmless.
    assert c.post(f"/api/tokens/{second['id']}/revoke").json()["status"] == "revoked"


def test_only_administrators_manage_tokens_and_a_token_cannot_widen_itself(admin_and_crew):
    admin, crew, org = admin_and_crew
    from tests.conftest import client_for

    r = _issue(client_for(crew), crew.memberships.get())
    assert r.status_code == 403
    # An administrator's token scoped to reading cannot issue tokens.
    _t, raw = tokens.issue(admin.memberships.get(), "report reader", scopes=["audit.view"])
    r = Client().post("/api/tokens", {"membership_id": crew.memberships.get().pk, "name": "x",
                                      "scopes": ["position.create"]},
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 403
    assert not ApiToken.objects.filter(membership=crew.memberships.get()).exists()


def test_an_administrator_cannot_issue_for_another_organisations_membership(make_org, make_user, admin_and_crew):
    admin, crew, org = admin_and_crew
    from tests.conftest import client_for

    other = make_user("ambulance_crew", make_org(region_code="35.16"), scope_code="35.16")
    r = _issue(client_for(admin), other.memberships.get())
    assert r.status_code == 404
    assert not ApiToken.objects.exists()


class TestTokenIsolation(OrgIsolationSpec):
    role = "administrator"
    list_url = "/api/tokens"
    write_requests = [("post", "/api/tokens/{id}/rotate", {}), ("post", "/api/tokens/{id}/revoke", {})]

    def make_record(self, org):
        from siaga.core.models import Membership, User

        n = User.objects.count()
        user = User.objects.create_user(username=f"tracker{n}", password="x-Rahasia-2026")
        m = Membership.objects.create(user=user, organization=org, role="ambulance_crew",
                                      scope_code=org.region_code)
        return tokens.issue(m, "tracker", scopes=["position.create"])[0]

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.revoked_at, record.expires_at, ApiToken.objects.filter(replaces=record).count())


def test_last_use_is_remembered_and_written_in_one_batch(admin_and_crew):
    admin, crew, org = admin_and_crew
    tok, raw = tokens.issue(crew.memberships.get(), "tracker", scopes=["position.create"])
    assert _get(raw).status_code == 200
    tok.refresh_from_db()
    assert tok.last_used_at is None  # nothing written on the request's path
    assert tokens.flush_last_used() == 1
    tok.refresh_from_db()
    assert tok.last_used_at is not None
    assert tokens.flush_last_used() == 0
