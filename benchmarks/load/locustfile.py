"""Load scenario of a disaster surge: incident reports, unit trackers, operators' live streams and dashboards.

Driven by benchmarks/load/run.py, which seeds the database (seed.py) and passes the seed file and the
rates in environment variables; it can also be run by hand against a seeded server:

    SIAGA_LOAD_DATA=/tmp/x/load.json .venv/bin/locust -f benchmarks/load/locustfile.py --headless \
        -u 1505 -r 200 -t 60s --host http://127.0.0.1:8000

Users (each class has a fixed count, so -u must be their sum; run.py computes it):
- Reporter: call-takers filing POST /api/callcenter/incidents, each with its own Idempotency-Key;
  SIAGA_LOAD_REPORTERS users pace themselves so that together they offer SIAGA_LOAD_REPORTS_PER_S.
  A report that fails on the network or with a 5xx/409 is retried with the same key (as a client must);
  a 503 server_busy (the in-flight limit shedding load) is retried after its Retry-After, on a budget of its own.
  Trackers honour Retry-After before their next point. 503 answers are counted per request name (busy_503).
- Tracker: one per unit, POST /api/dispatch/positions every SIAGA_LOAD_POSITION_SECONDS (or, with
  SIAGA_LOAD_TRACKER_BATCH=k > 1, k points per POST .../positions/batch every k intervals).
- Operator: holds GET /api/stream open (text/event-stream) and counts the events it receives; the lag of
  unit.position events (receipt time minus the tracker's measured_at) is sampled.
- Dashboard: logs in with a password and refreshes its board every 10-30 s.

Closed loop: a user waits for its answer before its next request, so when the server saturates the
offered rate drops below the target; run.py reports the achieved rate next to the target.
On exit the locustfile writes SIAGA_LOAD_RESULT (JSON): stream counts and lags, and the Idempotency-Keys of
the reports the server acknowledged (201), which run.py checks against the database.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

from locust import FastHttpUser, HttpUser, constant_pacing, events, task
from locust.exception import StopUser

DATA = json.loads(open(os.environ.get("SIAGA_LOAD_DATA", "load.json")).read())
REPORTS_PER_S = float(os.environ.get("SIAGA_LOAD_REPORTS_PER_S", "50"))
N_REPORTERS = int(os.environ.get("SIAGA_LOAD_REPORTERS", "100"))
POSITION_SECONDS = float(os.environ.get("SIAGA_LOAD_POSITION_SECONDS", "5"))
TRACKER_BATCH = int(os.environ.get("SIAGA_LOAD_TRACKER_BATCH", "1"))
N_TRACKERS = int(os.environ.get("SIAGA_LOAD_TRACKERS", str(len(DATA["trackers"]))))
N_OPERATORS = int(os.environ.get("SIAGA_LOAD_OPERATORS", str(len(DATA["operators"]))))
N_DASHBOARDS = int(os.environ.get("SIAGA_LOAD_DASHBOARDS", str(len(DATA["dashboards"]))))
TIMEOUT_S = float(os.environ.get("SIAGA_LOAD_TIMEOUT", "30"))
RESULT = os.environ.get("SIAGA_LOAD_RESULT", "")
RETRIES = 2
BUSY_RETRIES = 3  # extra attempts after a 503 server_busy (deliberate shedding), honouring Retry-After
BUSY_WAIT_CAP_S = 30.0
MARK = "load:"  # the report's key is written into its description, so run.py can find it in the database

WORDS = ("motor", "mobil", "truk", "tabrakan", "korban", "pingsan", "berdarah", "asap", "api", "rumah", "banjir",
         "pohon", "tumbang", "longsor", "jalan", "desa", "pasar", "sungai", "listrik", "anak", "lansia", "sesak",
         "terjebak", "atap", "roboh", "jembatan", "putus", "pengungsi", "air", "naik")

_tracker_ids = itertools.count()
_operator_ids = itertools.count()
_dashboard_ids = itertools.count()
_reporter_ids = itertools.count()

STATS = {
    "acked_keys": [],        # Idempotency-Keys answered 201
    "report_retries": 0,     # retries sent with the same key
    "report_replays": 0,     # 201s that the middleware replayed (Idempotent-Replayed header)
    "reports_given_up": 0,   # reports without a 201 after all retries
    "stream_connects": 0,
    "stream_events": 0,
    "stream_events_by_type": {},
    "stream_pings": 0,
    "stream_disconnects": 0,
    "stream_errors": {},
    "position_lag_s": [],    # sampled: receipt - measured_at of unit.position events
    "positions_sent": 0,
    "position_statuses": {},
    "busy_503": {},          # 503 server_busy answers (load shedding) per request name; also locust failures
    "report_busy_retries": 0,  # report retries after a 503 server_busy (same key, after Retry-After)
}


def _count(d: dict, key: str, n: int = 1) -> None:
    d[key] = d.get(key, 0) + n


def _why(r) -> str:
    """A failure's reason: the HTTP status and the start of the body, or the network error (status 0)."""
    if not r.status_code:
        return f"no answer: {getattr(r, 'error', None)!r}"[:200]
    return f"HTTP {r.status_code}: {(r.text or '')[:120]}"


def _busy(r, name: str) -> float | None:
    """For a 503 server_busy answer: count it and return the Retry-After wait in seconds (else None)."""
    if r.status_code != 503:
        return None
    _count(STATS["busy_503"], name)
    try:
        wait = float(r.headers.get("Retry-After") or 1)
    except ValueError:
        wait = 1.0
    return min(max(wait, 0.0), BUSY_WAIT_CAP_S)


def _description(rng: random.Random, key: str) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16))).capitalize() + f". [{MARK}{key}]"


class Reporter(FastHttpUser):
    """A call-taker's console filing reports of the surge."""

    fixed_count = N_REPORTERS
    wait_time = constant_pacing(N_REPORTERS / REPORTS_PER_S if REPORTS_PER_S > 0 else 3600)
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    def on_start(self):
        n = next(_reporter_ids)
        self.me = DATA["reporters"][n % len(DATA["reporters"])]
        self.rng = random.Random(1000 + n)
        self.area = DATA["kelurahan"][self.me["region"]]
        self.headers = {"Authorization": f"Bearer {self.me['token']}"}
        # Spread the first reports over one pacing interval instead of all at once.
        time.sleep(self.rng.uniform(0, N_REPORTERS / REPORTS_PER_S if REPORTS_PER_S > 0 else 1))

    @task
    def report(self):
        key = str(uuid.uuid4())
        code, lat, lng = self.rng.choice(self.area)
        body = {"type_code": self.rng.choice(DATA["types"]), "region_code": code,
                "description": _description(self.rng, key), "address": f"Dekat balai desa {code}"}
        if lat is not None and self.rng.random() < 0.7:
            body.update(lat=round(lat + self.rng.uniform(-0.005, 0.005), 6),
                        lng=round(lng + self.rng.uniform(-0.005, 0.005), 6), location_source="coordinates",
                        accuracy_m=25)
        headers = dict(self.headers, **{"Idempotency-Key": key})
        # A 503 server_busy (the server shedding load before running the request) is retried after its
        # Retry-After with the same key, on a budget of its own; other failures keep the original budget.
        attempt = busy = 0
        name = "POST incident"
        while True:
            with self.client.post("/api/callcenter/incidents", json=body, headers=headers, name=name,
                                  catch_response=True) as r:
                if r.status_code == 201:
                    STATS["acked_keys"].append(key)
                    if r.headers.get("Idempotent-Replayed") or r.headers.get("Idempotency-Replayed"):
                        STATS["report_replays"] += 1
                    r.success()
                    return
                wait = _busy(r, name)
                r.failure("HTTP 503 server_busy" if wait is not None else _why(r))
                retry = r.status_code == 0 or r.status_code >= 500 or r.status_code == 409
            if wait is not None and busy < BUSY_RETRIES:
                busy += 1
                STATS["report_busy_retries"] += 1
                name = "POST incident (retry after 503, same key)"
                time.sleep(wait)
                continue
            if not retry or attempt >= RETRIES:
                break
            attempt += 1
            STATS["report_retries"] += 1
            name = "POST incident (retry, same key)"
            time.sleep(attempt)
        STATS["reports_given_up"] += 1


class Tracker(FastHttpUser):
    """A vehicle tracker of one unit: a point every few seconds, its own device token."""

    fixed_count = N_TRACKERS
    wait_time = constant_pacing(POSITION_SECONDS * TRACKER_BATCH)
    network_timeout = TIMEOUT_S
    connection_timeout = TIMEOUT_S

    def on_start(self):
        n = next(_tracker_ids)
        if n >= len(DATA["trackers"]):
            raise StopUser()
        self.me = DATA["trackers"][n]
        self.rng = random.Random(n)
        self.lat, self.lng = self.me["lat"], self.me["lng"]
        self.headers = {"Authorization": f"Bearer {self.me['token']}"}
        self.last = datetime.now(UTC) - timedelta(seconds=POSITION_SECONDS * TRACKER_BATCH)
        time.sleep(self.rng.uniform(0, POSITION_SECONDS * TRACKER_BATCH))

    def _point(self, at: datetime) -> dict:
        # About 40 km/h in a random direction: 55 m per 5 s.
        self.lat += self.rng.uniform(-0.0004, 0.0004)
        self.lng += self.rng.uniform(-0.0004, 0.0004)
        return {"lat": round(self.lat, 6), "lng": round(self.lng, 6), "measured_at": at.isoformat(),
                "accuracy_m": 8.0, "speed_kmh": 40.0, "heading_deg": float(self.rng.randrange(360))}

    @task
    def send(self):
        now = datetime.now(UTC).replace(microsecond=0)
        if TRACKER_BATCH <= 1:
            body = {"unit_id": self.me["unit_id"], **self._point(now)}
            url, name = "/api/dispatch/positions", "POST position"
        else:
            step = timedelta(seconds=POSITION_SECONDS)
            pts = [self._point(now - step * (TRACKER_BATCH - 1 - i)) for i in range(TRACKER_BATCH)]
            body = {"unit_id": self.me["unit_id"], "points": pts}
            url, name = "/api/dispatch/positions/batch", f"POST positions (batch of {TRACKER_BATCH})"
        with self.client.post(url, json=body, headers=self.headers, name=name, catch_response=True) as r:
            STATS["positions_sent"] += 1 if TRACKER_BATCH <= 1 else TRACKER_BATCH
            _count(STATS["position_statuses"], str(r.status_code))
            if r.status_code in (200, 201):
                r.success()
                wait = None
            else:
                wait = _busy(r, name)
                r.failure("HTTP 503 server_busy" if wait is not None else _why(r))
        if wait:  # shed: honour Retry-After; the next point supersedes this one (no resend)
            time.sleep(wait)


_EVENT_RE = re.compile(rb"^event: ([\w.]+)$", re.M)


class Operator(HttpUser):
    """An operator's screen: one live stream held open for the whole run, reconnecting like an EventSource."""

    fixed_count = N_OPERATORS
    wait_time = constant_pacing(1)

    def on_start(self):
        n = next(_operator_ids)
        self.me = DATA["operators"][n % len(DATA["operators"])]
        self.rng = random.Random(5000 + n)
        self.last_id = None
        time.sleep(self.rng.uniform(0, 10))

    @task
    def listen(self):
        headers = {"Authorization": f"Bearer {self.me['token']}", "Accept": "text/event-stream"}
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        try:
            # The request's time in locust is the time to the response headers (stream=True).
            with self.client.get("/api/stream", headers=headers, stream=True, name="GET /api/stream (open)",
                                 timeout=(TIMEOUT_S, 60), catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"HTTP {r.status_code}")
                    _count(STATS["stream_errors"], f"HTTP {r.status_code}")
                    return
                r.success()
                STATS["stream_connects"] += 1
                buf = b""
                for chunk in r.iter_content(chunk_size=None):
                    buf += chunk
                    cut = buf.rfind(b"\n\n")
                    if cut < 0:
                        continue
                    block, buf = buf[:cut + 2], buf[cut + 2:]
                    self._consume(block)
                STATS["stream_disconnects"] += 1
        except Exception as exc:  # noqa: BLE001 - a broken stream is counted; the operator reconnects
            _count(STATS["stream_errors"], type(exc).__name__)
            events.request.fire(request_type="SSE", name="stream broken", response_time=0, response_length=0,
                                exception=exc, context={})

    def _consume(self, block: bytes) -> None:
        names = _EVENT_RE.findall(block)
        STATS["stream_pings"] += block.count(b": ping")
        if not names:
            return
        STATS["stream_events"] += len(names)
        by_type = STATS["stream_events_by_type"]
        for name in names:
            _count(by_type, name.decode())
        ids = re.findall(rb"^id: (\d+)$", block, re.M)
        if ids:
            self.last_id = ids[-1].decode()
        # Sample the end-to-end lag of positions (tracker clock -> operator screen) on a few operators.
        if b"unit.position" in block and self.rng.random() < 0.05:
            now = datetime.now(UTC)
            for line in block.split(b"\n"):
                if line.startswith(b"data: ") and b'"unit.position"' in line:
                    try:
                        at = json.loads(line[6:])["payload"]["at"]
                        lag = (now - datetime.fromisoformat(at.replace("Z", "+00:00"))).total_seconds()
                        STATS["position_lag_s"].append(round(lag, 3))
                    except (ValueError, KeyError, TypeError):
                        pass
                    break


class Dashboard(HttpUser):
    """A wall screen: logs in once with a password, then refreshes its board every 10-30 s."""

    fixed_count = N_DASHBOARDS

    def wait_time(self):
        return self.rng.uniform(10, 30)

    def on_start(self):
        n = next(_dashboard_ids)
        self.me = DATA["dashboards"][n % len(DATA["dashboards"])]
        self.rng = random.Random(9000 + n)
        r = self.client.get("/login/", name="GET /login/")
        token = self.client.cookies.get("csrftoken", "")
        r = self.client.post("/login/", data={"username": self.me["username"], "password": self.me["password"],
                                              "csrfmiddlewaretoken": token},
                             headers={"Referer": self.host + "/login/"}, name="POST /login/", allow_redirects=False)
        if r.status_code != 302:
            raise StopUser()

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, timeout=TIMEOUT_S, catch_response=True) as r:
            if r.status_code == 200:
                r.success()
            elif _busy(r, name) is not None:
                r.failure("HTTP 503 server_busy")
            else:
                r.failure(f"HTTP {r.status_code}")

    @task
    def refresh(self):
        view = self.me["view"]
        if view == "board":  # the call centre's incident board: its table fragment (what htmx refreshes)
            self._get("/callcenter/insiden/fragment/", "dashboard: incident board fragment")
            self._get("/api/callcenter/incidents?status=open&limit=50", "dashboard: GET open incidents (API)")
        elif view == "console":  # the dispatcher's console state (units, positions, open incidents)
            self._get("/dispatch/state/", "dashboard: dispatch console state")
        else:  # the leader's figures
            self._get("/callcenter/evaluasi/", "dashboard: call-centre evaluation page")
            self._get("/dispatch/armada/statistik/", "dashboard: fleet statistics page")


@events.quitting.add_listener
def _write_result(environment, **_kw):
    if not RESULT:
        return
    lags = sorted(STATS["position_lag_s"])
    out = dict(STATS, position_lag_samples=len(lags), position_lag_s=lags)
    with open(RESULT, "w") as fh:
        json.dump(out, fh)
