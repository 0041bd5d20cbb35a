"""Health fixtures: a puskesmas with two posyandu in Kota Mojokerto, their kader, and NIKs that pass the checks."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import pytest

from siaga.core.permissions import actor_for, system_actor
from siaga.health import services
from siaga.health.models import Posyandu

_serial = itertools.count(1)


def make_nik(birth_date: dt.date, sex: str, district: str = "357601", serial: int | None = None) -> str:
    """A NIK that passes every check: issued in Prajuritkulon (35.76.01), day + 40 for women."""
    day = birth_date.day + (40 if sex == "F" else 0)
    serial = next(_serial) if serial is None else serial
    return f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


@dataclass
class Health:
    make_user: object
    puskesmas: object
    posyandu_org: object
    other_org: object
    posyandu: Posyandu
    other_posyandu: Posyandu
    users: dict = field(default_factory=dict)

    def user(self, name: str):
        return self.users[name]

    def actor(self, name: str = "kader"):
        return actor_for(self.users[name])

    def child(self, name="Aisyah", sex="F", birth_date=dt.date(2024, 3, 15), posyandu=None, actor=None, nik=True):
        posyandu = posyandu or self.posyandu
        return services.register_person(
            actor or (self.actor("kader") if posyandu == self.posyandu else self.actor("other_kader")),
            posyandu_id=posyandu.pk, name=name, sex=sex, birth_date=birth_date,
            nik=make_nik(birth_date, sex) if nik else "")


@pytest.fixture
def hx(db, regions, make_org, make_user):
    puskesmas = make_org(kind="puskesmas", region_code="35.76", name="Puskesmas Kranggan")
    posyandu_org = make_org(kind="posyandu", region_code="35.76.01.1006", parent=puskesmas,
                            name="Posyandu Melati")
    other_org = make_org(kind="posyandu", region_code="35.76.03.1001", parent=puskesmas, name="Posyandu Mawar")
    admin = system_actor()
    p1 = services.create_posyandu(admin, organization_id=posyandu_org.pk, name="Posyandu Melati",
                                  region_code="35.76.01.1006", schedule_week_of_month=2, schedule_weekday=1)
    p2 = services.create_posyandu(admin, organization_id=other_org.pk, name="Posyandu Mawar",
                                  region_code="35.76.03.1001", schedule_day_of_month=10)
    h = Health(make_user=make_user, puskesmas=puskesmas, posyandu_org=posyandu_org, other_org=other_org,
               posyandu=p1, other_posyandu=p2)
    h.users["kader"] = make_user("kader", posyandu_org, scope_code="35.76")
    h.users["other_kader"] = make_user("kader", other_org, scope_code="35.76")
    h.users["puskesmas_kader"] = make_user("kader", puskesmas, scope_code="35.76")
    h.users["leader"] = make_user("leader", puskesmas, scope_code="35.76")
    return h


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made in every health test; the production hasher's cost only slows them down here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
