"""Fixtures for the referral tests: a call center in Kota Mojokerto, its agencies and their people, incidents."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from types import SimpleNamespace

import pytest
from django.utils import timezone

from siaga.callcenter import referrals
from siaga.callcenter.models import Incident, IncidentType, PriorityPolicy, Referral
from siaga.core.models import Membership, User
from siaga.core.permissions import actor_for
from tests.conftest import client_for

_numbers = itertools.count(1)

# (priority, ack deadline minutes, second escalation after minutes): the referral tests' own policy.
POLICIES = [(1, 2, 3), (2, 5, 5), (3, 10, 10), (4, 30, 30)]

TYPES = [
    # code, name, default priority, default agency kinds
    ("uji-kecelakaan", "Kecelakaan lalu lintas (uji)", 1, ["psc119", "police"]),
    ("uji-kebakaran", "Kebakaran (uji)", 2, ["fire"]),
    ("uji-pohon", "Pohon tumbang (uji)", 4, []),
]

KRANGGAN = "35.76.03.1001"  # a kelurahan in Kota Mojokerto


def seed_policies_and_types() -> dict[str, IncidentType]:
    for priority, ack, again in POLICIES:
        PriorityPolicy.objects.update_or_create(
            priority=priority,
            defaults={"response_target_minutes": 8 * priority, "ack_deadline_minutes": ack,
                      "escalate_again_minutes": again})
    types = {}
    for code, name, priority, kinds in TYPES:
        types[code], _ = IncidentType.objects.update_or_create(
            code=code, defaults={"name": name, "category": "Uji", "default_priority": priority,
                                 "default_agency_kinds": kinds})
    return types


def make_incident(organization, itype: IncidentType, *, region_code: str = KRANGGAN, priority: int | None = None,
                  description: str = "Tabrakan motor di depan pasar", status: str = "new", **extra) -> Incident:
    """An incident written straight to the table (the referral tests need no call or triage)."""
    priority = priority or itype.default_priority
    return Incident.objects.create(
        organization=organization, number=f"112-UJI-{next(_numbers):06d}", type=itype, priority=priority,
        suggested_priority=priority, tracking_token=secrets.token_urlsafe(24), created_at=timezone.now(),
        region_code=region_code, description=description, status=status, **extra)


def make_referral(incident: Incident, agency, *, status: str = "requested", minutes_ago: int = 0, **extra) -> Referral:
    """A referral written straight to the table, requested minutes_ago with the policy's deadline."""
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Referral.objects.create(incident=incident, agency=agency, status=status, requested_at=at,
                                   ack_deadline=referrals.ack_deadline_for(incident.priority, at), **extra)


def quick_user(role: str, org, *, scope_code: str = "", username: str, **extra) -> User:
    """A user with one membership and no password (tests log in with force_login): hashing costs ~0.25 s each."""
    user = User(username=f"{username}-{next(_numbers)}", **extra)
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


@pytest.fixture
def world(regions, make_org):
    """Call Center 112 Kota Mojokerto with PSC 119, police and fire of the city, and a police of the regency."""
    types = seed_policies_and_types()
    cc = make_org(kind="cc112", region_code="35.76", name="Call Center 112 Kota Mojokerto")
    psc = make_org(kind="psc119", region_code="35.76", name="PSC 119 Kota Mojokerto")
    police = make_org(kind="police", region_code="35.76", name="Polres Mojokerto Kota")
    fire = make_org(kind="fire", region_code="35.76", name="Damkar Kota Mojokerto")
    regency_police = make_org(kind="police", region_code="35.16", name="Polres Mojokerto")
    people = {
        "call_taker": quick_user("call_taker", cc, scope_code="35.76", username="penerima"),
        "dispatcher": quick_user("dispatcher", cc, scope_code="35.76", username="dispatcher"),
        "cc_admin": quick_user("administrator", cc, scope_code="35.76", username="spv-cc", phone="+6281211110001"),
        "psc_liaison": quick_user("agency_liaison", psc, scope_code="35.76", username="psc"),
        "psc_admin": quick_user("administrator", psc, scope_code="35.76", username="spv-psc", phone="+6281211110002"),
        "police_liaison": quick_user("agency_liaison", police, scope_code="35.76", username="polisi"),
        "fire_liaison": quick_user("agency_liaison", fire, scope_code="35.76", username="damkar"),
    }
    w = SimpleNamespace(types=types, cc=cc, psc=psc, police=police, fire=fire, regency_police=regency_police,
                        users=people)
    w.actor = lambda key: actor_for(people[key])
    w.client = lambda key: client_for(people[key])
    w.incident = lambda type_code="uji-kecelakaan", **kw: make_incident(cc, types[type_code], **kw)
    return w
