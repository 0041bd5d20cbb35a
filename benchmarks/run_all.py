"""Run every benchmarks/bench_*.py in turn; each prints its figure, its baseline's figure and the ratio."""

import subprocess
import sys
from pathlib import Path

here = Path(__file__).parent
rc = 0
for script in sorted(here.glob("bench_*.py")):
    print(f"=== {script.name}", flush=True)
    rc |= subprocess.call([sys.executable, str(script)])
sys.exit(rc)
