"""Benchmark: incident creation through the HTTP API on SQLite and PostgreSQL vs each database's raw insert rate."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import (  # noqa: E402
    django_child,
    fresh_database,
    load,
    machine_line,
    percentile,
    postgres_version,
    served,
    siaga,
)

# Child process: the call center of Kabupaten Mojokerto, the agencies its taxonomy routes to, one
# call-taker with an API token; prints the token, the kelurahan codes and the incident type codes.
SETUP = """
from siaga.callcenter.models import IncidentType
from siaga.core import services, tokens
from siaga.core.models import Membership, User
from siaga.core.permissions import system_actor
from siaga.geo.models import Region

actor = system_actor()
gov = services.create_organization(actor, code="pemkab-mojokerto", name="Pemerintah Kabupaten Mojokerto",
                                   kind="government", region_code="35.16")
cc = services.create_organization(actor, code="cc112-kab-mojokerto", name="Call Center 112 Kabupaten Mojokerto",
                                  kind="cc112", parent_id=gov.pk, region_code="35.16")
for kind in ("psc119", "police", "fire", "bpbd", "pln", "public_works", "social_office", "health_office"):
    services.create_organization(actor, code=f"{kind}-kab-mojokerto", name=f"{kind} Kabupaten Mojokerto",
                                 kind=kind, parent_id=gov.pk, region_code="35.16")
user = User.objects.create_user(username="operator112", password="Bench-Only-2026!")
membership = Membership.objects.create(user=user, organization=cc, role="call_taker", scope_code="35.16")
_row, raw = tokens.issue(membership, "benchmark")
kel = sorted(c for c in Region.objects.filter(code__startswith="35.16.").values_list("code", flat=True)
             if c.count(".") == 3)
types = sorted(IncidentType.objects.filter(active=True).values_list("code", flat=True))
print(json.dumps({"token": raw, "kelurahan": kel, "types": types, "org_id": cc.pk}))
"""

# Child process: what the database holds after the load (the sanity check against the 201 answers).
COUNT = """
from django.db.models import Count
from siaga.callcenter.models import Call, Incident, IncidentCounter, Referral
numbers = Incident.objects.values("organization_id", "number").annotate(n=Count("id")).filter(n__gt=1).count()
print(json.dumps({"incidents": Incident.objects.count(), "duplicate_numbers": numbers,
                  "counter_last": sum(IncidentCounter.objects.values_list("last", flat=True)),
                  "calls": Call.objects.count(),
                  "calls_with_incident": Call.objects.filter(incident__isnull=False).count(),
                  "referrals": Referral.objects.count()}))
"""

# Child process: the same POST through django.test.Client (no HTTP server, one thread), to tell the
# application's own cost from the server's; also counts the SQL statements and commits of one creation.
IN_PROCESS = """
import random, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
token, seconds = sys.argv[1], float(sys.argv[2])
setup = json.loads(sys.argv[3])
rng = random.Random(7)
client = Client(HTTP_AUTHORIZATION="Bearer " + token)
def post():
    body = {"type_code": rng.choice(setup["types"]), "region_code": rng.choice(setup["kelurahan"]),
            "description": "kecelakaan motor di jalan desa"}
    return client.post("/api/callcenter/incidents", body, content_type="application/json")
statements = commits = probes = 0
for _ in range(20):
    with CaptureQueriesContext(connection) as ctx:
        assert post().status_code == 201
    sql = [q["sql"] for q in ctx.captured_queries]
    statements += len(sql)
    # Every statement outside BEGIN..COMMIT is its own transaction (autocommit).
    depth = 0
    for q in sql:
        if q.startswith("BEGIN"):
            depth = 1
        elif q.startswith("COMMIT"):
            depth, commits = 0, commits + 1
        elif depth == 0 and not q.startswith(("SELECT", "SAVEPOINT", "RELEASE")):
            commits += 1
    probes += 1
times = []
stop = time.perf_counter() + seconds
while time.perf_counter() < stop:
    t = time.perf_counter()
    assert post().status_code == 201
    times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"n": len(times) + probes, "rate": len(times) / sum(times), "p50": times[len(times) // 2],
                  "statements": statements / probes, "commits": commits / probes}))
"""

WORDS = ("motor", "mobil", "truk", "tabrakan", "korban", "pingsan", "berdarah", "asap", "api", "rumah", "warung",
         "jalan", "desa", "pasar", "sawah", "sungai", "banjir", "pohon", "kabel", "listrik", "anak", "ibu", "bapak",
         "lansia", "sesak", "jatuh", "terjepit", "dekat", "masjid", "sekolah", "balai", "jembatan", "tikungan")


def description(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 18))).capitalize() + "."


# --- raw insert baseline ---------------------------------------------------------------------------

RAW_SQLITE = """CREATE TABLE IF NOT EXISTS bench_raw_insert (
    id integer NOT NULL PRIMARY KEY AUTOINCREMENT, organization_id bigint NOT NULL, number varchar(32) NOT NULL,
    type_id bigint NOT NULL, priority smallint NOT NULL, status varchar(20) NOT NULL, description text NOT NULL,
    region_code varchar(13) NOT NULL, tracking_token varchar(40) NOT NULL, created_at datetime NOT NULL)"""
RAW_PG = """CREATE TABLE IF NOT EXISTS bench_raw_insert (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, organization_id bigint NOT NULL,
    number varchar(32) NOT NULL, type_id bigint NOT NULL, priority smallint NOT NULL, status varchar(20) NOT NULL,
    description text NOT NULL, region_code varchar(13) NOT NULL, tracking_token varchar(40) NOT NULL,
    created_at timestamptz NOT NULL)"""
INSERT = ("INSERT INTO bench_raw_insert (organization_id, number, type_id, priority, status, description, "
          "region_code, tracking_token, created_at) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})")


def _sqlite_connect(path: str) -> sqlite3.Connection:
    # The PRAGMAs and busy timeout of siaga.settings; BEGIN IMMEDIATE as Django's transaction_mode.
    conn = sqlite3.connect(path, timeout=20, isolation_level=None, check_same_thread=False)
    conn.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    return conn


class RawInserter:
    """One INSERT + COMMIT per row of an incident-sized row, through sqlite3 or psycopg."""

    def __init__(self, kind: str, target: str):
        self.kind, self.target = kind, target
        conn = self.connect()
        if kind == "sqlite":
            conn.execute(RAW_SQLITE)
        else:
            conn.execute(RAW_PG)
            conn.commit()
        conn.close()

    def connect(self):
        if self.kind == "sqlite":
            return _sqlite_connect(self.target)
        import psycopg

        return psycopg.connect(self.target)

    def insert(self, conn, i: int, rng: random.Random) -> None:
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)
        row = (1, f"112-2026-{i:06d}", rng.randint(1, 38), rng.randint(1, 4), "new", description(rng),
               f"35.16.{rng.randint(1, 18):02d}.2001", "%032x" % rng.getrandbits(128), now)
        if self.kind == "sqlite":
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(INSERT.format(p="?"), row[:-1] + (now.isoformat(),))
            conn.execute("COMMIT")
        else:
            conn.execute(INSERT.format(p="%s"), row)
            conn.commit()

    def run(self, clients: int, seconds: float, *, reconnect: bool = False) -> dict:
        """clients threads inserting back to back for `seconds`; reconnect=True opens a connection per row."""
        latencies: list[list[float]] = [[] for _ in range(clients)]
        errors = Counter()
        start = threading.Barrier(clients + 1)
        stop_at = [0.0]

        def worker(n: int) -> None:
            rng = random.Random(1000 + n)
            conn = None if reconnect else self.connect()
            start.wait()
            i = 0
            while time.perf_counter() < stop_at[0]:
                t = time.perf_counter()
                try:
                    c = self.connect() if reconnect else conn
                    self.insert(c, n * 10_000_000 + i, rng)
                    if reconnect:
                        c.close()
                except Exception as exc:  # noqa: BLE001 - counted and printed, the run goes on
                    errors[type(exc).__name__] += 1
                    continue
                latencies[n].append(time.perf_counter() - t)
                i += 1
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        for th in threads:
            th.start()
        t0 = time.perf_counter()
        stop_at[0] = t0 + seconds
        start.wait()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t0
        flat = [x for lst in latencies for x in lst]
        return {"n": len(flat), "rate": len(flat) / elapsed, "p50": percentile(flat, 50), "p99": percentile(flat, 99),
                "errors": dict(errors)}


# --- API load --------------------------------------------------------------------------------------


async def _load(base: str, token: str, clients: int, seconds: float, setup: dict, pair: bool, seed: int) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    statuses: Counter = Counter()
    samples: list[str] = []
    created = [0]
    per_client = [0] * clients
    stop_at = time.perf_counter() + seconds

    async def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as http:
            while time.perf_counter() < stop_at:
                body = {"type_code": rng.choice(setup["types"]), "region_code": rng.choice(setup["kelurahan"]),
                        "description": description(rng)}
                t = time.perf_counter()
                try:
                    if pair:
                        number = "0812" + "".join(rng.choice("0123456789") for _ in range(8))
                        r = await http.post("/api/callcenter/calls", json={"channel": "phone",
                                                                           "caller_number": number})
                        if r.status_code != 201:
                            statuses[f"call {r.status_code}"] += 1
                            if len(samples) < 5:
                                samples.append(f"POST /calls {r.status_code}: {r.text[:500]}")
                            continue
                        body["call_id"] = r.json()["id"]
                    r = await http.post("/api/callcenter/incidents", json=body)
                except httpx.HTTPError as exc:
                    statuses[type(exc).__name__] += 1
                    continue
                statuses[r.status_code] += 1
                if r.status_code == 201:
                    latencies.append(time.perf_counter() - t)
                    created[0] += 1
                    per_client[n] += 1
                elif len(samples) < 5:
                    samples.append(f"POST /incidents {r.status_code}: {r.text[:500]}")

    t0 = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    elapsed = time.perf_counter() - t0
    return {"n": created[0], "rate": created[0] / elapsed, "p50": percentile(latencies, 50),
            "p99": percentile(latencies, 99), "max": max(latencies, default=float("nan")),
            "fairness": (min(per_client), max(per_client)),
            "statuses": dict(statuses), "samples": samples}


async def _get_floor(base: str, token: str, seconds: float) -> dict:
    """One client reading a small authenticated endpoint: what any API request costs before its own work."""
    import httpx

    times = []
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = await http.get("/api/callcenter/priority-policies")
            r.raise_for_status()
            times.append(time.perf_counter() - t)
    return {"rate": len(times) / sum(times), "p50": percentile(times, 50)}


def ms(x: float) -> str:
    return f"{x * 1000:8.2f} ms"





def bench_database(kind: str, levels: list[int], seconds: float, raw_seconds: float, pair: bool) -> dict | None:
    print(f"\n== {kind}: fresh database, migrate, regions 35.16 and 35.76, call center, call-taker token "
          f"({load()})", flush=True)
    t = time.perf_counter()
    with fresh_database(kind) as (env, target):
        for within in ("35.16", "35.76"):
            siaga(env, "import", "regions", "--within", within, "--no-progress")
        setup = django_child(env, SETUP)
        print(f"   setup {time.perf_counter() - t:.1f} s: {len(setup['kelurahan'])} desa/kelurahan in 35.16, "
              f"{len(setup['types'])} incident types", flush=True)

        raw = RawInserter(kind, target)
        base_rows = {c: raw.run(c, raw_seconds) for c in levels}
        reconnect = raw.run(1, raw_seconds, reconnect=True)
        print("   raw INSERT + COMMIT (one connection per client, kept open):", flush=True)
        for c, r in base_rows.items():
            print(f"     {c:3d} clients: {r['rate']:9,.0f} rows/s  p50 {ms(r['p50'])}  p99 {ms(r['p99'])}"
                  + (f"  errors {r['errors']}" if r["errors"] else ""), flush=True)
        print(f"     1 client, new connection per row (Django's CONN_MAX_AGE=0): {reconnect['rate']:,.0f} rows/s  "
              f"p50 {ms(reconnect['p50'])}", flush=True)

        inproc = django_child(env, IN_PROCESS, setup["token"], str(raw_seconds), json.dumps(setup))
        print(f"   in-process django.test.Client, 1 thread, no HTTP: {inproc['rate']:.1f} created/s  "
              f"p50 {ms(inproc['p50'])}; per creation {inproc['statements']:.0f} SQL statements, "
              f"{inproc['commits']:.1f} commits", flush=True)

        headers = {"Authorization": f"Bearer {setup['token']}"}
        api: dict[tuple[str, int], dict] = {}
        ok_total = inproc["n"]
        modes = ["incident"] + (["call+incident"] if pair else [])
        print(f"   starting siaga serve ({load()})", flush=True)
        with served(env, ready_path="/api/callcenter/priority-policies", headers=headers) as base:
            warm = asyncio.run(_load(base, setup["token"], 1, 1.0, setup, False, seed=0))
            ok_total += warm["n"]
            floor = asyncio.run(_get_floor(base, setup["token"], min(seconds, 3.0)))
            print(f"   API GET /priority-policies (auth, 4 rows), 1 client: {floor['rate']:.0f} req/s  "
                  f"p50 {ms(floor['p50'])}", flush=True)
            for mode in modes:
                for c in levels:
                    r = asyncio.run(_load(base, setup["token"], c, seconds, setup, mode != "incident",
                                          seed=c + (100 if mode != "incident" else 0)))
                    ok_total += r["n"]
                    api[(mode, c)] = r
                    bad = {k: v for k, v in r["statuses"].items() if k != 201}
                    print(f"   API {mode:13s} {c:3d} clients: {r['rate']:7.1f} created/s  p50 {ms(r['p50'])}  "
                          f"p99 {ms(r['p99'])}  max {ms(r['max'])}  ({r['n']} x 201, per client "
                          f"{r['fairness'][0]}-{r['fairness'][1]}"
                          + (f", non-201: {bad}" if bad else "") + ")", flush=True)
                    for s in r["samples"]:
                        print("      ", s, flush=True)
        counts = django_child(env, COUNT)
    good = (counts["incidents"] == ok_total and counts["duplicate_numbers"] == 0
            and counts["counter_last"] == ok_total)
    print(f"   in the database: {counts['incidents']} incidents, {counts['calls_with_incident']} calls linked, "
          f"{counts['referrals']} referrals; 201 answers (warm-up included): {ok_total}; "
          f"duplicate numbers: {counts['duplicate_numbers']} -> {'OK' if good else 'MISMATCH'}", flush=True)
    return {"raw": base_rows, "reconnect": reconnect, "inproc": inproc, "floor": floor, "api": api,
            "counts": counts, "ok_total": ok_total, "good": good, "modes": modes}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--clients", default="1,8,32", help="concurrency levels, comma separated")
    p.add_argument("--seconds", type=float, default=10.0, help="load duration per level")
    p.add_argument("--raw-seconds", type=float, default=4.0, help="raw insert duration per level")
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument("--no-pair", action="store_true", help="skip the 'POST /calls then POST /incidents' pair")
    a = p.parse_args()
    levels = [int(x) for x in a.clients.split(",")]
    print(machine_line())
    print("client (httpx, one asyncio thread) and server (siaga serve, 1 uvicorn worker) share the same cores")
    results = {}
    for kind in a.db.split(","):
        if kind == "postgres" and postgres_version() is None:
            print("\n== postgres: SKIPPED - no PostgreSQL server reachable (SIAGA_BENCH_PG, default "
                  "postgres://siaga:siaga@127.0.0.1:5432/postgres)")
            continue
        results[kind] = bench_database(kind, levels, a.seconds, a.raw_seconds, not a.no_pair)

    print("\nsummary: API creations/s vs raw INSERT+COMMIT rows/s at the same concurrency [baseline]")
    for kind, res in results.items():
        for mode in res["modes"]:
            for c in levels:
                r, b = res["api"][(mode, c)], res["raw"][c]
                print(f"  {kind:8s} {mode:13s} {c:3d} clients: {r['rate']:7.1f}/s (p50 {ms(r['p50'])}, p99 "
                      f"{ms(r['p99'])})  raw {b['rate']:8,.0f}/s  ratio {r['rate'] / b['rate']:.3f} "
                      f"(1/{b['rate'] / r['rate']:.0f})")
    return 0 if all(r["good"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
