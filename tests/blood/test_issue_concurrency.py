"""Concurrent issue never allocates one unit twice: real threads, each with its own database connection.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL points there (the CI runs both).
"""

import threading

import pytest
from django.db import connections

from siaga.blood import services_issue as si
from siaga.blood.models import Component, IssueItem
from siaga.core.errors import ServiceError
from siaga.core.permissions import actor_for

from .test_issue_support import HANDOVER, request_for

pytestmark = pytest.mark.timeout(120)


def _race(blood, request_ids, **kw):
    barrier = threading.Barrier(len(request_ids))
    results: dict[int, object] = {}

    def work(rid):
        try:
            actor = actor_for(blood.officer_user)
            barrier.wait(timeout=20)
            results[rid] = si.issue_request(actor, rid, **HANDOVER, **kw)
        except ServiceError as exc:
            results[rid] = exc
        except BaseException as exc:  # surfaced by the assertions below
            results[rid] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(rid,)) for rid in request_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_threads_racing_for_the_last_unit_get_it_once(transactional_db, blood, make_units):
    unit = make_units(abo="O", rhd="pos", n=1)[0]
    first, second = request_for(blood, quantity=1), request_for(blood, quantity=1)
    results = _race(blood, [first.pk, second.pk])
    wins = [r for r in results.values() if not isinstance(r, BaseException)]
    losses = [r for r in results.values() if isinstance(r, BaseException)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], ServiceError) and losses[0].code == "no_compatible_unit", losses[0]
    assert IssueItem.objects.filter(component=unit).count() == 1
    unit.refresh_from_db()
    assert unit.status == "issued" and unit.version == 1


def test_eight_requesters_share_five_units_without_overlap(transactional_db, blood, make_units):
    units = make_units(abo="O", rhd="pos", n=5)
    requests = [request_for(blood, quantity=1) for _ in range(8)]
    results = _race(blood, [r.pk for r in requests])
    wins = [r for r in results.values() if not isinstance(r, BaseException)]
    assert len(wins) == 5, results
    assert all(isinstance(r, ServiceError) for r in results.values() if isinstance(r, BaseException))
    issued = list(IssueItem.objects.values_list("component_id", flat=True))
    assert sorted(issued) == sorted(u.pk for u in units)
    assert Component.objects.filter(status="issued").count() == 5
