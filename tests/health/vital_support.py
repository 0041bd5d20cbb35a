"""Vital-event fixtures: facilities and Dukcapil offices in Kota and Kabupaten Mojokerto, with their staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from siaga.core.permissions import actor_for
from siaga.health import vital

from .conftest import make_nik

BORN_AT = timezone.make_aware(dt.datetime(2025, 3, 1, 8, 30))


@dataclass
class Vital:
    orgs: dict
    users: dict = field(default_factory=dict)

    def actor(self, name: str):
        return actor_for(self.users[name])

    def birth(self, who="facility", **over):
        data = {"mother_name": "Siti Aminah", "mother_nik": make_nik(dt.date(1995, 6, 2), "F"),
                "child_name": "Bayi Ny. Siti", "sex": "F", "born_at": BORN_AT, "place": "Puskesmas Kranggan",
                "birth_attendant": "midwife", "weight_g": 3100}
        data.update(over)
        return vital.notify(self.actor(who), kind="birth", **data)

    def death(self, who="facility", **over):
        data = {"person_name": "Budi Santoso", "nik": make_nik(dt.date(1950, 1, 20), "M"), "sex": "M",
                "birth_date": dt.date(1950, 1, 20), "died_at": BORN_AT, "place": "RSUD", "cause_category": "I00-I99"}
        data.update(over)
        return vital.notify(self.actor(who), kind="death", **data)


@pytest.fixture
def vx(db, regions, make_org, make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    o = {
        "facility": make_org(kind="puskesmas", region_code="35.76.03", name="Puskesmas Kranggan"),
        "hospital": make_org(kind="hospital", region_code="35.76", name="RSUD Kota Mojokerto"),
        "other_facility": make_org(kind="puskesmas", region_code="35.16.01", name="Puskesmas Jatirejo"),
        "dukcapil": make_org(kind="dukcapil", region_code="35.76", name="Dukcapil Kota Mojokerto"),
        "other_dukcapil": make_org(kind="dukcapil", region_code="35.16", name="Dukcapil Kabupaten Mojokerto"),
        "province_dukcapil": make_org(kind="dukcapil", region_code="35", name="Dukcapil Jawa Timur"),
    }
    o["posyandu"] = make_org(kind="posyandu", region_code="35.76.03.1001", parent=o["facility"])
    v = Vital(orgs=o)
    v.users["facility"] = make_user("kader", o["facility"], scope_code="35.76")
    v.users["hospital"] = make_user("kader", o["hospital"], scope_code="35.76")
    v.users["other_facility"] = make_user("kader", o["other_facility"], scope_code="35.16")
    v.users["posyandu"] = make_user("kader", o["posyandu"], scope_code="35.76")
    v.users["cro"] = make_user("civil_registration_officer", o["dukcapil"], scope_code="35.76")
    v.users["other_cro"] = make_user("civil_registration_officer", o["other_dukcapil"], scope_code="35.16")
    v.users["leader"] = make_user("leader", o["facility"], scope_code="35.76")
    return v
