"""Likely duplicates: score a report against the call center's open incidents; the call-taker decides.

Candidates are the open incidents (new, referred, in progress) of the same call center created
within SIAGA_DUPLICATE_WINDOW_MINUTES (default 120) of the report, and either inside a box of
SIAGA_DUPLICATE_RADIUS_M (default 1000 m) around its position, or reported by the same caller
number, or - when the report has no position yet - of the same type. The database does that
prefilter (time window and bounding box on indexed columns); scoring is vectorised with numpy and
rapidfuzz: with 10,000 open incidents a call takes about 17 ms under the default window (docs/benchmarks.md),
most of it reading rows, not scoring.

Score (0..1) = weighted sum of
  distance  0.30  1 at the same spot, 0 at the radius (0.5 for the same kelurahan without coordinates)
  time      0.15  1 at the same moment, 0 at the edge of the window
  type      0.20  1 same type, 0.5 same category
  text      0.15  rapidfuzz token_set_ratio of description + address
  caller    0.20  the same caller number already called about it
Nothing is merged here: the call-taker confirms with attach_call() or merge_incidents().
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from .location import bounding_box, check_coordinates, haversine_many_m
from .models import OPEN_STATUSES, Call, Incident, IncidentType

WEIGHTS = {"distance": 0.30, "time": 0.15, "type": 0.20, "text": 0.15, "caller": 0.20}
MIN_SCORE = 0.25
MAX_CANDIDATES = 20_000  # a bound on what one check reads, far above any real call center's open incidents


def window_minutes() -> int:
    return int(getattr(settings, "SIAGA_DUPLICATE_WINDOW_MINUTES", 120))


def radius_m() -> float:
    return float(getattr(settings, "SIAGA_DUPLICATE_RADIUS_M", 1000))


def _text(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip()).lower()


def score_candidates(*, organization_id: int, type_code: str = "", lat: float | None = None,
                     lng: float | None = None, at: dt.datetime | None = None, text: str = "",
                     caller_number: str = "", region_code: str = "", limit: int = 5,
                     exclude_id: int | None = None, min_score: float = MIN_SCORE) -> list[dict]:
    """The best-matching open incidents of one organisation for a report, best first.

    Returns dicts {incident_id, number, score, reasons, components, ...}: reasons are short
    sentences for the call-taker; components hold the raw figures behind them.
    """
    at = at or timezone.now()
    window = dt.timedelta(minutes=window_minutes())
    radius = radius_m()
    has_point = lat is not None and lng is not None
    if has_point:
        lat, lng = check_coordinates(lat, lng)
    itype = IncidentType.objects.filter(code=type_code).values_list("pk", "category").first() if type_code else None

    base = Incident.objects.filter(organization_id=organization_id, status__in=OPEN_STATUSES,
                                   created_at__gte=at - window, created_at__lte=at + window)
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)
    near = Q(pk__in=[])
    if has_point:
        lat_min, lat_max, lng_min, lng_max = bounding_box(lat, lng, radius)
        near = Q(lat__gte=lat_min, lat__lte=lat_max, lng__gte=lng_min, lng__lte=lng_max)
    elif itype is not None:
        near = Q(type_id=itype[0])
    elif region_code:
        near = Q(region_code=region_code)
    same_caller_ids: set[int] = set()
    if caller_number:
        same_caller_ids = set(
            Call.objects.filter(organization_id=organization_id, caller_number=caller_number,
                                incident__isnull=False, incident__created_at__gte=at - window,
                                incident__status__in=OPEN_STATUSES)
            .values_list("incident_id", flat=True)
        )
        near |= Q(pk__in=same_caller_ids)
    rows = list(
        base.filter(near).order_by("-created_at").values_list(
            "pk", "number", "lat", "lng", "created_at", "type_id", "type__code", "type__name", "type__category",
            "description", "address", "region_code", "status", "priority",
        )[:MAX_CANDIDATES]
    )
    if not rows:
        return []
    n = len(rows)
    cols = list(zip(*rows))
    ids = np.fromiter(cols[0], dtype=np.int64, count=n)
    lats = np.array([np.nan if v is None else v for v in cols[2]], dtype=float)
    lngs = np.array([np.nan if v is None else v for v in cols[3]], dtype=float)
    ages = np.array([abs((at - c).total_seconds()) for c in cols[4]], dtype=float)

    # distance
    distance = np.full(n, np.nan)
    dist_score = np.zeros(n)
    if has_point:
        distance = haversine_many_m(lat, lng, lats, lngs)
        dist_score = np.where(np.isnan(distance), 0.0, np.clip(1.0 - distance / radius, 0.0, 1.0))
    if region_code:
        same_region = np.array([r == region_code for r in cols[11]], dtype=bool)
        dist_score = np.where((dist_score == 0) & same_region & np.isnan(distance), 0.5, dist_score)
    # time
    time_score = np.clip(1.0 - ages / window.total_seconds(), 0.0, 1.0)
    # type
    type_score = np.zeros(n)
    if itype is not None:
        type_ids = np.fromiter(cols[5], dtype=np.int64, count=n)
        same_category = np.array([c == itype[1] for c in cols[8]], dtype=bool)
        type_score = np.where(type_ids == itype[0], 1.0, np.where(same_category, 0.5, 0.0))
    # text
    text_score = np.zeros(n)
    query = _text(text)
    if query:
        choices = [_text(d, a) for d, a in zip(cols[9], cols[10])]
        sims = process.cdist([query], choices, scorer=fuzz.token_set_ratio, dtype=np.float32, workers=1)[0]
        empty = np.array([not c for c in choices], dtype=bool)
        text_score = np.where(empty, 0.0, sims / 100.0)
    # caller
    caller_score = np.isin(ids, np.fromiter(same_caller_ids, dtype=np.int64)).astype(float) if same_caller_ids \
        else np.zeros(n)

    score = (WEIGHTS["distance"] * dist_score + WEIGHTS["time"] * time_score + WEIGHTS["type"] * type_score
             + WEIGHTS["text"] * text_score + WEIGHTS["caller"] * caller_score)
    order = np.argsort(-score, kind="stable")
    out = []
    for i in order[: max(1, int(limit))]:
        if score[i] < min_score:
            break
        d = None if np.isnan(distance[i]) else float(distance[i])
        minutes = float(ages[i]) / 60.0
        reasons = []
        if d is not None and d <= radius:
            reasons.append(_("%(m)d m away") % {"m": round(d)})
        elif dist_score[i] > 0:
            reasons.append(_("same kelurahan"))
        reasons.append(_("reported %(min)d min apart") % {"min": round(minutes)})
        if type_score[i] == 1.0:
            reasons.append(_("same type"))
        elif type_score[i] > 0:
            reasons.append(_("same category"))
        if text_score[i] >= 0.5:
            reasons.append(_("similar description (%(pct)d%%)") % {"pct": round(text_score[i] * 100)})
        if caller_score[i]:
            reasons.append(_("same caller number"))
        out.append({
            "incident_id": int(ids[i]), "number": rows[i][1], "score": round(float(score[i]), 3),
            "reasons": reasons, "type_code": rows[i][6], "type_name": rows[i][7], "status": rows[i][12],
            "priority": rows[i][13], "created_at": rows[i][4], "lat": rows[i][2], "lng": rows[i][3],
            "address": rows[i][10],
            "components": {"distance_m": None if d is None else round(d, 1), "minutes_apart": round(minutes, 1),
                           "distance": round(float(dist_score[i]), 3), "time": round(float(time_score[i]), 3),
                           "type": float(type_score[i]), "text": round(float(text_score[i]), 3),
                           "caller": float(caller_score[i])},
        })
    return out


# --- with permission checks (API and pages) ----------------------------------------------------


def check_report(actor, *, type_code: str = "", lat=None, lng=None, region_code: str = "", text: str = "",
                 caller_number: str = "", organization=None, limit: int = 5) -> list[dict]:
    """Score a draft report (before the incident exists) against the actor's call center's open incidents."""
    from siaga.core.services import validate_region_code

    from .phones import normalize_phone
    from .services import _organization, get_type

    actor.require("incident.create")
    org = _organization(actor, organization)
    if type_code:
        get_type(type_code)
    region_code = validate_region_code(region_code)
    lat, lng = check_coordinates(lat, lng)
    hits = score_candidates(organization_id=org.pk, type_code=type_code, lat=lat, lng=lng, text=text,
                            caller_number=normalize_phone(caller_number), region_code=region_code,
                            limit=min(max(1, limit), 20))
    return _visible_only(actor, hits)


def duplicates_of(actor, incident_id: int, *, limit: int = 5) -> list[dict]:
    """Open incidents that look like the same event as an existing incident."""
    from .services import get_incident

    actor.require("incident.update")
    inc = get_incident(actor, incident_id)
    if inc.organization_id not in actor.org_ids and not actor.is_platform_admin:
        # An agency sees the incident through its referral but does not run the call center's merges.
        return []
    caller = Call.objects.filter(incident=inc).exclude(caller_number="").order_by("started_at").values_list(
        "caller_number", flat=True).first() or ""
    hits = score_candidates(organization_id=inc.organization_id, type_code=inc.type.code, lat=inc.lat, lng=inc.lng,
                            at=inc.created_at, text=_text(inc.description, inc.address), caller_number=caller,
                            region_code=inc.region_code if inc.lat is None else "", limit=min(max(1, limit), 20),
                            exclude_id=inc.pk)
    return _visible_only(actor, hits)


def _visible_only(actor, hits: list[dict]) -> list[dict]:
    """Drop candidates outside the actor's geographic scope (the call center may cover more than the actor)."""
    if not hits or actor.is_platform_admin or not actor.scope_code:
        return hits
    from .services import visible_incidents

    ok = set(visible_incidents(actor).filter(pk__in=[h["incident_id"] for h in hits]).values_list("pk", flat=True))
    return [h for h in hits if h["incident_id"] in ok]
