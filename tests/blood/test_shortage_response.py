"""What Siaga does by itself when red cells run short: transfer suggestions computed for the short site and group,
and a recall of that group's eligible donors proposed as a draft that an officer sends (once, to eligible donors)."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from siaga.blood import services
from siaga.blood import services_issue as si
from siaga.blood.models import (
    ComponentType,
    DailyUsage,
    Donor,
    RecallCampaign,
    RecallMessage,
    StockAlert,
    TransferSuggestion,
)
from siaga.callcenter.models import OutboundSms
from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied

D = dt.timedelta


def _usage(site, abo, rhd, issued_on, code="PRC"):
    ctype = ComponentType.objects.get(code=code)
    today = timezone.localdate()
    DailyUsage.objects.bulk_create([
        DailyUsage(organization_id=site.organization_id, region_code=site.region_code, site=site, component_type=ctype,
                   abo=abo, rhd=rhd, date=day, issued=issued_on(day))
        for day in (today - D(days=i) for i in range(1, 57))])


def _confirmed(make_donor, abo, rhd, phone, **kw):
    d = make_donor(phone=phone, **kw)
    Donor.objects.filter(pk=d.pk).update(abo=abo, rhd=rhd, group_confirmed=True)
    return Donor.objects.get(pk=d.pk)


@pytest.fixture
def short_b(blood, make_units, make_donor):
    """The UDD issues 4 PRC B+ a day and holds 9 (2.25 days, amber); the hospital bank it supplies uses one on
    alternate days and holds 4 B+ of which 3 expire within three days (it would outdate them). Donors: two B+ who
    may be texted, and one each who may not (inside the interval, deferred, no SMS consent, A+, B-)."""
    _usage(blood.udd, "B", "pos", lambda day: 4)
    _usage(blood.bdrs, "B", "pos", lambda day: day.toordinal() % 2)
    udd_b = make_units(abo="B", rhd="pos", n=9, expires_in=D(days=20))
    near = [make_units(site=blood.bdrs, abo="B", rhd="pos", expires_in=D(days=d))[0] for d in (1.5, 2.0, 2.5)]
    make_units(site=blood.bdrs, abo="B", rhd="pos", expires_in=D(days=25))
    donors = {
        "b1": _confirmed(make_donor, "B", "pos", "081234567901"),
        "b2": _confirmed(make_donor, "B", "pos", "081234567902"),
        "inside": _confirmed(make_donor, "B", "pos", "081234567903"),
        "deferred": _confirmed(make_donor, "B", "pos", "081234567904"),
        "no_sms": _confirmed(make_donor, "B", "pos", "081234567905", sms_consent=False),
        "a_pos": _confirmed(make_donor, "A", "pos", "081234567906"),
        "b_neg": _confirmed(make_donor, "B", "neg", "081234567907"),
    }
    Donor.objects.filter(pk=donors["inside"].pk).update(next_eligible_on=timezone.localdate() + D(days=20))
    services.defer_donor(blood.officer, donors["deferred"].pk, kind="temporary", reason_code="fever",
                         reason="Demam", ends_on=timezone.localdate() + D(days=7))
    return udd_b, near, donors


def _take(officer, units, to_status="reserved"):
    with transaction.atomic():
        for u in units:
            services.transition_component(officer, u.pk, to_status)


def test_a_red_cell_shortage_suggests_transfers_and_proposes_a_recall_without_texting(
        blood, short_b, capture_events, django_capture_on_commit_callbacks):
    udd_b, near, donors = short_b
    with capture_events() as evs, django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[:1])  # 8 left: 2.0 days, still amber
    assert not StockAlert.objects.filter(kind="shortage").exists() and not TransferSuggestion.objects.exists()
    assert not RecallCampaign.objects.exists()

    with capture_events() as evs, django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[1:2])  # 7 left: 1.75 days, red

    alert = StockAlert.objects.get(site=blood.udd, kind="shortage", cleared_at__isnull=True)
    sug = TransferSuggestion.objects.get(status="open")
    assert (sug.from_site_id, sug.to_site_id, sug.abo, sug.rhd) == (blood.bdrs.pk, blood.udd.pk, "B", "pos")
    assert sorted(sug.component_ids) == sorted(u.pk for u in near)  # never the long-dated bag the bank will use
    campaign = RecallCampaign.objects.get()
    assert (campaign.status, campaign.site_id, campaign.abo, campaign.rhd, campaign.alert_id) == (
        "draft", blood.udd.pk, "B", "pos", alert.pk)
    assert campaign.recipients == 2 and campaign.created_by is None and campaign.sent_at is None
    assert not RecallMessage.objects.exists() and not OutboundSms.objects.filter(kind="blood_recall").exists()
    response = alert.details["response"]
    assert (response["suggestions"], response["units"], response["suggestion_ids"], response["recall_id"],
            response["recall_eligible"]) == (1, 3, [sug.pk], campaign.pk, 2)
    types = [e["type"] for e in evs]
    assert "blood.shortage.response" in types and "blood.recall.proposed" in types
    assert "blood.recall.created" not in types
    shortage_event = next(e for e in evs if e["type"] == "blood.shortage.response")["payload"]
    assert (shortage_event["alert_id"], shortage_event["suggestions"], shortage_event["recall_id"]) == (
        alert.pk, 1, campaign.pk)

    # Answered once: asking again (e.g. the periodic sweep) changes nothing.
    assert si.respond_to_shortage(alert.pk) == response
    assert TransferSuggestion.objects.count() == 1 and RecallCampaign.objects.count() == 1


def test_a_shortage_raised_again_replaces_nothing_twice(blood, short_b, django_capture_on_commit_callbacks):
    udd_b, near, donors = short_b
    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[:2])
    first_alert = StockAlert.objects.get(kind="shortage", cleared_at__isnull=True)
    sug = TransferSuggestion.objects.get(status="open")
    draft = RecallCampaign.objects.get(status="draft")

    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[:1], "available")  # 8: amber, the alert clears
    assert StockAlert.objects.get(pk=first_alert.pk).cleared_at is not None
    # The proposed recall went with the shortage that justified it; nobody was texted.
    assert RecallCampaign.objects.get(pk=draft.pk).status == "withdrawn"

    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[:1])  # 7 again: a new alert
    second = StockAlert.objects.get(kind="shortage", cleared_at__isnull=True)
    assert second.pk != first_alert.pk and second.details["response"]["suggestions"] == 1
    # The same move is still the suggestion, the same row (its id still valid on an open page): not a duplicate.
    assert list(TransferSuggestion.objects.filter(status="open").values_list("pk", flat=True)) == [sug.pk]
    drafts = RecallCampaign.objects.filter(status="draft")
    assert drafts.count() == 1 and drafts.get().alert_id == second.pk

    # While the alert stays open a further drop raises nothing new, and a draft is never doubled by a re-proposal.
    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[2:3])
    assert StockAlert.objects.filter(kind="shortage").count() == 2
    again = si.propose_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos")
    assert again.pk == drafts.get().pk and RecallCampaign.objects.filter(status="draft").count() == 1


def test_sending_the_proposed_recall_texts_eligible_donors_once(blood, short_b, make_donor,
                                                                 django_capture_on_commit_callbacks):
    udd_b, near, donors = short_b
    draft = si.propose_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos", reason="stok B < 2 hari")
    assert draft.status == "draft" and draft.recipients == 2
    assert set(si.recall_recipients(blood.officer, blood.udd, "B", "pos")) == {donors["b1"].pk, donors["b2"].pk}
    # Between the proposal and the sending b2 is deferred and a new B+ donor becomes eligible: checked at sending.
    services.defer_donor(blood.officer, donors["b2"].pk, kind="temporary", reason_code="fever", reason="Demam",
                         ends_on=timezone.localdate() + D(days=3))
    b3 = _confirmed(make_donor, "B", "pos", "081234567908")

    with django_capture_on_commit_callbacks(execute=True):
        sent = si.send_recall(blood.officer, draft.pk)
    assert sent.status == "sent" and sent.recipients == 2 and sent.sent_at is not None
    assert set(RecallMessage.objects.values_list("donor_id", "status")) == {(donors["b1"].pk, "sent"), (b3.pk, "sent")}
    sms = sorted(OutboundSms.objects.filter(kind="blood_recall").values_list("to_number", flat=True))
    texts = OutboundSms.objects.filter(kind="blood_recall").values_list("text", flat=True)
    assert len(sms) == 2 and all("B+" in t for t in texts)
    never = {donors[k].phone for k in ("b2", "inside", "deferred", "no_sms", "a_pos", "b_neg")}
    assert not never & set(sms)

    # Sending twice is harmless: no second message, no second text.
    with django_capture_on_commit_callbacks(execute=True):
        again = si.send_recall(blood.officer, draft.pk)
    assert again.pk == draft.pk and again.status == "sent"
    assert RecallMessage.objects.count() == 2 and OutboundSms.objects.filter(kind="blood_recall").count() == 2

    # A donor texted by it is not texted by the next proposal either (minimum interval between recalls).
    nxt = si.propose_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos")
    assert nxt.pk != draft.pk and nxt.recipients == 0
    with pytest.raises(ServiceError) as exc:
        si.send_recall(blood.officer, nxt.pk)
    assert exc.value.code == "no_eligible_donors"
    assert RecallCampaign.objects.get(pk=nxt.pk).status == "draft"


def test_a_withdrawn_recall_cannot_be_sent_and_only_the_udds_officers_send(blood, short_b):
    draft = si.propose_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos")
    with pytest.raises(PermissionDenied):
        si.send_recall(blood.hospital_officer, draft.pk)
    assert si.withdraw_recall(blood.officer, draft.pk).status == "withdrawn"
    with pytest.raises(ServiceError) as exc:
        si.send_recall(blood.officer, draft.pk)
    assert exc.value.code == "recall_withdrawn"
    assert not RecallMessage.objects.exists()


def test_other_shortages_get_no_recall_or_no_response(blood, make_units, make_donor,
                                                       django_capture_on_commit_callbacks):
    # A hospital blood bank short of B+: the UDD's units are suggested, but a recall is the UDD's to propose.
    _usage(blood.bdrs, "B", "pos", lambda day: 2)
    _usage(blood.udd, "B", "pos", lambda day: 1)
    bank = make_units(site=blood.bdrs, abo="B", rhd="pos", n=4)
    make_units(abo="B", rhd="pos", n=14, expires_in=D(days=30))
    _confirmed(make_donor, "B", "pos", "081234567911")
    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, bank[:1])  # 3 left at 2 a day: 1.5 days
    alert = StockAlert.objects.get(site=blood.bdrs, kind="shortage")
    assert alert.details["response"]["recall_id"] is None and not RecallCampaign.objects.exists()
    sug = TransferSuggestion.objects.get(status="open")
    assert (sug.from_site_id, sug.to_site_id) == (blood.udd.pk, blood.bdrs.pk)

    # Plasma short: an alert, but red-cell suggestions and a donor recall are not the answer.
    _usage(blood.udd, "A", "pos", lambda day: 2, code="FFP")
    ffp = make_units(code="FFP", abo="A", rhd="pos", n=4)
    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, ffp[:1])
    ffp_alert = StockAlert.objects.get(site=blood.udd, kind="shortage", component_type__code="FFP")
    assert "response" not in ffp_alert.details and si.respond_to_shortage(ffp_alert.pk) is None
    assert not RecallCampaign.objects.exists()


def test_the_periodic_sweep_answers_an_alert_left_without_response(blood, short_b):
    udd_b, near, donors = short_b
    _take(blood.officer, udd_b[:2])  # the after-commit step never runs here (the test's transaction is not committed)
    alert = StockAlert.objects.get(kind="shortage", cleared_at__isnull=True)
    assert "response" not in alert.details
    assert si.respond_to_open_shortages() == 0  # raised just now: left to the process that raised it
    StockAlert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - D(minutes=5))
    assert si.respond_to_open_shortages() == 1
    assert StockAlert.objects.get(pk=alert.pk).details["response"]["suggestions"] == 1
    assert RecallCampaign.objects.filter(status="draft", alert=alert).count() == 1
    assert si.respond_to_open_shortages() == 0


def test_recomputing_by_hand_keeps_open_suggestions_and_other_groups(blood, short_b, make_units):
    udd_b, near, donors = short_b
    _take(blood.officer, udd_b[:2])
    first = si.suggest_transfers(blood.officer)
    assert len(first) == 1
    _usage(blood.udd, "A", "pos", lambda day: 4)
    make_units(site=blood.bdrs, abo="A", rhd="pos", expires_in=D(days=2))
    both = {(s.abo, s.pk) for s in si.suggest_transfers(blood.officer)}
    assert ("B", first[0].pk) in both and len(both) == 2  # same B+ row, updated in place
    only_b = si.suggest_transfers(blood.officer, groups=[("B", "pos")])
    assert [s.pk for s in only_b] == [first[0].pk]
    assert set(TransferSuggestion.objects.filter(status="open").values_list("abo", flat=True)) == {"A", "B"}
