"""Benchmark: blood availability and FEFO allocation over 50 sites and 1 million units of history, and issue
throughput under 8 concurrent requesters; each against a plain query (or one requester) from the same run.

Synthetic data (bulk-created): 5 UDDs and 45 hospital blood banks; donors with the Indonesian ABO distribution
(O 38.5 %, B 29.4 %, A 24.1 %, AB 8.0 %; RhD negative 0.5 %, from a study of 245,307 Yogyakarta donors); one
donation makes a PRC, a TC and an FFP unit; most units are history (transfused, discarded, expired) and a few
per cent are on the shelves now, expiring over the coming 35 days; 8 weeks of daily usage per site and group.

Figures:
- availability: services.stock_rows() for all 50 sites (available / reserved / quarantined / expiring counts per
  site x component x group, one grouped query); baseline: a plain COUNT(*) of the available units of the same sites.
- FEFO allocation: services_issue.candidates() first pick for a PRC request (order of preference walked group by
  group, soonest expiry first) at a random site and group; baseline: a plain query for the soonest-expiring unit
  of the identical group only.
- issue throughput: services_issue.issue_request() of 1-unit requests by 8 threads (each its own connection)
  against 1 thread; every issue is a full transaction (conditional update, history, audit, usage, events).

    .venv/bin/python benchmarks/bench_blood.py                       # SQLite, a fresh temporary database
    .venv/bin/python benchmarks/bench_blood.py --postgres            # PostgreSQL (SIAGA_BENCH_PG admin URL)
    .venv/bin/python benchmarks/bench_blood.py --units 200000        # a quicker run
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

ABO_SHARE = [("O", 0.385), ("B", 0.294), ("A", 0.241), ("AB", 0.080)]
RHD_NEG_SHARE = 0.005


def _child(args) -> dict:
    """Runs inside a child process with Django set up on the fresh database."""
    import datetime as dt
    import random
    import threading

    import django

    django.setup()
    from django.db import connection, connections, transaction
    from django.db.models import Count
    from django.utils import timezone

    from siaga.blood import services
    from siaga.blood import services_issue as si
    from siaga.blood.models import (
        BloodRequest,
        Component,
        ComponentType,
        DailyUsage,
        Donation,
        Donor,
        IssueItem,
        RequestLine,
        Site,
    )
    from siaga.core.models import Organization
    from siaga.core.permissions import Actor

    rnd = random.Random(20260711)
    now = timezone.now()
    t0 = time.perf_counter()

    def group():
        x = rnd.random()
        acc = 0.0
        for abo, share in ABO_SHARE:
            acc += share
            if x < acc:
                break
        return abo, "neg" if rnd.random() < RHD_NEG_SHARE else "pos"

    # --- sites ----------------------------------------------------------------------------------
    udd_orgs, sites = [], []
    for i in range(5):
        org = Organization.objects.create(code=f"udd-{i}", name=f"UDD PMI {i}", kind="udd", region_code="35.76")
        udd_orgs.append(org)
        sites.append(Site.objects.create(organization=org, code=f"udd-{i}", name=f"UDD {i}", kind="udd",
                                         region_code="35.76", isbt_fin=f"B{1000 + i}", lat=-7.47 + i * 0.05,
                                         lng=112.43 + i * 0.05))
    hospitals = []
    for i in range(45):
        org = Organization.objects.create(code=f"rs-{i}", name=f"RS {i}", kind="hospital", region_code="35.16")
        hospitals.append(org)
        sites.append(Site.objects.create(organization=org, code=f"bdrs-{i}", name=f"BDRS {i}", kind="bdrs",
                                         region_code="35.16", supplier=sites[i % 5], lat=-7.5 + i * 0.01,
                                         lng=112.4 + i * 0.01))
    types = {t.code: t for t in ComponentType.objects.filter(code__in=["PRC", "TC", "FFP"])}

    # --- donors, donations, units (bulk) --------------------------------------------------------
    donors = []
    for i in range(20000):
        abo, rhd = group()
        org = udd_orgs[i % 5]
        donors.append(Donor(organization=org, region_code="35.76", number=f"D{i:06d}", nik="3576011705900001",
                            nik_hash=f"h{i}", name=f"Donor {i}", sex="M", birth_date=dt.date(1990, 1, 1),
                            abo=abo, rhd=rhd, group_confirmed=True))
    Donor.objects.bulk_create(donors, batch_size=5000)
    donors = list(Donor.objects.values_list("pk", "organization_id", "abo", "rhd"))
    n_donations = (args.units + 2) // 3
    history_days = 3 * 365
    shelf_share = args.shelf_share
    made = 0
    batch = 20000
    donor_group = {d[0]: (d[2], d[3]) for d in donors}
    site_by_id = {s.pk: s for s in sites}
    origin_org = {s.pk: (s.organization_id if s.kind == "udd" else site_by_id[s.supplier_id].organization_id)
                  for s in sites}
    adapt = connection.ops.adapt_datetimefield_value
    # Raw executemany: a million model instances would cost more than the inserts themselves.
    don_sql = ("INSERT INTO blood_donation (organization_id, region_code, site_id, donor_id, din, din_flags, "
               "din_check, procedure, donor_type, bag_type, anticoagulant, volume_ml, collected_at, status, "
               "screening, adverse_reaction, adverse_reaction_notes, production_hint, created_at) VALUES "
               "(%s, '35.76', %s, %s, %s, '00', '0', 'whole_blood', 'voluntary', 'triple', 'CPDA-1', 350, %s, "
               "'released', 'negative', 'none', '', '[]', %s)")
    comp_sql = ("INSERT INTO blood_component (organization_id, region_code, site_id, origin_organization_id, "
                "donation_id, component_type_id, din, division, abo, rhd, volume_ml, collected_at, prepared_at, "
                "expires_at, status, version, irradiated, created_at) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, '', %s, %s, 200, %s, %s, %s, %s, 0, %s, %s)")
    now_db = adapt(now)
    next_din = 0
    for start in range(0, n_donations, batch):
        plan = []
        rows = []
        for k in range(start, min(n_donations, start + batch)):
            donor = donors[k % len(donors)]
            udd = sites[(donor[1] - udd_orgs[0].pk) % 5]
            on_shelf = rnd.random() < shelf_share
            age = rnd.uniform(0, 30) if on_shelf else rnd.uniform(40, history_days)
            collected = now - dt.timedelta(days=age)
            din = f"B{1000 + (k % 5)}{k:08d}"[:13]
            rows.append((donor[1], udd.pk, donor[0], din, adapt(collected), now_db))
            plan.append((din, donor[0], collected, udd.pk))
        with transaction.atomic(), connection.cursor() as c:
            c.executemany(don_sql, rows)
        ids = dict(Donation.objects.filter(din__in=[p[0] for p in plan]).values_list("din", "pk"))
        comps = []
        for din, donor_id, collected, udd_id in plan:
            pk = ids[din]
            abo, rhd = donor_group[donor_id]
            for code, life_days in (("PRC", 35), ("TC", 5), ("FFP", 365)):
                if made >= args.units:
                    break
                made += 1
                expires = collected + dt.timedelta(days=life_days)
                if expires > now:
                    status = "available"
                    site_id = udd_id if rnd.random() < 0.6 else sites[5 + rnd.randrange(45)].pk
                else:
                    r = rnd.random()
                    status = "transfused" if r < 0.88 else ("expired" if r < 0.95 else "discarded")
                    site_id = udd_id if rnd.random() < 0.5 else sites[5 + rnd.randrange(45)].pk
                site = site_by_id[site_id]
                next_din += 1
                comps.append((site.organization_id, site.region_code, site_id, origin_org[site_id], pk,
                              types[code].pk, din, abo, rhd, adapt(collected), adapt(collected), adapt(expires),
                              status, False, now_db))
        with transaction.atomic(), connection.cursor() as c:
            c.executemany(comp_sql, comps)
    # 8 weeks of daily usage per site, component and group: the forecast behind days of cover.
    today = timezone.localdate()
    usage = []
    for s in sites:
        for code in ("PRC", "TC", "FFP"):
            for abo, rhd in services.GROUPS:
                base = 3.0 if s.kind == "udd" else 0.4
                share = dict(ABO_SHARE)[abo] * (RHD_NEG_SHARE if rhd == "neg" else 1 - RHD_NEG_SHARE)
                for d in range(1, 57):
                    n = int(base * share * 4 + rnd.random())
                    if n:
                        usage.append(DailyUsage(organization_id=s.organization_id, region_code=s.region_code, site=s,
                                                date=today - dt.timedelta(days=d), component_type=types[code],
                                                abo=abo, rhd=rhd, issued=n))
    DailyUsage.objects.bulk_create(usage, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    else:
        with connection.cursor() as c:
            c.execute("ANALYZE")
    setup_s = time.perf_counter() - t0
    total_units = Component.objects.count()
    on_shelf = Component.objects.filter(status="available", expires_at__gt=now).count()

    def timed(fn, n):
        out = []
        for _ in range(n):
            a = time.perf_counter()
            fn()
            out.append((time.perf_counter() - a) * 1000)
        return out

    site_ids = [s.pk for s in sites]
    # --- availability -------------------------------------------------------------------------
    services.stock_rows(site_ids)  # warm
    avail = timed(lambda: services.stock_rows(site_ids), args.repeat)
    plain_avail = timed(lambda: Component.objects.filter(site_id__in=site_ids, status="available",
                                                         expires_at__gt=timezone.now()).count(), args.repeat)
    cells = len(services.stock_rows(site_ids))

    # --- FEFO allocation ----------------------------------------------------------------------
    prc = types["PRC"]
    probe_req = BloodRequest.objects.create(organization=hospitals[0], region_code="35.16", supplier=udd_orgs[0],
                                            supplier_site=sites[0], number="PROBE", urgency="cito",
                                            patient_name="Probe", created_at=now)
    lines = {g: RequestLine.objects.create(request=probe_req, component_type=prc, abo=g[0], rhd=g[1], quantity=1)
             for g in services.GROUPS}
    probes = []
    for _ in range(args.repeat * 4):
        probes.append((sites[rnd.randrange(50)], lines[group()]))

    def fefo(probe):
        site, line = probe
        return next(si.candidates(site, line), None)

    def plain(probe):
        site, line = probe
        return (Component.objects.filter(site=site, component_type=prc, abo=line.abo, rhd=line.rhd,
                                         status="available", expires_at__gt=timezone.now())
                .order_by("expires_at", "pk").first())

    it = iter(probes)
    fefo_ms = timed(lambda: fefo(next(it)), len(probes))
    it = iter(probes)
    plain_ms = timed(lambda: plain(next(it)), len(probes))
    substitutes = sum(1 for p in probes if (r := fefo(p)) is not None and (r[1].abo, r[1].rhd) != (p[1].abo,
                                                                                                   p[1].rhd))

    # --- issue throughput ---------------------------------------------------------------------
    udd = sites[0]
    udd_actor = Actor(user=None, membership=None, organization=udd.organization, role="blood_bank_officer",
                      scope_code="")

    def make_requests(n):
        out = []
        for i in range(n):
            h = hospitals[(i % 9) * 5]  # hospitals whose usual supplier is UDD 0
            bank = Site.objects.get(organization=h)
            actor = Actor(user=None, membership=None, organization=h, role="hospital_officer", scope_code="")
            out.append(si.create_request(actor, urgency="cito", patient_name=f"Pasien {i}", patient_abo="O",
                                         patient_rhd="pos", hospital_site_id=bank.pk, supplier_site_id=udd.pk,
                                         lines=[{"component_type": "PRC", "quantity": 1}]).pk)
        return out

    # Enough fresh O+ stock at UDD 0 for every request of both runs.
    needed = args.issues * 2 + 50
    extra = []
    dn = list(Donation.objects.filter(site=udd)[:needed].values_list("pk", flat=True))
    for i, pk in enumerate(dn):
        extra.append(Component(organization_id=udd.organization_id, region_code=udd.region_code, site=udd,
                               origin_organization_id=udd.organization_id, donation_id=pk, component_type=prc,
                               division="Z", din=f"Z{pk:012d}", abo="O", rhd="pos", volume_ml=200,
                               collected_at=now - dt.timedelta(days=2), prepared_at=now - dt.timedelta(days=2),
                               expires_at=now + dt.timedelta(days=10 + i % 20), status="available"))
    Component.objects.bulk_create(extra, batch_size=2000)

    def run(threads, request_ids):
        queue = list(request_ids)
        lock = threading.Lock()
        errors = []

        def worker():
            try:
                while True:
                    with lock:
                        if not queue:
                            return
                        rid = queue.pop()
                    si.issue_request(udd_actor, rid, recipient_kind="courier", recipient_name="Kurir",
                                     signed_by="Kurir", cool_box_temperature_c="4")
            except Exception as exc:  # noqa: BLE001 - reported
                errors.append(repr(exc))
            finally:
                connections.close_all()

        a = time.perf_counter()
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return time.perf_counter() - a, errors

    serial_ids = make_requests(args.issues)
    serial_s, serial_err = run(1, serial_ids)
    conc_ids = make_requests(args.issues)
    conc_s, conc_err = run(args.threads, conc_ids)
    dupes = (IssueItem.objects.values("component_id").annotate(n=Count("pk")).filter(n__gt=1).count())
    issued = IssueItem.objects.count()
    return {
        "vendor": connection.vendor, "setup_s": round(setup_s, 1), "units": total_units, "on_shelf": on_shelf,
        "sites": len(sites), "cells": cells,
        "avail_ms_median": round(percentile(avail, 50), 2), "avail_ms_p95": round(percentile(avail, 95), 2),
        "plain_avail_ms_median": round(percentile(plain_avail, 50), 2),
        "fefo_ms_median": round(percentile(fefo_ms, 50), 3), "fefo_ms_p95": round(percentile(fefo_ms, 95), 3),
        "plain_fefo_ms_median": round(percentile(plain_ms, 50), 3), "fefo_probes": len(probes),
        "fefo_substitutes": substitutes,
        "issues": args.issues, "threads": args.threads,
        "serial_per_s": round(args.issues / serial_s, 1), "concurrent_per_s": round(args.issues / conc_s, 1),
        "errors": serial_err + conc_err, "issued_items": issued, "units_issued_twice": dupes,
        "requests_open": BloodRequest.objects.exclude(status="issued").count(),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=1_000_000, help="units of history (all statuses)")
    p.add_argument("--shelf-share", type=float, default=0.04, help="share of donations young enough to be on shelves")
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--issues", type=int, default=120, help="1-unit requests issued per throughput run")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--postgres", action="store_true")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(args)))
        return 0
    print(machine_line())
    with fresh_database("postgres" if args.postgres else "sqlite") as (env, _target):
        cmd = [sys.executable, __file__, "--child", "--units", str(args.units), "--shelf-share",
               str(args.shelf_share), "--repeat", str(args.repeat), "--issues", str(args.issues), "--threads",
               str(args.threads)]
        a = time.perf_counter()
        out = subprocess.run(cmd, env=env, cwd=_support.REPO, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stdout[-3000:], out.stderr[-5000:])
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['vendor']}: {r['units']:,} units ({r['on_shelf']:,} on shelves) at {r['sites']} sites, "
              f"set up in {r['setup_s']} s; whole run {time.perf_counter() - a:.0f} s; {load()}")
        print(f"availability (stock_rows, {r['cells']} cells): median {r['avail_ms_median']} ms "
              f"(p95 {r['avail_ms_p95']}); baseline plain COUNT: {r['plain_avail_ms_median']} ms; "
              f"ratio {r['avail_ms_median'] / max(r['plain_avail_ms_median'], 1e-9):.2f}")
        print(f"FEFO allocation (first pick, {r['fefo_probes']} probes, {r['fefo_substitutes']} substitutes): "
              f"median {r['fefo_ms_median']} ms (p95 {r['fefo_ms_p95']}); baseline plain identical-group query: "
              f"{r['plain_fefo_ms_median']} ms; ratio {r['fefo_ms_median'] / max(r['plain_fefo_ms_median'], 1e-9):.2f}")
        print(f"issue throughput ({r['issues']} one-unit requests): {r['threads']} requesters "
              f"{r['concurrent_per_s']}/s; baseline 1 requester {r['serial_per_s']}/s; "
              f"ratio {r['concurrent_per_s'] / max(r['serial_per_s'], 1e-9):.2f}; units issued twice: "
              f"{r['units_issued_twice']}; errors: {len(r['errors'])} {r['errors'][:3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
