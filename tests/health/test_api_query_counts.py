"""The phone page's roster and the persons list cost the same number of queries for 3 children or 30."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.health import services
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _children(hx, n, start):
    today = services.today_local()
    out = []
    for i in range(n):
        child = hx.child(name=f"Anak {start + i:03d}", birth_date=today - dt.timedelta(days=300 + 20 * i))
        services.record_measurement(hx.actor(), person_id=child.pk, measured_on=today - dt.timedelta(days=30),
                                    weight_g=8000 + 50 * i)
        out.append(child)
    return out


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_roster_and_lists_do_not_grow_with_children(hx):
    c = client_for(hx.user("kader"))
    s = services.open_session(hx.actor(), posyandu_id=hx.posyandu.pk)
    _children(hx, 3, 0)
    few = {u: _count(c, u) for u in (f"/api/health/sessions/{s.pk}", "/api/health/persons")}
    _children(hx, 27, 3)
    many = {u: _count(c, u) for u in few}
    assert many == few
