"""Real uvicorn servers for tests: the ASGI app in a background thread, or `siaga serve` as a separate process.

    from tests.servers import asgi_server, SSEClient      # asgi_server is a fixture (needs transactional_db)

    def test_x(asgi_server):
        with SSEClient(asgi_server.url, headers=bearer(token)) as sse:
            ...write something...
            ev = sse.next_event()

The in-thread server shares this process, so it sees the pytest-django test database and the
in-memory bus; the separate process (start_server_process) reaches the same PostgreSQL test
database through DATABASE_URL and talks to this process only through Redis.
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

STARTUP_TIMEOUT = 20.0


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


# --- separate process ----------------------------------------------------------------------------------


def database_url_for_subprocess() -> str | None:
    """DATABASE_URL of the current (test) database, or None when it cannot be shared (not PostgreSQL)."""
    from django.db import connection

    sd = connection.settings_dict
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

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_server_process(tmp_path: Path, extra_env: dict | None = None) -> ServerProcess:
    """Start `siaga serve` on a free port against the current test database; wait until it answers."""
    from django.conf import settings

    db_url = database_url_for_subprocess()
    if db_url is None:
        raise RuntimeError("a second server process needs the PostgreSQL test database")
    port = free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": db_url,
        "SIAGA_BUS": settings.SIAGA_BUS,
        "DJANGO_SETTINGS_MODULE": "siaga.settings",
        "SIAGA_UVICORN_LOG": "warning",
    })
    env.update(extra_env or {})
    log_path = tmp_path / f"server-{port}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([*_siaga_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    server = ServerProcess(proc=proc, url=f"http://127.0.0.1:{port}", log_path=log_path, env=env)
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"siaga serve exited with {proc.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/api/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"siaga serve did not answer within {STARTUP_TIMEOUT}s:\n{server.log()}")
        time.sleep(0.1)


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
