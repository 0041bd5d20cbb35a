"""Disaster response API (/api/disaster/...): warnings and their affected areas, our own CAP alerts, the
dead-letter list, feed sources, disaster events with their timeline, and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core import uploads
from siaga.core.api import ErrorOut

from . import cap, services
from siaga.core.errors import NotFound

from .models import AffectedArea, DisasterEvent, DisasterType, FeedSource, Warning

router = Router(tags=["disaster"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
CategoryIn = Literal["Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
                     "CBRNE", "Other"]
UrgencyIn = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
SeverityIn = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
CertaintyIn = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
PhaseIn = Literal["warning", "emergency_response", "transition", "recovery", "closed"]


# --- schemas ------------------------------------------------------------------------------------------


class AffectedAreaOut(Schema):
    region_code: str
    level: int
    name: str
    share: float
    warning_share: float
    area_km2: float
    population: int | None
    population_affected: int | None


class WarningOut(Schema):
    id: int
    source: str
    state: str
    organization_id: int | None
    region_code: str
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: list
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    effective: datetime | None
    expires: datetime | None
    headline: str
    headline_id: str
    headline_en: str
    description_id: str
    description_en: str
    instruction_id: str
    instruction_en: str
    quake: dict | None
    geometry_repaired: bool
    geometry_notes: list
    received_at: datetime
    author_id: int | None
    approved_by_id: int | None
    published_at: datetime | None
    superseded_by_id: int | None
    affected_count: int


class WarningDetailOut(WarningOut):
    areas: list
    infos: list
    affected: list[AffectedAreaOut]


class WarningListOut(Schema):
    count: int
    items: list[WarningOut]


class AlertIn(Schema):
    event: str = Field(..., max_length=200)
    category: CategoryIn = "Met"
    urgency: UrgencyIn = "Expected"
    severity: SeverityIn = "Moderate"
    certainty: CertaintyIn = "Likely"
    headline_id: str = Field("", max_length=300)
    headline_en: str = Field("", max_length=300)
    description_id: str = Field("", max_length=4000)
    description_en: str = Field("", max_length=4000)
    instruction_id: str = Field("", max_length=4000)
    instruction_en: str = Field("", max_length=4000)
    area_desc: str = Field("", max_length=300)
    polygons: list[list[list[float]]] = Field(default_factory=list, description="rings of [lat, lon] pairs")
    region_codes: list[str] = Field(default_factory=list, description="regions whose boundaries form the area")
    effective: datetime | None = None
    expires: datetime | None = None
    msg_type: Literal["Alert", "Update", "Cancel"] = "Alert"
    references: list[int] = Field(default_factory=list, description="ids of the warnings this one updates/cancels")
    status: Literal["Actual", "Exercise", "Test"] = "Actual"


class ImportIn(Schema):
    content: str = Field(..., max_length=cap.MAX_BYTES, description="the CAP XML, earthquake JSON or ShakeMap grid")
    source_name: str = Field("upload", max_length=200)
    kind: Literal["cap", "quake_json", "shakemap"] | None = None


class ImportResultOut(Schema):
    status: str
    warning_id: int | None
    dead_letter_id: int | None
    message: str


class DeadLetterOut(Schema):
    id: int
    source: str
    kind: str
    reason: str
    error: str
    payload: str
    warning_id: int | None
    received_at: datetime
    reviewed: bool
    reviewed_at: datetime | None
    reviewed_by_id: int | None
    review_note: str


class DeadLetterListOut(Schema):
    count: int
    items: list[DeadLetterOut]


class ReviewIn(Schema):
    note: str = Field("", max_length=300)


class FeedSourceIn(Schema):
    name: str = Field(..., max_length=120)
    url: str = Field(..., max_length=500)
    kind: Literal["cap_rss", "cap", "quake_json", "shakemap"]
    enabled: bool = True
    interval_seconds: int = Field(300, ge=60, le=86400)


class FeedSourceOut(Schema):
    id: int
    name: str
    url: str
    kind: str
    enabled: bool
    interval_seconds: int
    last_polled_at: datetime | None
    last_ok_at: datetime | None
    last_error: str
    last_new_items: int


class DisasterTypeOut(Schema):
    code: str
    name_id: str
    name_en: str
    group: str


class EventIn(Schema):
    name: str = Field(..., max_length=200)
    type_code: str = Field(..., max_length=40)
    phase: Literal["warning", "emergency_response", "transition", "recovery"] = "warning"
    started_at: datetime | None = None
    description: str = Field("", max_length=8000)
    affected_region_codes: list[str] = Field(default_factory=list)
    participant_ids: list[int] = Field(default_factory=list)
    warning_ids: list[int] = Field(default_factory=list)


class EventPatchIn(Schema):
    name: str | None = Field(None, max_length=200)
    type_code: str | None = Field(None, max_length=40)
    description: str | None = Field(None, max_length=8000)
    affected_region_codes: list[str] | None = None
    participant_ids: list[int] | None = None
    warning_ids: list[int] | None = None


class PhaseIn_(Schema):
    phase: PhaseIn
    note: str = Field("", max_length=1000)


class DisasterNoteIn(Schema):
    text: str = Field(..., max_length=4000)
    at: datetime | None = None


class DisasterTimelineOut(Schema):
    id: int
    at: datetime
    kind: str
    text: str
    data: dict
    organization_id: int | None
    author_id: int | None


class EventOut(Schema):
    id: int
    name: str
    type_code: str
    type_name: str
    phase: str
    phase_label: str
    organization_id: int
    organization_name: str
    region_code: str
    started_at: datetime
    ended_at: datetime | None
    description: str
    affected_region_codes: list[str]
    participant_ids: list[int]
    warning_ids: list[int]


class EventDetailOut(EventOut):
    timeline: list[DisasterTimelineOut]
    affected: list[AffectedAreaOut]


class EventListOut(Schema):
    count: int
    items: list[EventOut]


class NotificationOut(Schema):
    id: int
    organization_id: int
    warning_id: int | None
    title: str
    body: str
    region_codes: list[str]
    created_at: datetime
    read_at: datetime | None


# --- converters ---------------------------------------------------------------------------------------


def _affected(rows) -> list[dict]:
    return [{"region_code": a.region_code, "level": a.level, "name": a.name, "share": a.share,
             "warning_share": a.warning_share, "area_km2": a.area_km2, "population": a.population,
             "population_affected": a.population_affected} for a in rows]


def _warning_out(w: Warning, affected_count: int | None = None) -> dict:
    out = {f: getattr(w, f) for f in ("id", "source", "state", "organization_id", "region_code", "identifier",
                                      "sender", "sent", "status", "msg_type", "references", "category", "event",
                                      "urgency", "severity", "certainty", "effective", "expires", "headline_id",
                                      "headline_en", "description_id", "description_en", "instruction_id",
                                      "instruction_en", "quake", "geometry_repaired", "geometry_notes",
                                      "received_at", "author_id", "approved_by_id", "published_at",
                                      "superseded_by_id")}
    out["headline"] = w.headline
    out["affected_count"] = affected_count if affected_count is not None else w.affected_areas.count()
    return out


def _event_out(ev: DisasterEvent) -> dict:
    return {"id": ev.pk, "name": ev.name, "type_code": ev.type_id, "type_name": ev.type.name_id, "phase": ev.phase,
            "phase_label": str(ev.get_phase_display()), "organization_id": ev.organization_id,
            "organization_name": ev.organization.name, "region_code": ev.region_code, "started_at": ev.started_at,
            "ended_at": ev.ended_at, "description": ev.description,
            "affected_region_codes": list(ev.affected_region_codes or []),
            "participant_ids": sorted(o.pk for o in ev.participants.all()),
            "warning_ids": sorted(w.pk for w in ev.warnings.all())}


def _event_detail(ev: DisasterEvent) -> dict:
    out = _event_out(ev)
    out["timeline"] = list(ev.timeline.all())
    out["affected"] = _affected(AffectedArea.objects.filter(event=ev).order_by("region_code"))
    return out


def _result(r: services.IngestResult) -> dict:
    return {"status": r.status, "warning_id": r.warning.pk if r.warning else None,
            "dead_letter_id": r.dead_letter.pk if r.dead_letter else None, "message": r.message}


# --- warnings -----------------------------------------------------------------------------------------


@router.get("/warnings", response={200: WarningListOut, 403: ErrorOut}, summary="Warnings: BMKG and our own alerts")
def list_warnings(request, source: Literal["bmkg_cap", "bmkg_quake", "own"] | None = None,
                  state: Literal["draft", "approved", "published", "received"] | None = None,
                  region_code: str | None = Query(None, max_length=13, description="warnings touching this region"),
                  active: bool | None = Query(None, description="true: not yet expired"),
                  limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    from django.db.models import Count, Q
    from django.utils import timezone

    qs = services.visible_warnings(request.auth)
    if source:
        qs = qs.filter(source=source)
    if state:
        qs = qs.filter(state=state)
    if region_code:
        qs = qs.filter(Q(affected_areas__region_code=region_code)
                       | Q(affected_areas__region_code__startswith=region_code + ".")).distinct()
    if active:
        # In force: not expired, not replaced by an Update or Cancel, and not itself a cancellation.
        qs = qs.filter(Q(expires__isnull=True) | Q(expires__gt=timezone.now()), superseded_by__isnull=True) \
            .exclude(msg_type="Cancel")
    qs = qs.annotate(n_affected=Count("affected_areas", distinct=True)).order_by("-sent", "-id")
    return {"count": qs.count(), "items": [_warning_out(w, w.n_affected) for w in qs[offset:offset + limit]]}


# Declared before /warnings/{warning_id}: Django matches URL patterns in order.
@router.post("/warnings/import", response={200: list[ImportResultOut], 413: ErrorOut, 415: ErrorOut, **ERRORS},
             summary="Import a CAP alert, earthquake JSON or ShakeMap grid (bad items go to the dead-letter list)")
def import_warning(request, payload: ImportIn):
    uploads.require_json(request)
    data = payload.content.encode("utf-8")
    kind = payload.kind or services.detect_kind(data)
    actor = request.auth
    if kind == "quake_json":
        results = services.ingest_quakes(actor, data, source_name=payload.source_name)
    elif kind == "shakemap":
        results = [services.ingest_shakemap(actor, data, source_name=payload.source_name)]
    else:
        results = [services.ingest_cap(actor, data, source_name=payload.source_name)]
    return [_result(r) for r in results]


@router.get("/warnings/{warning_id}", response={200: WarningDetailOut, **ERRORS}, summary="One warning")
def get_warning(request, warning_id: int):
    w = services.get_warning(request.auth, warning_id)
    rows = list(w.affected_areas.order_by("-level", "-share", "region_code"))
    out = _warning_out(w, len(rows))
    out.update({"areas": w.areas, "infos": w.infos, "affected": _affected(rows)})
    return out


@router.get("/warnings/{warning_id}/map", response={200: dict, **ERRORS},
            summary="GeoJSON: the warning area and its affected regions (share as a property)")
def warning_map(request, warning_id: int):
    from siaga.geo.models import Region

    w = services.get_warning(request.auth, warning_id)
    rows = {a.region_code: a for a in w.affected_areas.all()}
    features = []
    if w.geometry:
        features.append({"type": "Feature", "geometry": w.geometry,
                         "properties": {"kind": "warning", "headline": w.headline}})
    for code, name, level, boundary in (Region.objects.filter(code__in=list(rows), boundary__isnull=False)
                                        .values_list("code", "name", "level", "boundary")):
        a = rows[code]
        features.append({"type": "Feature", "geometry": boundary,
                         "properties": {"kind": "affected", "code": code, "name": name, "level": level,
                                        "share": round(a.share, 4), "population_affected": a.population_affected}})
    return {"type": "FeatureCollection", "features": features}


@router.get("/warnings/{warning_id}/cap.xml", response={200: None, **ERRORS}, summary="The warning as CAP 1.2 XML")
def warning_xml(request, warning_id: int):
    w = services.get_warning(request.auth, warning_id)
    if w.source == "own" and w.state != Warning.State.PUBLISHED:
        body = cap.to_xml(services.alert_to_cap(w))
    elif w.raw_format == "xml" and w.source != "bmkg_quake":
        body = w.raw.encode("utf-8")
    else:
        raise NotFound(_("This warning did not come as CAP."), code="no_cap")
    return HttpResponse(body, content_type="application/cap+xml; charset=utf-8")


@router.post("/warnings/{warning_id}/recompute", response={200: list[AffectedAreaOut], **ERRORS},
             summary="Recompute affected areas against the boundaries loaded now")
def recompute(request, warning_id: int):
    return _affected(services.recompute_affected(request.auth, warning_id))


# --- our own alerts -----------------------------------------------------------------------------------


@router.post("/alerts", response={201: WarningDetailOut, **ERRORS}, summary="Author a CAP alert (draft)")
def create_alert(request, payload: AlertIn):
    data = payload.dict()
    data["references_ids"] = data.pop("references")
    w = services.author_alert(request.auth, **data)
    return Status(201, get_warning(request, w.pk))


@router.post("/alerts/{alert_id}/approve", response={200: WarningOut, **ERRORS},
             summary="Approve a draft alert (a second person, not its author)")
def approve_alert(request, alert_id: int):
    return _warning_out(services.approve_alert(request.auth, alert_id))


@router.post("/alerts/{alert_id}/publish", response={200: WarningOut, **ERRORS},
             summary="Publish an approved alert as CAP 1.2 (XML and RSS)")
def publish_alert(request, alert_id: int):
    return _warning_out(services.publish_alert(request.auth, alert_id))


# --- the dead-letter list -----------------------------------------------------------------------------


@router.get("/dead-letters", response={200: DeadLetterListOut, 403: ErrorOut},
            summary="Feed items that were malformed or duplicates")
def list_dead_letters(request, reviewed: bool | None = None, reason: str | None = Query(None, max_length=12),
                      limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = services.visible_dead_letters(request.auth)
    if reviewed is not None:
        qs = qs.filter(reviewed=reviewed)
    if reason:
        qs = qs.filter(reason=reason)
    return {"count": qs.count(), "items": list(qs[offset:offset + limit])}


@router.get("/dead-letters/{item_id}", response={200: DeadLetterOut, **ERRORS}, summary="One dead-letter item")
def get_dead_letter(request, item_id: int):
    item = services.visible_dead_letters(request.auth).filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Dead-letter item not found."))
    return item


@router.post("/dead-letters/{item_id}/review", response={200: DeadLetterOut, **ERRORS},
             summary="Mark a dead-letter item reviewed")
def review_dead_letter(request, item_id: int, payload: ReviewIn):
    return services.review_dead_letter(request.auth, item_id, payload.note)


@router.post("/dead-letters/{item_id}/retry", response={200: ImportResultOut, **ERRORS},
             summary="Import a kept item again")
def retry_dead_letter(request, item_id: int):
    return _result(services.retry_dead_letter(request.auth, item_id))


# --- feed sources -------------------------------------------------------------------------------------


@router.get("/feeds", response={200: list[FeedSourceOut], 403: ErrorOut}, summary="Feed sources polled by huey")
def list_feeds(request):
    request.auth.require("disaster.manage")
    return list(FeedSource.objects.all())


@router.post("/feeds", response={201: FeedSourceOut, **ERRORS}, summary="Add a feed source")
def create_feed(request, payload: FeedSourceIn):
    return Status(201, services.save_feed_source(request.auth, **payload.dict()))


@router.put("/feeds/{source_id}", response={200: FeedSourceOut, **ERRORS}, summary="Change a feed source")
def update_feed(request, source_id: int, payload: FeedSourceIn):
    return services.save_feed_source(request.auth, source_id=source_id, **payload.dict())


# --- disaster events ----------------------------------------------------------------------------------


@router.get("/types", response={200: list[DisasterTypeOut], 403: ErrorOut},
            summary="Disaster types (Perka BNPB 8/2011)")
def list_types(request):
    request.auth.require("disaster.view")
    return list(DisasterType.objects.filter(active=True))


def _events_qs(request):
    return (services.visible_events(request.auth).select_related("type", "organization")
            .prefetch_related("participants", "warnings"))


@router.get("/events", url_name="disaster_list_events", response={200: EventListOut, 403: ErrorOut},
            summary="Disaster events I lead or take part in")
def list_events(request, phase: PhaseIn | None = None, limit: int = Query(50, ge=1, le=500),
                offset: int = Query(0, ge=0)):
    qs = _events_qs(request)
    if phase:
        qs = qs.filter(phase=phase)
    qs = qs.order_by("-started_at", "-id")
    return {"count": qs.count(), "items": [_event_out(e) for e in qs[offset:offset + limit]]}


@router.post("/events", response={201: EventDetailOut, **ERRORS}, summary="Open a disaster event")
def create_event(request, payload: EventIn):
    ev = services.create_event(request.auth, **payload.dict())
    return Status(201, _event_detail(_events_qs(request).get(pk=ev.pk)))


@router.get("/events/{event_id}", url_name="disaster_get_event", response={200: EventDetailOut, **ERRORS},
            summary="One event with its timeline")
def get_event(request, event_id: int):
    services.get_event(request.auth, event_id)
    return _event_detail(_events_qs(request).get(pk=event_id))


@router.patch("/events/{event_id}", response={200: EventDetailOut, **ERRORS}, summary="Change an event (lead only)")
def patch_event(request, event_id: int, payload: EventPatchIn):
    services.update_event(request.auth, event_id, **payload.dict(exclude_unset=True))
    return _event_detail(_events_qs(request).get(pk=event_id))


@router.post("/events/{event_id}/phase", response={200: EventDetailOut, **ERRORS},
             summary="Move an event to its next phase (lead only)")
def set_phase(request, event_id: int, payload: PhaseIn_):
    services.set_phase(request.auth, event_id, payload.phase, payload.note)
    return _event_detail(_events_qs(request).get(pk=event_id))


@router.post("/events/{event_id}/timeline", response={201: DisasterTimelineOut, **ERRORS},
             summary="Add a note to an event's timeline (lead or participant)")
def add_note(request, event_id: int, payload: DisasterNoteIn):
    return Status(201, services.add_timeline_note(request.auth, event_id, payload.text, payload.at))


# --- notifications ------------------------------------------------------------------------------------


@router.get("/notifications", response={200: list[NotificationOut], 403: ErrorOut},
            summary="Warnings that hit my organisation's area")
def list_notifications(request, unread: bool | None = None, limit: int = Query(50, ge=1, le=500)):
    qs = services.notifications_for(request.auth)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return list(qs[:limit])


@router.post("/notifications/{notice_id}/read", response={200: NotificationOut, **ERRORS},
             summary="Mark a notification read")
def read_notification(request, notice_id: int):
    return services.mark_notification_read(request.auth, notice_id)



from .api_needs import router as needs_router  # noqa: E402

router.add_router("", needs_router)
