"""Volunteer API: list with masked NIK, filters and status counts; register; update; status; certificates; queue."""

import datetime as dt
import json

import pytest

from siaga.disaster.volunteers import services
from siaga.disaster.volunteers.models import Certificate, MatchCandidate, Volunteer
from tests.conftest import client_for

from .conftest import KEL_BKS, KEL_MJK, KEL_MJK_2, nik

pytestmark = pytest.mark.usefixtures("english")
BASE = "/api/disaster/volunteers"


def post(c, url, body, method="post"):
    return getattr(c, method)(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def roster(world, reg):
    a = reg(world["a_mjk"], name="Suparman", skills=["first_aid"]).volunteer
    b = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=2), phone="081233332222",
            region_code=KEL_MJK_2, skills=["water_rescue"]).volunteer
    services.set_status(world["a_mjk"], b, "deployed")
    c = reg(world["a_jabar"], name="Dewi Lestari", nik=nik(district="327501", female=True, serial=3),
            phone="081244443333", region_code=KEL_BKS).volunteer
    return {"a": a, "b": b, "c": c}


def test_list_masks_nik_counts_statuses_and_filters(world, roster):
    c = client_for(world["m_mjk"])
    body = c.get(BASE).json()
    assert {i["name"] for i in body["items"]} == {"Suparman", "Siti Rahayu"}
    assert body["status_counts"] == {"available": 1, "deployed": 1, "resting": 0, "unavailable": 0}
    item = next(i for i in body["items"] if i["name"] == "Suparman")
    assert item["nik_masked"] == "3576********0001" and "nik" not in item
    assert [i["name"] for i in c.get(BASE + "?status=deployed").json()["items"]] == ["Siti Rahayu"]
    assert [i["name"] for i in c.get(BASE + "?skill=first_aid").json()["items"]] == ["Suparman"]
    assert [i["name"] for i in c.get(BASE + f"?region={KEL_MJK_2}").json()["items"]] == ["Siti Rahayu"]
    assert [i["name"] for i in c.get(BASE + "?q=Soeparman").json()["items"]] == ["Suparman"]
    assert c.get(BASE + "?status=holiday").status_code == 400


def test_a_province_manager_sees_its_branches_volunteers(world, roster):
    names = {i["name"] for i in client_for(world["m_jatim"]).get(BASE).json()["items"]}
    assert names == {"Suparman", "Siti Rahayu"}


def test_register_through_the_api_and_duplicate_is_409(world):
    c = client_for(world["m_mjk"])
    body = {"name": "Bpk. Joko Susilo", "nik": nik(serial=8), "phone": "+62 812 1111 2222", "region_code": KEL_MJK,
            "skills": ["logistics"], "blood_abo": "B", "blood_rhd": "neg"}
    r = post(c, BASE, body)
    assert r.status_code == 201, r.content
    v = r.json()["volunteer"]
    assert v["phone"] == "+6281211112222" and v["blood_group"] == "B-" and v["skills"][0]["code"] == "logistics"
    again = post(c, BASE, body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_nik"
    assert Volunteer.objects.count() == 1


def test_register_refusals_are_clear_json_errors(world):
    c = client_for(world["m_mjk"])
    r = post(c, BASE, {"name": "Joko", "nik": "123", "phone": "0812", "region_code": KEL_MJK})
    assert r.status_code == 400 and r.json()["error"]["code"] == "nik_format"
    assert r.json()["error"]["details"]["field"] == "nik"


def test_update_and_status_through_the_api(world, roster):
    c = client_for(world["m_mjk"])
    a = roster["a"]
    r = post(c, f"{BASE}/{a.pk}", {"availability_notes": "Akhir pekan", "skills": ["first_aid", "assessment"]},
             method="patch")
    assert r.status_code == 200, r.content
    assert {s["code"] for s in r.json()["skills"]} == {"first_aid", "assessment"}
    r = post(c, f"{BASE}/{a.pk}/status", {"status": "resting", "reason": "Istirahat"})
    assert r.status_code == 200 and r.json()["status"] == "resting"
    assert post(c, f"{BASE}/{a.pk}/status", {"status": "sleeping"}).status_code == 422


def test_certificates_crud_with_validity(world, roster):
    c = client_for(world["m_mjk"])
    a = roster["a"]
    r = post(c, f"{BASE}/{a.pk}/certificates", {"name": "Pertolongan Pertama", "skill": "first_aid",
                                                 "issued_on": "2024-01-01", "expires_on": "2025-01-01"})
    assert r.status_code == 201, r.content
    cert = r.json()
    assert cert["valid"] is False  # expired
    r = post(c, f"{BASE}/certificates/{cert['id']}", {"expires_on": "2099-01-01"}, method="patch")
    assert r.status_code == 200 and r.json()["valid"] is True
    assert c.get(f"{BASE}/{a.pk}").json()["valid_certificates"] == 1
    bad = post(c, f"{BASE}/{a.pk}/certificates", {"name": "X-ray", "issued_on": "2024-01-01", "expires_on": "2023-01-01"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "expiry_before_issue"
    assert c.delete(f"{BASE}/certificates/{cert['id']}").status_code == 204
    assert not Certificate.objects.exists()


def test_certified_only_filter_counts_valid_certificates(world, roster):
    today = dt.date.today()
    services.add_certificate(world["a_mjk"], roster["a"].pk, name="PP", skill="first_aid",
                             issued_on=today - dt.timedelta(days=400), expires_on=today - dt.timedelta(days=1))
    c = client_for(world["m_mjk"])
    assert c.get(BASE + "?skill=first_aid&certified_only=true").json()["items"] == []
    services.add_certificate(world["a_mjk"], roster["a"].pk, name="PP 2", skill="first_aid",
                             issued_on=today - dt.timedelta(days=10))
    assert [i["name"] for i in c.get(BASE + "?skill=first_aid&certified_only=true").json()["items"]] == ["Suparman"]


def test_a_volunteer_sees_only_their_own_record(world, reg, make_user):
    user = make_user("volunteer", world["mojokerto"], scope_code="35.76")
    mine = reg(world["a_mjk"], user_id=user.pk).volunteer
    other = reg(world["a_mjk"], name="Siti Rahayu", nik=nik(female=True, serial=2), phone="081233332222").volunteer
    c = client_for(user)
    assert c.get(BASE + "/me").json()["id"] == mine.pk
    assert [i["id"] for i in c.get(BASE).json()["items"]] == [mine.pk]
    assert c.get(f"{BASE}/{other.pk}").status_code == 404
    assert c.get(BASE + "/candidates").status_code == 403
    r = post(c, f"{BASE}/{mine.pk}", {"availability_notes": "Malam saja"}, method="patch")
    assert r.status_code == 200 and r.json()["availability_notes"] == "Malam saja"
    assert post(c, f"{BASE}/{mine.pk}", {"name": "Orang lain"}, method="patch").status_code == 403
    assert post(c, f"{BASE}/{mine.pk}/certificates", {"name": "Palsu", "issued_on": "2025-01-01"}).status_code == 403
    assert post(c, BASE, {"name": "Xaverius", "nik": nik(serial=9), "phone": "081255556666",
                          "region_code": KEL_MJK}).status_code == 403


def test_me_without_a_record_is_404(world):
    assert client_for(world["m_mjk"]).get(BASE + "/me").status_code == 404


def test_candidate_queue_shows_the_other_province_minimally_and_merges(world, reg):
    mine = reg(world["a_mjk"], name="Soeparman").volunteer
    theirs = reg(world["a_jabar"], name="Suparman", region_code=KEL_BKS, phone="081299998888").volunteer
    c = client_for(world["m_mjk"])
    [item] = c.get(BASE + "/candidates").json()["items"]
    other = item["other"] if item["other"]["id"] == theirs.pk else item["volunteer"]
    assert other["own"] is False and other["phone"].count("*") > 0 and other["skills"] == []
    assert "nik_equal" in item["reasons"] and item["reason_labels"]
    # The other province's record is still not readable directly.
    assert c.get(f"{BASE}/{theirs.pk}").status_code == 404
    r = post(c, f"{BASE}/candidates/{item['id']}/merge", {"keep_id": theirs.pk})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "merged" and r.json()["kept_id"] == theirs.pk
    assert Volunteer.objects.get(pk=mine.pk).merged_into_id == theirs.pk
    assert post(c, f"{BASE}/candidates/{item['id']}/dismiss", {}).status_code == 409
    assert MatchCandidate.objects.get(pk=item["id"]).status == "merged"


def test_skills_are_translated(world):
    from django.utils import translation

    c = client_for(world["m_mjk"])
    codes = {s["code"] for s in c.get(BASE + "/skills").json()}
    assert {"first_aid", "water_rescue", "search_rescue", "psychosocial", "logistics", "wash", "ambulance_driver",
            "shelter_management", "public_kitchen", "restoring_family_links", "assessment"} <= codes
    with translation.override("en"):
        from siaga.disaster.volunteers.models import Skill

        assert str(Skill.objects.get(code="first_aid")) == "First aid"


def test_a_system_call_records_a_training_on_a_volunteers_own_record(world, reg, make_user, actor_of):
    from siaga.core.permissions import PermissionDenied

    user = make_user("volunteer", world["mojokerto"], scope_code="35.76")
    mine = reg(world["a_mjk"], user_id=user.pk).volunteer
    me = actor_of(user)
    with pytest.raises(PermissionDenied):
        services.add_certificate(me, mine.pk, name="Modul PP", issued_on=dt.date(2025, 1, 1))
    cert = services.add_certificate(me, mine.pk, kind="training", name="Modul PP", skill="first_aid",
                                    issued_on=dt.date(2025, 1, 1), system=True)
    assert cert.volunteer == mine and cert.kind == "training"
