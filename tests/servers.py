"""Real uvicorn servers for tests: the ASGI app in a background thread, or `siaga serve` as a separate process.

    from tests.servers import asgi_server, SSEClient      # asgi_server is a fixture (needs transactional_db)

    def test_x(asgi_server):
        with SSEClient(asgi_server.url, headers=bearer(token)) as sse:
            ...write something...
            ev = sse.next_event()

The in-thread server shares this process, so it sees the pytest-django test database and the
in-memory bus; the separate process (start_server_process) reaches the same test database through
DATABASE_URL (PostgreSQL, or the SQLite test database file) and talks to this process only through
Redis (with the in-memory bus it reaches no other process's streams). start_worker_process starts a
huey consumer (`siaga worker`) the same way.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bearer(raw_token: str) -> dict:
    return {"Authorization": f"Bearer {raw_token}"}


# --- in-thread server --------------------------------------------------------------------------------


class ThreadedServer:
    """The Django ASGI app served by uvicorn on 127.0.0.1 from a daemon thread."""

    def __init__(self):
        import uvicorn
        from django.core.asgi import get_asgi_application

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(get_asgi_application(), lifespan="off", log_level="warning", loop="asyncio",
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True,
                                       name=f"uvicorn-{self.port}")

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the in-thread uvicorn server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def asgi_server(transactional_db):
    """A live server on the test database; stopped before the database is flushed."""
    server = ThreadedServer().start()
    try:
        yield server
    finally:
        server.stop()


# --- what scale-out needs --------------------------------------------------------------------------------


def scaleout_missing(*, postgres: bool = True) -> list[str]:
    """The settings this run lacks for scale-out tests: the Redis bus, and PostgreSQL unless postgres=False."""
    from django.conf import settings
    from django.db import connection

    missing = []
    if not settings.SIAGA_BUS.startswith("redis://"):
        missing.append("SIAGA_BUS=redis://... (and a running Redis)")
    if postgres and connection.vendor != "postgresql":
        missing.append("DATABASE_URL=postgres://...")
    return missing


def skip_without_scaleout(*, postgres: bool = True) -> None:
    """Skip the calling test or fixture, naming what is missing, unless the run has the Redis bus (and PostgreSQL)."""
    missing = scaleout_missing(postgres=postgres)
    if missing:
        pytest.skip("needs " + " and ".join(missing))


# --- separate process ----------------------------------------------------------------------------------


def database_url_for_subprocess() -> str | None:
    """DATABASE_URL of the current (test) database, or None when another process cannot open it.

    PostgreSQL: a postgres:// URL. SQLite: a sqlite:// URL of the database file (settings.py makes
    the SQLite test database a file); None for an in-memory SQLite database or another engine.
    """
    from django.db import connection

    sd = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(sd.get("NAME") or "")
        if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            return None
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor != "postgresql":
        return None
    auth = quote(sd.get("USER") or "", safe="")
    if sd.get("PASSWORD"):
        auth += ":" + quote(sd["PASSWORD"], safe="")
    host = sd.get("HOST") or "127.0.0.1"
    port = f":{sd['PORT']}" if sd.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(sd['NAME'], safe='')}"


def _siaga_command() -> list[str]:
    exe = Path(sys.executable).with_name("siaga")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "siaga.cli"]


@dataclass
class ServerProcess:
    proc: subprocess.Popen
    url: str
    log_path: Path
    env: dict = field(repr=False, default_factory=dict)
    port: int = 0

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def started(self) -> bool:
        """A server answers a cheap request; a consumer has logged that it started."""
        if not self.url:
            try:
                # The whole log: a busy consumer pushes its first line out of log()'s tail quickly.
                return "consumer started" in self.log_path.read_text(errors="replace").lower()
            except OSError:
                return False
        try:
            # A cheap answer (404: no report has this token); the OpenAPI document takes seconds to build.
            # One long wait rather than short ones: abandoned probes would queue up in the server.
            return httpx.get(self.url + "/api/public/reports/-", timeout=30).status_code in (200, 404, 429)
        except httpx.HTTPError:
            return False

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> ServerProcess:
        what = "siaga serve" if self.url else "siaga worker"
        deadline = time.monotonic() + timeout
        while not self.started():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{what} did not start within {timeout}s:\n{self.log()}")
            time.sleep(0.1)
        return self

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown code runs."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def _subprocess_env(extra_env: dict | None) -> dict:
    from django.conf import settings

    db_url = database_url_for_subprocess()
    if db_url is None:
        raise RuntimeError("another process cannot open this test database (in-memory SQLite?)")
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db_url,
        "SIAGA_BUS": settings.SIAGA_BUS,
        "DJANGO_SETTINGS_MODULE": "siaga.settings",
        "SIAGA_UVICORN_LOG": "warning",
    })
    env.update(extra_env or {})
    return env


def start_server_process(tmp_path: Path, extra_env: dict | None = None, *, port: int | None = None,
                         startup_timeout: float = STARTUP_TIMEOUT, wait: bool = True) -> ServerProcess:
    """Start `siaga serve` on the current test database (on port, default a free one); wait until it answers.

    Giving the port of a killed server restarts "the same server" for clients that keep its URL.
    wait=False returns at once: call wait_ready() (start several processes side by side, then wait).
    """
    env = _subprocess_env(extra_env)
    port = port or free_port()
    log_path = tmp_path / f"server-{port}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([*_siaga_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    server = ServerProcess(proc=proc, url=f"http://127.0.0.1:{port}", log_path=log_path, env=env, port=port)
    return server.wait_ready(startup_timeout) if wait else server


def start_worker_process(tmp_path: Path, extra_env: dict | None = None, *, startup_timeout: float = STARTUP_TIMEOUT,
                         wait: bool = True) -> ServerProcess:
    """Start a huey consumer (`siaga worker`) on the current test database; returns once it consumes.

    Its url is empty: it serves nothing, it takes jobs from the queue (Redis when SIAGA_BUS is redis://).
    """
    env = _subprocess_env(extra_env)
    log_path = tmp_path / f"worker-{len(list(tmp_path.glob('worker-*.log')))}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([*_siaga_command(), "worker", "--workers", "1"], stdout=log,
                                stderr=subprocess.STDOUT, env=env)
    worker = ServerProcess(proc=proc, url="", log_path=log_path, env=env)
    return worker.wait_ready(startup_timeout) if wait else worker


# --- reading a live stream -------------------------------------------------------------------------------


@dataclass
class SSEEvent:
    id: int | None
    event: str
    data: dict | str | None


class SSEClient:
    """A blocking Server-Sent Events reader for tests; every read is bounded by `timeout` seconds.

    Entering waits for the stream's opening "retry:" line, which the server writes only once it
    has subscribed to the bus: anything committed after __enter__ returns reaches this stream.
    """

    def __init__(self, base_url: str, path: str = "/api/stream", *, params=None, headers=None, cookies=None,
                 timeout: float = 10.0):
        self.timeout = timeout
        self.client = httpx.Client(base_url=base_url, cookies=cookies, timeout=httpx.Timeout(timeout))
        self.path, self.params, self.headers = path, params, headers or {}
        self.response: httpx.Response | None = None
        self.pings = 0
        self.retry: int | None = None
        self._lines = None

    def __enter__(self) -> SSEClient:
        self._cm = self.client.stream("GET", self.path, params=self.params, headers=self.headers)
        self.response = self._cm.__enter__()
        if self.response.status_code == 200:
            self._lines = self.response.iter_lines()
            deadline = time.monotonic() + self.timeout
            while self.retry is None:
                if time.monotonic() > deadline:
                    raise AssertionError("the stream did not open (no retry: line)")
                self._read_block()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.response is not None:
            self._cm.__exit__(None, None, None)
            self.response = None
        self.client.close()

    @property
    def status_code(self) -> int:
        return self.response.status_code

    def json(self):
        self.response.read()
        return json.loads(self.response.content)

    def _read_block(self) -> SSEEvent | None:
        """Read up to one blank-line-terminated block; returns an event when it carried data."""
        ev_id, ev_type, data = None, "message", []
        for line in self._lines:
            if line == "":
                if data:
                    raw = "\n".join(data)
                    try:
                        parsed = json.loads(raw)
                    except ValueError:
                        parsed = raw
                    return SSEEvent(int(ev_id) if ev_id and ev_id.isdigit() else None, ev_type, parsed)
                return None
            if line.startswith(":"):
                self.pings += 1
                return None
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "id":
                ev_id = value
            elif name == "event":
                ev_type = value
            elif name == "data":
                data.append(value)
            elif name == "retry":
                self.retry = int(value)
        raise EOFError("the stream ended")

    def next_event(self, timeout: float | None = None) -> SSEEvent:
        """The next event with data; fails when none arrives within timeout (heartbeats keep reads short)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            ev = self._read_block()
            if ev is not None:
                return ev
        raise AssertionError(f"no event within {timeout or self.timeout}s")

    def events_until(self, predicate, timeout: float | None = None) -> list[SSEEvent]:
        """Events read until one satisfies predicate (included); fails on timeout."""
        out: list[SSEEvent] = []
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            ev = self.next_event(max(0.01, deadline - time.monotonic()))
            out.append(ev)
            if predicate(ev):
                return out

    def wait_closed(self, timeout: float | None = None) -> bool:
        """True once the server ends the stream (reading and discarding heartbeats)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            while time.monotonic() < deadline:
                self._read_block()
        except (EOFError, httpx.HTTPError):
            return True
        return False
