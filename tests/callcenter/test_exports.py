"""CSV and XLSX exports of calls and incidents: columns, rows, intervals, masking and refusals."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from siaga.callcenter.exports import CALL_COLUMNS, INCIDENT_COLUMNS

from .stats_helpers import PRANKSTER, dataset  # noqa: F401  (fixture)

CSV_URL = "/callcenter/evaluasi/export.csv"
XLSX_URL = "/callcenter/evaluasi/export.xlsx"


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def _xlsx(response) -> tuple[list[str], list[list]]:
    assert response.status_code == 200, response.content[:300]
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    return list(rows[0]), [list(r) for r in rows[1:]]


def test_calls_csv_has_the_columns_and_the_rows_of_the_period(dataset):
    r = dataset.cc.client().get(CSV_URL, {**dataset.params, "data": "calls"})
    assert r["Content-Disposition"] == 'attachment; filename="siaga-calls-2026-05-01_2026-05-03.csv"'
    rows = _csv(r)
    assert list(rows[0].keys()) == [c + " (WIB)" if c.endswith("_at") else c for c in CALL_COLUMNS]
    assert len(rows) == 9
    first = rows[0]
    assert first["started_at (WIB)"] == "2026-05-01T07:00:00+07:00"
    assert first["caller_number"] == "+6281111111111"
    assert (first["ring_seconds"], first["talk_seconds"], first["answer_to_create_seconds"]) == ("10", "290", "60")
    assert first["outcome"] == "new_incident" and first["incident_number"]
    assert [r["outcome"] for r in rows].count("prank") == 2
    assert rows[-1]["outcome"] == "open" and rows[-1]["answer_to_create_seconds"] == ""


def test_free_text_cannot_become_a_spreadsheet_formula(dataset):
    rows = _csv(dataset.cc.client().get(CSV_URL, {**dataset.params, "data": "calls"}))
    reasons = [r["outcome_reason"] for r in rows]
    assert "'=HYPERLINK(\"x\")" in reasons


def test_incidents_csv_has_the_intervals(dataset):
    rows = _csv(dataset.cc.client().get(CSV_URL, {**dataset.params, "data": "incidents"}))
    assert list(rows[0].keys()) == [c + " (WIB)" if c.endswith("_at") else c for c in INCIDENT_COLUMNS]
    assert len(rows) == 3  # the other call center's incident is not there
    i1, i2, i3 = rows
    assert (i1["answer_to_create_seconds"], i1["create_to_dispatch_seconds"], i1["response_seconds"]) == (
        "60", "60", "240")
    assert (i1["response_target_seconds"], i1["within_target"]) == ("600", "1")
    assert (i2["response_seconds"], i2["within_target"]) == ("900", "0")
    assert (i2["referrals_total"], i2["referrals_acknowledged"]) == ("2", "1")
    assert (i3["channel"], i3["priority"], i3["answer_to_create_seconds"]) == ("sms", "3", "120")


def test_xlsx_export_has_the_same_columns_and_rows(dataset):
    header, rows = _xlsx(dataset.cc.client().get(XLSX_URL, {**dataset.params, "data": "incidents"}))
    assert header == [c + " (WIB)" if c.endswith("_at") else c for c in INCIDENT_COLUMNS]
    assert len(rows) == 3
    record = dict(zip(header, rows[0]))
    assert record["response_seconds"] == 240
    # Local wall-clock time: the header names the zone.
    assert record["created_at (WIB)"].isoformat() == "2026-05-01T07:01:10"


def test_xlsx_calls_export_writes_formula_like_text_as_text(dataset):
    header, rows = _xlsx(dataset.cc.client().get(XLSX_URL, {**dataset.params, "data": "calls"}))
    assert len(rows) == 9
    reasons = [dict(zip(header, r))["outcome_reason"] for r in rows]
    assert "'=HYPERLINK(\"x\")" in reasons


def test_a_leader_gets_masked_numbers_and_no_reasons(dataset):
    c = dataset.cc.client("leader")
    rows = _csv(c.get(CSV_URL, {**dataset.params, "data": "calls"}))
    numbers = {r["caller_number"] for r in rows if r["caller_number"]}
    assert PRANKSTER not in numbers
    assert len(numbers) == 6 and all("•" in n for n in numbers)
    assert {r["outcome_reason"] for r in rows} == {""}
    header, xrows = _xlsx(c.get(XLSX_URL, {**dataset.params, "data": "calls"}))
    assert all("•" in (dict(zip(header, r))["caller_number"] or "•") for r in xrows)


@pytest.mark.parametrize("who", ["psc_liaison", "police_liaison"])
def test_roles_without_the_stats_permission_are_refused(dataset, who):
    assert dataset.cc.client(who).get(CSV_URL).status_code == 403
    assert dataset.cc.client(who).get(XLSX_URL).status_code == 403


def test_anonymous_users_are_sent_to_log_in(db):
    from django.test import Client

    r = Client().get(CSV_URL)
    assert r.status_code == 302 and "/login/" in r["Location"]


@pytest.mark.parametrize("params", [{"data": "people"}, {"from": "kemarin"},
                                    {"from": "2026-05-03", "to": "2026-05-01"}])
def test_bad_parameters_are_refused_with_a_message(dataset, params):
    r = dataset.cc.client().get(CSV_URL, params)
    assert r.status_code == 400
    assert r["Content-Type"].startswith("text/html") and b"400" in r.content


def test_another_call_center_is_not_found(dataset):
    r = dataset.cc.client().get(CSV_URL, {"center": dataset.cc.other.pk})
    assert r.status_code == 404
