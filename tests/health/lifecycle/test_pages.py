"""Life-cycle pages: they render for the kader's own posyandu, save through the forms, refuse another posyandu."""

import datetime as dt
import re

import pytest

from siaga.health import services
from siaga.health import services_lifecycle as svc
from siaga.health.models import AntenatalVisit, ImmunisationDose, Pregnancy, Screening, VitaminADose
from tests.conftest import client_for

from .conftest import register_woman

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(lx):
    mother = register_woman(lx)
    child = lx.child(name="Bayu", sex="M", birth_date=dt.date(2025, 2, 10))
    adult = services.register_person(lx.actor("kader"), posyandu_id=lx.posyandu.pk, name="Pak Amir", sex="M",
                                     birth_date=dt.date(1970, 5, 5))
    return mother, child, adult


def _urls(lx, people, pregnancy):
    mother, child, adult = people
    return ["/posyandu/layanan/", f"/posyandu/layanan/posyandu/{lx.posyandu.pk}/",
            f"/posyandu/layanan/ibu-hamil/?posyandu={lx.posyandu.pk}", f"/posyandu/layanan/ibu-hamil/{pregnancy.pk}/",
            f"/posyandu/layanan/warga/{child.pk}/imunisasi/", f"/posyandu/layanan/warga/{adult.pk}/skrining/",
            "/posyandu/layanan/warga/?q=Bayu"]


def test_every_page_renders_without_inline_scripts(lx, people):
    p = svc.register_pregnancy(lx.actor("kader"), person_id=people[0].pk, lmp_date=dt.date(2025, 5, 1))
    c = client_for(lx.user("kader"))
    for url in _urls(lx, people, p):
        r = c.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert not re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "health/lifecycle.css" in html


def test_the_due_page_lists_a_child_with_an_overdue_dose(lx, people):
    _mother, child, _adult = people
    html = client_for(lx.user("kader")).get(
        f"/posyandu/layanan/posyandu/{lx.posyandu.pk}/?on=2025-06-10").content.decode()
    assert "Bayu" in html and "lc-row--late" in html
    assert f"/posyandu/layanan/warga/{child.pk}/imunisasi/?dose=bcg:1" in html


def test_a_dose_and_vitamin_a_are_saved_through_the_card(lx, people):
    _mother, child, _adult = people
    c = client_for(lx.user("kader"))
    url = f"/posyandu/layanan/warga/{child.pk}/imunisasi/"
    r = c.post(url, {"dose": "bcg:1", "given_on": "2025-03-12", "batch": "B1", "place": "posyandu"})
    assert r.status_code == 302
    assert ImmunisationDose.objects.get(person=child).batch == "B1"
    r = c.post(url, {"action": "vitamin_a", "given_on": "2025-08-12", "capsule": "blue"})
    assert r.status_code == 302 and VitaminADose.objects.filter(person=child).count() == 1
    html = c.get(url).content.decode()
    assert "py-chip--ok" in html


def test_an_early_dose_asks_for_confirmation_on_the_page(lx, people):
    _mother, child, _adult = people
    c = client_for(lx.user("kader"))
    url = f"/posyandu/layanan/warga/{child.pk}/imunisasi/"
    r = c.post(url, {"dose": "dpt_hb_hib:1", "given_on": "2025-03-01"})
    assert r.status_code == 200 and 'name="confirm"' in r.content.decode()
    assert not ImmunisationDose.objects.exists()
    r = c.post(url, {"dose": "dpt_hb_hib:1", "given_on": "2025-03-01", "confirm": "on"})
    assert r.status_code == 302 and ImmunisationDose.objects.get().early


def test_register_a_pregnancy_and_a_visit_with_decimal_commas(lx, people):
    mother = people[0]
    c = client_for(lx.user("kader"))
    r = c.post(f"/posyandu/layanan/ibu-hamil/?posyandu={lx.posyandu.pk}",
               {"person_id": mother.pk, "lmp_date": "2025-05-01", "gravida": "2", "para": "1", "abortus": "0",
                "height_cm": "152,5"})
    p = Pregnancy.objects.get(person=mother)
    assert r.status_code == 302 and r["Location"] == f"/posyandu/layanan/ibu-hamil/{p.pk}/"
    assert p.height_mm == 1525 and p.gravida == 2
    r = c.post(r["Location"], {"visit_date": "2025-07-01", "systolic_mmhg": "120", "diastolic_mmhg": "80",
                               "weight_kg": "58,4", "hb_g_dl": "10,5", "muac_cm": "24", "iron_tablets": "30",
                               "signs": ["bleeding"], "provider": "midwife", "place": "posyandu"})
    assert r.status_code == 302
    v = AntenatalVisit.objects.get()
    assert (v.weight_g, v.hb_g_per_l, v.muac_mm, v.iron_tablets) == (58_400, 105, 240, 30)
    assert v.risk_flags == ["anaemia", "bleeding"]


def test_a_bad_number_is_reported_and_nothing_saved(lx, people):
    _m, _c, adult = people
    r = client_for(lx.user("kader")).post(f"/posyandu/layanan/warga/{adult.pk}/skrining/",
                                          {"screened_on": "2025-10-14", "weight_kg": "tujuh puluh"})
    assert r.status_code == 200 and not Screening.objects.exists()


def test_a_screening_is_saved_through_the_form(lx, people):
    _m, _c, adult = people
    r = client_for(lx.user("kader")).post(f"/posyandu/layanan/warga/{adult.pk}/skrining/", {
        "screened_on": "2025-10-14", "systolic_mmhg": "150", "diastolic_mmhg": "95", "blood_sugar_mg_dl": "210",
        "blood_sugar_kind": "random", "weight_kg": "70", "height_cm": "168", "waist_cm": "95"})
    assert r.status_code == 302
    assert Screening.objects.get().flags == ["hypertension", "diabetes_suspected", "central_obesity"]


def test_another_posyandus_pages_are_404_for_a_kader(lx):
    theirs = lx.child(name="Eka", posyandu=lx.other_posyandu, birth_date=dt.date(2025, 2, 10))
    woman = register_woman(lx, name="Dewi", posyandu=lx.other_posyandu)
    p = svc.register_pregnancy(lx.actor("other_kader"), person_id=woman.pk, lmp_date=dt.date(2025, 5, 1))
    c = client_for(lx.user("kader"))
    for url in (f"/posyandu/layanan/posyandu/{lx.other_posyandu.pk}/", f"/posyandu/layanan/ibu-hamil/{p.pk}/",
                f"/posyandu/layanan/warga/{theirs.pk}/imunisasi/", f"/posyandu/layanan/warga/{woman.pk}/skrining/"):
        assert c.get(url).status_code == 404, url
    r = c.post(f"/posyandu/layanan/warga/{theirs.pk}/imunisasi/", {"dose": "bcg:1", "given_on": "2025-03-12"})
    assert r.status_code == 404 and not ImmunisationDose.objects.exists()
    html = c.get("/posyandu/layanan/warga/?q=Eka").content.decode()
    assert f"/posyandu/layanan/warga/{theirs.pk}/imunisasi/" not in html and "lc-row__name" not in html


def test_a_leader_without_health_view_is_refused(lx):
    assert client_for(lx.user("leader")).get("/posyandu/layanan/").status_code == 403
