"""Closing streams: a client that leaves frees its subscription; a dropped subscription closes the stream."""

import time

import pytest

from siaga.core import bus, tokens
from tests.servers import SSEClient, asgi_server, bearer  # noqa: F401

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def quick_heartbeat(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.2


def _wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def raw_token(make_org, make_user):
    return tokens.issue(make_user("dispatcher", make_org()).memberships.get(), "test")[1]


def _subscribers():
    with bus._hub._lock:
        return set(bus._hub._subs)


def test_a_disconnected_client_is_unsubscribed(asgi_server, raw_token):
    # Compare the subscriptions themselves: a server left by an earlier test may drop its own meanwhile.
    before = _subscribers()
    sse = SSEClient(asgi_server.url, headers=bearer(raw_token)).__enter__()
    try:
        mine = _subscribers() - before
        assert len(mine) == 1
    finally:
        sse.close()
    (sub,) = mine
    assert _wait_for(lambda: not bus._hub.holds(sub))


def test_the_stream_closes_when_the_bus_drops_its_subscriber(asgi_server, raw_token):
    with SSEClient(asgi_server.url, headers=bearer(raw_token)) as sse:
        bus._hub.drop_all("overflow")
        assert sse.wait_closed(timeout=5)
    assert _wait_for(lambda: bus.subscriber_count() == 0)
