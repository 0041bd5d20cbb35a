"""The public board's own stream (no login): a new board as soon as stock changes, served by a real server."""

import pytest
from django.core.cache import cache
from django.db import transaction

from siaga.blood import services
from tests.servers import SSEClient, asgi_server  # noqa: F401,F811  (asgi_server is a fixture)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def quick(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5
    cache.clear()


def test_the_public_stream_sends_a_new_board_when_stock_changes(asgi_server, blood, make_units):
    units = make_units(code="PRC", abo="O", rhd="pos", n=2)
    with SSEClient(asgi_server.url, path="/darah/stok/live", timeout=20) as sse:
        first = sse.next_event()
        assert first.event == "board"
        assert first.data["totals"]["O+"] == 2
        with transaction.atomic():
            services.discard_component(blood.officer, units[0].pk, reason="broken_bag")
        ev = sse.next_event()
    assert ev.event == "board" and ev.data["totals"]["O+"] == 1


def test_the_public_stream_needs_no_login_but_limits_open_boards(asgi_server, blood, settings):
    settings.SIAGA_BLOOD_PUBLIC_STREAMS_PER_IP = 1
    with SSEClient(asgi_server.url, path="/darah/stok/live", timeout=20) as sse:
        assert sse.status_code == 200
        with SSEClient(asgi_server.url, path="/darah/stok/live", timeout=5) as second:
            assert second.status_code == 429
