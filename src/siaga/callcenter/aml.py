"""Advanced Mobile Location (ETSI TR 103 393): parse the handset's SMS and HTTPS payloads, attach them to calls.

The SMS form is one line of `key=value` pairs separated by ";" after an `A"ML=<version>` header:

    A"ML=1;lt=-7.47230;lg=112.43380;rd=15;top=20260216103045;lc=68;pm=G;si=...;ei=...;mcc=510;mnc=10;ml=127

lt/lg latitude and longitude (WGS84 degrees), rd radius of the position's uncertainty (metres),
top time of positioning (UTC, YYYYMMDDhhmmss), lc level of confidence (%), pm positioning method
(G GNSS, W Wi-Fi, C cell, N no position), si IMSI, ei IMEI, mcc/mnc the network, and ml the length
of the whole message in characters, ml itself included: the only way to notice an SMS cut short.

The HTTPS form carries the same facts as POST fields: either the SMS keys themselves (lt, lg, ...)
or the longer names used by handsets' HTTPS transport (location_latitude, location_accuracy, ...).

Where a position goes (receive()): to the caller's live call at the receiving call center (a call
from that number, not ended, started in the last LIVE_CALL_MINUTES); with no such call yet, the
report waits, and claim_pending() attaches it when the caller's call is started within
PENDING_MINUTES of its arrival. Every report is kept (AmlReport) with its raw text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor

from .location import check_coordinates
from .phones import normalize_phone

HEADER = 'A"ML='
SUPPORTED_VERSIONS = {1}
METHODS = {"G": "GNSS", "W": "Wi-Fi", "C": "cell", "N": "no position"}
KNOWN_KEYS = ("lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc", "ml")
# A real AML SMS is well under this; anything longer is not one (and is not worth parsing).
MAX_LENGTH = 640

_DEGREES = re.compile(r"[+-]?[0-9]{1,3}(\.[0-9]{1,10})?")
_NUMBER = re.compile(r"[0-9]{1,7}(\.[0-9]{1,3})?")
_DIGITS = re.compile(r"[0-9]*")
_KEY = re.compile(r"[a-z]{1,5}")


def live_call_minutes() -> int:
    return int(getattr(settings, "SIAGA_AML_LIVE_CALL_MINUTES", 30))


def pending_minutes() -> int:
    return int(getattr(settings, "SIAGA_AML_PENDING_MINUTES", 10))


class AmlError(ValueError):
    """A payload that is not a valid AML message; `field` names the part at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclasses.dataclass(frozen=True)
class AmlMessage:
    version: int = 1
    lat: float | None = None
    lng: float | None = None
    radius_m: float | None = None
    measured_at: dt.datetime | None = None  # UTC
    confidence_pct: int | None = None
    method: str = ""  # G, W, C, N or "" when not given
    imsi: str = ""
    imei: str = ""
    mcc: str = ""
    mnc: str = ""
    length: int | None = dataclasses.field(default=None, compare=False)  # the ml field, SMS form only
    device_number: str = ""  # HTTPS form only: the handset's own number
    raw: str = dataclasses.field(default="", compare=False)

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lng is not None

    @property
    def accuracy_m(self) -> int | None:
        return None if self.radius_m is None else int(math.ceil(self.radius_m))


# --- parsing ------------------------------------------------------------------------------------
def _degrees(field: str, value: str, limit: float) -> float:
    if not _DEGREES.fullmatch(value):
        raise AmlError(field, _("not a number of degrees: %(value)r") % {"value": value[:40]})
    number = float(value)
    if not -limit <= number <= limit:
        raise AmlError(field, _("out of range (-%(limit)s to %(limit)s)") % {"limit": int(limit)})
    return number


def _radius(field: str, value: str) -> float:
    if not _NUMBER.fullmatch(value):
        raise AmlError(field, _("not a radius in metres: %(value)r") % {"value": value[:40]})
    return float(value)


def _confidence(field: str, value: str) -> int:
    if not value.isdigit() or not value.isascii() or len(value) > 3 or int(value) > 100:
        raise AmlError(field, _("not a percentage from 0 to 100: %(value)r") % {"value": value[:40]})
    return int(value)


def _utc_timestamp(field: str, value: str) -> dt.datetime:
    if len(value) != 14 or not value.isdigit() or not value.isascii():
        raise AmlError(field, _("not a time as YYYYMMDDhhmmss: %(value)r") % {"value": value[:40]})
    try:
        return dt.datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise AmlError(field, _("not a valid date and time: %(value)r") % {"value": value}) from None


def _digits(field: str, value: str, max_len: int) -> str:
    if not _DIGITS.fullmatch(value) or len(value) > max_len:
        raise AmlError(field, _("must be at most %(n)s digits") % {"n": max_len})
    return value


def _method(field: str, value: str) -> str:
    if value not in METHODS:
        raise AmlError(field, _("unknown positioning method %(value)r (G, W, C or N)") % {"value": value[:10]})
    return value


def _from_fields(fields: Mapping[str, str], raw: str, *, length: int | None, version: int) -> AmlMessage:
    """Build a message from the SMS keys (already split), checking every value."""
    method = _method("pm", fields["pm"]) if fields.get("pm") else ""
    lt, lg = fields.get("lt", ""), fields.get("lg", "")
    if method == "N" and not lt and not lg:
        lat = lng = None
    else:
        if not lt:
            raise AmlError("lt", _("latitude is missing"))
        if not lg:
            raise AmlError("lg", _("longitude is missing"))
        lat, lng = _degrees("lt", lt, 90), _degrees("lg", lg, 180)
    return AmlMessage(
        version=version,
        lat=lat,
        lng=lng,
        radius_m=_radius("rd", fields["rd"]) if fields.get("rd") else None,
        measured_at=_utc_timestamp("top", fields["top"]) if fields.get("top") else None,
        confidence_pct=_confidence("lc", fields["lc"]) if fields.get("lc") else None,
        method=method,
        imsi=_digits("si", fields.get("si", ""), 15),
        imei=_digits("ei", fields.get("ei", ""), 16),
        mcc=_digits("mcc", fields.get("mcc", ""), 3),
        mnc=_digits("mnc", fields.get("mnc", ""), 3),
        length=length,
        raw=raw,
    )


def parse_sms(text: str) -> AmlMessage:
    """Parse the SMS form; raises AmlError naming the field at fault for anything malformed or truncated."""
    if not isinstance(text, str):
        raise AmlError("payload", _("the payload must be text"))
    text = text.strip()
    if len(text) > MAX_LENGTH:
        raise AmlError("payload", _("too long to be an AML message"))
    if not text.startswith(HEADER):
        raise AmlError('A"ML', _('the message does not start with A"ML='))
    parts = text.split(";")
    version_text = parts[0][len(HEADER):]
    if not version_text.isdigit() or not version_text.isascii() or len(version_text) > 3:
        raise AmlError('A"ML', _("the interface version is not a number"))
    version = int(version_text)
    if version not in SUPPORTED_VERSIONS:
        raise AmlError('A"ML', _("unsupported interface version %(v)s") % {"v": version})
    if parts[-1] == "":
        parts = parts[:-1]  # a trailing ";" is harmless
    # ml comes first among the checks: a wrong or missing length means the SMS was cut or corrupted,
    # whatever the fragment at the cut looks like.
    ml_values = [p[3:] for p in parts[1:] if p.startswith("ml=")]
    if not ml_values:
        raise AmlError("ml", _("the message length is missing: the SMS may be truncated"))
    ml = ml_values[-1]
    if not ml.isdigit() or not ml.isascii() or len(ml) > 4:
        raise AmlError("ml", _("the message length is not a number"))
    length = int(ml)
    if length != len(text):
        raise AmlError("ml", _("the message length says %(said)s characters but %(got)s arrived")
                       % {"said": length, "got": len(text)})
    fields: dict[str, str] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep or not _KEY.fullmatch(key):
            raise AmlError("payload", _("%(part)r is not a key=value pair") % {"part": part[:40]})
        if key in fields:
            raise AmlError(key, _("the field appears twice"))
        if key not in KNOWN_KEYS:
            raise AmlError(key, _("unknown field"))
        fields[key] = value
    return _from_fields(fields, text, length=length, version=version)


# Handset HTTPS transport: field names -> meaning. Sources map onto the SMS positioning methods.
_HTTPS_SOURCES = {"gps": "G", "gnss": "G", "fused": "G", "wifi": "W", "cell": "C", "unknown": ""}


def _first(fields: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = fields.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _epoch_ms(field: str, value: str) -> dt.datetime:
    if not value.isdigit() or not value.isascii() or len(value) > 15:
        raise AmlError(field, _("not a time in milliseconds since 1970: %(value)r") % {"value": value[:40]})
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise AmlError(field, _("the time is out of range")) from None


def parse_https(fields: Mapping[str, str]) -> AmlMessage:
    """Parse the HTTPS (form or JSON) form: SMS keys as parameters, or the handset transport's long names."""
    if not isinstance(fields, Mapping):
        raise AmlError("payload", _("the payload must be a set of fields"))
    fields = {str(k): ("" if v is None else str(v)) for k, v in fields.items()}
    raw = "&".join(f"{k}={v}" for k, v in sorted(fields.items()))[:MAX_LENGTH * 4]
    if any(k in fields for k in ("lt", "lg", "pm", "top")):
        version = fields.get("v") or fields.get("version") or "1"
        if not (version.isascii() and version.isdigit() and int(version[:3]) in SUPPORTED_VERSIONS):
            raise AmlError("v", _("unsupported interface version %(v)s") % {"v": version[:10]})
        return _from_fields({k: fields[k] for k in KNOWN_KEYS if k in fields}, raw, length=None,
                            version=int(version))
    lat_text = _first(fields, "location_latitude", "latitude")
    lng_text = _first(fields, "location_longitude", "longitude")
    source = _first(fields, "location_source").lower()
    if source and source not in _HTTPS_SOURCES:
        raise AmlError("location_source", _("unknown location source %(value)r") % {"value": source[:20]})
    method = _HTTPS_SOURCES.get(source, "")
    if not lat_text and not lng_text:
        lat = lng = None
        method = "N"
    else:
        if not lat_text:
            raise AmlError("location_latitude", _("latitude is missing"))
        if not lng_text:
            raise AmlError("location_longitude", _("longitude is missing"))
        lat = _degrees("location_latitude", lat_text, 90)
        lng = _degrees("location_longitude", lng_text, 180)
    accuracy = _first(fields, "location_accuracy", "accuracy")
    radius = _radius("location_accuracy", accuracy) if accuracy else None
    when = _first(fields, "location_time")  # "time" is when the call began, not the fix
    confidence_text = _first(fields, "location_confidence")
    confidence = None
    if confidence_text:
        try:
            fraction = float(confidence_text)
        except ValueError:
            fraction = -1.0
        if not (0.0 <= fraction <= 1.0):
            raise AmlError("location_confidence", _("not a fraction from 0 to 1: %(value)r")
                           % {"value": confidence_text[:20]})
        confidence = round(fraction * 100)
    version = _first(fields, "v") or "1"
    if not version.isdigit() or not version.isascii() or len(version) > 3:
        raise AmlError("v", _("the interface version is not a number"))
    return AmlMessage(
        version=int(version),
        lat=lat,
        lng=lng,
        radius_m=radius,
        measured_at=_epoch_ms("location_time", when) if when else None,
        confidence_pct=confidence,
        method=method,
        imsi=_digits("device_imsi", _first(fields, "device_imsi", "imsi"), 15),
        imei=_digits("device_imei", _first(fields, "device_imei", "imei"), 16),
        mcc=_digits("cell_network_mcc", _first(fields, "cell_network_mcc", "cell_home_mcc"), 3),
        mnc=_digits("cell_network_mnc", _first(fields, "cell_network_mnc", "cell_home_mnc"), 3),
        device_number=_first(fields, "device_number")[:32],
        raw=raw,
    )


def looks_like_aml(text: str) -> bool:
    return isinstance(text, str) and text.lstrip().startswith(HEADER)


def format_sms(msg: AmlMessage) -> str:
    """The SMS form of a message, ml computed (used by tests and by anyone simulating a handset)."""
    def deg(value):
        return "" if value is None else f"{value:+.5f}"

    def num(value):
        if value is None:
            return ""
        return f"{value:.3f}".rstrip("0").rstrip(".")

    top = f"{msg.measured_at.astimezone(dt.timezone.utc):%Y%m%d%H%M%S}" if msg.measured_at else ""
    lc = "" if msg.confidence_pct is None else str(msg.confidence_pct)
    body = (f"{HEADER}{msg.version};lt={deg(msg.lat)};lg={deg(msg.lng)};rd={num(msg.radius_m)};top={top};"
            f"lc={lc};pm={msg.method};si={msg.imsi};ei={msg.imei};mcc={msg.mcc};mnc={msg.mnc};ml=")
    # ml counts itself: find the length whose digits make the total come out right.
    for digits in range(1, 5):
        total = len(body) + digits
        if len(str(total)) == digits:
            return body + str(total)
    raise ValueError("message too long")


# --- attaching positions to calls ---------------------------------------------------------------
@dataclasses.dataclass
class AmlResult:
    status: str  # "attached", "pending", "no_position"
    report: object
    duplicate: bool = False

    def as_dict(self) -> dict:
        r = self.report
        return {"status": self.status, "report_id": r.pk, "call_id": r.call_id, "position_id": r.position_id,
                "duplicate": self.duplicate}


def _status_of(report) -> str:
    if report.lat is None:
        return "no_position"
    return "attached" if report.position_id else "pending"


def live_call(organization_id: int, caller_number: str, *, now=None):
    """The caller's live call at this call center: not ended, started in the last LIVE_CALL_MINUTES."""
    from .models import Call

    now = now or timezone.now()
    return (
        Call.objects.filter(organization_id=organization_id, caller_number=caller_number, ended_at__isnull=True,
                            started_at__gte=now - dt.timedelta(minutes=live_call_minutes()),
                            started_at__lte=now + dt.timedelta(minutes=1))
        .order_by("-started_at", "-id")
        .first()
    )


def _attach(actor: Actor, report, call):
    from . import services

    position = services.record_position(
        actor, call=call, lat=report.lat, lng=report.lng, accuracy_m=report.accuracy_m,
        source="aml", measured_at=report.measured_at, raw=report.raw,
    )
    type(report).objects.filter(pk=report.pk).update(call=call, position=position)
    report.call, report.position = call, position
    return position


def receive(actor: Actor, *, caller_number: str, message: AmlMessage, external_id: str = "", organization=None,
            now=None) -> AmlResult:
    """Keep an AML report at the actor's call center and attach it to the caller's live call, if any.

    external_id (the SMS gateway's message id) makes a redelivered message a no-op.
    """
    from .models import AmlReport

    actor.require("call.create")
    organization = organization or actor.organization
    if organization is None:
        raise ServiceError(_("AML reports are received on behalf of one call center; act through its membership."),
                           code="organization_required")
    actor.require_see(organization.pk)
    number = normalize_phone(caller_number, required=True)
    if message.has_position:
        check_coordinates(message.lat, message.lng)
    external_id = (external_id or "")[:100]
    if external_id:
        existing = AmlReport.objects.filter(organization=organization, external_id=external_id).first()
        if existing is not None:
            return AmlResult(_status_of(existing), existing, duplicate=True)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            report = AmlReport.objects.create(
                organization=organization, caller_number=number, lat=message.lat, lng=message.lng,
                accuracy_m=message.accuracy_m, confidence_pct=message.confidence_pct, method=message.method,
                measured_at=message.measured_at, received_at=now, raw=message.raw[:4000], external_id=external_id,
            )
            audit.created(actor, report)
            if message.has_position:
                call = live_call(organization.pk, number, now=now)
                if call is not None:
                    _attach(actor, report, call)
    except IntegrityError:
        # The same message delivered twice at once: the other delivery stored it.
        existing = AmlReport.objects.filter(organization=organization, external_id=external_id).first()
        if existing is None:
            raise
        return AmlResult(_status_of(existing), existing, duplicate=True)
    return AmlResult(_status_of(report), report)


def claim_pending(actor: Actor, call, *, now=None):
    """Attach the newest waiting AML report of the caller's number to a call just started; returns its Position.

    To be called when a call starts (services.start_call). The claim is a conditional update, so
    two workers starting calls for the same number cannot both take one report.
    """
    from .models import AmlReport

    if not call.caller_number:
        return None
    now = now or timezone.now()
    since = call.started_at - dt.timedelta(minutes=pending_minutes())
    candidates = (
        AmlReport.objects.filter(organization_id=call.organization_id, caller_number=call.caller_number,
                                 call__isnull=True, lat__isnull=False, received_at__gte=since,
                                 received_at__lte=now)
        .order_by("-received_at", "-id")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        for pk in candidates[:3]:
            if AmlReport.objects.filter(pk=pk, call__isnull=True).update(call=call):
                report = AmlReport.objects.get(pk=pk)
                return _attach(actor, report, call)
    return None
