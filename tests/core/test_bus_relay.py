"""The relay: outbox rows committed but never published (their process died) reach subscribers later."""

import asyncio
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from siaga.core import bus
from siaga.core.models import OutboxEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(30)]


def _orphan(age_seconds=60, **kw) -> OutboxEvent:
    """An outbox row as left by a process that died between commit and publish."""
    ev = OutboxEvent.objects.create(type="boundaries.imported", topic="regions",
                                    payload={"source": "t", "imported": 1, "repaired": [], "level_counts": {}}, **kw)
    OutboxEvent.objects.filter(pk=ev.pk).update(created_at=timezone.now() - timedelta(seconds=age_seconds))
    return ev


def _relay_while_subscribed(**kw):
    async def main():
        async with bus.subscribe() as sub:
            sent = await asyncio.to_thread(bus.relay_unpublished, **kw)
            got = []
            for _ in range(sent):
                got.append((await asyncio.wait_for(sub.get(), 5))["id"])
            return sent, got

    return asyncio.run(main())


def test_it_relays_unpublished_events_in_order_and_marks_them():
    a, b = _orphan(), _orphan()
    sent, got = _relay_while_subscribed()
    assert sent == 2 and got == [a.pk, b.pk]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_it_leaves_recent_events_to_their_writer():
    _orphan(age_seconds=0)
    assert bus.relay_unpublished() == 0
    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == 1


def test_it_does_not_relay_published_events_again():
    _orphan()
    assert bus.relay_unpublished() == 1
    assert bus.relay_unpublished() == 0


def test_it_relays_in_bounded_batches():
    for _ in range(3):
        _orphan()
    assert bus.relay_unpublished(limit=2) == 2
    assert bus.relay_unpublished(limit=2) == 1


def test_the_relay_command_runs_one_round():
    ev = _orphan()
    call_command("relay_events", "--once")
    ev.refresh_from_db()
    assert ev.published_at is not None


def test_the_periodic_task_relays():
    from siaga.core.tasks import relay_outbox_events

    _orphan()
    assert relay_outbox_events.call_local() == 1


def test_a_failed_publish_leaves_the_row_for_the_next_round(monkeypatch):
    ev = _orphan()

    def down(message):
        raise ConnectionError("bus down")

    monkeypatch.setattr(bus, "publish", down)
    assert bus.relay_unpublished() == 0
    ev.refresh_from_db()
    assert ev.published_at is None
