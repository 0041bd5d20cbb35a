"""Device and system API tokens."""

import pytest
from django.test import Client
from django.utils import timezone

from siaga.core import tokens

pytestmark = pytest.mark.django_db


def test_a_token_acts_as_its_membership(make_org, make_user):
    org = make_org(region_code="35.76")
    user = make_user("ambulance_crew", org, scope_code="35.76")
    tok, raw = tokens.issue(user.memberships.get(), "tracker AB-1234")
    r = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 200
    assert r.json()["role"] == "ambulance_crew"
    assert tok.token_hash != raw and raw not in tok.token_hash


def test_revoked_and_unknown_tokens_are_refused(make_org, make_user):
    user = make_user("ambulance_crew", make_org())
    tok, raw = tokens.issue(user.memberships.get(), "tracker")
    tok.revoked_at = timezone.now()
    tok.save()
    for value in (raw, "sg_nonsense", "garbage"):
        r = Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {value}")
        assert r.status_code == 401
        assert "error" in r.json()
