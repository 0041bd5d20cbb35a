"""Two yeses for the last place cannot both win: real threads, each with its own database connection, answer at
once. Runs on SQLite by default and on PostgreSQL when DATABASE_URL points there."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from siaga.core.errors import ServiceError
from siaga.core.permissions import actor_for
from siaga.disaster.teams import services
from siaga.disaster.teams.models import Activation, Assignment
from siaga.disaster.volunteers.models import Volunteer

pytestmark = pytest.mark.timeout(180)


def test_concurrent_yeses_never_overfill_an_activation(transactional_db, make_volunteer, activate):
    people = [make_volunteer(f"Relawan {i}", km_north=1 + i / 10) for i in range(6)]
    result = activate(number_needed=2)
    alert_of = {a.volunteer_id: a.pk for a in result.alerts}
    barrier = threading.Barrier(len(people))
    outcomes: dict[int, object] = {}

    def run(v):
        try:
            actor = actor_for(v.user)
            barrier.wait(timeout=30)
            outcomes[v.pk] = services.answer(actor, alert_of[v.pk], "yes")
        except BaseException as exc:  # judged below
            outcomes[v.pk] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(v,)) for v, _ in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    wins = [v for v, r in outcomes.items() if not isinstance(r, BaseException)]
    losses = [r for r in outcomes.values() if isinstance(r, BaseException)]
    assert len(outcomes) == 6
    assert all(isinstance(r, ServiceError) and r.code == "activation_filled" for r in losses), losses
    assert len(wins) == 2
    assert Activation.objects.get(pk=result.activation.pk).state == "filled"
    assert set(Assignment.objects.filter(activation=result.activation, cancelled_at__isnull=True)
               .values_list("volunteer_id", flat=True)) == set(wins)
    assert set(Volunteer.objects.filter(status="deployed").values_list("pk", flat=True)) == set(wins)
