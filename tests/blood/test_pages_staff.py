"""Staff pages: stock dashboard with colours, donor registry (NIK masked) and detail, donation with label, screening."""

import datetime as dt

from django.utils import timezone

from siaga.blood.models import ComponentType, DailyUsage, Donation, Donor

from .conftest import GOOD_VITALS, nik_for


def test_the_dashboard_colours_cells_by_days_of_cover(blood, login, make_units):
    prc = ComponentType.objects.get(code="PRC")
    for i in range(1, 57):
        DailyUsage.objects.create(organization=blood.pmi, site=blood.udd, component_type=prc, abo="B", rhd="pos",
                                  date=timezone.localdate() - dt.timedelta(days=i), issued=1)
    make_units(code="PRC", abo="B", rhd="pos", n=1)   # 1 day: red
    make_units(code="PRC", abo="O", rhd="pos", n=3)   # no history: no colour
    r = login(blood.officer_user).get("/darah/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'level--red" data-site="%d" data-type="PRC" data-group="B+"' % blood.udd.pk in html
    assert 'level--none" data-site="%d" data-type="PRC" data-group="O+"' % blood.udd.pk in html
    assert login(blood.officer_user).get("/darah/stok-fragmen/").status_code == 200


def test_the_hospital_sees_only_its_own_bank_on_the_dashboard(blood, login, make_units):
    make_units(site=blood.bdrs, n=1)
    html = login(blood.hospital_user).get("/darah/").content.decode()
    assert blood.bdrs.name in html and "UDD PMI Kota Mojokerto" not in html


def test_the_registry_masks_niks_and_registers_donors(blood, login):
    c = login(blood.officer_user)
    nik = nik_for(dt.date(1988, 1, 2), serial=5511)
    r = c.post("/darah/donor/", {"nik": nik, "name": "Joko Widodo", "sex": "M", "birth_date": "1988-01-02",
                                 "phone": "081311112222"})
    donor = Donor.objects.get(name="Joko Widodo")
    assert r.status_code == 302 and r["Location"] == f"/darah/donor/{donor.pk}/"
    html = c.get("/darah/donor/").content.decode()
    assert "Joko Widodo" in html and nik not in html and donor.nik_masked in html
    assert c.get("/darah/donor/", {"q": nik}).context["total"] == 1


def test_a_visit_then_a_donation_from_the_donor_page(blood, login, make_donor):
    donor = make_donor()
    c = login(blood.officer_user)
    vitals = {k: str(v) for k, v in GOOD_VITALS.items()}
    r = c.post(f"/darah/donor/{donor.pk}/", {"action": "visit", "bag_volume_ml": "350", **vitals})
    assert r.status_code == 302
    page = c.get(f"/darah/donor/{donor.pk}/")
    visit = page.context["open_visit"]
    assert visit is not None and visit.eligible
    r = c.post(f"/darah/donor/{donor.pk}/", {"action": "donate", "visit_id": visit.pk, "bag_type": "triple",
                                             "volume_ml": "350"})
    donation = Donation.objects.get(donor=donor)
    assert r["Location"] == f"/darah/donasi/{donation.pk}/"


def test_the_label_page_prints_the_barcode_and_boxed_check(blood, login, make_donation):
    donation = make_donation()
    r = login(blood.officer_user).get(f"/darah/donasi/{donation.pk}/label/")
    html = r.content.decode()
    assert r.status_code == 200 and "<svg" in html
    assert '<span class="label__check"' in html and f">{donation.din_check}</span>" in html
    assert "style=" not in html and "<script>" not in html


def test_screening_entry_from_the_donation_page_releases_units(blood, login, make_donation):
    from siaga.blood import services

    donation = make_donation()
    services.separate_components(blood.officer, donation.pk, components=[{"type": "PRC"}])
    c = login(blood.officer_user)
    c.post(f"/darah/donasi/{donation.pk}/", {"action": "result", "marker": "grouping", "abo": "O", "rhd": "neg"})
    for m in ("hiv", "hbsag", "hcv", "syphilis"):
        c.post(f"/darah/donasi/{donation.pk}/", {"action": "result", "marker": m, "result": "nonreactive"})
    donation.refresh_from_db()
    assert donation.status == "released"
    assert c.get("/darah/skrining/").status_code == 200
    r = c.get("/darah/skrining/", {"din": donation.din_display})
    assert r["Location"] == f"/darah/donasi/{donation.pk}/"


def test_pages_refuse_hospital_officers_writes(blood, login, make_donation):
    donation = make_donation()
    r = login(blood.hospital_user).post(f"/darah/donasi/{donation.pk}/", {"action": "result", "marker": "hiv",
                                                                           "result": "reactive"})
    assert r.status_code in (403, 404)
    assert not donation.results.exists()


def test_sessions_page_plans_a_drive(blood, login):
    c = login(blood.officer_user)
    r = c.post("/darah/sesi/", {"kind": "mobile", "name": "Donor Masjid Agung", "location": "Masjid Agung",
                                "starts_at": "2030-01-05T08:00", "ends_at": "2030-01-05T12:00",
                                "target_donors": "80"})
    assert r.status_code == 302
    assert "Donor Masjid Agung" in c.get("/darah/sesi/").content.decode()
