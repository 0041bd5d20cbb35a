"""Incident numbers stay unique and gap-free when call-takers create incidents at the same moment."""

import threading

import pytest
from django.db import close_old_connections

from siaga.callcenter import services
from siaga.callcenter.models import Incident


@pytest.mark.django_db(transaction=True)
def test_concurrent_creations_get_consecutive_unique_numbers(cc):
    actor = cc.actor()
    errors, barrier = [], threading.Barrier(6)

    def create():
        try:
            barrier.wait(timeout=10)
            services.create_incident(actor, type_code="banjir", region_code="35.16")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    numbers = sorted(Incident.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 6
    assert [int(n[-6:]) for n in numbers] == [1, 2, 3, 4, 5, 6]
