"""Response-time statistics from dispatches driven through the services on a controlled clock: exact medians and p90."""

import datetime as dt
from collections import Counter
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from siaga.core.permissions import PermissionDenied
from siaga.dispatch import rosters, services, stats
from siaga.dispatch.models import CrewMember

pytestmark = pytest.mark.django_db


class Clock:
    """timezone.now() under the test's control (freezegun/time-machine are not installed)."""

    def __init__(self, start):
        self.t = start

    def __call__(self):
        return self.t

    def tick(self, seconds):
        self.t += dt.timedelta(seconds=seconds)
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", c)
    return c


def drive(fleet, clock, incident, unit, steps, crew="crew"):
    """Dispatch a unit 60 s after the clock's time and walk it through (status, seconds after the last) steps."""
    clock.tick(60)
    d = services.dispatch_unit(fleet.actor(), incident_id=incident.pk, unit_id=unit.pk)
    for status, seconds in steps:
        who = fleet.actor(crew) if status == "acknowledged" else fleet.actor()
        services.set_dispatch_status(who, d.pk, status, at=clock.tick(seconds))
    return d


FULL_1 = [("acknowledged", 20), ("en_route", 60), ("on_scene", 300), ("transporting", 600), ("at_hospital", 420),
          ("handover_done", 900), ("completed", 60)]
NO_TRANSPORT_2 = [("acknowledged", 40), ("en_route", 120), ("on_scene", 600), ("returning", 300), ("completed", 100)]
FULL_3 = [("acknowledged", 100), ("en_route", 90), ("on_scene", 900), ("transporting", 1200), ("at_hospital", 600),
          ("handover_done", 300), ("completed", 60)]
KRANGGAN, SURODINAWAN = "35.76.03.1001", "35.76.01.1007"  # kelurahan in kecamatan Kranggan, Prajuritkulon
SECOND_UNIT_4 = [("acknowledged", 30), ("en_route", 30), ("on_scene", 200), ("completed", 100)]


@pytest.fixture
def scenario(fleet, clock):
    """Three incidents answered by AMB-01 (P1 in 440 s, P2 in 820 s, P2 in 1150 s), and AMB-02 arriving second
    at the first incident, 7270 s after it was created."""
    pmi = fleet.actor("pmi_dispatcher")
    driver = CrewMember.objects.create(organization=fleet.pmi, name="Slamet", qualifications=["driver"])
    agus = CrewMember.objects.get(user=fleet.users["crew_off"])
    start, end = clock.t - dt.timedelta(hours=1), clock.t + dt.timedelta(hours=8)
    rosters.create_shift(pmi, unit=fleet.amb2, role="driver", starts_at=start, ends_at=end, member=driver)
    rosters.create_shift(pmi, unit=fleet.amb2, role="nurse", starts_at=start, ends_at=end, member=agus)
    t0 = clock.t
    inc1 = fleet.incident(priority=1, priority_reason="korban tidak sadar", region_code=KRANGGAN)
    d1 = drive(fleet, clock, inc1, fleet.amb1, FULL_1)
    inc2 = fleet.incident(description="Motor jatuh di Jl. Benteng Pancasila", region_code=KRANGGAN)
    d2 = drive(fleet, clock, inc2, fleet.amb1, NO_TRANSPORT_2)
    inc3 = fleet.incident(description="Tabrakan di Prajuritkulon", region_code=SURODINAWAN)
    d3 = drive(fleet, clock, inc3, fleet.amb1, FULL_3)
    d4 = drive(fleet, clock, inc1, fleet.amb2, SECOND_UNIT_4, crew="crew_off")
    return SimpleNamespace(t0=t0, incidents=[inc1, inc2, inc3], dispatches=[d1, d2, d3, d4])


def figures(actor, **params):
    return stats.statistics(actor, stats.parse_filters(actor, params))


def test_the_timeline_is_what_the_services_recorded(scenario):
    inc1 = scenario.incidents[0]
    assert inc1.created_at == scenario.t0 and inc1.priority == 1
    d4 = scenario.dispatches[3]
    d4.refresh_from_db()
    assert (d4.on_scene_at - scenario.t0).total_seconds() == 7270


def test_intervals_of_one_unit_have_exact_medians_and_p90(fleet, scenario):
    result = figures(fleet.actor(), unit=str(fleet.amb1.pk))
    iv = result["overall"]["intervals"]
    assert result["overall"]["dispatches"] == 3
    assert iv["alert_to_ack"] == {"count": 3, "median": 40, "p90": 88}
    assert iv["turnout"] == {"count": 3, "median": 90, "p90": 114}
    assert iv["travel"] == {"count": 3, "median": 600, "p90": 840}
    # on scene ends with transporting, or with returning when nobody was taken to hospital
    assert iv["on_scene"] == {"count": 3, "median": 600, "p90": 1080}
    assert iv["transport"] == {"count": 2, "median": 510, "p90": 582}
    assert iv["handover"] == {"count": 2, "median": 600, "p90": 840}
    assert iv["call_to_scene"] == {"count": 3, "median": 820, "p90": pytest.approx(1084)}


def test_overall_and_the_target_share_count_each_incident_once(fleet, scenario):
    o = figures(fleet.actor())["overall"]
    assert o["dispatches"] == 4 and o["acknowledged"] == 4
    assert o["intervals"]["alert_to_ack"] == {"count": 4, "median": 35, "p90": pytest.approx(82)}
    assert o["intervals"]["on_scene"] == {"count": 4, "median": 450, "p90": pytest.approx(1020)}
    assert o["intervals"]["call_to_scene"] == {"count": 4, "median": 985, "p90": pytest.approx(5434)}
    # P1 target 8 min: 440 s met; P2 target 15 min: 820 s met, 1150 s missed. AMB-02 came second: not judged.
    assert (o["responses"], o["within_target"], o["over_target"]) == (3, 2, 1)
    assert o["share_within_target"] == pytest.approx(2 / 3)
    assert o["target_seconds"] is None  # mixed priorities


def test_groups_per_priority_unit_station_and_kecamatan(fleet, scenario):
    groups = figures(fleet.actor())["groups"]
    by_priority = {g["key"]: g for g in groups["priority"]}
    assert set(by_priority) == {1, 2}
    p1, p2 = by_priority[1], by_priority[2]
    assert (p1["dispatches"], p1["target_seconds"], p1["responses"], p1["within_target"]) == (2, 480, 1, 1)
    assert (p2["dispatches"], p2["target_seconds"], p2["responses"], p2["within_target"]) == (2, 900, 2, 1)
    assert p2["share_within_target"] == 0.5
    assert p2["intervals"]["travel"] == {"count": 2, "median": 750, "p90": 870}
    assert [(g["label"], g["dispatches"]) for g in groups["unit"]] == [("AMB-01", 3), ("AMB-02", 1)]
    amb2 = groups["unit"][1]
    assert amb2["intervals"]["call_to_scene"]["median"] == 7270 and amb2["responses"] == 0
    assert [(g["key"], g["dispatches"]) for g in groups["station"]] == [(fleet.station.pk, 4)]
    assert [(g["key"], g["label"], g["dispatches"]) for g in groups["kecamatan"]] == [
        ("35.76.01", "Prajuritkulon", 1), ("35.76.03", "Kranggan", 3)]
    # per local month (the year in one page); the scenario's two hours may straddle a month's end in WIB
    months = [scenario.dispatches[i].alerted_at.astimezone(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
              for i in range(4)]
    assert [(g["key"], g["dispatches"]) for g in groups["month"]] == sorted(Counter(months).items())


def test_filters_narrow_the_figures(fleet, scenario):
    assert figures(fleet.actor(), priority="1")["overall"]["dispatches"] == 2
    assert figures(fleet.actor(), station=str(fleet.station.pk))["overall"]["dispatches"] == 4
    assert figures(fleet.actor(), kecamatan="35.76.03")["overall"]["dispatches"] == 3
    assert figures(fleet.actor(), kecamatan="35.76.99")["overall"]["dispatches"] == 0
    yesterday = (timezone.now() - dt.timedelta(days=2)).date().isoformat()
    assert figures(fleet.actor(), **{"from": yesterday, "to": yesterday})["overall"]["dispatches"] == 0


def test_a_cancelled_dispatch_counts_only_what_happened(fleet, clock):
    inc = fleet.incident()
    d = drive(fleet, clock, inc, fleet.amb1, [("acknowledged", 25)])
    clock.tick(30)
    services.cancel_dispatch(fleet.actor(), d.pk, reason="Korban dibawa warga")
    o = figures(fleet.actor())["overall"]
    assert o["dispatches"] == 1
    assert o["intervals"]["alert_to_ack"] == {"count": 1, "median": 25, "p90": 25}
    assert o["intervals"]["turnout"]["count"] == 0 and o["intervals"]["travel"]["median"] is None
    assert o["responses"] == 0 and o["share_within_target"] is None


def test_figures_follow_the_organisations(fleet, scenario, make_user):
    # PMI owns the units: its leader reads the same aggregates.
    leader = make_user("leader", fleet.pmi, scope_code="35.76")
    from siaga.core.permissions import actor_for

    assert figures(actor_for(leader))["overall"]["dispatches"] == 4
    # next door: nothing
    assert figures(fleet.actor("other_dispatcher"))["overall"]["dispatches"] == 0
    # crews do not read statistics
    with pytest.raises(PermissionDenied):
        figures(fleet.actor("crew"))


def test_bad_filters_are_refused(fleet):
    from siaga.core.errors import ServiceError

    for params in ({"from": "2026-13-01"}, {"from": "2026-03-10", "to": "2026-03-01"}, {"priority": "7"},
                   {"kecamatan": "35.76"}, {"unit": "abc"}, {"from": "2024-01-01", "to": "2026-01-01"}):
        with pytest.raises(ServiceError):
            stats.parse_filters(fleet.actor(), params)
