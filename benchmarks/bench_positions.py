"""Benchmark: position ingest through the HTTP API (single and batched) vs a plain ORM bulk insert of the same rows.

Each figure is rows stored per second. The API path does everything a tracker's post costs: token
authentication, per-point checks (range, time, duplicate, speed against the neighbouring points), one
transaction with the unit locked, the unit's latest position snapped onto the road network, and a
transient unit.position event. The baseline is PositionReport.objects.bulk_create of the same rows in a
child Django process (batches of 500), and for the single posts also one ORM create() per row.

    .venv/bin/python benchmarks/bench_positions.py                     # SQLite (a fresh temporary database)
    DATABASE_URL=postgres://siaga:siaga@127.0.0.1:5432/postgres .venv/bin/python benchmarks/bench_positions.py
        # PostgreSQL: a temporary database is created on that server (the role needs CREATEDB) and dropped
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support  # noqa: E402
from _support import (  # noqa: E402
    django_child,
    fresh_database,
    load,
    machine_line,
    percentile,
    postgres_version,
    served,
)

BALIKPAPAN = _support.REPO.parent / "shared" / "data" / "roads" / "balikpapan_kota_drive.graphml"

# Child process: PMI Kota Balikpapan with `units` ambulances, a tracker token of the organisation, and (optionally)
# the road network of Kota Balikpapan so every new latest position is snapped. Prints the token, unit ids, bbox.
SETUP = """
from siaga.core import services, tokens
from siaga.core.models import Membership, User
from siaga.core.permissions import system_actor
from siaga.dispatch.models import Unit
from siaga.geo.models import Region

n_units, network = int(sys.argv[1]), sys.argv[2]
Region.objects.update_or_create(code="64", defaults={"name": "Kalimantan Timur", "level": 1, "search_key": "x"})
Region.objects.update_or_create(code="64.71", defaults={"name": "Kota Balikpapan", "level": 2, "parent_id": "64",
                                                        "search_key": "x", "bbox": [116.78, -1.30, 117.05, -1.03]})
actor = system_actor()
pmi = services.create_organization(actor, code="pmi-balikpapan", name="PMI Kota Balikpapan", kind="pmi_branch",
                                   region_code="64.71")
units = Unit.objects.bulk_create([Unit(organization=pmi, call_sign=f"AMB-{i:03d}", kind="ambulance_basic",
                                       region_code="64.71", always_crewed=True) for i in range(n_units)])
user = User.objects.create_user(username="tracker", password="Bench-Only-2026!")
membership = Membership.objects.create(user=user, organization=pmi, role="ambulance_crew", scope_code="64.71")
_row, raw = tokens.issue(membership, "benchmark tracker")
bbox = [116.83, -1.28, 116.92, -1.22]
if network != "none":
    from siaga.routing import services as routing

    net = routing.import_roads(actor, network, region_code="64.71").network
    bbox = net.bbox
print(json.dumps({"token": raw, "units": [u.pk for u in Unit.objects.filter(organization=pmi).order_by("pk")],
                  "bbox": bbox}))
"""

# Child process: the baseline, plain ORM inserts of the rows the API stored (same values, new unit/time keys).
BASELINE = """
import time
from datetime import datetime, timedelta
from django.db import transaction
from siaga.dispatch.models import PositionReport
rows = json.loads(sys.stdin.read())
shift = timedelta(days=2)  # a different instant than the API's rows: the unique constraint must not trip
def make(r, extra=timedelta()):
    return PositionReport(unit_id=r[0], lat=r[1], lng=r[2], measured_at=datetime.fromisoformat(r[3]) - shift - extra,
                          received_at=datetime.fromisoformat(r[3]), accuracy_m=r[4], speed_kmh=r[5],
                          heading_deg=r[6], source="tracker")
objs = [make(r) for r in rows]
t = time.perf_counter()
for i in range(0, len(objs), 500):
    with transaction.atomic():
        PositionReport.objects.bulk_create(objs[i:i + 500])
bulk = time.perf_counter() - t
single_n = min(len(rows), int(sys.argv[1]))
objs = [make(r, timedelta(days=1)) for r in rows[:single_n]]
t = time.perf_counter()
for o in objs:
    o.save()
single = time.perf_counter() - t
print(json.dumps({"bulk_rate": len(rows) / bulk, "bulk_n": len(rows), "single_rate": single_n / single,
                  "single_n": single_n}))
"""

# Child process: the rows the API stored (for the baseline) and what the database holds.
DUMP = """
from siaga.dispatch.models import PositionReport, Unit
rows = [[u, lat, lng, at.isoformat(), acc, spd, hdg] for u, lat, lng, at, acc, spd, hdg in
        PositionReport.objects.values_list("unit_id", "lat", "lng", "measured_at", "accuracy_m", "speed_kmh",
                                           "heading_deg")]
print(json.dumps({"rows": rows, "flagged": PositionReport.objects.exclude(flag="").count(),
                  "snapped_units": Unit.objects.filter(snapped_lat__isnull=False).count(),
                  "moved_units": Unit.objects.filter(position_at__isnull=False).count()}))
"""


class Tracks:
    """Plausible tracks: each unit drives ~10 m per second from a random start inside the bbox."""

    def __init__(self, units: list[int], bbox: list[float], start: datetime, seed: int):
        rng = random.Random(seed)
        self.state = {u: [rng.uniform(bbox[1], bbox[3]), rng.uniform(bbox[0], bbox[2]), 0] for u in units}
        self.start = start
        self.rng = rng

    def point(self, unit: int) -> dict:
        s = self.state[unit]
        s[0] += self.rng.uniform(-6e-5, 6e-5)
        s[1] += self.rng.uniform(-6e-5, 6e-5)
        s[2] += 1
        at = self.start + timedelta(seconds=s[2])
        return {"lat": round(s[0], 6), "lng": round(s[1], 6), "measured_at": at.isoformat(), "accuracy_m": 8.0,
                "speed_kmh": 36.0, "heading_deg": float(self.rng.randrange(360))}


async def _load(base: str, token: str, units: list[int], clients: int, seconds: float, batch: int,
                tracks: Tracks) -> dict:
    import httpx

    statuses: Counter = Counter()
    per_point: Counter = Counter()
    latencies: list[float] = []
    samples: list[str] = []
    stop_at = time.perf_counter() + seconds
    mine = [units[n::clients] for n in range(clients)]

    async def client(n: int) -> None:
        i = 0
        async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
            while time.perf_counter() < stop_at:
                unit = mine[n][i % len(mine[n])]
                i += 1
                t = time.perf_counter()
                if batch == 1:
                    r = await http.post("/api/dispatch/positions", json={"unit_id": unit, **tracks.point(unit)})
                else:
                    pts = [tracks.point(unit) for _ in range(batch)]
                    r = await http.post("/api/dispatch/positions/batch", json={"unit_id": unit, "points": pts})
                statuses[r.status_code] += 1
                if r.status_code in (200, 201):
                    latencies.append(time.perf_counter() - t)
                    for p in r.json()["points"]:
                        per_point[p["status"]] += 1
                elif len(samples) < 3:
                    samples.append(f"{r.status_code}: {r.text[:300]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - t0
    return {"rate": per_point["accepted"] / elapsed, "requests": len(latencies), "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "statuses": dict(statuses), "points": dict(per_point),
            "samples": samples}


def bench(kind: str, a) -> dict:
    print(f"\n== {kind}: fresh database, {a.units} units, tracker token"
          + (f", road network {Path(a.network).name}" if a.network != "none" else ", no road network")
          + f" ({load()})", flush=True)
    with fresh_database(kind) as (env, _target):
        t = time.perf_counter()
        setup = django_child(env, SETUP, str(a.units), a.network)
        print(f"   setup {time.perf_counter() - t:.1f} s", flush=True)
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        tracks = Tracks(setup["units"], setup["bbox"], start, seed=7)
        results = {}
        with served(env, ready_path="/api/me", headers={"Authorization": f"Bearer {setup['token']}"}) as base:
            asyncio.run(_load(base, setup["token"], setup["units"], 1, 1.0, 1, tracks))  # warm-up (engine load)
            for clients in a.clients:
                for batch in (1, a.batch):
                    r = asyncio.run(_load(base, setup["token"], setup["units"], clients, a.seconds, batch, tracks))
                    results[(clients, batch)] = r
                    label = "single" if batch == 1 else f"batch of {batch}"
                    print(f"   API {label:13s} {clients:2d} clients: {r['rate']:8,.0f} points/s  "
                          f"({r['requests']} requests, p50 {r['p50'] * 1000:.1f} ms, p99 {r['p99'] * 1000:.1f} ms, "
                          f"points {r['points']}, HTTP {r['statuses']})", flush=True)
                    for s in r["samples"]:
                        print("      ", s, flush=True)
        dump = django_child(env, DUMP)
        accepted = sum(r["points"].get("accepted", 0) for r in results.values())
        print(f"   in the database: {len(dump['rows'])} track points ({dump['flagged']} flagged), "
              f"{dump['moved_units']} units with a position, {dump['snapped_units']} snapped; "
              f"'accepted' answers after warm-up: {accepted}", flush=True)
        import subprocess

        prelude = "import os, sys, json\nimport django\ndjango.setup()\n"
        out = subprocess.run([sys.executable, "-c", prelude + BASELINE, "2000"], env=env, cwd=_support.REPO,
                             input=json.dumps(dump["rows"]), capture_output=True, text=True, check=True)
        base_r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"   baseline ORM bulk_create (batches of 500): {base_r['bulk_rate']:10,.0f} rows/s "
              f"({base_r['bulk_n']} rows); ORM save() per row: {base_r['single_rate']:8,.0f} rows/s "
              f"({base_r['single_n']} rows)", flush=True)
    return {"api": results, "baseline": base_r}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--clients", default="1,8", help="concurrency levels, comma separated")
    p.add_argument("--batch", type=int, default=100, help="points per batched request")
    p.add_argument("--seconds", type=float, default=8.0, help="load duration per level")
    p.add_argument("--network", default=str(BALIKPAPAN) if BALIKPAPAN.is_file() else "none",
                   help="GraphML road network to snap onto, or 'none'")
    p.add_argument("--db", default=None, help="sqlite or postgres (default: postgres when DATABASE_URL names one)")
    a = p.parse_args()
    a.clients = [int(x) for x in a.clients.split(",")]
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        _support.PG_ADMIN_URL = url  # the server to create the temporary database on
    kind = a.db or ("postgres" if url.startswith(("postgres://", "postgresql://")) else "sqlite")
    print(machine_line())
    print("client (httpx, one asyncio thread) and server (siaga serve, 1 uvicorn worker) share the same cores")
    if kind == "postgres" and postgres_version() is None:
        print(f"== postgres: SKIPPED - no PostgreSQL server reachable at {_support.PG_ADMIN_URL}")
        return 1
    res = bench(kind, a)
    b = res["baseline"]
    print(f"\nsummary ({kind}): stored points/s through the API vs plain ORM inserts of the same rows [baseline]")
    for (clients, batch), r in res["api"].items():
        label = "single" if batch == 1 else f"batch {batch}"
        print(f"  {label:10s} {clients:2d} clients: {r['rate']:8,.0f}/s  bulk_create {b['bulk_rate']:9,.0f}/s  "
              f"ratio {r['rate'] / b['bulk_rate']:.3f}   save() per row {b['single_rate']:7,.0f}/s  "
              f"ratio {r['rate'] / b['single_rate']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
