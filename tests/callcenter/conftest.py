"""Call-center fixtures: the seeded taxonomy, Call Center 112 Kabupaten Mojokerto with its people and agencies."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from siaga.callcenter import services
from siaga.callcenter.models import IncidentType
from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core.models import Membership, User
from siaga.core.permissions import actor_for
from tests.conftest import client_for

# A point on the road in Jatirejo, Kabupaten Mojokerto (inside the sample region 35.16.01).
JATIREJO = (-7.5790, 112.4340)
MOBILE = "081234567890"
MOBILE_E164 = "+6281234567890"


@pytest.fixture
def taxonomy(db) -> dict[str, IncidentType]:
    """The seeded taxonomy (the data migration wrote it; seeding again changes nothing), by code."""
    seed_taxonomy()
    return {t.code: t for t in IncidentType.objects.all()}


def _square(lat: float, lng: float, half: float = 0.05) -> dict:
    ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half], [lng - half, lat + half],
            [lng - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def member(role: str, org, scope_code: str, username: str) -> User:
    """A user with one membership, without a password hash (tests log in with force_login): fast setup."""
    user = User.objects.create(username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


@pytest.fixture
def cc(regions, taxonomy, make_org):
    """Call Center 112 Kabupaten Mojokerto ("cc112", region 35.16) with a call-taker, a dispatcher,
    an administrator and the regency's PSC 119 and police; and the city's call center next door."""
    org = make_org(kind="cc112", region_code="35.16", name="Call Center 112 Kabupaten Mojokerto",
                   code="cc112-kab-mojokerto")
    psc = make_org(kind="psc119", region_code="35.16", name="PSC 119 Kabupaten Mojokerto")
    police = make_org(kind="police", region_code="35.16", name="Polres Mojokerto")
    other = make_org(kind="cc112", region_code="35.76", name="Call Center 112 Kota Mojokerto")
    users = {
        "call_taker": member("call_taker", org, "35.16", "penerima-112"),
        "dispatcher": member("dispatcher", org, "35.16", "dispatcher-112"),
        "admin": member("administrator", org, "35.16", "admin-112"),
        "leader": member("leader", org, "35.16", "pimpinan"),
        "psc_liaison": member("agency_liaison", psc, "35.16", "psc119"),
        "police_liaison": member("agency_liaison", police, "35.16", "polres"),
        "other_call_taker": member("call_taker", other, "35.76", "penerima-kota"),
    }

    def actor(name="call_taker"):
        return actor_for(users[name])

    def client(name="call_taker"):
        return client_for(users[name])

    def incident(type_code="kecelakaan-lalu-lintas", *, who="call_taker", lat=JATIREJO[0], lng=JATIREJO[1],
                 number=MOBILE, **kw):
        """A call from `number` turned into an incident through the services."""
        a = actor(who)
        call = services.start_call(a, channel="phone", caller_number=number)
        services.answer_call(a, call.pk)
        kw.setdefault("description", "Tabrakan motor dan mobil di jalan raya")
        return services.create_incident(a, type_code=type_code, call_id=call.pk, lat=lat, lng=lng, **kw)

    return SimpleNamespace(org=org, psc=psc, police=police, other=other, users=users, actor=actor, client=client,
                           incident=incident, types=taxonomy, square=_square)


@pytest.fixture
def boundary(regions):
    """Give the kecamatan Jatirejo (35.16.01) a square boundary around JATIREJO, so points there resolve to it."""
    region = regions["35.16.01"]
    region.boundary = _square(*JATIREJO)
    region.save()
    return region


def post(client, url, body=None, **headers):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def patch(client, url, body=None):
    return client.patch(url, data=json.dumps(body or {}), content_type="application/json")
