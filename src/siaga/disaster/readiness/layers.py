"""Risk map layers as GeoJSON for a bounding box, each capped so a cheap phone can draw it.

Layers: disaster events, active warnings with their affected areas, volunteers counted per kelurahan (no
person), warehouses, historical earthquakes (BMKG catalogue 2008-2022), fault lines (clipped to the box), the
people affected per kelurahan (choropleth), and the border zones. Every function takes the actor first and
reads through the owning app's visibility rules; the two BMKG files are public reference data.
"""

from __future__ import annotations

import csv
import functools
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError
from siaga.core.permissions import Actor
from siaga.geo.models import Region

DEFAULT_LIMIT = 500
MAX_LIMIT = 2000
# A box wider than this is refused: Indonesia spans about 46° by 17°, so the whole country still fits.
MAX_SPAN_DEG = 60.0
QUAKE_FILE = "bmkg/katalog_gempa_2008_2022.tsv"
FAULT_FILE = "bmkg/fault_indo_world.geojson"


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def contains(self, lon, lat) -> bool:
        return (lon is not None and lat is not None and self.min_lon <= lon <= self.max_lon
                and self.min_lat <= lat <= self.max_lat)

    def overlaps(self, box) -> bool:
        """box: [min_lon, min_lat, max_lon, max_lat] (a Region.bbox); None never overlaps."""
        if not box or len(box) != 4:
            return False
        return not (box[2] < self.min_lon or box[0] > self.max_lon or box[3] < self.min_lat or box[1] > self.max_lat)

    @property
    def span(self) -> float:
        return max(self.max_lon - self.min_lon, self.max_lat - self.min_lat)

    def shape(self):
        import shapely

        return shapely.box(self.min_lon, self.min_lat, self.max_lon, self.max_lat)


INDONESIA = BBox(94.0, -11.5, 141.5, 6.5)


def parse_bbox(text: str | None) -> BBox:
    """"min_lon,min_lat,max_lon,max_lat" (Leaflet's toBBoxString order); empty means all of Indonesia."""
    if not text:
        return INDONESIA
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4:
        raise ServiceError(_("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat."), code="invalid_bbox")
    box = BBox(*parts)
    if not (-180 <= box.min_lon < box.max_lon <= 180 and -90 <= box.min_lat < box.max_lat <= 90):
        raise ServiceError(_("bbox must run from west to east and from south to north within the globe."),
                           code="invalid_bbox")
    if box.span > MAX_SPAN_DEG:
        raise ServiceError(_("The box is too large; zoom in."), code="bbox_too_large")
    return box


def check_limit(limit: int) -> int:
    if not (1 <= limit <= MAX_LIMIT):
        raise ServiceError(_("limit lies between 1 and %(n)d.") % {"n": MAX_LIMIT}, code="invalid_limit")
    return limit


def _tolerance(box: BBox) -> float:
    # About a pixel on a 360-px-wide phone screen showing the box: finer detail is invisible there.
    return max(box.span / 1500.0, 0.00005)


def _light_geometry(geometry: dict | None, box: BBox) -> dict | None:
    """A geometry simplified for the box's scale, coordinates rounded to about a metre."""
    if not geometry:
        return None
    import shapely
    from shapely.geometry import mapping, shape

    try:
        geom = shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    geom = shapely.set_precision(geom.simplify(_tolerance(box), preserve_topology=True), 0.00001)
    if geom.is_empty:
        return None
    return json.loads(json.dumps(mapping(geom)))


def collection(features: list[dict], *, limit: int, total: int | None = None, **extra) -> dict:
    total = len(features) if total is None else total
    return {"type": "FeatureCollection", "features": features[:limit],
            "meta": {"count": min(len(features), limit), "total": total, "truncated": total > limit, **extra}}


def _point(lon, lat, properties) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
            "properties": properties}


def _centroids(codes) -> dict[str, tuple[float, float, str]]:
    return {c: (lng, lat, name) for c, lng, lat, name in
            Region.objects.filter(code__in=list(codes), lat__isnull=False, lng__isnull=False)
            .values_list("code", "lng", "lat", "name")}


# --- disaster events ----------------------------------------------------------------------------------


def events_layer(actor: Actor, box: BBox, limit: int, *, include_closed: bool = False) -> dict:
    from siaga.disaster import services as disaster
    from siaga.disaster.models import AffectedArea, Phase

    qs = disaster.visible_events(actor).select_related("type").order_by("-started_at", "-id")
    if not include_closed:
        qs = qs.exclude(phase=Phase.CLOSED)
    events = list(qs[:MAX_LIMIT])
    # An event sits at its area's centre; without one, at its first affected region's.
    first_affected = {}
    for ev_id, code in (AffectedArea.objects.filter(event__in=events).order_by("event_id", "-level", "-share")
                        .values_list("event_id", "region_code")):
        first_affected.setdefault(ev_id, code)
    codes = {e.region_code for e in events} | set(first_affected.values())
    for e in events:
        codes.update(e.affected_region_codes or [])
    where = _centroids(codes)
    features = []
    for e in events:
        candidates = [e.region_code, first_affected.get(e.pk)] + list(e.affected_region_codes or [])
        spot = next((where[c] for c in candidates if c in where), None)
        if spot is None or not box.contains(spot[0], spot[1]):
            continue
        features.append(_point(spot[0], spot[1], {
            "kind": "event", "id": e.pk, "name": e.name, "type": e.type_id, "type_name": e.type.name_id,
            "phase": e.phase, "phase_label": str(e.get_phase_display()), "region_code": e.region_code,
            "url": f"/bencana/kejadian/{e.pk}/"}))
    return collection(features, limit=limit)


# --- warnings and their affected areas ----------------------------------------------------------------


def warnings_layer(actor: Actor, box: BBox, limit: int, *, level: int = 4) -> dict:
    """Warnings in force whose area meets the box, with the regions of the given level they hit.

    At the kelurahan level (4), a kecamatan the warning hits whose kelurahan have no boundaries in our data
    (Banten, for one, has kecamatan boundaries only) is drawn as the kecamatan polygon instead (properties
    level 3, "fallback": true), so a warning always lights up the area it covers where any boundary exists."""
    import shapely
    from django.utils import timezone
    from shapely.geometry import shape

    from siaga.disaster import services as disaster
    from siaga.disaster.models import AffectedArea

    now = timezone.now()
    qs = (disaster.visible_warnings(actor).filter(Q(expires__isnull=True) | Q(expires__gt=now),
                                                  superseded_by__isnull=True, geometry__isnull=False)
          .exclude(msg_type="Cancel").exclude(source="own", state__in=["draft", "approved"])
          .order_by("-sent", "-id"))
    area = box.shape()
    warnings, features = [], []
    for w in qs[:MAX_LIMIT]:
        try:
            geom = shape(w.geometry)
        except (ValueError, TypeError, AttributeError, KeyError):
            continue
        if not shapely.intersects(geom, area):
            continue
        warnings.append(w)
        features.append({"type": "Feature", "geometry": _light_geometry(w.geometry, box),
                         "properties": {"kind": "warning", "id": w.pk, "headline": w.headline,
                                        "severity": w.severity, "urgency": w.urgency, "source": w.source,
                                        "sent": w.sent.isoformat(), "url": f"/bencana/peringatan/{w.pk}/"}})
    def shares_at(lvl: int) -> dict[str, dict]:
        rows = (AffectedArea.objects.filter(warning__in=warnings, level=lvl)
                .values("region_code").annotate(share=Sum("share"), people=Sum("population_affected"),
                                                warnings=Count("warning_id")).order_by("region_code"))
        return {r["region_code"]: r for r in rows}

    shares = shares_at(level)
    fallback: set[str] = set()
    if level == 4 and warnings:
        kecamatan = shares_at(3)
        # Kecamatan with at least one kelurahan boundary are drawn by their kelurahan; the others by themselves.
        drawn_below = set(Region.objects.filter(parent_id__in=list(kecamatan), level=4, boundary__isnull=False)
                          .values_list("parent_id", flat=True))
        fallback = set(kecamatan) - drawn_below
        shares.update({code: kecamatan[code] for code in fallback})
    areas = []
    for code, name, boundary, bbox in (Region.objects.filter(code__in=list(shares), boundary__isnull=False)
                                       .order_by("code").values_list("code", "name", "boundary", "bbox")):
        if bbox and not box.overlaps(bbox):
            continue
        r = shares[code]
        areas.append({"type": "Feature", "geometry": _light_geometry(boundary, box),
                      "properties": {"kind": "affected", "code": code, "name": name,
                                     "level": 3 if code in fallback else level, "fallback": code in fallback,
                                     "share": round(min(r["share"] or 0, 1.0), 4), "people": r["people"],
                                     "warnings": r["warnings"]}})
    both = features + areas
    return collection(both, limit=limit, warnings=len(features), affected=len(areas),
                      fallback=sum(1 for a in areas if a["properties"]["fallback"]))


# --- volunteers per kelurahan (counts only) -----------------------------------------------------------


def volunteers_layer(actor: Actor, box: BBox, limit: int) -> dict:
    """Volunteers the actor's organisations registered, counted per home kelurahan by status: no name, phone
    or position of anyone leaves the server, only counts at the kelurahan's centre."""
    from siaga.disaster.volunteers.models import Volunteer

    actor.require("disaster.view")
    rows = (actor.scope_queryset(Volunteer.objects.filter(active=True, merged_into__isnull=True))
            .values("region_code", "status")
            .annotate(n=Count("id")))
    per: dict[str, dict[str, int]] = {}
    for r in rows:
        per.setdefault(r["region_code"], {})[r["status"]] = r["n"]
    where = _centroids(per)
    features = []
    for code, counts in sorted(per.items(), key=lambda kv: -sum(kv[1].values())):
        spot = where.get(code)
        if spot is None or not box.contains(spot[0], spot[1]):
            continue
        features.append(_point(spot[0], spot[1], {
            "kind": "volunteers", "code": code, "name": spot[2], "total": sum(counts.values()),
            "available": counts.get("available", 0), "deployed": counts.get("deployed", 0),
            "resting": counts.get("resting", 0), "unavailable": counts.get("unavailable", 0)}))
    return collection(features, limit=limit)


# --- warehouses ---------------------------------------------------------------------------------------


def warehouses_layer(actor: Actor, box: BBox, limit: int) -> dict:
    from siaga.disaster.logistics.models import Warehouse

    actor.require("disaster.view")
    qs = actor.scope_queryset(Warehouse.objects.filter(active=True).select_related("organization"))
    rows = list(qs.order_by("name", "id")[:MAX_LIMIT * 2])
    missing = {w.region_code for w in rows if w.lat is None or w.lon is None}
    where = _centroids(missing)
    features = []
    for w in rows:
        lon, lat = (w.lon, w.lat) if w.lat is not None and w.lon is not None else where.get(w.region_code,
                                                                                            (None, None))[:2]
        if not box.contains(lon, lat):
            continue
        features.append(_point(lon, lat, {"kind": "warehouse", "id": w.pk, "name": w.name,
                                          "organization": w.organization.name, "region_code": w.region_code}))
    return collection(features, limit=limit)


# --- historical earthquakes ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _quakes(path: str, mtime: float) -> tuple:
    """The catalogue as (lon, lat, magnitude, depth_km, year, date, time, remark) tuples, largest first."""
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            try:
                lat, lon, mag = float(row["lat"]), float(row["lon"]), float(row["mag"])
                depth = float(row["depth"]) if row.get("depth") else None
                year = int(row["tgl"][:4])
            except (KeyError, TypeError, ValueError):
                continue  # a damaged line of a reference file is skipped, not fatal
            out.append((lon, lat, mag, depth, year, row["tgl"].replace("/", "-"), (row.get("ot") or "")[:8],
                        (row.get("remark") or "").strip()))
    out.sort(key=lambda q: -q[2])
    return tuple(out)


def quake_catalogue() -> tuple:
    path = Path(settings.DATA_DIR) / QUAKE_FILE
    if not path.is_file():
        raise ServiceError(_("The BMKG earthquake catalogue is not installed."), code="no_data", status=404)
    return _quakes(str(path), path.stat().st_mtime)


def quakes_layer(actor: Actor, box: BBox, limit: int, *, min_magnitude: float = 5.0, year_from: int = 2008,
                 year_to: int = 2022) -> dict:
    """Catalogued earthquakes in the box, the strongest first (those survive the limit)."""
    actor.require("disaster.view")
    if year_from > year_to:
        raise ServiceError(_("The first year comes after the last."), code="invalid_years")
    features, total = [], 0
    for lon, lat, mag, depth, year, date, time, remark in quake_catalogue():
        if mag < min_magnitude:
            break  # sorted by magnitude: nothing stronger follows
        if not (year_from <= year <= year_to) or not box.contains(lon, lat):
            continue
        total += 1
        if len(features) < limit:
            features.append(_point(lon, lat, {"kind": "quake", "magnitude": mag, "depth_km": depth,
                                              "date": date, "time": time, "remark": remark}))
    return collection(features, limit=limit, total=total)


# --- fault lines --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _faults(path: str, mtime: float):
    import shapely
    from shapely.geometry import shape

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    geoms, props = [], []
    for f in data.get("features", []):
        try:
            g = shape(f["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        if g.is_empty:
            continue
        geoms.append(g)
        p = f.get("properties") or {}
        props.append({"kind": "fault", "name": p.get("Name") or "", "type": p.get("Type") or "",
                      "rank": p.get("Secondary ID") or ""})
    return shapely.STRtree(geoms), geoms, props


def faults_layer(actor: Actor, box: BBox, limit: int) -> dict:
    """Fault lines clipped to the box (the file covers the world; only the box's part is sent)."""
    import shapely
    from shapely.geometry import mapping

    actor.require("disaster.view")
    path = Path(settings.DATA_DIR) / FAULT_FILE
    if not path.is_file():
        raise ServiceError(_("The fault line file is not installed."), code="no_data", status=404)
    tree, geoms, props = _faults(str(path), path.stat().st_mtime)
    area = box.shape()
    features = []
    hits = sorted(int(i) for i in tree.query(area, predicate="intersects"))
    for i in hits:
        clipped = shapely.clip_by_rect(geoms[i], box.min_lon, box.min_lat, box.max_lon, box.max_lat)
        clipped = shapely.set_precision(clipped.simplify(_tolerance(box)), 0.00001)
        if clipped.is_empty:
            continue
        features.append({"type": "Feature", "geometry": json.loads(json.dumps(mapping(clipped))),
                         "properties": props[i]})
    return collection(features, limit=limit, total=len(features))


# --- people affected per kelurahan (choropleth) -------------------------------------------------------


def _field_report_figures(event_ids) -> dict[tuple[int, str], tuple[str, int]]:
    """(event, kelurahan) -> (source, affected) from the newest current field report of the reports app."""
    try:
        from siaga.disaster.reports.models import FieldReport
    except ImportError:  # pragma: no cover - the reports app is optional for the map
        return {}
    out: dict[tuple[int, str], tuple[str, int]] = {}
    rows = (FieldReport.objects.filter(event_id__in=event_ids, is_current=True, region_code__regex=r"^[0-9.]{13}$")
            .order_by("event_id", "region_code", "-reported_at", "-id")
            .values_list("event_id", "region_code", "source", "affected"))
    for ev_id, code, source, affected in rows:
        out.setdefault((ev_id, code), (source, affected or 0))
    return out


def affected_layer(actor: Actor, box: BBox, limit: int, *, event_id: int | None = None) -> dict:
    """People affected per kelurahan over the open events the actor sees: the newest field report (reports app)
    where there is one, else the latest needs report, else the estimate from the covered share; each figure
    keeps its source, and an area's figure is one event's, summed over events only."""
    from siaga.disaster import services as disaster
    from siaga.disaster.models import AffectedArea, NeedsReport, Phase

    events = disaster.visible_events(actor).exclude(phase=Phase.CLOSED)
    if event_id is not None:
        events = events.filter(pk=event_id)
    event_ids = list(events.values_list("pk", flat=True)[:MAX_LIMIT])
    people: dict[str, dict] = {}
    for ev_id, code, n in (AffectedArea.objects.filter(event_id__in=event_ids, level=4,
                                                       population_affected__isnull=False)
                           .values_list("event_id", "region_code", "population_affected")):
        people.setdefault(code, {})[ev_id] = ("estimate", n)
    seen = set()
    for report in (NeedsReport.objects.filter(event_id__in=event_ids).order_by("event_id", "region_code",
                                                                                "-reported_at", "-id")):
        key = (report.event_id, report.region_code)
        if key in seen:
            continue
        seen.add(key)
        people.setdefault(report.region_code, {})[report.event_id] = (report.source, report.affected)
    for (ev_id, code), (src, n) in _field_report_figures(event_ids).items():
        people.setdefault(code, {})[ev_id] = (src, n)
    features = []
    regions = (Region.objects.filter(code__in=list(people)).values_list("code", "name", "boundary", "bbox", "lng",
                                                                        "lat"))
    for code, name, boundary, bbox, lng, lat in regions:
        inside = box.overlaps(bbox) if bbox else box.contains(lng, lat)
        if not inside:
            continue
        per_event = people[code]
        total = sum(n for _src, n in per_event.values())
        sources = sorted({src for src, _n in per_event.values()})
        props = {"kind": "affected_people", "code": code, "name": name, "people": total, "sources": sources,
                 "events": sorted(per_event)}
        geometry = _light_geometry(boundary, box)
        if geometry is None and lng is not None and lat is not None:
            features.append(_point(lng, lat, props))
        elif geometry is not None:
            features.append({"type": "Feature", "geometry": geometry, "properties": props})
    features.sort(key=lambda f: -f["properties"]["people"])
    return collection(features, limit=limit, max_people=max((f["properties"]["people"] for f in features),
                                                             default=0))


# --- border zones -------------------------------------------------------------------------------------


def _zone_geometry(codes) -> dict | None:
    """The union of a zone's kab/kota boundaries (their kecamatan's when the kab/kota outline is not loaded)."""
    import shapely
    from shapely.geometry import mapping, shape

    parts = []
    for code in codes:
        rows = list(Region.objects.filter(code=code, boundary__isnull=False).values_list("boundary", flat=True))
        if not rows:
            rows = list(Region.objects.filter(code__startswith=code + ".", level=3, boundary__isnull=False)
                        .values_list("boundary", flat=True))
        for b in rows:
            try:
                parts.append(shape(b).buffer(0))
            except (ValueError, TypeError, AttributeError, KeyError):
                continue
    if not parts:
        return None
    union = shapely.union_all(parts).simplify(0.002, preserve_topology=True)
    return json.loads(json.dumps(mapping(shapely.set_precision(union, 0.00001))))


def zones_layer(actor: Actor, box: BBox, limit: int) -> dict:
    import shapely
    from shapely.geometry import mapping, shape

    from .services import visible_zones

    features = []
    for zone in visible_zones(actor):
        geometry = _zone_geometry(zone.region_codes)
        props = {"kind": "border_zone", "code": zone.code, "name": zone.name, "region_codes": zone.region_codes,
                 "url": f"/bencana/kesiapsiagaan/?zona={zone.code}"}
        if geometry is None:
            where = _centroids(zone.region_codes)
            if not where:
                continue
            # Without boundaries the zone is drawn as its kab/kota centres' hull.
            geometry = json.loads(json.dumps(mapping(
                shapely.MultiPoint([(v[0], v[1]) for v in where.values()]).convex_hull.buffer(0.05))))
        if not shape(geometry).intersects(box.shape()):
            continue
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return collection(features, limit=limit)


LAYERS = {
    "events": events_layer, "warnings": warnings_layer, "volunteers": volunteers_layer,
    "warehouses": warehouses_layer, "quakes": quakes_layer, "faults": faults_layer, "affected": affected_layer,
    "border-zones": zones_layer,
}

