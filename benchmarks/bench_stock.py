"""Benchmark: relief stock across 3 provinces (DKI Jakarta, Jawa Barat, Banten) with 100,000 stock lots: totals by
province and item, and an event's needs against stock with what to send from where; each against loading the same
lots into Python and summing them there, from the same run.

Synthetic data (bulk-created): per province a PMI province organisation with branches below it, one warehouse per
branch with coordinates; the catalogue holds our own needs items (rice, water, toilets, family kits, soap) and
synthetic catalogue items; lots get random quantities and expiries (a few per cent already expired). One flood event
is led by DKI Jakarta with Jawa Barat and Banten taking part; 30 kelurahan report displaced and affected people.

Figures (median of --repeat runs, an actor of PMI DKI Jakarta seeing the shared event):
- totals: services.stock_totals(actor, event_id=...) (one grouped query over every participant's unexpired lots);
  baseline: every one of those lots loaded into Python (warehouse region, item, quantity, expiry) and summed there.
- needs vs stock: services.needs_vs_stock(actor, event_id) (needs estimate, one grouped stock query, nearest-first
  split); baseline: the same allocation computed after loading every lot of the mapped items into Python.
Both pairs are checked to give identical answers.

    .venv/bin/python benchmarks/bench_stock.py                    # SQLite, a fresh temporary database
    .venv/bin/python benchmarks/bench_stock.py --postgres         # PostgreSQL (SIAGA_BENCH_PG admin URL)
    .venv/bin/python benchmarks/bench_stock.py --lots 20000       # a quicker run
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support  # noqa: E402
from _support import fresh_database, load, machine_line, percentile  # noqa: E402

PROVINCES = [("31", "DKI Jakarta", -6.2, 106.83), ("32", "Jawa Barat", -6.9, 107.6), ("36", "Banten", -6.12, 106.15)]


def _child(args) -> dict:
    import datetime as dt
    import math
    import random

    import django

    django.setup()
    from django.db import connection, transaction
    from django.db.models import Q
    from django.utils import timezone

    from siaga.core.models import Membership, Organization, User
    from siaga.core.permissions import actor_for
    from siaga.disaster.logistics import services
    from siaga.disaster.logistics.models import Item, NeedsItem, StockLot, Warehouse
    from siaga.disaster.models import DisasterEvent, NeedsReport
    from siaga.geo.models import Region

    rnd = random.Random(7)
    a = time.perf_counter()
    today = timezone.localdate()
    with transaction.atomic():
        items = list(Item.objects.filter(code__startswith="SIAGA-"))
        items += Item.objects.bulk_create([Item(code=f"BENCH-{n:04d}", name=f"Barang {n}", unit="piece",
                                                catalog="BENCH") for n in range(args.items)])
        orgs, warehouses, regions = {}, [], []
        for code, name, lat, lon in PROVINCES:
            regions.append(Region(code=code, name=name, level=1))
            prov = Organization.objects.create(code=f"pmi-{code}", name=f"PMI {name}", kind="pmi_province",
                                               region_code=code)
            orgs[code] = prov
            for b in range(args.branches):
                kab = f"{code}.{b + 1:02d}"
                regions.append(Region(code=kab, name=f"Kab {kab}", level=2, parent_id=code))
                branch = Organization.objects.create(code=f"pmi-{kab}", name=f"PMI {kab}", kind="pmi_branch",
                                                     region_code=kab, parent=prov)
                warehouses.append(Warehouse(organization=branch, region_code=kab, code="gudang", name=f"Gudang {kab}",
                                            lat=lat + rnd.uniform(-0.4, 0.4), lon=lon + rnd.uniform(-0.4, 0.4)))
        kel = []
        for n in range(30):
            code = f"31.01.01.{1001 + n}"
            kel.append(code)
            regions.append(Region(code=code, name=f"Kel {n}", level=4, parent_id="31.01",
                                  lat=-6.2 + rnd.uniform(-0.05, 0.05), lng=106.83 + rnd.uniform(-0.05, 0.05)))
        Region.objects.bulk_create(regions, ignore_conflicts=True)
        warehouses = Warehouse.objects.bulk_create(warehouses)
        own = [i for i in items if i.code.startswith("SIAGA-")]
        lots, seq = [], 0
        for n in range(args.lots):
            seq += 1
            # A fifth of the lots are our own needs items, so the needs query has real work to do.
            item = rnd.choice(own) if rnd.random() < 0.2 else rnd.choice(items)
            expiry = None if rnd.random() < 0.3 else today + dt.timedelta(days=rnd.randint(-30, 720))
            lots.append(StockLot(warehouse=rnd.choice(warehouses), item=item, lot_number=f"L{seq}", expiry=expiry,
                                 quantity=rnd.randint(0, 500)))
        StockLot.objects.bulk_create(lots, batch_size=5000)
        ev = DisasterEvent.objects.create(organization=orgs["31"], region_code="31", name="Banjir bench",
                                          type_id="banjir", started_at=timezone.now(), affected_region_codes=kel)
        ev.participants.add(orgs["32"], orgs["36"])
        NeedsReport.objects.bulk_create([
            NeedsReport(event=ev, organization=orgs["31"], region_code=code, displaced=d,
                        affected=d + rnd.randint(0, 3000), source="pmi", reported_at=timezone.now())
            for code, d in ((c, rnd.randint(100, 3000)) for c in kel)])
        user = User.objects.create_user(username="bench-manager", password=None)
        Membership.objects.create(user=user, organization=orgs["31"], role="disaster_manager", scope_code="31")
    setup_s = time.perf_counter() - a
    actor = actor_for(user)

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return (time.perf_counter() - t) * 1000, out

    # --- totals by province and item ------------------------------------------------------------------
    def baseline_totals():
        org_ids = services.event_org_ids(DisasterEvent.objects.get(pk=ev.pk))
        sums: dict[tuple[str, int], int] = {}
        names = {}
        for region, item_id, code, name, unit, qty, expiry in StockLot.objects.filter(
                warehouse__organization__in=org_ids).values_list(
                "warehouse__region_code", "item_id", "item__code", "item__name", "item__unit", "quantity", "expiry"):
            if qty > 0 and (expiry is None or expiry >= today):
                key = (region[:2], item_id)
                sums[key] = sums.get(key, 0) + qty
                names[item_id] = (code, name, unit)
        rows = [{"province_code": p, "item_id": i, "item_code": names[i][0], "item_name": names[i][1],
                 "unit": names[i][2], "quantity": q} for (p, i), q in sums.items()]
        return sorted(rows, key=lambda r: (r["province_code"], r["item_name"], r["item_id"]))

    totals_ms, base_totals_ms = [], []
    for _ in range(args.repeat):
        ms, ours = timed(lambda: services.stock_totals(actor, event_id=ev.pk))
        totals_ms.append(ms)
        ms, theirs = timed(baseline_totals)
        base_totals_ms.append(ms)
    totals_same = ours == theirs

    # --- needs against stock --------------------------------------------------------------------------
    def baseline_needs():
        from siaga.disaster import services as disaster_services

        event = disaster_services.get_event(actor, ev.pk)
        needs = disaster_services.needs_for_event(actor, ev.pk, "bnpb", 7)
        centre, _basis = services._destination(event, needs)
        org_ids = services.event_org_ids(event)
        maps = {}
        for m in NeedsItem.objects.filter(needs_item__in=[n.item for n in needs["total"]]).select_related("item"):
            maps.setdefault(m.needs_item, []).append(m)
        pool: dict[tuple[int, int], int] = {}
        whs = {}
        for lot in StockLot.objects.filter(warehouse__organization__in=org_ids, warehouse__active=True,
                                           item__in=[m.item_id for ms in maps.values() for m in ms]) \
                .select_related("warehouse__organization", "item"):
            if lot.quantity > 0 and (lot.expiry is None or lot.expiry >= today):
                pool[(lot.warehouse_id, lot.item_id)] = pool.get((lot.warehouse_id, lot.item_id), 0) + lot.quantity
                whs[lot.warehouse_id] = lot.warehouse
        dist = {w: round(services.haversine_km(centre[0], centre[1], wh.lat, wh.lon), 1) for w, wh in whs.items()}
        out = {}
        for need in needs["total"]:
            cands = sorted(((w, m) for m in maps.get(need.item, []) for (w, i) in pool if i == m.item_id),
                           key=lambda c: (dist[c[0]], whs[c[0]].name, c[0], c[1].item.code))
            remaining, plan = need.quantity, []
            for w, m in cands:
                if remaining <= 0:
                    break
                take = min(pool[(w, m.item_id)], math.ceil(remaining / m.units_per_item))
                pool[(w, m.item_id)] -= take
                remaining -= min(take * m.units_per_item, remaining)
                plan.append((w, m.item_id, take))
            out[need.item] = (plan, max(remaining, 0))
        return out

    def ours_needs():
        r = services.needs_vs_stock(actor, ev.pk, "bnpb", 7)
        return {line["item"]: ([(s["warehouse_id"], s["item_id"], s["quantity"]) for s in line["suggestions"]],
                               line["shortfall"]) for line in r["lines"]}

    needs_ms, base_needs_ms = [], []
    for _ in range(args.repeat):
        ms, ours_n = timed(ours_needs)
        needs_ms.append(ms)
        ms, theirs_n = timed(baseline_needs)
        base_needs_ms.append(ms)
    visible = StockLot.objects.filter(warehouse__organization__in=services.event_org_ids(ev)).count()
    return {
        "vendor": connection.vendor, "setup_s": round(setup_s, 1), "lots": StockLot.objects.count(),
        "visible_lots": visible, "warehouses": len(warehouses), "items": len(items),
        "total_rows": len(ours), "totals_same": totals_same, "needs_same": ours_n == theirs_n,
        "suggestions": sum(len(p) for p, _s in ours_n.values()),
        "totals_ms": round(percentile(totals_ms, 50), 2), "totals_p95": round(percentile(totals_ms, 95), 2),
        "base_totals_ms": round(percentile(base_totals_ms, 50), 2),
        "needs_ms": round(percentile(needs_ms, 50), 2), "needs_p95": round(percentile(needs_ms, 95), 2),
        "base_needs_ms": round(percentile(base_needs_ms, 50), 2),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lots", type=int, default=100_000)
    p.add_argument("--items", type=int, default=300, help="synthetic catalogue items besides our own")
    p.add_argument("--branches", type=int, default=12, help="branches (each with a warehouse) per province")
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(args)))
        return 0
    print(machine_line())
    with fresh_database("postgres" if args.postgres else "sqlite") as (env, _target):
        cmd = [sys.executable, __file__, "--child", "--lots", str(args.lots), "--items", str(args.items),
               "--branches", str(args.branches), "--repeat", str(args.repeat)]
        a = time.perf_counter()
        out = subprocess.run(cmd, env=env, cwd=_support.REPO, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stdout[-3000:], out.stderr[-5000:])
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['vendor']}: {r['lots']:,} lots ({r['visible_lots']:,} visible through the shared event) in "
              f"{r['warehouses']} warehouses of 3 provinces, {r['items']} items; set up in {r['setup_s']} s; "
              f"whole run {time.perf_counter() - a:.0f} s; {load()}")
        print(f"totals by province and item ({r['total_rows']} rows): median {r['totals_ms']} ms "
              f"(p95 {r['totals_p95']}); baseline load-and-sum in Python: {r['base_totals_ms']} ms; "
              f"ratio {r['base_totals_ms'] / max(r['totals_ms'], 1e-9):.1f}x faster; same answer: {r['totals_same']}")
        print(f"needs vs stock ({r['suggestions']} suggestions): median {r['needs_ms']} ms (p95 {r['needs_p95']}); "
              f"baseline load-and-allocate in Python: {r['base_needs_ms']} ms; "
              f"ratio {r['base_needs_ms'] / max(r['needs_ms'], 1e-9):.1f}x faster; same answer: {r['needs_same']}")
    return 0 if r["totals_same"] and r["needs_same"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
