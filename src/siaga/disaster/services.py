"""Write path of disaster response: warnings from feeds and files, our own CAP alerts, disaster events.

Every function takes the actor first, checks permission, writes in one transaction with an audit
record and queues its events. A feed item that cannot be used (malformed, a duplicate, a geometry
beyond repair) is never dropped: it lands in the dead-letter list (FeedItemError) with the reason,
written in its own transaction so it survives the failed import.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import Organization, OrgKind
from siaga.core.permissions import Actor, PermissionDenied, scopes_overlap
from siaga.geo.models import Region

from . import affected as aff
from . import cap, quake
from .models import (PHASE_ORDER, AffectedArea, DisasterEvent, DisasterType, FeedItemError, FeedSource, Notification,
                     Phase, TimelineEntry, Warning, WarningSource)

# A region counts as hit for notifications when this share of it is covered, or this share of the warning
# lies in it: a polygon drawn along a border grazes the neighbour without threatening it.
NOTIFY_MIN_SHARE = 0.01
# Organisations told when a warning hits their area (scenario 3: PMI and the BPBD, and who responds with them).
NOTIFY_KINDS = (OrgKind.PMI_HQ, OrgKind.PMI_PROVINCE, OrgKind.PMI_BRANCH, OrgKind.BPBD, OrgKind.CALL_CENTER_112,
                OrgKind.PSC_119, OrgKind.GOVERNMENT, OrgKind.SOCIAL_OFFICE, OrgKind.HEALTH_OFFICE, OrgKind.FIRE)
EVENT_AFFECTED_LIMIT = 50

IMPORT = "import"  # a file someone chose: a repeat is a duplicate for the dead-letter list
POLL = "poll"  # a feed polled again and again: an identical repeat is simply already known


@dataclass
class IngestResult:
    status: str  # created | updated | unchanged | duplicate | malformed
    warning: Warning | None = None
    dead_letter: FeedItemError | None = None
    message: str = ""


# --- reading ------------------------------------------------------------------------------------------


def visible_warnings(actor: Actor):
    """Feed warnings (public reference data) and published alerts for everyone with disaster.view; drafts and
    approved alerts only for the authoring organisation (and those above it) inside the actor's area."""
    actor.require("disaster.view")
    qs = Warning.objects.all()
    if actor.is_platform_admin:
        return qs
    own = Q(source=WarningSource.OWN, organization__in=actor.org_ids)
    if actor.scope_code:
        from siaga.core.permissions import region_overlap_q

        own &= region_overlap_q("region_code", actor.scope_code)
    return qs.filter(~Q(source=WarningSource.OWN) | Q(state=Warning.State.PUBLISHED) | own)


def get_warning(actor: Actor, warning_id: int) -> Warning:
    w = visible_warnings(actor).filter(pk=warning_id).first()
    if w is None:
        raise NotFound(_("Warning not found."))
    return w


def visible_dead_letters(actor: Actor):
    # Feed items come from public feeds and belong to no organisation; reviewing them is a manager's job.
    actor.require("disaster.manage")
    return FeedItemError.objects.all()


def visible_events(actor: Actor):
    """Events the actor's organisations lead (inside its area), events they take part in wherever they are, and
    events a mutual-aid request asks them to help with (while the request is not declined or cancelled): a
    province lending help to another must see the event it helps with."""
    from siaga.disaster.mutualaid.models import MutualAidRequest, State
    from siaga.disaster.mutualaid.services import lender_q

    actor.require("disaster.view")
    if actor.is_platform_admin:
        return DisasterEvent.objects.all()
    led = actor.scope_queryset(DisasterEvent.objects.all()).values("pk")
    joined = DisasterEvent.objects.filter(participants__in=actor.org_ids).values("pk")
    lending = (MutualAidRequest.objects.filter(lender_q(actor), event__isnull=False)
               .exclude(state__in=[State.DECLINED, State.CANCELLED]).values("event_id"))
    return DisasterEvent.objects.filter(Q(pk__in=led) | Q(pk__in=joined) | Q(pk__in=lending))


def get_event(actor: Actor, event_id: int) -> DisasterEvent:
    ev = visible_events(actor).filter(pk=event_id).select_related("type", "organization").first()
    if ev is None:
        raise NotFound(_("Disaster event not found."))
    return ev


def notifications_for(actor: Actor):
    actor.require("disaster.view")
    return actor.scope_queryset(Notification.objects.all())


@transaction.atomic
def mark_notification_read(actor: Actor, notice_id: int) -> Notification:
    notice = notifications_for(actor).select_for_update().filter(pk=notice_id).first()
    if notice is None:
        raise NotFound(_("Notification not found."))
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.read_by = actor.user if getattr(actor.user, "pk", None) else None
        notice.save(update_fields=["read_at", "read_by"])
    return notice


# --- the dead-letter list -----------------------------------------------------------------------------


def dead_letter(source: str, kind: str, reason: str, error: str, payload, *, feed_source: FeedSource | None = None,
                warning: Warning | None = None) -> FeedItemError:
    """Keep a feed item that could not be used, in its own transaction (it must outlive a rolled-back import)."""
    if isinstance(payload, (bytes, bytearray)):
        payload = bytes(payload).decode("utf-8", "replace")
    # PostgreSQL text cannot hold NUL; a hostile or broken item must still be kept, so NUL becomes U+FFFD.
    payload = str(payload or "").replace("\x00", "\ufffd")
    error, source = str(error).replace("\x00", "\ufffd"), str(source).replace("\x00", "\ufffd")
    with transaction.atomic():
        item = FeedItemError.objects.create(source=source[:200], kind=kind, reason=reason, error=error,
                                            payload=payload, feed_source=feed_source, warning=warning)
        emit("feed.dead_letter", {"id": item.pk, "source": item.source, "kind": kind, "reason": reason,
                                  "error": item.error[:500]})
    return item


@transaction.atomic
def review_dead_letter(actor: Actor, item_id: int, note: str = "") -> FeedItemError:
    actor.require("disaster.manage")
    item = visible_dead_letters(actor).select_for_update().filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Dead-letter item not found."))
    before = audit.snapshot(item)
    item.reviewed, item.reviewed_at = True, timezone.now()
    item.reviewed_by = actor.user if getattr(actor.user, "pk", None) else None
    item.review_note = (note or "")[:300]
    item.save()
    audit.updated(actor, item, before)
    return item


def retry_dead_letter(actor: Actor, item_id: int) -> IngestResult:
    """Feed a kept item through the importer again (after a fix upstream or here); marks it reviewed if it works."""
    actor.require("disaster.manage")
    item = visible_dead_letters(actor).filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Dead-letter item not found."))
    if item.reason == FeedItemError.Reason.DUPLICATE or not item.payload or item.kind not in (
            "cap", "quake_json", "shakemap"):
        # An RSS index is not an item: the next poll reads it again by itself.
        raise ServiceError(_("Only a malformed item with its payload can be retried."), code="not_retryable")
    if item.kind == "quake_json":
        results = ingest_quakes(actor, item.payload, source_name=item.source, mode=IMPORT)
        result = results[0] if results else IngestResult("malformed")
    elif item.kind == "shakemap":
        result = ingest_shakemap(actor, item.payload, source_name=item.source, mode=IMPORT)
    else:
        result = ingest_cap(actor, item.payload, source_name=item.source, mode=IMPORT)
    if result.status == "created":
        review_dead_letter(actor, item.pk, _("Imported on retry."))
    return result


# --- affected areas and notifications -----------------------------------------------------------------


def _common_code(codes) -> str:
    common = None
    for code in codes:
        parts = code.split(".")
        if common is None:
            common = parts
            continue
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return ".".join(common or [])


def _store_affected(warning: Warning, geom) -> list[AffectedArea]:
    hits = aff.affected_regions(geom)
    populations = dict(Region.objects.filter(code__in=[h.code for h in hits], population__isnull=False)
                       .values_list("code", "population")) if hits else {}
    AffectedArea.objects.filter(warning=warning).delete()
    rows = []
    for h in hits:
        pop = populations.get(h.code)
        rows.append(AffectedArea(warning=warning, region_code=h.code, level=h.level, name=h.name, share=h.share,
                                 warning_share=h.warning_share, area_km2=h.area_km2, population=pop,
                                 population_affected=round(pop * h.share) if pop is not None else None))
    AffectedArea.objects.bulk_create(rows)
    warning.affected_computed_at = timezone.now()
    significant = [r.region_code for r in rows if _significant(r)]
    warning.region_code = _common_code(significant) if significant else warning.region_code
    warning.save(update_fields=["affected_computed_at", "region_code", "updated_at"])
    return rows


def _significant(row) -> bool:
    return row.share >= NOTIFY_MIN_SHARE or row.warning_share >= NOTIFY_MIN_SHARE


def _affected_payload(rows) -> list[dict]:
    ranked = sorted(rows, key=lambda r: (-r.level, -r.share, r.region_code))[:EVENT_AFFECTED_LIMIT]
    return [{"code": r.region_code, "level": r.level, "name": r.name, "share": round(r.share, 4),
             "population_affected": r.population_affected} for r in ranked]


def _notify(warning: Warning, rows) -> list[Notification]:
    """A Notification per organisation whose area a significant hit overlaps, and one shared live event."""
    hit_codes = sorted({r.region_code for r in rows if _significant(r)})
    if not hit_codes:
        return []
    prefixes = {".".join(code.split(".")[:i]) for code in hit_codes for i in range(1, code.count(".") + 2)}
    cond = Q(region_code__in=prefixes)
    for code in hit_codes:
        cond |= Q(region_code__startswith=code + ".")
    orgs = list(Organization.objects.filter(cond, active=True, kind__in=NOTIFY_KINDS).exclude(region_code="")
                .order_by("pk"))
    notices = []
    for org in orgs:
        mine = [c for c in hit_codes if scopes_overlap(org.region_code, c)]
        notice, created = Notification.objects.get_or_create(
            organization=org, warning=warning,
            defaults={"region_code": org.region_code, "title": warning.headline[:300],
                      "body": (warning.description_id or warning.description_en)[:2000], "region_codes": mine})
        if created:
            notices.append(notice)
    if notices:
        ids = [n.organization_id for n in notices]
        emit("warning.notice", {"warning_id": warning.pk, "headline": warning.headline, "severity": warning.severity,
                                "organization_ids": ids, "region_codes": hit_codes},
             organization=ids[0], shared_with=ids[1:], region_code=_common_code(hit_codes))
    return notices


def _announce(warning: Warning, rows) -> None:
    emit("warning.received", {
        "id": warning.pk, "source": warning.source, "identifier": warning.identifier, "sender": warning.sender,
        "sent": warning.sent.isoformat(), "msg_type": warning.msg_type, "event": warning.event,
        "headline": warning.headline, "severity": warning.severity, "urgency": warning.urgency,
        "expires": warning.expires.isoformat() if warning.expires else None,
        "affected": _affected_payload(rows), "affected_total": len(rows)},
        organization=None, region_code=warning.region_code)


def recompute_affected(actor: Actor, warning_id: int) -> list[AffectedArea]:
    """Recompute a warning's affected areas against the boundaries loaded now (after a boundary import)."""
    actor.require("disaster.manage")
    with transaction.atomic():
        w = get_warning(actor, warning_id)
        if w.source == WarningSource.OWN:
            actor.require_see(w.organization_id, w.region_code)
        rows = _store_affected(w, aff.from_geojson(w.geometry))
        _notify(w, rows)
    return rows


# --- CAP ingestion ------------------------------------------------------------------------------------


def _areas_json(alert: cap.CapAlert) -> list[dict]:
    out = []
    for info in alert.infos:
        for area in info.areas:
            out.append({"desc": area.desc, "language": info.language,
                        "polygons": [[[lon, lat] for lat, lon in ring] for ring in area.polygons],
                        "circles": [list(c) for c in area.circles],
                        "geocodes": [list(g) for g in area.geocodes]})
    return out


def _dedupe_areas(areas: list[dict]) -> list[dict]:
    # An alert in two languages repeats its areas in each <info>: one copy is enough for the geometry.
    seen, out = set(), []
    for a in areas:
        key = json.dumps([a["polygons"], a["circles"]])
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _info_json(info: cap.CapInfo) -> dict:
    return {"language": info.language, "categories": info.categories, "event": info.event,
            "response_types": info.response_types, "urgency": info.urgency, "severity": info.severity,
            "certainty": info.certainty, "audience": info.audience, "event_codes": [list(e) for e in info.event_codes],
            "effective": info.effective.isoformat() if info.effective else None,
            "onset": info.onset.isoformat() if info.onset else None,
            "expires": info.expires.isoformat() if info.expires else None, "sender_name": info.sender_name,
            "headline": info.headline, "description": info.description, "instruction": info.instruction,
            "web": info.web, "contact": info.contact, "parameters": [list(p) for p in info.parameters]}


def _warning_fields(alert: cap.CapAlert) -> dict:
    first = alert.infos[0] if alert.infos else cap.CapInfo()
    info_id = alert.info_for("id") or (first if not alert.info_for("en") else None)
    info_en = alert.info_for("en")
    return {
        "identifier": alert.identifier, "sender": alert.sender, "sent": alert.sent, "status": alert.status,
        "msg_type": alert.msg_type, "scope": alert.scope, "references": [list(r) for r in alert.references],
        "category": (first.categories or [""])[0], "event": first.event, "urgency": first.urgency,
        "severity": first.severity, "certainty": first.certainty, "effective": first.effective,
        "onset": first.onset, "expires": first.expires, "sender_name": first.sender_name,
        "headline_id": info_id.headline if info_id else "", "headline_en": info_en.headline if info_en else "",
        "description_id": info_id.description if info_id else "",
        "description_en": info_en.description if info_en else "",
        "instruction_id": info_id.instruction if info_id else "",
        "instruction_en": info_en.instruction if info_en else "",
        "web": first.web[:500], "contact": first.contact[:200],
        "infos": [_info_json(i) for i in alert.infos], "areas": _dedupe_areas(_areas_json(alert)),
    }


def _as_text(data) -> str:
    return bytes(data).decode("utf-8", "replace") if isinstance(data, (bytes, bytearray)) else str(data)


def ingest_cap(actor: Actor, data, *, source_name: str, mode: str = IMPORT,
               feed_source: FeedSource | None = None) -> IngestResult:
    """Import one CAP 1.2 alert (BMKG nowcast): the warning, its affected areas, notifications and events."""
    actor.require("disaster.manage")
    raw = _as_text(data)
    try:
        alert = cap.parse_cap(data)
        fields = _warning_fields(alert)
        geom, notes = aff.area_geometry(fields["areas"])
    except cap.ParseError as exc:
        item = dead_letter(source_name, "cap", FeedItemError.Reason.MALFORMED, exc.message, raw,
                           feed_source=feed_source)
        return IngestResult("malformed", dead_letter=item, message=exc.message)
    return _store_warning(actor, WarningSource.BMKG_CAP, fields, geom, notes, raw, "xml", source_name, mode,
                          feed_source, kind="cap")


def _store_warning(actor, source, fields, geom, notes, raw, raw_format, source_name, mode, feed_source, *,
                   kind: str, quake_facts: dict | None = None) -> IngestResult:
    existing = Warning.objects.filter(sender=fields["sender"], identifier=fields["identifier"],
                                      sent=fields["sent"]).first()
    if existing is not None:
        return _duplicate(existing, raw, source_name, mode, feed_source, kind)
    try:
        with transaction.atomic():
            w = Warning.objects.create(source=source, state=Warning.State.RECEIVED, raw=raw, raw_format=raw_format,
                                       geometry=aff.to_geojson(geom), geometry_repaired=bool(notes),
                                       geometry_notes=notes, feed_source=feed_source, quake=quake_facts, **fields)
            audit.created(actor, w)
            _supersede(w)
            rows = _store_affected(w, geom)
            _announce(w, rows)
            if w.msg_type != "Cancel":
                _notify(w, rows)
    except IntegrityError:
        # Another worker stored the same message between our check and our insert.
        existing = Warning.objects.filter(sender=fields["sender"], identifier=fields["identifier"],
                                          sent=fields["sent"]).first()
        return _duplicate(existing, raw, source_name, mode, feed_source, kind)
    return IngestResult("created", warning=w)


def _supersede(w: Warning) -> int:
    """Mark the messages an Update or Cancel names in <references> as replaced by it."""
    if w.msg_type not in ("Update", "Cancel") or not w.references:
        return 0
    n = 0
    for sender, identifier, sent in w.references:
        try:
            when = cap.parse_datetime(sent, "references")
        except cap.ParseError:
            continue
        n += Warning.objects.filter(sender=sender, identifier=identifier, sent=when).exclude(pk=w.pk).update(
            superseded_by=w)
    return n


def _duplicate(existing: Warning | None, raw: str, source_name, mode, feed_source, kind) -> IngestResult:
    if mode == POLL and existing is not None and existing.raw == raw:
        return IngestResult("unchanged", warning=existing)
    message = (_("A message with the same sender, identifier and sent time was already imported (warning %(id)s).")
               % {"id": existing.pk if existing else "?"})
    item = dead_letter(source_name, kind, FeedItemError.Reason.DUPLICATE, message, raw, feed_source=feed_source,
                       warning=existing)
    return IngestResult("duplicate", warning=existing, dead_letter=item, message=message)


# --- earthquakes --------------------------------------------------------------------------------------


def _quake_facts(q: quake.QuakeReport) -> dict:
    return {"magnitude": q.magnitude, "depth_km": q.depth_km, "lat": q.lat, "lng": q.lng, "felt": q.felt,
            "tsunami": q.tsunami, "region": q.region, "shakemap": q.shakemap, "mmi_threshold": None,
            "max_mmi": None}


def _quake_fields(q: quake.QuakeReport) -> dict:
    sent = q.origin.astimezone(quake.WIB)
    return {"identifier": q.identifier, "sender": quake.SENDER, "sent": sent, "status": "Actual",
            "msg_type": "Alert", "scope": "Public", "references": [], "category": "Geo", "event": "Gempa bumi",
            "urgency": "Past", "severity": "Unknown", "certainty": "Observed", "effective": sent, "onset": sent,
            "expires": None, "sender_name": "BMKG", "headline_id": q.headline[:300], "headline_en": "",
            "description_id": "; ".join(x for x in (q.region, q.tsunami, q.felt and f"Dirasakan: {q.felt}") if x),
            "description_en": "", "instruction_id": "", "instruction_en": "", "web": "", "contact": "", "infos": [],
            "areas": []}


def _same_quake(w: Warning, q: quake.QuakeReport) -> bool:
    f = w.quake or {}
    return (f.get("magnitude") == q.magnitude and f.get("depth_km") == q.depth_km and f.get("lat") == q.lat
            and f.get("lng") == q.lng)


def ingest_quakes(actor: Actor, data, *, source_name: str, mode: str = IMPORT,
                  feed_source: FeedSource | None = None) -> list[IngestResult]:
    """Import every earthquake of a BMKG JSON feed; each bad item goes to the dead-letter list on its own."""
    actor.require("disaster.manage")
    try:
        items = quake.split_items(data)
    except cap.ParseError as exc:
        item = dead_letter(source_name, "quake_json", FeedItemError.Reason.MALFORMED, exc.message, _as_text(data),
                           feed_source=feed_source)
        return [IngestResult("malformed", dead_letter=item, message=exc.message)]
    results = []
    for text, q, error in items:
        if error is not None:
            item = dead_letter(source_name, "quake_json", FeedItemError.Reason.MALFORMED, error.message, text,
                               feed_source=feed_source)
            results.append(IngestResult("malformed", dead_letter=item, message=error.message))
            continue
        fields = _quake_fields(q)
        existing = Warning.objects.filter(sender=fields["sender"], identifier=fields["identifier"],
                                          sent=fields["sent"]).first()
        if existing is not None and mode == POLL and _same_quake(existing, q):
            # The same earthquake in autogempa, gempaterkini and gempadirasakan, poll after poll.
            results.append(IngestResult("unchanged", warning=existing))
            continue
        results.append(_store_warning(actor, WarningSource.BMKG_QUAKE, fields, None, [], text, "json", source_name,
                                      mode, feed_source, kind="quake_json", quake_facts=_quake_facts(q)))
    return results


def ingest_shakemap(actor: Actor, data, *, source_name: str, mode: str = IMPORT,
                    feed_source: FeedSource | None = None, threshold: float = quake.DEFAULT_MMI) -> IngestResult:
    """Attach a ShakeMap's MMI >= threshold area to its earthquake (created from the grid if not yet known)."""
    actor.require("disaster.manage")
    raw = _as_text(data)
    try:
        grid = quake.parse_shakemap(data)
        geom = quake.mmi_area(grid, threshold)
    except cap.ParseError as exc:
        item = dead_letter(source_name, "shakemap", FeedItemError.Reason.MALFORMED, exc.message, raw,
                           feed_source=feed_source)
        return IngestResult("malformed", dead_letter=item, message=exc.message)
    # The grid is large; the warning keeps the grid's header, not a second copy of every point.
    header = raw.split("<grid_data>", 1)[0][:20000]
    facts = {"magnitude": grid.magnitude, "depth_km": grid.depth_km, "lat": grid.lat, "lng": grid.lng,
             "felt": "", "tsunami": "", "region": grid.description, "shakemap": grid.event_id,
             "mmi_threshold": threshold, "max_mmi": round(grid.max_mmi, 2)}
    with transaction.atomic():
        w = (Warning.objects.select_for_update()
             .filter(source=WarningSource.BMKG_QUAKE, identifier=grid.event_id).order_by("pk").first())
        if w is not None:
            if (w.quake or {}).get("mmi_threshold") == threshold and mode == POLL:
                return IngestResult("unchanged", warning=w)
            before = audit.snapshot(w)
            w.geometry = aff.to_geojson(geom)
            w.quake = {**(w.quake or {}), "shakemap": grid.event_id, "mmi_threshold": threshold,
                       "max_mmi": round(grid.max_mmi, 2)}
            w.save()
            audit.updated(actor, w, before)
            rows = _store_affected(w, geom)
            _announce(w, rows)
            _notify(w, rows)
            return IngestResult("updated", warning=w)
    if grid.origin is None:
        item = dead_letter(source_name, "shakemap", FeedItemError.Reason.MALFORMED,
                           _("The ShakeMap grid has no usable event time."), header, feed_source=feed_source)
        return IngestResult("malformed", dead_letter=item)
    q = quake.QuakeReport(identifier=grid.event_id, origin=grid.origin, lat=grid.lat, lng=grid.lng,
                          magnitude=grid.magnitude, depth_km=grid.depth_km, region=grid.description, tsunami="",
                          felt="", shakemap=grid.event_id, raw={})
    fields = _quake_fields(q)
    fields["identifier"] = grid.event_id
    return _store_warning(actor, WarningSource.BMKG_QUAKE, fields, geom, [], header, "xml", source_name, mode,
                          feed_source, kind="shakemap", quake_facts=facts)


def detect_kind(data: bytes) -> str:
    """cap, rss, shakemap or quake_json, from the first bytes of a file."""
    head = data[:4000].lstrip()
    if head.startswith((b"{", b"[")):
        return "quake_json"
    if b"<shakemap_grid" in head:
        return "shakemap"
    if b"<rss" in head:
        return "rss"
    return "cap"


def import_file(actor: Actor, path, *, kind: str | None = None, threshold: float = quake.DEFAULT_MMI
                ) -> list[IngestResult]:
    """`siaga import cap|quake FILE`: one file, its kind guessed when not given."""
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise ServiceError(_("The file %(file)s does not exist.") % {"file": path}, code="file_missing")
    data = path.read_bytes()
    kind = kind or detect_kind(data)
    if kind == "quake_json":
        return ingest_quakes(actor, data, source_name=path.name)
    if kind == "shakemap":
        return [ingest_shakemap(actor, data, source_name=path.name, threshold=threshold)]
    if kind == "rss":
        raise ServiceError(_("%(file)s is an RSS index; import the CAP alerts it links to, or add it as a feed "
                             "source.") % {"file": path.name}, code="rss_index")
    return [ingest_cap(actor, data, source_name=path.name)]


# --- our own CAP alerts -------------------------------------------------------------------------------

def _cap_sender(org: Organization | None) -> str:
    base = getattr(settings, "SIAGA_CAP_SENDER_DOMAIN", "siaga.local")
    return f"{org.code}@{base}" if org is not None else f"siaga@{base}"


def _validate_polygons(polygons) -> list[list[list[float]]]:
    rings = []
    for i, ring in enumerate(polygons or [], 1):
        try:
            pairs = [(float(p[0]), float(p[1])) for p in ring]
        except (TypeError, ValueError, IndexError):
            raise ServiceError(_("Polygon %(i)d must be a list of [lat, lon] pairs.") % {"i": i}, code="invalid_polygon")
        if len(pairs) >= 3 and pairs[0] != pairs[-1]:
            pairs.append(pairs[0])
        try:
            cap.parse_polygon(cap.format_polygon(pairs), _("Polygon %(i)d") % {"i": i})
        except cap.ParseError as exc:
            raise ServiceError(exc.message, code="invalid_polygon")
        rings.append([[lon, lat] for lat, lon in pairs])
    return rings


def _choice(value: str, allowed, what: str) -> str:
    if value not in allowed:
        raise ServiceError(_("%(what)s must be one of %(allowed)s.") % {"what": what, "allowed": ", ".join(allowed)},
                           code="invalid_choice", details={"field": what})
    return value


def _region_polygons(codes) -> list[list[list[float]]]:
    """Outer rings of the given regions' boundaries as CAP polygons (lon, lat), for alerts drawn by region."""
    import shapely

    rings = []
    for region in Region.objects.filter(code__in=list(codes)):
        if not region.boundary:
            raise ServiceError(_("Region %(code)s has no boundary loaded.") % {"code": region.code},
                               code="no_boundary")
        geom = aff.from_geojson(region.boundary)
        for part in shapely.get_parts(geom):
            if part.geom_type == "Polygon":
                simple = part.simplify(0.0005)
                rings.append([[round(x, 5), round(y, 5)] for x, y in simple.exterior.coords])
    return rings


@transaction.atomic
def author_alert(actor: Actor, *, event: str, category: str = "Met", urgency: str = "Expected",
                 severity: str = "Moderate", certainty: str = "Likely", headline_id: str = "", headline_en: str = "",
                 description_id: str = "", description_en: str = "", instruction_id: str = "",
                 instruction_en: str = "", area_desc: str = "", polygons=None, region_codes=(),
                 effective: dt.datetime | None = None, expires: dt.datetime | None = None, msg_type: str = "Alert",
                 references_ids=(), status: str = "Actual", web: str = "", contact: str = "") -> Warning:
    """A draft CAP alert of the actor's organisation; it needs a second person's approval before publishing."""
    actor.require("disaster.manage")
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to author an alert."), code="no_organization")
    if not event.strip():
        raise ServiceError(_("Name the event (e.g. Banjir)."), code="event_required")
    if not (headline_id.strip() or headline_en.strip()):
        raise ServiceError(_("Give a headline in Indonesian or English."), code="headline_required")
    _choice(category, cap.CATEGORY, "category")
    _choice(urgency, cap.URGENCY, "urgency")
    _choice(severity, cap.SEVERITY, "severity")
    _choice(certainty, cap.CERTAINTY, "certainty")
    _choice(msg_type, ("Alert", "Update", "Cancel"), "msgType")
    _choice(status, ("Actual", "Exercise", "Test"), "status")
    for value in (effective, expires):
        if value is not None and value.tzinfo is None:
            raise ServiceError(_("Times need a time zone."), code="naive_time")
    if effective and expires and expires <= effective:
        raise ServiceError(_("The alert must expire after it takes effect."), code="invalid_period")
    for code in region_codes:
        actor.require_region(code)
    rings = _validate_polygons(polygons) + _region_polygons(region_codes)
    if not rings:
        raise ServiceError(_("Draw the area or choose regions: an alert needs an area."), code="area_required")
    areas = [{"desc": area_desc.strip() or _("Alert area"), "polygons": rings, "circles": [], "geocodes": []}]
    try:
        geom, notes = aff.area_geometry(areas)
    except cap.ParseError as exc:
        raise ServiceError(exc.message, code="invalid_polygon")
    references = []
    for ref_id in references_ids:
        ref = visible_warnings(actor).filter(pk=ref_id).first()
        if ref is None:
            raise NotFound(_("Referenced warning not found."))
        references.append([ref.sender, ref.identifier, cap.format_datetime_cap(ref.sent)])
    if msg_type in ("Update", "Cancel") and not references:
        raise ServiceError(_("An update or cancellation must name the alert it replaces."), code="references_required")
    now = timezone.now().replace(microsecond=0)
    codes = list(region_codes) or [h.code for h in aff.affected_regions(geom) if h.share >= NOTIFY_MIN_SHARE]
    w = Warning.objects.create(
        source=WarningSource.OWN, organization=actor.organization, state=Warning.State.DRAFT,
        region_code=_common_code(codes) if codes else actor.organization.region_code,
        identifier=f"siaga.{actor.organization.code}.{uuid.uuid4().hex[:16]}", sender=_cap_sender(actor.organization),
        sent=now, status=status, msg_type=msg_type, scope="Public", references=references, category=category,
        event=event.strip()[:200], urgency=urgency, severity=severity, certainty=certainty, effective=effective,
        expires=expires, sender_name=actor.organization.name[:200], headline_id=headline_id.strip()[:300],
        headline_en=headline_en.strip()[:300], description_id=description_id, description_en=description_en,
        instruction_id=instruction_id, instruction_en=instruction_en, web=web[:500], contact=contact[:200],
        areas=areas, geometry=aff.to_geojson(geom), geometry_repaired=bool(notes), geometry_notes=notes,
        author=actor.user if getattr(actor.user, "pk", None) else None, raw_format="xml")
    audit.created(actor, w)
    _alert_event(w)
    return w


def _alert_event(w: Warning) -> None:
    emit("alert.updated", {"id": w.pk, "state": w.state, "identifier": w.identifier, "headline": w.headline,
                           "organization_id": w.organization_id, "author_id": w.author_id,
                           "approved_by_id": w.approved_by_id},
         organization=w.organization, region_code=w.region_code)


def _own_alert_for_update(actor: Actor, alert_id: int) -> Warning:
    w = visible_warnings(actor).filter(pk=alert_id, source=WarningSource.OWN).first()
    if w is None:
        raise NotFound(_("Alert not found."))
    actor.require_see(w.organization_id, w.region_code)
    return Warning.objects.select_for_update().get(pk=w.pk)


@transaction.atomic
def approve_alert(actor: Actor, alert_id: int) -> Warning:
    """The second person's approval: never the author."""
    actor.require("disaster.manage")
    w = _own_alert_for_update(actor, alert_id)
    if w.state != Warning.State.DRAFT:
        raise Conflict(_("Only a draft can be approved."), code="not_draft")
    if w.author_id is not None and w.author_id == getattr(actor.user, "pk", None):
        raise PermissionDenied(_("An alert must be approved by a second person, not its author."),
                               code="four_eyes")
    before = audit.snapshot(w)
    w.state, w.approved_at = Warning.State.APPROVED, timezone.now()
    w.approved_by = actor.user if getattr(actor.user, "pk", None) else None
    w.save()
    audit.updated(actor, w, before)
    _alert_event(w)
    return w


def alert_to_cap(w: Warning) -> cap.CapAlert:
    """Our alert as a CAP message: one <info> per language that has a headline."""
    infos = []
    area_objs = [cap.CapArea(desc=a["desc"], polygons=[[(lat, lon) for lon, lat in ring] for ring in a["polygons"]],
                             circles=[tuple(c) for c in a.get("circles", [])],
                             geocodes=[tuple(g) for g in a.get("geocodes", [])]) for a in w.areas]
    for lang, headline, description, instruction in (
            ("id-ID", w.headline_id, w.description_id, w.instruction_id),
            ("en-US", w.headline_en, w.description_en, w.instruction_en)):
        if not headline:
            continue
        infos.append(cap.CapInfo(language=lang, categories=[w.category], event=w.event, urgency=w.urgency,
                                 severity=w.severity, certainty=w.certainty, effective=w.effective,
                                 expires=w.expires, sender_name=w.sender_name, headline=headline,
                                 description=description, instruction=instruction, web=w.web, contact=w.contact,
                                 areas=area_objs))
    return cap.CapAlert(identifier=w.identifier, sender=w.sender, sent=w.sent, status=w.status,
                        msg_type=w.msg_type, scope=w.scope, references=[tuple(r) for r in w.references],
                        infos=infos)


@transaction.atomic
def publish_alert(actor: Actor, alert_id: int) -> Warning:
    """Publish an approved alert: its CAP XML is fixed (and checked against the CAP 1.2 rules), its affected
    areas computed, the organisations in them notified."""
    actor.require("disaster.manage")
    w = _own_alert_for_update(actor, alert_id)
    if w.state != Warning.State.APPROVED:
        raise Conflict(_("Only an approved alert can be published."), code="not_approved")
    before = audit.snapshot(w)
    w.sent = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).replace(microsecond=0)
    xml = cap.to_xml(alert_to_cap(w))
    problems = cap.validate(xml)
    if problems:
        raise ServiceError(_("The alert does not conform to CAP 1.2: %(p)s") % {"p": "; ".join(problems)},
                           code="cap_invalid", details={"problems": problems})
    w.raw, w.state, w.published_at = xml.decode("utf-8"), Warning.State.PUBLISHED, timezone.now()
    w.save()
    audit.updated(actor, w, before)
    _supersede(w)
    rows = _store_affected(w, aff.from_geojson(w.geometry))
    _alert_event(w)
    _announce(w, rows)
    _notify(w, rows)
    return w


def published_alerts():
    """Our published alerts, newest first: what the public XML and RSS feed serve (no login)."""
    return Warning.objects.filter(source=WarningSource.OWN, state=Warning.State.PUBLISHED).order_by("-sent", "-pk")


def rss_feed(alerts, *, base_url: str, title: str) -> bytes:
    """An RSS 2.0 index of CAP alerts, like BMKG's: each item links to one alert's XML."""
    from xml.etree.ElementTree import Element, SubElement, tostring

    rss = Element("rss", {"version": "2.0"})
    channel = SubElement(rss, "channel")
    SubElement(channel, "title").text = title
    SubElement(channel, "link").text = f"{base_url}/bencana/cap/rss.xml"
    SubElement(channel, "description").text = title
    SubElement(channel, "language").text = "id"
    for w in alerts:
        item = SubElement(channel, "item")
        SubElement(item, "title").text = w.headline
        SubElement(item, "link").text = f"{base_url}/bencana/cap/{w.pk}.xml"
        SubElement(item, "description").text = w.description_id or w.description_en
        SubElement(item, "author").text = w.sender
        SubElement(item, "category").text = w.category
        SubElement(item, "guid", {"isPermaLink": "false"}).text = w.identifier
        SubElement(item, "pubDate").text = cap.rss_date(w.sent)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(rss, encoding="utf-8", xml_declaration=False)


# --- disaster events ----------------------------------------------------------------------------------


def _event_type(code: str) -> DisasterType:
    t = DisasterType.objects.filter(code=code, active=True).first()
    if t is None:
        raise ServiceError(_("Unknown disaster type: %(code)s.") % {"code": code}, code="unknown_type")
    return t


def _region_codes(actor: Actor, codes) -> list[str]:
    codes = sorted({(c or "").strip() for c in codes or [] if (c or "").strip()})
    known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ServiceError(_("Unknown region codes: %(codes)s.") % {"codes": ", ".join(unknown)},
                           code="unknown_region", details={"codes": unknown})
    return codes


def _participants(ids) -> list[Organization]:
    ids = sorted(set(ids or []))
    orgs = list(Organization.objects.filter(pk__in=ids, active=True))
    if len(orgs) != len(ids):
        raise ServiceError(_("Unknown participating organisation."), code="unknown_organization")
    return orgs


def _timeline(event: DisasterEvent, actor: Actor, kind: str, text: str, data=None, at=None) -> TimelineEntry:
    entry = TimelineEntry.objects.create(event=event, at=at or timezone.now(), kind=kind, text=text, data=data or {},
                                         organization=actor.organization,
                                         author=actor.user if getattr(actor.user, "pk", None) else None)
    emit("disaster_event.timeline", {"event_id": event.pk, "entry_id": entry.pk, "kind": kind, "text": text,
                                     "at": entry.at.isoformat()},
         organization=event.organization, region_code=event.region_code, shared_with=_participant_ids(event))
    return entry


def _participant_ids(event: DisasterEvent) -> list[int]:
    return list(event.participants.values_list("pk", flat=True))


@transaction.atomic
def create_event(actor: Actor, *, name: str, type_code: str, started_at: dt.datetime | None = None,
                 phase: str = Phase.WARNING, affected_region_codes=(), description: str = "", participant_ids=(),
                 warning_ids=()) -> DisasterEvent:
    actor.require("disaster.manage")
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to lead an event."), code="no_organization")
    if not name.strip():
        raise ServiceError(_("Give the event a name."), code="name_required")
    _choice(phase, [p.value for p in Phase if p != Phase.CLOSED], "phase")
    dtype = _event_type(type_code)
    codes = _region_codes(actor, affected_region_codes)
    for code in codes:
        actor.require_region(code)
    started_at = started_at or timezone.now()
    if started_at.tzinfo is None:
        raise ServiceError(_("Times need a time zone."), code="naive_time")
    participants = _participants(participant_ids)
    warnings = []
    for wid in warning_ids:
        warnings.append(get_warning(actor, wid))
    ev = DisasterEvent.objects.create(organization=actor.organization, region_code=_common_code(codes) if codes else
                                      actor.organization.region_code, name=name.strip()[:200], type=dtype,
                                      phase=phase, started_at=started_at, description=description,
                                      affected_region_codes=codes,
                                      created_by=actor.user if getattr(actor.user, "pk", None) else None)
    ev.participants.set([o for o in participants if o.pk != actor.organization.pk])
    ev.warnings.set(warnings)
    audit.created(actor, ev)
    emit("disaster_event.created", {"id": ev.pk, "name": ev.name, "type": dtype.code, "phase": ev.phase,
                                    "organization_id": ev.organization_id,
                                    "participant_ids": _participant_ids(ev), "region_code": ev.region_code},
         organization=ev.organization, region_code=ev.region_code, shared_with=_participant_ids(ev))
    _timeline(ev, actor, TimelineEntry.Kind.CREATED, _("Event created in phase %(phase)s.")
              % {"phase": ev.get_phase_display()}, {"phase": ev.phase}, at=started_at)
    for w in warnings:
        _copy_affected(ev, w)
    return ev


def _copy_affected(ev: DisasterEvent, w: Warning) -> None:
    for row in w.affected_areas.all():
        current = AffectedArea.objects.filter(event=ev, region_code=row.region_code).first()
        if current is None:
            AffectedArea.objects.create(event=ev, region_code=row.region_code, level=row.level, name=row.name,
                                        share=row.share, warning_share=row.warning_share, area_km2=row.area_km2,
                                        population=row.population, population_affected=row.population_affected)
        elif row.share > current.share:
            current.share, current.area_km2 = row.share, row.area_km2
            current.population_affected = row.population_affected
            current.save()


def _lead_event_for_update(actor: Actor, event_id: int) -> DisasterEvent:
    ev = get_event(actor, event_id)
    # Participants see the event; only the lead organisation (or those above it) changes it.
    if not actor.is_platform_admin and ev.organization_id not in actor.org_ids:
        raise PermissionDenied(_("Only the lead organisation can change this event."), code="not_lead")
    return DisasterEvent.objects.select_for_update().get(pk=ev.pk)


@transaction.atomic
def update_event(actor: Actor, event_id: int, **changes) -> DisasterEvent:
    actor.require("disaster.manage")
    ev = _lead_event_for_update(actor, event_id)
    before = audit.snapshot(ev)
    if "name" in changes and changes["name"] is not None:
        if not changes["name"].strip():
            raise ServiceError(_("Give the event a name."), code="name_required")
        ev.name = changes["name"].strip()[:200]
    if changes.get("type_code"):
        ev.type = _event_type(changes["type_code"])
    if changes.get("description") is not None:
        ev.description = changes["description"]
    if changes.get("affected_region_codes") is not None:
        codes = _region_codes(actor, changes["affected_region_codes"])
        for code in codes:
            actor.require_region(code)
        ev.affected_region_codes = codes
        ev.region_code = _common_code(codes) if codes else ev.region_code
    if changes.get("participant_ids") is not None:
        old = set(_participant_ids(ev))
        orgs = _participants(changes["participant_ids"])
        ev.participants.set([o for o in orgs if o.pk != ev.organization_id])
        for org in orgs:
            if org.pk not in old and org.pk != ev.organization_id:
                _timeline(ev, actor, TimelineEntry.Kind.PARTICIPANT, _("%(org)s joined the response.")
                          % {"org": org.name}, {"organization_id": org.pk})
    for wid in changes.get("warning_ids") or []:
        w = get_warning(actor, wid)
        if not ev.warnings.filter(pk=w.pk).exists():
            ev.warnings.add(w)
            _copy_affected(ev, w)
            _timeline(ev, actor, TimelineEntry.Kind.WARNING, _("Warning linked: %(h)s") % {"h": w.headline},
                      {"warning_id": w.pk})
    ev.save()
    rec = audit.updated(actor, ev, before)
    changed = sorted(rec.changes) if rec else []
    emit("disaster_event.updated", {"id": ev.pk, "name": ev.name, "phase": ev.phase, "changed": changed},
         organization=ev.organization, region_code=ev.region_code, shared_with=_participant_ids(ev))
    return ev


@transaction.atomic
def set_phase(actor: Actor, event_id: int, phase: str, note: str = "") -> DisasterEvent:
    """Move an event to a later phase (phases never go back; a closed event may reopen into recovery)."""
    actor.require("disaster.manage")
    ev = _lead_event_for_update(actor, event_id)
    _choice(phase, [p.value for p in Phase], "phase")
    order = [p.value for p in PHASE_ORDER]
    reopen = ev.phase == Phase.CLOSED and phase == Phase.RECOVERY
    if phase == ev.phase or (order.index(phase) < order.index(ev.phase) and not reopen):
        raise Conflict(_("The event cannot move from %(a)s to %(b)s.") % {"a": ev.get_phase_display(),
                                                                          "b": Phase(phase).label},
                       code="phase_out_of_order")
    before = audit.snapshot(ev)
    old = ev.get_phase_display()
    ev.phase = phase
    ev.ended_at = timezone.now() if phase == Phase.CLOSED else None
    ev.save()
    audit.updated(actor, ev, before)
    text = _("Phase changed from %(a)s to %(b)s.") % {"a": old, "b": ev.get_phase_display()}
    if note.strip():
        text += " " + note.strip()
    _timeline(ev, actor, TimelineEntry.Kind.PHASE, text, {"phase": phase})
    emit("disaster_event.updated", {"id": ev.pk, "name": ev.name, "phase": ev.phase, "changed": ["phase"]},
         organization=ev.organization, region_code=ev.region_code, shared_with=_participant_ids(ev))
    return ev


@transaction.atomic
def add_timeline_note(actor: Actor, event_id: int, text: str, at: dt.datetime | None = None) -> TimelineEntry:
    """A note on the timeline, by the lead or any participating organisation."""
    actor.require("disaster.manage")
    ev = get_event(actor, event_id)
    if not text.strip():
        raise ServiceError(_("The note is empty."), code="text_required")
    if at is not None and at.tzinfo is None:
        raise ServiceError(_("Times need a time zone."), code="naive_time")
    entry = _timeline(ev, actor, TimelineEntry.Kind.NOTE, text.strip()[:4000], at=at)
    audit.created(actor, entry)
    return entry


# --- feed sources -------------------------------------------------------------------------------------


@transaction.atomic
def save_feed_source(actor: Actor, *, source_id: int | None = None, name: str, url: str, kind: str,
                     enabled: bool = True, interval_seconds: int = 300) -> FeedSource:
    actor.require("disaster.manage")
    if actor.scope_code and not actor.is_platform_admin:
        # Feeds are polled once for the whole country: a province does not reconfigure them for everyone.
        raise PermissionDenied(_("Only a manager with national scope configures feeds."), code="national_only")
    _choice(kind, FeedSource.Kind.values, "kind")
    if not url.startswith(("https://", "http://")):
        raise ServiceError(_("A feed URL must start with http:// or https://."), code="invalid_url")
    if not (60 <= interval_seconds <= 86400):
        raise ServiceError(_("Poll between every minute and once a day."), code="invalid_interval")
    if source_id is None:
        src = FeedSource.objects.create(name=name.strip()[:120], url=url, kind=kind, enabled=enabled,
                                        interval_seconds=interval_seconds)
        audit.created(actor, src)
        return src
    src = FeedSource.objects.select_for_update().filter(pk=source_id).first()
    if src is None:
        raise NotFound(_("Feed source not found."))
    before = audit.snapshot(src)
    src.name, src.url, src.kind, src.enabled, src.interval_seconds = (name.strip()[:120], url, kind, enabled,
                                                                      interval_seconds)
    src.save()
    audit.updated(actor, src, before)
    return src


# --- needs reports and the needs estimate -------------------------------------------------------------

# A report may be stamped a little ahead of the server clock (a phone's clock), not more.
NEEDS_CLOCK_SKEW = dt.timedelta(minutes=5)


@transaction.atomic
def record_needs_report(actor: Actor, event_id: int, *, region_code: str, displaced: int, affected: int,
                        source: str, reported_at: dt.datetime | None = None, source_note: str = ""):
    """Record displaced and affected people in one kelurahan of an event (the lead or a participant, inside
    the actor's area). The latest report per kelurahan feeds the needs estimate."""
    from . import needs
    from .models import FigureSource, NeedsReport

    actor.require("disaster.manage")
    ev = get_event(actor, event_id)
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to report figures."), code="no_organization")
    needs.validate_counts(displaced, affected)
    _choice(source, FigureSource.values, "source")
    code = (region_code or "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ServiceError(_("Unknown region codes: %(codes)s.") % {"codes": code}, code="unknown_region",
                           details={"codes": [code]})
    if region.level != 4:
        raise ServiceError(_("Report figures per kelurahan (a 4-level region code)."), code="not_kelurahan")
    actor.require_region(code)
    now = timezone.now()
    reported_at = reported_at or now
    if reported_at.tzinfo is None:
        raise ServiceError(_("Times need a time zone."), code="naive_time")
    if reported_at > now + NEEDS_CLOCK_SKEW:
        raise ServiceError(_("The report time lies in the future."), code="future_time")
    report = NeedsReport.objects.create(event=ev, organization=actor.organization, region_code=code,
                                        displaced=displaced, affected=affected, source=source,
                                        source_note=(source_note or "").strip()[:300], reported_at=reported_at,
                                        reporter=actor.user if getattr(actor.user, "pk", None) else None)
    audit.created(actor, report)
    shared = sorted((set(_participant_ids(ev)) | {actor.organization.pk}) - {ev.organization_id})
    emit("needs_report.recorded", {"id": report.pk, "event_id": ev.pk, "region_code": code,
                                   "displaced": displaced, "affected": affected, "source": source,
                                   "reported_at": reported_at.isoformat(), "organization_id": actor.organization.pk},
         organization=ev.organization, region_code=code, shared_with=shared)
    return report


def latest_needs_reports(actor: Actor, event_id: int) -> list:
    """The latest report per kelurahan of an event the actor sees (lead or participant), by kelurahan code."""
    from .models import NeedsReport

    from django.db.models import OuterRef, Subquery

    ev = get_event(actor, event_id)
    newest = (NeedsReport.objects.filter(event=ev, region_code=OuterRef("region_code"))
              .order_by("-reported_at", "-id").values("pk")[:1])
    return list(NeedsReport.objects.filter(event=ev, pk=Subquery(newest)).order_by("region_code"))


def needs_for_event(actor: Actor, event_id: int, profile: str = "bnpb", days: int = 7) -> dict:
    """The needs estimate of an event: per kelurahan from its latest report, and overall as the sum of the
    kelurahan lines (see siaga.disaster.needs for the rates and the rounding)."""
    from . import needs

    actor.require("disaster.view")
    prof = needs.get_profile(profile)
    needs.validate_days(days)
    reports = latest_needs_reports(actor, event_id)
    names = dict(Region.objects.filter(code__in=[r.region_code for r in reports]).values_list("code", "name"))
    areas = []
    for r in reports:
        areas.append({"region_code": r.region_code, "name": names.get(r.region_code, ""), "displaced": r.displaced,
                      "affected": r.affected, "source": r.source, "reported_at": r.reported_at, "report_id": r.pk,
                      "lines": needs.estimate(r.displaced, r.affected, days, prof.code)})
    total = needs.add_lines([needs.estimate(0, 0, days, prof.code)] + [a["lines"] for a in areas])
    return {"event_id": event_id, "profile": prof.code, "profile_label": str(prof.label), "source": prof.source,
            "days": days, "displaced": sum(a["displaced"] for a in areas),
            "affected": sum(a["affected"] for a in areas), "areas": areas, "total": total}
