"""BMKG earthquake feeds (autogempa / gempaterkini / gempadirasakan JSON) and ShakeMap grids to MMI areas.

An earthquake's identifier is BMKG's own event id: the origin time in WIB as YYYYMMDDhhmmss, the name its
ShakeMap files carry ("20240520204224_grid.xml"), so a grid imported later finds its earthquake.
The area shaken at MMI V or more is the filled contour of the grid's MMI field (contourpy, the
marching-squares code behind matplotlib), as shapely polygons in lon/lat.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext as _

from .cap import MAX_BYTES, ParseError, _local, _root

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
SENDER = "bmkg.go.id/gempa"
DEFAULT_MMI = 5.0
_COORD = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*$")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


@dataclass
class QuakeReport:
    identifier: str
    origin: dt.datetime  # aware, UTC
    lat: float
    lng: float
    magnitude: float
    depth_km: float
    region: str
    tsunami: str
    felt: str
    shakemap: str
    raw: dict

    @property
    def headline(self) -> str:
        return f"Gempa M{self.magnitude:.1f} {self.region}".strip()


def event_id(origin: dt.datetime) -> str:
    return origin.astimezone(WIB).strftime("%Y%m%d%H%M%S")


def _quake(item, n: int) -> QuakeReport:
    if not isinstance(item, dict):
        raise ParseError(_("Earthquake %(n)d is not an object.") % {"n": n})

    def text(name, required=True) -> str:
        value = item.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise ParseError(_("Earthquake %(n)d has no %(name)s.") % {"n": n, "name": name})
            return ""
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ParseError(_("Earthquake %(n)d has a %(name)s that is not text.") % {"n": n, "name": name})
        return str(value).strip()

    raw_time = text("DateTime")
    try:
        origin = dt.datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(_("Earthquake %(n)d has a DateTime that is not ISO 8601: %(v)s") % {"n": n, "v": raw_time[:40]})
    if origin.tzinfo is None:
        raise ParseError(_("Earthquake %(n)d has a DateTime without a time zone.") % {"n": n})
    m = _COORD.match(text("Coordinates"))
    if not m:
        raise ParseError(_("Earthquake %(n)d has Coordinates that are not lat,lon.") % {"n": n})
    lat, lng = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ParseError(_("Earthquake %(n)d lies outside latitude/longitude ranges.") % {"n": n})
    mag = _NUMBER.search(text("Magnitude"))
    depth = _NUMBER.search(text("Kedalaman"))
    if not mag or not depth:
        raise ParseError(_("Earthquake %(n)d has no numeric magnitude or depth.") % {"n": n})
    magnitude, depth_km = float(mag.group()), float(depth.group())
    if not (0 <= magnitude < 10) or not (0 <= depth_km < 1000):
        raise ParseError(_("Earthquake %(n)d has a magnitude or depth out of range.") % {"n": n})
    origin = origin.astimezone(dt.timezone.utc)
    return QuakeReport(identifier=event_id(origin), origin=origin, lat=lat, lng=lng, magnitude=magnitude,
                       depth_km=depth_km, region=text("Wilayah", False), tsunami=text("Potensi", False),
                       felt=text("Dirasakan", False), shakemap=text("Shakemap", False), raw=item)


def parse_quake_json(data: bytes | str) -> list[QuakeReport]:
    """Every earthquake in a BMKG feed document: {"Infogempa": {"gempa": {...} | [{...}, ...]}}."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_BYTES:
            raise ParseError(_("The item is larger than %(n)d bytes.") % {"n": MAX_BYTES})
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(_("The item is not UTF-8 text."))
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ParseError(_("The item is not valid JSON: %(e)s") % {"e": str(exc)[:200]})
    gempa = doc.get("Infogempa", {}).get("gempa") if isinstance(doc, dict) and isinstance(doc.get("Infogempa"),
                                                                                         dict) else None
    if gempa is None:
        raise ParseError(_("The JSON is not a BMKG earthquake feed (no Infogempa.gempa)."))
    items = gempa if isinstance(gempa, list) else [gempa]
    return [_quake(item, n) for n, item in enumerate(items, 1)]


def split_items(data: bytes | str) -> list[tuple[str, QuakeReport | None, ParseError | None]]:
    """Per earthquake of a feed: (its own JSON text, parsed or None, error or None), so one bad item
    goes to the dead-letter list while the others are imported. A document that is not a feed at all
    raises ParseError."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", "replace")
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ParseError(_("The item is not valid JSON: %(e)s") % {"e": str(exc)[:200]})
    gempa = doc.get("Infogempa", {}).get("gempa") if isinstance(doc, dict) and isinstance(doc.get("Infogempa"),
                                                                                         dict) else None
    if gempa is None:
        raise ParseError(_("The JSON is not a BMKG earthquake feed (no Infogempa.gempa)."))
    out = []
    for n, item in enumerate(gempa if isinstance(gempa, list) else [gempa], 1):
        text = json.dumps({"Infogempa": {"gempa": item}}, ensure_ascii=False, indent=2)
        try:
            out.append((text, _quake(item, n), None))
        except ParseError as exc:
            out.append((text, None, exc))
    return out


# --- ShakeMap ---------------------------------------------------------------------------------------


@dataclass
class ShakeMap:
    event_id: str
    magnitude: float
    depth_km: float
    lat: float
    lng: float
    origin: dt.datetime | None
    description: str
    lons: np.ndarray  # ascending, shape (nlon,)
    lats: np.ndarray  # ascending, shape (nlat,)
    mmi: np.ndarray  # shape (nlat, nlon)

    @property
    def max_mmi(self) -> float:
        return float(np.nanmax(self.mmi)) if self.mmi.size else 0.0


def _float_attr(el, name: str, what: str) -> float:
    try:
        value = float(el.get(name))
    except (TypeError, ValueError):
        raise ParseError(_("The ShakeMap %(what)s has no numeric %(name)s.") % {"what": what, "name": name})
    if not np.isfinite(value):
        raise ParseError(_("The ShakeMap %(what)s has no numeric %(name)s.") % {"what": what, "name": name})
    return value


def parse_shakemap(data: bytes | str) -> ShakeMap:
    """A ShakeMap grid.xml: event facts and the MMI field on its regular grid."""
    root = _root(data)
    if _local(root.tag) != "shakemap_grid":
        raise ParseError(_("The document is not a ShakeMap grid."))
    parts = {}
    fields = {}
    for child in root:
        name = _local(child.tag)
        if name == "grid_field":
            fields[(child.get("name") or "").upper()] = child.get("index")
        else:
            parts[name] = child
    for name in ("event", "grid_specification", "grid_data"):
        if name not in parts:
            raise ParseError(_("The ShakeMap grid has no <%(name)s>.") % {"name": name})
    ev, spec = parts["event"], parts["grid_specification"]
    try:
        nlon, nlat = int(spec.get("nlon")), int(spec.get("nlat"))
        ilon, ilat, immi = (int(fields[k]) - 1 for k in ("LON", "LAT", "MMI"))
    except (TypeError, ValueError, KeyError):
        raise ParseError(_("The ShakeMap grid does not say its size or where LON, LAT and MMI are."))
    if not (2 <= nlon <= 5000 and 2 <= nlat <= 5000):
        raise ParseError(_("The ShakeMap grid size is out of range."))
    try:
        values = np.array((parts["grid_data"].text or "").split(), dtype=float)
    except ValueError:
        raise ParseError(_("The ShakeMap grid data holds something that is not a number."))
    ncols = len(fields)
    if ncols == 0 or values.size != nlon * nlat * ncols:
        raise ParseError(_("The ShakeMap grid data does not hold %(n)d × %(m)d points.") % {"n": nlon, "m": nlat})
    table = values.reshape(nlat * nlon, ncols)
    lon, lat, mmi = table[:, ilon], table[:, ilat], table[:, immi]
    lons, lats = np.unique(lon), np.unique(lat)
    if lons.size != nlon or lats.size != nlat:
        raise ParseError(_("The ShakeMap grid points do not form a regular grid."))
    grid = np.full((nlat, nlon), np.nan)
    grid[np.searchsorted(lats, lat), np.searchsorted(lons, lon)] = mmi
    origin = None
    stamp = (ev.get("event_timestamp") or "").strip()
    m = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(WIB|Z|UTC)?$", stamp)
    if m:
        naive = dt.datetime.fromisoformat(m.group(1))
        origin = naive.replace(tzinfo=WIB if m.group(2) == "WIB" else dt.timezone.utc).astimezone(dt.timezone.utc)
    eid = (root.get("event_id") or "").strip()
    if not re.match(r"^[A-Za-z0-9_.-]{1,40}$", eid):
        raise ParseError(_("The ShakeMap grid has no usable event_id."))
    return ShakeMap(event_id=eid, magnitude=_float_attr(ev, "magnitude", "event"),
                    depth_km=_float_attr(ev, "depth", "event"), lat=_float_attr(ev, "lat", "event"),
                    lng=_float_attr(ev, "lon", "event"), origin=origin,
                    description=(ev.get("event_description") or "").strip(), lons=lons, lats=lats, mmi=grid)


def mmi_area(shakemap: ShakeMap, threshold: float = DEFAULT_MMI):
    """The area shaken at MMI >= threshold as a valid shapely (Multi)Polygon in lon/lat (empty if none)."""
    import contourpy

    z = np.ma.masked_invalid(shakemap.mmi)
    top = float(z.max()) if z.count() else threshold - 1
    if top < threshold:
        return shapely.MultiPolygon()
    gen = contourpy.contour_generator(shakemap.lons, shakemap.lats, z, fill_type="OuterOffset")
    points, offsets = gen.filled(threshold, top + 1.0)
    polygons = []
    for pts, offs in zip(points, offsets):
        rings = [pts[offs[i]:offs[i + 1]] for i in range(len(offs) - 1)]
        rings = [r for r in rings if len(r) >= 4]
        if rings:
            polygons.append(shapely.Polygon(rings[0], rings[1:]))
    if not polygons:
        return shapely.MultiPolygon()
    area = shapely.make_valid(shapely.union_all(polygons))
    parts = [p for p in shapely.get_parts(area) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(parts) if parts else shapely.MultiPolygon()
