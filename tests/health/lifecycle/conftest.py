"""Life-cycle fixtures: the health fixtures (hx) plus a puskesmas health worker and a mother registered at Melati."""

import datetime as dt

import pytest

from siaga.health import services
from tests.health.conftest import make_nik


@pytest.fixture
def lx(hx):
    hx.users["midwife"] = hx.make_user("health_worker", hx.puskesmas, scope_code="35.76")
    return hx


def register_woman(hx, name="Siti", birth_date=dt.date(1995, 6, 1), posyandu=None, actor=None):
    posyandu = posyandu or hx.posyandu
    actor = actor or (hx.actor("kader") if posyandu == hx.posyandu else hx.actor("other_kader"))
    return services.register_person(actor, posyandu_id=posyandu.pk, name=name, sex="F", birth_date=birth_date,
                                    nik=make_nik(birth_date, "F"))


TODAY = dt.date(2025, 10, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """Hand-picked dates need a fixed today, in every zone: the services refuse dates after it."""
    monkeypatch.setattr(services, "today_local", lambda region_code="": TODAY)
    monkeypatch.setattr(services, "latest_allowed_date", lambda: TODAY)
    return TODAY
