"""The API from donor to released stock: register, check, collect (DIN), screen, separate, see stock."""

import json

from django.utils import timezone

from siaga.blood import isbt

from .conftest import nik_for


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_donor_goes_from_registration_to_stock(blood, login):
    import datetime as dt

    c = login(blood.officer_user)
    r = post(c, "/api/blood/donors", {"nik": nik_for(dt.date(1995, 2, 3), serial=7001), "name": "Siti Aminah",
                                      "sex": "M", "birth_date": "1995-02-03", "phone": "081234567890"})
    assert r.status_code == 201, r.content
    donor = r.json()
    assert donor["nik_masked"].startswith("3576") and "*" in donor["nik_masked"]
    assert donor["nik"]  # the officer managing donors sees the full NIK on the detail

    listed = c.get("/api/blood/donors").json()
    assert listed["items"][0]["nik_masked"] == donor["nik_masked"]
    assert "nik" not in listed["items"][0]

    r = post(c, f"/api/blood/donors/{donor['id']}/visits", {"weight_kg": 58, "hb_g_dl": 13.2, "systolic_mmhg": 118,
                                                             "diastolic_mmhg": 76, "pulse_bpm": 70,
                                                             "temperature_c": 36.7})
    assert r.status_code == 201 and r.json()["eligible"], r.content
    r = post(c, "/api/blood/donations", {"visit_id": r.json()["id"], "bag_type": "triple", "volume_ml": 350})
    assert r.status_code == 201, r.content
    donation = r.json()
    assert donation["din_check"] == isbt.check_character(donation["din"])
    assert donation["status"] == "quarantine"

    r = post(c, f"/api/blood/donations/{donation['id']}/components",
             {"components": [{"type": "PRC"}, {"type": "FFP", "volume_ml": 120}]})
    assert r.status_code == 201, r.content
    post(c, f"/api/blood/donations/{donation['id']}/results", {"marker": "grouping", "abo": "A", "rhd": "pos"})
    for marker in ("hiv", "hbsag", "hcv", "syphilis"):
        r = post(c, f"/api/blood/donations/{donation['id']}/results", {"marker": marker, "result": "nonreactive"})
        assert r.status_code == 201, r.content
    assert r.json()["status"] == "released"
    assert {x["status"] for x in r.json()["components"]} == {"available"}

    stock = c.get("/api/blood/stock").json()
    udd = next(s for s in stock if s["site_id"] == blood.udd.pk)
    cell = next(row for row in udd["rows"] if row["component_type"] == "PRC" and row["group"] == "A+")
    assert cell["available"] == 1

    found = c.get("/api/blood/donations/lookup", {"din": donation["din_display"]})
    assert found.status_code == 200 and found.json()["id"] == donation["id"]
    expiry = c.get("/api/blood/stock/expiry").json()
    assert sum(x["units"] for x in expiry) == 2
    comps = c.get("/api/blood/components", {"status": "available", "abo": "A"}).json()
    assert comps["count"] == 2


def test_a_wrong_check_character_is_refused_with_a_clear_code(blood, login, make_donation):
    donation = make_donation()
    wrong = isbt.CHARSET[(isbt.CHARSET.index(donation.din_check) + 5) % 37]
    r = login(blood.officer_user).get("/api/blood/donations/lookup", {"din": f"{donation.din}00{wrong}"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "din_check_mismatch"


def test_refusals_use_the_error_shape_and_change_nothing(blood, login, make_donor):
    donor = make_donor()
    c = login(blood.officer_user)
    r = post(c, f"/api/blood/donors/{donor.pk}/visits", {"weight_kg": 40, "hb_g_dl": 13, "systolic_mmhg": 120,
                                                          "diastolic_mmhg": 80, "pulse_bpm": 70,
                                                          "temperature_c": 36.5})
    assert r.status_code == 201
    body = r.json()
    assert not body["eligible"] and body["refusals"][0]["code"] == "weight_kg_low"
    r = post(c, "/api/blood/donations", {"visit_id": body["id"], "bag_type": "triple", "volume_ml": 350})
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_eligible"
    r = post(c, "/api/blood/donors", {"nik": "1", "name": "X Y", "sex": "M", "birth_date": "1990-01-01"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_nik"


def test_a_hospital_officer_reads_its_bank_but_cannot_collect(blood, login, make_units):
    make_units(site=blood.bdrs, n=2)
    make_units(site=blood.udd, n=3)
    c = login(blood.hospital_user)
    comps = c.get("/api/blood/components").json()
    assert comps["count"] == 2 and {x["site_id"] for x in comps["items"]} == {blood.bdrs.pk}
    r = post(c, "/api/blood/donors", {"nik": nik_for(timezone.localdate().replace(year=1990)), "name": "Xx",
                                      "sex": "M", "birth_date": timezone.localdate().replace(year=1990).isoformat()})
    assert r.status_code == 403


def test_sessions_are_planned_and_moved_through_their_states(blood, login):
    c = login(blood.officer_user)
    start = timezone.now() + timezone.timedelta(days=2)
    r = post(c, "/api/blood/sessions", {"kind": "mobile", "name": "Donor darah Alun-alun", "location": "Alun-alun",
                                        "organiser": "KSR PMI", "target_donors": 60,
                                        "starts_at": start.isoformat(),
                                        "ends_at": (start + timezone.timedelta(hours=5)).isoformat()})
    assert r.status_code == 201, r.content
    sid = r.json()["id"]
    assert post(c, f"/api/blood/sessions/{sid}/status", {"status": "closed"}).status_code == 400
    assert post(c, f"/api/blood/sessions/{sid}/status", {"status": "open"}).json()["status"] == "open"
    assert [s["id"] for s in c.get("/api/blood/sessions", {"upcoming": True}).json()] == [sid]
