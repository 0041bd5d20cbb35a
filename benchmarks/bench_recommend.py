"""Benchmark: the dispatch recommendation through the HTTP API with 500 units, against the engine's own table time.

    .venv/bin/python benchmarks/bench_recommend.py [--units 500] [--requests 200] [--db sqlite,postgres]

For each database (PostgreSQL only when a server is reachable, see benchmarks/_support.py) it creates a fresh
database in a temporary SIAGA_VAR_DIR, imports the regions of Kota Balikpapan (64.71) and the shipped road
network (DATA_DIR/roads/balikpapan_kota_drive.graphml) the way `siaga import regions` / `siaga import roads` do,
gives the six kecamatan a centre (the coverage warning is computed from them, as in production), and sets up
PSC 119 Kota Balikpapan with a dispatcher and a call-taker, PMI Kota Balikpapan, and UNITS crewed available
ambulances (half of PSC 119, half of PMI with PSC 119 as dispatch center) at random points on the network.
Incidents are created by the call-taker at other random points on the network.

Measured in the same run:
  * figure: GET /api/dispatch/incidents/{id}/recommendation?limit=20 against `siaga serve` (one uvicorn worker),
    one client, REQUESTS requests after a warm-up, cycling over the incidents: median and 99th percentile;
  * baseline: the engine's own table for the same sources to the same target, `siaga.routing.query.table`
    with the system actor (land check, snapping, one many-to-one sweep, distances), in process; also the bare
    many-to-one sweep (`Engine.times_to` on pre-snapped points). A child process sends each HTTP request and
    then runs the baselines for the same target, so that figure and baseline see the same machine load;
  * breakdown: the same recommendation in process, timed around its parts (candidates and crewing,
    travel_times and inside it query.table, Engine.times_to and Engine.path, coverage_now and inside it
    travel_matrix, Engine.snap across all of them, response serialisation),
    the SQL statements of one call, django.test.Client without HTTP, and a cProfile of a few calls.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import (  # noqa: E402
    REPO,
    django_child,
    fresh_database,
    load,
    machine_line,
    postgres_version,
    served,
    siaga,
)

# The six kecamatan of Kota Balikpapan. The shipped GraphML covers only the city centre (about 6 x 3 km around
# Kecamatan Balikpapan Kota; 1,182 nodes), and the data ship no kecamatan centroids for 64.71, so the setup
# gives each kecamatan a stand-in centre on the network: the road node nearest to the cells of a 3 x 2 grid over
# the network's extent. In production the city's full network covers every centre; so does this setup.
KECAMATAN = ["64.71.01", "64.71.02", "64.71.03", "64.71.04", "64.71.05", "64.71.06"]

# Child process: kecamatan centres, organisations, users with tokens, units at random points of the network,
# incidents; prints the tokens and the incident ids.
SETUP = """
import datetime as dt, random
import numpy as np
from django.utils import timezone
from siaga.callcenter import services as cc
from siaga.core import services, tokens
from siaga.core.models import Membership, User
from siaga.core.permissions import actor_for, system_actor
from siaga.dispatch import services as ds
from siaga.dispatch.models import Unit
from siaga.geo.models import Region
from siaga.routing.engine import get_engine
from siaga.routing.models import RoadNetwork

n_units, n_incidents = int(sys.argv[1]), int(sys.argv[2])
centres = json.loads(sys.argv[3])
net = RoadNetwork.objects.get(active=True, region_code="64.71")
a = get_engine(net).a
lat, lng = np.asarray(a["lat"]), np.asarray(a["lng"])
cells = [(lat.min() + (r + 0.5) * (lat.max() - lat.min()) / 2, lng.min() + (c + 0.5) * (lng.max() - lng.min()) / 3)
         for r in range(2) for c in range(3)]
for code, (la, ln) in zip(centres, cells):
    i = int(np.argmin((lat - la) ** 2 + (lng - ln) ** 2))
    assert Region.objects.filter(code=code, level=3).update(lat=float(lat[i]), lng=float(lng[i])) == 1, code
rng = random.Random(20261125)

def on_road():
    arc = rng.randrange(len(a["tail"]))
    f = rng.random()
    t, h = int(a["tail"][arc]), int(a["head"][arc])
    return float(lat[t] + f * (lat[h] - lat[t])), float(lng[t] + f * (lng[h] - lng[t]))

sys_actor = system_actor()
gov = services.create_organization(sys_actor, code="pemkot-balikpapan", name="Pemerintah Kota Balikpapan",
                                   kind="government", region_code="64.71")
psc = services.create_organization(sys_actor, code="psc119-balikpapan", name="PSC 119 Kota Balikpapan",
                                   kind="psc119", parent_id=gov.pk, region_code="64.71")
pmi = services.create_organization(sys_actor, code="pmi-balikpapan", name="PMI Kota Balikpapan",
                                   kind="pmi_branch", region_code="64.71")
people = {}
for role in ("dispatcher", "call_taker"):
    user = User.objects.create_user(username=f"{role}-bpp", password="Bench-Only-2026!")
    people[role] = Membership.objects.create(user=user, organization=psc, role=role, scope_code="64.71")
_row, token = tokens.issue(people["dispatcher"], "benchmark")
now = timezone.now()
for n in range(n_units):
    org = psc if n % 2 == 0 else pmi
    u = ds.create_unit(sys_actor, call_sign=f"AMB-{n + 1:03d}", kind="ambulance_basic" if n % 3 else
                       "ambulance_advanced", organization=org, dispatch_center=psc if org is pmi else None,
                       region_code="64.71", always_crewed=True)
    la, ln = on_road()
    # A live position a minute old, as the position ingest leaves it (set directly: this is only the setup).
    Unit.objects.filter(pk=u.pk).update(lat=la, lng=ln, position_at=now - dt.timedelta(seconds=60))
call_taker = actor_for(people["call_taker"].user)
incidents = []
for n in range(n_incidents):
    la, ln = on_road()
    inc = cc.create_incident(call_taker, type_code="kecelakaan-lalu-lintas", lat=la, lng=ln,
                             description="Tabrakan motor, satu korban")
    incidents.append(inc.pk)
from siaga.callcenter.models import Incident
regions = sorted(set(Incident.objects.filter(pk__in=incidents).values_list("region_code", flat=True)))
kec = list(Region.objects.filter(level=3, code__startswith="64.71.").values_list("code", "lat", "lng"))
print(json.dumps({"token": token, "incidents": incidents, "incident_regions": regions, "kecamatan": kec,
                  "network": {"nodes": net.node_count, "arcs": net.arc_count}}))
"""

# Child process: the baseline (query.table, the bare sweep) and the in-process breakdown of one recommendation.
IN_PROCESS = """
import cProfile, io, pstats, statistics, time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder
from siaga.core.models import User
from siaga.core.permissions import actor_for, system_actor
from siaga.callcenter.models import Incident
from siaga.dispatch import recommend
from siaga.dispatch.api import RecommendationOut
from siaga.dispatch.models import Unit
from siaga.routing import coverage, query
from siaga.routing.engine import Engine

runs, token = int(sys.argv[1]), sys.argv[2]
incident_ids = json.loads(sys.argv[3])
base, warmup = sys.argv[4], int(sys.argv[5])
actor = actor_for(User.objects.get(username="dispatcher-bpp"))
sys_actor = system_actor()
incidents = {i.pk: i for i in Incident.objects.filter(pk__in=incident_ids)}
targets = [incidents[i] for i in incident_ids]

def pct(xs, p):
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))]

def summary(xs):
    return {"p50": statistics.median(xs), "p99": pct(xs, 99), "n": len(xs)}

# --- baseline: the engine's own table for the same sources (the units' positions) to the same targets ---
units = list(Unit.objects.filter(active=True).order_by("pk"))
points = [[u.lat, u.lng] for u in units]
for inc in targets[:5]:
    query.table(sys_actor, points, [inc.lat, inc.lng])  # warm-up: engine, snapping index, boundary index
# The bare many-to-one sweep on pre-snapped points (what the CCH itself costs).
net = next(iter(query.networks_covering(targets[0].lat, targets[0].lng)))
eng = query.ready_engine(net)
deps = [eng.departures(eng.snap(la, ln)) for la, ln in points]
arrs = [eng.arrivals(eng.snap(inc.lat, inc.lng)) for inc in targets]
# Figure and baselines paired request by request, so that both see the same load on the machine: the HTTP
# request to the server, then query.table and the bare sweep here for the same sources and target.
import httpx
http_t, table_t, sweep_t, bad = [], [], [], []
with httpx.Client(base_url=base, headers={"Authorization": "Bearer " + token}, timeout=120) as http:
    for r in range(warmup + runs):
        inc = targets[r % len(targets)]
        t = time.perf_counter()
        resp = http.get(f"/api/dispatch/incidents/{inc.pk}/recommendation", params={"limit": 20})
        dt_http = time.perf_counter() - t
        if resp.status_code != 200 or len(resp.json()["units"]) != 20:
            bad.append(f"{resp.status_code}: {resp.text[:300]}")
        t = time.perf_counter()
        res = query.table(sys_actor, points, [inc.lat, inc.lng])
        dt_table = time.perf_counter() - t
        t = time.perf_counter()
        eng.times_to(deps, arrs[r % len(arrs)])
        dt_sweep = time.perf_counter() - t
        if r >= warmup:
            http_t.append(dt_http)
            table_t.append(dt_table)
            sweep_t.append(dt_sweep)
    floor_t = []  # what any authenticated API request costs: GET /api/dispatch/stations (an empty list)
    for r in range(50):
        t = time.perf_counter()
        http.get("/api/dispatch/stations").raise_for_status()
        floor_t.append(time.perf_counter() - t)
on_network = sum(1 for x in res["results"] if not x["estimate"])
ratios = sorted(h / b for h, b in zip(http_t, table_t))
load_after = os.getloadavg()[0]
# One point-to-point path query per source (what query.table adds for the distances).
path_t = []
for r in range(min(runs, 30)):
    a = arrs[r % len(arrs)]
    t = time.perf_counter()
    for d in deps:
        eng.path(d, a)
    path_t.append(time.perf_counter() - t)
snap_t = []
for r in range(min(runs, 30)):
    t = time.perf_counter()
    for la, ln in points:
        eng.snap(la, ln)
    snap_t.append(time.perf_counter() - t)

# --- breakdown: time around the parts of recommend.recommend ---
spent = {}
def timed(owner, name, label):
    fn = getattr(owner, name)
    def wrapper(*args, **kw):
        t = time.perf_counter()
        try:
            return fn(*args, **kw)
        finally:
            spent.setdefault(label, []).append(time.perf_counter() - t)
    setattr(owner, name, wrapper)
    return fn

originals = [(recommend, "_candidates", timed(recommend, "_candidates", "candidates (DB + crewing)")),
             (recommend.crewing, "crewed_unit_ids", timed(recommend.crewing, "crewed_unit_ids",
                                                          "  crewing.crewed_unit_ids")),
             (recommend, "travel_times", timed(recommend, "travel_times", "travel_times")),
             (query, "table", timed(query, "table", "  query.table")),
             (query, "land_checks", timed(query, "land_checks", "    land_checks")),
             (Engine, "times_to", timed(Engine, "times_to", "    Engine.times_to (many-to-one sweep)")),
             (Engine, "path", timed(Engine, "path", "    Engine.path (one per unit)")),
             (recommend, "coverage_now", timed(recommend, "coverage_now", "coverage_now")),
             (recommend, "_kecamatan", timed(recommend, "_kecamatan", "  _kecamatan (DB)")),
             (recommend, "travel_matrix", timed(recommend, "travel_matrix", "  travel_matrix (units x kecamatan)")),
             (Engine, "snap", timed(Engine, "snap", "snapping (Engine.snap, all callers)"))]
# Engine.snap is called from inside the others, so it is reported as a cross-cutting line, last.
LABELS = ["candidates (DB + crewing)", "  crewing.crewed_unit_ids", "travel_times", "  query.table", "    land_checks",
          "    Engine.times_to (many-to-one sweep)", "    Engine.path (one per unit)", "coverage_now",
          "  _kecamatan (DB)", "  travel_matrix (units x kecamatan)", "snapping (Engine.snap, all callers)"]
for inc in targets[:3]:
    recommend.recommend(actor, inc.pk, limit=20)
spent.clear()
total_t, serial_t, nsnap = [], [], []
for r in range(runs):
    inc = targets[r % len(targets)]
    before = len(spent.get("snapping (Engine.snap, all callers)", []))
    t = time.perf_counter()
    out = recommend.recommend(actor, inc.pk, limit=20)
    total_t.append(time.perf_counter() - t)
    nsnap.append(len(spent.get("snapping (Engine.snap, all callers)", [])) - before)
    t = time.perf_counter()
    body = json.dumps(RecommendationOut.model_validate(out).model_dump(), cls=NinjaJSONEncoder)
    serial_t.append(time.perf_counter() - t)
# Per call: sum the wrapped calls of each label made during one recommendation.
labels = [ln for ln in LABELS if ln in spent]
per_call = {k: sum(spent[k]) / runs for k in labels}
calls = {k: len(spent[k]) / runs for k in labels}
for owner, name, fn in originals:
    setattr(owner, name, fn)

# Inside _candidates: the units query alone (500 Unit rows with station, organization, current_dispatch).
from siaga.dispatch.services import DISPATCHABLE_STATUSES, visible_units
from siaga.dispatch.models import Unit as U
units_q_t, offered_q_t, slim_q_t = [], [], []
for r in range(min(runs, 30)):
    t = time.perf_counter()
    mine = list(visible_units(actor).filter(active=True, status__in=DISPATCHABLE_STATUSES))
    units_q_t.append(time.perf_counter() - t)
    t = time.perf_counter()
    list(U.objects.filter(active=True, status__in=DISPATCHABLE_STATUSES, mutual_aid=True)
         .select_related("station", "organization").exclude(pk__in=[u.pk for u in mine]))
    offered_q_t.append(time.perf_counter() - t)
    t = time.perf_counter()
    list(visible_units(actor).filter(active=True, status__in=DISPATCHABLE_STATUSES).values_list(
        "pk", "call_sign", "organization_id", "organization__name", "dispatch_center_id", "kind", "status",
        "capabilities", "lat", "lng", "position_at", "station_id", "station__lat", "station__lng", "always_crewed"))
    slim_q_t.append(time.perf_counter() - t)

with CaptureQueriesContext(connection) as ctx:
    recommend.recommend(actor, targets[0].pk, limit=20)
sql = [q["sql"] for q in ctx.captured_queries]

client = Client(HTTP_AUTHORIZATION="Bearer " + token)
client_t = []
for inc in targets[:3]:
    client.get(f"/api/dispatch/incidents/{inc.pk}/recommendation?limit=20")
for r in range(min(runs, 60)):
    inc = targets[r % len(targets)]
    t = time.perf_counter()
    resp = client.get(f"/api/dispatch/incidents/{inc.pk}/recommendation?limit=20")
    client_t.append(time.perf_counter() - t)
    assert resp.status_code == 200, resp.content[:300]

prof = cProfile.Profile()
prof.enable()
for inc in targets[:10]:
    recommend.recommend(actor, inc.pk, limit=20)
prof.disable()
buf = io.StringIO()
pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(14)
lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
print(json.dumps({"units": len(points), "on_network": on_network, "table": summary(table_t),
                  "units_q": summary(units_q_t), "offered_q": summary(offered_q_t),
                  "slim_q": summary(slim_q_t), "http": summary(http_t), "bad": bad, "floor": summary(floor_t), "paired_ratio_median": statistics.median(ratios),
                  "load_after_paired": load_after,
                  "sweep": summary(sweep_t), "paths": summary(path_t), "snaps": summary(snap_t),
                  "recommend": summary(total_t), "serialise": summary(serial_t), "body_bytes": len(body),
                  "per_call": per_call, "calls": calls, "snaps_per_call": statistics.median(nsnap),
                  "sql": len(sql), "sql_sample": [s[:160] for s in sql],
                  "client": summary(client_t), "profile": lines[start:start + 15],
                  "returned": len(out["units"]), "first_eta": out["units"][0]["eta_seconds"]}))
"""


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def bench_database(kind: str, units: int, requests: int, incidents: int) -> dict:
    print(f"\n== {kind}: fresh database, regions 64.71, Balikpapan roads, {units} units ({load()})", flush=True)
    data_dir = Path(os.environ.get("SIAGA_DATA_DIR") or REPO.parent / "shared" / "data")
    roads = data_dir / "roads" / "balikpapan_kota_drive.graphml"
    t0 = time.perf_counter()
    with fresh_database(kind) as (env, _target):
        siaga(env, "import", "regions", "--within", "64.71", "--no-progress")
        siaga(env, "import", "roads", str(roads), "--region", "64.71", "--no-progress")
        setup = django_child(env, SETUP, str(units), str(incidents), json.dumps(KECAMATAN))
        print(f"   setup {time.perf_counter() - t0:.1f} s: network {setup['network']['nodes']:,} nodes, "
              f"{setup['network']['arcs']:,} arcs; {len(setup['incidents'])} incidents (regions "
              f"{setup['incident_regions']}); kecamatan {[(c, round(la, 4), round(ln, 4)) for c, la, ln in setup['kecamatan']]}",
              flush=True)
        headers = {"Authorization": f"Bearer {setup['token']}"}
        print(f"   starting siaga serve ({load()})", flush=True)
        with served(env, ready_path="/api/dispatch/stations", headers=headers) as base:
            inproc = django_child(env, IN_PROCESS, str(requests), setup["token"], json.dumps(setup["incidents"]),
                                  base, "10")
        http = inproc["http"]
        print(f"   paired run, {requests} requests after 10 warm-up, each followed by the baseline for the same "
              f"target (load average {inproc['load_after_paired']:.2f} at its end):", flush=True)
        print(f"     figure: HTTP GET recommendation?limit=20 (1 client): median {ms(http['p50'])}, "
              f"p99 {ms(http['p99'])}" + (f"; {len(inproc['bad'])} bad answers, first: {inproc['bad'][0]}"
                                          if inproc["bad"] else ""), flush=True)
        print(f"     baseline: query.table, {inproc['units']} sources -> 1 target ({inproc['on_network']} on the "
              f"network): median {ms(inproc['table']['p50'])}, p99 {ms(inproc['table']['p99'])}", flush=True)
        print(f"     ratio of medians {http['p50'] / inproc['table']['p50']:.1f}x; median of paired ratios "
              f"{inproc['paired_ratio_median']:.1f}x", flush=True)
        print(f"     bare many-to-one sweep (Engine.times_to, pre-snapped): median {ms(inproc['sweep']['p50'])}, "
              f"p99 {ms(inproc['sweep']['p99'])}", flush=True)
        print(f"     floor: GET /api/dispatch/stations through the server (auth, empty list): median "
              f"{ms(inproc['floor']['p50'])}", flush=True)
        print(f"   in process, server idle ({load()}):", flush=True)
        print(f"     inside query.table: {inproc['units']} x Engine.path median {ms(inproc['paths']['p50'])}; "
              f"{inproc['units']} x Engine.snap median {ms(inproc['snaps']['p50'])}", flush=True)
        print(f"     recommend.recommend(limit=20): median {ms(inproc['recommend']['p50'])}, p99 "
              f"{ms(inproc['recommend']['p99'])}; {inproc['sql']} SQL statements per call; "
              f"{inproc['snaps_per_call']:.0f} Engine.snap calls per call", flush=True)
        print("     time per recommendation (mean over the runs; indented lines are inside the line above):",
              flush=True)
        for label, secs in inproc["per_call"].items():
            print(f"       {label:45s} {secs * 1000:8.1f} ms  ({inproc['calls'][label]:.0f} calls)", flush=True)
        print(f"     inside candidates: units query (model instances, 3 joins) median {ms(inproc['units_q']['p50'])}; "
              f"mutual-aid query with exclude(pk__in=<{inproc['units']} ids>) median {ms(inproc['offered_q']['p50'])}; "
              f"the same units as values_list of the 15 needed columns median {ms(inproc['slim_q']['p50'])}",
              flush=True)
        print(f"       {'response schema + JSON (' + str(inproc['body_bytes']) + ' bytes)':45s} "
              f"{inproc['serialise']['p50'] * 1000:8.1f} ms", flush=True)
        print(f"     django.test.Client GET (view, auth, schema, no HTTP): median {ms(inproc['client']['p50'])}, "
              f"p99 {ms(inproc['client']['p99'])}", flush=True)
        print("     SQL of one call:", flush=True)
        for q in inproc["sql_sample"]:
            print("       ", q, flush=True)
        print("     cProfile of 10 calls, by own time:", flush=True)
        for ln in inproc["profile"]:
            print("       ", ln, flush=True)
    return {"http": http, "inproc": inproc}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--requests", type=int, default=200, help="timed requests (and in-process runs)")
    p.add_argument("--incidents", type=int, default=20, help="incidents the requests cycle over")
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    a = p.parse_args()
    print(machine_line())
    print("client (httpx, one thread) and server (siaga serve, 1 uvicorn worker) share the same cores")
    results = {}
    for kind in a.db.split(","):
        if kind == "postgres" and postgres_version() is None:
            print("\n== postgres: SKIPPED - no PostgreSQL server reachable (SIAGA_BENCH_PG, default "
                  "postgres://siaga:siaga@127.0.0.1:5432/postgres)")
            continue
        results[kind] = bench_database(kind, a.units, a.requests, a.incidents)
    print(f"\nsummary ({load()}): recommendation through HTTP vs the engine's table ({a.units} sources -> 1 target) [baseline]")
    for kind, r in results.items():
        h, b = r["http"], r["inproc"]["table"]
        print(f"  {kind:8s} HTTP median {ms(h['p50'])}, p99 {ms(h['p99'])}; query.table median {ms(b['p50'])}, "
              f"p99 {ms(b['p99'])}; ratio (median) {h['p50'] / b['p50']:.1f}x; bare sweep median "
              f"{ms(r['inproc']['sweep']['p50'])} ({h['p50'] / r['inproc']['sweep']['p50']:.0f}x)")
    return 0 if all(not r["inproc"]["bad"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
