"""Which call center takes a citizen's report, and where a typed place lies."""

import pytest

from siaga.callcenter.public import resolve_place, responsible_call_center, system_actor_for
from siaga.core.errors import ServiceError
from siaga.geo.models import Region

from .public_helpers import make_call_center

pytestmark = pytest.mark.django_db


def test_the_most_specific_area_wins(regions):
    province = make_call_center(region_code="35")
    city = make_call_center(region_code="35.76")
    assert responsible_call_center("35.76.03.1001") == city
    assert responsible_call_center("35.16.01") == province


def test_a_112_center_goes_before_a_psc_119_of_the_same_area(regions):
    psc = make_call_center(kind="psc119", region_code="35.76")
    cc = make_call_center(kind="cc112", region_code="35.76")
    assert responsible_call_center("35.76.01") == cc
    cc.active = False
    cc.save()
    assert responsible_call_center("35.76.01") == psc


def test_other_kinds_of_organisation_never_take_reports(regions, make_org):
    make_org(kind="fire", region_code="35.76")
    with pytest.raises(ServiceError) as exc:
        responsible_call_center("35.76.01")
    assert exc.value.code == "no_call_center" and exc.value.status == 503


def test_with_no_covering_center_the_nearest_province_level_one_answers(regions):
    make_call_center(region_code="32", lat=-6.9175, lng=107.6191)  # Bandung
    banten = make_call_center(region_code="36", lat=-6.1200, lng=106.1503)  # Serang
    # A point in Jakarta whose region is unknown (no boundary loaded): Serang is nearer than Bandung.
    assert responsible_call_center("", -6.1754, 106.8272) == banten
    assert responsible_call_center("31.71", -6.1754, 106.8272) == banten


def test_a_national_center_covers_everything(regions):
    national = make_call_center(region_code="")
    assert responsible_call_center("31.71") == national
    assert responsible_call_center("") == national


def test_the_system_actor_is_a_call_taker_without_a_user(regions):
    center = make_call_center()
    actor = system_actor_for(center)
    assert actor.user is None and actor.organization == center and actor.role == "call_taker"
    assert actor.has("incident.create") and actor.has("call.create") and not actor.is_platform_admin


def test_a_typed_place_finds_its_region(regions):
    assert resolve_place("Kranggan") in ("35.76.03", "35.76.03.1001")
    assert resolve_place("kranggan, kota mojokerto").startswith("35.76.03")
    assert resolve_place("Surodinawan") == "35.76.01.1007"


def test_a_place_named_alike_in_two_kab_kota_needs_the_kab_kota(regions):
    Region.objects.create(code="35.16.01.2001", name="Surodinawan", level=4, parent_id="35.16.01",
                          search_key="surodinawan")
    with pytest.raises(ServiceError) as exc:
        resolve_place("Surodinawan")
    assert exc.value.code == "place_ambiguous" and len(exc.value.details["candidates"]) == 2
    assert resolve_place("Surodinawan, Kota Mojokerto") == "35.76.01.1007"
    assert resolve_place("Surodinawan, Kabupaten Mojokerto") == "35.16.01.2001"


@pytest.mark.parametrize("text, code", [("", "location_required"), (" , ", "location_required"),
                                        ("Xyzzyqwv", "place_unknown")])
def test_an_unknown_place_is_refused(regions, text, code):
    with pytest.raises(ServiceError) as exc:
        resolve_place(text)
    assert exc.value.code == code


def test_a_few_letters_are_not_a_place(regions):
    with pytest.raises(ServiceError) as exc:
        resolve_place("Su")
    assert exc.value.code == "place_unknown"
