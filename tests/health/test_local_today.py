"""A kader's "today" is the date where their posyandu is (WIB, WITA or WIT), not one date for the whole country.

At 16:30 UTC it is 23:30 on the 10th in Jakarta but already the 11th in Makassar (00:30) and Jayapura
(01:30). Typed dates are refused only after today in WIT, so no kader's own today is ever refused.
"""

import datetime as dt

import pytest
import time_machine

from siaga.core.errors import ServiceError
from siaga.core.permissions import actor_for, system_actor
from siaga.geo.models import Region
from siaga.health import services
from siaga.health import services_lifecycle as svc
from tests.conftest import client_for

UTC = dt.timezone.utc
EVENING = dt.datetime(2026, 3, 10, 16, 30, tzinfo=UTC)  # 23:30 WIB on the 10th; 00:30 WITA, 01:30 WIT on the 11th
THE_10TH, THE_11TH = dt.date(2026, 3, 10), dt.date(2026, 3, 11)

# Province, kab/kota, kecamatan and kelurahan of one place per zone.
PLACES = {
    "jakarta": [("31", "DKI Jakarta"), ("31.71", "Kota Adm. Jakarta Pusat"), ("31.71.01", "Gambir"),
                ("31.71.01.1001", "Gambir")],
    "makassar": [("73", "Sulawesi Selatan"), ("73.71", "Kota Makassar"), ("73.71.01", "Mariso"),
                 ("73.71.01.1001", "Bontorannu")],
    "jayapura": [("91", "Papua"), ("91.71", "Kota Jayapura"), ("91.71.01", "Jayapura Utara"),
                 ("91.71.01.1001", "Gurabesi")],
}


class Place:
    def __init__(self, posyandu, kader):
        self.posyandu, self.kader = posyandu, kader

    def actor(self):
        return actor_for(self.kader)


@pytest.fixture
def posyandu(db, make_org, make_user):
    """A posyandu per zone, each meeting on the 10th of the month, and its kader."""
    out = {}
    for key, levels in PLACES.items():
        for level, (code, name) in enumerate(levels, start=1):
            parent = levels[level - 2][0] if level > 1 else None
            Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent})
        kelurahan, kabkota = levels[3][0], levels[1][0]
        org = make_org(kind="posyandu", region_code=kelurahan, name=f"Posyandu {key}")
        p = services.create_posyandu(system_actor(), organization_id=org.pk, name=f"Posyandu {key}",
                                     region_code=kelurahan, schedule_day_of_month=10)
        out[key] = Place(p, make_user("kader", org, scope_code=kabkota))
    return out


@pytest.mark.parametrize(("region_code", "today"), [
    ("31.71.01.1001", THE_10TH),  # Jakarta, WIB (UTC+7): still the 10th
    ("35.76", THE_10TH),          # East Java, WIB
    ("", THE_10TH),               # no region: the server's zone, WIB
    ("73.71.01.1001", THE_11TH),  # Makassar, WITA (UTC+8)
    ("51", THE_11TH),             # Bali, WITA
    ("81.71", THE_11TH),          # Maluku, WIT (UTC+9)
    *[(f"{province}.01", THE_11TH) for province in range(91, 98)],  # the Papua provinces, WIT
])
def test_today_is_the_date_in_the_regions_zone(region_code, today):
    with time_machine.travel(EVENING, tick=False):
        assert services.today_local(region_code) == today


def test_a_jakarta_posyandu_is_still_on_the_utc_date_while_papua_and_makassar_are_on_the_next(posyandu):
    with time_machine.travel(EVENING, tick=False):
        days = {key: services.today_local(place.posyandu.region_code) for key, place in posyandu.items()}
    assert days == {"jakarta": THE_10TH, "makassar": THE_11TH, "jayapura": THE_11TH}


def test_the_due_list_is_for_each_posyandus_own_next_day(posyandu):
    """The posyandu meet on the 10th: Jakarta's day is still today, Makassar's and Jayapura's is next month's."""
    with time_machine.travel(EVENING, tick=False):
        on = {key: svc.due_lists(place.actor(), place.posyandu.pk)["on"] for key, place in posyandu.items()}
    assert on == {"jakarta": THE_10TH, "makassar": dt.date(2026, 4, 10), "jayapura": dt.date(2026, 4, 10)}


def test_opening_todays_posyandu_day_takes_the_posyandus_own_date(posyandu):
    with time_machine.travel(EVENING, tick=False):
        jakarta = services.open_session(posyandu["jakarta"].actor(), posyandu_id=posyandu["jakarta"].posyandu.pk)
        jayapura = services.open_session(posyandu["jayapura"].actor(), posyandu_id=posyandu["jayapura"].posyandu.pk)
    assert (jakarta.date, jayapura.date) == (THE_10TH, THE_11TH)


@pytest.mark.parametrize(("key", "month"), [("jakarta", "2026-03"), ("makassar", "2026-04"), ("jayapura", "2026-04")])
def test_the_plans_page_shows_this_month_where_the_posyandu_is(posyandu, key, month):
    """On 31 March at 16:30 UTC Jakarta is still in March; Makassar and Jayapura are in April."""
    place = posyandu[key]
    with time_machine.travel(dt.datetime(2026, 3, 31, 16, 30, tzinfo=UTC), tick=False):
        page = client_for(place.kader).get(f"/posyandu/rencana/posyandu/{place.posyandu.pk}/")
    assert page.status_code == 200
    assert f'name="bulan" value="{month}"' in page.content.decode()


def test_a_date_is_refused_only_after_today_in_wit(posyandu):
    """The 11th is tomorrow in Jakarta but today in Jayapura: it is accepted everywhere; the 12th is refused."""
    jakarta, jayapura = posyandu["jakarta"], posyandu["jayapura"]
    with time_machine.travel(EVENING, tick=False):
        assert services.latest_allowed_date() == THE_11TH
        opened = services.open_session(jayapura.actor(), posyandu_id=jayapura.posyandu.pk, date=THE_11TH)
        assert opened.date == THE_11TH
        with pytest.raises(ServiceError) as exc:
            services.open_session(jakarta.actor(), posyandu_id=jakarta.posyandu.pk, date=dt.date(2026, 3, 12))
        assert exc.value.code == "future_date"
    with time_machine.travel(dt.datetime(2026, 3, 10, 14, 30, tzinfo=UTC), tick=False):  # 23:30 WIT on the 10th
        assert services.latest_allowed_date() == THE_10TH
