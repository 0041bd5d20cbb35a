"""The donor recall pages: a recall proposed by a shortage is checked and sent by the UDD's officer in one action
(sending twice texts nobody twice), and the dashboard's shortage alert announces the suggestions and the recall."""

import re

from django.contrib.messages import get_messages

from siaga.blood import services_issue as si
from siaga.blood.models import RecallCampaign, RecallMessage, StockAlert, TransferSuggestion
from siaga.callcenter.models import OutboundSms

from .test_shortage_response import _take, short_b  # noqa: F401  (fixture)


def test_the_officer_checks_the_proposed_recall_and_sends_it_once(blood, short_b, login,  # noqa: F811
                                                                   django_capture_on_commit_callbacks):
    udd_b, near, donors = short_b
    draft = si.propose_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos")
    c = login(blood.officer_user)

    listing = c.get("/darah/panggil/").content.decode()
    assert f'data-recall="{draft.pk}" data-status="draft"' in listing
    assert f'href="/darah/panggil/{draft.pk}/"' in listing

    r = c.get(f"/darah/panggil/{draft.pk}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-recall-status="draft"' in html and "data-send-recall" in html
    listed = {int(x) for x in re.findall(r'data-donor="(\d+)"', html)}
    assert listed == {donors["b1"].pk, donors["b2"].pk}  # never the ineligible or the other groups
    assert donors["b1"].phone not in html and donors["b1"].phone[-4:] in html  # phone numbers masked
    assert not RecallMessage.objects.exists()  # looking at a draft texts nobody

    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/darah/panggil/{draft.pk}/", {"action": "send"})
    assert r.status_code == 302 and r["Location"] == f"/darah/panggil/{draft.pk}/"
    assert [m.level_tag for m in get_messages(r.wsgi_request)] == ["success"]
    texted = set(OutboundSms.objects.filter(kind="blood_recall").values_list("to_number", flat=True))
    assert len(texted) == 2 and RecallCampaign.objects.get(pk=draft.pk).status == "sent"

    with django_capture_on_commit_callbacks(execute=True):  # a second click, a reload that re-posts: harmless
        r = c.post(f"/darah/panggil/{draft.pk}/", {"action": "send"})
    assert r.status_code == 302 and [m.level_tag for m in get_messages(r.wsgi_request)][-1] == "info"
    assert OutboundSms.objects.filter(kind="blood_recall").count() == 2 and RecallMessage.objects.count() == 2

    html = c.get(f"/darah/panggil/{draft.pk}/").content.decode()
    assert 'data-recall-status="sent"' in html and "data-send-recall" not in html
    assert html.count('data-message-status="sent"') == 2


def test_the_recall_page_is_the_udds_own(blood, short_b, login):  # noqa: F811
    draft = si.propose_recall(blood.officer, site_id=blood.udd.pk, abo="B", rhd="pos")
    hospital = login(blood.hospital_user)
    assert hospital.get(f"/darah/panggil/{draft.pk}/").status_code == 404
    assert hospital.post(f"/darah/panggil/{draft.pk}/", {"action": "send"}).status_code == 404
    assert f'data-recall="{draft.pk}"' not in hospital.get("/darah/panggil/").content.decode()
    assert RecallCampaign.objects.get(pk=draft.pk).status == "draft" and not RecallMessage.objects.exists()


def test_the_officer_proposes_and_withdraws_a_recall_by_hand(blood, short_b, login):  # noqa: F811
    c = login(blood.officer_user)
    r = c.post("/darah/panggil/", {"site_id": blood.udd.pk, "group": "B|pos", "reason": "Menjelang Lebaran"})
    draft = RecallCampaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/darah/panggil/{draft.pk}/"
    assert (draft.status, draft.reason, draft.recipients) == ("draft", "Menjelang Lebaran", 2)
    r = c.post(f"/darah/panggil/{draft.pk}/", {"action": "withdraw"})
    assert r.status_code == 302 and RecallCampaign.objects.get(pk=draft.pk).status == "withdrawn"
    r = c.post(f"/darah/panggil/{draft.pk}/", {"action": "send"})
    assert [m.level_tag for m in get_messages(r.wsgi_request)][-1] == "error" and not RecallMessage.objects.exists()


def test_the_dashboard_alert_announces_what_siaga_prepared(blood, short_b, login,  # noqa: F811
                                                           django_capture_on_commit_callbacks):
    udd_b, near, donors = short_b
    with django_capture_on_commit_callbacks(execute=True):
        _take(blood.officer, udd_b[:2])
    alert = StockAlert.objects.get(kind="shortage", cleared_at__isnull=True)
    draft = RecallCampaign.objects.get(alert=alert)
    html = login(blood.officer_user).get("/darah/stok-fragmen/").content.decode()
    assert f'data-alert-response="{alert.pk}"' in html
    assert 'href="/darah/mutasi/" data-alert-suggestions="1"' in html
    assert f'href="/darah/panggil/{draft.pk}/" data-alert-recall="draft"' in html
    # The suggestion is already on the transfers page, nobody having clicked "Compute suggestions".
    sug = TransferSuggestion.objects.get(status="open")
    assert f'data-suggestion="{sug.pk}"' in login(blood.officer_user).get("/darah/mutasi/").content.decode()
    # Dismissed: the alert no longer says a suggestion is ready.
    si.dismiss_suggestion(blood.officer, sug.pk)
    html = login(blood.officer_user).get("/darah/stok-fragmen/").content.decode()
    assert 'data-alert-suggestions="0"' in html
