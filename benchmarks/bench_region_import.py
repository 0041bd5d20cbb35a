"""Benchmark: full Kemendagri region import (91,599 rows) into a fresh SQLite database vs a row-by-row baseline."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIAGA = [sys.executable, "-m", "siaga.cli"]

# Run in a child process against its own database: the row-by-row way the importer avoids.
BASELINE = """
import os, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
import django; django.setup()
from django.conf import settings
from django.db import transaction
from siaga.geo.models import Region
from siaga.geo.search import normalize
from siaga.geo.services import read_region_csvs
limit = int(sys.argv[1])
rows = list(read_region_csvs(settings.REGIONS_DIR).items())[:limit]
t = time.perf_counter()
with transaction.atomic():
    for code, (name, level, parent) in rows:
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent,
                                                             "search_key": normalize(name)})
print(len(rows), time.perf_counter() - t)
"""


def run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def fresh_env(tmp: str) -> dict:
    env = dict(os.environ, SIAGA_VAR_DIR=tmp, DJANGO_SETTINGS_MODULE="siaga.settings")
    env.pop("DATABASE_URL", None)  # always a fresh SQLite file in the temporary folder
    subprocess.run([*SIAGA, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=REPO)
    return env


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--baseline-rows", type=int, default=10_000, help="rows the row-by-row baseline writes")
    a = p.parse_args()
    total = 91_599
    with tempfile.TemporaryDirectory(prefix="siaga-bench-") as tmp:
        env = fresh_env(tmp)
        first = run([*SIAGA, "import_regions", "--no-progress"], env)
        second = run([*SIAGA, "import_regions", "--no-progress"], env)
    with tempfile.TemporaryDirectory(prefix="siaga-bench-") as tmp:
        env = fresh_env(tmp)
        out = subprocess.run([sys.executable, "-c", BASELINE, str(a.baseline_rows)], env=env, check=True, cwd=REPO,
                             capture_output=True, text=True).stdout.split()
        base_rows, base_s = int(out[0]), float(out[1])
    bulk_rate, base_rate = total / first, base_rows / base_s
    print(f"full import, fresh SQLite : {first:6.2f} s  ({bulk_rate:,.0f} rows/s, {total:,} rows, process start included)")
    print(f"second run (no changes)   : {second:6.2f} s")
    print(f"row-by-row update_or_create: {base_rate:,.0f} rows/s ({base_rows:,} rows in {base_s:.2f} s, one transaction) "
          f"[baseline]; all rows would take about {total / base_rate:.0f} s")
    print(f"ratio bulk/baseline       : {bulk_rate / base_rate:.1f}x")
    print(f"budget 30 s               : {'met' if first < 30 else 'MISSED'}")
    return 0 if first < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
