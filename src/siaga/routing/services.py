"""Write path for road networks and closures: permission check, one transaction, audit."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import NotFound, ServiceError
from siaga.core.permissions import Actor
from siaga.core.services import validate_region_code

from . import compile as comp
from .events import emit_closure
from .models import ClosureKind, RoadClosure, RoadNetwork


def roads_dir() -> Path:
    d = Path(settings.VAR_DIR) / "roads"
    d.mkdir(parents=True, exist_ok=True)
    return d


def save_arrays(arrays: dict, path: Path) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def load_arrays(path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


@dataclass
class ImportReport:
    network: RoadNetwork
    dropped_nodes: int
    dropped_arcs: int
    warnings: list


def _bbox_intersects(a, b) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


def _region_bbox(code: str):
    Region = apps.get_model("geo", "Region")
    row = Region.objects.filter(code=code).values("bbox").first()
    if row and row["bbox"]:
        return row["bbox"]
    # A kab/kota without its own boundary: the union of its children's boxes, when they have one.
    boxes = [b for b in Region.objects.filter(code__startswith=code + ".").exclude(bbox=None)
             .values_list("bbox", flat=True) if b]
    if not boxes:
        return None
    arr = np.array(boxes, dtype=float)
    return [arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()]


def import_roads(actor: Actor, path, *, region_code: str, name: str | None = None, progress=None) -> ImportReport:
    """Compile a road file into the region's active network; on any error the previous network stays active."""
    actor.require("boundary.import")
    region_code = validate_region_code(region_code, allow_national=False)
    raw = comp.read_road_file(path, progress)
    compiled = comp.compile_graph(raw, comp.speed_profile())
    warnings = []
    region_box = _region_bbox(region_code)
    if region_box is None:
        warnings.append(_("Region %(code)s has no boundary: the network's location was not checked.")
                        % {"code": region_code})
    elif not _bbox_intersects(compiled.bbox, region_box):
        raise ServiceError(
            _("The road network of %(file)s lies outside region %(code)s: is it the file of another region?")
            % {"file": Path(path).name, "code": region_code},
            code="wrong_region", details={"network_bbox": compiled.bbox, "region_bbox": list(region_box)})
    target = roads_dir() / f"{region_code}-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}.npz"
    save_arrays(compiled.arrays, target)
    try:
        with transaction.atomic():
            RoadNetwork.objects.filter(region_code=region_code, active=True).update(active=False)
            net = RoadNetwork.objects.create(
                region_code=region_code, name=name or Path(path).stem, source=Path(path).name,
                file_path=str(target), node_count=len(compiled.arrays["lat"]),
                arc_count=len(compiled.arrays["tail"]), dropped_node_count=compiled.dropped_nodes,
                dropped_arc_count=compiled.dropped_arcs, bbox=compiled.bbox, speed_profile=comp.speed_profile(),
                active=True)
            audit.created(actor, net)
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return ImportReport(network=net, dropped_nodes=compiled.dropped_nodes, dropped_arcs=compiled.dropped_arcs,
                        warnings=warnings)


# --- closures -------------------------------------------------------------------------------------


def active_closures(network_id: int, now=None):
    now = now or timezone.now()
    return (RoadClosure.objects.filter(network_id=network_id, lifted_at=None, starts_at__lte=now)
            .exclude(ends_at__lte=now).order_by("pk"))


def visible_closures(actor: Actor, *, network_id: int | None = None, active_only: bool = False):
    actor.require("routing.view")
    qs = actor.scope_queryset(RoadClosure.objects.all())
    if network_id is not None:
        qs = qs.filter(network_id=network_id)
    if active_only:
        now = timezone.now()
        qs = qs.filter(lifted_at=None, starts_at__lte=now).exclude(ends_at__lte=now)
    return qs


def get_closure(actor: Actor, closure_id: int) -> RoadClosure:
    actor.require("routing.view")
    c = RoadClosure.objects.filter(pk=closure_id).first()
    if c is None or not actor.can_see(c.organization_id, c.region_code):
        raise NotFound(_("Road closure not found."))
    return c


def _validate_polygon(area):
    from shapely.geometry import shape

    try:
        geom = shape(area)
    except Exception as exc:
        raise ServiceError(_("The closed area is not a valid GeoJSON polygon."), code="invalid_area") from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ServiceError(_("The closed area is not a valid GeoJSON polygon."), code="invalid_area")
    return geom


@transaction.atomic
def create_closure(actor: Actor, *, network_id: int, kind: str, reason: str, arc_ids=None, area=None,
                   road_class: str = "", factor: float | None = None, starts_at=None, ends_at=None) -> RoadClosure:
    actor.require("routing.manage")
    net = RoadNetwork.objects.filter(pk=network_id, active=True).first()
    if net is None:
        raise NotFound(_("Road network not found."))
    if actor.organization is None:
        raise ServiceError(_("A closure must belong to an organisation."), code="organization_required")
    if not (reason or "").strip():
        raise ServiceError(_("Give the reason for the closure."), code="reason_required")
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        raise ServiceError(_("The closure must end after it starts."), code="invalid_period")
    fields = {"arc_ids": [], "area": None, "road_class": "", "factor": 1.0}
    if kind == ClosureKind.ARCS:
        ids = sorted({int(a) for a in (arc_ids or [])})
        if not ids:
            raise ServiceError(_("Name at least one road segment to close."), code="arcs_required")
        bad = [a for a in ids if a < 0 or a >= net.arc_count]
        if bad:
            raise ServiceError(_("Unknown road segment(s): %(ids)s.") % {"ids": ", ".join(map(str, bad[:10]))},
                               code="unknown_arc", details={"arc_ids": bad})
        fields["arc_ids"] = ids
    elif kind == ClosureKind.AREA:
        geom = _validate_polygon(area)
        b = net.bbox
        minx, miny, maxx, maxy = geom.bounds
        if not _bbox_intersects([minx, miny, maxx, maxy], b):
            raise ServiceError(_("The closed area does not touch this road network."), code="area_outside")
        fields["area"] = area
    elif kind == ClosureKind.ROAD_CLASS_FACTOR:
        if road_class not in comp.CLASS_CODE:
            raise ServiceError(_("Unknown road class: %(cls)s.") % {"cls": road_class}, code="unknown_road_class")
        if factor is None or not (1.0 <= float(factor) <= 100.0):
            raise ServiceError(_("A slow-down factor must lie between 1 and 100."), code="invalid_factor")
        fields["road_class"] = road_class
        fields["factor"] = float(factor)
    else:
        raise ServiceError(_("Unknown closure kind: %(kind)s.") % {"kind": kind}, code="unknown_kind")
    region_code = actor.organization.region_code or net.region_code
    c = RoadClosure.objects.create(network=net, organization=actor.organization, region_code=region_code,
                                   kind=kind, reason=reason.strip(), author=actor.user if actor.user_id else None,
                                   starts_at=starts_at, ends_at=ends_at, **fields)
    audit.created(actor, c)
    emit_closure("road.closure_created", c)
    return c


@transaction.atomic
def lift_closure(actor: Actor, closure_id: int) -> RoadClosure:
    actor.require("routing.manage")
    c = get_closure(actor, closure_id)
    if c.lifted_at is not None:
        raise ServiceError(_("This closure was already lifted."), code="already_lifted", status=409)
    before = audit.snapshot(c)
    c.lifted_at = timezone.now()
    c.lifted_by = actor.user if actor.user_id else None
    c.save(update_fields=["lifted_at", "lifted_by"])
    audit.updated(actor, c, before)
    emit_closure("road.closure_lifted", c)
    return c


def closure_weights(base: np.ndarray, road_class: np.ndarray, closures, arc_mask_for_area) -> np.ndarray:
    """The metric with closures applied: closed arcs become infinite, slowed classes are multiplied."""
    from .engine import INF

    w = base.astype(np.int64).copy()
    closed = np.zeros(len(w), dtype=bool)
    for c in closures:
        if c.kind == ClosureKind.ARCS:
            ids = np.asarray([a for a in c.arc_ids if 0 <= a < len(w)], dtype=np.int64)
            closed[ids] = True
        elif c.kind == ClosureKind.AREA:
            closed |= arc_mask_for_area(c.area)
        elif c.kind == ClosureKind.ROAD_CLASS_FACTOR:
            sel = road_class == comp.CLASS_CODE.get(c.road_class, -1)
            w[sel] = np.rint(w[sel] * c.factor)
    w = np.minimum(w, INF - 1)
    w[closed] = INF
    return w


