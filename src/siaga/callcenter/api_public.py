"""Public call-center API (/api/public/...): citizens' reports and tracking, location links, AML, the SMS webhook.

Most operations here have no login (auth=None) and protect themselves: per-number and per-IP rate
limits, one-time tokens, a shared secret for the SMS gateway. Two are for staff and systems and keep
the API's default authentication: sending a location link, and receiving AML from the mobile network.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.core.errors import ServiceError, error_body

from . import aml, public, ratelimit
from .models import Channel

router = Router(tags=["public"])

# Shown in the OpenAPI document for operations that read a form or JSON body themselves.
_FIELDS_BODY = {
    "requestBody": {
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object", "additionalProperties": True}},
        }
    }
}


def _rate_limited(exc: ratelimit.RateLimited) -> JsonResponse:
    response = JsonResponse(error_body(exc.code, exc.message, exc.details), status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _aml_invalid(exc: aml.AmlError) -> JsonResponse:
    return JsonResponse(
        error_body("aml_invalid", _("The AML message is not valid: %(field)s: %(problem)s")
                   % {"field": exc.field, "problem": exc.message}, {"field": exc.field}),
        status=422,
    )


def _fields(request) -> dict:
    """A form or JSON body as one flat dict of strings (gateways send either)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == "application/json" or (not content_type and request.body[:1] in (b"{", b"[")):
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ServiceError(_("The body is not valid JSON."), code="invalid_body") from None
        if not isinstance(data, dict):
            raise ServiceError(_("The body must be a JSON object."), code="invalid_body")
        return data
    return {k: request.POST.get(k) for k in request.POST}


# --- public reports -------------------------------------------------------------------------------
class ReportIn(Schema):
    type_code: str = Field(..., max_length=40, description="An active incident type code")
    phone: str = Field(..., max_length=40, description="The reporter's phone number (0812..., +62812...)")
    description: str = Field("", max_length=public.MAX_DESCRIPTION)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1_000_000)
    place: str = Field("", max_length=public.MAX_PLACE, description="Kelurahan or landmark when there is no GPS")


class ReportOut(Schema):
    tracking_token: str
    tracking_url: str
    status: str
    label: str
    created: bool


class TrackingOut(Schema):
    status: str = Field(..., description="received, handled, on_the_way or closed")
    label: str
    step: int
    reported_at: str
    updated_at: str


@router.post("/reports", auth=None, response={200: ReportOut, 201: ReportOut, 400: ErrorOut, 422: ErrorOut,
                                               429: ErrorOut, 503: ErrorOut},
             summary="Report an emergency (citizens' apps); send an Idempotency-Key")
def create_report(request, payload: ReportIn, idempotency_key: str = Header("", alias="Idempotency-Key")):
    try:
        result = public.submit_report(
            channel=Channel.APP, type_code=payload.type_code, phone=payload.phone, description=payload.description,
            lat=payload.lat, lng=payload.lng, accuracy_m=payload.accuracy_m, place=payload.place,
            idempotency_key=idempotency_key, client_ip=ratelimit.client_ip(request),
        )
    except ratelimit.RateLimited as exc:
        return _rate_limited(exc)
    status = public.tracking_status(result.tracking_token)
    body = {"tracking_token": result.tracking_token, "tracking_url": request.build_absolute_uri(result.tracking_path),
            "status": status["status"], "label": status["label"], "created": result.created}
    return Status(201 if result.created else 200, body)


@router.get("/reports/{token}", auth=None, response={200: TrackingOut, 404: ErrorOut, 429: ErrorOut},
            summary="Status of a report, in citizens' words; nothing private")
def report_status(request, token: str):
    from siaga.core.ratelimit import RateLimited, check, too_many

    try:
        check(request, "report_status")
    except RateLimited as exc:
        return too_many(request, exc)
    status = public.tracking_status(token)
    return {"status": status["status"], "label": status["label"], "step": status["step"],
            "reported_at": status["reported_at"].isoformat(), "updated_at": status["updated_at"].isoformat()}


# --- location links -------------------------------------------------------------------------------
class LinkPositionIn(Schema):
    lat: float = Field(..., ge=-90, le=90)
    lng: float = Field(..., ge=-180, le=180)
    accuracy_m: float | None = Field(None, ge=0, le=1_000_000)


class LinkPositionOut(Schema):
    status: str


@router.post("/location/{token}", auth=None,
             response={200: LinkPositionOut, 400: ErrorOut, 404: ErrorOut, 410: ErrorOut, 429: ErrorOut},
             summary="The phone's GPS position, sent from a location link's page (one use)")
def post_location(request, token: str, payload: LinkPositionIn):
    try:
        public.post_link_position(token, lat=payload.lat, lng=payload.lng, accuracy_m=payload.accuracy_m,
                                  client_ip=ratelimit.client_ip(request))
    except ratelimit.RateLimited as exc:
        return _rate_limited(exc)
    return {"status": "recorded"}


class LocationLinkIn(Schema):
    call_id: int


class LocationLinkOut(Schema):
    id: int
    call_id: int
    expires_at: str
    sms_id: int
    url: str


@router.post("/staff/location-links", response={201: LocationLinkOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Text the caller of a call a one-time link that sends the phone's position back")
def create_location_link(request, payload: LocationLinkIn):
    link = public.send_location_link(request.auth, payload.call_id)
    return Status(201, {"id": link.pk, "call_id": link.call_id, "expires_at": link.expires_at.isoformat(),
                        "sms_id": link.sms.pk, "url": link.url})


# --- Advanced Mobile Location ---------------------------------------------------------------------
_AML_TEXT_FIELDS = ("payload", "text", "message", "body", "sms", "aml")
_AML_NUMBER_FIELDS = ("caller_number", "from", "msisdn", "sender", "device_number", "phone")
_AML_ID_FIELDS = ("id", "message_id", "external_id")


class AmlOut(Schema):
    status: str = Field(..., description="attached (to the live call), pending (kept for the caller's next call) "
                                         "or no_position")
    report_id: int
    call_id: int | None
    position_id: int | None
    duplicate: bool


@router.post("/aml", response={200: AmlOut, 202: AmlOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
             openapi_extra=_FIELDS_BODY,
             summary="Advanced Mobile Location from the mobile network or an SMS gateway (call-center API token)")
def receive_aml(request):
    """Form or JSON: either the SMS text (payload/text: `A"ML=1;lt=...`) with the caller's number
    (caller_number/from/msisdn) and optionally the gateway's message id (id), or the HTTPS fields
    (lt, lg, rd, ... or location_latitude, location_longitude, location_accuracy, device_number, ...)."""
    fields = _fields(request)
    lowered = {str(k).lower(): v for k, v in fields.items()}
    text = next((str(lowered[k]) for k in _AML_TEXT_FIELDS if lowered.get(k)), "")
    try:
        message = aml.parse_sms(text) if text else aml.parse_https(fields)
    except aml.AmlError as exc:
        return _aml_invalid(exc)
    number = next((str(lowered[k]) for k in _AML_NUMBER_FIELDS if lowered.get(k)), "") or message.device_number
    if not number:
        raise ServiceError(_("The caller's number is missing (caller_number)."), code="invalid_phone",
                           details={"field": "caller_number"})
    external_id = next((str(lowered[k]) for k in _AML_ID_FIELDS if lowered.get(k)), "")
    result = aml.receive(request.auth, caller_number=number, message=message, external_id=external_id)
    return Status(202 if result.status == "pending" else 200, result.as_dict())


# --- inbound SMS ----------------------------------------------------------------------------------
class InboundSmsOut(Schema):
    kind: str = Field(..., description="report (a new SMS call) or aml (a caller position)")
    sms_id: int
    call_id: int | None
    duplicate: bool
    aml: dict | None = None


@router.post("/sms/inbound", auth=None,
             response={200: InboundSmsOut, 201: InboundSmsOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut,
                       503: ErrorOut},
             openapi_extra=_FIELDS_BODY, summary="Inbound SMS webhook for any gateway (X-Siaga-Webhook-Secret)")
def inbound_sms(request, secret: str = Header("", alias="X-Siaga-Webhook-Secret")):
    """Form or JSON with the sender (from/sender/msisdn), recipient (to), text (text/message/body) and the
    gateway's message id (id/message_id/MessageSid): a retried delivery with the same id changes nothing."""
    expected = getattr(settings, "SIAGA_SMS_WEBHOOK_SECRET", "") or ""
    if not expected:
        return JsonResponse(error_body("webhook_disabled", _("The SMS webhook is not configured on this server.")),
                            status=503)
    if not hmac.compare_digest(secret.encode(), expected.encode()):
        return JsonResponse(error_body("invalid_secret", _("The webhook secret is missing or wrong.")), status=403)
    try:
        result = public.receive_sms(_fields(request))
    except aml.AmlError as exc:
        return _aml_invalid(exc)
    return Status(200 if result.duplicate else 201, result.as_dict())
