"""Write path for regions: the Kemendagri region import from idn-area-data and boundary imports from GeoJSON."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import h3
import shapely
from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.permissions import Actor

from .models import BoundaryImport, Level, Region
from .search import normalize

CODE_RE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# The idn-area-data file of each level and the column naming the parent's code.
LEVEL_FILES = [
    (Level.PROVINCE, "provinces.csv", None),
    (Level.REGENCY, "regencies.csv", "province_code"),
    (Level.DISTRICT, "districts.csv", "regency_code"),
    (Level.VILLAGE, "villages.csv", "district_code"),
]
# Keys of level_counts in reports and events: readable by clients without the Level table.
LEVEL_KEYS = {1: "province", 2: "regency", 3: "district", 4: "village"}
# Resolution 9 cells (about 0.1 km², edge about 200 m) are small enough to tell kelurahan apart in a
# dense city and to group incidents and units by neighbourhood, and coarse enough that one cell id
# per region is a meaningful "where" for aggregation.
H3_RESOLUTION = 9
BATCH_SIZE = 2000
# A boundary import names every bad feature, but a hopeless file should not produce a megabyte of errors.
MAX_LISTED_ERRORS = 200
POLYGON_TYPES = {"Polygon", "MultiPolygon"}

# progress(total, description) -> an object with update(n) and close(), e.g. a tqdm bar.
ProgressFactory = Callable[[int, str], Any]


def level_of(code: str) -> int:
    """The level a Kemendagri code denotes: one dotted part per level."""
    return code.count(".") + 1


def parent_code(code: str) -> str | None:
    return code.rsplit(".", 1)[0] if "." in code else None


def _invalidate_caches():
    # Imported lazily: lookup and search import this module's neighbours, not the other way round.
    from . import lookup, search

    lookup.invalidate()
    search.invalidate()


class _NoProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(factory: ProgressFactory | None, total: int, desc: str):
    return factory(total, desc) if factory else _NoProgress()


def _batches(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- regions ---------------------------------------------------------------------------------------


@dataclass
class RegionImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    # Rows in the table that the package no longer lists: kept, because other records point at them.
    not_in_source: int = 0
    level_counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def read_region_csvs(directory: Path | str, within: str = "") -> dict[str, tuple[str, int, str | None]]:
    """code -> (name, level, parent code) from idn-area-data's CSV files, optionally only inside `within`."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ServiceError(
            _("The region data folder %(dir)s does not exist. Install the npm package idn-area-data "
              "(run `make install`) or pass --dir.") % {"dir": directory},
            code="regions_dir_missing",
        )
    rows: dict[str, tuple[str, int, str | None]] = {}
    for level, filename, parent_column in LEVEL_FILES:
        path = directory / filename
        if not path.is_file():
            raise ServiceError(_("The region file %(file)s is missing.") % {"file": path}, code="regions_file_missing")
        with path.open(encoding="utf-8", newline="") as fh:
            lines: Iterable[str] = fh
            line_numbers = None
            if within:
                # Lines start with their code: dropping the rest before csv parsing makes a subtree import
                # (demos, tests) take milliseconds instead of parsing all 91k rows.
                parts = within.split(".")
                keep = tuple(".".join(parts[:i]) + "," for i in range(1, len(parts) + 1)) + (within + ".",)
                kept = [(n, line) for n, line in enumerate(fh, start=1) if n == 1 or line.startswith(keep)]
                lines = [line for _n, line in kept]
                line_numbers = [n for n, _line in kept]
            reader = csv.DictReader(lines)
            wanted = {"code", "name"} | ({parent_column} if parent_column else set())
            if not wanted <= set(reader.fieldnames or ()):
                raise ServiceError(
                    _("The region file %(file)s lacks the columns %(columns)s.")
                    % {"file": path, "columns": ", ".join(sorted(wanted))},
                    code="regions_file_invalid",
                )
            for index, row in enumerate(reader, start=1):
                line = line_numbers[index] if line_numbers else index + 1
                code = (row["code"] or "").strip()
                parent = (row[parent_column] or "").strip() if parent_column else None
                if not CODE_RE.match(code) or level_of(code) != level or (parent and parent_code(code) != parent):
                    raise ServiceError(
                        _("Line %(line)d of %(file)s has an invalid region code %(code)s.")
                        % {"line": line, "file": path, "code": code},
                        code="regions_file_invalid",
                    )
                if within and not (code == within or code.startswith(within + ".") or within.startswith(code + ".")):
                    continue
                rows[code] = ((row["name"] or "").strip(), level, parent)
    orphans = [code for code, (_n, _l, parent) in rows.items() if parent and parent not in rows]
    if orphans:
        raise ServiceError(
            _("%(count)d regions name a parent that does not exist, e.g. %(code)s.")
            % {"count": len(orphans), "code": orphans[0]},
            code="regions_file_invalid",
        )
    return rows


def import_regions(actor: Actor, directory: Path | str | None = None, *, within: str = "",
                   progress: ProgressFactory | None = None, batch_size: int = BATCH_SIZE) -> RegionImportReport:
    """Insert or rename every Kemendagri region from idn-area-data; idempotent, one transaction.

    Only code, name, level, parent and search key are written: boundaries, centroids and H3 cells
    loaded by a boundary import survive a re-import. `within` limits the import to one code's
    subtree (and its ancestors), for small demos and tests.
    """
    # Reference data for the whole platform: the same administrators who load boundaries load codes.
    actor.require("boundary.import")
    within = (within or "").strip()
    if within and not CODE_RE.match(within):
        raise ServiceError(_("Invalid region code: %(code)s.") % {"code": within}, code="invalid_code")
    source = read_region_csvs(directory or settings.REGIONS_DIR, within=within)
    existing = {
        code: (name, level, parent_id, key)
        for code, name, level, parent_id, key in Region.objects.values_list(
            "code", "name", "level", "parent_id", "search_key")
    }
    now = timezone.now()
    report = RegionImportReport()
    to_create: list[Region] = []
    to_update: list[Region] = []
    for code, (name, level, parent) in source.items():
        key = normalize(name)
        current = existing.get(code)
        if current is None:
            to_create.append(Region(code=code, name=name, level=level, parent_id=parent, search_key=key))
        elif current != (name, level, parent, key):
            to_update.append(Region(code=code, name=name, level=level, parent_id=parent, search_key=key,
                                    updated_at=now))
        else:
            report.unchanged += 1
    report.inserted, report.updated = len(to_create), len(to_update)
    report.not_in_source = len(existing.keys() - source.keys()) if not within else 0
    report.level_counts = dict(sorted(Counter(LEVEL_KEYS[v[1]] for v in source.values()).items(),
                                      key=lambda kv: list(LEVEL_KEYS.values()).index(kv[0])))
    bar = _progress(progress, len(to_create) + len(to_update), _("Writing regions"))
    try:
        with transaction.atomic():
            for batch in _batches(to_create, batch_size):
                Region.objects.bulk_create(batch, batch_size=batch_size)
                bar.update(len(batch))
            for batch in _batches(to_update, batch_size):
                Region.objects.bulk_update(batch, ["name", "level", "parent", "search_key", "updated_at"],
                                           batch_size=batch_size)
                bar.update(len(batch))
            if to_create or to_update:
                transaction.on_commit(_invalidate_caches)
    finally:
        bar.close()
    if to_create or to_update:
        _invalidate_caches()
    return report


# --- boundaries -------------------------------------------------------------------------------------


@dataclass
class BoundaryImportReport:
    import_id: int | None
    source: str
    imported: int
    updated: int
    unchanged: int
    repaired: list[str]
    level_counts: dict[str, int]

    def as_dict(self) -> dict:
        return asdict(self)


class BoundaryImportError(ServiceError):
    """A boundary file that cannot be imported; details["errors"] lists every offending feature."""

    code = "invalid_boundaries"


@dataclass
class _Source:
    name: str
    data: Any  # parsed JSON, or None when it could not be parsed
    sha256: str = ""
    error: str | None = None


@dataclass
class _Parsed:
    code: str
    source: str
    geometry: dict
    repaired: bool
    lat: float
    lng: float
    bbox: list[float]


def _too_large(name: str, size: int) -> ServiceError:
    return ServiceError(
        _("%(name)s is %(size)d bytes; imports are limited to %(limit)d bytes.")
        % {"name": name, "size": size, "limit": settings.SIAGA_MAX_IMPORT_BYTES},
        code="too_large", status=413,
    )


def _parse_bytes(name: str, raw: bytes) -> _Source:
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > settings.SIAGA_MAX_IMPORT_BYTES:
        raise _too_large(name, len(raw))
    try:
        return _Source(name, json.loads(raw), digest)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _Source(name, None, digest, _("%(name)s is not valid JSON (%(error)s).") % {"name": name, "error": exc})
    except RecursionError:  # arrays or objects nested thousands deep: no boundary file looks like that
        return _Source(name, None, digest, _("%(name)s is nested too deeply to be GeoJSON.") % {"name": name})


def _load_source(item) -> _Source:
    """A path, bytes, a file-like object, a parsed GeoJSON dict, or a (name, any of those) pair."""
    if isinstance(item, tuple) and len(item) == 2:
        name, obj = item
    else:
        name, obj = None, item
    if isinstance(obj, (str, os.PathLike)):
        path = Path(obj)
        name = name or path.name
        if not path.is_file():
            raise ServiceError(_("The file %(file)s does not exist.") % {"file": path}, code="file_missing")
        size = path.stat().st_size
        if size > settings.SIAGA_MAX_IMPORT_BYTES:
            raise _too_large(name, size)
        return _parse_bytes(name, path.read_bytes())
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return _parse_bytes(name or "upload", bytes(obj))
    if hasattr(obj, "read"):
        name = name or os.path.basename(getattr(obj, "name", "") or "") or "upload"
        raw = obj.read(settings.SIAGA_MAX_IMPORT_BYTES + 1)
        return _parse_bytes(name, raw if isinstance(raw, bytes) else raw.encode())
    if isinstance(obj, dict):
        return _Source(name or "upload", obj,
                       hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest())
    raise ServiceError(_("Unsupported boundary source."), code="invalid_boundaries")


def _features(src: _Source) -> tuple[list, str | None]:
    data = src.data
    if not isinstance(data, dict):
        return [], _("%(name)s is not a GeoJSON object.") % {"name": src.name}
    if data.get("type") == "Feature":
        return [data], None
    if data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        return [], _("%(name)s is not a GeoJSON FeatureCollection.") % {"name": src.name}
    return data["features"], None


def _polygonal_parts(geom) -> list:
    """The polygons inside any geometry (make_valid may return a collection with stray lines or points)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in shapely.get_parts(geom) for p in _polygonal_parts(part)]
    return []


def repair_polygon(geom):
    """A valid (Multi)Polygon covering an invalid one's area (make_valid, polygonal parts only); None if none."""
    parts = _polygonal_parts(shapely.make_valid(geom))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _coords_in_range(geom) -> bool:
    xy = shapely.get_coordinates(geom)
    if not len(xy):
        return False
    finite = all(math.isfinite(v) for v in (xy.min(), xy.max()))
    return finite and -180 <= xy[:, 0].min() and xy[:, 0].max() <= 180 and -90 <= xy[:, 1].min() and xy[:, 1].max() <= 90


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _parse_feature(src_name: str, index: int, feature, known_codes: set[str]) -> tuple[_Parsed | None, dict | None]:
    """(parsed feature, None) or (None, error entry)."""

    def error(message: str, kode=None):
        return None, {"source": src_name, "feature": index, "kode": kode, "message": message}

    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return error(_("Feature %(n)d is not a GeoJSON Feature.") % {"n": index})
    props = feature.get("properties") or {}
    kode = props.get("kode") if isinstance(props, dict) else None
    if not isinstance(kode, str) or not kode.strip():
        return error(_("Feature %(n)d has no region code (property kode).") % {"n": index})
    kode = kode.strip()
    if not CODE_RE.match(kode) or kode not in known_codes:
        return error(_("Feature %(n)d names an unknown region code %(kode)s.") % {"n": index, "kode": kode}, kode)
    gj = feature.get("geometry")
    if not isinstance(gj, dict) or not gj.get("type"):
        return error(_("Feature %(n)d (%(kode)s) has no geometry.") % {"n": index, "kode": kode}, kode)
    if not isinstance(gj["type"], str) or gj["type"] not in POLYGON_TYPES:
        return error(_("Feature %(n)d (%(kode)s) has a %(type)s geometry; only Polygon and MultiPolygon are "
                       "accepted.") % {"n": index, "kode": kode, "type": gj["type"]}, kode)
    try:
        geom = shapely.geometry.shape(gj)
    except Exception:  # shapely raises ValueError, TypeError, IndexError or GEOSException on bad coordinates
        return error(_("Feature %(n)d (%(kode)s) has malformed coordinates.") % {"n": index, "kode": kode}, kode)
    if geom.is_empty or not _coords_in_range(geom):
        return error(_("Feature %(n)d (%(kode)s) is empty or has coordinates outside longitude/latitude "
                       "ranges (GeoJSON is lon,lat).") % {"n": index, "kode": kode}, kode)
    repaired = False
    stored = {"type": gj["type"], "coordinates": gj["coordinates"]}
    if not geom.is_valid:
        fixed = repair_polygon(geom)
        if fixed is None:
            return error(_("Feature %(n)d (%(kode)s) is an invalid polygon that could not be repaired.")
                         % {"n": index, "kode": kode}, kode)
        geom, repaired = fixed, True
        stored = json.loads(shapely.to_geojson(fixed))
    else:
        # Round-trip through JSON so tuples, ints and other JSON-equal spellings compare equal on re-import.
        stored = json.loads(json.dumps(stored))
    lat, lng = _number(props.get("lat")), _number(props.get("lng"))
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        # No usable centroid in the file: a point guaranteed to lie inside the polygon.
        point = geom.representative_point()
        lat, lng = point.y, point.x
    return _Parsed(kode, src_name, stored, repaired, lat, lng, [float(v) for v in geom.bounds]), None


def _common_code(codes: Iterable[str]) -> str:
    """The deepest code containing all codes ("" when they span provinces): the event's area."""
    common: list[str] | None = None
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


def import_boundaries(actor: Actor, sources, source_name: str | None = None) -> BoundaryImportReport:
    """Load region boundaries from GeoJSON files or FeatureCollections; all or nothing.

    Each feature needs properties.kode (a region in the table) and a Polygon or MultiPolygon
    geometry (lon,lat). Invalid polygons are repaired with make_valid and reported; any unknown
    code, malformed or non-polygon feature makes the whole import fail with every offender listed.
    An import that changes something leaves a BoundaryImport row, an audit record and a
    "boundaries.imported" event; re-importing what is already stored writes nothing (import_id None).
    """
    actor.require("boundary.import")
    if isinstance(sources, (str, os.PathLike, bytes, dict, tuple)) or hasattr(sources, "read"):
        sources = [sources]
    loaded = [_load_source(item) for item in sources]
    if not loaded:
        raise BoundaryImportError(_("No boundary file was given."))

    errors: list[dict] = []
    raw_features: list[tuple[str, int, Any]] = []
    for src in loaded:
        if src.error:
            errors.append({"source": src.name, "feature": None, "kode": None, "message": src.error})
            continue
        features, problem = _features(src)
        if problem:
            errors.append({"source": src.name, "feature": None, "kode": None, "message": problem})
        if not features and not problem:
            errors.append({"source": src.name, "feature": None, "kode": None,
                           "message": _("%(name)s contains no features.") % {"name": src.name}})
        raw_features.extend((src.name, i, f) for i, f in enumerate(features))

    wanted = {
        f["properties"]["kode"].strip()
        for _s, _i, f in raw_features
        if isinstance(f, dict) and isinstance(f.get("properties"), dict) and isinstance(f["properties"].get("kode"), str)
    }
    known: set[str] = set()
    wanted_list = sorted(wanted)
    for batch in _batches(wanted_list, 500):
        known.update(Region.objects.filter(code__in=batch).values_list("code", flat=True))

    parsed: dict[str, _Parsed] = {}
    for src_name, index, feature in raw_features:
        item, err = _parse_feature(src_name, index, feature, known)
        if err:
            errors.append(err)
        elif item.code in parsed:
            errors.append({"source": src_name, "feature": index, "kode": item.code,
                           "message": _("Feature %(n)d repeats region code %(kode)s.") % {"n": index, "kode": item.code}})
        else:
            parsed[item.code] = item
    if errors:
        listed = errors[:MAX_LISTED_ERRORS]
        raise BoundaryImportError(
            _("%(count)d problem(s) found in the boundary file; nothing was imported.") % {"count": len(errors)},
            details={"errors": listed, "total_errors": len(errors)},
        )

    names = [src.name for src in loaded]
    source = (source_name or ", ".join(names))[:200]
    now = timezone.now()
    fields = ["boundary", "bbox", "lat", "lng", "h3_cell", "boundary_source", "boundary_repaired", "updated_at"]
    with transaction.atomic():
        current: dict[str, dict] = {}
        for batch in _batches(sorted(parsed), 500):
            for row in Region.objects.filter(code__in=batch).values("code", *fields[:-1]):
                current[row["code"]] = row
        changed: list[Region] = []
        for code, item in parsed.items():
            values = {
                "boundary": item.geometry,
                "bbox": item.bbox,
                "lat": item.lat,
                "lng": item.lng,
                "h3_cell": h3.latlng_to_cell(item.lat, item.lng, H3_RESOLUTION),
                "boundary_source": (source_name or item.source)[:200],
                "boundary_repaired": item.repaired,
            }
            old = current[code]
            if any(old[k] != v for k, v in values.items()):
                changed.append(Region(code=code, updated_at=now, **values))
        repaired = sorted(code for code, item in parsed.items() if item.repaired)
        level_counts = {LEVEL_KEYS[level]: n for level, n in sorted(Counter(level_of(c) for c in parsed).items())}
        if not changed:
            # Idempotent: importing what is already there writes nothing, not even a history row or an event.
            return BoundaryImportReport(None, source, len(parsed), 0, len(parsed), repaired, level_counts)
        for batch in _batches(changed, 200):
            Region.objects.bulk_update(batch, fields)
        record = BoundaryImport.objects.create(
            actor=actor.user if getattr(actor.user, "pk", None) else None,
            organization=actor.organization,
            source=source,
            sha256=hashlib.sha256("".join(src.sha256 for src in loaded).encode()).hexdigest()
            if len(loaded) > 1 else loaded[0].sha256,
            features=len(parsed),
            updated=len(changed),
            unchanged=len(parsed) - len(changed),
            repaired=repaired,
            level_counts=level_counts,
        )
        audit.created(actor, record)
        emit("boundaries.imported",
             {"source": source, "imported": len(parsed), "repaired": repaired, "level_counts": level_counts},
             region_code=_common_code(parsed))
        transaction.on_commit(_invalidate_caches)
    _invalidate_caches()
    return BoundaryImportReport(record.pk, source, len(parsed), len(changed), len(parsed) - len(changed),
                                repaired, level_counts)


# --- reads (permission-checked; reference data: any authenticated actor with region.view) -------


def _regions_without_boundary():
    # The boundary column can hold megabytes; lists and details never need it.
    return Region.objects.defer("boundary").annotate(
        has_boundary=ExpressionWrapper(Q(boundary__isnull=False), output_field=BooleanField())
    )


def _not_found(code: str) -> NotFound:
    return NotFound(_("Region %(code)s not found.") % {"code": code}, details={"code": code})


def get_region(actor: Actor, code: str) -> Region:
    actor.require("region.view")
    region = _regions_without_boundary().filter(code=code).first()
    if region is None:
        raise _not_found(code)
    return region


def ancestors_of(code: str) -> list[Region]:
    """The regions above a code, province first."""
    parts = code.split(".")
    codes = [".".join(parts[:i]) for i in range(1, len(parts))]
    return list(Region.objects.filter(code__in=codes).only("code", "name", "level").order_by("code"))


def child_regions(actor: Actor, code: str | None = None):
    """Provinces (code None) or the regions directly below code (NotFound if code is unknown)."""
    actor.require("region.view")
    if code is None:
        return _regions_without_boundary().filter(level=Level.PROVINCE).order_by("code")
    if not Region.objects.filter(code=code).exists():
        raise _not_found(code)
    return _regions_without_boundary().filter(parent_id=code).order_by("code")


def region_boundary(actor: Actor, code: str) -> Region:
    actor.require("region.view")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise _not_found(code)
    if region.boundary is None:
        raise NotFound(_("No boundary has been imported for region %(code)s.") % {"code": code},
                       code="no_boundary", details={"code": code})
    return region


def child_boundaries(actor: Actor, code: str) -> list[Region]:
    actor.require("region.view")
    if not Region.objects.filter(code=code).exists():
        raise _not_found(code)
    return list(Region.objects.filter(parent_id=code, boundary__isnull=False).order_by("code"))


def search_regions(actor: Actor, query: str, *, level: int | None = None, within: str = "", limit: int = 20):
    actor.require("region.view")
    from . import search

    return search.search(query, level=level, within=within, limit=limit)


def lookup_point(actor: Actor, lat: float, lng: float):
    actor.require("region.view")
    from . import lookup

    return lookup.lookup(lat, lng)
