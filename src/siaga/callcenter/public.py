"""Citizens' side of the call center: public reports, their tracking status, location links, inbound SMS.

Nobody here is logged in. Each write acts through a system actor of the responsible call center
(role call_taker, no user: audit rows carry the organisation and no person) and goes through the
same services as a call-taker's work, so routing, events and audit are the ones of any incident.

Who handles a public report: the active Call Center 112 / PSC 119 whose area contains the report's
region (the most specific area wins; a Call Center 112 before a PSC 119 at the same level, because
112 is the general number); else the province-level call center nearest to the reported position;
else the report is refused with a clear error (and the advice to call 112).

Retries: every report carries a client key (the Idempotency-Key header of the API, a key signed into
the web form) stored as Call.external_id; a retry with the same key answers with the first report's
tracking token and creates nothing. Abuse: limits per phone number and per client IP (ratelimit.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from siaga.core import audit
from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import Organization, OrgKind, Role
from siaga.core.permissions import Actor, in_scope

from . import ratelimit
from .location import check_coordinates, haversine_m
from .models import (
    Call,
    Channel,
    Incident,
    IncidentStatus,
    IncidentType,
    InboundSms,
    LocationLink,
    LocationSource,
    ReportPhoto,
)
from .phones import normalize_phone

log = logging.getLogger(__name__)

CALL_CENTER_KINDS = (OrgKind.CALL_CENTER_112, OrgKind.PSC_119)
MAX_DESCRIPTION = 1000
MAX_PLACE = 300
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {  # magic bytes -> (content type, file extension)
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
}
# The few types a citizen picks from on the web form (all active types are accepted by the API).
DEFAULT_PUBLIC_TYPES = [
    "sakit-lainnya", "kecelakaan-lalu-lintas", "kebakaran-bangunan", "banjir", "tanah-longsor", "pohon-tumbang",
    "kejahatan", "kdrt", "orang-hilang", "hewan-berbahaya", "informasi-lainnya",
]


def link_minutes() -> int:
    return int(getattr(settings, "SIAGA_LOCATION_LINK_MINUTES", 30))


def public_base_url() -> str:
    """Where citizens reach this installation (for links sent by SMS)."""
    return (getattr(settings, "SIAGA_PUBLIC_BASE_URL", "") or "http://localhost:8000").rstrip("/")


# --- who answers ----------------------------------------------------------------------------------
def system_actor_for(organization: Organization) -> Actor:
    """The call center itself taking a citizen's report: a call-taker role with no user behind it."""
    return Actor(user=None, membership=None, organization=organization, role=Role.CALL_TAKER, scope_code="")


def responsible_call_center(region_code: str = "", lat: float | None = None, lng: float | None = None) -> Organization:
    """The call center that handles a report from region_code / (lat, lng); see the module docstring."""
    centers = list(Organization.objects.filter(kind__in=CALL_CENTER_KINDS, active=True).order_by("pk"))
    covering = [o for o in centers if region_code and in_scope(o.region_code, region_code)]
    covering += [o for o in centers if not region_code and not o.region_code]
    if covering:
        # Deepest area first; 112 (the general number) before 119 at the same depth; then oldest.
        def rank(o):
            depth = len(o.region_code.split(".")) if o.region_code else 0
            return (-depth, 0 if o.kind == OrgKind.CALL_CENTER_112 else 1, o.pk)

        return min(covering, key=rank)
    if lat is not None and lng is not None:
        provincial = [o for o in centers if o.region_code and "." not in o.region_code and o.lat is not None
                      and o.lng is not None]
        if provincial:
            return min(provincial, key=lambda o: (haversine_m(lat, lng, o.lat, o.lng), o.pk))
    raise ServiceError(
        _("No call center receives online reports for this area yet. Please call 112."),
        code="no_call_center", status=503,
    )


# --- places ---------------------------------------------------------------------------------------
def resolve_place(text: str) -> str:
    """The Kemendagri code of a typed kelurahan/kecamatan ("Kranggan" or "Kranggan, Kota Mojokerto").

    Raises ServiceError when nothing matches, or when the name exists in several kab/kota and the
    text does not say which (the report would go to the wrong call center).
    """
    from siaga.geo import search as region_search

    parts = [p.strip() for p in (text or "").split(",") if p.strip()]
    if not parts:
        raise ServiceError(_("Tell us where you are: allow location access or type your kelurahan."),
                           code="location_required")
    within = ""
    for context in reversed(parts[1:]):
        hits = [h for h in region_search.search(context, within=within, limit=5)
                if h.match != "fuzzy" and h.level <= 3]
        if hits:
            within = hits[0].code
    hits = region_search.search(parts[0], within=within, limit=10)
    # Exact names; the start of a name when most of it was typed; a near-miss spelling only when very close.
    good = ([h for h in hits if h.match == "exact" or (h.match == "prefix" and h.score >= 60)]
            or [h for h in hits[:1] if h.score >= 90])
    if not good:
        raise ServiceError(_("We could not find the place %(place)s. Check the spelling, or add the kab/kota.")
                           % {"place": parts[0][:60]}, code="place_unknown")
    best_tier = [h for h in good if h.match == good[0].match and h.score == good[0].score]
    if len({h.code[:5] for h in best_tier}) > 1:
        raise ServiceError(
            _("There are several places called %(place)s. Add the kab/kota, e.g. \"%(place)s, %(example)s\".")
            % {"place": parts[0][:60], "example": (best_tier[0].parents[-2] if len(best_tier[0].parents) >= 2
                                                    else best_tier[0].name)},
            code="place_ambiguous", details={"candidates": [h.label for h in best_tier[:5]]},
        )
    return good[0].code


def region_at(lat: float, lng: float) -> str:
    from siaga.geo.lookup import lookup_code

    try:
        return lookup_code(lat, lng) or ""
    except Exception:  # noqa: BLE001 - a broken boundary index must not stop an emergency report
        log.exception("region lookup failed for %s,%s", lat, lng)
        return ""


# --- photos ---------------------------------------------------------------------------------------
def photo_kind(head: bytes) -> tuple[str, str] | None:
    for magic, kind in PHOTO_TYPES.items():
        if head.startswith(magic):
            return kind
    return None


def check_photo(upload) -> tuple[bytes, str, str]:
    """Read an uploaded photo: JPEG or PNG by its first bytes (the name and the browser's claim are ignored)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ServiceError(_("The photo is larger than 5 MB."), code="photo_too_large")
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError(_("The photo is larger than 5 MB."), code="photo_too_large")
    kind = photo_kind(data[:16])
    if kind is None:
        raise ServiceError(_("The photo must be a JPEG or PNG image."), code="photo_type")
    return data, kind[0], kind[1]


def upload_dir():
    return settings.VAR_DIR / "uploads" / "reports"


def _store_photo(actor: Actor, incident: Incident, call: Call, photo: tuple[bytes, str, str]) -> ReportPhoto:
    data, content_type, ext = photo
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{ext}"
    path = folder / name
    path.write_bytes(data)
    row = ReportPhoto.objects.create(organization=incident.organization, incident=incident, call=call,
                                     path=f"reports/{name}", content_type=content_type, size_bytes=len(data),
                                     sha256=hashlib.sha256(data).hexdigest(), created_at=timezone.now())
    audit.created(actor, row)
    return row


# --- public reports -------------------------------------------------------------------------------
@dataclasses.dataclass
class ReportResult:
    tracking_token: str
    incident: Incident
    call: Call
    created: bool

    @property
    def tracking_path(self) -> str:
        return reverse("lapor:status", args=[self.tracking_token])


def public_types():
    """The types offered on the web form: the configured common ones that are active, in taxonomy order."""
    codes = getattr(settings, "SIAGA_PUBLIC_REPORT_TYPES", None) or DEFAULT_PUBLIC_TYPES
    types = list(IncidentType.objects.filter(active=True, code__in=codes).order_by("sort_order", "name"))
    return types or list(IncidentType.objects.filter(active=True).order_by("sort_order", "name"))


def _existing_report(channel: str, key: str, number: str) -> ReportResult | None:
    calls = Call.objects.filter(channel=channel, external_id=key).select_related("incident")
    for call in calls:
        if call.caller_number != number:
            raise ServiceError(_("This Idempotency-Key was already used for a different report."),
                               code="idempotency_key_reused", status=422)
        if call.incident is not None:
            return ReportResult(call.incident.tracking_token, call.incident, call, created=False)
    return None


def submit_report(*, channel: str, type_code: str, phone: str, description: str = "", lat=None, lng=None,
                  accuracy_m=None, place: str = "", photo=None, idempotency_key: str, client_ip: str = "",
                  allowed_types=None) -> ReportResult:
    """A citizen's report -> a call (channel web/app, outcome new incident) and an incident.

    Checks everything before writing anything; a retry with the same idempotency_key returns the
    first report. photo is an uploaded file (checked by its bytes) or None.
    """
    if channel not in (Channel.WEB, Channel.APP):
        raise ServiceError(_("Unknown channel."), code="invalid_channel")
    key = (idempotency_key or "").strip()
    if not key:
        raise ServiceError(_("An Idempotency-Key is required so that a retried report is not counted twice."),
                           code="idempotency_key_required")
    if len(key) > 100:
        raise ServiceError(_("The Idempotency-Key is too long (100 characters at most)."),
                           code="idempotency_key_invalid")
    number = normalize_phone(phone, required=True)
    existing = _existing_report(channel, key, number)
    if existing is not None:
        return existing

    incident_type = IncidentType.objects.filter(code=type_code or "", active=True).first()
    if incident_type is None or (allowed_types is not None and type_code not in allowed_types):
        raise ServiceError(_("Unknown incident type: %(code)s.") % {"code": (type_code or "")[:40]},
                           code="unknown_type")
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(_("The description is too long (%(n)s characters at most).") % {"n": MAX_DESCRIPTION},
                           code="description_too_long")
    place = (place or "").strip()[:MAX_PLACE]
    lat, lng = check_coordinates(lat, lng)
    if accuracy_m is not None:
        try:
            accuracy_m = max(0, min(int(round(float(accuracy_m))), 1_000_000))
        except (TypeError, ValueError):
            raise ServiceError(_("The accuracy must be a number of metres."), code="invalid_accuracy") from None
    if lat is not None:
        region_code = region_at(lat, lng)
        if not region_code and place:
            # The phone's fix decides; a typed place only helps where no boundary covers the fix.
            try:
                region_code = resolve_place(place)
            except ServiceError:
                region_code = ""
        source = LocationSource.REPORTER
    else:
        region_code = resolve_place(place)
        source, accuracy_m = LocationSource.ADDRESS, None
    photo_data = check_photo(photo) if photo else None
    center = responsible_call_center(region_code, lat, lng)

    ratelimit.hit_many([
        (f"report:number:{number}", ratelimit.limit("report_number")),
        (f"report:ip:{client_ip or 'unknown'}", ratelimit.limit("report_ip")),
    ])

    from . import services

    actor = system_actor_for(center)
    written: list = []
    try:
        with transaction.atomic():
            call = services.start_call(actor, channel=channel, caller_number=number, external_id=key,
                                       organization=center)
            incident = services.create_incident(
                actor, type_code=incident_type.code, call_id=call.pk, description=description,
                region_code=region_code, lat=lat, lng=lng, address=place, location_source=source,
                accuracy_m=accuracy_m, organization=center,
            )
            # A web or app report is one complete contact: it ends as it arrives.
            call = services.end_call(actor, call.pk)
            if photo_data is not None:
                row = _store_photo(actor, incident, call, photo_data)
                written.append(upload_dir().parent / row.path)
    except Exception:
        for path in written:
            path.unlink(missing_ok=True)
        # The same key arrived twice at once: the other request has created the report.
        existing = _existing_report(channel, key, number)
        if existing is None:
            raise
        return existing
    incident.refresh_from_db()
    return ReportResult(incident.tracking_token, incident, call, created=True)


# --- tracking -------------------------------------------------------------------------------------
# What a citizen sees: four plain words, nothing about who, what or where.
CITIZEN_STATUS = {
    IncidentStatus.NEW: ("received", gettext_lazy("Received")),
    IncidentStatus.REFERRED: ("handled", gettext_lazy("Being handled")),
    IncidentStatus.IN_PROGRESS: ("on_the_way", gettext_lazy("Help is on the way")),
    IncidentStatus.RESOLVED: ("closed", gettext_lazy("Finished")),
    IncidentStatus.CLOSED: ("closed", gettext_lazy("Finished")),
    IncidentStatus.CANCELLED: ("closed", gettext_lazy("Finished")),
}
CITIZEN_STEPS = ["received", "handled", "on_the_way", "closed"]


def tracking_status(token: str) -> dict:
    """The citizen's view of a report: status key, its words, and times. Raises NotFound for unknown tokens."""
    incident = Incident.objects.filter(tracking_token=token or "").first() if token else None
    if incident is None:
        raise NotFound(_("No report has this tracking code."))
    reported_at = incident.created_at
    seen = {incident.pk}
    # A report merged into another follows the incident that is now being worked.
    while incident.status == IncidentStatus.MERGED and incident.merged_into_id and incident.merged_into_id not in seen:
        seen.add(incident.merged_into_id)
        incident = Incident.objects.get(pk=incident.merged_into_id)
    key, label = CITIZEN_STATUS.get(incident.status, ("received", gettext_lazy("Received")))
    return {
        "status": key,
        "label": str(label),
        "step": CITIZEN_STEPS.index(key) + 1,
        "reported_at": reported_at,
        "updated_at": incident.closed_at if key == "closed" and incident.closed_at else incident.updated_at,
        "region_code": incident.region_code,  # used only to pick the time zone shown
    }


# --- location links -------------------------------------------------------------------------------
@transaction.atomic
def send_location_link(actor: Actor, call_id: int) -> LocationLink:
    """Text the caller a one-time link whose page sends the phone's GPS position back to this call."""
    from . import services, sms

    actor.require("call.create")
    call = services.get_call(actor, call_id)
    if not call.caller_number:
        raise ServiceError(_("This call has no caller number to send a link to."), code="no_caller_number")
    link = LocationLink.objects.create(call=call, token=secrets.token_urlsafe(24),
                                       expires_at=timezone.now() + dt.timedelta(minutes=link_minutes()))
    url = public_base_url() + reverse("lapor:location", args=[link.token])
    with translation.override("id"):
        text = _("%(org)s: please open this link to send us your location: %(url)s (valid %(minutes)s minutes)") % {
            "org": call.organization.name, "url": url, "minutes": link_minutes()}
    message = sms.send_sms(call.organization, call.caller_number, text, kind="location_link")
    audit.record(actor, "create", link, {"call": [None, call.pk], "expires_at": [None, link.expires_at.isoformat()],
                                         "sms": [None, message.pk]})
    if call.incident_id:
        services.add_timeline(call.incident, actor, "location_link_sent", _("Location link sent by SMS"),
                              {"call_id": call.pk, "sms_id": message.pk})
    link.sms = message
    link.url = url
    return link


class LinkGone(ServiceError):
    status = 410


def open_link(token: str, *, now=None) -> LocationLink:
    """The link behind a token, if it can still be used; NotFound (404) or LinkGone (410) otherwise."""
    link = LocationLink.objects.select_related("call", "call__organization").filter(token=token or "").first()
    if not token or link is None:
        raise NotFound(_("This location link does not exist."))
    now = now or timezone.now()
    if link.used_at is not None:
        raise LinkGone(_("This location link was already used. Ask the call center for a new one."),
                       code="link_used")
    if link.expires_at <= now:
        raise LinkGone(_("This location link has expired. Ask the call center for a new one."),
                       code="link_expired")
    return link


def post_link_position(token: str, *, lat, lng, accuracy_m=None, client_ip: str = "", now=None):
    """The phone's GPS position sent from a location link's page: recorded on the call, the link used up."""
    from . import services

    ratelimit.hit(f"location:ip:{client_ip or 'unknown'}", ratelimit.limit("location_ip"), now=now)
    link = open_link(token, now=now)
    lat, lng = check_coordinates(lat, lng)
    if lat is None:
        raise ServiceError(_("Give both latitude and longitude."), code="invalid_position")
    if accuracy_m is not None:
        try:
            accuracy_m = max(0, min(int(round(float(accuracy_m))), 1_000_000))
        except (TypeError, ValueError):
            raise ServiceError(_("The accuracy must be a number of metres."), code="invalid_accuracy") from None
    now = now or timezone.now()
    with transaction.atomic():
        # Claimed with a conditional update: of two posts racing on one link, exactly one wins.
        if not LocationLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now):
            raise LinkGone(_("This location link was already used. Ask the call center for a new one."),
                           code="link_used")
        call = link.call
        actor = system_actor_for(call.organization)
        position = services.record_position(actor, call=call, lat=lat, lng=lng,
                                            accuracy_m=accuracy_m, source=LocationSource.LINK, measured_at=now,
                                            raw=f"location link {link.pk}")
    return position


# --- inbound SMS ----------------------------------------------------------------------------------
# Field names used by common gateways for the same facts (first match wins, case-insensitive).
_SMS_FROM = ("from", "sender", "msisdn", "phone", "originator", "source", "from_number", "mobile")
_SMS_TO = ("to", "recipient", "destination", "shortcode", "short_code", "to_number", "receiver")
_SMS_TEXT = ("text", "message", "body", "content", "msg", "sms")
_SMS_ID = ("id", "message_id", "messageid", "msgid", "sms_id", "messagesid", "smssid", "uuid", "external_id")


def _pick(fields: Mapping[str, object], names) -> str:
    lowered = {str(k).lower(): v for k, v in fields.items()}
    for name in names:
        value = lowered.get(name)
        if value not in (None, "") and not isinstance(value, (dict, list)):
            return str(value).strip()
    return ""


def flatten_sms_fields(data) -> dict:
    """One flat dict from a gateway's body: flat fields, or one level of nesting ({"message": {...}})."""
    if not isinstance(data, Mapping):
        raise ServiceError(_("The webhook body must be a set of fields."), code="invalid_body")
    flat = dict(data)
    for key in ("message", "data", "sms", "payload"):
        inner = data.get(key)
        if isinstance(inner, Mapping):
            del flat[key]
            for k, v in inner.items():
                flat.setdefault(k, v)
    return flat


def _digits(number: str) -> str:
    return "".join(c for c in number or "" if c.isdigit())


def call_center_for_sms(to_number: str) -> Organization:
    """The call center an SMS was sent to: the one whose phone is the recipient number, else the configured
    default (settings.SIAGA_SMS_DEFAULT_ORGANIZATION, an organisation code), else the only call center."""
    centers = list(Organization.objects.filter(kind__in=CALL_CENTER_KINDS, active=True).order_by("pk"))
    wanted = _digits(to_number)
    if wanted:
        try:
            wanted_e164 = _digits(normalize_phone(to_number))
        except ServiceError:
            wanted_e164 = wanted
        for org in centers:
            phone = _digits(org.phone)
            if not phone:
                continue
            try:
                phone_e164 = _digits(normalize_phone(org.phone))
            except ServiceError:
                phone_e164 = phone
            if phone in (wanted, wanted_e164) or phone_e164 in (wanted, wanted_e164):
                return org
    default_code = getattr(settings, "SIAGA_SMS_DEFAULT_ORGANIZATION", "")
    if default_code:
        org = next((o for o in centers if o.code == default_code), None)
        if org is not None:
            return org
    if len(centers) == 1:
        return centers[0]
    raise ServiceError(_("No call center receives SMS at %(to)s.") % {"to": to_number[:20] or "-"},
                       code="unknown_recipient", status=422)


@dataclasses.dataclass
class InboundResult:
    kind: str  # "report" or "aml"
    sms: InboundSms
    duplicate: bool = False
    call: Call | None = None
    aml: object = None

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "sms_id": self.sms.pk, "duplicate": self.duplicate,
               "call_id": self.sms.call_id}
        if self.aml is not None:
            out["aml"] = self.aml.as_dict()
        return out


def receive_sms(fields: Mapping, *, now=None) -> InboundResult:
    """An SMS delivered by the gateway webhook: a new SMS call, or (A"ML= text) a caller position."""
    from . import aml, services

    fields = flatten_sms_fields(fields)
    sender, recipient = _pick(fields, _SMS_FROM), _pick(fields, _SMS_TO)
    text, gateway_id = _pick(fields, _SMS_TEXT), _pick(fields, _SMS_ID)[:100]
    if not sender:
        raise ServiceError(_("The SMS has no sender number."), code="invalid_sms", details={"field": "from"})
    number = normalize_phone(sender, required=True)
    center = call_center_for_sms(recipient)
    if gateway_id:
        seen = InboundSms.objects.filter(organization=center, gateway_id=gateway_id).select_related("call").first()
        if seen is not None:
            return InboundResult(seen.kind, seen, duplicate=True, call=seen.call)
    actor = system_actor_for(center)
    now = now or timezone.now()
    is_aml = aml.looks_like_aml(text)
    if is_aml:
        message = aml.parse_sms(text)  # AmlError for a malformed one: nothing is written
    try:
        with transaction.atomic():
            sms_row = InboundSms.objects.create(
                organization=center, gateway_id=gateway_id, from_number=number, to_number=recipient[:20],
                text=text[:2000], kind=InboundSms.Kind.AML if is_aml else InboundSms.Kind.REPORT, received_at=now,
            )
            audit.created(actor, sms_row)
            if is_aml:
                result = aml.receive(actor, caller_number=number, message=message, external_id=gateway_id,
                                     organization=center, now=now)
                if result.report.call_id:
                    InboundSms.objects.filter(pk=sms_row.pk).update(call_id=result.report.call_id)
                    sms_row.call_id = result.report.call_id
                return InboundResult("aml", sms_row, call=result.report.call, aml=result)
            call = services.start_call(actor, channel=Channel.SMS, caller_number=number, external_id=gateway_id,
                                       organization=center)
            InboundSms.objects.filter(pk=sms_row.pk).update(call=call)
            sms_row.call = call
            return InboundResult("report", sms_row, call=call)
    except IntegrityError:
        seen = InboundSms.objects.filter(organization=center, gateway_id=gateway_id).select_related("call").first()
        if not gateway_id or seen is None:
            raise
        return InboundResult(seen.kind, seen, duplicate=True, call=seen.call)


def sms_of_call(call: Call):
    """The texts an SMS call consists of (for the call-taker's screen)."""
    return InboundSms.objects.filter(call=call).order_by("received_at")
