"""Nuisance record: numbers with repeated prank/silent/accidental calls are flagged, warned about, never dropped."""

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from siaga.callcenter import services
from siaga.callcenter.models import Call, CallerNumber
from siaga.core.models import AuditLog

from .conftest import MOBILE, MOBILE_E164

pytestmark = pytest.mark.django_db


def nuisance_call(cc, outcome="prank", number=MOBILE, when=None):
    a = cc.actor()
    with mock.patch("django.utils.timezone.now", return_value=when or timezone.now()):
        call = services.start_call(a, channel="phone", caller_number=number)
        services.answer_call(a, call.pk)
        services.close_call(a, call.pk, outcome=outcome, reason="Main-main, tertawa lalu ditutup")
    return call


def test_three_nuisance_calls_flag_the_number_with_the_warn_policy(cc, capture_events):
    nuisance_call(cc, "prank")
    nuisance_call(cc, "silent")
    rec = CallerNumber.objects.get(organization=cc.org, number=MOBILE_E164)
    assert (rec.total_calls, rec.nuisance_calls, rec.flagged) == (2, 2, False)
    with capture_events() as evs:
        nuisance_call(cc, "accidental")
    rec.refresh_from_db()
    assert (rec.total_calls, rec.nuisance_calls, rec.flagged, rec.policy) == (3, 3, True, "warn")
    assert rec.flagged_at is not None
    flagged = [e for e in evs if e["type"] == "caller.flagged"]
    assert flagged and flagged[0]["payload"] == {"number": MOBILE_E164, "nuisance_calls": 3,
                                                 "recent_nuisance_calls": 3, "policy": "warn"}
    assert AuditLog.objects.filter(model="callcenter.callernumber", object_id=str(rec.pk), action="update").exists()


def test_genuine_calls_count_but_do_not_flag(cc):
    for _ in range(3):
        nuisance_call(cc, "information")
    cc.incident()
    rec = CallerNumber.objects.get(number=MOBILE_E164)
    assert (rec.total_calls, rec.nuisance_calls, rec.flagged) == (4, 0, False)


def test_nuisance_calls_older_than_the_window_do_not_flag(cc):
    now = timezone.now()
    nuisance_call(cc, when=now - dt.timedelta(days=60))
    nuisance_call(cc, when=now - dt.timedelta(days=45))
    nuisance_call(cc, when=now)
    rec = CallerNumber.objects.get(number=MOBILE_E164)
    assert (rec.nuisance_calls, rec.flagged) == (3, False)


def test_the_threshold_comes_from_settings(cc, settings):
    settings.SIAGA_NUISANCE_FLAG_THRESHOLD = 1
    nuisance_call(cc)
    assert CallerNumber.objects.get(number=MOBILE_E164).flagged


def test_a_flagged_number_is_still_answered_with_a_warning(cc):
    for _ in range(3):
        nuisance_call(cc)
    a = cc.actor()
    call = services.start_call(a, channel="phone", caller_number=MOBILE)
    assert call.pk and call.caller_flagged and call.caller_policy == "warn"
    services.answer_call(a, call.pk)
    inc = services.create_incident(a, type_code="kebakaran-bangunan", call_id=call.pk, region_code="35.16")
    assert inc.calls.get() == call  # this time it was real, and it was handled


@pytest.mark.parametrize("policy", ["supervisor", "sms_warning"])
def test_every_policy_still_lets_the_call_through(cc, policy):
    CallerNumber.objects.create(organization=cc.org, number=MOBILE_E164, flagged=True, policy=policy)
    call = services.start_call(cc.actor(), channel="phone", caller_number=MOBILE)
    assert Call.objects.filter(pk=call.pk).exists()
    assert (call.caller_flagged, call.caller_policy) == (True, policy)


def test_the_sms_warning_policy_texts_the_number_after_another_nuisance_call(cc):
    from siaga.callcenter.models import OutboundSms

    CallerNumber.objects.create(organization=cc.org, number=MOBILE_E164, flagged=True, policy="sms_warning")
    nuisance_call(cc)
    sms = OutboundSms.objects.get(to_number=MOBILE_E164)
    assert sms.kind == "nuisance_warning" and cc.org.name in sms.text


def test_flags_belong_to_one_call_center(cc):
    CallerNumber.objects.create(organization=cc.other, number=MOBILE_E164, flagged=True, policy="warn")
    call = services.start_call(cc.actor(), channel="phone", caller_number=MOBILE)
    assert not call.caller_flagged


def test_an_administrator_can_clear_a_flag(cc):
    for _ in range(3):
        nuisance_call(cc)
    rec = services.set_caller_policy(cc.actor("admin"), MOBILE, flagged=False, note="Anak kecil, orang tua ditegur")
    assert (rec.flagged, rec.policy, rec.flagged_at) == (False, "none", None)
    assert not services.start_call(cc.actor(), channel="phone", caller_number=MOBILE).caller_flagged


def test_caller_history_shows_calls_incidents_and_the_record(cc):
    nuisance_call(cc, "prank")
    nuisance_call(cc, "silent")
    inc = cc.incident()
    nuisance_call(cc, "prank")
    h = services.caller_history(cc.actor(), "0812 3456 7890")
    assert h["number"] == MOBILE_E164 and h["known"]
    assert (h["total_calls"], h["nuisance_calls"], h["recent_nuisance_calls"]) == (4, 3, 3)
    assert h["flagged"] and h["policy"] == "warn" and h["threshold"] == 3
    assert [c["outcome"] for c in h["calls"]] == ["prank", "new_incident", "silent", "prank"]
    assert [i["number"] for i in h["incidents"]] == [inc.number]


def test_caller_history_of_a_new_number_is_empty(cc):
    h = services.caller_history(cc.actor(), "085600001111")
    assert (h["known"], h["total_calls"], h["flagged"], h["calls"]) == (False, 0, False, [])


def test_caller_history_keeps_the_last_twenty_calls(cc):
    for _ in range(22):
        nuisance_call(cc, "information")
    assert len(services.caller_history(cc.actor(), MOBILE)["calls"]) == 20
