"""Write path of relief logistics: catalogue import, warehouses and minimums, and the stock movements
(receipts, requests, shipments, distributions, adjustments) that are the only way a lot's quantity changes.

Stock never goes negative. Every function that takes from a lot locks the lot rows it reads
(select_for_update, in a fixed order so two shipments cannot deadlock), re-reads their quantities under the
lock, and decrements with a conditional UPDATE (quantity >= n); the database check constraint
quantity >= 0 is the last line of defence. On SQLite the transaction is IMMEDIATE, so writers queue anyway.

Tenancy: an organisation moves only its own stock (its own warehouses and those of the organisations below
it, inside the actor's area). Warehouses of the other organisations taking part in a disaster event the
actor's organisation shares are visible read-only; moving their stock is refused, because lending between
provinces is a mutual-aid record (siaga.disaster.mutualaid), not a loophole here.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.models import AuditLog, Organization
from siaga.core.permissions import Actor, PermissionDenied, descendant_ids
from siaga.geo.models import Region

from .models import (Distribution, DistributionLine, Item, KitComponent, MinimumLevel, Movement, NeedsItem, Request,
                     RequestLine, Shipment, ShipmentLine, StockLot, Warehouse)

NEAR_EXPIRY_DAYS = 30
MAX_QUANTITY = 10**12
MAX_LINES = 200


# --- small helpers ------------------------------------------------------------------------------------


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _quantity(value, *, what: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(_("%(what)s must be a whole number in the item's unit.") % {"what": what},
                           code="invalid_quantity")
    if value < 0 or (value == 0 and not allow_zero) or value > MAX_QUANTITY:
        raise ServiceError(_("%(what)s must be more than zero.") % {"what": what} if not allow_zero else
                           _("%(what)s cannot be negative.") % {"what": what}, code="invalid_quantity")
    return value


def _get_item(ref) -> Item:
    """An active item by id or by code."""
    if isinstance(ref, Item):
        return ref
    qs = Item.objects.filter(active=True)
    item = qs.filter(pk=ref).first() if isinstance(ref, int) else qs.filter(code=str(ref or "").strip()).first()
    if item is None:
        raise ServiceError(_("Unknown item: %(item)s.") % {"item": ref}, code="unknown_item", details={"item": ref})
    return item


def _region(code: str, *, level: int | None = None) -> Region:
    code = (code or "").strip()
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ServiceError(_("Unknown region codes: %(codes)s.") % {"codes": code}, code="unknown_region",
                           details={"codes": [code]})
    if level is not None and region.level != level:
        raise ServiceError(_("Give a kelurahan (a 4-level region code)."), code="not_kelurahan")
    return region


def _aware(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return timezone.now()
    if value.tzinfo is None:
        raise ServiceError(_("Times need a time zone."), code="naive_time")
    if value > timezone.now() + dt.timedelta(minutes=5):
        raise ServiceError(_("The time lies in the future."), code="future_time")
    return value


def _event(actor: Actor, event_id: int | None):
    if event_id is None:
        return None
    from siaga.disaster import services as disaster_services

    return disaster_services.get_event(actor, event_id)


# --- catalogue import ---------------------------------------------------------------------------------

CATALOG_COLUMNS = ("Catalog", "Category", "Category Code", "Item Name", "Item Code", "Unit of Measure")
KIT_COLUMNS = ("Kit", "Item Code", "Quantity")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kits: int = 0
    kit_components: int = 0
    codes: list[str] = field(default_factory=list)


def derived_code(catalog: str, name: str) -> str:
    """A stable code for a catalogue row that has none: catalogue + name ("PIRAC-WATER-FILTER-ORISA")."""
    slug = slugify(name).upper()
    return f"{(catalog or 'X').upper()}-{slug}"[:40].rstrip("-")


def _decimal(text: str, line: int, column: str, errors: list) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append({"line": line, "message": _("%(column)s is not a number: %(value)s")
                       % {"column": column, "value": text[:40]}})
        return None
    if value < 0 or not value.is_finite():
        errors.append({"line": line, "message": _("%(column)s cannot be negative: %(value)s")
                       % {"column": column, "value": text[:40]}})
        return None
    return value


def _read_csv(path, required: tuple[str, ...], label: str) -> list[tuple[int, dict]]:
    path = Path(path)
    if not path.is_file():
        raise ServiceError(_("File not found: %(path)s") % {"path": str(path)}, code="file_not_found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError(_("%(file)s is not UTF-8 text.") % {"file": path.name}, code="not_utf8")
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise ServiceError(_("%(file)s lacks the columns %(cols)s (is it the %(label)s file?).")
                           % {"file": path.name, "cols": ", ".join(missing), "label": label},
                           code="missing_columns", details={"file": path.name, "missing": missing})
    # Line numbers as a spreadsheet shows them: the header is line 1.
    return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]


def _parse_catalog(path) -> tuple[dict[str, dict], list[dict]]:
    rows, errors = {}, []
    for line, row in _read_csv(path, CATALOG_COLUMNS, _("item catalogue")):
        name, unit, code = row.get("Item Name", ""), row.get("Unit of Measure", ""), row.get("Item Code", "")
        catalog = row.get("Catalog", "")
        if not name:
            errors.append({"line": line, "message": _("The item has no name.")})
            continue
        if not unit:
            errors.append({"line": line, "message": _("%(name)s has no unit of measure.") % {"name": name[:60]}})
            continue
        derived = not code
        code = code or derived_code(catalog, name)
        if not re.fullmatch(r"[A-Za-z0-9._-]{1,40}", code):
            errors.append({"line": line, "message": _("Invalid item code: %(code)s") % {"code": code[:60]}})
            continue
        if code in rows:
            errors.append({"line": line, "message": _("Item code %(code)s appears twice (first on line %(first)s).")
                           % {"code": code, "first": rows[code]["_line"]}})
            continue
        weight = _decimal(row.get("Weight", ""), line, "Weight", errors)
        volume = _decimal(row.get("Volume", ""), line, "Volume", errors)
        value = _decimal(row.get("Unit Value", ""), line, "Unit Value", errors)
        url, image = row.get("URL", ""), row.get("Image", "")
        rows[code] = {
            "_line": line, "name": name[:200], "unit": unit[:20], "category": row.get("Category", "")[:120],
            "category_code": row.get("Category Code", "")[:20], "catalog": catalog[:20],
            "weight_g": None if weight is None else int((weight * 1000).to_integral_value()),
            "volume_cm3": None if volume is None else int((volume * 1_000_000).to_integral_value()),
            "unit_value_cents": None if value is None else int((value * 100).to_integral_value()),
            "currency": row.get("Currency", "")[:3], "url": url[:500] if url.startswith("http") else "",
            "image_url": image[:500] if image.startswith("http") else "", "code_derived": derived,
        }
    return rows, errors


def _parse_kits(path, known: set[str]) -> tuple[dict[str, dict[str, int]], list[dict]]:
    """Kits by name -> {component code: quantity}; `known` holds the item codes a kit line may name."""
    kits: dict[str, dict[str, int]] = {}
    errors = []
    for line, row in _read_csv(path, KIT_COLUMNS, _("kit")):
        kit, code, qty = row.get("Kit", ""), row.get("Item Code", ""), row.get("Quantity", "")
        if not kit or not code:
            errors.append({"line": line, "message": _("A kit line needs the kit name and an item code.")})
            continue
        if code not in known:
            errors.append({"line": line, "message": _("Unknown item code %(code)s in kit %(kit)s.")
                           % {"code": code, "kit": kit}})
            continue
        if not qty.isdigit() or int(qty) <= 0:
            errors.append({"line": line, "message": _("Quantity must be a whole number above zero: %(q)s")
                           % {"q": qty[:20]}})
            continue
        lines = kits.setdefault(kit, {})
        if code in lines:
            errors.append({"line": line, "message": _("Item %(code)s appears twice in kit %(kit)s.")
                           % {"code": code, "kit": kit}})
            continue
        lines[code] = int(qty)
    return kits, errors


def import_items(actor: Actor, path, kits_path=None) -> ImportResult:
    """Import the item catalogue (and kits) from CSV: all rows or none; a re-import updates rows in place.

    Rows without an item code get a code derived from catalogue and name, so a re-import finds them again.
    A kit is an item of the catalogue with the kit's name (the catalogue lists "Family Kit" as an item); a kit
    name that no item carries becomes an item of its own (code KIT-<NAME>, unit "kit").
    """
    if not actor.is_platform_admin:
        # The catalogue is shared reference data for every organisation: only the platform changes it.
        raise PermissionDenied(_("Only a platform administrator imports the item catalogue."), code="platform_only")
    rows, errors = _parse_catalog(path)
    by_name = {}
    for code, r in rows.items():
        by_name.setdefault(r["name"].casefold(), code)
    kits, kit_errors = {}, []
    if kits_path:
        known = set(rows) | set(Item.objects.values_list("code", flat=True))
        kits, kit_errors = _parse_kits(kits_path, known)
    if errors or kit_errors:
        details = [dict(e, file=Path(path).name) for e in errors]
        details += [dict(e, file=Path(kits_path).name) for e in kit_errors]
        raise ServiceError(_("%(n)s row(s) could not be read; nothing was imported.") % {"n": len(details)},
                           code="invalid_rows", details={"errors": details})
    result = ImportResult()
    with transaction.atomic():
        existing = {i.code: i for i in Item.objects.select_for_update().filter(code__in=list(rows))}
        for code, data in rows.items():
            data = {k: v for k, v in data.items() if not k.startswith("_")}
            item = existing.get(code)
            if item is None:
                item = Item.objects.create(code=code, **data)
                audit.created(actor, item)
                result.created += 1
            else:
                before = audit.snapshot(item)
                for k, v in data.items():
                    setattr(item, k, v)
                if audit.snapshot(item) == before:
                    result.unchanged += 1
                else:
                    item.save()
                    audit.updated(actor, item, before)
                    result.updated += 1
            result.codes.append(code)
        for kit_name, lines in kits.items():
            kit_code = by_name.get(kit_name.casefold())
            kit = Item.objects.filter(code=kit_code).first() if kit_code else None
            if kit is None:
                kit_code = derived_code("KIT", kit_name)
                kit, created = Item.objects.get_or_create(code=kit_code, defaults={
                    "name": kit_name[:200], "unit": "kit", "category": "Kits", "code_derived": True})
                if created:
                    audit.created(actor, kit)
            components = {c.component.code: c for c in kit.components.select_related("component")}
            for code, qty in lines.items():
                comp = components.pop(code, None)
                if comp is None:
                    KitComponent.objects.create(kit=kit, component=Item.objects.get(code=code), quantity=qty)
                elif comp.quantity != qty:
                    comp.quantity = qty
                    comp.save(update_fields=["quantity"])
                result.kit_components += 1
            # A component dropped from the file is dropped from the kit: the file is the kit's definition.
            KitComponent.objects.filter(pk__in=[c.pk for c in components.values()]).delete()
            result.kits += 1
    return result


# --- reading: warehouses and stock --------------------------------------------------------------------


def own_warehouses(actor: Actor):
    """Warehouses whose stock this actor may move: its organisations' own, inside its area."""
    actor.require("logistics.view")
    return actor.scope_queryset(Warehouse.objects.all())


def event_org_ids(event) -> set[int]:
    """The lead and participating organisations of a disaster event, with the organisations below them."""
    roots = {event.organization_id} | set(event.participants.values_list("pk", flat=True))
    return descendant_ids(roots)


def visible_warehouses(actor: Actor, event_id: int | None = None):
    """Own warehouses; with an event the actor's organisation shares, also those of every organisation taking
    part in it (read-only)."""
    actor.require("logistics.view")
    qs = own_warehouses(actor)
    if event_id is None or actor.is_platform_admin:
        return qs
    ev = _event(actor, event_id)
    return Warehouse.objects.filter(Q(pk__in=qs.values("pk")) | Q(organization__in=event_org_ids(ev)))


def get_warehouse(actor: Actor, warehouse_id: int, event_id: int | None = None) -> Warehouse:
    wh = visible_warehouses(actor, event_id).filter(pk=warehouse_id).select_related("organization").first()
    if wh is None:
        raise NotFound(_("Warehouse not found."))
    return wh


def _shared_with_me(actor: Actor, warehouse: Warehouse) -> bool:
    """Is this warehouse visible to the actor through an event both organisations take part in?"""
    from siaga.disaster import services as disaster_services

    owners = [warehouse.organization_id, *_ancestor_ids(warehouse.organization_id)]
    return disaster_services.visible_events(actor).filter(Q(organization__in=owners)
                                                          | Q(participants__in=owners)).exists()


def _ancestor_ids(org_id: int) -> list[int]:
    """The organisations above this one (an event a province takes part in covers its branches' warehouses)."""
    parents = dict(Organization.objects.values_list("pk", "parent_id"))
    out, cur = [], parents.get(org_id)
    while cur is not None and cur not in out:
        out.append(cur)
        cur = parents.get(cur)
    return out


def _warehouse_for_update(actor: Actor, warehouse_id: int) -> Warehouse:
    actor.require("logistics.manage")
    wh = own_warehouses(actor).filter(pk=warehouse_id).first()
    if wh is None:
        other = Warehouse.objects.filter(pk=warehouse_id).first()
        if other is not None and _shared_with_me(actor, other):
            raise PermissionDenied(_("This warehouse belongs to %(org)s: you can see its stock for the event you "
                                     "share, but not move it. Ask for it through mutual aid.")
                                   % {"org": other.organization.name}, code="not_own_stock")
        raise NotFound(_("Warehouse not found."))
    if not wh.active:
        raise Conflict(_("The warehouse is closed."), code="warehouse_inactive")
    return wh


def visible_lots(actor: Actor, event_id: int | None = None):
    return StockLot.objects.filter(warehouse__in=visible_warehouses(actor, event_id).values("pk"))


def get_lot(actor: Actor, lot_id: int, event_id: int | None = None) -> StockLot:
    lot = visible_lots(actor, event_id).select_related("warehouse", "item").filter(pk=lot_id).first()
    if lot is None:
        raise NotFound(_("Stock lot not found."))
    return lot


def stock_totals(actor: Actor, *, region_prefix: str = "", event_id: int | None = None,
                 include_expired: bool = False) -> list[dict]:
    """Stock by province and item over the warehouses the actor sees, one aggregate query.

    Expired lots are left out unless asked for: they are not stock anyone can send.
    """
    from django.db.models.functions import Substr

    lots = visible_lots(actor, event_id).filter(quantity__gt=0)
    if region_prefix:
        lots = lots.filter(Q(warehouse__region_code=region_prefix)
                           | Q(warehouse__region_code__startswith=region_prefix + "."))
    if not include_expired:
        lots = lots.filter(Q(expiry__isnull=True) | Q(expiry__gte=timezone.localdate()))
    # Group on narrow keys only (province, item id) and name the items afterwards: a few hundred item rows are
    # cheaper to look up once than to carry their names through the sort of every lot.
    rows = list(lots.annotate(province_code=Substr("warehouse__region_code", 1, 2))
                .values("province_code", "item_id").annotate(quantity=Sum("quantity")).order_by())
    items = Item.objects.in_bulk({r["item_id"] for r in rows})
    out = [{"province_code": r["province_code"], "item_id": r["item_id"], "item_code": items[r["item_id"]].code,
            "item_name": items[r["item_id"]].name, "unit": items[r["item_id"]].unit, "quantity": int(r["quantity"])}
           for r in rows]
    return sorted(out, key=lambda r: (r["province_code"], r["item_name"], r["item_id"]))


def stock_summary(actor: Actor, region_prefix: str = "", event_id: int | None = None) -> list[dict]:
    """Stock per warehouse and item against its minimum, over the warehouses the actor sees (and, with an event,
    those of the organisations taking part). Items with a minimum and no stock appear with quantity 0.

    Rows: warehouse_id, warehouse_name, organization_id, region_code, item_id, item_code, item_name, unit,
    quantity (unexpired), minimum (None when not set), below_minimum.
    """
    whs = visible_warehouses(actor, event_id).filter(active=True)
    if region_prefix:
        whs = whs.filter(Q(region_code=region_prefix) | Q(region_code__startswith=region_prefix + "."))
    whs = {w.pk: w for w in whs}
    today = timezone.localdate()
    totals = {(r["warehouse_id"], r["item_id"]): int(r["q"]) for r in
              StockLot.objects.filter(warehouse_id__in=list(whs), quantity__gt=0)
              .filter(Q(expiry__isnull=True) | Q(expiry__gte=today))
              .values("warehouse_id", "item_id").annotate(q=Sum("quantity"))}
    minimums = {(m.warehouse_id, m.item_id): m.quantity
                for m in MinimumLevel.objects.filter(warehouse_id__in=list(whs))}
    keys = set(totals) | set(minimums)
    items = {i.pk: i for i in Item.objects.filter(pk__in={k[1] for k in keys})}
    out = []
    for wid, iid in keys:
        wh, item = whs[wid], items[iid]
        qty, minimum = totals.get((wid, iid), 0), minimums.get((wid, iid))
        out.append({"warehouse_id": wid, "warehouse_name": wh.name, "organization_id": wh.organization_id,
                    "region_code": wh.region_code, "item_id": iid, "item_code": item.code, "item_name": item.name,
                    "unit": item.unit, "quantity": qty, "minimum": minimum,
                    "below_minimum": minimum is not None and qty < minimum})
    out.sort(key=lambda r: (r["warehouse_name"], r["warehouse_id"], r["item_name"], r["item_id"]))
    return out


def minimums_breached(actor_or_org, region_prefix: str = "") -> list[dict]:
    """Rows of stock_summary below their minimum. Takes an Actor, or an Organization (its own warehouses and
    those of the organisations below it, for system jobs such as the readiness view)."""
    if isinstance(actor_or_org, Organization):
        from siaga.core.permissions import system_actor

        org_ids = descendant_ids({actor_or_org.pk})
        rows = stock_summary(system_actor(), region_prefix)
        return [r for r in rows if r["below_minimum"] and r["organization_id"] in org_ids]
    return [r for r in stock_summary(actor_or_org, region_prefix) if r["below_minimum"]]


def expiring_lots(actor: Actor, days: int = NEAR_EXPIRY_DAYS, event_id: int | None = None):
    today = timezone.localdate()
    return (visible_lots(actor, event_id).filter(quantity__gt=0, expiry__isnull=False,
                                                 expiry__lte=today + dt.timedelta(days=days))
            .select_related("warehouse", "item").order_by("expiry", "id"))


# --- alerts -------------------------------------------------------------------------------------------


def _check_minimums(warehouse: Warehouse, item_ids) -> None:
    """After stock of these items changed: raise the below-minimum alert on crossing, clear it on recovery."""
    today = timezone.localdate()
    for m in _locked(MinimumLevel.objects).filter(warehouse=warehouse, item_id__in=set(item_ids)) \
            .select_related("item").order_by("pk"):
        qty = StockLot.objects.filter(warehouse=warehouse, item_id=m.item_id).filter(
            Q(expiry__isnull=True) | Q(expiry__gte=today)).aggregate(q=Sum("quantity"))["q"] or 0
        if qty < m.quantity and m.breached_at is None:
            m.breached_at = timezone.now()
            m.save(update_fields=["breached_at", "updated_at"])
            emit("logistics.below_minimum", {"warehouse_id": warehouse.pk, "warehouse_name": warehouse.name,
                                             "item_id": m.item_id, "item_code": m.item.code,
                                             "item_name": m.item.name, "quantity": int(qty),
                                             "minimum": int(m.quantity)},
                 organization=warehouse.organization_id, region_code=warehouse.region_code)
        elif qty >= m.quantity and m.breached_at is not None:
            m.breached_at = None
            m.save(update_fields=["breached_at", "updated_at"])


def check_expiry(actor: Actor, days: int = NEAR_EXPIRY_DAYS, today: dt.date | None = None) -> int:
    """Send the near-expiry alert once for every lot with stock that expires within `days` days (a huey job)."""
    actor.require("logistics.view")
    today = today or timezone.localdate()
    sent = 0
    with transaction.atomic():
        lots = (_locked(StockLot.objects).filter(
            warehouse__in=own_warehouses(actor).values("pk"), quantity__gt=0, expiry__isnull=False,
            expiry__lte=today + dt.timedelta(days=days), expiry_alerted_at__isnull=True)
            .select_related("warehouse", "item").order_by("pk"))
        for lot in lots:
            wh, item = lot.warehouse, lot.item
            emit("logistics.near_expiry", {"warehouse_id": wh.pk, "lot_id": lot.pk, "item_id": item.pk,
                                           "item_code": item.code, "lot_number": lot.lot_number,
                                           "expiry": lot.expiry.isoformat(), "quantity": int(lot.quantity),
                                           "days_left": (lot.expiry - today).days},
                 organization=wh.organization_id, region_code=wh.region_code)
            lot.expiry_alerted_at = timezone.now()
            lot.save(update_fields=["expiry_alerted_at"])
            sent += 1
    return sent


def recheck_minimums(actor: Actor) -> int:
    """Re-check every minimum of the actor's warehouses (a lot that expired overnight leaves less usable stock
    without any movement); returns how many minimums are breached now."""
    actor.require("logistics.view")
    with transaction.atomic():
        pairs: dict[int, set[int]] = {}
        for wid, iid in MinimumLevel.objects.filter(warehouse__in=own_warehouses(actor).values("pk")) \
                .values_list("warehouse_id", "item_id"):
            pairs.setdefault(wid, set()).add(iid)
        for wh in Warehouse.objects.filter(pk__in=list(pairs)).order_by("pk"):
            _check_minimums(wh, pairs[wh.pk])
        return MinimumLevel.objects.filter(warehouse_id__in=list(pairs), breached_at__isnull=False).count()


def _is_pg() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def _locked(qs):
    """select_for_update locking only the rows of the queryset's own table: on PostgreSQL a plain FOR UPDATE
    with select_related would also lock the joined warehouse and item rows (and fails on nullable joins)."""
    return qs.select_for_update(of=("self",)) if _is_pg() else qs.select_for_update()


# --- warehouses and minimums --------------------------------------------------------------------------


def _check_lat_lon(lat, lon):
    if (lat is None) != (lon is None):
        raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_location")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ServiceError(_("Latitude or longitude out of range."), code="invalid_location")


@transaction.atomic
def create_warehouse(actor: Actor, *, code: str, name: str, region_code: str, lat: float | None = None,
                     lon: float | None = None, address: str = "", organization_id: int | None = None) -> Warehouse:
    """A warehouse of the actor's organisation (or of one below it)."""
    actor.require("logistics.manage")
    org_id = organization_id or actor.organization_id
    if org_id is None:
        raise ServiceError(_("Act through an organisation to keep a warehouse."), code="no_organization")
    if not actor.is_platform_admin and org_id not in actor.org_ids:
        raise PermissionDenied(_("You can only add warehouses to your own organisation."))
    org = Organization.objects.filter(pk=org_id, active=True).first()
    if org is None:
        raise ServiceError(_("Unknown organisation."), code="unknown_organization")
    region = _region(region_code)
    actor.require_region(region.code)
    _check_lat_lon(lat, lon)
    code = slugify(code or "")[:40]
    if not code or not (name or "").strip():
        raise ServiceError(_("Give the warehouse a code and a name."), code="name_required")
    if Warehouse.objects.filter(organization=org, code=code).exists():
        raise Conflict(_("Your organisation already has a warehouse with code %(code)s.") % {"code": code},
                       code="duplicate_warehouse")
    wh = Warehouse.objects.create(organization=org, region_code=region.code, code=code, name=name.strip()[:200],
                                  address=(address or "").strip()[:300], lat=lat, lon=lon)
    audit.created(actor, wh)
    _warehouse_event(wh)
    return wh


def _warehouse_event(wh: Warehouse) -> None:
    emit("logistics.warehouse_saved", {"id": wh.pk, "organization_id": wh.organization_id, "name": wh.name,
                                       "region_code": wh.region_code, "active": wh.active},
         organization=wh.organization_id, region_code=wh.region_code)


@transaction.atomic
def update_warehouse(actor: Actor, warehouse_id: int, **changes) -> Warehouse:
    actor.require("logistics.manage")
    wh = own_warehouses(actor).select_for_update().filter(pk=warehouse_id).first()
    if wh is None:
        _warehouse_for_update(actor, warehouse_id)  # raises the right refusal
        raise NotFound(_("Warehouse not found."))
    before = audit.snapshot(wh)
    if changes.get("name") is not None:
        if not changes["name"].strip():
            raise ServiceError(_("Give the warehouse a code and a name."), code="name_required")
        wh.name = changes["name"].strip()[:200]
    if changes.get("address") is not None:
        wh.address = changes["address"].strip()[:300]
    if changes.get("region_code") is not None:
        region = _region(changes["region_code"])
        actor.require_region(region.code)
        wh.region_code = region.code
    if "lat" in changes or "lon" in changes:
        lat, lon = changes.get("lat", wh.lat), changes.get("lon", wh.lon)
        _check_lat_lon(lat, lon)
        wh.lat, wh.lon = lat, lon
    if changes.get("active") is not None:
        wh.active = bool(changes["active"])
    wh.save()
    audit.updated(actor, wh, before)
    _warehouse_event(wh)
    return wh


@transaction.atomic
def set_minimum(actor: Actor, warehouse_id: int, item, quantity: int) -> MinimumLevel | None:
    """Set the minimum level of an item in a warehouse (0 removes it)."""
    wh = _warehouse_for_update(actor, warehouse_id)
    item = _get_item(item)
    _quantity(quantity, what=_("The minimum"), allow_zero=True)
    m = MinimumLevel.objects.select_for_update().filter(warehouse=wh, item=item).first()
    if quantity == 0:
        if m is not None:
            before = audit.snapshot(m)
            m.delete()
            audit.deleted(actor, m, before)
        return None
    if m is None:
        m = MinimumLevel.objects.create(warehouse=wh, item=item, quantity=quantity)
        audit.created(actor, m)
    else:
        before = audit.snapshot(m)
        m.quantity = quantity
        m.save()
        audit.updated(actor, m, before)
    _check_minimums(wh, [item.pk])
    m.refresh_from_db()
    return m


# --- movements ----------------------------------------------------------------------------------------


def _record(actor: Actor, lot: StockLot, wh: Warehouse, kind: str, change: int, after: int, *, reason: str = "",
            shipment=None, distribution=None, at=None) -> Movement:
    return Movement.objects.create(organization_id=wh.organization_id, region_code=wh.region_code, warehouse=wh,
                                   lot=lot, item_id=lot.item_id, kind=kind, quantity_change=change,
                                   quantity_after=after, reason=reason[:300], shipment=shipment,
                                   distribution=distribution, actor=_user(actor), at=at or timezone.now())


def _stock_event(wh: Warehouse, kind: str, changes: list[tuple[StockLot, int, int]]) -> None:
    emit("logistics.stock_changed", {"warehouse_id": wh.pk, "kind": kind, "lots": [
        {"lot_id": lot.pk, "item_id": lot.item_id, "item_code": lot.item.code, "change": change, "quantity": after}
        for lot, change, after in changes]}, organization=wh.organization_id, region_code=wh.region_code)


def _add_to_lot(actor: Actor, wh: Warehouse, item: Item, quantity: int, lot_number: str, expiry, kind: str,
                **record_kw) -> tuple[StockLot, int]:
    """Put stock into a lot (created when new); a known lot number must carry the same expiry."""
    lot_number = (lot_number or "").strip()[:60]
    lot = StockLot.objects.select_for_update().filter(warehouse=wh, item=item, lot_number=lot_number).first()
    if lot is None:
        try:
            with transaction.atomic():
                lot = StockLot.objects.create(warehouse=wh, item=item, lot_number=lot_number, expiry=expiry,
                                              quantity=0)
        except IntegrityError:  # created by a concurrent receipt a moment ago
            lot = StockLot.objects.select_for_update().get(warehouse=wh, item=item, lot_number=lot_number)
    if lot.expiry != expiry:
        raise ServiceError(_("Lot %(lot)s of %(item)s is already in stock with expiry %(expiry)s.")
                           % {"lot": lot_number or "-", "item": item.code, "expiry": lot.expiry or "-"},
                           code="lot_expiry_mismatch")
    StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + quantity, updated_at=timezone.now())
    lot.refresh_from_db(fields=["quantity"])
    _record(actor, lot, wh, kind, quantity, lot.quantity, **record_kw)
    return lot, lot.quantity


def _take_from_lot(actor: Actor, lot: StockLot, wh: Warehouse, quantity: int, kind: str, **record_kw) -> int:
    """Take stock from a lot the caller has locked; refuses (nothing changed) when the lot holds too little."""
    taken = StockLot.objects.filter(pk=lot.pk, quantity__gte=quantity).update(
        quantity=F("quantity") - quantity, updated_at=timezone.now())
    if not taken:
        lot.refresh_from_db(fields=["quantity"])
        raise Conflict(_("Not enough stock: lot %(lot)s of %(item)s holds %(have)s %(unit)s, %(want)s asked.")
                       % {"lot": lot.lot_number or "-", "item": lot.item.code, "have": lot.quantity,
                          "unit": lot.item.unit, "want": quantity},
                       code="insufficient_stock", details={"lot_id": lot.pk, "available": lot.quantity,
                                                           "requested": quantity})
    lot.refresh_from_db(fields=["quantity"])
    _record(actor, lot, wh, kind, -quantity, lot.quantity, **record_kw)
    return lot.quantity


def _pick(wh: Warehouse, lines: list[dict]) -> list[tuple[StockLot, int]]:
    """Lots to take each line from, locked in a fixed order: an explicit lot, or first-expiry-first-out.

    Every lot of every item named is locked before any is read, in primary-key order, so two concurrent
    shipments from the same lots queue instead of deadlocking, and both see the quantities the other left.
    """
    if not lines:
        raise ServiceError(_("Add at least one line."), code="no_lines")
    if len(lines) > MAX_LINES:
        raise ServiceError(_("At most %(n)s lines at once.") % {"n": MAX_LINES}, code="too_many_lines")
    parsed = []
    for line in lines:
        qty = _quantity(line.get("quantity"), what=_("The quantity"))
        if line.get("lot_id"):
            parsed.append(("lot", int(line["lot_id"]), qty))
        else:
            parsed.append(("item", _get_item(line.get("item_code") or line.get("item_id")).pk, qty))
    item_ids = {ref for kind, ref, _q in parsed if kind == "item"}
    lot_ids = {ref for kind, ref, _q in parsed if kind == "lot"}
    locked = {lot.pk: lot for lot in StockLot.objects.select_for_update().filter(
        Q(pk__in=lot_ids) | Q(item_id__in=item_ids), warehouse=wh).order_by("pk")}
    items = {i.pk: i for i in Item.objects.filter(pk__in={lot.item_id for lot in locked.values()})}
    for lot in locked.values():
        lot.item = items[lot.item_id]
    missing = [ref for kind, ref, _q in parsed if kind == "lot" and ref not in locked]
    if missing:
        raise ServiceError(_("Lot %(lot)s is not in this warehouse.") % {"lot": missing[0]}, code="unknown_lot")
    today = timezone.localdate()
    left = {pk: lot.quantity for pk, lot in locked.items()}
    picks: list[tuple[StockLot, int]] = []
    for kind, ref, qty in parsed:
        if kind == "lot":
            lot = locked[ref]
            if lot.expiry is not None and lot.expiry < today:
                raise Conflict(_("Lot %(lot)s of %(item)s expired on %(expiry)s.")
                               % {"lot": lot.lot_number or "-", "item": lot.item.code, "expiry": lot.expiry},
                               code="lot_expired")
            if left[lot.pk] < qty:
                raise Conflict(_("Not enough stock: lot %(lot)s of %(item)s holds %(have)s %(unit)s, %(want)s "
                                 "asked.") % {"lot": lot.lot_number or "-", "item": lot.item.code,
                                              "have": left[lot.pk], "unit": lot.item.unit, "want": qty},
                               code="insufficient_stock", details={"lot_id": lot.pk, "available": left[lot.pk],
                                                                   "requested": qty})
            left[lot.pk] -= qty
            picks.append((lot, qty))
            continue
        usable = sorted((lot for lot in locked.values() if lot.item_id == ref and left[lot.pk] > 0
                         and (lot.expiry is None or lot.expiry >= today)),
                        key=lambda lot: (lot.expiry is None, lot.expiry or today, lot.pk))
        have = sum(left[lot.pk] for lot in usable)
        if have < qty:
            item = Item.objects.get(pk=ref)
            raise Conflict(_("Not enough stock of %(item)s in %(wh)s: %(have)s %(unit)s usable, %(want)s asked.")
                           % {"item": item.code, "wh": wh.name, "have": have, "unit": item.unit, "want": qty},
                           code="insufficient_stock", details={"item_id": ref, "available": have,
                                                               "requested": qty})
        need = qty
        for lot in usable:
            take = min(need, left[lot.pk])
            left[lot.pk] -= take
            picks.append((lot, take))
            need -= take
            if need == 0:
                break
    return picks


@transaction.atomic
def receive_stock(actor: Actor, warehouse_id: int, *, item, quantity: int, lot_number: str = "",
                  expiry: dt.date | None = None, reason: str = "") -> StockLot:
    """A receipt: stock arrives in one of the actor's warehouses (a purchase, a donation)."""
    wh = _warehouse_for_update(actor, warehouse_id)
    item = _get_item(item)
    _quantity(quantity, what=_("The quantity"))
    lot, after = _add_to_lot(actor, wh, item, quantity, lot_number, expiry, Movement.Kind.RECEIPT,
                             reason=(reason or "").strip())
    lot.item = item
    audit.record(actor, AuditLog.Action.UPDATE, lot, {"quantity": [after - quantity, after],
                                                      "movement": [None, "receipt"]})
    _stock_event(wh, Movement.Kind.RECEIPT, [(lot, quantity, after)])
    _check_minimums(wh, [item.pk])
    return lot


@transaction.atomic
def adjust_stock(actor: Actor, lot_id: int, change: int, reason: str) -> StockLot:
    """Correct a lot after a count, damage or loss; a reason is required and the lot cannot go below zero."""
    actor.require("logistics.manage")
    lot = get_lot(actor, lot_id)
    wh = _warehouse_for_update(actor, lot.warehouse_id)
    if isinstance(change, bool) or not isinstance(change, int) or change == 0:
        raise ServiceError(_("An adjustment changes the quantity by a whole number other than zero."),
                           code="invalid_quantity")
    if not (reason or "").strip():
        raise ServiceError(_("Give the reason for the adjustment."), code="reason_required")
    lot = _locked(StockLot.objects).select_related("item").get(pk=lot.pk)
    before = lot.quantity
    if change > 0:
        StockLot.objects.filter(pk=lot.pk).update(quantity=F("quantity") + change, updated_at=timezone.now())
        lot.refresh_from_db(fields=["quantity"])
        _record(actor, lot, wh, Movement.Kind.ADJUSTMENT, change, lot.quantity, reason=reason.strip())
        after = lot.quantity
    else:
        after = _take_from_lot(actor, lot, wh, -change, Movement.Kind.ADJUSTMENT, reason=reason.strip())
    audit.record(actor, AuditLog.Action.UPDATE, lot, {"quantity": [before, after],
                                                      "reason": [None, reason.strip()[:300]]})
    _stock_event(wh, Movement.Kind.ADJUSTMENT, [(lot, change, after)])
    _check_minimums(wh, [lot.item_id])
    return lot


# --- requests -----------------------------------------------------------------------------------------


@transaction.atomic
def create_request(actor: Actor, *, region_code: str, lines: list[dict], event_id: int | None = None,
                   note: str = "") -> Request:
    """A request for items from the actor's organisation (for an event it leads or takes part in)."""
    actor.require("logistics.manage")
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to request items."), code="no_organization")
    ev = _event(actor, event_id)
    region = _region(region_code)
    actor.require_region(region.code)
    if not lines:
        raise ServiceError(_("Add at least one line."), code="no_lines")
    wanted: dict[int, tuple[Item, int]] = {}
    for line in lines[:MAX_LINES + 1]:
        item = _get_item(line.get("item_code") or line.get("item_id"))
        qty = _quantity(line.get("quantity"), what=_("The quantity"))
        if item.pk in wanted:
            raise ServiceError(_("Item %(code)s appears twice.") % {"code": item.code}, code="duplicate_line")
        wanted[item.pk] = (item, qty)
    req = Request.objects.create(organization=actor.organization, region_code=region.code, event=ev,
                                 note=(note or "").strip(), requested_by=_user(actor))
    RequestLine.objects.bulk_create([RequestLine(request=req, item=i, quantity=q) for i, q in wanted.values()])
    audit.created(actor, req)
    shared = sorted(event_org_ids(ev) - {actor.organization_id}) if ev else []
    emit("logistics.request_created", {"id": req.pk, "organization_id": req.organization_id, "event_id": event_id,
                                       "region_code": req.region_code,
                                       "lines": [{"item_id": i.pk, "item_code": i.code, "quantity": q}
                                                 for i, q in wanted.values()]},
         organization=req.organization_id, region_code=req.region_code, shared_with=shared)
    return req


def visible_requests(actor: Actor):
    """Requests of the actor's organisations, and requests for events the actor's organisation takes part in
    (so a province with stock sees what another asked for)."""
    actor.require("logistics.view")
    if actor.is_platform_admin:
        return Request.objects.all()
    from siaga.disaster import services as disaster_services

    own = actor.scope_queryset(Request.objects.all()).values("pk")
    events = disaster_services.visible_events(actor).values("pk")
    return Request.objects.filter(Q(pk__in=own) | Q(event__in=events))


def get_request(actor: Actor, request_id: int) -> Request:
    req = visible_requests(actor).filter(pk=request_id).first()
    if req is None:
        raise NotFound(_("Request not found."))
    return req


# --- shipments ----------------------------------------------------------------------------------------


def _shipment_event(sh: Shipment) -> None:
    lines = [{"item_code": ln.item.code, "quantity": int(ln.quantity),
              "received_quantity": None if ln.received_quantity is None else int(ln.received_quantity)}
             for ln in sh.lines.select_related("item")]
    shared = []
    if sh.event_id:
        shared = sorted(event_org_ids(sh.event) - {sh.organization_id})
    if sh.request_id and sh.request.organization_id != sh.organization_id:
        shared = sorted(set(shared) | {sh.request.organization_id})
    emit("logistics.shipment_updated", {"id": sh.pk, "status": sh.status, "from_warehouse_id": sh.from_warehouse_id,
                                        "to_warehouse_id": sh.to_warehouse_id, "event_id": sh.event_id,
                                        "request_id": sh.request_id, "has_discrepancy": sh.has_discrepancy,
                                        "lines": lines},
         organization=sh.organization_id, region_code=sh.region_code, shared_with=shared)


@transaction.atomic
def send_shipment(actor: Actor, warehouse_id: int, *, lines: list[dict], to_warehouse_id: int | None = None,
                  destination_region_code: str = "", destination: str = "", event_id: int | None = None,
                  request_id: int | None = None, note: str = "") -> Shipment:
    """Send items from one of the actor's warehouses. Lines: {"lot_id", "quantity"} for a chosen lot, or
    {"item_code", "quantity"} to take first-expiry-first-out. Stock leaves the source lots now."""
    wh = _warehouse_for_update(actor, warehouse_id)
    ev = _event(actor, event_id)
    req = get_request(actor, request_id) if request_id else None
    to_wh = None
    if to_warehouse_id is not None:
        to_wh = own_warehouses(actor).filter(pk=to_warehouse_id, active=True).first()
        if to_wh is None:
            raise PermissionDenied(_("Ship into your own warehouses only; stock for another organisation goes "
                                     "through mutual aid or to a destination area."), code="not_own_stock")
        if to_wh.pk == wh.pk:
            raise ServiceError(_("A shipment goes to another warehouse."), code="same_warehouse")
    dest_code = (destination_region_code or "").strip() or (to_wh.region_code if to_wh else "")
    if not dest_code and req is not None:
        dest_code = req.region_code
    if not dest_code:
        raise ServiceError(_("Say where the shipment goes: a warehouse or a destination region."),
                           code="destination_required")
    _region(dest_code)
    picks = _pick(wh, lines)
    now = timezone.now()
    sh = Shipment.objects.create(organization_id=wh.organization_id, region_code=wh.region_code, from_warehouse=wh,
                                 to_warehouse=to_wh, destination_region_code=dest_code,
                                 destination=(destination or "").strip()[:300], event=ev, request=req,
                                 note=(note or "").strip(), sent_at=now, sent_by=_user(actor))
    changes = []
    for lot, qty in picks:
        after = _take_from_lot(actor, lot, wh, qty, Movement.Kind.SHIPMENT_OUT, shipment=sh, at=now)
        ShipmentLine.objects.create(shipment=sh, lot=lot, item_id=lot.item_id, lot_number=lot.lot_number,
                                    expiry=lot.expiry, quantity=qty)
        changes.append((lot, -qty, after))
    if req is not None:
        _count_shipped(req, picks)
    audit.created(actor, sh)
    _stock_event(wh, Movement.Kind.SHIPMENT_OUT, changes)
    _shipment_event(sh)
    _check_minimums(wh, {lot.item_id for lot, _q in picks})
    return sh


def _count_shipped(req: Request, picks) -> None:
    req = Request.objects.select_for_update().get(pk=req.pk)
    if req.status == Request.Status.CANCELLED:
        raise Conflict(_("The request was cancelled."), code="request_cancelled")
    shipped: dict[int, int] = {}
    for lot, qty in picks:
        shipped[lot.item_id] = shipped.get(lot.item_id, 0) + qty
    lines = list(req.lines.all())
    for ln in lines:
        if ln.item_id in shipped:
            ln.quantity_shipped += shipped[ln.item_id]
            ln.save(update_fields=["quantity_shipped"])
    done = all(ln.quantity_shipped >= ln.quantity for ln in lines)
    req.status = Request.Status.FULFILLED if done else Request.Status.PARTIAL
    req.save(update_fields=["status", "updated_at"])


def visible_shipments(actor: Actor):
    """Shipments from the actor's warehouses or into them, and (read-only) those for events it shares."""
    actor.require("logistics.view")
    if actor.is_platform_admin:
        return Shipment.objects.all()
    from siaga.disaster import services as disaster_services

    own = own_warehouses(actor).values("pk")
    events = disaster_services.visible_events(actor).values("pk")
    return Shipment.objects.filter(Q(from_warehouse__in=own) | Q(to_warehouse__in=own) | Q(event__in=events)
                                   | Q(request__organization__in=actor.org_ids))


def get_shipment(actor: Actor, shipment_id: int) -> Shipment:
    sh = visible_shipments(actor).filter(pk=shipment_id).select_related("from_warehouse", "to_warehouse").first()
    if sh is None:
        raise NotFound(_("Shipment not found."))
    return sh


def _shipment_for_update(actor: Actor, shipment_id: int, *, receiving: bool) -> Shipment:
    actor.require("logistics.manage")
    sh = get_shipment(actor, shipment_id)
    # The receiving side confirms what arrived: the destination warehouse's organisation, or the sender
    # when it went to an area (a post, an evacuation site) with no warehouse of ours.
    wh_id = sh.to_warehouse_id if (receiving and sh.to_warehouse_id) else sh.from_warehouse_id
    if not own_warehouses(actor).filter(pk=wh_id).exists():
        raise PermissionDenied(_("This shipment belongs to another organisation."), code="not_own_stock")
    return _locked(Shipment.objects).select_related("from_warehouse", "to_warehouse", "event", "request").get(pk=sh.pk)


@transaction.atomic
def mark_in_transit(actor: Actor, shipment_id: int) -> Shipment:
    sh = _shipment_for_update(actor, shipment_id, receiving=False)
    if sh.status != Shipment.Status.SENT:
        raise Conflict(_("Only a sent shipment can go in transit (it is %(status)s).")
                       % {"status": sh.get_status_display()}, code="invalid_transition")
    before = audit.snapshot(sh)
    sh.status, sh.in_transit_at = Shipment.Status.IN_TRANSIT, timezone.now()
    sh.save()
    audit.updated(actor, sh, before)
    _shipment_event(sh)
    return sh


@transaction.atomic
def receive_shipment(actor: Actor, shipment_id: int, *, received: dict[int, int] | None = None,
                     notes: dict[int, str] | None = None) -> Shipment:
    """Confirm what arrived, line by line (default: everything sent). Less than sent is a discrepancy and needs a
    note; more than sent is refused. Received goods enter the destination warehouse's lots."""
    sh = _shipment_for_update(actor, shipment_id, receiving=True)
    if sh.status == Shipment.Status.RECEIVED:
        raise Conflict(_("The shipment was already received."), code="already_received")
    received = {int(k): v for k, v in (received or {}).items()}
    notes = {int(k): (v or "").strip() for k, v in (notes or {}).items()}
    lines = list(sh.lines.select_related("item"))
    unknown = set(received) - {ln.pk for ln in lines}
    if unknown:
        raise ServiceError(_("Line %(line)s is not part of this shipment.") % {"line": min(unknown)},
                           code="unknown_line")
    now = timezone.now()
    changes = []
    for ln in lines:
        got = received.get(ln.pk, ln.quantity)
        _quantity(got, what=_("The quantity received"), allow_zero=True)
        if got > ln.quantity:
            raise ServiceError(_("More received (%(got)s) than sent (%(sent)s) for %(item)s: record the extra as a "
                                 "receipt.") % {"got": got, "sent": ln.quantity, "item": ln.item.code},
                               code="received_exceeds_sent")
        if got < ln.quantity and not notes.get(ln.pk):
            raise ServiceError(_("%(item)s: %(missing)s %(unit)s missing. Say what happened to them.")
                               % {"item": ln.item.code, "missing": ln.quantity - got, "unit": ln.item.unit},
                               code="discrepancy_note_required", details={"line_id": ln.pk})
        ln.received_quantity = got
        ln.discrepancy_note = notes.get(ln.pk, "")[:300] if got < ln.quantity else ""
        ln.save(update_fields=["received_quantity", "discrepancy_note"])
        if sh.to_warehouse_id and got:
            lot, after = _add_to_lot(actor, sh.to_warehouse, ln.item, got, ln.lot_number, ln.expiry,
                                     Movement.Kind.SHIPMENT_IN, shipment=sh, at=now)
            lot.item = ln.item
            changes.append((lot, got, after))
    before = audit.snapshot(sh)
    sh.status, sh.received_at, sh.received_by = Shipment.Status.RECEIVED, now, _user(actor)
    sh.has_discrepancy = any(ln.received_quantity < ln.quantity for ln in lines)
    sh.save()
    audit.updated(actor, sh, before)
    if changes:
        _stock_event(sh.to_warehouse, Movement.Kind.SHIPMENT_IN, changes)
        _check_minimums(sh.to_warehouse, {ln.item_id for ln in lines})
    _shipment_event(sh)
    return sh


# --- distributions ------------------------------------------------------------------------------------


@transaction.atomic
def distribute(actor: Actor, warehouse_id: int, *, region_code: str, households: int, people: int,
               lines: list[dict], event_id: int | None = None, distributed_at: dt.datetime | None = None,
               note: str = "") -> Distribution:
    """Items handed to beneficiaries in one kelurahan, taken from one of the actor's warehouses."""
    wh = _warehouse_for_update(actor, warehouse_id)
    ev = _event(actor, event_id)
    region = _region(region_code, level=4)
    for value, what in ((households, _("Households")), (people, _("People"))):
        _quantity(value, what=what)
    if households > people:
        raise ServiceError(_("Households (%(h)s) cannot outnumber people (%(p)s).") % {"h": households, "p": people},
                           code="households_exceed_people")
    at = _aware(distributed_at)
    picks = _pick(wh, lines)
    d = Distribution.objects.create(organization_id=wh.organization_id, warehouse=wh, region_code=region.code,
                                    event=ev, households=households, people=people, distributed_at=at,
                                    note=(note or "").strip(), recorded_by=_user(actor))
    changes = []
    for lot, qty in picks:
        after = _take_from_lot(actor, lot, wh, qty, Movement.Kind.DISTRIBUTION, distribution=d, at=at)
        DistributionLine.objects.create(distribution=d, lot=lot, item_id=lot.item_id, quantity=qty)
        changes.append((lot, -qty, after))
    audit.created(actor, d)
    _stock_event(wh, Movement.Kind.DISTRIBUTION, changes)
    shared = sorted(event_org_ids(ev) - {wh.organization_id}) if ev else []
    totals: dict[str, int] = {}
    for lot, qty in picks:
        totals[lot.item.code] = totals.get(lot.item.code, 0) + qty
    emit("logistics.distributed", {"id": d.pk, "warehouse_id": wh.pk, "region_code": d.region_code,
                                   "event_id": d.event_id, "households": households, "people": people,
                                   "lines": [{"item_code": c, "quantity": q} for c, q in totals.items()]},
         organization=wh.organization_id, region_code=d.region_code, shared_with=shared)
    _check_minimums(wh, {lot.item_id for lot, _q in picks})
    return d


def visible_distributions(actor: Actor):
    actor.require("logistics.view")
    if actor.is_platform_admin:
        return Distribution.objects.all()
    from siaga.disaster import services as disaster_services

    events = disaster_services.visible_events(actor).values("pk")
    return Distribution.objects.filter(Q(warehouse__in=own_warehouses(actor).values("pk")) | Q(event__in=events))


def get_distribution(actor: Actor, distribution_id: int) -> Distribution:
    d = visible_distributions(actor).filter(pk=distribution_id).select_related("warehouse").first()
    if d is None:
        raise NotFound(_("Distribution not found."))
    return d


# --- needs against stock ------------------------------------------------------------------------------


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _weighted_centre(points: list[tuple[float, float, int]]):
    total = sum(w for _la, _lo, w in points)
    if not points:
        return None
    if total <= 0:
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    return (sum(la * w for la, _lo, w in points) / total, sum(lo * w for _la, lo, w in points) / total)


def _destination(ev, needs: dict):
    """Where relief goes: the centre of the reported kelurahan weighted by affected people; else the centre of
    the event's affected regions; else the event's region."""
    areas = {a["region_code"]: a["affected"] for a in needs["areas"]}
    regions = Region.objects.filter(code__in=list(areas), lat__isnull=False, lng__isnull=False)
    centre = _weighted_centre([(r.lat, r.lng, areas[r.code]) for r in regions])
    if centre:
        return centre, "needs_reports"
    codes = list(ev.affected_region_codes or []) or ([ev.region_code] if ev.region_code else [])
    regions = Region.objects.filter(code__in=codes, lat__isnull=False, lng__isnull=False)
    centre = _weighted_centre([(r.lat, r.lng, 1) for r in regions])
    return (centre, "affected_regions") if centre else (None, "")


def _warehouse_point(wh: Warehouse, region_points: dict):
    if wh.lat is not None and wh.lon is not None:
        return wh.lat, wh.lon
    return region_points.get(wh.region_code)


def needs_vs_stock(actor: Actor, event_id: int, profile: str = "bnpb", days: int = 7) -> dict:
    """The event's needs estimate set against usable stock in the warehouses of every organisation taking part,
    with what to send from where: nearest warehouse first (straight-line distance to the affected area),
    split over several warehouses when one is not enough, and the shortfall that no warehouse covers."""
    from siaga.disaster import services as disaster_services

    actor.require("logistics.view")
    ev = disaster_services.get_event(actor, event_id)
    needs = disaster_services.needs_for_event(actor, event_id, profile, days)
    centre, basis = _destination(ev, needs)
    org_ids = event_org_ids(ev)
    keys = [line.item for line in needs["total"]]
    mapping: dict[str, list[NeedsItem]] = {}
    for m in NeedsItem.objects.filter(needs_item__in=keys, item__active=True).select_related("item"):
        mapping.setdefault(m.needs_item, []).append(m)
    item_ids = {m.item_id for ms in mapping.values() for m in ms}
    warehouses = {w.pk: w for w in Warehouse.objects.filter(organization__in=org_ids, active=True)
                  .select_related("organization")}
    today = timezone.localdate()
    pool = {(r["warehouse_id"], r["item_id"]): int(r["q"]) for r in
            StockLot.objects.filter(warehouse_id__in=list(warehouses), item_id__in=item_ids, quantity__gt=0)
            .filter(Q(expiry__isnull=True) | Q(expiry__gte=today))
            .values("warehouse_id", "item_id").annotate(q=Sum("quantity"))}
    region_points = {r.code: (r.lat, r.lng) for r in Region.objects.filter(
        code__in={w.region_code for w in warehouses.values() if w.lat is None}, lat__isnull=False)}
    distance = {}
    for wid, wh in warehouses.items():
        point = _warehouse_point(wh, region_points)
        distance[wid] = round(haversine_km(centre[0], centre[1], *point), 1) if centre and point else None
    lines = []
    for need in needs["total"]:
        maps = mapping.get(need.item, [])
        candidates = sorted(((wid, m) for m in maps for (wid, iid) in pool if iid == m.item_id),
                            key=lambda c: (distance[c[0]] is None, distance[c[0]] or 0.0,
                                           warehouses[c[0]].name, c[0], c[1].item.code))
        available = sum(pool[(wid, m.item_id)] * m.units_per_item for wid, m in candidates)
        remaining = need.quantity
        suggestions = []
        for wid, m in candidates:
            if remaining <= 0:
                break
            have = pool[(wid, m.item_id)]
            if have <= 0:
                continue
            take = min(have, math.ceil(remaining / m.units_per_item))
            pool[(wid, m.item_id)] -= take
            covers = min(take * m.units_per_item, remaining)
            remaining -= covers
            wh = warehouses[wid]
            suggestions.append({"warehouse_id": wid, "warehouse_name": wh.name, "organization_id": wh.organization_id,
                                "organization_name": wh.organization.name, "region_code": wh.region_code,
                                "own": actor.is_platform_admin or wh.organization_id in actor.org_ids,
                                "item_id": m.item_id, "item_code": m.item.code, "item_name": m.item.name,
                                "item_unit": m.item.unit, "quantity": take, "covers": covers,
                                "distance_km": distance[wid]})
        lines.append({"item": need.item, "label": need.label, "unit": need.unit, "needed": need.quantity,
                      "available": available, "mapped": bool(maps), "suggestions": suggestions,
                      "shortfall": max(remaining, 0)})
    return {"event_id": ev.pk, "event_name": ev.name, "profile": needs["profile"],
            "profile_label": needs["profile_label"], "days": needs["days"], "displaced": needs["displaced"],
            "affected": needs["affected"],
            "destination": {"lat": centre[0], "lon": centre[1], "basis": basis} if centre else None,
            "organization_ids": sorted(org_ids & {w.organization_id for w in warehouses.values()}),
            "lines": lines}
