"""The administrator's token page: issue with scopes (raw token shown once), rotate, revoke; others refused."""

import re

import pytest
from django.test import Client

from siaga.core import tokens
from siaga.core.models import ApiToken


@pytest.fixture
def people(orgs, make_user):
    admin = make_user("administrator", orgs["mine"], scope_code="35.76")
    crew = make_user("ambulance_crew", orgs["mine"], scope_code="35.76")
    return admin, crew


def test_issue_shows_the_raw_token_once_and_it_works_only_within_scope(people, login, markup):
    admin, crew = people
    c = login(admin)
    r = c.post("/akun/token/", {"action": "issue", "membership": crew.memberships.get().pk,
                                 "name": "Pelacak S 1234 AB", "scopes": ["position.create"], "expires_in_days": "30"})
    assert r.status_code == 200
    html = r.content.decode()
    tok = ApiToken.objects.get()
    assert not markup(html).inline_scripts and not markup(html).handlers
    raw = re.search(r"<code data-raw-token>([^<]+)</code>", html).group(1)
    assert raw.startswith("sg_") and tokens.resolve(raw).pk == tok.pk
    assert tok.scopes == ["position.create"]
    again = c.get("/akun/token/").content.decode()
    assert raw not in again and f'data-token="{tok.pk}"' in again


def test_a_scope_outside_the_role_is_refused_in_indonesian(people, login):
    admin, crew = people
    r = login(admin).post("/akun/token/", {"action": "issue", "membership": crew.memberships.get().pk,
                                          "name": "x", "scopes": ["blood.manage"]})
    assert r.status_code == 400
    body = r.content.decode()
    assert "blood.manage" in body
    assert "tidak memiliki izin berikut, sehingga token juga tidak dapat" in body  # the refusal, in Indonesian
    assert "does not have these permissions" not in body
    assert not ApiToken.objects.exists()


def test_rotate_then_revoke_from_the_page(people, login):
    admin, crew = people
    old, old_raw = tokens.issue(crew.memberships.get(), "Pelacak", scopes=["position.create"])
    c = login(admin)
    r = c.post("/akun/token/", {"action": "rotate", "token": old.pk, "grace_hours": "0"})
    assert r.status_code == 200
    new = ApiToken.objects.get(replaces=old)
    assert tokens.resolve(old_raw) is None
    r = c.post("/akun/token/", {"action": "revoke", "token": new.pk})
    assert r.status_code == 302
    new.refresh_from_db()
    assert new.revoked_at is not None


def test_other_roles_and_other_organisations_are_refused(people, orgs, make_user, login):
    admin, crew = people
    assert login(crew).get("/akun/token/").status_code == 403
    theirs_user = make_user("ambulance_crew", orgs["theirs"])
    theirs, _raw = tokens.issue(theirs_user.memberships.get(), "Pelacak mereka")
    c = login(admin)
    assert "Pelacak mereka" not in c.get("/akun/token/").content.decode()
    r = c.post("/akun/token/", {"action": "revoke", "token": theirs.pk})
    assert r.status_code == 400
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert Client().get("/akun/token/").status_code == 302
