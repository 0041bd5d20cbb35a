"""PWS API: drill-down, trend, map, follow-up by name, and who sees what (kader, puskesmas, leader, others)."""

import pytest

from siaga.geo.models import Region
from tests.conftest import client_for

from .dataset import build

pytestmark = pytest.mark.django_db

MELATI, MAWAR = "35.76.01.1006", "35.76.03.1001"
SQUARE = {"type": "Polygon", "coordinates": [[[112.42, -7.47], [112.43, -7.47], [112.43, -7.46], [112.42, -7.46],
                                              [112.42, -7.47]]]}


@pytest.fixture
def users(hx):
    build(hx)
    return {
        "kader": hx.user("kader"),
        "worker": hx.make_user("health_worker", hx.puskesmas, scope_code="35.76"),
        "leader": hx.user("leader"),
        "call_taker": hx.make_user("call_taker", hx.puskesmas, scope_code="35.76"),
    }


def _get(user, url):
    return client_for(user).get(url)


def test_the_puskesmas_drills_down_from_kab_kota_to_posyandu(users, hx):
    body = _get(users["worker"], "/api/health/pws/areas/35.76?month=2025-03").json()
    assert body["area"]["level"] == "kabkota" and body["child_level"] == "kecamatan"
    assert (body["indicators"]["s"], body["indicators"]["d"]) == (8, 5)
    kec = {row["code"]: row["indicators"] for row in body["children"]}
    assert kec["35.76.01"]["s"] == 7 and kec["35.76.03"]["d"] == 1
    kel = _get(users["worker"], "/api/health/pws/areas/35.76.01?month=2025-03").json()
    assert [r["code"] for r in kel["children"]] == [MELATI]
    leaf = _get(users["worker"], f"/api/health/pws/areas/{MELATI}?month=2025-03").json()
    assert leaf["child_level"] == "posyandu"
    assert [(r["id"], r["indicators"]["d"]) for r in leaf["children"]] == [(hx.posyandu.pk, 4)]
    assert [c["code"] for c in leaf["breadcrumbs"]] == ["35.76", "35.76.01"]


def test_the_trend_has_twelve_months(users):
    body = _get(users["worker"], f"/api/health/pws/areas/{MELATI}/trend?month=2025-03").json()
    months = [m["month"] for m in body["months"]]
    assert months[0] == "2024-04" and months[-1] == "2025-03" and len(months) == 12
    assert [m["indicators"]["d"] for m in body["months"][-2:]] == [1, 4]


def test_a_kader_sees_their_own_posyandu_and_not_the_other(users, hx):
    mine = _get(users["kader"], f"/api/health/pws/posyandu/{hx.posyandu.pk}?month=2025-03")
    assert mine.status_code == 200 and mine.json()["indicators"]["d"] == 4
    assert _get(users["kader"], f"/api/health/pws/posyandu/{hx.other_posyandu.pk}").status_code == 404
    assert _get(users["kader"], f"/api/health/pws/areas/{MAWAR}").status_code == 404
    # Asking for the whole city, a kader still sees only their own children counted.
    kota = _get(users["kader"], "/api/health/pws/areas/35.76?month=2025-03").json()
    assert kota["indicators"]["s"] == 7 and kota["area"]["posyandu_count"] == 1


def test_follow_up_names_for_kader_and_health_worker(users, hx):
    rows = _get(users["kader"], f"/api/health/pws/posyandu/{hx.posyandu.pk}/follow-up?month=2025-03").json()["items"]
    reasons = {r["name"]: r["reasons"] for r in rows}
    assert reasons["Intan Tujuh"][0] == "2T"
    # No dose recorded at 14 months: not complete by 12 months, and doses overdue by the schedule.
    assert reasons["Citra Satu"] == ["immunisation_incomplete", "immunisation_overdue"]
    # Weighed last month and well: on the list for the overdue doses alone, which are named.
    assert reasons["Kiki Sembilan"] == ["immunisation_overdue"]
    assert "BCG 1" in {r["name"]: r for r in rows}["Kiki Sembilan"]["overdue_doses"]
    assert "Lala Mawar" not in {r["name"] for r in rows}
    area = _get(users["worker"], "/api/health/pws/areas/35.76/follow-up?month=2025-03").json()["items"]
    assert {r["name"] for r in area} >= {"Intan Tujuh", "Lala Mawar"}


def test_a_leader_sees_aggregates_only_with_small_cells_hidden(users, hx):
    leader = users["leader"]
    body = _get(leader, f"/api/health/pws/areas/{MELATI}?month=2025-03").json()
    ind = body["indicators"]
    assert ind["s"] == 7  # five or more: shown
    assert ind["d"] is None and "d" in ind["suppressed"] and ind["rates"]["d_s"] is None
    assert ind["wasted"] is None and ind["rates"]["wasting"] is None
    assert ind["overweight"] is None and ind["t"] is None
    text = _get(leader, "/api/health/pws/areas/35.76?month=2025-03").content.decode()
    assert "Intan" not in text and "nik" not in text.lower()
    assert _get(leader, "/api/health/pws/areas/35.76/follow-up").status_code == 403
    assert _get(leader, f"/api/health/pws/posyandu/{hx.posyandu.pk}/follow-up").status_code == 403


def test_zero_is_not_hidden(users):
    ind = _get(users["leader"], f"/api/health/pws/areas/{MELATI}?month=2025-03").json()["indicators"]
    assert ind["b"] == 0 and "b" not in ind["suppressed"]


def test_roles_without_health_permissions_are_refused(users):
    r = _get(users["call_taker"], "/api/health/pws/areas/35.76")
    assert r.status_code == 403 and r.json()["error"]["code"]


def test_the_map_fills_each_kelurahan_with_the_indicator(users):
    Region.objects.filter(code=MELATI).update(boundary=SQUARE)
    body = _get(users["worker"], "/api/health/pws/areas/35.76/map?indicator=stunting&month=2025-03").json()
    props = {f["properties"]["code"]: f["properties"] for f in body["features"]}
    assert props[MELATI]["value"] == round(1 / 3, 4)
    assert (props[MELATI]["numerator"], props[MELATI]["denominator"]) == (1, 3)
    assert body["features"][0]["geometry"]["type"] == "Polygon"


def test_bad_months_and_indicators_are_refused(users):
    assert _get(users["worker"], "/api/health/pws/areas/35.76?month=2025-13").json()["error"]["code"] == \
        "invalid_month"
    assert _get(users["worker"], "/api/health/pws/areas/35.76?month=2999-01").json()["error"]["code"] == \
        "future_month"
    assert _get(users["worker"], "/api/health/pws/areas/35.76/map?indicator=nope").status_code == 422
    assert _get(users["worker"], f"/api/health/pws/areas/{MELATI}/map").json()["error"]["code"] == "map_level"
    assert _get(users["worker"], "/api/health/pws/areas/35.7x").json()["error"]["code"] == "invalid_region"
