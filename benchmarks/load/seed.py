"""Load scenario seed: Mojokerto's organisations, call-takers, dispatchers, operators and 1,000 tracked units.

Run with Django set up against an empty, migrated database whose regions 35.16 and 35.76 are imported
(benchmarks/load/run.py does all of that):

    SIAGA_VAR_DIR=/tmp/x .venv/bin/python benchmarks/load/seed.py --out /tmp/x/load.json

Everything goes through the services the application itself uses (organisations, memberships, units,
device tokens), except user rows: token-only users get an unusable password, so 300 operators do not cost
300 password hashes. Writes a JSON file for the locustfile: one API token per reporter, per unit tracker
and per operator, and the logins of the dashboard users.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    import django

    django.setup()


# Units of a surge in Kabupaten and Kota Mojokerto: (owner organisation, call-sign prefix, kind, share)
FLEET = [
    ("psc119-kab-mojokerto", "PSC-KAB", "ambulance_advanced", 0.20),
    ("psc119-kota-mojokerto", "PSC-KOTA", "ambulance_basic", 0.15),
    ("pmi-kab-mojokerto", "PMI-KAB", "ambulance_basic", 0.15),
    ("pmi-kota-mojokerto", "PMI-KOTA", "patient_transport", 0.10),
    ("damkar-kab-mojokerto", "DMK-KAB", "fire_engine", 0.10),
    ("damkar-kota-mojokerto", "DMK-KOTA", "fire_engine", 0.05),
    ("bpbd-kab-mojokerto", "BPBD-KAB", "rescue", 0.15),
    ("bpbd-kota-mojokerto", "BPBD-KOTA", "rescue", 0.05),
    # whatever the shares leave goes to the first
]
# Call centres taking the reports: (code, name, parent, region)
CALL_CENTRES = [
    ("cc112-kab-mojokerto", "Call Center 112 Kabupaten Mojokerto", "pemkab-mojokerto", "35.16"),
    ("cc112-kota-mojokerto", "Call Center 112 Kota Mojokerto", "pemkot-mojokerto", "35.76"),
]
# Agencies of Kota Mojokerto the demo lacks, so the taxonomy can route kota incidents too.
EXTRA_ORGS = [
    ("pln-up3-mojokerto-kota", "PLN ULP Mojokerto Kota", "pln", "pemkot-mojokerto", "35.76"),
]
# Operators holding a live stream: (organisation, role, scope, share of the operators)
OPERATORS = [
    ("cc112-kab-mojokerto", "call_taker", "35.16", 0.25),
    ("cc112-kota-mojokerto", "call_taker", "35.76", 0.15),
    ("psc119-kab-mojokerto", "dispatcher", "35.16", 0.15),
    ("psc119-kota-mojokerto", "dispatcher", "35.76", 0.15),
    ("bpbd-kab-mojokerto", "agency_liaison", "35.16", 0.10),
    ("damkar-kab-mojokerto", "agency_liaison", "35.16", 0.05),
    ("polres-mojokerto", "agency_liaison", "35.16", 0.05),
    ("pmi-kota-mojokerto", "dispatcher", "35.76", 0.10),
]
# Dashboard users log in with a password (session), like a person at a wall screen.
DASHBOARDS = [
    ("load.dash.cc112kab", "cc112-kab-mojokerto", "call_taker", "35.16", "board"),
    ("load.dash.cc112kota", "cc112-kota-mojokerto", "call_taker", "35.76", "board"),
    ("load.dash.psc119kab", "psc119-kab-mojokerto", "dispatcher", "35.16", "console"),
    ("load.dash.psc119kota", "psc119-kota-mojokerto", "dispatcher", "35.76", "console"),
    ("load.dash.pimpinan", "pemkot-mojokerto", "leader", "35.76", "leader"),
]
DASHBOARD_PASSWORD = "Load-Only-Siaga-2026!"


def _split(total: int, shares: list[float]) -> list[int]:
    counts = [int(total * s) for s in shares]
    counts[0] += total - sum(counts)
    return counts


def _token_user(username: str):
    from siaga.core.models import User

    user = User.objects.filter(username=username).first()
    return user or User.objects.create_user(username=username, password=None, first_name=username)


def seed(units: int, reporters: int, operators: int, seed_value: int = 7) -> dict:
    from django.db import transaction

    from siaga import demo
    from siaga.callcenter.models import IncidentType
    from siaga.callcenter.taxonomy import seed_taxonomy
    from siaga.core import services, tokens
    from siaga.core.models import Membership, Organization, User
    from siaga.core.permissions import system_actor
    from siaga.dispatch import services as dispatch
    from siaga.dispatch.models import Unit
    from siaga.geo.models import Region

    rng = random.Random(seed_value)
    actor = system_actor()
    t0 = time.perf_counter()
    seed_taxonomy()
    with transaction.atomic():
        # The demo's organisations of Jawa Timur (the other provinces' regions are not imported here).
        for code, name, kind, parent, region in demo.ORGANIZATIONS:
            if region == "" or region.startswith("35"):
                demo._org(actor, code, name, kind, parent, region)
        for code, name, parent, region in CALL_CENTRES:
            demo._org(actor, code, name, "cc112", parent, region)
        for code, name, kind, parent, region in EXTRA_ORGS:
            demo._org(actor, code, name, kind, parent, region)
    orgs = {o.code: o for o in Organization.objects.all()}
    print(f"  organisations: {len(orgs)} ({time.perf_counter() - t0:.1f} s)", flush=True)

    def membership(user, org_code: str, role: str, scope: str) -> Membership:
        m = Membership.objects.filter(user=user, organization=orgs[org_code], role=role).first()
        return m or services.add_membership(actor, user=user, organization_id=orgs[org_code].pk, role=role,
                                            scope_code=scope)

    kelurahan = {}
    for prefix in ("35.16", "35.76"):
        kelurahan[prefix] = [
            (code, lat, lng) for code, lat, lng in Region.objects.filter(code__startswith=prefix + ".", level=4)
            .values_list("code", "lat", "lng")
        ]
        if not kelurahan[prefix]:
            raise SystemExit(f"no desa/kelurahan under {prefix}: import regions first")

    # --- units and their trackers (one device token per unit, as each vehicle has its own tracker) ---
    t0 = time.perf_counter()
    trackers = []
    for (org_code, prefix, kind, _share), n in zip(FLEET, _split(units, [f[3] for f in FLEET]), strict=True):
        org = orgs[org_code]
        device = _token_user(f"load.tracker.{org_code}")
        m = membership(device, org_code, "ambulance_crew", org.region_code)
        area = kelurahan["35.76" if org.region_code.startswith("35.76") else "35.16"]
        existing = {u.call_sign: u for u in Unit.objects.filter(organization=org)}
        with transaction.atomic():
            for i in range(n):
                call_sign = f"{prefix}-{i + 1:03d}"
                unit = existing.get(call_sign) or dispatch.create_unit(
                    actor, call_sign=call_sign, kind=kind, organization=org, region_code=org.region_code)
                _code, lat, lng = rng.choice(area)
                _row, raw = tokens.issue(m, f"tracker {call_sign}")
                trackers.append({"token": raw, "unit_id": unit.pk, "call_sign": call_sign,
                                 "lat": (lat or -7.47) + rng.uniform(-0.01, 0.01),
                                 "lng": (lng or 112.43) + rng.uniform(-0.01, 0.01)})
    print(f"  units with tracker tokens: {len(trackers)} ({time.perf_counter() - t0:.1f} s)", flush=True)

    # --- call-takers who file the reports (an API token each: a call-taker console or a CAD bridge) ---
    t0 = time.perf_counter()
    reporter_rows = []
    with transaction.atomic():
        for i in range(reporters):
            code, _name, _parent, region = CALL_CENTRES[i % len(CALL_CENTRES)]
            user = _token_user(f"load.calltaker.{i:03d}")
            m = membership(user, code, "call_taker", region)
            _row, raw = tokens.issue(m, "load call-taker console")
            reporter_rows.append({"token": raw, "region": region, "organization": code})
    # --- operators with a live stream ---
    operator_rows = []
    with transaction.atomic():
        counts = _split(operators, [o[3] for o in OPERATORS])
        for (org_code, role, scope, _share), n in zip(OPERATORS, counts, strict=True):
            for i in range(n):
                user = _token_user(f"load.op.{org_code}.{i:03d}")
                m = membership(user, org_code, role, scope)
                _row, raw = tokens.issue(m, "load operator screen")
                operator_rows.append({"token": raw, "organization": org_code, "role": role})
    # --- dashboards (password login, session cookie) ---
    dash_rows = []
    for username, org_code, role, scope, view in DASHBOARDS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=DASHBOARD_PASSWORD, first_name=username)
        membership(user, org_code, role, scope)
        dash_rows.append({"username": username, "password": DASHBOARD_PASSWORD, "view": view, "role": role})
    print(f"  {len(reporter_rows)} call-takers, {len(operator_rows)} operators, {len(dash_rows)} dashboard users "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)

    types = sorted(IncidentType.objects.filter(active=True).values_list("code", flat=True))
    return {
        "reporters": reporter_rows,
        "trackers": trackers,
        "operators": operator_rows,
        "dashboards": dash_rows,
        "types": types,
        "kelurahan": {p: [[c, lat, lng] for c, lat, lng in rows] for p, rows in kelurahan.items()},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="JSON file for the locustfile")
    p.add_argument("--units", type=int, default=1000)
    p.add_argument("--reporters", type=int, default=40, help="call-takers filing the reports")
    p.add_argument("--operators", type=int, default=300)
    a = p.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    _setup()
    t = time.perf_counter()
    data = seed(a.units, a.reporters, a.operators)
    Path(a.out).write_text(json.dumps(data))
    print(f"seeded in {time.perf_counter() - t:.1f} s -> {a.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
