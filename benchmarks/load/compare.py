"""Before/after table of two or more load runs: reads their summary.json files and prints one Markdown table.

    .venv/bin/python benchmarks/load/compare.py "SQLite before=/tmp/siaga-load/full-sqlite-600" \
        "SQLite after=/tmp/siaga-load/after-sqlite-600" ...

Each argument is LABEL=RESULTS_DIR (a run.py results directory). 503 server_busy answers (the in-flight limit
shedding load) are shown apart from the other errors; runs made before the limit existed have none.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def ms(v) -> str:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return "-"
    return f"{f / 1000:.1f} s" if f >= 10_000 else f"{f / 1000:.2f} s" if f >= 1000 else f"{f:,.0f} ms"


def rows(s: dict) -> dict[str, str]:
    r, p, st, q, d = s["reports"], s["positions"], s["streams"], s["requests"], s["database"]
    busy = q.get("busy_503") or 0
    tot = q["total"] or 1
    srv = s["memory"].get("server", {})
    per = {x["name"]: x for x in s["per_request"]}
    opens = per.get("GET /api/stream (open)", {})
    out = {
        "load average (mean / min / max)": f"{s['load_avg']['mean']:.1f} / {s['load_avg']['min']:.1f} / "
                                           f"{s['load_avg']['max']:.1f}",
        "reports acknowledged (201) per s (target 50)": f"**{r['per_s']}** ({r['acked_201']:,})",
        "reports stored per s": f"{r['stored_per_s']}",
        "positions acknowledged per s (target 200)": f"**{p['per_s']}**",
        "positions stored per s": f"{p['stored_per_s']}",
        "requests sent": f"{q['total']:,}",
        "503 server_busy (shed)": f"{busy:,} ({busy / tot * 100:.1f} %)",
        "other errors": f"{q['failures'] - busy:,} ({(q['failures'] - busy) / tot * 100:.1f} %)",
        "report retries after 503 (same key)": f"{q.get('report_busy_retries', 0):,}",
        "stream opens ok / failed": f"{st['connects']} / {opens.get('failures', 0):,}",
        "stream events received": f"{st['events']:,}",
        "unit.position lag on the stream p50 / p99": (
            f"{st['position_lag_p50_s']:.1f} s / {st['position_lag_p99_s']:.1f} s"
            if st.get("position_lag_p50_s") is not None else "none"),
        "server RSS first / peak": f"{srv.get('first_mb', 0):.0f} / {srv.get('peak_mb', 0):.0f} MB",
        "server threads peak": f"{srv.get('threads_peak', '-')}",
        "server CPU (cores, mean)": f"{srv.get('cpu_cores_mean', '-')}",
        "PostgreSQL connections peak (load db / server)": (
            f"{s['pg_connections_peak']} / {s['pg_connections_all_peak']}"
            if s.get("pg_connections_peak") is not None else "-"),
        "acked reports lost / stored twice / dup. numbers": (
            f"**{d.get('acked_lost')} / {d.get('stored_more_than_once')} / {d.get('duplicate_incident_numbers')}**"),
        "reports stored without a 201 seen": f"{d.get('stored_not_acked')}",
    }
    for name in ("POST incident", "POST incident (retry after 503, same key)", "POST incident (retry, same key)",
                 "POST position", "GET /api/stream (open)", "dashboard: incident board fragment",
                 "dashboard: GET open incidents (API)", "dashboard: dispatch console state",
                 "dashboard: call-centre evaluation page", "dashboard: fleet statistics page", "POST /login/"):
        x = per.get(name)
        out[f"`{name}`: count / p50 / p99"] = (f"{x['count']:,} / {ms(x['p50_ms'])} / {ms(x['p99_ms'])}"
                                              if x else "-")
    return out


def main(argv: list[str]) -> int:
    runs = []
    for arg in argv:
        label, _, path = arg.partition("=")
        runs.append((label, rows(json.loads((Path(path) / "summary.json").read_text()))))
    keys = list(dict.fromkeys(k for _, r in runs for k in r))
    print("| figure | " + " | ".join(label for label, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    for k in keys:
        print(f"| {k} | " + " | ".join(r.get(k, "-") for _, r in runs) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
