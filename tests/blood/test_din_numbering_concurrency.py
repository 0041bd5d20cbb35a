"""DIN sequence numbers drawn by concurrent writers are never handed out twice (row-locked counter)."""

import threading

import pytest
from django.db import connections, transaction

from siaga.blood import services
from siaga.blood.models import Counter

pytestmark = pytest.mark.timeout(120)


@pytest.mark.django_db(transaction=True)
def test_two_threads_never_draw_the_same_number():
    drawn: list[int] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def worker():
        try:
            for _ in range(15):
                for attempt in range(20):
                    try:
                        with transaction.atomic():
                            n = services.next_number("din:A9999", 2026)
                        break
                    except Exception as exc:  # SQLite "database is locked" under contention: retry like a client
                        if attempt == 19:
                            raise
                        if "locked" not in str(exc).lower():
                            raise
                with lock:
                    drawn.append(n)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(drawn) == list(range(1, 31))
    assert Counter.objects.get(key="din:A9999", year=2026).last == 30
