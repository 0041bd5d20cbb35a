"""Registering persons: NIK checked, duplicates refused wherever they are, only at one's own posyandu."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.health import services
from siaga.health.models import Person

from .conftest import make_nik

pytestmark = pytest.mark.django_db


def test_a_kader_registers_a_child_at_their_posyandu(hx, capture_events):
    with capture_events() as evs:
        p = hx.child()
    assert p.posyandu == hx.posyandu and p.organization_id == hx.posyandu_org.pk
    assert p.region_code == "35.76.01.1006" and p.sex == "F"
    assert p.nik_masked.startswith("3576") and "*" in p.nik_masked
    assert [e["type"] for e in evs] == ["health.person_registered"]
    assert "nik" not in str(evs[0]["payload"]).lower()


def test_the_audit_trail_never_holds_the_nik(hx):
    p = hx.child()
    rec = AuditLog.objects.get(model="health.person", object_id=str(p.pk))
    assert p.nik not in str(rec.changes) and p.nik_hash not in str(rec.changes)


def test_the_same_nik_twice_is_refused(hx):
    born = dt.date(2024, 1, 5)
    value = make_nik(born, "M")
    services.register_person(hx.actor(), posyandu_id=hx.posyandu.pk, name="Budi", sex="L", birth_date=born, nik=value)
    with pytest.raises(Conflict) as exc:
        services.register_person(hx.actor(), posyandu_id=hx.posyandu.pk, name="Budi S", sex="L", birth_date=born,
                                 nik=value)
    assert exc.value.code == "duplicate_nik" and "person_id" in exc.value.details


def test_a_duplicate_at_another_posyandu_is_refused_without_saying_who(hx):
    born = dt.date(2024, 1, 5)
    value = make_nik(born, "M")
    services.register_person(hx.actor("other_kader"), posyandu_id=hx.other_posyandu.pk, name="Budi", sex="L",
                             birth_date=born, nik=value)
    with pytest.raises(Conflict) as exc:
        services.register_person(hx.actor(), posyandu_id=hx.posyandu.pk, name="Budi", sex="L", birth_date=born,
                                 nik=value)
    assert exc.value.details == {"elsewhere": True}


def test_a_kader_cannot_register_at_another_posyandu(hx):
    with pytest.raises(NotFound):
        services.register_person(hx.actor(), posyandu_id=hx.other_posyandu.pk, name="X", sex="P",
                                 birth_date=dt.date(2024, 1, 1))
    assert not Person.objects.exists()


def test_a_leader_cannot_register(hx):
    with pytest.raises(PermissionDenied):
        services.register_person(hx.actor("leader"), posyandu_id=hx.posyandu.pk, name="X", sex="P",
                                 birth_date=dt.date(2024, 1, 1))


def test_a_future_birth_date_is_refused(hx):
    with pytest.raises(ServiceError) as exc:
        services.register_person(hx.actor(), posyandu_id=hx.posyandu.pk, name="X", sex="P",
                                 birth_date=services.today_local() + dt.timedelta(days=2))
    assert exc.value.code == "future_date"


def test_a_nik_that_contradicts_the_birth_date_is_refused(hx):
    with pytest.raises(ServiceError) as exc:
        services.register_person(hx.actor(), posyandu_id=hx.posyandu.pk, name="X", sex="P",
                                 birth_date=dt.date(2024, 1, 1), nik=make_nik(dt.date(2024, 1, 2), "F"))
    assert exc.value.code == "nik_birth_date_mismatch"


def test_a_newborn_without_nik_can_be_registered_and_many_may_lack_one(hx):
    a = hx.child(name="Bayi A", nik=False)
    b = hx.child(name="Bayi B", nik=False)
    assert a.nik == b.nik == "" and a.nik_hash == ""


def test_find_by_nik_sees_only_visible_persons(hx):
    p = hx.child()
    assert services.find_by_nik(hx.actor(), p.nik) == p
    assert services.find_by_nik(hx.actor("other_kader"), p.nik) is None
    assert services.find_by_nik(hx.actor("puskesmas_kader"), p.nik) == p
