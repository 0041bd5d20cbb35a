"""The public stock board: no login, red-cell availability by group only, no personal data, cached, rate limited."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import override_settings

from siaga.blood import public


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def test_it_shows_availability_by_group_without_login(blood, client, make_units, make_donor):
    make_units(code="PRC", abo="O", rhd="pos", n=3)
    make_units(code="FFP", abo="O", rhd="pos", n=5)  # plasma is not on the red-cell board
    make_donor(name="Rahasia Pribadi")
    r = client.get("/api/blood/public/stock")
    assert r.status_code == 200
    body = r.json()
    assert body["totals"]["O+"] == 3 and body["totals"]["A+"] == 0
    udd = next(s for s in body["sites"] if s["id"] == blood.udd.pk)
    assert {g["group"] for g in udd["groups"]} == {"O+", "O−", "A+", "A−", "B+", "B−", "AB+", "AB−"}
    assert "Rahasia" not in r.content.decode() and '"din"' not in r.content.decode()

    page = client.get("/darah/stok/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-group="O+"' in html and "Rahasia" not in html


def test_the_board_is_cached_for_a_few_seconds(blood, client, make_units):
    make_units(n=1)
    assert public.board()["totals"]["O+"] == 1
    make_units(n=1)
    assert public.board()["totals"]["O+"] == 1  # cached
    assert public.board(fresh=True)["totals"]["O+"] == 2


@override_settings(SIAGA_BLOOD_PUBLIC_RATE="3/60")
def test_it_is_rate_limited_per_address(blood, client):
    codes = [client.get("/darah/stok/data.json").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/api/blood/public/stock").status_code == 429


def test_levels_come_from_days_of_cover_where_demand_is_known(blood, client, make_units):
    from django.utils import timezone

    from siaga.blood.models import ComponentType, DailyUsage

    prc = ComponentType.objects.get(code="PRC")
    for i in range(1, 57):
        DailyUsage.objects.create(organization=blood.pmi, site=blood.udd, component_type=prc, abo="B", rhd="pos",
                                  date=timezone.localdate() - dt.timedelta(days=i), issued=2)
    make_units(code="PRC", abo="B", rhd="pos", n=2)  # one day: red
    make_units(code="PRC", abo="O", rhd="pos", n=1)  # no demand history: counted, no colour
    udd = next(s for s in public.board(fresh=True)["sites"] if s["id"] == blood.udd.pk)
    levels = {g["group"]: g["level"] for g in udd["groups"]}
    assert levels["B+"] == "red"
    assert levels["O+"] == ""
    assert levels["A+"] == "red"  # none at all
