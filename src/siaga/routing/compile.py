"""Read OSMnx GraphML and OSM PBF road files into directed arc arrays, weigh them and keep the largest SCC."""

from __future__ import annotations

import ast
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from siaga.core.errors import ServiceError

# Road classes in order of importance; a "*_link" counts as its main class. The index is the stored code.
ROAD_CLASSES = ["motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
                "living_street", "service", "other"]
CLASS_CODE = {name: i for i, name in enumerate(ROAD_CLASSES)}

# Free-flow speeds (km/h) an ambulance-less vehicle achieves in Indonesian urban traffic: congested
# arterials, motorbikes everywhere; a maxspeed tag only ever lowers these.
DEFAULT_SPEEDS_KMH = {"motorway": 60, "trunk": 60, "primary": 35, "secondary": 30, "tertiary": 25,
                      "unclassified": 20, "residential": 20, "living_street": 10, "service": 15, "other": 20}
# Sirens and the shoulder: ambulances move this much faster than the traffic around them.
DEFAULT_EMERGENCY_FACTOR = 1.25

DRIVABLE = {"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
            "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
            "service", "road"}
_NO_ACCESS = {"no", "private"}


def speed_profile() -> dict:
    """The configured profile: settings.SIAGA_ROUTING_SPEEDS_KMH overrides per class, and the emergency factor."""
    speeds = dict(DEFAULT_SPEEDS_KMH)
    speeds.update(getattr(settings, "SIAGA_ROUTING_SPEEDS_KMH", {}) or {})
    return {"speeds_kmh": speeds,
            "emergency_factor": float(getattr(settings, "SIAGA_ROUTING_EMERGENCY_FACTOR", DEFAULT_EMERGENCY_FACTOR))}


def road_class(highway: str | None) -> str:
    """The class of an OSM highway value (OSMnx may give a list as a string: the most important wins)."""
    values = _listish(highway)
    best = "other"
    for v in values:
        base = v.removesuffix("_link")
        if base in CLASS_CODE and CLASS_CODE[base] < CLASS_CODE[best]:
            best = base
    return best


def _listish(value) -> list[str]:
    if value is None:
        return []
    value = str(value).strip()
    if value.startswith("["):
        try:
            return [str(v) for v in ast.literal_eval(value)]
        except (ValueError, SyntaxError):
            return [value]
    return [value] if value else []


_NUM = re.compile(r"(\d+(?:\.\d+)?)\s*(mph)?")


def parse_maxspeed(value) -> float | None:
    """The lowest km/h among a maxspeed value (list strings, "40 mph"); None when absent or not numeric."""
    speeds = []
    for v in _listish(value):
        m = _NUM.match(v.strip())
        if m:
            kmh = float(m.group(1)) * (1.609344 if m.group(2) else 1.0)
            if kmh > 0:
                speeds.append(kmh)
    return min(speeds) if speeds else None


def haversine_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (works on numpy arrays)."""
    lat1, lng1, lat2, lng2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lng1, lat2, lng2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


@dataclass
class RawGraph:
    """Parsed arcs before weighting: node ids and coordinates, one row per directed arc."""

    node_ids: list = field(default_factory=list)
    lat: list = field(default_factory=list)
    lng: list = field(default_factory=list)
    tail: list = field(default_factory=list)
    head: list = field(default_factory=list)
    length_m: list = field(default_factory=list)
    highway: list = field(default_factory=list)
    maxspeed: list = field(default_factory=list)
    name: list = field(default_factory=list)
    shapes: list = field(default_factory=list)  # per arc: intermediate [(lat, lng)...] or None


def _bad_file(path, reason: str):
    return ServiceError(_("The road file %(file)s cannot be read: %(reason)s") % {"file": Path(path).name,
                                                                                    "reason": reason},
                        code="bad_road_file", details={"file": str(path)})


def _parse_wkt_linestring(text: str) -> list[tuple[float, float]] | None:
    text = (text or "").strip()
    if not text.upper().startswith("LINESTRING"):
        return None
    inner = text[text.index("(") + 1: text.rindex(")")]
    pts = []
    for pair in inner.split(","):
        x, y = pair.split()[:2]
        pts.append((float(y), float(x)))
    return pts


def read_graphml(path, progress=None) -> RawGraph:
    """An OSMnx GraphML file: node y=lat x=lon; every edge is already one directed arc."""
    g = RawGraph()
    index: dict[str, int] = {}
    keys: dict[str, str] = {}
    pending = []
    try:
        for _event, el in ET.iterparse(str(path), events=("end",)):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "key":
                keys[el.get("id")] = el.get("attr.name")
            elif tag == "node":
                data = {keys.get(d.get("key")): d.text for d in el if d.tag.endswith("data")}
                index[el.get("id")] = len(g.node_ids)
                g.node_ids.append(el.get("id"))
                g.lat.append(float(data["y"]))
                g.lng.append(float(data["x"]))
                el.clear()
                if progress is not None:
                    progress.update(1)
            elif tag == "edge":
                data = {keys.get(d.get("key")): d.text for d in el if d.tag.endswith("data")}
                pending.append((el.get("source"), el.get("target"), data))
                el.clear()
                if progress is not None:
                    progress.update(1)
    except ET.ParseError as exc:
        raise _bad_file(path, str(exc)) from exc
    except (KeyError, ValueError, TypeError) as exc:
        raise _bad_file(path, _("a node lacks valid x/y coordinates")) from exc
    for src, dst, data in pending:
        if src not in index or dst not in index:
            raise _bad_file(path, _("an edge refers to an unknown node"))
        u, v = index[src], index[dst]
        if u == v:
            continue
        shape = _parse_wkt_linestring(data.get("geometry") or "")
        try:
            length = float(data.get("length") or "nan")
        except ValueError:
            length = float("nan")
        if not math.isfinite(length):
            pts = shape or [(g.lat[u], g.lng[u]), (g.lat[v], g.lng[v])]
            a = np.array(pts)
            length = float(haversine_m(a[:-1, 0], a[:-1, 1], a[1:, 0], a[1:, 1]).sum())
        g.tail.append(u)
        g.head.append(v)
        g.length_m.append(length)
        g.highway.append(data.get("highway"))
        g.maxspeed.append(data.get("maxspeed"))
        name = _listish(data.get("name"))
        g.name.append(name[0] if name else "")
        g.shapes.append(shape[1:-1] if shape and len(shape) > 2 else None)
    return g


def read_pbf(path, progress=None) -> RawGraph:
    """An OSM .osm.pbf: drivable ways split into one arc per consecutive node pair, one-way rules applied."""
    import osmium

    g = RawGraph()
    index: dict[int, int] = {}

    def node(ref) -> int:
        i = index.get(ref.ref)
        if i is None:
            i = index[ref.ref] = len(g.node_ids)
            g.node_ids.append(str(ref.ref))
            g.lat.append(ref.lat)
            g.lng.append(ref.lon)
        return i

    def add(u, v, length, tags):
        g.tail.append(u)
        g.head.append(v)
        g.length_m.append(length)
        g.highway.append(tags[0])
        g.maxspeed.append(tags[1])
        g.name.append(tags[2])
        g.shapes.append(None)

    try:
        fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for obj in fp:
            if progress is not None:
                progress.update(1)
            if not obj.is_way():
                continue
            tags = obj.tags
            hw = tags.get("highway")
            if hw not in DRIVABLE or tags.get("access") in _NO_ACCESS or tags.get("area") == "yes":
                continue
            oneway = (tags.get("oneway") or "").lower()
            junction = tags.get("junction")
            forward = backward = True
            if oneway in ("yes", "true", "1"):
                backward = False
            elif oneway in ("-1", "reverse"):
                forward = False
            elif oneway != "no" and (junction in ("roundabout", "circular") or hw in ("motorway", "motorway_link")):
                backward = False
            meta = (hw, tags.get("maxspeed"), tags.get("name") or tags.get("ref") or "")
            refs = [r for r in obj.nodes if r.location.valid()]
            ids = [node(r) for r in refs]
            for a, b in zip(range(len(ids) - 1), range(1, len(ids))):
                u, v = ids[a], ids[b]
                if u == v:
                    continue
                length = float(haversine_m(g.lat[u], g.lng[u], g.lat[v], g.lng[v]))
                if forward:
                    add(u, v, length, meta)
                if backward:
                    add(v, u, length, meta)
    except RuntimeError as exc:  # osmium reports a damaged file as a RuntimeError
        raise _bad_file(path, str(exc)) from exc
    return g


@dataclass
class Compiled:
    """The arrays a RoadNetwork is made of, plus what the SCC filter dropped."""

    arrays: dict
    dropped_nodes: int
    dropped_arcs: int
    bbox: list


def compile_graph(raw: RawGraph, profile: dict) -> Compiled:
    """Weigh arcs with the speed profile, keep the largest strongly connected component, order for the CCH."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(raw.node_ids)
    if n == 0 or not raw.tail:
        raise ServiceError(_("The road file holds no drivable roads."), code="empty_road_file")
    tail = np.asarray(raw.tail, dtype=np.int64)
    head = np.asarray(raw.head, dtype=np.int64)
    mat = coo_matrix((np.ones(len(tail)), (tail, head)), shape=(n, n)).tocsr()
    _count, labels = connected_components(mat, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    keep = labels == biggest
    new_id = np.full(n, -1, dtype=np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    arc_keep = keep[tail] & keep[head]
    if keep.sum() < 2:
        raise ServiceError(_("The road file holds no connected road network."), code="empty_road_file")

    speeds = profile["speeds_kmh"]
    factor = profile["emergency_factor"]
    classes = [road_class(h) for h in raw.highway]
    kmh = np.array([speeds.get(c, speeds["other"]) for c in classes], dtype=float)
    caps = np.array([parse_maxspeed(m) or np.inf for m in raw.maxspeed], dtype=float)
    kmh = np.minimum(kmh, caps) * factor
    length = np.asarray(raw.length_m, dtype=float)
    time_ds = np.maximum(1, np.rint(length / (kmh / 3.6) * 10)).astype(np.int64)

    names, name_idx = [""], {"": 0}
    name_code = np.array([name_idx.setdefault(nm, len(name_idx)) for nm in raw.name], dtype=np.int32)
    names = sorted(name_idx, key=name_idx.get)

    idx = np.flatnonzero(arc_keep)
    lat = np.asarray(raw.lat, dtype=float)[keep]
    lng = np.asarray(raw.lng, dtype=float)[keep]
    # Intermediate shape points (GraphML curves), flattened with one offset per arc.
    offsets = [0]
    shape_pts = []
    for i in idx:
        s = raw.shapes[i]
        if s:
            shape_pts.extend(s)
        offsets.append(len(shape_pts))
    shape = np.asarray(shape_pts, dtype=float).reshape(-1, 2)
    arrays = {
        "node_ids": np.asarray(raw.node_ids, dtype=object)[keep].astype(str),
        "lat": lat,
        "lng": lng,
        "tail": new_id[tail[idx]].astype(np.int32),
        "head": new_id[head[idx]].astype(np.int32),
        "length_m": length[idx].astype(np.float32),
        "travel_time_ds": time_ds[idx].astype(np.int32),
        "road_class": np.array([CLASS_CODE[classes[i]] for i in idx], dtype=np.int8),
        "name_code": name_code[idx],
        "names": np.asarray(names, dtype=str),
        "shape_offsets": np.asarray(offsets, dtype=np.int64),
        "shape_lat": shape[:, 0].copy(),
        "shape_lng": shape[:, 1].copy(),
    }
    import routingkit_cch

    arrays["order"] = np.asarray(
        routingkit_cch.compute_order_inertial(len(lat), arrays["tail"].tolist(), arrays["head"].tolist(),
                                              lat.tolist(), lng.tolist()), dtype=np.int32)
    bbox = [float(lng.min()), float(lat.min()), float(lng.max()), float(lat.max())]
    return Compiled(arrays=arrays, dropped_nodes=int(n - keep.sum()), dropped_arcs=int(len(tail) - len(idx)),
                    bbox=bbox)


def read_road_file(path, progress=None) -> RawGraph:
    path = Path(path)
    if not path.is_file():
        raise ServiceError(_("Road file not found: %(file)s") % {"file": str(path)}, code="bad_road_file")
    if path.stat().st_size == 0:
        raise _bad_file(path, _("the file is empty"))
    name = path.name.lower()
    if name.endswith(".graphml") or name.endswith(".xml"):
        return read_graphml(path, progress)
    if name.endswith(".pbf"):
        return read_pbf(path, progress)
    raise _bad_file(path, _("only .graphml (OSMnx) and .osm.pbf files are supported"))
