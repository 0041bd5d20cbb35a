"""Scale-out: two `siaga serve` processes and a huey consumer on one PostgreSQL database and one Redis.

Proves across processes: a write on server A reaches a live stream on server B (and back); an
acknowledgement deadline raises exactly one alarm although both servers' tickers and the consumer's
backstop job race for it; the same POST with the same Idempotency-Key sent to A and then to B (or to
both at once) creates one record, and B answers with A's response.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from siaga.callcenter.models import Incident
from siaga.core import tokens
from siaga.core.models import IdempotencyRecord, Membership, OutboxEvent
from siaga.dispatch.models import Dispatch
from tests.dispatch.conftest import fleet, taxonomy  # noqa: F401  (fixtures)
from tests.servers import SSEClient, bearer, skip_without_scaleout, start_server_process, start_worker_process

pytestmark = [pytest.mark.scaleout, pytest.mark.timeout(600)]

ACK_SECONDS = 3  # the servers' acknowledgement deadline (SIAGA_DISPATCH_ACK_SECONDS)
STARTUP_SECONDS = 180.0


class Cluster:
    def __init__(self, a, b, worker):
        self.a, self.b, self.worker = a, b, worker


@pytest.fixture(scope="module")
def cluster(django_db_setup, tmp_path_factory):
    """Servers A and B and one consumer, all on the test database and the Redis bus and queue."""
    skip_without_scaleout()
    tmp = tmp_path_factory.mktemp("cluster")
    env = {"SIAGA_DISPATCH_ACK_SECONDS": str(ACK_SECONDS)}
    started = []
    try:
        # Side by side, then wait: each takes a while to start on a busy machine.
        started.append(start_server_process(tmp, env, wait=False))
        started.append(start_server_process(tmp, env, wait=False))
        started.append(start_worker_process(tmp, env, wait=False))
        for proc in started:
            proc.wait_ready(STARTUP_SECONDS)
        yield Cluster(*started)
    finally:
        for proc in started:
            proc.stop()


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _token(user) -> dict:
    return bearer(tokens.issue(Membership.objects.get(user=user), "console")[1])


def _incident_body(marker: str) -> dict:
    return {"type_code": "kecelakaan-lalu-lintas", "description": marker, "region_code": "35.76.03",
            "lat": -7.4706, "lng": 112.4387, "location_source": "coordinates"}


def test_a_write_on_server_a_reaches_a_stream_on_server_b_and_back(cluster, transactional_db, fleet):
    taker, dispatcher = _token(fleet.users["call_taker"]), _token(fleet.users["dispatcher"])
    with SSEClient(cluster.b.url, headers=dispatcher, timeout=30) as on_b, \
            SSEClient(cluster.a.url, headers=dispatcher, timeout=30) as on_a:
        r = httpx.post(cluster.a.url + "/api/callcenter/incidents", headers=taker, timeout=30,
                       json=_incident_body("ditulis di A"))
        assert r.status_code == 201, r.text
        incident_id = r.json()["id"]
        got = on_b.events_until(lambda e: e.event == "incident.created")[-1]
        assert got.data["payload"]["id"] == incident_id
        # ... and a change written on B reaches the stream on A.
        r = httpx.patch(f"{cluster.b.url}/api/callcenter/incidents/{incident_id}/status", headers=taker,
                        timeout=30, json={"status": "cancelled", "note": "uji"})
        assert r.status_code == 200, r.text
        got_a = on_a.events_until(lambda e: e.event == "incident.status_changed"
                                  and e.data["payload"].get("id") == incident_id)[-1]
    assert got_a.data["payload"]["to_status"] == "cancelled"
    assert OutboxEvent.objects.get(pk=got.id).published_at is not None


def test_an_acknowledgement_deadline_raises_one_alarm_across_all_processes(cluster, transactional_db, fleet):
    from siaga.dispatch.tasks import raise_ack_alarms as backstop  # the consumer's minute job

    dispatcher = _token(fleet.users["dispatcher"])
    incident = fleet.incident()
    with SSEClient(cluster.b.url, headers=dispatcher, timeout=60) as on_b:
        r = httpx.post(cluster.a.url + "/api/dispatch/dispatches", headers=dispatcher, timeout=30,
                       json={"incident_id": incident.pk, "unit_id": fleet.amb1.pk})
        assert r.status_code == 201, r.text
        dispatch_id = r.json()["id"]
        d = Dispatch.objects.get(pk=dispatch_id)
        # Server A's setting made the deadline: nobody aboard acknowledges.
        assert (d.ack_deadline_at - d.alerted_at).total_seconds() == ACK_SECONDS
        alarm = on_b.events_until(lambda e: e.event == "dispatch.ack_overdue")[-1]
        assert alarm.data["payload"]["id"] == dispatch_id
        # The consumer's backstop runs too (enqueued on Redis now rather than at the next minute; a periodic
        # task keeps no result, so its run is read from the consumer's log)...
        job = backstop()
        assert _wait(lambda: f"{job.id} executed" in cluster.worker.log_path.read_text(errors="replace"), 90), \
            cluster.worker.log()
        # ... and both servers' tickers have had two more rounds (every 5 s) to raise it again.
        with pytest.raises(AssertionError, match="no event"):
            on_b.events_until(lambda e: e.event == "dispatch.ack_overdue", timeout=12)
    assert OutboxEvent.objects.filter(type="dispatch.ack_overdue", payload__id=dispatch_id).count() == 1
    assert incident.timeline.filter(kind="dispatch_ack_overdue").count() == 1
    d.refresh_from_db()
    assert d.ack_alarm_at is not None and d.status == "alerted"


def test_the_same_request_with_the_same_key_on_a_then_b_creates_one_record(cluster, transactional_db, fleet):
    taker = _token(fleet.users["call_taker"])
    headers = {**taker, "Idempotency-Key": "kunci-a-lalu-b"}
    body = _incident_body("sekali saja")
    first = httpx.post(cluster.a.url + "/api/callcenter/incidents", headers=headers, json=body, timeout=30)
    assert first.status_code == 201, first.text
    again = httpx.post(cluster.b.url + "/api/callcenter/incidents", headers=headers, json=body, timeout=30)
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert list(Incident.objects.filter(description="sekali saja").values_list("pk", flat=True)) == \
        [first.json()["id"]]
    # Another body under the same key is refused on either server.
    other = httpx.post(cluster.b.url + "/api/callcenter/incidents", headers=headers, timeout=30,
                       json=_incident_body("lain"))
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert not Incident.objects.filter(description="lain").exists()


def test_the_same_request_on_both_servers_at_once_creates_one_record(cluster, transactional_db, fleet):
    taker = _token(fleet.users["call_taker"])
    headers = {**taker, "Idempotency-Key": "kunci-serentak"}
    body = _incident_body("serentak")
    answers: dict[str, httpx.Response] = {}
    go = threading.Barrier(2)

    def send(name, url):
        go.wait()
        answers[name] = httpx.post(url + "/api/callcenter/incidents", headers=headers, json=body, timeout=60)

    threads = [threading.Thread(target=send, args=(n, s.url)) for n, s in (("a", cluster.a), ("b", cluster.b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=90)
    ids = list(Incident.objects.filter(description="serentak").values_list("pk", flat=True))
    assert len(ids) == 1
    created = [r for r in answers.values() if r.status_code == 201]
    assert created and all(r.json()["id"] == ids[0] for r in created)
    # The other one either replayed the answer or was told the same request is still in progress.
    for r in answers.values():
        assert r.status_code == 201 or (r.status_code == 409
                                        and r.json()["error"]["code"] == "idempotency_in_progress"), r.text
    # A retry now gets the stored answer from either server.
    for server in (cluster.a, cluster.b):
        r = httpx.post(server.url + "/api/callcenter/incidents", headers=headers, json=body, timeout=30)
        assert (r.status_code, r.json()["id"], r.headers.get("Idempotent-Replayed")) == (201, ids[0], "true")
    assert IdempotencyRecord.objects.filter(key="kunci-serentak").count() == 1
