"""Relief sent for an event, read from the records: logistics shipments and distributions, and mutual-aid grants.

The situation report's "relief sent" figures come from here, per item, each with the records it adds up, so any
figure can be traced back to a shipment, a distribution or a mutual-aid request.

- shipped: the quantity on shipment lines of shipments for the event sent to an area (a post, an evacuation
  site) by the period end. A shipment between two warehouses is a stock move, not relief that reached the
  area: it is left out (the forward warehouse's later shipment or distribution counts). A shipment sent after
  the period end does not count in that report; "received" gives what arrived where the receipt is recorded.
- distributed: the quantity on distribution lines (handed to households) for the event by the period end.
- total: shipped + distributed. The two are separate movements out of warehouses, so nothing is counted twice.
- mutual_aid: items lent under mutual-aid requests for the event, accepted by the period end and not cancelled
  by then (declined requests were never accepted). This is the agreement between organisations, shown beside
  the movements and NOT added to the total: the lender's shipment of those items is already counted above.

Each figure also gives the part that falls in the report's own period ("in_period": after its start).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q


def _in(at: dt.datetime | None, start: dt.datetime) -> bool:
    return at is not None and at > start


def _entry(items: dict, code: str, name: str = "", unit: str = "") -> dict:
    entry = items.get(code)
    if entry is None:
        entry = items[code] = {
            "item_code": code, "name": name or code, "unit": unit,
            "shipped": {"quantity": 0, "in_period": 0, "received": 0, "sources": []},
            "distributed": {"quantity": 0, "in_period": 0, "people": 0, "sources": []},
            "mutual_aid": {"quantity": 0, "in_period": 0, "sources": []},
            "total": 0, "total_in_period": 0,
        }
    elif name and entry["name"] == code:
        entry["name"], entry["unit"] = name, unit
    return entry


def relief_sent(ev, period_start: dt.datetime, period_end: dt.datetime) -> dict:
    """{"lines": [...], "rule": ...} for the event up to period_end (see the module docstring)."""
    from siaga.disaster.logistics.models import DistributionLine, Item, ShipmentLine
    from siaga.disaster.mutualaid.models import LineKind, MutualAidResource

    items: dict[str, dict] = {}
    for ln in (ShipmentLine.objects.filter(shipment__event=ev, shipment__to_warehouse__isnull=True,
                                           shipment__sent_at__lte=period_end)
               .select_related("item", "shipment", "shipment__organization").order_by("shipment_id", "id")):
        sh = ln.shipment
        e = _entry(items, ln.item.code, ln.item.name, ln.item.unit)["shipped"]
        e["quantity"] += ln.quantity
        e["in_period"] += ln.quantity if _in(sh.sent_at, period_start) else 0
        received = ln.received_quantity if sh.received_at is not None and sh.received_at <= period_end else None
        e["received"] += received or 0
        e["sources"].append({"kind": "shipment", "id": sh.pk, "line_id": ln.pk, "quantity": ln.quantity,
                             "received_quantity": received, "status": sh.status,
                             "organization": sh.organization.name, "organization_id": sh.organization_id,
                             "destination": sh.destination, "region_code": sh.destination_region_code,
                             "at": sh.sent_at.isoformat()})
    for ln in (DistributionLine.objects.filter(distribution__event=ev, distribution__distributed_at__lte=period_end)
               .select_related("item", "distribution", "distribution__organization")
               .order_by("distribution_id", "id")):
        d = ln.distribution
        e = _entry(items, ln.item.code, ln.item.name, ln.item.unit)["distributed"]
        e["quantity"] += ln.quantity
        e["in_period"] += ln.quantity if _in(d.distributed_at, period_start) else 0
        e["sources"].append({"kind": "distribution", "id": d.pk, "line_id": ln.pk, "quantity": ln.quantity,
                             "households": d.households, "people": d.people,
                             "organization": d.organization.name, "organization_id": d.organization_id,
                             "region_code": d.region_code, "at": d.distributed_at.isoformat()})
    granted = (Q(request__event=ev, request__accepted_at__isnull=False, request__accepted_at__lte=period_end)
               & (Q(request__cancelled_at__isnull=True) | Q(request__cancelled_at__gt=period_end)))
    lent = list(MutualAidResource.objects.filter(granted, kind=LineKind.ITEMS)
                .select_related("request", "request__organization", "request__lender").order_by("request_id", "id"))
    known = {i.code: i for i in Item.objects.filter(code__in={x.item_code for x in lent if x.item_code})}
    for x in lent:
        r = x.request
        code = x.item_code or x.description or "items"
        item = known.get(x.item_code)
        e = _entry(items, code, item.name if item else "", item.unit if item else "")["mutual_aid"]
        e["quantity"] += x.quantity
        e["in_period"] += x.quantity if _in(r.accepted_at, period_start) else 0
        e["sources"].append({"kind": "mutual_aid", "id": r.pk, "resource_id": x.pk, "quantity": x.quantity,
                             "consumed_quantity": x.consumed_quantity, "state": r.state,
                             "lender": r.lender.name, "lender_id": r.lender_id,
                             "borrower": r.organization.name, "borrower_id": r.organization_id,
                             "at": r.accepted_at.isoformat()})
    for entry in items.values():
        entry["total"] = entry["shipped"]["quantity"] + entry["distributed"]["quantity"]
        entry["total_in_period"] = entry["shipped"]["in_period"] + entry["distributed"]["in_period"]
        entry["distributed"]["people"] = sum(s["people"] for s in entry["distributed"]["sources"])
    ordered = sorted(items.values(), key=lambda e: (e["name"].lower(), e["item_code"]))
    return {"lines": ordered,
            "rule": "shipped_to_area_plus_distributed; mutual_aid_shown_not_added"}
