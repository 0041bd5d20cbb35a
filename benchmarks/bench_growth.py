"""Benchmark: WHO z-score throughput of the vectorised growth.compute vs a plain-Python per-child loop."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _support import load, machine_line  # noqa: E402


def synthetic_children(n: int, seed: int):
    """Posyandu-like children 0-59 months: weights and lengths drawn around the WHO medians (sd 1.2)."""
    import numpy as np

    from siaga.health import growth

    rng = np.random.default_rng(seed)
    t = growth.tables()
    sex = rng.integers(1, 3, n)
    age = rng.integers(0, 1826, n).astype(float)
    row, col = sex - 1, age.astype(int)

    def draw(tab):
        z = rng.normal(-0.5, 1.2, n)
        return growth.lms_value(z, tab.l[row, col], tab.m[row, col], tab.s[row, col])

    weight = np.round(draw(t["wfa"]), 2)
    length = np.round(draw(t["lhfa"]), 1)
    measure = np.where(rng.random(n) < 0.9, np.where(age < 731, "l", "h"), np.where(age < 731, "h", "l"))
    # about 10 % measured in the other position, as in the field
    length = np.where((measure == "h") & (age < 731), length - 0.7, length)
    length = np.where((measure == "l") & (age >= 731), length + 0.7, length)
    return sex, age, weight, length, measure


def plain_python(sex, age, weight, length, measure):
    """The same rules child by child with Python floats and list lookups: the baseline."""
    from siaga.health import growth

    t = growth.tables()
    tabs = {k: (v.start, v.step, v.l.tolist(), v.m.tolist(), v.s.tolist()) for k, v in t.items()}

    def z_of(y, L, M, S, restricted):
        z = ((y / M) ** L - 1) / (S * L)
        if restricted and abs(z) > 3:
            def at(sd):
                return M * (1 + L * S * sd) ** (1 / L)
            if z > 3:
                z = 3 + (y - at(3)) / (at(3) - at(2))
            else:
                z = -3 + (y - at(-3)) / (at(-2) - at(-3))
        return z

    out = []
    for sx, a, w, lh, ms in zip(sex.tolist(), age.tolist(), weight.tolist(), length.tolist(), measure.tolist()):
        d = math.floor(a + 0.5)
        r = sx - 1
        if d < 731 and ms == "h" and a / growth.DAYS_PER_MONTH >= 9:
            lh += 0.7
        elif d >= 731 and ms == "l":
            lh -= 0.7
        _s, _st, L, M, S = tabs["lhfa"]
        zlen = z_of(lh, L[r][d], M[r][d], S[r][d], False)
        _s, _st, L, M, S = tabs["wfa"]
        zwei = z_of(w, L[r][d], M[r][d], S[r][d], True)
        bmi = w / (lh / 100) ** 2
        _s, _st, L, M, S = tabs["bmi"]
        zbmi = z_of(bmi, L[r][d], M[r][d], S[r][d], True)
        start, _st, L, M, S = tabs["wfl" if d < 731 else "wfh"]
        lo, hi = (45.0, 110.0) if d < 731 else (65.0, 120.0)
        zwfl = float("nan")
        if lo <= lh <= hi:
            tenths = math.trunc(lh * 10)
            frac = lh * 10 - tenths
            c = tenths - round(start * 10)
            c2 = min(c + 1, len(L[r]) - 1)
            li = L[r][c] + frac * (L[r][c2] - L[r][c])
            mi = M[r][c] + frac * (M[r][c2] - M[r][c])
            si = S[r][c] + frac * (S[r][c2] - S[r][c])
            zwfl = z_of(w, li, mi, si, True)
        out.append((zlen, zwei, zwfl, zbmi))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--children", type=int, default=1_000_000)
    ap.add_argument("--baseline-children", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=8)
    args = ap.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    os.environ.setdefault("SIAGA_VAR_DIR", "/tmp/siaga-bench-growth")
    import django

    django.setup()
    import numpy as np

    from siaga.health import growth

    growth.tables()  # read once, outside the timings
    data = synthetic_children(args.children, args.seed)

    t0 = time.perf_counter()
    r = growth.compute(*data)
    vec_s = time.perf_counter() - t0

    nb = min(args.baseline_children, args.children)
    sub = tuple(a[:nb] for a in data)
    t0 = time.perf_counter()
    base = plain_python(*sub)
    base_s = time.perf_counter() - t0

    # Same answers, or the comparison means nothing.
    base_arr = np.array(base)
    ours = np.column_stack([r["zlen"][:nb], r["zwei"][:nb], r["zwfl"][:nb], r["zbmi"][:nb]])
    both = ~np.isnan(base_arr) & ~np.isnan(ours)
    max_diff = float(np.max(np.abs(base_arr[both] - ours[both])))

    vec_rate = args.children / vec_s
    base_rate = nb / base_s
    print(machine_line())
    print(load())
    print(f"children: {args.children:,} vectorised, {nb:,} in the baseline loop; 4 indicators each")
    print(f"growth.compute (numpy):   {vec_s * 1000:9.1f} ms  {vec_rate:14,.0f} children/s")
    print(f"baseline (Python loop):   {base_s * 1000:9.1f} ms  {base_rate:14,.0f} children/s")
    print(f"ratio: {vec_rate / base_rate:.1f}x   (max |difference| between the two: {max_diff:.2e})")


if __name__ == "__main__":
    main()
