"""Benchmark: duplicate scoring against 10,000 open incidents (score_candidates) vs a naive per-incident Python loop."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _support import base_env, load, machine_line, percentile, siaga  # noqa: E402

# Kota Mojokerto (35.76), about 6 x 5 km.
LAT_MIN, LAT_MAX, LNG_MIN, LNG_MAX = -7.492, -7.445, 112.405, 112.465
WORDS = ("motor", "mobil", "truk", "tabrakan", "korban", "pingsan", "berdarah", "asap", "api", "rumah", "warung",
         "jalan", "gang", "pasar", "sawah", "sungai", "banjir", "pohon", "kabel", "listrik", "anak", "ibu", "bapak",
         "lansia", "sesak", "jatuh", "terjepit", "dekat", "masjid", "sekolah", "balai", "jembatan", "tikungan",
         "alun-alun", "stasiun", "terminal", "kantor", "pabrik", "toko", "perempatan", "rel", "kereta", "kampung")
STREETS = ("Jl. Majapahit", "Jl. Gajah Mada", "Jl. Mojopahit", "Jl. Benteng Pancasila", "Jl. Empunala",
           "Jl. Pahlawan", "Jl. Bhayangkara", "Jl. Kyai Haji Hasyim Asyari", "Jl. Raya Surodinawan", "Jl. Cinde")


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


# --- data ------------------------------------------------------------------------------------------


def populate(n: int, with_calls: int, seed: int, now: dt.datetime, window_min: int):
    """n open incidents of one call center over Kota Mojokerto within the last `window_min` minutes."""
    from siaga.callcenter.models import Call, Incident, IncidentType
    from siaga.core.models import Organization
    from siaga.geo.models import Region

    rng = random.Random(seed)
    org = Organization.objects.create(code="cc112-kota-mojokerto", name="Call Center 112 Kota Mojokerto",
                                      kind="cc112", region_code="35.76")
    types = list(IncidentType.objects.filter(active=True).values_list("pk", "default_priority"))
    kel = [c for c in Region.objects.filter(code__startswith="35.76.").values_list("code", flat=True)
           if c.count(".") == 3]
    statuses = ["new"] * 6 + ["referred"] * 3 + ["in_progress"]
    rows = []
    for i in range(n):
        type_id, prio = rng.choice(types)
        lat, lng = rng.uniform(LAT_MIN, LAT_MAX), rng.uniform(LNG_MIN, LNG_MAX)
        has_point = rng.random() > 0.05  # a few reported by kelurahan only
        rows.append(Incident(
            organization=org, number=f"112-2026-{i + 1:06d}", type_id=type_id, priority=prio,
            suggested_priority=prio, status=rng.choice(statuses),
            description=words(rng, rng.randint(4, 16)).capitalize(),
            address=f"{rng.choice(STREETS)} no. {rng.randint(1, 200)}" if rng.random() < 0.6 else "",
            region_code=rng.choice(kel), lat=lat if has_point else None, lng=lng if has_point else None,
            location_source="map" if has_point else "region", tracking_token=secrets.token_urlsafe(24),
            created_at=now - dt.timedelta(seconds=rng.uniform(0, window_min * 60)),
        ))
    Incident.objects.bulk_create(rows, batch_size=2000)
    incidents = list(Incident.objects.filter(organization=org).values_list(
        "pk", "type__code", "lat", "lng", "region_code", "description", "address"))
    calls, numbers = [], []
    for pk, *_ in rng.sample(incidents, with_calls):
        number = "+62812" + "".join(rng.choice("0123456789") for _ in range(8))
        numbers.append((number, pk))
        calls.append(Call(organization=org, channel="phone", caller_number=number, started_at=now, answered_at=now,
                          outcome="new_incident", outcome_at=now, incident_id=pk, region_code="35.76"))
    Call.objects.bulk_create(calls, batch_size=2000)
    return org, incidents, numbers, kel


def reports(count: int, incidents: list, numbers: list, kel: list, seed: int) -> list[dict]:
    """New reports: about half re-report an existing incident (near, same type, similar words), the rest are new."""
    rng = random.Random(seed)
    types = sorted({i[1] for i in incidents})
    by_pk = {i[0]: i for i in incidents}
    out = []
    for _ in range(count):
        r = {"type_code": rng.choice(types), "lat": rng.uniform(LAT_MIN, LAT_MAX),
             "lng": rng.uniform(LNG_MIN, LNG_MAX), "text": words(rng, rng.randint(4, 12)),
             "caller_number": "", "region_code": ""}
        roll = rng.random()
        if roll < 0.5:
            _pk, code, lat, lng, region, desc, addr = rng.choice(incidents)
            r["type_code"] = code
            if lat is not None:
                r["lat"] = lat + rng.uniform(-0.001, 0.001)
                r["lng"] = lng + rng.uniform(-0.001, 0.001)
            else:
                r["lat"] = r["lng"] = None
                r["region_code"] = region
            parts = desc.lower().split()
            parts[rng.randrange(len(parts))] = rng.choice(WORDS)
            r["text"] = " ".join(parts + ([addr] if addr else []))
        elif roll < 0.65:
            number, pk = rng.choice(numbers)
            r["caller_number"] = number
            if rng.random() < 0.5:
                r["type_code"] = by_pk[pk][1]
        elif roll < 0.75:
            r["lat"] = r["lng"] = None
            r["region_code"] = rng.choice(kel)
        out.append(r)
    return out


# --- the naive scorer (baseline) -----------------------------------------------------------------


def naive_score(*, organization_id: int, type_code: str, lat, lng, at: dt.datetime, text: str, caller_number: str,
                region_code: str, limit: int = 5) -> list[dict]:
    """Load every open incident of the call center and score them one by one with the same rule and weights."""
    from rapidfuzz import fuzz

    from siaga.callcenter.duplicates import MIN_SCORE, WEIGHTS, _text, radius_m, window_minutes
    from siaga.callcenter.location import bounding_box, haversine_m
    from siaga.callcenter.models import OPEN_STATUSES, Call, Incident, IncidentType

    window = dt.timedelta(minutes=window_minutes())
    radius = radius_m()
    has_point = lat is not None and lng is not None
    itype = IncidentType.objects.filter(code=type_code).values_list("pk", "category").first() if type_code else None
    same_caller = set()
    if caller_number:
        same_caller = set(Call.objects.filter(organization_id=organization_id, caller_number=caller_number,
                                              incident__isnull=False).values_list("incident_id", flat=True))
    box = bounding_box(lat, lng, radius) if has_point else None
    query = _text(text)
    hits = []
    open_incidents = Incident.objects.filter(organization_id=organization_id, status__in=OPEN_STATUSES)
    for inc in open_incidents.select_related("type"):
        # The same candidate rule as score_candidates: time window, then near / same caller / same type / region.
        if abs((at - inc.created_at).total_seconds()) > window.total_seconds():
            continue
        if has_point:
            near = inc.lat is not None and box[0] <= inc.lat <= box[1] and box[2] <= inc.lng <= box[3]
        elif itype is not None:
            near = inc.type_id == itype[0]
        elif region_code:
            near = inc.region_code == region_code
        else:
            near = False
        if not (near or inc.pk in same_caller):
            continue
        distance = haversine_m(lat, lng, inc.lat, inc.lng) if has_point and inc.lat is not None else None
        d_score = 0.0 if distance is None else min(1.0, max(0.0, 1.0 - distance / radius))
        if region_code and d_score == 0 and distance is None and inc.region_code == region_code:
            d_score = 0.5
        t_score = min(1.0, max(0.0, 1.0 - abs((at - inc.created_at).total_seconds()) / window.total_seconds()))
        ty_score = 0.0
        if itype is not None:
            ty_score = 1.0 if inc.type_id == itype[0] else (0.5 if inc.type.category == itype[1] else 0.0)
        choice = _text(inc.description, inc.address)
        x_score = fuzz.token_set_ratio(query, choice) / 100.0 if query and choice else 0.0
        c_score = 1.0 if inc.pk in same_caller else 0.0
        score = (WEIGHTS["distance"] * d_score + WEIGHTS["time"] * t_score + WEIGHTS["type"] * ty_score
                 + WEIGHTS["text"] * x_score + WEIGHTS["caller"] * c_score)
        if score >= MIN_SCORE:
            hits.append((score, inc.pk))
    hits.sort(key=lambda h: -h[0])
    return [{"incident_id": pk, "score": s} for s, pk in hits[:limit]]


# --- timing --------------------------------------------------------------------------------------


def timed(fn, items: list[dict], org_id: int, at: dt.datetime, warmup: int = 5):
    for r in items[:warmup]:
        fn(organization_id=org_id, at=at, **r)
    times, answers = [], []
    for r in items:
        t = time.perf_counter()
        answers.append(fn(organization_id=org_id, at=at, **r))
        times.append(time.perf_counter() - t)
    return times, answers


def compare(fast: list[list[dict]], slow: list[list[dict]]) -> tuple[int, int, list[str]]:
    """(same top match, both empty, mismatches): a tie (equal best score within rounding) counts as the same."""
    same = empty = 0
    bad = []
    for i, (a, b) in enumerate(zip(fast, slow)):
        if not a and not b:
            empty += 1
            same += 1
        elif a and b and (a[0]["incident_id"] == b[0]["incident_id"] or abs(a[0]["score"] - b[0]["score"]) < 2e-3):
            same += 1
        else:
            bad.append(f"report {i}: score_candidates {a[:1]} vs naive {b[:1]}")
    return same, empty, bad


def scenario(name: str, items: list[dict], org_id: int, at: dt.datetime) -> dict:
    from siaga.callcenter import duplicates

    def fast(**kw):
        return duplicates.score_candidates(**kw)

    def counted(**kw):
        # How many rows the database prefilter hands to the vectorised scorer (not timed).
        return duplicates.score_candidates(limit=10**9, min_score=-1.0, **kw)

    f_times, f_ans = timed(fast, items, org_id, at)
    b_times, b_ans = timed(naive_score, items, org_id, at)
    scored = [len(counted(organization_id=org_id, at=at, **r)) for r in items]
    same, empty, bad = compare(f_ans, b_ans)
    f50, f99, b50, b99 = (percentile(f_times, 50), percentile(f_times, 99), percentile(b_times, 50),
                          percentile(b_times, 99))
    print(f"\n{name}: {len(items)} reports, candidates scored per report: median {percentile(scored, 50)}, "
          f"max {max(scored)} ({load()})")
    print(f"  score_candidates        : median {f50 * 1000:7.2f} ms  p99 {f99 * 1000:7.2f} ms  "
          f"(total {sum(f_times):.2f} s)")
    print(f"  naive loop [baseline]   : median {b50 * 1000:7.2f} ms  p99 {b99 * 1000:7.2f} ms  "
          f"(total {sum(b_times):.2f} s)")
    print(f"  ratio baseline/fast     : median {b50 / f50:.1f}x  p99 {b99 / f99:.1f}x")
    print(f"  same top match          : {same}/{len(items)} ({empty} with no match >= 0.25 in both)")
    for line in bad[:10]:
        print("   MISMATCH", line)
    return {"f50": f50, "f99": f99, "b50": b50, "b99": b99, "same": same, "n": len(items), "bad": bad,
            "scored_median": percentile(scored, 50), "scored_max": max(scored)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--incidents", type=int, default=10_000)
    p.add_argument("--reports", type=int, default=200)
    p.add_argument("--calls", type=int, default=2_000, help="incidents that get a call with a caller number")
    p.add_argument("--seed", type=int, default=20261125)
    a = p.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="siaga-bench-") as tmp:
        env = base_env(tmp)
        siaga(env, "migrate", "--noinput", "-v0")
        siaga(env, "import", "regions", "--within", "35.76", "--no-progress")
        os.environ.update({k: env[k] for k in ("SIAGA_VAR_DIR", "DJANGO_SETTINGS_MODULE", "SIAGA_DEBUG",
                                                  "SIAGA_SECRET_KEY", "SIAGA_SECURE_COOKIES")})
        os.environ.pop("DATABASE_URL", None)
        import django

        django.setup()
        from django.conf import settings
        from django.utils import timezone

        from siaga.callcenter import duplicates

        at = timezone.now()
        t = time.perf_counter()
        org, incidents, numbers, kel = populate(a.incidents, a.calls, a.seed, at, duplicates.window_minutes())
        items = reports(a.reports, incidents, numbers, kel, a.seed + 1)
        print(f"fresh SQLite database: {len(incidents):,} open incidents of one call center over Kota Mojokerto "
              f"(~6 x 5 km), created within the last {duplicates.window_minutes()} min, {len(numbers):,} with a "
              f"caller number; set up in {time.perf_counter() - t:.1f} s")
        results = [scenario(f"default rule (radius {duplicates.radius_m():.0f} m, window "
                            f"{duplicates.window_minutes()} min)", items, org.pk, at)]
        settings.SIAGA_DUPLICATE_RADIUS_M = 20_000  # the whole city is "near": every open incident is scored
        results.append(scenario("worst case (radius 20 km: every open incident is a candidate)", items, org.pk, at))
    return 0 if all(not r["bad"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
