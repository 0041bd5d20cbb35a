"""Personal data: views and reveals are logged with who and why; retention removes what is past its period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from siaga.core import retention
from siaga.core.models import LoginAttempt, OutboxEvent, PersonalDataAccess
from tests.conftest import client_for
from tests.health.conftest import _fast_passwords, hx  # noqa: F401


@pytest.fixture
def child(hx):
    return hx.child(name="Aisyah", birth_date=dt.date(2024, 3, 15))


def test_opening_a_person_is_logged_and_the_nik_stays_masked(hx, child):
    c = client_for(hx.user("kader"))
    body = c.get(f"/api/health/persons/{child.pk}").json()
    assert child.nik not in str(body)
    log = PersonalDataAccess.objects.get()
    assert (log.kind, log.model, log.object_id, log.user) == ("view", "health.person", str(child.pk), hx.user("kader"))
    assert log.via == f"/api/health/persons/{child.pk}" and log.role == "kader"
    c.get(f"/posyandu/anak/{child.pk}/")
    assert PersonalDataAccess.objects.filter(via=f"/posyandu/anak/{child.pk}/").count() == 1


def test_the_full_nik_needs_a_reason_and_is_logged_with_it(hx, child):
    c = client_for(hx.user("kader"))
    r = c.post(f"/api/health/persons/{child.pk}/reveal-nik", {"reason": ""}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "reason_required"
    assert not PersonalDataAccess.objects.filter(kind="reveal").exists()
    r = c.post(f"/api/health/persons/{child.pk}/reveal-nik", {"reason": "Cocokkan dengan KK ibu"},
               content_type="application/json")
    assert r.status_code == 200 and r.json() == {"nik": child.nik}
    log = PersonalDataAccess.objects.get(kind="reveal")
    assert (log.reason, log.fields) == ("Cocokkan dengan KK ibu", ["nik"])


def test_another_posyandu_and_a_leader_cannot_reveal(hx, child):
    for who in ("other_kader", "leader"):
        r = client_for(hx.user(who)).post(f"/api/health/persons/{child.pk}/reveal-nik", {"reason": "ingin tahu saja"},
                                          content_type="application/json")
        assert r.status_code in (403, 404)
    assert not PersonalDataAccess.objects.filter(kind="reveal").exists()


def test_the_access_log_is_read_by_auditors_of_the_same_organisations(hx, child, make_user):
    client_for(hx.user("kader")).get(f"/api/health/persons/{child.pk}")
    auditor = make_user("leader", hx.puskesmas, scope_code="35.76")
    rows = client_for(auditor).get("/api/personal-data-access?model=health.person").json()
    assert [(r["kind"], r["object_id"], r["user"]) for r in rows] == [("view", str(child.pk),
                                                                        hx.user("kader").username)]
    assert client_for(hx.user("kader")).get("/api/personal-data-access").status_code == 403


def test_retention_deletes_or_blanks_what_is_past_its_period_and_keeps_the_rest(db, settings, make_org):
    now = timezone.now()
    old, recent = now - dt.timedelta(days=400), now - dt.timedelta(days=10)
    for at in (old, recent):
        LoginAttempt.objects.create(username="x", at=at)
        PersonalDataAccess.objects.create(at=at, kind="view", model="health.person", object_id="1")
    e1 = OutboxEvent.objects.create(type="t", topic="t", published_at=now - dt.timedelta(days=40))
    e2 = OutboxEvent.objects.create(type="t", topic="t", published_at=None)  # never published: kept for the relay
    settings.SIAGA_RETENTION_DAYS = {"personal_data_access": None}  # kept forever in this deployment
    assert retention.purge(now, dry_run=True)["login_attempts"] == 1
    assert LoginAttempt.objects.count() == 2
    counts = retention.purge(now)
    assert counts["login_attempts"] == 1 and "personal_data_access" not in counts
    assert list(LoginAttempt.objects.values_list("at", flat=True)) == [recent]
    assert PersonalDataAccess.objects.count() == 2
    assert list(OutboxEvent.objects.values_list("pk", flat=True)) == [e2.pk] and e1.pk != e2.pk
    assert retention.purge(now)["login_attempts"] == 0


def test_old_caller_numbers_are_blanked_but_the_call_stays_for_statistics(db, make_org):
    from siaga.callcenter.models import Call

    org = make_org()
    now = timezone.now()
    old = Call.objects.create(organization=org, channel="phone", caller_number="+6281234567890",
                              started_at=now - dt.timedelta(days=800))
    new = Call.objects.create(organization=org, channel="phone", caller_number="+6281234567891",
                              started_at=now - dt.timedelta(days=5))
    call_command("purge_expired")
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.caller_number, new.caller_number) == ("", "+6281234567891")
    assert Call.objects.count() == 2
