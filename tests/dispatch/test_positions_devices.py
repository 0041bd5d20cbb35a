"""Vehicle trackers post positions with a device token of the unit's organisation, and only for its units."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.core import tokens
from siaga.core.models import Membership
from siaga.dispatch.models import PositionReport, Unit

from .conftest import member

pytestmark = pytest.mark.django_db


def _tracker_token(org, username):
    user = member("ambulance_crew", org, org.region_code, username)
    return tokens.issue(Membership.objects.get(user=user), "GPS tracker")[1]


def _post(client, raw, body, path="/api/dispatch/positions"):
    return client.post(path, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_tracker_token_of_the_owner_posts_for_an_uncrewed_unit(fleet, client):
    raw = _tracker_token(fleet.pmi, "tracker-pmi")
    at = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=30)
    r = _post(client, raw, {"unit_id": fleet.amb2.pk, "lat": -7.4722, "lng": 112.4337, "measured_at": at.isoformat()})
    assert r.status_code == 201, r.content
    row = PositionReport.objects.get(unit=fleet.amb2)
    assert row.source == "tracker"
    assert Unit.objects.get(pk=fleet.amb2.pk).position_at == at
    # A batch from the same tracker, replayed after a lost answer.
    pts = [{"lat": -7.4722, "lng": 112.4340 + i * 0.0002, "measured_at": (at + dt.timedelta(seconds=5 * (i + 1)))
            .isoformat()} for i in range(3)]
    for expected in ("accepted", "duplicate"):
        r = _post(client, raw, {"unit_id": fleet.amb2.pk, "points": pts}, "/api/dispatch/positions/batch")
        assert r.status_code == 200, r.content
        assert {p["status"] for p in r.json()["points"]} == {expected}
    assert PositionReport.objects.filter(unit=fleet.amb2).count() == 4


def test_another_organisations_tracker_cannot_post_for_our_unit(fleet, client):
    raw = _tracker_token(fleet.other, "tracker-kab")
    at = timezone.now() - dt.timedelta(seconds=30)
    for unit in (fleet.amb1, fleet.amb2):
        r = _post(client, raw, {"unit_id": unit.pk, "lat": -7.47, "lng": 112.43, "measured_at": at.isoformat()})
        assert r.status_code == 404, r.content
        r = _post(client, raw, {"unit_id": unit.pk, "source": "phone", "points": [
            {"lat": -7.47, "lng": 112.43, "measured_at": at.isoformat()}]}, "/api/dispatch/positions/batch")
        assert r.status_code == 404, r.content
    # ... even the organisation that dispatches our units (it follows them, it does not own their trackers).
    raw_psc = _tracker_token(fleet.psc, "tracker-psc")
    r = _post(client, raw_psc, {"unit_id": fleet.amb2.pk, "lat": -7.47, "lng": 112.43, "measured_at": at.isoformat()})
    assert r.status_code == 403, r.content
    assert not PositionReport.objects.exists()
    # Its own unit is fine.
    r = _post(client, raw, {"unit_id": fleet.amb_k1.pk, "lat": -7.579, "lng": 112.434, "measured_at": at.isoformat()})
    assert r.status_code == 201, r.content


def test_a_token_without_position_permission_is_refused(fleet, client):
    user = member("dispatcher", fleet.pmi, "35.76", "sistem-pmi")
    raw = tokens.issue(Membership.objects.get(user=user), "integration")[1]
    at = timezone.now() - dt.timedelta(seconds=30)
    r = _post(client, raw, {"unit_id": fleet.amb2.pk, "lat": -7.47, "lng": 112.43, "measured_at": at.isoformat()})
    assert r.status_code == 403
    assert not PositionReport.objects.exists()
