"""Benchmark: the year in one page (/laporan/tahunan/) for PMI Kota Mojokerto's demo year, against plain counts.

Data: the demo (`siaga demo`: regions, organisations, fleet, blood stock, and `siaga.annual.demo.load_year`, a year
of PMI Kota Mojokerto's calls, incidents, dispatches, donations, issues, outdated units and relief distributions)
on a fresh SQLite database. The leader `ketua.pmi` reads the current year.

Figures, each the median of --reps runs in one process, side by side:
- report: figures.year_report() (every record of the 11 figures read once, grouped per local month in Python);
- report, each figure reading for itself: the same with the shared reads switched off (the dispatch rows are then
  read four times: dispatches, median response, within target... the way the first version worked);
- XLSX: the report plus the workbook with every figure's records on its own sheet;
- baseline: one GROUP BY month COUNT per figure's table in SQL (calls, dispatches, donations, issued units,
  outdated units, distributions) for the same organisation tree and year: the least any report must read.

    .venv/bin/python benchmarks/bench_annual.py             # about a minute, most of it loading the demo
    .venv/bin/python benchmarks/bench_annual.py --reps 9
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _support  # noqa: E402
from _support import fresh_database, load, machine_line, siaga  # noqa: E402


def _timed(fn, reps: int) -> float:
    times = []
    for _i in range(reps):
        a = time.perf_counter()
        fn()
        times.append(time.perf_counter() - a)
    return statistics.median(times)


def _measure(args) -> dict:
    import contextlib

    from django.db.models import Count
    from django.db.models.functions import ExtractMonth

    from siaga.annual import exports, figures
    from siaga.blood.models import Donation, IssueItem
    from siaga.callcenter.models import Call
    from siaga.core.models import User
    from siaga.core.permissions import actor_for
    from siaga.disaster.logistics.models import Distribution
    from siaga.dispatch.models import Dispatch

    actor = actor_for(User.objects.get(username="ketua.pmi"))
    y = figures.year_for(actor)
    report = figures.year_report(actor, y)
    counts = {row["figure"].key: row["records"] for row in report["rows"]}

    def plain():
        orgs = list(actor.org_ids)
        out = {}
        for name, qs, field in [
            ("calls", Call.objects.filter(organization__in=orgs), "started_at"),
            ("dispatches", Dispatch.objects.filter(organization__in=orgs), "alerted_at"),
            ("donations", Donation.objects.filter(organization__in=orgs), "collected_at"),
            ("issued", IssueItem.objects.filter(issue__organization__in=orgs), "issue__issued_at"),
            ("distributions", Distribution.objects.filter(organization__in=orgs), "distributed_at"),
        ]:
            rows = (qs.filter(**{f"{field}__gte": y.start, f"{field}__lt": y.end})
                    .annotate(m=ExtractMonth(field, tzinfo=y.tz)).values("m").annotate(n=Count("pk")))
            out[name] = {r["m"]: r["n"] for r in rows}
        return out

    shared = figures.shared_reads

    def unshared():
        figures.shared_reads = contextlib.nullcontext
        try:
            figures.year_report(actor, y)
        finally:
            figures.shared_reads = shared

    def xlsx():
        exports.xlsx_bytes(figures.year_report(actor, y), y)

    result = {
        "year": y.year, "records": counts, "total_records": sum(counts.values()),
        "report": _timed(lambda: figures.year_report(actor, y), args.reps),
        "unshared": _timed(unshared, args.reps),
        "xlsx": _timed(xlsx, max(1, args.reps // 2)),
        "baseline": _timed(plain, args.reps),
        "xlsx_bytes": len(exports.xlsx_bytes(report, y)),
    }
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--phase", choices=["measure"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        import django

        django.setup()
        print(json.dumps(_measure(args)))
        return 0

    print(machine_line())
    a = time.perf_counter()
    with fresh_database("sqlite") as (env, _target):
        b = time.perf_counter()
        siaga(env, "import", "regions")
        siaga(env, "demo")
        setup_s = time.perf_counter() - b
        out = subprocess.run([sys.executable, __file__, "--phase", "measure", "--reps", str(args.reps)], env=env,
                             cwd=_support.REPO, capture_output=True, text=True)
        if out.returncode:
            sys.stderr.write(out.stderr)
            return out.returncode
        m = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"data: the demo year of PMI Kota Mojokerto, {m['year']} so far: "
          + ", ".join(f"{k} {v:,}" for k, v in m["records"].items())
          + f" ({m['total_records']:,} records in all); regions + demo loaded in {setup_s:.0f} s")
    print(f"report (shared reads)            {m['report'] * 1000:8.1f} ms")
    print(f"report, each figure reads itself {m['unshared'] * 1000:8.1f} ms   "
          f"ratio {m['unshared'] / m['report']:.2f}x")
    print(f"report + XLSX with every record  {m['xlsx'] * 1000:8.1f} ms   ({m['xlsx_bytes'] / 1024:,.0f} KiB)")
    print(f"baseline: GROUP BY month counts  {m['baseline'] * 1000:8.1f} ms   "
          f"ratio report / baseline {m['report'] / m['baseline']:.1f}x")
    print(f"whole run {time.perf_counter() - a:.0f} s; {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
