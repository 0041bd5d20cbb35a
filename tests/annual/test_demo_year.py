"""The demo's year of PMI Kota Mojokerto (siaga.annual.demo): every month of the last twelve has calls and ambulance
trips whose steps come in order, the leader opens an annual page with every figure filled, the stock the blood pages
show and the relief ledger stay consistent, and a second run writes nothing.

The clock stands at 20 May 2026, 09:30 WIB: the demo year runs from 20 May 2025 to 19 May 2026.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from itertools import pairwise
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Count, F, Sum

from siaga import demo
from siaga.annual import demo as year_demo
from siaga.annual.figures import year_for, year_report
from siaga.blood import services as blood_services
from siaga.blood.models import Component, ComponentEvent, DailyUsage, Donation, Donor, IssueItem, Site
from siaga.callcenter.models import NUISANCE_OUTCOMES, Call, CallerNumber, Incident, IncidentCounter, TimelineEntry
from siaga.core.models import Organization, User
from siaga.core.permissions import actor_for
from siaga.disaster.logistics.models import Distribution, DistributionLine, Movement, StockLot
from siaga.dispatch.models import Dispatch, StatusChange

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 5, 20, 9, 30, tzinfo=WIB)
FIRST_DAY, LAST_DAY = dt.date(2025, 5, 20), dt.date(2026, 5, 19)
MIDNIGHT = dt.datetime(2026, 5, 20, tzinfo=WIB)
# Two of Kota Mojokerto's hospitals (the full demo loads all 17 of both Mojokertos from the Kemenkes list).
HOSPITALS = [("rs-3576014", "RSUD dr. Wahidin Sudiro Husodo", "35.76.01.1007"),
             ("rs-3576036", "RS Gatoel", "35.76.01.1006")]
STEPS = ["alerted_at", "acknowledged_at", "en_route_at", "on_scene_at", "transporting_at", "at_hospital_at",
         "handover_done_at", "returning_at", "completed_at"]


def _months():
    """(year, month) of every calendar month the demo year touches."""
    out, day = [], FIRST_DAY
    while day <= LAST_DAY:
        if (day.year, day.month) not in out:
            out.append((day.year, day.month))
        day += dt.timedelta(days=1)
    return out


def _local_months(values) -> Counter:
    return Counter((v.astimezone(WIB).year, v.astimezone(WIB).month) for v in values)


def _hospitals():
    for code, name, kelurahan in HOSPITALS:
        Organization.objects.get_or_create(code=code, defaults={"name": name, "kind": "hospital",
                                                                "region_code": kelurahan})


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo without reference data (as tests/test_demo.py runs it) plus two city hospitals, then its year,
    loaded once for this module in a transaction rolled back at the end (as tests/test_isolation_matrix.py keeps
    its worlds): each test runs in a savepoint inside it. What the blood pages showed before the year is kept."""
    from siaga.geo.search import normalize
    from siaga.geo.models import Region
    from tests.conftest import SAMPLE_REGIONS

    missing = tmp_path_factory.mktemp("demo") / "missing"
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        with django_db_blocker.unblock(), time_machine.travel(NOW, tick=True):
            for code, name, level, parent in SAMPLE_REGIONS:
                Region.objects.update_or_create(code=code, defaults={
                    "name": name, "level": level, "parent_id": parent, "search_key": normalize(name)})
            _hospitals()
            with mock.patch.object(year_demo, "load_year", lambda: {"skipped": "below"}):
                demo.run(data_dir=missing)
            udd = Site.objects.get(code="udd-kota-mojokerto")
            before = SimpleNamespace(
                red_cells=[r for r in blood_services.stock_table(udd) if r["component_type"] == "PRC"],
                usage=set(DailyUsage.objects.filter(site=udd).values_list(
                    "date", "component_type_id", "abo", "rhd", "issued")),
                components=set(Component.objects.values_list("pk", "status")))
            out = year_demo.load_year()
        yield SimpleNamespace(data_dir=missing, udd=udd, before=before, out=out)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def loaded(demo_world, db):
    with time_machine.travel(NOW, tick=True):
        yield Organization.objects.get(code="pmi-kota-mojokerto")


def test_every_month_has_calls_and_ambulance_trips_with_their_steps_in_order(loaded):
    pmi = loaded
    calls = Call.objects.filter(organization=pmi, external_id__startswith=year_demo.MARKER)
    dispatches = Dispatch.objects.filter(organization=pmi)
    call_months = _local_months(calls.values_list("started_at", flat=True))
    trip_months = _local_months(dispatches.values_list("alerted_at", flat=True))
    assert len(_months()) == 13  # 20-31 May 2025 ... 1-19 May 2026
    for month in _months():
        assert call_months[month] > 0 and trip_months[month] > 0, month
    assert not calls.filter(started_at__gte=MIDNIGHT).exists() and not dispatches.filter(alerted_at__gte=MIDNIGHT)

    # A realistic line: most calls answered, about a third prank, silent or accidental; a few numbers flagged.
    total = calls.count()
    nuisance = calls.filter(outcome__in=NUISANCE_OUTCOMES).count()
    assert 0.3 <= nuisance / total <= 0.4
    assert 0.9 <= calls.filter(answered_at__isnull=False).count() / total < 1
    for started, answered, ended in calls.values_list("started_at", "answered_at", "ended_at"):
        assert started < ended and (answered is None or started < answered < ended)
    flagged = CallerNumber.objects.filter(organization=pmi, flagged=True)
    assert flagged.exists()
    assert calls.filter(caller_flagged=True).exclude(caller_number__in=flagged.values("number")).count() == 0

    # Incidents: numbered from the counter, in a Kota Mojokerto kelurahan, created by their call, closed.
    incidents = Incident.objects.filter(organization=pmi)
    assert incidents.count() == calls.filter(outcome="new_incident").count()
    for year, last in IncidentCounter.objects.filter(organization=pmi).values_list("year", "last"):
        assert incidents.filter(number__startswith=f"INC-{year}-").count() == last
    assert not incidents.exclude(region_code__startswith="35.76.").exists()
    assert not incidents.exclude(status="closed").exists()
    assert incidents.filter(calls__outcome="new_incident", calls__answered_at__gte=F("created_at")).count() == 0

    # Every trip: its steps strictly in order after the incident, the unit free again before its next trip.
    late_acks = 0
    for row in dispatches.values(*STEPS, "cancelled_at", "status", "ack_deadline_at", "ack_alarm_at",
                                 "incident__created_at", "destination_id", "unit_id"):
        times = [row[s] for s in STEPS if row[s] is not None]
        assert times == sorted(times) and len(set(times)) == len(times), row
        assert row["incident__created_at"] < row["alerted_at"]
        assert row["ack_deadline_at"] == row["alerted_at"] + dt.timedelta(seconds=60)
        assert (row["ack_alarm_at"] is not None) == (row["acknowledged_at"] > row["ack_deadline_at"])
        late_acks += row["ack_alarm_at"] is not None
        if row["status"] == "completed":
            assert row["on_scene_at"] is not None and row["completed_at"] is not None
            assert (row["destination_id"] is not None) == (row["at_hospital_at"] is not None)
        else:
            assert row["status"] == "cancelled" and row["cancelled_at"] > row["en_route_at"]
    assert late_acks > 0
    free_from: dict = {}
    for unit, alerted, completed, cancelled in dispatches.order_by("alerted_at").values_list(
            "unit_id", "alerted_at", "completed_at", "cancelled_at"):
        if unit in free_from:
            assert alerted > free_from[unit]  # one incident at a time
        free_from[unit] = completed or cancelled
    assert set(free_from) == set(pmi.units.values_list("pk", flat=True))
    # The unit's own status history follows the trip, and the incident's timeline tells it.
    trip = dispatches.filter(status="completed", at_hospital_at__isnull=False).first()
    assert list(StatusChange.objects.filter(dispatch=trip).order_by("at").values_list("to_status", flat=True)) == [
        "alerted", "acknowledged", "en_route", "on_scene", "transporting", "at_hospital", "handover_done",
        "returning", "available"]
    kinds = list(TimelineEntry.objects.filter(incident=trip.incident).values_list("kind", flat=True))
    assert kinds[0] == "incident.created" and kinds[-1] == "incident.status" and "dispatch_on_scene" in kinds


def test_the_leader_opens_a_year_with_every_figure(loaded):
    actor = actor_for(User.objects.get(username="ketua.pmi"))
    report = year_report(actor, year_for(actor))  # 2026: January to May
    assert report["year"] == 2026 and not report["withheld"]
    rows = {row["figure"].key: row for row in report["rows"]}
    assert set(rows) == {"calls_received", "calls_answered", "calls_nuisance", "dispatches", "response_minutes",
                         "within_target", "patients_to_hospital", "bags_collected", "bags_served",
                         "blood_outdated", "people_helped"}
    for key, row in rows.items():
        assert row["records"] > 0 and row["year"], key
    for key in ("calls_received", "calls_answered", "dispatches", "patients_to_hospital", "bags_served"):
        assert all(m["value"] for m in rows[key]["months"][:5]), key  # every month so far
        assert all(m["value"] is None for m in rows[key]["months"][5:]), key  # June on: still to come
    assert rows["calls_nuisance"]["year"] < rows["calls_answered"]["year"] < rows["calls_received"]["year"]
    assert rows["patients_to_hospital"]["year"] < rows["dispatches"]["year"]
    assert 0 < rows["within_target"]["year"] < 100  # some first arrivals came over their priority's target
    # Relief after the floods of the rainy season (January and March of this year).
    relief = {m["month"] for m in rows["people_helped"]["months"] if m["value"]}
    assert relief and relief <= {1, 2, 3}
    # Last year's part of the demo year shows on last year's page.
    last_year = {row["figure"].key: row for row in year_report(actor, year_for(actor, 2025))["rows"]}
    for key in ("calls_received", "dispatches", "bags_collected", "bags_served", "people_helped"):
        assert last_year[key]["year"], key
    for key in ("calls_received", "dispatches", "bags_served"):  # (blood is collected some days before use)
        assert not any(m["value"] for m in last_year[key]["months"][:4]), key  # before 20 May 2025: nothing


def test_a_second_run_writes_nothing(loaded, demo_world):
    models = [Call, Incident, Dispatch, StatusChange, TimelineEntry, CallerNumber, Donor, Donation, Component,
              ComponentEvent, IssueItem, DailyUsage, Distribution, Movement, StockLot]
    before = {m.__name__: m.objects.count() for m in models}
    demo.run(data_dir=demo_world.data_dir)
    assert {m.__name__: m.objects.count() for m in models} == before
    assert year_demo.load_year() == {"skipped": "loaded already"}


def test_the_blood_year_leaves_the_shelves_and_the_forecast_as_they_were(loaded, demo_world):
    udd, before, out = demo_world.udd, demo_world.before, demo_world.out
    assert out["bags_served"] > 3000 and out["outdated"] > 0
    # The shelves, the days of cover and the usage already recorded are what they were; B+ still runs short.
    assert [r for r in blood_services.stock_table(udd) if r["component_type"] == "PRC"] == before.red_cells
    assert next(r for r in before.red_cells if r["group"] == "B+")["level"] == "red"
    assert before.usage <= set(DailyUsage.objects.filter(site=udd).values_list(
        "date", "component_type_id", "abo", "rhd", "issued"))
    assert before.components <= set(Component.objects.values_list("pk", "status"))
    # Every unit of the year was used, outdated or is out at a hospital: none was added to the stock.
    new = Component.objects.exclude(pk__in=[pk for pk, _s in before.components])
    assert set(new.values_list("status", flat=True)) <= {"issued", "transfused", "expired", "discarded"}
    # The usage the forecast reads agrees with the hand-overs recorded, day by day and group by group.
    issued = Counter()
    for at, ctype, abo, rhd in IssueItem.objects.filter(issue__site=udd).values_list(
            "issue__issued_at", "component__component_type_id", "component__abo", "component__rhd"):
        issued[(at.astimezone(WIB).date(), ctype, abo, rhd)] += 1
    recorded = {(d, c, a, r): n for d, c, a, r, n in DailyUsage.objects.filter(site=udd).values_list(
        "date", "component_type_id", "abo", "rhd", "issued") if n}
    assert recorded == +issued
    # Units are issued after their release and before their expiry, to a Kota Mojokerto hospital.
    items = IssueItem.objects.filter(issue__site=udd)
    assert not items.filter(issue__issued_at__gte=F("component__expires_at")).exists()
    assert not items.filter(issue__issued_at__lte=F("component__donation__screened_at")).exists()
    assert not items.exclude(issue__hospital__region_code__startswith="35.76.").exists()
    # Outdated units: expired at their expiry, then (some of them) destroyed with an "expired" discard.
    outdated = ComponentEvent.objects.filter(component__in=new, to_status="expired")
    assert outdated.count() == out["outdated"]
    assert not outdated.filter(at__lt=F("component__expires_at")).exists()
    assert new.filter(status="discarded", discard__reason="expired").exists()
    # Donors of the year keep the interval between whole-blood donations, and their counts add up.
    donors = Donor.objects.filter(donations__in=Donation.objects.filter(components__in=new)).distinct()
    assert not donors.annotate(n=Count("donations")).exclude(n=F("donation_count")).exists()
    for donor in donors.filter(donation_count__gt=1)[:200]:
        dates = list(donor.donations.order_by("collected_at").values_list("collected_at", flat=True))
        assert all(b - a >= dt.timedelta(days=60) for a, b in pairwise(dates))


def test_relief_comes_from_the_warehouse_lot_by_lot(loaded):
    pmi = loaded
    distributions = Distribution.objects.filter(warehouse__organization=pmi)
    assert distributions.exists()
    assert not distributions.filter(households__gt=F("people")).exists()
    assert {d.astimezone(WIB).month for d in distributions.values_list("distributed_at", flat=True)} <= {
        11, 12, 1, 2, 3}
    for lot in StockLot.objects.filter(warehouse__organization=pmi):
        moves = list(Movement.objects.filter(lot=lot).order_by("at", "pk").values_list(
            "quantity_change", "quantity_after", "distribution_id"))
        running = 0
        for change, after, _d in moves:
            running += change
            assert after == running >= 0
        assert running == lot.quantity
        taken = DistributionLine.objects.filter(lot=lot).aggregate(n=Sum("quantity"))["n"] or 0
        assert taken == -sum(change for change, _a, d in moves if d is not None)
