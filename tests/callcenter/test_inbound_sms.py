"""POST /api/public/sms/inbound: any gateway's webhook turns a text into an SMS call, or AML into a position."""

import json

import pytest
from django.test import Client

from siaga.callcenter import services
from siaga.callcenter.models import AmlReport, Call, InboundSms, Position
from siaga.callcenter.public import system_actor_for

from .public_helpers import SMS_SECRET, make_call_center, setup_public

pytestmark = pytest.mark.django_db

NUMBER = "+6281234567890"
AML = ('A"ML=1;lt=-7.47230;lg=112.43380;rd=15;top=20260216103045;lc=68;pm=G;si=510101234567890;'
       'ei=358240051111110;mcc=510;mnc=10;ml=127')

NOT_TENANT_DATA = {
    "/api/public/sms/inbound": "the SMS gateway's webhook, authenticated by a shared secret; it writes to the "
                               "call center the text was sent to and returns only ids "
                               "(tests/callcenter/test_inbound_sms.py)",
}


@pytest.fixture
def center(regions, settings):
    settings.SIAGA_SMS_WEBHOOK_SECRET = SMS_SECRET
    return setup_public(regions)


def deliver(data, *, secret=SMS_SECRET, as_json=False):
    headers = {"HTTP_X_SIAGA_WEBHOOK_SECRET": secret} if secret is not None else {}
    if as_json:
        return Client().post("/api/public/sms/inbound", data=json.dumps(data), content_type="application/json",
                             **headers)
    return Client().post("/api/public/sms/inbound", data=data, **headers)


def test_a_text_becomes_an_sms_call_with_its_text_kept(center, capture_events):
    with capture_events() as events:
        r = deliver({"from": "0812-3456-7890", "to": "0321112112", "text": "Tolong, ada pohon tumbang", "id": "m-1"})
    assert r.status_code == 201, r.content
    body = r.json()
    call = Call.objects.get(pk=body["call_id"])
    assert (call.channel, call.caller_number, call.external_id, call.organization_id) == ("sms", NUMBER, "m-1",
                                                                                         center.pk)
    assert call.answered_at == call.started_at and not call.outcome  # waiting for a call-taker
    sms = InboundSms.objects.get(pk=body["sms_id"])
    assert (sms.text, sms.kind, sms.call_id, sms.gateway_id) == ("Tolong, ada pohon tumbang", "report", call.pk, "m-1")
    assert "call.started" in [e["type"] for e in events]


def test_a_redelivery_with_the_same_message_id_creates_nothing(center):
    first = deliver({"from": NUMBER, "text": "Banjir", "id": "m-2"})
    again = deliver({"from": NUMBER, "text": "Banjir", "id": "m-2"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] and again.json()["call_id"] == first.json()["call_id"]
    assert Call.objects.count() == 1 and InboundSms.objects.count() == 1


@pytest.mark.parametrize("data, as_json", [
    ({"From": "+6281234567890", "To": "+62321112112", "Body": "Kebakaran", "MessageSid": "SM1"}, False),
    ({"msisdn": "6281234567890", "shortcode": "112", "message": "Kebakaran", "message_id": "SM1"}, True),
    ({"message": {"sender": "081234567890", "content": "Kebakaran", "id": "SM1"}}, True),
    ({"data": {"originator": "+62 812 3456 7890", "body": "Kebakaran", "messageId": "SM1"}}, True),
])
def test_common_gateway_shapes(center, data, as_json):
    r = deliver(data, as_json=as_json)
    assert r.status_code == 201, r.content
    sms = InboundSms.objects.get()
    assert (sms.from_number, sms.text, sms.gateway_id) == (NUMBER, "Kebakaran", "SM1")


def test_aml_by_sms_goes_to_the_aml_handler_not_to_a_new_call(center):
    live = services.start_call(system_actor_for(center), channel="phone", caller_number=NUMBER)
    r = deliver({"from": NUMBER, "to": "112", "text": AML, "id": "aml-1"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "aml" and body["aml"]["status"] == "attached" and body["call_id"] == live.pk
    assert Call.objects.count() == 1  # no SMS call was opened for it
    assert Position.objects.get().source == "aml"
    assert InboundSms.objects.get().kind == "aml"
    again = deliver({"from": NUMBER, "to": "112", "text": AML, "id": "aml-1"})
    assert again.status_code == 200 and again.json()["duplicate"]
    assert Position.objects.count() == 1 and AmlReport.objects.count() == 1


def test_aml_by_sms_before_the_call_is_started_waits_for_it(center):
    r = deliver({"from": NUMBER, "text": AML, "id": "aml-2"})
    assert r.json()["aml"]["status"] == "pending"
    call = services.start_call(system_actor_for(center), channel="phone", caller_number=NUMBER)
    assert Position.objects.get().call_id == call.pk


def test_malformed_aml_by_sms_is_refused_and_nothing_written(center):
    r = deliver({"from": NUMBER, "text": AML[:80], "id": "aml-3"})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "ml"
    assert not InboundSms.objects.exists() and not AmlReport.objects.exists() and not Call.objects.exists()


@pytest.mark.parametrize("secret, status", [(None, 403), ("", 403), ("salah", 403), (SMS_SECRET + "x", 403)])
def test_a_missing_or_wrong_secret_is_refused(center, secret, status):
    r = deliver({"from": NUMBER, "text": "Tolong"}, secret=secret)
    assert r.status_code == status and r.json()["error"]["code"] == "invalid_secret"
    assert not Call.objects.exists() and not InboundSms.objects.exists()


def test_the_webhook_is_off_until_a_secret_is_configured(regions, settings):
    settings.SIAGA_SMS_WEBHOOK_SECRET = ""
    setup_public(regions)
    r = deliver({"from": NUMBER, "text": "Tolong"}, secret="")
    assert r.status_code == 503 and r.json()["error"]["code"] == "webhook_disabled"
    assert not Call.objects.exists()


@pytest.mark.parametrize("sender", ["", "12", "bukan nomor"])
def test_an_invalid_sender_is_refused(center, sender):
    r = deliver({"from": sender, "text": "Tolong"})
    assert r.status_code == 400
    assert not Call.objects.exists() and not InboundSms.objects.exists()


def test_the_recipient_number_picks_the_call_center(center, regions):
    other = make_call_center(kind="psc119", region_code="35.16", phone="+62321119119", name="PSC 119 Kab. Mojokerto")
    r = deliver({"from": NUMBER, "to": "0321-119119", "text": "Ibu mau melahirkan", "id": "x1"})
    assert Call.objects.get(pk=r.json()["call_id"]).organization_id == other.pk
    r = deliver({"from": NUMBER, "to": "+62321112112", "text": "Kecelakaan", "id": "x2"})
    assert Call.objects.get(pk=r.json()["call_id"]).organization_id == center.pk


def test_an_unknown_recipient_with_several_call_centers_is_refused(center, regions):
    make_call_center(kind="psc119", region_code="35.16")
    r = deliver({"from": NUMBER, "to": "99999", "text": "Tolong"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_recipient"
    assert not Call.objects.exists()


def test_a_configured_default_call_center_takes_unknown_recipients(center, regions, settings):
    make_call_center(kind="psc119", region_code="35.16")
    settings.SIAGA_SMS_DEFAULT_ORGANIZATION = center.code
    r = deliver({"from": NUMBER, "to": "99999", "text": "Tolong"})
    assert Call.objects.get(pk=r.json()["call_id"]).organization_id == center.pk


def test_a_body_that_is_not_an_object_is_refused(center):
    r = Client().post("/api/public/sms/inbound", data="[1, 2]", content_type="application/json",
                      HTTP_X_SIAGA_WEBHOOK_SECRET=SMS_SECRET)
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_body"
    r = Client().post("/api/public/sms/inbound", data="{nope", content_type="application/json",
                      HTTP_X_SIAGA_WEBHOOK_SECRET=SMS_SECRET)
    assert r.status_code == 400
