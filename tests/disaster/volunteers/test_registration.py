"""Registration: NIK, phone and kelurahan checks, duplicates refused in the same organisation, matches opened across."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, ServiceError
from siaga.core.models import AuditLog
from siaga.core.permissions import PermissionDenied
from siaga.disaster.volunteers.models import MatchCandidate, Volunteer

from .conftest import KEL_BKS, KEL_MJK, KEL_MJK_2, nik

pytestmark = pytest.mark.usefixtures("english")


def test_it_registers_with_normalised_phone_masked_nik_and_birth_date_from_nik(world, reg, capture_events):
    with capture_events() as evs:
        res = reg(world["a_mjk"], name="Hj. Siti Aminah, Amd.Kep", nik=nik(female=True, serial=7),
                  phone="0812 3456 7890", skills=["first_aid", "psychosocial"], blood_abo="O", blood_rhd="pos")
    v = Volunteer.objects.get(pk=res.volunteer.pk)
    assert v.phone == "+6281234567890"
    assert v.nik_masked == "3576********0007"
    assert v.nik_hash and "3576015205900007" not in str(v.__dict__.values())
    assert (v.birth_date, v.sex) == (dt.date(1990, 5, 12), "F")
    assert v.organization == world["mojokerto"] and v.blood_group == "O+"
    assert v.name_key == "siti aminah"
    assert sorted(v.skills.values_list("code", flat=True)) == ["first_aid", "psychosocial"]
    assert (v.lat, v.lon) == (None, None) or v.lat is not None
    assert [e["type"] for e in evs] == ["volunteer.registered"]
    assert evs[0]["organization_id"] == world["mojokerto"].pk and evs[0]["region_code"] == KEL_MJK
    assert AuditLog.objects.filter(model="disaster_volunteers.volunteer", object_id=str(v.pk), action="create").exists()


@pytest.mark.parametrize("bad, code", [
    ("357601120590000", "nik_format"),  # 15 digits
    ("3576013205900001", "nik_birth_date"),  # day 32
    ("3576011205900000", "nik_serial"),
    ("3599011205900001", "nik_region"),  # kab/kota 35.99 does not exist
    ("3576091205900001", "nik_region"),  # kecamatan 35.76.09 does not exist
])
def test_it_refuses_an_invalid_nik_and_writes_nothing(world, reg, bad, code):
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], nik=bad)
    assert exc.value.code == code and exc.value.details["field"] == "nik"
    assert not Volunteer.objects.exists()


def test_it_refuses_a_birth_date_or_sex_that_contradicts_the_nik(world, reg):
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], birth_date=dt.date(1991, 5, 12))
    assert exc.value.code == "nik_birth_date_mismatch"
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], sex="F")
    assert exc.value.code == "nik_sex_mismatch"


@pytest.mark.parametrize("phone", ["", "12345", "0812-ABC", "+62 21"])
def test_it_refuses_a_phone_that_is_not_a_number(world, reg, phone):
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], phone=phone)
    assert exc.value.code == "invalid_phone" and exc.value.details["field"] == "phone"


def test_home_region_must_be_a_known_kelurahan_inside_the_area(world, reg):
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], region_code="35.76.01.9999")
    assert exc.value.code == "unknown_region"
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], region_code="35.76.01")  # a kecamatan
    assert exc.value.code == "region_not_kelurahan"
    with pytest.raises(PermissionDenied):
        reg(world["a_mjk"], region_code=KEL_BKS)  # Bekasi is outside Kota Mojokerto
    assert not Volunteer.objects.exists()


def test_unknown_skill_and_blood_group_are_refused(world, reg):
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], skills=["juggling"])
    assert exc.value.code == "unknown_skill"
    with pytest.raises(ServiceError) as exc:
        reg(world["a_mjk"], blood_abo="C")
    assert exc.value.code == "invalid_blood_group"
    assert not Volunteer.objects.exists()


def test_a_volunteer_cannot_register_others(world, reg, make_user, actor_of):
    vol_user = make_user("volunteer", world["mojokerto"], scope_code="35.76")
    with pytest.raises(PermissionDenied):
        reg(actor_of(vol_user))


def test_same_nik_in_same_organisation_is_refused_with_nothing_changed(world, reg, capture_events):
    first = reg(world["a_mjk"]).volunteer
    n_audit = AuditLog.objects.count()
    with capture_events() as evs, pytest.raises(Conflict) as exc:
        reg(world["a_mjk"], name="Soeparman", nik="3576-0112-0590-0001", phone="081399990000")
    assert exc.value.code == "duplicate_nik" and exc.value.details["volunteer_id"] == first.pk
    assert "already registered" in exc.value.message
    assert Volunteer.objects.count() == 1 and not MatchCandidate.objects.exists()
    assert AuditLog.objects.count() == n_audit and evs == []


def test_same_nik_in_another_province_registers_and_opens_a_candidate(world, reg, capture_events):
    mine = reg(world["a_mjk"], name="Soeparman").volunteer
    with capture_events() as evs:
        res = reg(world["a_jabar"], name="Suparman S.", region_code=KEL_BKS, phone="081299998888")
    assert res.volunteer.organization == world["jabar"]
    [cand] = res.candidates
    assert (cand.volunteer, cand.other, cand.score) == (res.volunteer, mine, 100)
    assert "nik_equal" in cand.reasons
    opened = [e for e in evs if e["type"] == "volunteer.match_opened"]
    assert opened and opened[0]["shared_with"] == [world["mojokerto"].pk]
    assert [e for e in evs if e["type"] == "volunteer.registered"][0]["payload"]["match_candidates"] == 1


def test_same_phone_opens_a_candidate_even_with_another_name(world, reg):
    reg(world["a_mjk"], name="Budi Santoso")
    res = reg(world["a_mjk"], name="Sutrisno", nik=nik(serial=2, day=1, month=1, year=85), region_code=KEL_MJK_2)
    [cand] = res.candidates
    assert "phone_equal" in cand.reasons and "nik_differs" in cand.reasons


def test_fuzzy_name_with_same_birth_date_opens_a_candidate_across_provinces(world, reg):
    reg(world["a_mjk"], name="Djoko Soesilo")
    res = reg(world["a_jabar"], name="Bpk Joko Susilo", nik=nik(district="327501", serial=9), region_code=KEL_BKS,
              phone="081277776666")
    [cand] = res.candidates
    assert {"spelling_variant", "birth_date_equal", "titles_removed"} <= set(cand.reasons)


def test_fuzzy_name_in_same_kelurahan_opens_a_candidate(world, reg):
    reg(world["a_mjk"], name="Suparman")
    res = reg(world["a_jatim"], name="Suparman Hadi", nik=nik(serial=3, day=3, month=3, year=80), phone="081255554444")
    [cand] = res.candidates
    assert {"mononym", "same_kelurahan"} <= set(cand.reasons)


def test_a_different_person_opens_no_candidate(world, reg):
    reg(world["a_mjk"], name="Suparman")
    res = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=4), phone="081233332222")
    assert res.candidates == [] and not MatchCandidate.objects.exists()


def test_registering_for_an_organisation_outside_the_actor_is_refused(world, reg):
    from siaga.core.errors import NotFound

    with pytest.raises(NotFound):
        reg(world["a_mjk"], organization=world["jabar"].pk)
    # A province manager registers for its branch.
    res = reg(world["a_jatim"], organization=world["mojokerto"].pk)
    assert res.volunteer.organization == world["mojokerto"]


def test_correcting_a_record_looks_for_matches_again_and_keeps_nik_unique(world, reg):
    from siaga.disaster.volunteers import services

    first = reg(world["a_mjk"], name="Suparman").volunteer
    other = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=4), phone="081233332222").volunteer
    assert not MatchCandidate.objects.exists()
    with pytest.raises(Conflict):
        services.update_volunteer(world["a_mjk"], other.pk, nik=nik())  # first's NIK
    services.update_volunteer(world["a_mjk"], other.pk, phone="0812-3456-7890")  # first's phone
    cand = MatchCandidate.objects.get()
    assert {cand.volunteer_id, cand.other_id} == {first.pk, other.pk} and "phone_equal" in cand.reasons
