"""DHIS2-style aggregate export: dataValueSets JSON and CSV per kelurahan and month, and who may export."""

import csv
import io

import pytest

from tests.conftest import client_for

from .dataset import build

pytestmark = pytest.mark.django_db

MELATI, MAWAR = "35.76.01.1006", "35.76.03.1001"


@pytest.fixture
def worker(hx):
    build(hx)
    return hx.make_user("health_worker", hx.puskesmas, scope_code="35.76")


def _values(body):
    return {(v["dataElement"], v["period"], v["orgUnit"]): v["value"] for v in body["dataValues"]}


def test_json_has_one_value_per_element_kelurahan_and_month(worker):
    r = client_for(worker).get("/api/health/pws/export/dhis2?area=35.76&start=202502&end=202503")
    assert r.status_code == 200, r.content
    values = _values(r.json())
    assert values[("PWS_S", "202503", MELATI)] == "7"
    assert values[("PWS_D", "202503", MELATI)] == "4"
    assert values[("PWS_N", "202503", MELATI)] == "2"
    assert values[("PWS_STUNTED", "202503", MAWAR)] == "1"
    assert values[("PWS_IDL", "202503", MELATI)] == "1"
    assert values[("PWS_K4", "202503", MELATI)] == "1"
    assert values[("PWS_D", "202502", MELATI)] == "1"
    assert {v["period"] for v in r.json()["dataValues"]} == {"202502", "202503"}


def test_csv_uses_the_dhis2_columns(worker):
    r = client_for(worker).get("/api/health/pws/export/dhis2?area=35.76.01&start=202503&format=csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert list(rows[0]) == ["dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo",
                             "value", "storedby", "lastupdated", "comment", "followup"]
    got = {(x["dataelement"], x["orgunit"]): x["value"] for x in rows}
    assert got[("PWS_S", MELATI)] == "7" and ("PWS_S", MAWAR) not in got  # only the kecamatan asked for


def test_a_leader_exports_with_small_cells_left_out(hx, worker):
    values = _values(client_for(hx.user("leader")).get(
        f"/api/health/pws/export/dhis2?area={MELATI}&start=202503").json())
    assert values[("PWS_S", "202503", MELATI)] == "7"
    assert ("PWS_D", "202503", MELATI) not in values  # 4: under five
    assert values[("PWS_B", "202503", MELATI)] == "0"


def test_a_kader_may_not_export(hx, worker):
    r = client_for(hx.user("kader")).get(f"/api/health/pws/export/dhis2?area={MELATI}&start=202503")
    assert r.status_code == 403


def test_bad_periods_are_refused(worker):
    c = client_for(worker)
    assert c.get("/api/health/pws/export/dhis2?area=35.76&start=202513").json()["error"]["code"] == "invalid_period"
    assert c.get("/api/health/pws/export/dhis2?area=35.76&start=202503&end=202502").status_code == 400
    assert c.get("/api/health/pws/export/dhis2?area=35.76&start=202201&end=202503").json()["error"]["code"] == \
        "period_too_long"
