"""Fixtures for readiness tests: a small hand-made area (Kota Tangerang) with volunteers, stock, units, SOPs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.disaster.readiness import services
from siaga.disaster.volunteers.models import Skill, Volunteer

KEL = "36.71.01.1001"  # a kelurahan of Kota Tangerang
OTHER_KEL = "32.75.01.1001"  # Kota Bekasi

QUIZ = [
    {"question": "Nomor darurat nasional?", "options": ["112", "911", "999"], "answer": 0},
    {"question": "Korban tidak bernapas: mulai?", "options": ["Minum", "RJP"], "answer": 1},
    {"question": "Luka bakar didinginkan dengan?", "options": ["Air mengalir", "Es batu", "Pasta gigi"],
     "answer": 0},
    {"question": "Posisi pemulihan untuk korban?", "options": ["Tidak sadar bernapas", "Sadar"], "answer": 0},
]


def skill(code: str) -> Skill:
    return Skill.objects.get_or_create(code=code, defaults={"name": code})[0]


def volunteer(org, region_code=KEL, name="Relawan", **kw) -> Volunteer:
    return Volunteer.objects.create(organization=org, region_code=region_code, name=name, phone="+6281200000000",
                                    **kw)


@pytest.fixture
def area(regions, make_org, make_user, actor_of):
    """PMI Kota Tangerang with a manager and a volunteer user; Kota Bekasi's branch next door."""
    from siaga.geo.models import Region

    for code, name, level, parent in [("36.71.01", "Tangerang", 3, "36.71"), (KEL, "Sukasari", 4, "36.71.01"),
                                      ("32.75.01", "Bekasi Timur", 3, "32.75"),
                                      (OTHER_KEL, "Margahayu", 4, "32.75.01")]:
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent})
    org = make_org(kind="pmi_branch", region_code="36.71")
    other = make_org(kind="pmi_branch", region_code="32.75")
    manager = make_user("disaster_manager", org, scope_code="36.71")
    vol_user = make_user("volunteer", org, scope_code="36.71")
    return {"org": org, "other": other, "manager": manager, "vol_user": vol_user,
            "m": actor_of(manager), "v": actor_of(vol_user),
            "other_manager": actor_of(make_user("disaster_manager", other, scope_code="32.75"))}


@pytest.fixture
def module(area):
    return services.save_module(area["m"], code="pp-dasar", title="Pertolongan pertama dasar",
                                body="# Pembuka\nBaca ini.", quiz=QUIZ, pass_mark_percent=75, validity_months=12,
                                skill_code=skill("first_aid").code)


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)
