"""Disaster-surge load run: a fresh database, the seed, the server, locust headless, memory sampling, a summary.

    .venv/bin/pip install -e '.[load]'        # locust and psutil (or: .venv/bin/pip install locust)
    .venv/bin/python benchmarks/load/run.py --db sqlite                  # siaga serve, 1 process, 600 s
    .venv/bin/python benchmarks/load/run.py --db postgres --workers 2    # + SIAGA_BUS=redis, 1 huey consumer
    .venv/bin/python benchmarks/load/run.py --db sqlite --duration 60    # a short check

SQLite: a new database in /tmp/siaga-load/sqlite (SIAGA_VAR_DIR), served by `siaga serve` (one uvicorn
process, the in-process bus, no separate consumer: the embedded default).
PostgreSQL: database `siaga_load` dropped and created again on --pg (the role needs CREATEDB), served by
`siaga serve --workers N` with SIAGA_BUS=redis://... and one `siaga worker` huey consumer.

Both: `siaga migrate`, regions 35.16 and 35.76, then seed.py (organisations, 1,000 units with tracker
tokens, call-takers, 300 operators, dashboard users). The load (see locustfile.py): 50 incident reports/s,
1,000 trackers each posting a position every 5 s, 300 open live streams, 5 dashboards. Every few seconds
the RSS and CPU of the server processes (and of locust, which shares the cores) and the load average are
sampled. At the end the database is checked against the answers: every report acknowledged with 201 must
be stored exactly once. Writes summary.json and summary.md to --out and prints the summary.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE.parent))

from _support import free_port, machine_line, percentile  # noqa: E402

PY = sys.executable
SIAGA = [PY, "-m", "siaga.cli"]
LOCUST = str(Path(PY).with_name("locust"))

# Child process: what the database holds after the run, against the keys locust saw acknowledged.
CHECK = r"""
import os, sys, json, re
import django
django.setup()
from django.db.models import Count
from siaga.callcenter.models import Incident, Referral
from siaga.dispatch.models import PositionReport, Unit
from siaga.core.models import OutboxEvent
acked = json.load(open(sys.argv[1]))["acked_keys"]
keys = {}
for d in Incident.objects.filter(description__contains="[load:").values_list("description", flat=True).iterator():
    m = re.search(r"\[load:([0-9a-f-]+)\]", d)
    if m:
        keys[m.group(1)] = keys.get(m.group(1), 0) + 1
acked_set = set(acked)
numbers = Incident.objects.values("organization_id", "number").annotate(n=Count("id")).filter(n__gt=1).count()
print(json.dumps({
    "incidents": Incident.objects.count(),
    "incidents_from_load": sum(keys.values()),
    "acked": len(acked), "acked_distinct": len(acked_set),
    "acked_lost": len([k for k in acked_set if k not in keys]),
    "stored_more_than_once": len([k for k, n in keys.items() if n > 1]),
    "stored_not_acked": len([k for k in keys if k not in acked_set]),
    "duplicate_incident_numbers": numbers,
    "referrals": Referral.objects.count(),
    "positions": PositionReport.objects.count(),
    "units_with_position": Unit.objects.filter(position_at__isnull=False).count(),
    "outbox_events": OutboxEvent.objects.count(),
    "outbox_unpublished": OutboxEvent.objects.filter(published_at__isnull=True).count()
        if hasattr(OutboxEvent, "published_at") else None,
}))
"""


def say(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def run(cmd: list[str], env: dict, log: Path | None = None) -> None:
    with open(log, "a") if log else contextlib.nullcontext() as fh:
        subprocess.run(cmd, env=env, cwd=REPO, check=True, stdout=fh or subprocess.DEVNULL,
                       stderr=subprocess.STDOUT if fh else None)


def _sqlite_copy(src: Path, dst: Path) -> None:
    """A consistent copy (the online backup API: includes what is still in the WAL file)."""
    import sqlite3

    dst.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(src)) as a, contextlib.closing(sqlite3.connect(dst)) as b:
        a.backup(b)


def log_errors(path: Path) -> dict:
    """Tracebacks and error lines in a process log (server, consumer, locust)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return {}
    lines = text.splitlines()
    last = [ln for ln in lines if ln.strip() and not ln.startswith(" ")]
    # Each traceback's cause: its final exception line and the innermost frame of siaga's own code.
    causes: dict[str, int] = {}
    for block in text.split("Traceback (most recent call last):")[1:]:
        if "direct cause of the following exception" in block or "During handling of the above" in block:
            continue  # the inner exception of a chain: the outer one that follows is counted
        frames = re.findall(r'File "[^"]*/src/(siaga/[^"]+)", line (\d+), in (\w+)', block)
        final = next((ln.strip() for ln in block.splitlines() if re.match(r"^[\w.]+(Error|Exception|Exit)\b", ln)),
                     "?")
        where = f"{frames[-1][0]}:{frames[-1][1]} {frames[-1][2]}" if frames else "(outside siaga)"
        key = f"{final[:110]} at {where}"
        causes[key] = causes.get(key, 0) + 1
    return {"tracebacks": text.count("Traceback (most recent call last)"),
            "error_lines": sum(1 for ln in lines if "ERROR" in ln or "Exception" in ln),
            "causes": sorted(([n, k] for k, n in causes.items()), reverse=True)[:12],
            "http_500_paths": _count_paths(lines),
            "last_lines": last[-6:]}


def _count_paths(lines: list[str]) -> dict:
    out: dict[str, int] = {}
    for ln in lines:
        if ln.startswith("Internal Server Error: "):
            path = ln.split(": ", 1)[1].strip()
            out[path] = out.get(path, 0) + 1
    return out


def prepare(a, out: Path) -> dict:
    """A fresh database and var dir; returns the server environment."""
    var = Path(a.var_dir or f"/tmp/siaga-load/{a.db}")
    if var.exists():
        shutil.rmtree(var)
    (var / "static").mkdir(parents=True)
    env = dict(os.environ, SIAGA_VAR_DIR=str(var), DJANGO_SETTINGS_MODULE="siaga.settings", SIAGA_DEBUG="0", SIAGA_SECRET_KEY="siaga-load-test-only-" + "x" * 40, SIAGA_SECURE_COOKIES="0",
               SIAGA_UVICORN_LOG="warning", PYTHONUNBUFFERED="1")
    # Production settings (SIAGA_DEBUG=0) need a secret key; this one lives only as long as the run.
    env.setdefault("SIAGA_SECRET_KEY", secrets.token_urlsafe(48))
    # Plain HTTP on 127.0.0.1 (no TLS proxy in front here): the dashboards' session cookie must travel over it.
    env.setdefault("SIAGA_SECURE_COOKIES", "0")
    env.pop("DATABASE_URL", None)
    # A template with the schema and the regions (the 2-minute part) is kept between runs; each run starts
    # from a copy of it, migrated again in case migrations were added since, so the load data is always new.
    template_sqlite = Path("/tmp/siaga-load/template.sqlite3")
    template_pg = f"{a.pg_db}_template"
    have_template = False
    if a.db == "sqlite":
        env["SIAGA_BUS"] = "memory"
        if template_sqlite.exists() and not a.fresh:
            _sqlite_copy(template_sqlite, var / "siaga.sqlite3")
            have_template = True
    else:
        import psycopg

        admin = psycopg.connect(a.pg + "/postgres", autocommit=True, connect_timeout=5)
        admin.execute(f'DROP DATABASE IF EXISTS "{a.pg_db}" WITH (FORCE)')
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template_pg]).fetchone()
        if exists and not a.fresh:
            admin.execute(f'CREATE DATABASE "{a.pg_db}" TEMPLATE "{template_pg}"')
            have_template = True
        else:
            admin.execute(f'CREATE DATABASE "{a.pg_db}"')
        # The server is shared: cap this database's connections so a saturated run cannot take the slots
        # other users of the same PostgreSQL need (over the cap, connecting fails as it would at max_connections).
        if a.pg_conn_limit:
            admin.execute(f'ALTER DATABASE "{a.pg_db}" CONNECTION LIMIT {int(a.pg_conn_limit)}')
        admin.close()
        env["DATABASE_URL"] = f"{a.pg}/{a.pg_db}"
        env["SIAGA_BUS"] = a.redis
    log = out / "setup.log"
    t = time.perf_counter()
    run([*SIAGA, "migrate", "--noinput", "-v0"], env, log)
    if not have_template:
        for within in ("35.16", "35.76"):
            run([*SIAGA, "import", "regions", "--within", within, "--no-progress"], env, log)
        if a.db == "sqlite":
            _sqlite_copy(var / "siaga.sqlite3", template_sqlite)
        else:
            admin = psycopg.connect(a.pg + "/postgres", autocommit=True, connect_timeout=5)
            admin.execute(f'DROP DATABASE IF EXISTS "{template_pg}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{template_pg}" TEMPLATE "{a.pg_db}"')
            admin.close()
    say(f"migrated, regions 35.16 + 35.76 {'from the template' if have_template else 'imported'} "
        f"({time.perf_counter() - t:.0f} s)")
    t = time.perf_counter()
    run([PY, str(HERE / "seed.py"), "--out", str(out / "load.json"), "--units", str(a.units),
         "--operators", str(a.operators), "--reporters", str(a.call_takers)], env, log)
    say(f"seeded ({time.perf_counter() - t:.0f} s): {a.units} units with tracker tokens, {a.operators} operators")
    return env


class Sampler(threading.Thread):
    """RSS and CPU of the server's process tree, the consumer and locust, and the load average."""

    def __init__(self, groups: dict[str, int], every: float, pg_admin: str = "", pg_db: str = ""):
        super().__init__(daemon=True)
        self.groups, self.every = groups, every
        self.pg_admin, self.pg_db = pg_admin, pg_db
        self.rows: list[dict] = []
        self.stop = threading.Event()
        self._cpu: dict[int, float] = {}
        self.t0 = time.monotonic()

    def _tree(self, pid: int):
        import psutil

        try:
            p = psutil.Process(pid)
            return [p, *p.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> dict:
        import psutil

        row = {"t": round(time.monotonic() - self.t0, 1), "load1": os.getloadavg()[0]}
        for name, pid in list(self.groups.items()):
            if not pid:
                continue
            rss = cpu = 0.0
            threads = 0
            for p in self._tree(pid):
                with contextlib.suppress(psutil.Error):
                    rss += p.memory_info().rss
                    threads += p.num_threads()
                    ct = p.cpu_times()
                    total = ct.user + ct.system
                    cpu += total - self._cpu.get(p.pid, total)
                    self._cpu[p.pid] = total
            row[f"{name}_rss_mb"] = round(rss / 2**20, 1)
            row[f"{name}_cpu_s"] = round(cpu, 2)
            row[f"{name}_threads"] = threads
        if self.pg_admin:
            with contextlib.suppress(Exception):
                import psycopg

                with psycopg.connect(self.pg_admin, connect_timeout=3) as conn:
                    row["pg_connections"], row["pg_connections_all"] = conn.execute(
                        "SELECT count(*) FILTER (WHERE datname = %s), count(*) FROM pg_stat_activity",
                        [self.pg_db]).fetchone()
        return row

    def run(self):
        self.sample()  # primes the CPU counters
        while not self.stop.wait(self.every):
            self.rows.append(self.sample())


def start(cmd: list[str], env: dict, log: Path) -> subprocess.Popen:
    fh = open(log, "w")
    return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen | None, timeout: float = 20) -> None:
    """SIGINT to the process group this script started, then SIGKILL when it does not end."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_ready(base: str, token: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}; see its log")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(base + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=3).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit("the server did not answer in time")


def read_stats(prefix: Path) -> tuple[list[dict], list[dict]]:
    rows, fails = [], []
    with contextlib.suppress(FileNotFoundError):
        rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    with contextlib.suppress(FileNotFoundError):
        fails = list(csv.DictReader(open(f"{prefix}_failures.csv")))
    return rows, fails


def steady_rates(prefix: Path, names: list[str]) -> dict:
    """Successful requests/s per name over the last half of the run, from locust's full stats history."""
    out = {}
    with contextlib.suppress(FileNotFoundError):
        rows = [r for r in csv.DictReader(open(f"{prefix}_stats_history.csv")) if r["Name"] in names]
        for name in names:
            mine = [(int(r["Timestamp"]), int(r["Total Request Count"]) - int(r["Total Failure Count"]))
                    for r in rows if r["Name"] == name]
            if len(mine) < 4:
                continue
            t_end, n_end = mine[-1]
            t_mid, n_mid = mine[len(mine) // 2]
            if t_end > t_mid:
                out[name] = (n_end - n_mid) / (t_end - t_mid)
    return out


def ms(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "-"
    return f"{f / 1000:.1f} s" if f >= 10_000 else f"{f:,.0f} ms"


def summarise(a, out: Path, elapsed: float, sampler: Sampler, check: dict, result: dict) -> dict:
    prefix = out / "locust"
    rows, fails = read_stats(prefix)
    by_name = {r["Name"]: r for r in rows}
    total = by_name.get("Aggregated", {})
    names = [r["Name"] for r in rows if r["Name"] != "Aggregated"]
    steady = steady_rates(prefix, names)
    samples = sampler.rows
    loads = [s["load1"] for s in samples]

    def series(key):
        return [s.get(key, 0.0) for s in samples]

    mem = {}
    for g in sampler.groups:
        vals = series(f"{g}_rss_mb")
        if vals and any(vals):
            alive = [v for v in vals if v]  # 0 once the process has exited (locust ends before the last sample)
            mem[g] = {"peak_mb": max(vals), "final_mb": alive[-1], "first_mb": alive[0],
                      "threads_peak": max(series(f"{g}_threads")),
                      "cpu_cores_mean": round(sum(series(f"{g}_cpu_s")) / max(samples[-1]["t"] - samples[0]["t"]
                                                                               + sampler.every, 1), 2)}
    req_total = int(total.get("Request Count", 0) or 0)
    fail_total = int(total.get("Failure Count", 0) or 0)
    inc = by_name.get("POST incident", {})
    pos_name = next((n for n in names if n.startswith("POST position")), "")
    pos = by_name.get(pos_name, {})
    lags = result.get("position_lag_s", [])
    summary = {
        "db": a.db, "workers": a.workers, "consumers": a.consumers if a.db == "postgres" else 0,
        "duration_s": round(elapsed, 1), "machine": machine_line(),
        "load_avg": {"mean": round(statistics.mean(loads), 2) if loads else None,
                     "max": round(max(loads), 2) if loads else None,
                     "min": round(min(loads), 2) if loads else None},
        "target": {"reports_per_s": a.reports_per_s, "positions_per_s": a.units / a.position_seconds,
                   "operators": a.operators, "dashboards": a.dashboards},
        "reports": {"acked_201": len(result.get("acked_keys", [])),
                    "per_s": round(len(result.get("acked_keys", [])) / elapsed, 2),
                    "offered_per_s": round(int(inc.get("Request Count", 0) or 0) / elapsed, 2),
                    "stored_per_s": round((check.get("incidents_from_load") or 0) / elapsed, 2),
                    "per_s_second_half": round(steady.get("POST incident", 0.0), 2),
                    "requests": int(inc.get("Request Count", 0) or 0),
                    "failures": int(inc.get("Failure Count", 0) or 0),
                    "retries": result.get("report_retries", 0), "given_up": result.get("reports_given_up", 0),
                    "replayed": result.get("report_replays", 0),
                    "p50_ms": inc.get("50%"), "p99_ms": inc.get("99%"), "max_ms": inc.get("Max Response Time")},
        "positions": {"requests": int(pos.get("Request Count", 0) or 0),
                      "failures": int(pos.get("Failure Count", 0) or 0),
                      "offered_per_s": round(int(pos.get("Request Count", 0) or 0) * a.tracker_batch / elapsed, 1),
                      "per_s": round((int(pos.get("Request Count", 0) or 0) - int(pos.get("Failure Count", 0) or 0))
                                     * a.tracker_batch / elapsed, 1),
                      "stored_per_s": round((check.get("positions") or 0) / elapsed, 1),
                      "per_s_second_half": round(steady.get(pos_name, 0.0) * a.tracker_batch, 1),
                      "p50_ms": pos.get("50%"), "p99_ms": pos.get("99%"), "statuses": result.get("position_statuses")},
        "streams": {"connects": result.get("stream_connects"), "events": result.get("stream_events"),
                    "events_per_s": round((result.get("stream_events") or 0) / elapsed, 1),
                    "by_type": result.get("stream_events_by_type"), "disconnects": result.get("stream_disconnects"),
                    "errors": result.get("stream_errors"),
                    "position_lag_p50_s": percentile(lags, 50) if lags else None,
                    "position_lag_p99_s": percentile(lags, 99) if lags else None, "lag_samples": len(lags)},
        "requests": {"total": req_total, "failures": fail_total,
                     "error_rate": round(fail_total / req_total, 4) if req_total else None,
                     # From locust's own failure table (the same snapshot as the totals); the locustfile's
                     # counter also sees the last requests answered while locust stops.
                     "busy_503": sum(int(f["Occurrences"]) for f in fails
                                     if "503 server_busy" in f["Error"] or "503 Server Error" in f["Error"]),
                     "busy_503_by_name": result.get("busy_503") or {},
                     "report_busy_retries": result.get("report_busy_retries", 0)},
        "per_request": [{"name": r["Name"], "count": int(r["Request Count"]), "failures": int(r["Failure Count"]),
                         "per_s": round(int(r["Request Count"]) / elapsed, 2), "p50_ms": r["50%"], "p99_ms": r["99%"],
                         "max_ms": r["Max Response Time"]} for r in rows if r["Name"] != "Aggregated"],
        "failures": [{"name": f["Name"], "error": f["Error"][:200], "count": int(f["Occurrences"])} for f in fails],
        "memory": mem,
        "pg_connections_peak": max(series("pg_connections"), default=None) if a.db == "postgres" else None,
        "pg_connections_all_peak": max(series("pg_connections_all"), default=None) if a.db == "postgres" else None,
        "database": check,
        "logs": {name: log_errors(out / f"{name}.log") for name in ("server", "consumer", "locust")},
    }
    return summary


def markdown(s: dict) -> str:
    L = []
    L.append(f"**{s['db']}**, {s['workers']} server process(es)"
             + (f" + {s['consumers']} huey consumer" if s["consumers"] else "")
             + f", {s['duration_s']:.0f} s; load average during the run: mean {s['load_avg']['mean']}, "
             f"min {s['load_avg']['min']}, max {s['load_avg']['max']}")
    L.append("")
    r, p, st = s["reports"], s["positions"], s["streams"]
    L.append("| figure | target | achieved |")
    L.append("|---|---|---|")
    L.append(f"| incident reports acknowledged (201) per s | {s['target']['reports_per_s']:g} | **{r['per_s']}** "
             f"(second half of the run: {r['per_s_second_half']}); first attempts sent {r.get('offered_per_s')}/s, "
             f"stored in the database {r.get('stored_per_s')}/s |")
    L.append(f"| positions acknowledged per s | {s['target']['positions_per_s']:g} | **{p['per_s']}** "
             f"(second half: {p['per_s_second_half']}); sent {p.get('offered_per_s')}/s, stored {p.get('stored_per_s')}/s |")
    L.append(f"| live streams | {s['target']['operators']} | {st['connects']} connects, {st['events']:,} events "
             f"({st['events_per_s']}/s), {st['disconnects']} ended by the server, errors {st['errors'] or 0} |")
    L.append(f"| unit.position lag on the stream (measured_at -> received) | | p50 {st['position_lag_p50_s']} s, "
             f"p99 {st['position_lag_p99_s']} s ({st['lag_samples']} samples) |")
    L.append(f"| error rate (all requests) | 0 | {s['requests']['failures']:,} / {s['requests']['total']:,} = "
             f"{(s['requests']['error_rate'] or 0) * 100:.2f} % |")
    busy = s["requests"].get("busy_503") or 0
    tot = s["requests"]["total"] or 1
    L.append(f"| of which 503 server_busy (shed) / other errors | | {busy:,} ({busy / tot * 100:.2f} %) / "
             f"{s['requests']['failures'] - busy:,} ({(s['requests']['failures'] - busy) / tot * 100:.2f} %); "
             f"report retries after 503: {s['requests'].get('report_busy_retries', 0):,} |")
    d = s["database"]
    L.append(f"| reports acknowledged but not stored / stored twice | 0 / 0 | {d.get('acked_lost')} / "
             f"{d.get('stored_more_than_once')} ({d.get('stored_not_acked')} stored without a 201 seen) |")
    for g, m in s["memory"].items():
        L.append(f"| RSS {g} (first / peak / final) | | {m['first_mb']:.0f} / **{m['peak_mb']:.0f}** / "
                 f"{m['final_mb']:.0f} MB; CPU {m['cpu_cores_mean']} cores on average; up to {m['threads_peak']} "
                 f"threads |")
    if s.get("pg_connections_peak") is not None:
        L.append(f"| PostgreSQL connections (peak: load database / whole server) | | {s['pg_connections_peak']} / "
                 f"{s['pg_connections_all_peak']} |")
    L.append("")
    L.append("| request | count | per s | failures | p50 | p99 | max |")
    L.append("|---|---|---|---|---|---|---|")
    for row in s["per_request"]:
        L.append(f"| {row['name']} | {row['count']:,} | {row['per_s']} | {row['failures']:,} | {ms(row['p50_ms'])} | "
                 f"{ms(row['p99_ms'])} | {ms(row['max_ms'])} |")
    if s["failures"]:
        L.append("")
        L.append("Failures (locust): " + "; ".join(f"{f['count']:,} x {f['name']}: {f['error']}"
                                                   for f in sorted(s["failures"], key=lambda f: -f["count"])[:8]))
    L.append("")
    L.append(f"Database after the run: {d.get('incidents_from_load')} load incidents, {d.get('referrals')} referrals, "
             f"{d.get('positions')} track points, {d.get('units_with_position')} units with a position, "
             f"{d.get('outbox_events')} outbox events; duplicate incident numbers {d.get('duplicate_incident_numbers')}.")
    for name, info in s.get("logs", {}).items():
        if info and info.get("tracebacks") and name != "locust":
            L.append("")
            L.append(f"{name}.log: {info['tracebacks']} tracebacks; 500 answers logged per path: "
                     f"{info.get('http_500_paths') or {}}; causes (count, final exception, innermost siaga frame):")
            for n, cause in info.get("causes", []):
                L.append(f"- {n} x {cause}")
    return "\n".join(L)


def resummarise(a, out: Path) -> int:
    old = json.loads((out / "summary.json").read_text())
    sampler = Sampler({"server": 1, "consumer": 1 if a.db == "postgres" and a.consumers else 0, "locust": 1},
                      a.sample_every)
    sampler.rows = json.loads((out / "samples.json").read_text())
    result = json.loads((out / "locust-result.json").read_text())
    summary = summarise(a, out, old["duration_s"], sampler, old["database"], result)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    md = markdown(summary)
    (out / "summary.md").write_text(md + "\n")
    print(md)
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    p.add_argument("--workers", type=int, default=None, help="uvicorn processes (default 1 on SQLite, 2 on PG)")
    p.add_argument("--consumers", type=int, default=1, help="huey consumer processes (PostgreSQL only)")
    p.add_argument("--duration", type=int, default=600, help="seconds of load")
    p.add_argument("--reports-per-s", type=float, default=50)
    p.add_argument("--reporters", type=int, default=100, help="locust users sharing the report rate")
    p.add_argument("--call-takers", type=int, default=40, help="call-taker tokens the reporters use")
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--position-seconds", type=float, default=5)
    p.add_argument("--tracker-batch", type=int, default=1, help="points per request (1 = single posts)")
    p.add_argument("--operators", type=int, default=300)
    p.add_argument("--dashboards", type=int, default=5)
    p.add_argument("--spawn-rate", type=float, default=100)
    p.add_argument("--sample-every", type=float, default=5)
    p.add_argument("--timeout", type=float, default=30, help="client timeout per request, s")
    p.add_argument("--pg", default="postgres://siaga:siaga@127.0.0.1:5432")
    p.add_argument("--pg-db", default="siaga_load")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--pg-conn-limit", type=int, default=60,
                   help="CONNECTION LIMIT of the load database (0: none; the server's max_connections applies)")
    p.add_argument("--var-dir", default=None)
    p.add_argument("--resummarise", metavar="DIR", default=None,
                   help="only rebuild summary.md/json of a finished run's results directory (same options)")
    p.add_argument("--fresh", action="store_true", help="import the regions again instead of using the template")
    p.add_argument("--out", default=None, help="results directory (default /tmp/siaga-load/results-<db>-<time>)")
    a = p.parse_args()
    a.workers = a.workers or (1 if a.db == "sqlite" else 2)
    if a.resummarise:
        return resummarise(a, Path(a.resummarise))
    if a.workers > 1 and a.db == "sqlite":
        print("several workers need the Redis bus; this script runs SQLite in one process", file=sys.stderr)
        return 2
    out = Path(a.out or f"/tmp/siaga-load/results-{a.db}-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    out.mkdir(parents=True, exist_ok=True)
    say(machine_line())
    say(f"load average before: {os.getloadavg()}")
    env = prepare(a, out)
    data = json.loads((out / "load.json").read_text())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = consumer = locust = None
    sampler = None
    try:
        server = start([*SIAGA, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(a.workers)],
                       env, out / "server.log")
        if a.db == "postgres" and a.consumers > 0:
            consumer = start([*SIAGA, "worker"], env, out / "consumer.log")
        wait_ready(base, data["reporters"][0]["token"], server)
        say(f"server ready at {base} ({a.workers} process(es), bus {env['SIAGA_BUS']})")
        users = a.reporters + a.units + a.operators + a.dashboards
        lenv = dict(env, SIAGA_LOAD_DATA=str(out / "load.json"), SIAGA_LOAD_RESULT=str(out / "locust-result.json"),
                    SIAGA_LOAD_REPORTS_PER_S=str(a.reports_per_s), SIAGA_LOAD_REPORTERS=str(a.reporters),
                    SIAGA_LOAD_POSITION_SECONDS=str(a.position_seconds), SIAGA_LOAD_TRACKER_BATCH=str(a.tracker_batch),
                    SIAGA_LOAD_TRACKERS=str(a.units), SIAGA_LOAD_OPERATORS=str(a.operators),
                    SIAGA_LOAD_DASHBOARDS=str(a.dashboards), SIAGA_LOAD_TIMEOUT=str(a.timeout))
        cmd = [LOCUST, "-f", str(HERE / "locustfile.py"), "--headless", "-u", str(users), "-r", str(a.spawn_rate),
               "-t", f"{a.duration}s", "--host", base, "--csv", str(out / "locust"), "--csv-full-history",
               "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING", "--exit-code-on-error", "0"]
        say(f"locust: {users} users ({a.reporters} reporters -> {a.reports_per_s:g} reports/s, {a.units} trackers every "
            f"{a.position_seconds:g} s, {a.operators} operators on /api/stream, {a.dashboards} dashboards) for "
            f"{a.duration} s")
        t0 = time.monotonic()
        locust = start(cmd, lenv, out / "locust.log")
        sampler = Sampler({"server": server.pid, "consumer": consumer.pid if consumer else 0, "locust": locust.pid},
                          a.sample_every, *((a.pg + "/postgres", a.pg_db) if a.db == "postgres" else ()))
        sampler.start()
        next_note = t0 + 60
        while locust.poll() is None:
            time.sleep(1)
            if time.monotonic() >= next_note and sampler.rows:
                s = sampler.rows[-1]
                say(f"  t={s['t']:.0f} s load {s['load1']:.2f} server RSS {s.get('server_rss_mb')} MB "
                    f"locust RSS {s.get('locust_rss_mb')} MB")
                next_note += 60
            if time.monotonic() - t0 > a.duration + 120:
                say("locust did not stop: interrupting it")
                stop(locust)
        elapsed = min(time.monotonic() - t0, a.duration)
        sampler.stop.set()
        sampler.join()
        say(f"locust finished (exit {locust.returncode}); checking the database")
    finally:
        stop(locust)
        stop(server)
        stop(consumer)
    result = {}
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        result = json.loads((out / "locust-result.json").read_text())
    check = {}
    if result:
        res = subprocess.run([PY, "-c", CHECK, str(out / "locust-result.json")], env=env, cwd=REPO,
                             capture_output=True, text=True)
        if res.returncode == 0:
            check = json.loads(res.stdout.strip().splitlines()[-1])
        else:
            check = {"error": res.stderr[-500:]}
    summary = summarise(a, out, elapsed, sampler, check, result)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    (out / "samples.json").write_text(json.dumps(sampler.rows))
    md = markdown(summary)
    (out / "summary.md").write_text(md + "\n")
    print()
    print(md)
    print(f"\nresults in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
