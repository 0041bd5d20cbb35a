"""Benchmark: the PWS dashboard of a kab/kota with 1 million measurements, cold and warm, against a plain aggregate
query from the same run; and WHO z-score throughput, one child at a time (growth.assess) against vectorised
(growth.compute).

Synthetic kab/kota "35.76" (a realistic shape, not real children): 5 kecamatan x 10 kelurahan = 50 kelurahan,
6 posyandu per kelurahan (300), about 23,500 children born over the ten months before the window so each is
under five throughout it, weighed in 85 % of the 50 months (D/S about 0.85). Each child has its own latent
z-scores (length-for-age N(-1.2, 1.1), weight-for-age N(-0.9, 1.1)) plus monthly noise; weights and lengths are
drawn from the WHO LMS tables at the child's age, then z-scores and Permenkes categories are computed with
growth.compute/classify, so stunting comes out near 22 %, underweight near 17 %, wasting near 7 % (SSGI 2022:
21.6 %, 17.1 %, 7.7 %). The KMS result (N/T/O/B, 2T) follows kms.py's rule on consecutive months. Rows go in
with executemany in batches of 20,000.

Figures (the caller is a health worker of the Dinas Kesehatan seeing all 300 posyandu):
- dashboard: what /posyandu/pws/wilayah/35.76/ asks for: pws.area_summary (the month and one row per
  kecamatan), pws.area_trend (12 months) and pws.area_map (the month per kelurahan); "cold" is the first call in a
  new process with a new connection and an empty figure cache (SQLite's page cache empty; the OS file cache holds
  the file, which was just written), "warm" the median of 5 further calls (served from pws's figure cache, keyed
  by the last health event's id), "recomputed" the median of 5 calls with the figure cache emptied before each
  (the cost after every new measurement);
- baseline: one plain GROUP BY: COUNT(*) of the month's measurements per kelurahan, cold and warm the same way;
- a kelurahan's dashboard (6 posyandu), warm, for scale;
- z-scores: growth.assess per measurement (the scalar path record_measurement uses) on 20,000 rows against
  growth.compute on all rows at once.

    .venv/bin/python benchmarks/bench_pws.py                           # SQLite, a fresh temporary database
    .venv/bin/python benchmarks/bench_pws.py --measurements 200000     # a quicker run
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
from _support import fresh_database, load, machine_line  # noqa: E402

KABKOTA = "35.76"
KECAMATAN = 5
KELURAHAN_PER_KECAMATAN = 10
POSYANDU_PER_KELURAHAN = 6
MONTHS = 50
WEIGHED_SHARE = 0.85
BATCH = 20_000


def _window():
    from siaga.health import indicators
    from siaga.health.services import today_local

    today = today_local()
    last = indicators.month_index(today.year, today.month)
    return last - MONTHS + 1, last


def _setup(args) -> dict:
    """Organisations, posyandu, children and measurements; returns counts and timings."""
    import datetime as dt

    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from siaga.core.models import Membership, Organization, User
    from siaga.geo.models import Region
    from siaga.health import growth, indicators, kms
    from siaga.health.models import Measurement, Person, Posyandu

    rng = np.random.default_rng(args.seed)
    t_start = time.perf_counter()
    first_mi, last_mi = _window()
    n_children = int(round(args.measurements / (MONTHS * WEIGHED_SHARE)))

    # --- areas and organisations --------------------------------------------------------------------
    Region.objects.get_or_create(code="35", defaults={"name": "Jawa Timur", "level": 1})
    Region.objects.update_or_create(code=KABKOTA, defaults={"name": "Kota Sintetis", "level": 2, "parent_id": "35"})
    dinkes = Organization.objects.create(code="dinkes-bench", name="Dinkes Sintetis", kind="health_office",
                                         region_code=KABKOTA)
    kelurahan = []
    posyandu = []
    n = 0
    for k in range(1, KECAMATAN + 1):
        kec = f"{KABKOTA}.{k:02d}"
        Region.objects.update_or_create(code=kec, defaults={"name": f"Kecamatan {k}", "level": 3,
                                                            "parent_id": KABKOTA})
        pusk = Organization.objects.create(code=f"pkm-{k}", name=f"Puskesmas {k}", kind="puskesmas",
                                           region_code=kec, parent=dinkes)
        for j in range(1, KELURAHAN_PER_KECAMATAN + 1):
            kel = f"{kec}.{1000 + j}"
            kelurahan.append(kel)
            Region.objects.update_or_create(code=kel, defaults={"name": f"Kelurahan {k}-{j}", "level": 4,
                                                                "parent_id": kec})
            for _p in range(POSYANDU_PER_KELURAHAN):
                n += 1
                org = Organization.objects.create(code=f"py-{n}", name=f"Posyandu {n}", kind="posyandu",
                                                  region_code=kel, parent=pusk)
                posyandu.append(Posyandu.objects.create(organization=org, name=f"Posyandu {n}", region_code=kel))
    user = User.objects.create_user(username="bidan.bench", password="x")
    Membership.objects.create(user=user, organization=dinkes, role="health_worker", scope_code=KABKOTA)

    # --- children -------------------------------------------------------------------------------------
    window_start = dt.date(*indicators.year_month(first_mi), 1)
    birth_offsets = rng.integers(1, 300, n_children)  # born 1-300 days before the window opens
    births = [window_start - dt.timedelta(days=int(d)) for d in birth_offsets]
    sexes = rng.integers(1, 3, n_children)
    which = rng.integers(0, len(posyandu), n_children)
    persons = [Person(organization_id=posyandu[w].organization_id, posyandu_id=posyandu[w].pk,
                      region_code=posyandu[w].region_code, name=f"Anak {i}", sex="M" if s == 1 else "F",
                      birth_date=b) for i, (w, s, b) in enumerate(zip(which, sexes, births))]
    Person.objects.bulk_create(persons, batch_size=5000)
    person_ids = np.array(list(Person.objects.order_by("pk").values_list("pk", flat=True)))
    t_people = time.perf_counter()

    # --- measurements: one per child per weighed month, on the posyandu day (10th) -------------------------
    months = np.arange(first_mi, last_mi + 1)
    weighed = rng.random((n_children, MONTHS)) < WEIGHED_SHARE
    child_idx, month_idx = np.nonzero(weighed)
    total = len(child_idx)
    day = np.array([dt.date(*indicators.year_month(int(m)), 10).toordinal() for m in months])
    measured_ord = day[month_idx]
    birth_ord = np.array([b.toordinal() for b in births])
    age_days = measured_ord - birth_ord[child_idx]
    sex = sexes[child_idx]
    t = growth.tables()
    z_len_child = rng.normal(-1.2, 1.1, n_children)
    z_wfl_child = rng.normal(0.1, 0.95, n_children)
    z_len = z_len_child[child_idx] + rng.normal(0, 0.03, total)
    a = np.minimum(age_days, t["lhfa"].size - 1)
    row = sex - 1
    length_cm = growth.lms_value(z_len, t["lhfa"].l[row, a], t["lhfa"].m[row, a], t["lhfa"].s[row, a])
    measure = np.where(age_days < 731, "l", "h")
    # Weight from weight-for-length/height at the child's length, so wasting and stunting are not tied together.
    wfl_z = z_wfl_child[child_idx] + rng.normal(0, 0.12, total)
    median_w = growth.lms_value(0.0, t["wfa"].l[row, a], t["wfa"].m[row, a], t["wfa"].s[row, a])
    median_len = growth.lms_value(0.0, t["lhfa"].l[row, a], t["lhfa"].m[row, a], t["lhfa"].s[row, a])
    weight_kg = median_w * (length_cm / median_len) ** 2.3 * np.exp(0.09 * wfl_z)
    weight_kg = np.round(weight_kg, 1)
    length_cm = np.round(length_cm, 1)

    a0 = time.perf_counter()
    z = growth.compute(sex, age_days.astype(float), weight_kg, length_cm, measure)
    vector_s = time.perf_counter() - a0
    cats = {k: growth.classify(k, z[col]) for k, col in (("wfa", "zwei"), ("lhfa", "zlen"), ("wflh", "zwfl"))}

    sample = min(args.scalar_sample, total)
    a0 = time.perf_counter()
    for i in range(sample):
        growth.assess(int(sex[i]), float(age_days[i]), float(weight_kg[i]), float(length_cm[i]), str(measure[i]))
    scalar_s = time.perf_counter() - a0

    # KMS result on consecutive rows of a child (rows are sorted by child, then month).
    weight_g = (weight_kg * 1000).astype(int)
    same_child = np.r_[False, child_idx[1:] == child_idx[:-1]]
    consecutive = same_child & np.r_[False, month_idx[1:] == month_idx[:-1] + 1]
    gain = np.r_[0, weight_g[1:] - weight_g[:-1]]
    age_months = age_days // 30
    minimum = np.where(age_months >= 12, kms.MINIMUM_GAIN_FROM_12_MONTHS_G,
                       np.vectorize(lambda m: kms.minimum_gain_g(int(m)))(np.clip(age_months, 1, 11)))
    status = np.where(~same_child, "B", np.where(~consecutive, "O", np.where(gain >= minimum, "N", "T")))
    prev_t = np.r_[False, status[:-1] == "T"] & consecutive
    referral = (status == "T") & prev_t

    now = timezone.now()
    org_of = np.array([p.organization_id for p in posyandu])[which]
    kel_of = np.array([p.region_code for p in posyandu])[which]
    table = Measurement._meta.db_table
    cols = ["organization_id", "region_code", "person_id", "measured_on", "age_days", "weight_g",
            "length_height_mm", "position", "oedema", "z_wfa", "z_lhfa", "z_wflh", "category_wfa", "category_lhfa",
            "category_wflh", "category_bmi", "implausible", "implausible_indicators", "growth_status",
            "weight_gain_g", "minimum_gain_g", "needs_referral", "source", "created_at", "updated_at"]
    sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'

    def nan_none(x):
        return None if x != x else round(float(x), 2)

    a0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        for start in range(0, total, BATCH):
            rows = []
            for i in range(start, min(start + BATCH, total)):
                c = child_idx[i]
                rows.append((int(org_of[c]), str(kel_of[c]), int(person_ids[c]),
                             dt.date.fromordinal(int(measured_ord[i])).isoformat(), int(age_days[i]),
                             int(weight_g[i]), int(round(length_cm[i] * 10)),
                             "lying" if measure[i] == "l" else "standing", False, nan_none(z["zwei"][i]),
                             nan_none(z["zlen"][i]), nan_none(z["zwfl"][i]), str(cats["wfa"][i]),
                             str(cats["lhfa"][i]),
                             str(cats["wflh"][i]), "", False, "[]", str(status[i]),
                             int(gain[i]) if same_child[i] else None,
                             int(minimum[i]) if consecutive[i] else None, bool(referral[i]), "bench", now, now))
            cur.executemany(sql, rows)
    insert_s = time.perf_counter() - a0
    with connection.cursor() as cur:
        cur.execute("ANALYZE") if connection.vendor == "sqlite" else cur.execute(f'ANALYZE "{table}"')

    last = cats["lhfa"][month_idx == MONTHS - 1]
    wfl_last = cats["wflh"][month_idx == MONTHS - 1]
    wfa_last = cats["wfa"][month_idx == MONTHS - 1]
    return {
        "children": n_children, "posyandu": len(posyandu), "kelurahan": len(kelurahan), "measurements": total,
        "insert_s": round(insert_s, 1), "people_s": round(t_people - t_start, 1),
        "setup_s": round(time.perf_counter() - t_start, 1),
        "stunting": float(np.isin(last, ("stunted", "severely_stunted")).mean()),
        "wasting": float(np.isin(wfl_last, ("wasted", "severely_wasted")).mean()),
        "underweight": float(np.isin(wfa_last, ("underweight", "severely_underweight")).mean()),
        "overweight": float(np.isin(wfl_last, ("overweight", "obese")).mean()),
        "n_share": float((status == "N").mean()), "t_share": float((status == "T").mean()),
        "vector_s": vector_s, "vector_n": total, "scalar_s": scalar_s, "scalar_n": sample,
    }


def _timed(fn, reps: int) -> tuple[float, float]:
    a = time.perf_counter()
    fn()
    cold = time.perf_counter() - a
    warm = []
    for _i in range(reps):
        a = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - a)
    return cold, statistics.median(warm)


def _measure(args) -> dict:
    """In a fresh process: the dashboard (or the baseline) first, cold, then warm."""
    from django.db.models import Count

    from siaga.core.models import User
    from siaga.core.permissions import actor_for
    from siaga.health import indicators, pws
    from siaga.health.models import Measurement

    actor = actor_for(User.objects.get(username="bidan.bench"))
    _first, last_mi = _window()
    ym = indicators.year_month(last_mi)
    kel = f"{KABKOTA}.01.1001"
    if args.phase == "dashboard":
        def dashboard(code=KABKOTA, with_map=True):
            out = pws.area_summary(actor, code, ym)
            pws.area_trend(actor, code, ym)
            if with_map:
                pws.area_map(actor, code, "stunting", ym)
            return out

        from django.core.cache import cache

        cold, warm = _timed(dashboard, args.reps)

        def uncached(code=KABKOTA, with_map=True):
            cache.clear()
            return dashboard(code, with_map)

        _c, recompute = _timed(uncached, args.reps)
        _c, kel_recompute = _timed(lambda: uncached(kel, with_map=False), args.reps)
        top = dashboard()["indicators"]
        return {"cold": cold, "warm": warm, "recompute": recompute, "kel_recompute": kel_recompute,
                "s": top["s"], "d": top["d"], "rates": top["rates"]}
    first, last = indicators.month_bounds(*ym)

    def baseline():
        return list(Measurement.objects.filter(measured_on__gte=first, measured_on__lte=last)
                    .values("region_code").annotate(n=Count("pk")))

    cold, warm = _timed(baseline, args.reps)
    return {"cold": cold, "warm": warm}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--measurements", type=int, default=1_000_000)
    ap.add_argument("--scalar-sample", type=int, default=20_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--phase", choices=["setup", "dashboard", "baseline"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        import django

        django.setup()
        print(json.dumps(_setup(args) if args.phase == "setup" else _measure(args)))
        return 0

    print(machine_line())
    a = time.perf_counter()
    with fresh_database("sqlite") as (env, _target):
        def phase(name):
            cmd = [sys.executable, __file__, "--phase", name, "--measurements", str(args.measurements),
                   "--scalar-sample", str(args.scalar_sample), "--reps", str(args.reps), "--seed", str(args.seed)]
            out = subprocess.run(cmd, env=env, cwd=_support.REPO, capture_output=True, text=True)
            if out.returncode:
                sys.stderr.write(out.stderr)
                raise SystemExit(out.returncode)
            return json.loads(out.stdout.strip().splitlines()[-1])

        s = phase("setup")
        d = phase("dashboard")
        b = phase("baseline")
    print(f"data: {s['measurements']:,} measurements of {s['children']:,} children, {s['posyandu']} posyandu, "
          f"{s['kelurahan']} kelurahan, {MONTHS} months; set up in {s['setup_s']} s "
          f"(measurement insert {s['insert_s']} s)")
    print(f"last month: stunting {s['stunting']:.1%}, wasting {s['wasting']:.1%}, underweight {s['underweight']:.1%}, "
          f"overweight {s['overweight']:.1%}; N {s['n_share']:.0%}, T {s['t_share']:.0%} of all weighings")
    print(f"dashboard says: S {d['s']:,}, D {d['d']:,}, D/S {d['rates']['d_s']}, stunting {d['rates']['stunting']}")
    print(f"kab/kota dashboard (summary + 12-month trend + map): cold {d['cold'] * 1000:8.1f} ms   "
          f"warm {d['warm'] * 1000:8.1f} ms (cached figures)   recomputed {d['recompute'] * 1000:8.1f} ms")
    print(f"baseline (one GROUP BY count of the month):           cold {b['cold'] * 1000:8.1f} ms   "
          f"warm {b['warm'] * 1000:8.1f} ms")
    print(f"ratio dashboard / baseline: cold {d['cold'] / b['cold']:.1f}x, warm {d['warm'] / b['warm']:.2f}x, "
          f"recomputed / baseline warm {d['recompute'] / b['warm']:.1f}x")
    print(f"kelurahan dashboard (summary + trend), recomputed: {d['kel_recompute'] * 1000:.1f} ms")
    vec_rate = s["vector_n"] / s["vector_s"]
    sc_rate = s["scalar_n"] / s["scalar_s"]
    print(f"z-scores: growth.compute {vec_rate:,.0f} measurements/s ({s['vector_n']:,} at once); "
          f"growth.assess {sc_rate:,.0f} measurements/s ({s['scalar_n']:,} one by one); "
          f"ratio {vec_rate / sc_rate:.0f}x")
    print(f"whole run {time.perf_counter() - a:.0f} s; {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
