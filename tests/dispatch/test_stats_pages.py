"""Response-time page, API and exports: the figures of the controlled scenario, in the region's zone, per role."""

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.conftest import client_for

from .test_stats_intervals import clock, scenario  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")


def test_api_gives_aggregates_per_grouping(fleet, scenario):
    c = fleet.client()
    body = c.get("/api/dispatch/stats", {"by": "priority"}).json()
    assert body["zone"] == "WIB" and body["by"] == "priority"
    assert body["overall"]["dispatches"] == 4
    assert body["overall"]["intervals"]["travel"] == {"count": 4, "median": 450.0, "p90": pytest.approx(810)}
    p2 = next(i for i in body["items"] if i["key"] == 2)
    assert (p2["target_seconds"], p2["responses"], p2["within_target"], p2["share_within_target"]) == (900, 2, 1, 0.5)
    assert body["targets_minutes"]["1"] == 8
    units = c.get("/api/dispatch/stats").json()["items"]
    assert [(u["label"], u["dispatches"]) for u in units] == [("AMB-01", 3), ("AMB-02", 1)]
    r = c.get("/api/dispatch/stats", {"from": "2026-02-30"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_date"
    assert fleet.client("crew").get("/api/dispatch/stats").status_code == 403


def test_the_page_shows_the_intervals_and_groups(fleet, scenario):
    r = fleet.client().get(reverse("dispatch:stats"))
    assert r.status_code == 200
    body = r.content.decode()
    assert 'data-stat="dispatches">4<' in body
    assert 'data-stat="within-target">67%<' in body
    row = body.split('data-interval="travel"')[1].split("</tr>")[0]
    assert re.search(r">7 \w+ 30 \w+<", row) and re.search(r">13 \w+ 30 \w+<", row)  # median 450 s, p90 810 s
    assert 'data-table="by-kecamatan"' in body and "Kranggan" in body
    assert "data=dispatches" in body  # a dispatcher may export the rows


def test_a_leader_sees_aggregates_but_not_dispatch_rows(fleet, scenario, make_user):
    leader = client_for(make_user("leader", fleet.pmi, scope_code="35.76"))
    body = leader.get(reverse("dispatch:stats")).content.decode()
    assert 'data-stat="dispatches">4<' in body
    assert "data=dispatches" not in body
    url = reverse("dispatch:stats_export", args=["csv"])
    assert leader.get(url, {"data": "summary"}).status_code == 200
    assert leader.get(url, {"data": "dispatches"}).status_code == 403


def test_csv_export_of_dispatches_in_local_time(fleet, scenario):
    r = fleet.client().get(reverse("dispatch:stats_export", args=["csv"]), {"data": "dispatches"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "siaga-dispatch-dispatches-" in r["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert [row["call_sign"] for row in rows] == ["AMB-01", "AMB-01", "AMB-01", "AMB-02"]
    first = rows[0]
    assert first["alert_to_ack_seconds"] == "20" and first["travel_seconds"] == "300"
    assert first["call_to_scene_seconds"] == "440" and first["within_target"] == "1"
    assert rows[3]["first_on_scene"] == "0" and rows[3]["within_target"] == ""
    alerted = scenario.dispatches[0].alerted_at.astimezone(WIB)
    assert first["alerted_at (WIB)"] == alerted.isoformat(timespec="seconds")
    assert first["alerted_at (WIB)"].endswith("+07:00")


def test_summary_export_matches_the_page(fleet, scenario):
    r = fleet.client().get(reverse("dispatch:stats_export", args=["csv"]), {"data": "summary", "priority": "2"})
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    overall = rows[0]
    assert (overall["grouping"], overall["dispatches"], overall["travel_median_seconds"],
            overall["travel_p90_seconds"]) == ("all", "2", "750", "870")
    assert overall["share_within_target"] == "0.500"
    assert {row["grouping"] for row in rows} == {"all", "unit", "station", "priority", "kecamatan", "month"}


def test_xlsx_export_opens_with_local_times_and_definitions(fleet, scenario):
    from openpyxl import load_workbook

    r = fleet.client().get(reverse("dispatch:stats_export", args=["xlsx"]), {"data": "dispatches"})
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["dispatches"]
    head = [c.value for c in ws[1]]
    values = dict(zip(head, [c.value for c in ws[2]]))
    assert values["call_sign"] == "AMB-01" and values["handover_seconds"] == 900
    scenario.dispatches[0].refresh_from_db()
    local = scenario.dispatches[0].on_scene_at.astimezone(WIB)
    assert values["on_scene_at (WIB)"] == local.replace(tzinfo=None)
    info = {row[0].value: row[1].value for row in wb["info"].iter_rows()}
    assert info["time zone"].startswith("WIB") and "turnout" in info["definitions"]


def test_exports_refuse_unknown_formats_and_datasets(fleet):
    c = fleet.client()
    assert c.get(reverse("dispatch:stats_export", args=["pdf"])).status_code == 404
    assert c.get(reverse("dispatch:stats_export", args=["csv"]), {"data": "calls"}).status_code == 400


def test_another_organisation_exports_nothing_of_ours(fleet, scenario):
    r = fleet.client("other_dispatcher").get(reverse("dispatch:stats_export", args=["csv"]), {"data": "dispatches"})
    assert r.status_code == 200
    assert list(csv.DictReader(io.StringIO(r.content.decode()))) == []
