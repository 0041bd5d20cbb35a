"""The in-process bus: fan-out to every subscriber, from any thread, never blocked by a slow one."""

import asyncio
import threading
import time

import pytest

from siaga.core import bus

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(autouse=True)
def memory_bus(settings):
    settings.SIAGA_BUS = "memory"


def _msg(n, topic="organizations"):
    return {"id": n, "type": "organization.updated", "topic": topic, "organization_id": None, "region_code": "",
            "shared_with": [], "payload": {}}


def test_it_fans_out_to_every_subscriber():
    async def main():
        async with bus.subscribe() as a, bus.subscribe() as b, bus.subscribe() as c:
            bus.publish(_msg(1))
            bus.publish(_msg(2))
            return [[(await asyncio.wait_for(s.get(), 2))["id"] for _ in range(2)] for s in (a, b, c)]

    assert asyncio.run(main()) == [[1, 2], [1, 2], [1, 2]]


def test_it_delivers_what_another_thread_publishes():
    async def main():
        async with bus.subscribe() as sub:
            t = threading.Thread(target=lambda: [bus.publish(_msg(n)) for n in range(1, 6)])
            t.start()
            got = [(await asyncio.wait_for(sub.get(), 2))["id"] for _ in range(5)]
            t.join()
            return got

    assert asyncio.run(main()) == [1, 2, 3, 4, 5]


def test_it_drops_an_overflowed_subscriber_without_blocking_the_publisher():
    async def main():
        async with bus.subscribe(maxsize=2) as slow, bus.subscribe() as fast:
            started = time.monotonic()
            t = threading.Thread(target=lambda: [bus.publish(_msg(n)) for n in range(1, 51)])
            t.start()
            t.join(timeout=5)
            publish_seconds = time.monotonic() - started
            got = [(await asyncio.wait_for(fast.get(), 2))["id"] for _ in range(50)]
            with pytest.raises(bus.SubscriptionLost):
                await asyncio.wait_for(slow.get(), 2)
            return publish_seconds, got, slow

    publish_seconds, got, slow = asyncio.run(main())
    assert publish_seconds < 1
    assert got == list(range(1, 51))
    assert slow.overflowed


def test_a_lost_subscription_wakes_a_waiting_consumer():
    async def main():
        async with bus.subscribe() as sub:
            waiter = asyncio.ensure_future(sub.get())
            await asyncio.sleep(0.01)
            threading.Thread(target=bus._hub.drop_all, args=("test",)).start()
            with pytest.raises(bus.SubscriptionLost):
                await asyncio.wait_for(waiter, 2)

    asyncio.run(main())


def test_it_forgets_a_subscriber_when_its_block_ends():
    # Membership, not a count: a live server left by another test may add or drop subscribers meanwhile.
    async def main():
        async with bus.subscribe() as sub:
            assert bus._hub.holds(sub)
        return sub

    sub = asyncio.run(main())
    assert not bus._hub.holds(sub)


def test_it_forgets_a_subscriber_whose_event_loop_closed():
    loop = asyncio.new_event_loop()
    sub = bus.Subscription(loop, 10)
    bus._hub.add(sub)
    assert bus._hub.holds(sub)
    loop.close()
    bus.publish(_msg(1))
    assert not bus._hub.holds(sub)
