"""One mapping from a Kemendagri code to Indonesia's time zone, used by every capability that shows local times."""

import datetime as dt

import pytest

from siaga.geo.zones import zone_for_region, zone_label


@pytest.mark.parametrize(("code", "label"), [
    ("35.76.01.1006", "WIB"),  # Kota Mojokerto
    ("31", "WIB"), ("36.71", "WIB"), ("11.01", "WIB"),  # Jakarta, Kota Tangerang, Aceh
    ("51.71", "WITA"), ("73.71", "WITA"), ("64.72", "WITA"), ("53", "WITA"),  # Denpasar, Makassar, Samarinda, NTT
    ("81.71", "WIT"), ("82", "WIT"), ("91.71", "WIT"), ("94", "WIT"), ("97", "WIT"),  # Ambon, Malut, Papua...
])
def test_each_province_is_in_its_zone(code, label):
    assert zone_label(zone_for_region(code)) == label


def test_no_region_means_the_server_zone(settings):
    assert zone_for_region("").key == settings.TIME_ZONE
    assert zone_for_region(None).key == settings.TIME_ZONE


def test_the_same_instant_is_a_different_local_day_east_and_west():
    instant = dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.timezone.utc)
    assert instant.astimezone(zone_for_region("31")).date() == dt.date(2026, 3, 31)
    assert instant.astimezone(zone_for_region("91")).date() == dt.date(2026, 4, 1)


def test_the_old_module_names_are_the_same_function():
    from siaga.blood import stats as blood_stats
    from siaga.callcenter import location, stats
    from siaga.disaster import views

    assert stats.zone_for_region is location.zone_for_region is blood_stats.zone_for_region is views.zone_for \
        is zone_for_region
