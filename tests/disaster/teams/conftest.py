"""Fixtures for the team activation tests: two provinces' PMI organisations, their managers and volunteers
around Kota Mojokerto, a disaster event, and helpers to place volunteers and open activations."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from siaga.core.models import Membership, User
from siaga.disaster.models import AffectedArea, DisasterEvent, DisasterType
from siaga.disaster.volunteers.models import Skill, Volunteer
from siaga.geo.models import Region

# Kota Mojokerto's centre and points at known distances from it (1° of latitude is 111.2 km).
CENTRE = (-7.4722, 112.4338)
KEL = "35.76.01.1006"  # Prajuritkulon
_seq = itertools.count(1)


def north_of(km: float) -> tuple[float, float]:
    return CENTRE[0] + km / 111.195, CENTRE[1]


@pytest.fixture
def skills(db):
    """The seeded skills by code (migration 0003 of the volunteers app; created here if that is not applied)."""
    out = {}
    for code in ("first_aid", "water_rescue", "search_rescue", "logistics"):
        out[code], _ = Skill.objects.get_or_create(code=code, defaults={"name": code.replace("_", " ").title()})
    return out


def fast_user(role: str, org, scope_code: str = "") -> User:
    """A user acting through one membership, without a password (tests log in with force_login)."""
    user = User.objects.create_user(f"{role}{next(_seq)}-{org.pk}", password=None)
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


@pytest.fixture
def world(regions, make_org, actor_of, skills):
    """PMI Jawa Timur with its Kota Mojokerto branch (which leads a flood event), and PMI DKI Jakarta."""
    Region.objects.filter(code=KEL).update(lat=CENTRE[0], lng=CENTRE[1])
    # Seeded by a migration, but a transactional test before this one may have flushed it.
    DisasterType.objects.get_or_create(code="banjir", defaults={"name_id": "Banjir", "name_en": "Flood",
                                                                "group": "natural"})
    jatim = make_org(kind="pmi_province", region_code="35", name="PMI Jawa Timur")
    mjk = make_org(kind="pmi_branch", region_code="35.76", parent=jatim, name="PMI Kota Mojokerto")
    dki = make_org(kind="pmi_province", region_code="31", name="PMI DKI Jakarta")
    m_mjk = fast_user("disaster_manager", mjk, scope_code="35.76")
    m_dki = fast_user("disaster_manager", dki, scope_code="31")
    event = DisasterEvent.objects.create(organization=mjk, region_code="35.76", name="Banjir Kota Mojokerto",
                                         type_id="banjir", phase="emergency_response", started_at=timezone.now(),
                                         affected_region_codes=[KEL])
    AffectedArea.objects.create(event=event, region_code=KEL, level=4, name="Prajuritkulon", share=0.8)
    return {"jatim": jatim, "mjk": mjk, "dki": dki, "m_mjk": m_mjk, "m_dki": m_dki, "event": event,
            "a_mjk": actor_of(m_mjk), "a_dki": actor_of(m_dki), "skills": skills}


@pytest.fixture
def make_volunteer(world, actor_of):
    """make_volunteer(name, km_north=1, skills=("first_aid",), org=None, status="available", user=True)
    -> (volunteer, actor or None): a volunteer record at a known distance north of the centre."""

    def make(name=None, km_north=1.0, skills=("first_aid",), org=None, status="available", user=True,
             region_code=KEL, position=True):
        org = org or world["mjk"]
        n = next(_seq)
        lat, lon = north_of(km_north) if position else (None, None)
        u = fast_user("volunteer", org, scope_code=org.region_code) if user else None
        v = Volunteer.objects.create(organization=org, region_code=region_code, name=name or f"Relawan {n}",
                                     phone=f"+6281234500{n:03d}", lat=lat, lon=lon, status=status, user=u)
        v.skills.set([world["skills"][s] for s in skills])
        return v, (actor_of(u) if u else None)

    return make


@pytest.fixture
def activate(world):
    """activate(**kw) -> ActivationResult, by the Mojokerto manager for the flood event, meeting at the centre."""
    from siaga.disaster.teams import services

    def run(actor=None, event=None, **kw):
        params = {"number_needed": 2, "skill_codes": ["first_aid"], "max_travel_km": 20,
                  "meeting_lat": CENTRE[0], "meeting_lon": CENTRE[1], "meeting_text": "Kantor PMI"}
        params.update(kw)
        return services.activate(actor or world["a_mjk"], (event or world["event"]).pk, **params)

    return run
