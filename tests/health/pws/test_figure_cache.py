"""The figure cache: the summary, trend and map share one computation, and a new measurement is never hidden by it."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.core.permissions import actor_for
from siaga.health import pws, services

from .dataset import build

pytestmark = pytest.mark.django_db

MARCH = (2025, 3)


@pytest.fixture
def worker(hx):
    c = build(hx)
    return actor_for(hx.make_user("health_worker", hx.puskesmas, scope_code="35.76")), c


def test_the_trend_and_map_reuse_the_summary_computation(worker):
    actor, _c = worker
    pws.area_summary(actor, "35.76", MARCH)
    with CaptureQueriesContext(connection) as q:
        trend = pws.area_trend(actor, "35.76", MARCH)
        pws.area_map(actor, "35.76", "stunting", MARCH)
    # No GROUP BY over measurements again: only the area check, the version and the boundaries.
    assert not [x for x in q.captured_queries if "health_measurement" in x["sql"]]
    assert trend["months"][-1]["indicators"]["d"] == 5


def test_a_new_measurement_shows_at_once(worker, hx):
    actor, c = worker
    assert pws.area_summary(actor, "35.76", MARCH)["indicators"]["d"] == 5
    services.record_measurement(hx.actor("kader"), person_id=c["c5"].pk, measured_on=dt.date(2025, 3, 15),
                                weight_g=3600)
    assert pws.area_summary(actor, "35.76", MARCH)["indicators"]["d"] == 6
