"""Shared helpers of the benchmarks: fresh databases, child Django processes, a served app, percentiles."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
SIAGA = [sys.executable, "-m", "siaga.cli"]
PG_ADMIN_URL = os.environ.get("SIAGA_BENCH_PG", "postgres://siaga:siaga@127.0.0.1:5432/postgres")


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {postgres_version() or 'PostgreSQL not reachable'}")


def load() -> str:
    """The machine's load average: other processes on the same cores change every figure measured here."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def postgres_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            return "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception:  # noqa: BLE001 - any failure means "not reachable" here
        return None


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of an unsorted list; nan when empty."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(pct / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(var_dir: str, database_url: str | None = None) -> dict:
    env = dict(os.environ, SIAGA_VAR_DIR=var_dir, DJANGO_SETTINGS_MODULE="siaga.settings", SIAGA_DEBUG="0",
               SIAGA_SECRET_KEY="siaga-benchmark-only-" + "x" * 40, SIAGA_SECURE_COOKIES="0",
               SIAGA_UVICORN_LOG="warning", SIAGA_BUS="memory", PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def siaga(env: dict, *args: str, quiet: bool = True) -> None:
    subprocess.run([*SIAGA, *args], env=env, check=True, cwd=REPO,
                   stdout=subprocess.DEVNULL if quiet else None)


def django_child(env: dict, code: str, *args: str) -> dict:
    """Run a Python snippet with Django set up in a child process; it prints one JSON object last."""
    prelude = "import os, sys, json\nimport django\ndjango.setup()\n"
    out = subprocess.run([sys.executable, "-c", prelude + code, *args], env=env, check=True, cwd=REPO,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def temporary_postgres_db(name: str):
    """Create database `name` on the local server (the role needs CREATEDB), yield its URL, drop it."""
    import psycopg

    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(PG_ADMIN_URL)
        yield parts._replace(path="/" + name).geturl()
    finally:
        with contextlib.suppress(Exception):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextlib.contextmanager
def fresh_database(kind: str):
    """(env, database url or sqlite path) for a new, migrated database; kind is 'sqlite' or 'postgres'."""
    with tempfile.TemporaryDirectory(prefix="siaga-bench-") as tmp:
        (Path(tmp) / "static").mkdir()  # whitenoise warns about a missing STATIC_ROOT otherwise
        if kind == "sqlite":
            env = base_env(tmp)
            siaga(env, "migrate", "--noinput", "-v0")
            yield env, str(Path(tmp) / "siaga.sqlite3")
        else:
            with temporary_postgres_db(f"siaga_bench_{os.getpid()}") as url:
                env = base_env(tmp, url)
                siaga(env, "migrate", "--noinput", "-v0")
                yield env, url


@contextlib.contextmanager
def served(env: dict, *, ready_path: str, headers: dict, timeout: float = 60.0):
    """`siaga serve` on a free port as a child process; yields its base URL once ready_path answers 200."""
    import httpx

    port = free_port()
    proc = subprocess.Popen([*SIAGA, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=REPO,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"siaga serve exited with {proc.returncode}")
            try:
                r = httpx.get(base + ready_path, headers=headers, timeout=2)
                if r.status_code == 200:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"siaga serve not ready: {ready_path} answered {r.status_code}: {r.text[:300]}")
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
