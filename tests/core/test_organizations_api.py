"""Organisations through the API: creation, validation, audit, events, error shape."""

import json

import pytest

from siaga.core.models import AuditLog, Organization, OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(regions, make_org, make_user, login):
    org = make_org(kind="pmi_branch", region_code="35.76", code="pmi-kota-mojokerto")
    user = make_user("administrator", org, scope_code="35.76")
    return login(user), org


def post(client, url, body, **headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


def test_it_creates_an_organisation_with_audit_and_event(admin_client, capture_events):
    client, parent = admin_client
    with capture_events() as evs:
        r = post(client, "/api/organizations",
                 {"code": "posyandu-melati", "name": "Posyandu Melati", "kind": "posyandu", "region_code": "35.76.03.1001",
                  "lat": -7.4794, "lng": 112.4355})
    assert r.status_code == 201, r.content
    org = Organization.objects.get(code="posyandu-melati")
    assert org.parent == parent  # administrators create below their own organisation
    assert org.h3_cell and len(org.h3_cell) == 15
    rec = AuditLog.objects.get(model="core.organization", object_id=str(org.pk))
    assert rec.action == "create" and rec.changes["name"] == [None, "Posyandu Melati"]
    assert rec.organization == parent
    assert [e["type"] for e in evs] == ["organization.created"]
    assert OutboxEvent.objects.filter(type="organization.created").count() == 1


def test_unknown_region_code_is_refused_in_indonesian_and_nothing_written(admin_client):
    client, _ = admin_client
    before = (Organization.objects.count(), AuditLog.objects.count(), OutboxEvent.objects.count())
    r = post(client, "/api/organizations", {"code": "x-org", "name": "Organisasi X", "kind": "posyandu", "region_code": "35.76.99"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "unknown_region"
    assert "Kode wilayah tidak dikenal" in err["message"]
    assert (Organization.objects.count(), AuditLog.objects.count(), OutboxEvent.objects.count()) == before


def test_english_is_available(admin_client):
    client, _ = admin_client
    r = post(client, "/api/organizations", {"code": "x-org", "name": "Organisasi X", "kind": "posyandu", "region_code": "35.76.99"},
             HTTP_ACCEPT_LANGUAGE="en")
    assert "Unknown region code" in r.json()["error"]["message"]


def test_region_outside_scope_is_forbidden(admin_client):
    client, _ = admin_client
    r = post(client, "/api/organizations", {"code": "x-org", "name": "Organisasi X", "kind": "posyandu", "region_code": "35.16"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert not Organization.objects.filter(code="x-org").exists()


def test_duplicate_code_conflicts(admin_client):
    client, org = admin_client
    r = post(client, "/api/organizations", {"code": org.code, "name": "Lagi", "kind": "posyandu", "region_code": "35.76"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "duplicate_code"


def test_invalid_input_has_the_stable_error_shape(admin_client):
    client, _ = admin_client
    r = post(client, "/api/organizations", {"code": "Not A Slug!", "name": "", "kind": "posyandu"})
    assert r.status_code == 422
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == "invalid_input"
    assert isinstance(body["error"]["details"], list) and body["error"]["details"]


def test_update_records_before_and_after(admin_client):
    client, org = admin_client
    r = client.patch(f"/api/organizations/{org.pk}", data=json.dumps({"phone": "+62321123456"}),
                     content_type="application/json")
    assert r.status_code == 200, r.content
    rec = AuditLog.objects.filter(model="core.organization", object_id=str(org.pk), action="update").get()
    assert rec.changes == {"phone": ["", "+62321123456"]}
    trail = client.get(f"/api/organizations/{org.pk}/audit").json()
    assert trail[0]["changes"] == {"phone": ["", "+62321123456"]}


def test_role_without_manage_permission_cannot_create(regions, make_org, make_user, login):
    org = make_org(region_code="35.76")
    client = login(make_user("call_taker", org, scope_code="35.76"))
    r = post(client, "/api/organizations", {"code": "x-org", "name": "Organisasi X", "kind": "posyandu", "region_code": "35.76"})
    assert r.status_code == 403
    assert not Organization.objects.filter(code="x-org").exists()


def test_me_describes_the_active_membership(admin_client):
    client, org = admin_client
    me = client.get("/api/me").json()
    assert me["organization_id"] == org.pk and me["role"] == "administrator" and me["scope_code"] == "35.76"
    assert "organization.manage" in me["permissions"]


def test_anonymous_gets_401_json(client):
    r = client.get("/api/organizations")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"
