"""Position ingest: single and batched points, replays, out-of-order points, flagged jumps, refused input."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from siaga.core.errors import NotFound, ServiceError
from siaga.core.models import OutboxEvent
from siaga.core.permissions import PermissionDenied
from siaga.dispatch import positions
from siaga.dispatch.models import PositionReport, Unit

pytestmark = pytest.mark.django_db

# Along Jl. Mojopahit, Kota Mojokerto, about 100 m apart.
P0 = (-7.4706, 112.4387)
P1 = (-7.4715, 112.4390)
P2 = (-7.4724, 112.4393)
# Surabaya, 40 km away: no ambulance gets there in a minute.
FAR = (-7.2575, 112.7521)


def _pt(latlng, at, **kw):
    return {"lat": latlng[0], "lng": latlng[1], "measured_at": at.isoformat(), **kw}


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def t0():
    return timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10)


def test_a_single_point_moves_the_unit_and_is_announced_without_an_outbox_row(fleet, t0, capture_events):
    outbox_before = OutboxEvent.objects.count()
    with capture_events() as evs:
        r = _post(fleet.client("crew"), "/api/dispatch/positions",
                  {"unit_id": fleet.amb1.pk, **_pt(P0, t0, accuracy_m=8, speed_kmh=32.5, heading_deg=90)})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["accepted"], body["moved"], body["points"][0]["status"]) == (1, True, "accepted")
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert (unit.lat, unit.lng, unit.position_at, unit.speed_kmh, unit.heading_deg) == (*P0, t0, 32.5, 90.0)
    row = PositionReport.objects.get(unit=unit)
    assert (row.source, row.flag, row.accuracy_m) == ("phone", "", 8.0)
    assert [e["type"] for e in evs] == ["unit.position"]
    ev = evs[0]
    assert ev["id"] is None and ev["payload"]["id"] == unit.pk and ev["payload"]["lat"] == P0[0]
    # Its dispatch center follows the unit on the map: the event is shared with it.
    assert ev["organization_id"] == fleet.pmi.pk and fleet.psc.pk in ev["shared_with"]
    assert fleet.actor("dispatcher").can_see_event(ev)
    assert not fleet.actor("other_dispatcher").can_see_event(ev)
    assert OutboxEvent.objects.count() == outbox_before


def test_a_batch_is_answered_per_point_and_the_newest_point_wins(fleet, t0):
    pts = [_pt(P2, t0 + dt.timedelta(seconds=20)), _pt(P0, t0), _pt(P1, t0 + dt.timedelta(seconds=10))]
    r = _post(fleet.client("crew"), "/api/dispatch/positions/batch", {"unit_id": fleet.amb1.pk, "points": pts})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [p["status"] for p in body["points"]] == ["accepted"] * 3
    assert [p["index"] for p in body["points"]] == [0, 1, 2]
    assert body["unit"]["position_at"].startswith((t0 + dt.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert (body["unit"]["lat"], body["unit"]["lng"]) == P2
    assert list(PositionReport.objects.filter(unit=fleet.amb1).values_list("lat", flat=True)) == [P0[0], P1[0], P2[0]]


def test_a_replayed_batch_is_answered_as_duplicates_and_stores_nothing_twice(fleet, t0):
    pts = [_pt(P0, t0), _pt(P1, t0 + dt.timedelta(seconds=10))]
    client = fleet.client("crew")
    first = _post(client, "/api/dispatch/positions/batch", {"unit_id": fleet.amb1.pk, "points": pts}).json()
    again = _post(client, "/api/dispatch/positions/batch", {"unit_id": fleet.amb1.pk, "points": pts}).json()
    assert [p["status"] for p in again["points"]] == ["duplicate", "duplicate"]
    assert [p["id"] for p in again["points"]] == [p["id"] for p in first["points"]]
    assert again["moved"] is False
    assert PositionReport.objects.filter(unit=fleet.amb1).count() == 2
    # The same instant twice within one batch: the second is the duplicate.
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk,
                                     [_pt(P2, t0 + dt.timedelta(seconds=30)), _pt(P2, t0 + dt.timedelta(seconds=30))])
    assert [p.status for p in res.points] == ["accepted", "duplicate"]
    # A single replay answers 200, not 201.
    r = _post(client, "/api/dispatch/positions", {"unit_id": fleet.amb1.pk, **pts[0]})
    assert r.status_code == 200 and r.json()["points"][0]["status"] == "duplicate"


def test_an_older_point_joins_the_track_but_never_moves_the_unit_back(fleet, t0):
    crew = fleet.actor("crew")
    positions.record_positions(crew, fleet.amb1.pk, [_pt(P2, t0 + dt.timedelta(seconds=20))])
    res = positions.record_positions(crew, fleet.amb1.pk, [_pt(P1, t0 + dt.timedelta(seconds=10))])
    assert res.points[0].status == "accepted" and res.moved is False
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert (unit.lat, unit.lng, unit.position_at) == (*P2, t0 + dt.timedelta(seconds=20))
    t = positions.track(fleet.actor("dispatcher"), fleet.amb1.pk)
    assert [(p.lat, p.lng) for p in t.points] == [P1, P2]


def test_an_impossible_jump_is_flagged_kept_and_does_not_move_the_unit(fleet, t0, settings):
    crew = fleet.actor("crew")
    positions.record_positions(crew, fleet.amb1.pk, [_pt(P0, t0)])
    res = positions.record_positions(crew, fleet.amb1.pk, [_pt(FAR, t0 + dt.timedelta(seconds=60)),
                                                           _pt(P1, t0 + dt.timedelta(seconds=120))])
    assert [(p.status, p.code) for p in res.points] == [("flagged", "impossible_speed"), ("accepted", "")]
    assert "250 km" in res.points[0].message  # km/h, km/jam in Indonesian
    unit = Unit.objects.get(pk=fleet.amb1.pk)
    assert (unit.lat, unit.lng) == P1  # judged against P0, not against the flagged jump
    flagged = PositionReport.objects.get(unit=unit, flag="impossible_speed")
    assert (flagged.lat, flagged.lng) == FAR
    # The clean track leaves the flagged point out unless asked.
    assert len(positions.track(fleet.actor("dispatcher"), unit.pk).points) == 2
    assert len(positions.track(fleet.actor("dispatcher"), unit.pk, include_flagged=True).points) == 3
    # An out-of-order point is checked against its later neighbour too.
    res = positions.record_positions(crew, fleet.amb1.pk, [_pt(FAR, t0 + dt.timedelta(seconds=119))])
    assert res.points[0].code == "impossible_speed"
    # The limit is a setting: at 100,000 km/h the same jump passes (and becomes the newest position).
    settings.SIAGA_DISPATCH_MAX_SPEED_KMH = 100_000
    res = positions.record_positions(crew, fleet.amb1.pk, [_pt(FAR, t0 + dt.timedelta(seconds=180))])
    assert res.points[0].status == "accepted" and res.moved


@pytest.mark.parametrize(("point", "code"), [
    ({"lat": 91, "lng": 112.4}, "invalid_position"),
    ({"lat": -7.47, "lng": 181}, "invalid_position"),
    ({"lat": 0, "lng": 0}, "null_island"),
    ({"lat": "NaN", "lng": 112.4}, "invalid_number"),
    ({"lat": "utara", "lng": 112.4}, "invalid_number"),
    ({"lng": 112.4}, "invalid_position"),
    ({"lat": -7.47, "lng": 112.4, "heading_deg": 400}, "invalid_heading"),
    ({"lat": -7.47, "lng": 112.4, "accuracy_m": -1}, "invalid_accuracy"),
    ({"lat": -7.47, "lng": 112.4, "source": "satellite"}, "invalid_source"),
])
def test_impossible_coordinates_are_refused_per_point_and_the_valid_ones_kept(fleet, t0, point, code):
    bad = {**point, "measured_at": (t0 + dt.timedelta(seconds=5)).isoformat()}
    r = _post(fleet.client("crew"), "/api/dispatch/positions/batch",
              {"unit_id": fleet.amb1.pk, "points": [_pt(P0, t0), bad]})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [p["status"] for p in body["points"]] == ["accepted", "refused"]
    assert body["points"][1]["code"] == code and body["points"][1]["message"]
    assert PositionReport.objects.filter(unit=fleet.amb1).count() == 1


def test_a_single_refused_point_answers_422_with_its_reason(fleet, t0):
    r = _post(fleet.client("crew"), "/api/dispatch/positions",
              {"unit_id": fleet.amb1.pk, "lat": 0, "lng": 0, "measured_at": t0.isoformat()})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "null_island"
    assert not PositionReport.objects.exists()


def test_times_in_the_future_without_zone_or_too_old_are_refused(fleet):
    now = timezone.now()
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk, [
        _pt(P0, now + dt.timedelta(minutes=5)),
        _pt(P1, now + dt.timedelta(minutes=1)),  # within the allowed clock skew
        {"lat": P2[0], "lng": P2[1], "measured_at": "2026-01-01T08:00:00"},
        {"lat": P2[0], "lng": P2[1], "measured_at": "kemarin"},
        _pt(P2, now - dt.timedelta(days=30)),
    ])
    assert [(p.status, p.code) for p in res.points] == [
        ("refused", "time_in_future"), ("accepted", ""), ("refused", "naive_time"), ("refused", "invalid_time"),
        ("refused", "time_too_old")]


def test_a_batch_over_the_limit_is_refused_whole(fleet, t0, settings):
    settings.SIAGA_DISPATCH_POSITION_BATCH = 3
    pts = [_pt(P0, t0 + dt.timedelta(seconds=i)) for i in range(4)]
    r = _post(fleet.client("crew"), "/api/dispatch/positions/batch", {"unit_id": fleet.amb1.pk, "points": pts})
    assert r.status_code == 422 and r.json()["error"]["code"] == "batch_too_large"
    r = _post(fleet.client("crew"), "/api/dispatch/positions/batch", {"unit_id": fleet.amb1.pk, "points": []})
    assert r.status_code == 422 and r.json()["error"]["code"] == "points_required"
    assert not PositionReport.objects.exists()


def test_only_the_crew_aboard_may_report_a_units_position(fleet, t0):
    pt = [_pt(P0, t0)]
    # Same organisation, not on shift on AMB-01.
    with pytest.raises(PermissionDenied):
        positions.record_positions(fleet.actor("crew_off"), fleet.amb1.pk, pt)
    # The crew of AMB-01 is not aboard AMB-02.
    with pytest.raises(PermissionDenied):
        positions.record_positions(fleet.actor("crew"), fleet.amb2.pk, pt)
    # Another organisation's crew: the unit does not exist for them.
    with pytest.raises(NotFound):
        positions.record_positions(fleet.actor("other_crew"), fleet.amb1.pk, pt)
    # A dispatcher follows positions but does not report them.
    with pytest.raises(PermissionDenied):
        positions.record_positions(fleet.actor("dispatcher"), fleet.amb1.pk, pt)
    r = _post(fleet.client("other_crew"), "/api/dispatch/positions", {"unit_id": fleet.amb1.pk, **pt[0]})
    assert r.status_code == 404
    r = _post(fleet.client("crew_off"), "/api/dispatch/positions/batch", {"unit_id": fleet.amb1.pk, "points": pt})
    assert r.status_code == 403
    assert not PositionReport.objects.exists()
    assert Unit.objects.get(pk=fleet.amb1.pk).position_at is None


def test_an_unknown_unit_is_not_found(fleet, t0):
    with pytest.raises(NotFound):
        positions.record_positions(fleet.actor("crew"), 987654, [_pt(P0, t0)])


def test_the_track_is_filtered_by_time_and_visible_to_the_dispatch_center_only(fleet, t0):
    crew = fleet.actor("crew")
    positions.record_positions(crew, fleet.amb1.pk, [_pt(P, t0 + dt.timedelta(seconds=10 * i))
                                                     for i, P in enumerate((P0, P1, P2))])
    since = (t0 + dt.timedelta(seconds=5)).isoformat()
    r = fleet.client("dispatcher").get(f"/api/dispatch/units/{fleet.amb1.pk}/track",
                                       {"since": since, "limit": 1})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(p["lat"], p["lng"]) for p in body["points"]] == [P2]  # the latest within the window
    assert body["truncated"] is True
    r = fleet.client("dispatcher").get(f"/api/dispatch/units/{fleet.amb1.pk}/track", {"since": since})
    assert [(p["lat"], p["lng"]) for p in r.json()["points"]] == [P1, P2]
    assert fleet.client("other_dispatcher").get(f"/api/dispatch/units/{fleet.amb1.pk}/track").status_code == 404
    r = fleet.client("dispatcher").get(f"/api/dispatch/units/{fleet.amb1.pk}/track",
                                       {"since": t0.isoformat(), "until": (t0 - dt.timedelta(hours=1)).isoformat()})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_range"


def test_a_sea_point_is_flagged_when_the_routing_app_can_tell(fleet, t0, monkeypatch):
    from siaga.routing import query

    def check_on_land(lat, lng):
        if lng > 113:
            raise ServiceError("in the sea", code="point_in_sea", status=422)

    monkeypatch.setattr(query, "check_on_land", check_on_land, raising=False)
    sea = (-7.4706, 113.2)  # Selat Madura, an hour's drive in any case
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk,
                                     [_pt(P0, t0 - dt.timedelta(hours=3)), _pt(sea, t0 - dt.timedelta(hours=1))])
    assert [(p.status, p.code) for p in res.points] == [("accepted", ""), ("flagged", "in_sea")]
    assert (Unit.objects.get(pk=fleet.amb1.pk).lat, Unit.objects.get(pk=fleet.amb1.pk).lng) == P0
    # Without the check (an older routing app) the same kind of point is simply accepted.
    monkeypatch.delattr(query, "check_on_land")
    res = positions.record_positions(fleet.actor("crew"), fleet.amb1.pk, [_pt(sea, t0)])
    assert res.points[0].status == "accepted"


def test_each_point_records_who_sent_it(fleet):
    from siaga.dispatch.models import PositionReport
    from siaga.dispatch.positions import record_positions

    now = timezone.now()
    record_positions(fleet.actor("crew"), fleet.amb1.pk,
                     [{"lat": -7.4701, "lng": 112.4380, "measured_at": now.isoformat()}])
    assert PositionReport.objects.get(unit=fleet.amb1).reported_by == fleet.users["crew"]
