"""Crash safety: `siaga serve` killed with SIGKILL under a steady stream of reports and positions loses nothing.

A client thread sends citizens' reports (POST /api/public/reports), call-takers' incidents
(POST /api/callcenter/incidents, device token) and a tracker's positions (POST /api/dispatch/positions),
each with its own Idempotency-Key (positions are idempotent by measured_at). It records every request
the server acknowledged (2xx with an id) and retries the others, unchanged, until they are acknowledged,
while the test kills the server with SIGKILL at seeded random moments and restarts it on the same port.

Then: every acknowledged report and position is in the database exactly once, with the id the client
was given, and no retry created a second one; every outbox event committed but not yet published when
a process died is published after the restart (the relay of each `siaga serve`, siaga.core.ticker).

Runs on the engine of the test run: the SQLite test database file (always), or PostgreSQL with the
Redis bus when DATABASE_URL and SIAGA_BUS say so, where the test also listens on the bus itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from siaga.callcenter.models import Call, Incident
from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core import tokens
from siaga.core.models import IdempotencyRecord, Membership, Organization, OutboxEvent, User
from siaga.core.permissions import system_actor
from siaga.dispatch import services as dispatch_services
from siaga.dispatch.models import PositionReport
from tests.callcenter.public_helpers import IN_KOTA, draw_kota_mojokerto
from tests.servers import database_url_for_subprocess, start_server_process

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SEED = int(os.environ.get("SIAGA_CRASH_SEED", "1309"))
KILLS = int(os.environ.get("SIAGA_CRASH_KILLS", "4"))
# A loaded CI machine may take a while to start a server.
STARTUP_SECONDS = 180.0
REQUEST_SECONDS = 10.0
# Longer than the ticker's relay interval (30 s) plus the relay's minimum age (5 s).
RELAY_WAIT_SECONDS = 120.0
TRAFFIC_SECONDS = (2.0, 6.0)
CUT = {"ReadError", "RemoteProtocolError", "ReadTimeout"}
# A retry still refused as "the same request is still being processed" this long after it was first refused:
# the reservation of its Idempotency-Key outlived the process that made it (must never happen).
STRANDED_SECONDS = 20.0  # seeded: how long the stream runs between restart and the next kill


def _engine_or_skip() -> str:
    if connection.vendor == "sqlite":
        return "sqlite"
    if connection.vendor == "postgresql":
        if not settings.SIAGA_BUS.startswith("redis://"):
            pytest.skip("the PostgreSQL crash test runs with the Redis bus: SIAGA_BUS=redis://...")
        return "postgresql"
    pytest.skip(f"no crash test for {connection.vendor}")


# --- the world the stream writes into -----------------------------------------------------------------


@dataclass
class World:
    center: Organization
    pmi: Organization
    unit_id: int
    call_taker_token: str
    tracker_token: str


def _member(role: str, org, scope_code: str, username: str) -> User:
    user = User.objects.create(username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
    return user


def _token(user: User, name: str) -> str:
    return tokens.issue(user.memberships.get(), name)[1]


@pytest.fixture
def world(transactional_db, regions) -> World:
    """Kota Mojokerto's Call Center 112 with a call-taker's token, and PMI's ambulance with its GPS tracker."""
    seed_taxonomy()
    draw_kota_mojokerto()
    center = Organization.objects.create(code="cc112-kota-mojokerto", name="Call Center 112 Kota Mojokerto",
                                         kind="cc112", region_code="35.76")
    pmi = Organization.objects.create(code="pmi-kota-mojokerto", name="PMI Kota Mojokerto", kind="pmi_branch",
                                      region_code="35.76")
    sys_actor = system_actor()
    station = dispatch_services.create_station(sys_actor, name="Markas PMI", kind="pmi", region_code="35.76.03",
                                               lat=-7.4722, lng=112.4337, organization=pmi)
    unit = dispatch_services.create_unit(sys_actor, call_sign="AMB-09", kind="ambulance_basic", station=station,
                                         organization=pmi, dispatch_center=center)
    return World(center=center, pmi=pmi, unit_id=unit.pk,
                 call_taker_token=_token(_member("call_taker", center, "35.76", "penerima-crash"), "console"),
                 tracker_token=_token(_member("ambulance_crew", pmi, "35.76", "tracker-crash"), "GPS tracker"))


# --- the client ---------------------------------------------------------------------------------------


@dataclass
class Item:
    n: int
    kind: str  # "public", "incident" or "position"
    path: str
    body: dict
    headers: dict
    ack: str | int | None = None  # the id the server acknowledged
    attempts: int = 0
    answers: list = field(default_factory=list)  # status code, or the exception's name, per attempt
    last_try: float = 0.0
    in_progress_since: float | None = None  # first of an unbroken run of 409 idempotency_in_progress answers
    stranded: bool = False  # refused as "still in progress" for STRANDED_SECONDS: given up


class Stream(threading.Thread):
    """Sends a steady stream of writes; retries every unacknowledged one, unchanged, until acknowledged."""

    KINDS = ("public", "position", "incident", "position")

    def __init__(self, url: str, world: World):
        super().__init__(name="crash-client", daemon=True)
        self.url, self.world = url, world
        self.items: list[Item] = []
        self.pending: list[Item] = []
        self.stop_sending = threading.Event()  # no new items; retry the pending ones
        self.deadline = float("inf")
        self.errors: list[str] = []
        self.statuses: dict[str, int] = {}
        self.lock = threading.Lock()
        # Positions 1 s apart, starting well inside the accepted age.
        self.t0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)

    def new_item(self) -> Item:
        n = len(self.items) + 1
        kind = self.KINDS[n % len(self.KINDS)]
        marker = f"crash-{kind}-{n:05d}"
        if kind == "public":
            item = Item(n, kind, "/api/public/reports", {
                "type_code": "kecelakaan-lalu-lintas", "phone": f"0812{n:08d}",
                "lat": IN_KOTA[0], "lng": IN_KOTA[1], "accuracy_m": 12, "description": marker,
            }, {"Idempotency-Key": marker,
                # A distinct client address per report keeps the per-IP limit out of the way (one trusted proxy).
                "X-Forwarded-For": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"})
        elif kind == "incident":
            item = Item(n, kind, "/api/callcenter/incidents", {
                "type_code": "kecelakaan-lalu-lintas", "description": marker, "region_code": "35.76.03",
                "lat": IN_KOTA[0], "lng": IN_KOTA[1], "location_source": "coordinates",
            }, {"Idempotency-Key": marker, "Authorization": f"Bearer {self.world.call_taker_token}"})
        else:
            at = self.t0 + dt.timedelta(seconds=n)
            item = Item(n, kind, "/api/dispatch/positions", {
                "unit_id": self.world.unit_id, "lat": -7.4722 + (n % 7) * 0.00005, "lng": 112.4337,
                "measured_at": at.isoformat(), "accuracy_m": 8,
            }, {"Authorization": f"Bearer {self.world.tracker_token}"})
        self.items.append(item)
        return item

    @staticmethod
    def acknowledged_id(item: Item, r: httpx.Response):
        if not 200 <= r.status_code < 300:
            return None
        body = r.json()
        if item.kind == "public":
            return body.get("tracking_token")
        if item.kind == "incident":
            return body.get("id")
        points = body.get("points") or []
        return points[0].get("id") if points and points[0].get("status") != "refused" else None

    def send(self, client: httpx.Client, item: Item) -> bool:
        """One attempt; True when the server answered (whatever it said), False when it could not be reached."""
        item.attempts += 1
        item.last_try = time.monotonic()
        try:
            r = client.post(item.path, json=item.body, headers=item.headers)
        except httpx.HTTPError as exc:
            item.answers.append(type(exc).__name__)
            return False
        item.answers.append(r.status_code)
        with self.lock:
            self.statuses[str(r.status_code)] = self.statuses.get(str(r.status_code), 0) + 1
        ack = self.acknowledged_id(item, r)
        if ack is not None:
            item.ack = ack
            return True
        if r.status_code == 409 and r.json().get("error", {}).get("code") == "idempotency_in_progress":
            now = time.monotonic()
            item.in_progress_since = item.in_progress_since or now
            item.stranded = now - item.in_progress_since > STRANDED_SECONDS
        else:
            item.in_progress_since = None
            if r.status_code < 500:
                self.errors.append(f"{item.kind} {item.n}: {r.status_code} {r.text[:300]}")
        return True

    @staticmethod
    def retry_delay(item: Item) -> float:
        return min(0.3 * 2 ** min(item.attempts, 5), 3.0)

    def run(self) -> None:
        reachable = True
        with httpx.Client(base_url=self.url, timeout=REQUEST_SECONDS) as client:
            while time.monotonic() < self.deadline:
                with self.lock:
                    due = [i for i in self.pending if time.monotonic() - i.last_try > self.retry_delay(i)]
                if due:
                    item = due[0]
                elif not self.pending and self.stop_sending.is_set():
                    return
                elif reachable and not self.stop_sending.is_set():
                    item = self.new_item()
                else:
                    time.sleep(0.1)
                    continue
                reachable = self.send(client, item)
                with self.lock:
                    if (item.ack is not None or item.stranded) and item in self.pending:
                        self.pending.remove(item)
                    elif item.ack is None and not item.stranded and item not in self.pending:
                        self.pending.append(item)
                if not reachable:
                    time.sleep(0.1)


# --- processes that die ---------------------------------------------------------------------------------

ORPHAN_WRITER = """
import os, signal, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
import django
django.setup()
from django.db import transaction
from siaga.core import services
from siaga.core.permissions import system_actor

with transaction.atomic():
    # Registered first, so it runs first after COMMIT: the process dies before its event is published.
    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
    services.update_organization(system_actor(), int(sys.argv[1]), name=sys.argv[2])
"""


def write_and_die(env: dict, org_id: int, name: str) -> OutboxEvent:
    """A writer killed between COMMIT and publishing: its event is in the outbox and on no bus."""
    proc = subprocess.run([sys.executable, "-c", ORPHAN_WRITER, str(org_id), name], env=env,
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode(errors="replace")[-2000:]
    ev = OutboxEvent.objects.get(type="organization.updated", payload__name=name)
    assert ev.published_at is None
    return ev


class BusListener(threading.Thread):
    """Collects the outbox ids of every event published on the Redis bus (PostgreSQL + Redis runs)."""

    def __init__(self):
        super().__init__(name="crash-bus-listener", daemon=True)
        import redis

        from siaga.core.bus import channel_name

        self.client = redis.Redis.from_url(settings.SIAGA_BUS)
        self.pubsub = self.client.pubsub()
        self.pubsub.subscribe(channel_name())
        self.pubsub.get_message(timeout=5)  # the subscription's confirmation
        self.ids: set[int] = set()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            msg = self.pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
            if msg and msg["type"] == "message":
                event_id = json.loads(msg["data"]).get("id")
                if event_id is not None:
                    self.ids.add(event_id)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.pubsub.close()
        self.client.close()


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return predicate()


def test_sigkill_loses_no_acknowledged_report_and_replays_the_outbox(world, tmp_path, record_property):
    engine = _engine_or_skip()
    assert database_url_for_subprocess(), "the server process must reach this test database"
    rng = random.Random(SEED)
    env = {"SIAGA_TRUSTED_PROXIES": "1", "SIAGA_LOG_LEVEL": "ERROR"}
    server = start_server_process(tmp_path, env, startup_timeout=STARTUP_SECONDS)
    listener = BusListener() if engine == "postgresql" else None
    if listener:
        listener.start()
    stream = Stream(server.url, world)
    orphans: list[int] = []  # outbox ids committed and unpublished while every process was down
    natural_orphans: set[int] = set()  # ... of those, left by the killed server itself
    kills = 0
    try:
        stream.start()
        for k in range(KILLS):
            time.sleep(rng.uniform(*TRAFFIC_SECONDS))
            assert stream.is_alive(), stream.errors
            server.kill()
            kills += 1
            # Everything committed and not yet published at the moment of death, by the server...
            natural_orphans |= set(OutboxEvent.objects.filter(published_at__isnull=True).values_list("pk", flat=True))
            # ... and by a writer killed between COMMIT and publishing (deterministic, every round).
            orphans.append(write_and_die(server.env, world.pmi.pk, f"Yatim {k + 1}").pk)
            if os.environ.get("SIAGA_CRASH_DEBUG"):
                print("killed", k, time.monotonic(), len(stream.items), flush=True)
            server = start_server_process(tmp_path, env, port=server.port, startup_timeout=STARTUP_SECONDS)
            if os.environ.get("SIAGA_CRASH_DEBUG"):
                print("restarted", k, time.monotonic(), len(stream.items), flush=True)
        time.sleep(rng.uniform(*TRAFFIC_SECONDS))
        stream.stop_sending.set()
        stream.deadline = time.monotonic() + 120
        stream.join(timeout=150)
        assert not stream.is_alive(), "the client did not finish its retries"
        orphans_all = set(orphans) | natural_orphans
        published = _wait(lambda: not OutboxEvent.objects.filter(pk__in=orphans_all, published_at__isnull=True)
                          .exists(), RELAY_WAIT_SECONDS)
        assert published, (
            "events left unpublished by a killed process were not relayed after the restart: "
            f"{list(OutboxEvent.objects.filter(pk__in=orphans_all, published_at__isnull=True).values_list('pk', flat=True))}"
            f"\n{server.log()}")
        if listener:
            assert _wait(lambda: orphans_all <= listener.ids, 10), orphans_all - listener.ids
    finally:
        stream.stop_sending.set()
        stream.deadline = 0
        server.stop()
        if listener:
            listener.stop()

    items = stream.items
    acked = [i for i in items if i.ack is not None]
    stranded = [i for i in items if i.stranded]
    by_kind = {kind: [i for i in items if i.kind == kind] for kind in ("public", "incident", "position")}
    retried = [i for i in acked if i.attempts > 1]
    # A request whose connection broke after it was sent: the kill landed while the server handled it.
    cut = [i for i in items if any(a in CUT for a in i.answers)]
    stranded_committed = [i for i in stranded if Incident.objects.filter(description=i.body["description"]).exists()]
    figures = {
        "engine": engine, "seed": SEED, "kills": kills, "requests_cut_by_a_kill": len(cut),
        "sent": len(items), "acknowledged": len(acked), "acknowledged_after_retry": len(retried),
        **{f"acknowledged_{kind}": sum(1 for i in group if i.ack is not None) for kind, group in by_kind.items()},
        "stranded_authenticated": len(stranded), "stranded_but_committed": len(stranded_committed),
        "unpublished_at_kill_by_server": len(natural_orphans), "orphans_by_killed_writer": len(orphans),
        "statuses": stream.statuses,
    }
    record_property("crash_figures", figures)
    print("crash figures:", json.dumps(figures))
    assert kills == KILLS
    assert not stream.errors, stream.errors[:10]
    assert cut and (retried or stranded), "no request was cut by a kill: the test proved nothing about retries"

    # Every report and position sent was acknowledged in the end, once retried; the only exception is an
    # authenticated write whose key reservation outlived its process (test_..._can_be_retried_with_its_key).
    assert [(i.kind, i.n, i.answers) for i in items if i.ack is None and not i.stranded] == []
    assert stranded == [], "a reservation outlived its process: retries refused for ever"

    # Citizens' reports: exactly one call and one incident per key, the one the client was told about.
    for item in by_kind["public"]:
        key = item.headers["Idempotency-Key"]
        calls = list(Call.objects.filter(channel="app", external_id=key).values_list("incident__tracking_token",
                                                                                    flat=True))
        assert calls == [item.ack], (key, calls, item.answers)
        assert Incident.objects.filter(description=item.body["description"]).count() == 1, (key, item.answers)

    # Call-takers' incidents: exactly one per acknowledged key, with the id the client was given; never two.
    for item in by_kind["incident"]:
        ids = list(Incident.objects.filter(description=item.body["description"]).values_list("pk", flat=True))
        if item.ack is not None:
            assert ids == [item.ack], (item.n, ids, item.answers)
        else:
            assert len(ids) <= 1, (item.n, ids, item.answers)
    assert IdempotencyRecord.objects.filter(status_code__isnull=True).count() == len(stranded)

    # Positions: one track point per instant, the one acknowledged.
    for item in by_kind["position"]:
        at = dt.datetime.fromisoformat(item.body["measured_at"])
        ids = list(PositionReport.objects.filter(unit_id=world.unit_id, measured_at=at).values_list("pk", flat=True))
        assert ids == [item.ack], (item.n, ids, item.answers)
    assert PositionReport.objects.filter(unit_id=world.unit_id).count() == len(by_kind["position"])
    assert Incident.objects.count() == (len(by_kind["public"]) + len(by_kind["incident"]) - len(stranded)
                                        + len(stranded_committed))


def test_an_authenticated_write_cut_by_sigkill_can_be_retried_with_its_key(world, tmp_path):
    """The key's reservation commits with the write and its answer: a kill leaves either nothing (the retry runs)
    or the stored answer (the retry replays it), never a reservation answering 409 for ever."""
    _engine_or_skip()
    server = start_server_process(tmp_path, startup_timeout=STARTUP_SECONDS)
    auth = {"Authorization": f"Bearer {world.call_taker_token}"}
    try:
        cut = None  # (key, body) of a request the kill cut while the server handled it
        for attempt in range(10):
            key = f"cut-{attempt}"
            body = {"type_code": "kecelakaan-lalu-lintas", "description": key, "region_code": "35.76.03",
                    "lat": IN_KOTA[0], "lng": IN_KOTA[1], "location_source": "coordinates"}
            answer: list = []

            def post(body=body, key=key, answer=answer):
                try:
                    answer.append(httpx.post(server.url + "/api/callcenter/incidents", json=body, timeout=60,
                                             headers={**auth, "Idempotency-Key": key}))
                except httpx.HTTPError as exc:
                    answer.append(exc)

            sender = threading.Thread(target=post)
            sender.start()
            # Kill the moment the key's reservation is visible to another process (before the answer is out).
            kill_at = time.monotonic() + 60
            while (time.monotonic() < kill_at and not answer
                   and not IdempotencyRecord.objects.filter(key=key).exists()):
                time.sleep(0.005)
            server.kill()
            sender.join(timeout=30)
            server = start_server_process(tmp_path, port=server.port, startup_timeout=STARTUP_SECONDS)
            if answer and isinstance(answer[0], httpx.HTTPError):
                cut = (key, body)
                # Most telling: the process died holding the key (a committed reservation without an answer).
                if IdempotencyRecord.objects.filter(key=key).exists():
                    break
        if cut is None:
            pytest.fail("no request was cut by a kill")
        key, body = cut
        # The client retries, unchanged, as a client that got no answer must.
        deadline = time.monotonic() + 30
        while True:
            r = httpx.post(server.url + "/api/callcenter/incidents", json=body, timeout=60,
                           headers={**auth, "Idempotency-Key": key})
            if r.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert r.status_code == 201, r.text
        assert list(Incident.objects.filter(description=key).values_list("pk", flat=True)) == [r.json()["id"]]
    finally:
        server.stop()
