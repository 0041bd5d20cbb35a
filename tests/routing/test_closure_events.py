"""Closures announce themselves on topic "roads", inside the transaction that records them."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from siaga.core.errors import ServiceError
from siaga.core.models import OutboxEvent
from siaga.core.permissions import actor_for
from siaga.routing import services


@pytest.fixture
def dispatcher(db, make_org, make_user):
    org = make_org(kind="psc119", region_code="35.76")
    return actor_for(make_user("dispatcher", org, scope_code="35.76"))


def test_creating_and_lifting_a_closure_emit_events(square_network, dispatcher, capture_events):
    ends = timezone.now() + datetime.timedelta(hours=3)
    with capture_events() as evs:
        c = services.create_closure(dispatcher, network_id=square_network.pk, kind="arcs", arc_ids=[0],
                                    reason="Pohon tumbang", ends_at=ends)
        services.lift_closure(dispatcher, c.pk)
    assert [e["type"] for e in evs] == ["road.closure_created", "road.closure_lifted"]
    assert {e["topic"] for e in evs} == {"roads"}
    p = evs[0]["payload"]
    assert (p["id"], p["network_id"], p["kind"], p["reason"]) == (c.pk, square_network.pk, "arcs", "Pohon tumbang")
    assert p["ends_at"] is not None
    assert evs[0]["organization_id"] == dispatcher.organization.pk
    assert OutboxEvent.objects.filter(type__startswith="road.").count() == 2


def test_a_refused_closure_emits_nothing(square_network, dispatcher, capture_events):
    with capture_events() as evs:
        with pytest.raises(ServiceError):
            services.create_closure(dispatcher, network_id=square_network.pk, kind="arcs", arc_ids=[99999],
                                    reason="x")
    assert evs == []


def test_roads_topic_needs_routing_view(dispatcher):
    from siaga.core.permissions import TOPIC_PERMISSIONS

    assert TOPIC_PERMISSIONS["roads"] == "routing.view"
    ev = {"topic": "roads", "organization_id": dispatcher.organization.pk, "region_code": "35.76"}
    assert dispatcher.can_see_event(ev)
    assert not dispatcher.can_see_event({**ev, "organization_id": dispatcher.organization.pk + 999})
