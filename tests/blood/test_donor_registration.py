"""Registering donors: NIK validated and kept hashed for look-up, duplicates refused, phones in E.164, permissions."""

import datetime as dt

import pytest

from siaga.blood import services
from siaga.blood.models import Donor
from siaga.core.errors import Conflict, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied

from .conftest import nik_for


def register(actor, **kw):
    args = dict(nik=nik_for(dt.date(1990, 5, 17), serial=4321), name="Budi Santoso", sex="M",
                birth_date=dt.date(1990, 5, 17), phone="0812-3456-7890")
    args.update(kw)
    return services.register_donor(actor, **args)


def test_it_registers_a_donor_with_e164_phone_hash_and_audit(blood, capture_events):
    with capture_events() as evs:
        donor = register(blood.officer)
    assert donor.phone == "+6281234567890"
    assert donor.nik_hash and donor.nik_hash != donor.nik
    assert donor.nik_masked == "3576********4321"
    assert donor.organization == blood.pmi and donor.site == blood.udd
    assert donor.number.startswith("D")
    assert AuditLog.objects.filter(model="blood.donor", object_id=str(donor.pk), action="create").exists()
    assert [e["type"] for e in evs] == ["blood.donor.registered"]


def test_it_finds_a_donor_by_nik_through_the_hash(blood):
    donor = register(blood.officer)
    assert services.find_donor_by_nik(blood.officer, donor.nik) == donor
    assert services.find_donor_by_nik(blood.officer, nik_for(dt.date(1990, 5, 17), serial=9999)) is None


def test_it_refuses_the_same_nik_twice_and_names_the_existing_donor(blood):
    donor = register(blood.officer)
    with pytest.raises(Conflict) as exc:
        register(blood.officer, name="Budi S.")
    assert exc.value.code == "duplicate_donor"
    assert exc.value.details == {"donor_id": donor.pk}
    assert Donor.objects.count() == 1


def test_it_lists_possible_duplicates_by_name_or_phone_and_birth_date(blood):
    donor = register(blood.officer)
    found = services.possible_duplicates(blood.officer, name="budi santoso", birth_date=dt.date(1990, 5, 17))
    assert found == [donor]
    assert services.possible_duplicates(blood.officer, name="Other", birth_date=dt.date(1990, 5, 17),
                                        phone="+6281234567890") == [donor]


@pytest.mark.parametrize("kw,code", [
    ({"nik": "123"}, "invalid_nik"),
    ({"birth_date": dt.date(1991, 5, 17)}, "nik_birth_date_mismatch"),
    ({"sex": "F"}, "nik_sex_mismatch"),
    ({"phone": "12"}, "invalid_phone"),
    ({"abo": "C"}, "invalid_choice"),
    ({"home_region_code": "99.99"}, "unknown_region"),
])
def test_it_refuses_bad_input_and_writes_nothing(blood, kw, code):
    with pytest.raises(ServiceError) as exc:
        register(blood.officer, **kw)
    assert exc.value.code == code
    assert not Donor.objects.exists()


def test_a_hospital_officer_cannot_register_donors(blood):
    with pytest.raises(PermissionDenied):
        register(blood.hospital_officer)


def test_a_confirmed_group_cannot_be_typed_over(blood):
    donor = register(blood.officer, abo="A", rhd="pos")
    services.update_donor(blood.officer, donor.pk, abo="B")
    Donor.objects.filter(pk=donor.pk).update(group_confirmed=True)
    with pytest.raises(ServiceError) as exc:
        services.update_donor(blood.officer, donor.pk, abo="O")
    assert exc.value.code == "group_confirmed"


def test_another_udd_does_not_see_the_donor(blood, make_org, make_user, actor_of):
    donor = register(blood.officer)
    other = make_org(kind="udd", region_code="35.76")
    other_actor = actor_of(make_user("blood_bank_officer", other, scope_code="35.76"))
    assert not services.visible_donors(other_actor).filter(pk=donor.pk).exists()
    assert services.find_donor_by_nik(other_actor, donor.nik) is None
