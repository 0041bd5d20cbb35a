"""PWS pages: where each role lands, what each sees (names or not, small cells), the live fragment, refusals."""

import pytest

from tests.conftest import client_for

from .dataset import build

pytestmark = pytest.mark.django_db

MELATI = "35.76.01.1006"


@pytest.fixture
def users(hx):
    build(hx)
    return {"kader": hx.user("kader"), "leader": hx.user("leader"),
            "worker": hx.make_user("health_worker", hx.puskesmas, scope_code="35.76"),
            "call_taker": hx.make_user("call_taker", hx.puskesmas, scope_code="35.76")}


def test_a_kader_lands_on_their_posyandu(users, hx):
    r = client_for(users["kader"]).get("/posyandu/pws/")
    assert r.status_code == 302 and r["Location"] == f"/posyandu/pws/posyandu/{hx.posyandu.pk}/"


def test_the_puskesmas_lands_on_the_city(users):
    r = client_for(users["worker"]).get("/posyandu/pws/")
    assert r.status_code == 302 and r["Location"] == "/posyandu/pws/wilayah/35.76/"


def test_the_area_page_shows_tiles_drilldown_and_map(users):
    r = client_for(users["worker"]).get("/posyandu/pws/wilayah/35.76/?month=2025-03")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'data-tile="d_s"' in html and 'data-child-area="35.76.01"' in html and "data-pws-map" in html
    assert "data-follow-up-link" in html and "/api/stream?topics=health" in html
    assert 'href="/posyandu/pws/wilayah/35.76.01/?month=2025-03"' in html


def test_a_leader_sees_no_names_and_hidden_small_cells(users, hx):
    c = client_for(users["leader"])
    html = c.get(f"/posyandu/pws/wilayah/{MELATI}/?month=2025-03").content.decode()
    assert "&lt;5" in html and "data-follow-up-link" not in html and "Intan" not in html
    assert "/api/stream" not in html and 'data-poll-seconds="300"' in html
    assert c.get(f"/posyandu/pws/wilayah/{MELATI}/tindak-lanjut/").status_code == 403


def test_the_follow_up_page_names_children_for_the_kader(users, hx):
    html = client_for(users["kader"]).get(
        f"/posyandu/pws/posyandu/{hx.posyandu.pk}/tindak-lanjut/?month=2025-03").content.decode()
    assert "Intan Tujuh" in html and "Lala Mawar" not in html


def test_the_fragment_is_the_figures_only(users):
    html = client_for(users["worker"]).get(f"/posyandu/pws/wilayah/{MELATI}/?month=2025-03&fragment=1").content.decode()
    assert 'data-tile="d_s"' in html and "<html" not in html and 'id="pws-trend-data"' in html


def test_other_roles_and_other_posyandu_are_refused(users, hx):
    assert client_for(users["call_taker"]).get("/posyandu/pws/wilayah/35.76/").status_code == 403
    assert client_for(users["kader"]).get(f"/posyandu/pws/posyandu/{hx.other_posyandu.pk}/").status_code == 404


def test_a_bad_month_falls_back_to_this_month(users):
    r = client_for(users["worker"]).get("/posyandu/pws/wilayah/35.76/?month=2025-13")
    assert r.status_code == 200 and "YYYY-MM" in r.content.decode()
