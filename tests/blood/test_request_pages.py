"""Pages: the hospital's phone form, the UDD's queue with one-click FEFO issue and its reasons, transfers, stats,
the trace page; all refuse other organisations' records."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from siaga.blood import services_issue as si
from siaga.blood.models import BloodRequest, Component, IssueItem
from tests.conftest import client_for

from .test_issue_support import HANDOVER, request_for

D = dt.timedelta


def test_a_hospital_requests_from_its_phone_form(blood):
    c = client_for(blood.hospital_user)
    page = c.get(reverse("blood:request_new"))
    assert page.status_code == 200 and b"name=\"patient_name\"" in page.content
    r = c.post(reverse("blood:request_new"), {"urgency": "cito", "patient_name": "Andi Wijaya", "group": "O|pos",
                                              "type_0": "PRC", "qty_0": "2", "payer": "bpjs",
                                              "supplier_site_id": str(blood.udd.pk)})
    req = BloodRequest.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("blood:request", args=[req.pk])
    line = req.lines.get()
    assert (line.abo, line.rhd, line.quantity, req.supplier_site_id) == ("O", "pos", 2, blood.udd.pk)
    assert b"Andi Wijaya" in c.get(reverse("blood:requests")).content


def test_the_udd_issues_with_one_click_and_sees_why_each_unit_was_picked(blood, make_units):
    make_units(abo="O", rhd="neg", n=1, expires_in=D(days=2))
    a_neg = make_units(abo="A", rhd="neg", n=1, expires_in=D(days=3))
    req = request_for(blood, abo="A", rhd="pos", quantity=1)
    c = client_for(blood.officer_user)
    queue = c.get(reverse("blood:requests"))
    assert req.number.encode() in queue.content
    fragment = c.get(reverse("blood:requests") + "?fragment=1")
    assert b"<html" not in fragment.content and req.number.encode() in fragment.content
    detail = c.get(reverse("blood:request", args=[req.pk]))
    assert f'data-plan-unit="{a_neg[0].pk}"'.encode() in detail.content
    r = c.post(reverse("blood:request", args=[req.pk]), {"action": "issue", "recipient_kind": "courier",
                                                          "recipient_name": "Kurir RS", "signed_by": "Kurir RS",
                                                          "cool_box_temperature_c": "4", "signature": "M1 1 L5 5"})
    assert r.status_code == 302
    item = IssueItem.objects.get()
    assert item.component_id == a_neg[0].pk and "A−" in item.substitution
    page = c.get(reverse("blood:request", args=[req.pk])).content.decode()
    assert "data-just-issued" in page and item.substitution in page.replace("&#x27;", "'")


def test_a_refused_issue_shows_the_reason_and_changes_nothing(blood, make_units):
    make_units(abo="O", rhd="pos", n=1, expires_in=D(minutes=-1))
    req = request_for(blood, quantity=1)
    c = client_for(blood.officer_user)
    r = c.post(reverse("blood:request", args=[req.pk]), {"action": "issue", "recipient_kind": "courier",
                                                          "recipient_name": "Kurir", "signed_by": "Kurir"},
               follow=True)
    errors = re.findall(r'msg--error">([^<]*)<', r.content.decode())
    assert len(errors) == 1 and "PRC" in errors[0] and "O+" in errors[0]
    assert Component.objects.get().status == "available" and not IssueItem.objects.exists()


def test_the_hospital_cannot_issue_through_the_page(blood, make_units):
    make_units(abo="O", rhd="pos", n=1)
    req = request_for(blood, quantity=1)
    c = client_for(blood.hospital_user)
    c.post(reverse("blood:request", args=[req.pk]), {"action": "issue", **HANDOVER})
    assert not IssueItem.objects.exists()


def test_another_udd_gets_404_on_the_request_page(blood, make_org, make_user):
    req = request_for(blood, quantity=1)
    other = client_for(make_user("blood_bank_officer", make_org(kind="udd", region_code="35.16"), scope_code="35.16"))
    assert other.get(reverse("blood:request", args=[req.pk])).status_code == 404
    assert req.number.encode() not in other.get(reverse("blood:requests")).content


def test_transfers_stats_and_trace_pages_render(blood, make_units):
    units = make_units(abo="O", rhd="pos", n=1)
    req = request_for(blood, quantity=1)
    si.issue_request(blood.officer, req.pk, **HANDOVER)
    c = client_for(blood.officer_user)
    assert c.get(reverse("blood:transfers")).status_code == 200
    assert c.post(reverse("blood:transfers"), {"action": "compute", "component_type": "PRC"}).status_code == 302
    s = c.get(reverse("blood:blood_stats"))
    assert s.status_code == 200 and b'data-stat="served"><strong>1<' in s.content
    csv = c.get(reverse("blood:blood_stats") + "?export=csv&data=issued")
    assert csv["Content-Type"].startswith("text/csv") and units[0].din.encode() in csv.content
    xlsx = c.get(reverse("blood:blood_stats") + "?export=xlsx&data=monthly")
    assert xlsx.content[:2] == b"PK"
    t = c.get(reverse("blood:trace") + f"?unit={units[0].pk}").content.decode()
    assert "Budi Santoso" in t and blood.hospital.name in t
    assert c.get(reverse("blood:trace") + f"?request={req.pk}").status_code == 200
    assert c.get(reverse("blood:trace") + f"?din={units[0].din}").status_code == 200
    hosp = client_for(blood.hospital_user)
    assert hosp.get(reverse("blood:blood_stats")).status_code == 403
    assert "Budi Santoso" in hosp.get(reverse("blood:trace") + f"?request={req.pk}").content.decode()


@pytest.mark.parametrize("name", ["requests", "transfers", "trace", "blood_stats"])
def test_pages_need_a_login(client, name):
    r = client.get(reverse(f"blood:{name}"))
    assert r.status_code == 302 and "login" in r["Location"]
