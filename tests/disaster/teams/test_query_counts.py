"""The roster costs the same number of queries whatever its length (no query per line)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.disaster.teams import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/api/disaster/teams/events/{event}/roster", "/bencana/tim/kejadian/{event}/?fragment=1"])
def test_roster_queries_do_not_grow_with_its_lines(world, make_volunteer, activate, url):
    manager = client_for(world["m_mjk"])
    url = url.format(event=world["event"].pk)
    first, first_actor = make_volunteer("Relawan 0")
    result = activate(number_needed=10)
    services.answer(first_actor, result.alerts[0].pk, "yes")
    small = _count(manager, url)
    people = [make_volunteer(f"Relawan {i}", km_north=1 + i) for i in range(1, 6)]
    more = services.alert_more(world["a_mjk"], result.activation.pk).alerts
    assert len(more) == 5
    for (v, me), alert in zip(people[:3], more):
        services.answer(me, alert.pk, "yes" if v != people[2][0] else "no")
    services.check_in(people[0][1], result.activation.assignments.get(volunteer=people[0][0]).pk)
    assert _count(manager, url) == small
