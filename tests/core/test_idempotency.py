"""Retried writes with the same Idempotency-Key happen once."""

import json

import pytest

from siaga.core.models import AuditLog, Organization

pytestmark = pytest.mark.django_db

BODY = {"code": "posko-kranggan", "name": "Posko Kranggan", "kind": "agency", "region_code": "35.76.03.1001"}


@pytest.fixture
def client(regions, make_org, make_user, login):
    org = make_org(region_code="35.76")
    return login(make_user("administrator", org, scope_code="35.76"))


def send(client, body, key):
    return client.post("/api/organizations", data=json.dumps(body), content_type="application/json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_replays_the_first_answer_and_writes_once(client):
    first = send(client, BODY, "k-1")
    again = send(client, BODY, "k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Organization.objects.filter(code="posko-kranggan").count() == 1
    assert AuditLog.objects.filter(model="core.organization", action="create").count() == 1


def test_the_same_key_for_another_request_is_refused(client):
    send(client, BODY, "k-2")
    r = send(client, {**BODY, "code": "posko-lain"}, "k-2")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "idempotency_key_reused"
    assert not Organization.objects.filter(code="posko-lain").exists()


def test_a_refused_write_is_also_replayed_not_reexecuted(client):
    bad = {**BODY, "region_code": "35.76.99"}
    assert send(client, bad, "k-3").status_code == 400
    assert send(client, bad, "k-3").status_code == 400


def test_keys_are_per_user(client, regions, make_org, make_user, login):
    send(client, BODY, "k-4")
    other = login(make_user("administrator", make_org(region_code="35.76"), scope_code="35.76"))
    r = send(other, {**BODY, "code": "posko-kedua"}, "k-4")
    assert r.status_code == 201


def test_a_failed_write_leaves_neither_its_changes_nor_the_key(client, monkeypatch):
    """A 5xx after the view wrote something: the write and the reservation roll back together, so a retry runs."""
    from siaga.core import services as core_services
    from siaga.core.models import IdempotencyRecord, Organization

    real = core_services.create_organization

    def write_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("the disk filled up after the insert")

    monkeypatch.setattr(core_services, "create_organization", write_then_fail)
    body = {**BODY, "code": "gagal-dulu", "name": "Gagal lalu berhasil"}
    client.raise_request_exception = False
    r = client.post("/api/organizations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-gagal")
    assert r.status_code == 500
    assert not Organization.objects.filter(code="gagal-dulu").exists()
    assert not IdempotencyRecord.objects.filter(key="k-gagal").exists()
    monkeypatch.setattr(core_services, "create_organization", real)
    r = client.post("/api/organizations", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-gagal")
    assert r.status_code == 201
    assert Organization.objects.filter(code="gagal-dulu").count() == 1
