"""The per-process limit on requests in flight: a surge waits for a slot, then gets a quick 503, never a hang."""

import asyncio
import json

from django.utils import translation

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


def _busy_answer(headers: list[tuple[bytes, bytes]], path: str = "/api/x") -> tuple[int, dict]:
    """The answer to a request arriving while the only slot is taken."""
    async def scenario():
        gate, seen = asyncio.Event(), []
        limited = InflightLimit(_app(gate, seen), limit=1, wait_seconds=0.05)
        holder = asyncio.create_task(_call(limited, "/api/holder"))
        while not seen and not holder.done():  # until the holder has its slot
            await asyncio.sleep(0)
        assert seen == ["/api/holder"]
        sent = []

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        await limited({"type": "http", "path": path, "method": "GET", "headers": headers}, receive, send)
        gate.set()
        await holder
        return sent

    sent = asyncio.run(scenario())
    return sent[0]["status"], json.loads(sent[1]["body"])["error"]


ENGLISH = "The server is very busy. Try again in a few seconds; in an emergency, call 112."


def _in(lang: str) -> str:
    """The busy message in a language: the catalogue's translation, or the English text while there is none."""
    with translation.override(lang):
        return translation.gettext(ENGLISH)


def test_the_busy_answer_speaks_english_to_an_api_client_that_asks_for_it():
    status, error = _busy_answer([(b"accept-language", b"en-US,en;q=0.9")])
    assert (status, error["code"], error["message"]) == (503, "server_busy", ENGLISH)


def test_the_busy_answer_is_in_indonesian_by_default_and_when_asked():
    assert _busy_answer([])[1]["message"] == _in("id")
    assert _busy_answer([(b"accept-language", b"id-ID,id;q=0.9,en;q=0.5")])[1]["message"] == _in("id")
    assert _busy_answer([(b"accept-language", b"fr-FR")])[1]["message"] == _in("id")  # not offered: the default


def test_the_language_cookie_wins_over_accept_language():
    cookie = (b"cookie", b"csrftoken=abc; django_language=en")
    assert _busy_answer([cookie, (b"accept-language", b"id")])[1]["message"] == ENGLISH
    to_id = (b"cookie", b"django_language=id")
    assert _busy_answer([to_id, (b"accept-language", b"en")])[1]["message"] == _in("id")


def test_a_page_request_ignores_accept_language_like_the_pages_themselves():
    """Many Indonesian phones run in English: for pages only the language cookie is a choice."""
    assert _busy_answer([(b"accept-language", b"en")], path="/darah/stok/")[1]["message"] == _in("id")
    assert _busy_answer([(b"cookie", b"django_language=en")], path="/darah/stok/")[1]["message"] == ENGLISH


def test_the_language_is_chosen_like_the_language_middleware():
    from siaga.core.inflight import language

    def scope(path="/api/x", **headers):
        return {"path": path, "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]}

    assert language(scope()) == "id"
    assert language(scope(accept_language="en-GB,en;q=0.8")) == "en"
    assert language(scope(accept_language="*, en;q=0.1")) == "id"
    assert language(scope(cookie="django_language=xx", accept_language="en")) == "en"  # a bad cookie is no choice
    assert language(scope("/posyandu/", accept_language="en")) == "id"
