"""The per-process limit on requests in flight: a surge waits for a slot, then gets a quick 503, never a hang."""

import asyncio
import json

from siaga.core.inflight import InflightLimit


def _app(gate: asyncio.Event, seen: list):
    async def app(scope, receive, send):
        seen.append(scope["path"])
        await gate.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


async def _call(app, path):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    await app({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send)
    return sent


def test_requests_past_the_limit_wait_then_get_503_with_retry_after_and_streams_are_not_counted():
    async def scenario():
        gate, seen = asyncio.Event(), []
        limited = InflightLimit(_app(gate, seen), limit=2, wait_seconds=0.2)
        running = [asyncio.create_task(_call(limited, f"/api/x/{i}")) for i in range(2)]
        await asyncio.sleep(0.05)
        busy = await _call(limited, "/api/x/late")                 # both slots taken: refused after the wait
        stream = asyncio.create_task(_call(limited, "/api/stream"))  # a live stream is not counted
        await asyncio.sleep(0.05)
        assert "/api/stream" in seen
        gate.set()
        done = await asyncio.gather(*running, stream)
        after = await _call(limited, "/api/x/after")                # slots released: served again
        return busy, done, after, limited.refused, seen

    busy, done, after, refused, seen = asyncio.run(scenario())
    start = busy[0]
    assert start["status"] == 503
    headers = dict(start["headers"])
    assert int(headers[b"retry-after"]) >= 1
    body = json.loads(busy[1]["body"])
    assert body["error"]["code"] == "server_busy" and "112" in body["error"]["message"]
    assert "/api/x/late" not in seen and refused == 1
    assert all(r[0]["status"] == 200 for r in done) and after[0]["status"] == 200


def test_a_waiting_request_takes_the_slot_a_finished_one_frees():
    async def scenario():
        gate, seen = asyncio.Event(), []
        limited = InflightLimit(_app(gate, seen), limit=1, wait_seconds=5)
        first = asyncio.create_task(_call(limited, "/api/a"))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(_call(limited, "/api/b"))
        await asyncio.sleep(0.05)
        assert seen == ["/api/a"]  # the second waits, it is not refused
        gate.set()
        return await asyncio.gather(first, second)

    results = asyncio.run(scenario())
    assert [r[0]["status"] for r in results] == [200, 200]
