"""Donor recall by SMS for groups projected to run short, with the on-call RhD-negative panel; production hint."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import services_issue as si
from siaga.blood.models import ComponentType, DailyUsage, DemandFactor, Donor, RecallMessage
from siaga.callcenter.models import OutboundSms
from siaga.core.errors import ServiceError

D = dt.timedelta


def _confirmed(make_donor, abo, rhd, phone, **kw):
    d = make_donor(phone=phone, **kw)
    Donor.objects.filter(pk=d.pk).update(abo=abo, rhd=rhd, group_confirmed=True)
    return d


def _usage(site, abo, rhd, per_day, code="PRC"):
    ctype = ComponentType.objects.get(code=code)
    today = timezone.localdate()
    DailyUsage.objects.bulk_create([
        DailyUsage(organization_id=site.organization_id, region_code=site.region_code, site=site, component_type=ctype,
                   abo=abo, rhd=rhd, date=today - D(days=i), issued=per_day) for i in range(1, 57)])


def test_groups_below_amber_are_reported_short_with_seasonal_demand(blood, make_units):
    _usage(blood.udd, "B", "pos", 2)
    make_units(abo="B", rhd="pos", n=5)  # 2.5 days of cover: amber, not short
    assert si.groups_running_short(blood.udd) == []
    today = timezone.localdate()
    DemandFactor.objects.create(name="Menjelang Lebaran", starts_on=today, ends_on=today + D(days=30), factor=2)
    short = si.groups_running_short(blood.udd)
    assert [g["group"] for g in short] == ["B+"] and short[0]["days_of_cover"] == 1.25


def test_a_recall_texts_eligible_donors_of_the_short_group_once(blood, make_donor, capture_events):
    b1 = _confirmed(make_donor, "B", "pos", "081234567801")
    b2 = _confirmed(make_donor, "B", "pos", "081234567802")
    _confirmed(make_donor, "A", "pos", "081234567803")
    inside = _confirmed(make_donor, "B", "pos", "081234567804")
    Donor.objects.filter(pk=inside.pk).update(next_eligible_on=timezone.localdate() + D(days=20))
    no_consent = _confirmed(make_donor, "B", "pos", "081234567805", sms_consent=False)
    with capture_events() as evs:
        c = si.create_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos", reason="stok B < 2 hari")
    assert c.recipients == 2
    assert set(c.messages.values_list("donor_id", flat=True)) == {b1.pk, b2.pk}
    assert inside.pk not in c.messages.values_list("donor_id", flat=True)
    assert no_consent.pk not in c.messages.values_list("donor_id", flat=True)
    assert any(e["type"] == "blood.recall.created" for e in evs)
    sent = si.send_recall_messages(c.pk)
    assert sent == 2 and set(RecallMessage.objects.values_list("status", flat=True)) == {"sent"}
    sms = OutboundSms.objects.filter(kind="blood_recall")
    assert sms.count() == 2 and "B+" in sms.first().text
    assert si.send_recall_messages(c.pk) == 0  # claimed once: never texted twice
    with pytest.raises(ServiceError) as exc:  # texted recently: not again within the minimum interval
        si.create_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos")
    assert exc.value.code == "no_eligible_donors"


def test_a_rhd_negative_recall_includes_the_on_call_panel_of_compatible_groups(blood, make_donor):
    a_neg = _confirmed(make_donor, "A", "neg", "081234567811")
    o_neg_panel = _confirmed(make_donor, "O", "neg", "081234567812", on_call_panel=True)
    o_neg_plain = _confirmed(make_donor, "O", "neg", "081234567813")
    b_neg_panel = _confirmed(make_donor, "B", "neg", "081234567814", on_call_panel=True)  # B- cannot serve A-
    c = si.create_recall(blood.officer, site_id=blood.udd.pk, abo="A", rhd="neg")
    ids = set(c.messages.values_list("donor_id", flat=True))
    assert ids == {a_neg.pk, o_neg_panel.pk}
    assert o_neg_plain.pk not in ids and b_neg_panel.pk not in ids


def test_the_production_hint_follows_forecast_demand(blood, make_units):
    hint = si.production_hint(blood.udd, "O", "pos")
    assert hint["make"] == ["PRC"]  # no platelet or plasma demand known
    _usage(blood.udd, "O", "pos", 2, code="TC")
    hint = si.production_hint(blood.udd, "O", "pos")
    assert hint["make"] == ["PRC", "TC"] and "TC" in hint["why"]
    make_units(code="TC", abo="O", rhd="pos", n=20, expires_in=D(days=4))
    assert si.production_hint(blood.udd, "O", "pos")["make"] == ["PRC"]
