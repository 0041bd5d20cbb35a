"""Routing: rules (type-specific, any type, region prefix) and the default agency kinds of the type."""

import datetime as dt

import pytest

from siaga.callcenter import referrals
from siaga.callcenter.models import Referral, RoutingRule, TimelineEntry

from .referrals_helpers import KRANGGAN, world  # noqa: F401


def _route(w, inc):
    return referrals.route_new_incident(w.actor("call_taker"), inc)


def _agencies(refs):
    return sorted(r.agency.name for r in refs)


def test_without_rules_the_default_kinds_go_to_the_agencies_of_the_incident_area(world):
    refs = _route(world, world.incident("uji-kecelakaan"))
    # psc119 + police of Kota Mojokerto; not the regency's police, not the fire brigade.
    assert _agencies(refs) == ["PSC 119 Kota Mojokerto", "Polres Mojokerto Kota"]


def test_a_type_specific_rule_applies_only_to_its_type(world):
    RoutingRule.objects.create(organization=world.cc, incident_type=world.types["uji-pohon"], agency=world.fire)
    assert _agencies(_route(world, world.incident("uji-pohon"))) == ["Damkar Kota Mojokerto"]
    assert "Damkar Kota Mojokerto" not in _agencies(_route(world, world.incident("uji-kecelakaan")))


def test_an_any_type_rule_applies_to_every_type(world):
    RoutingRule.objects.create(organization=world.cc, incident_type=None, agency=world.fire)
    assert _agencies(_route(world, world.incident("uji-pohon"))) == ["Damkar Kota Mojokerto"]
    assert "Damkar Kota Mojokerto" in _agencies(_route(world, world.incident("uji-kecelakaan")))


def test_a_region_prefix_limits_a_rule_to_its_area(world):
    RoutingRule.objects.create(organization=world.cc, incident_type=None, region_prefix="35.76.03", agency=world.fire)
    assert _agencies(_route(world, world.incident("uji-pohon", region_code=KRANGGAN))) == ["Damkar Kota Mojokerto"]
    assert _route(world, world.incident("uji-pohon", region_code="35.76.01.1006")) == []
    # "35.76.0" is not an area: prefixes match whole code segments only.
    RoutingRule.objects.all().update(region_prefix="35.76.0")
    assert _route(world, world.incident("uji-pohon", region_code=KRANGGAN)) == []


def test_inactive_rules_inactive_agencies_and_other_call_centers_rules_are_ignored(world, make_org):
    other_cc = make_org(kind="cc112", region_code="35.16", name="CC 112 Kabupaten")
    RoutingRule.objects.create(organization=world.cc, agency=world.fire, active=False)
    RoutingRule.objects.create(organization=other_cc, agency=world.regency_police)
    closed = make_org(kind="agency", region_code="35.76", name="Dinas tutup")
    closed.active = False
    closed.save()
    RoutingRule.objects.create(organization=world.cc, agency=closed)
    assert _route(world, world.incident("uji-pohon")) == []


def test_a_rule_naming_an_agency_of_a_kind_replaces_the_default_of_that_kind_only(world):
    RoutingRule.objects.create(organization=world.cc, incident_type=world.types["uji-kecelakaan"],
                               agency=world.regency_police)
    refs = _route(world, world.incident("uji-kecelakaan"))
    assert _agencies(refs) == ["PSC 119 Kota Mojokerto", "Polres Mojokerto"]
    reasons = {r.agency_id: TimelineEntry.objects.get(kind="referral.requested", data__referral_id=r.pk).data["reason"]
               for r in refs}
    assert reasons[world.regency_police.pk].startswith("rule:")
    assert reasons[world.psc.pk] == "default:psc119"


def test_the_most_specific_agency_of_a_kind_wins(world, make_org):
    sector = make_org(kind="police", region_code="35.76.03", name="Polsek Kranggan")
    make_org(kind="police", region_code="", name="Polri (nasional)")
    refs = _route(world, world.incident("uji-kecelakaan", region_code=KRANGGAN))
    assert _agencies(refs) == ["PSC 119 Kota Mojokerto", "Polsek Kranggan"]
    # Outside Kranggan the city police is the most specific again.
    refs = _route(world, world.incident("uji-kecelakaan", region_code="35.76.01.1006"))
    assert "Polres Mojokerto Kota" in _agencies(refs) and sector.name not in _agencies(refs)


def test_a_national_agency_is_used_when_nothing_nearer_exists(world, make_org):
    make_org(kind="pln", region_code="", name="PLN (nasional)")
    world.types["uji-pohon"].default_agency_kinds = ["pln"]
    world.types["uji-pohon"].save()
    assert _agencies(_route(world, world.incident("uji-pohon"))) == ["PLN (nasional)"]


def test_an_incident_without_location_uses_the_call_centers_area(world):
    refs = _route(world, world.incident("uji-kecelakaan", region_code=""))
    assert _agencies(refs) == ["PSC 119 Kota Mojokerto", "Polres Mojokerto Kota"]


def test_agencies_inside_an_area_are_used_when_none_contains_it(world, make_org):
    # A kab/kota-level incident with only a kecamatan-level fire post in the city.
    world.fire.region_code = "35.16"
    world.fire.save()
    post = make_org(kind="fire", region_code="35.76.02", name="Pos Damkar Magersari")
    refs = _route(world, world.incident("uji-kebakaran", region_code="35.76"))
    assert [r.agency_id for r in refs] == [post.pk]


def test_the_call_center_never_refers_to_itself(world):
    RoutingRule.objects.create(organization=world.cc, agency=world.cc)
    world.types["uji-pohon"].default_agency_kinds = ["cc112"]
    world.types["uji-pohon"].save()
    assert _route(world, world.incident("uji-pohon")) == []


def test_routing_sets_deadlines_moves_the_incident_and_is_not_repeated(world):
    inc = world.incident("uji-kecelakaan", priority=2)
    refs = _route(world, inc)
    assert len(refs) == 2
    for r in refs:
        assert r.status == "requested"
        assert r.ack_deadline - r.requested_at == dt.timedelta(minutes=5)
    inc.refresh_from_db()
    assert inc.status == "referred"
    assert _route(world, inc) == []
    assert Referral.objects.filter(incident=inc).count() == 2


def test_no_match_leaves_the_incident_new_with_a_note_to_refer_by_hand(world):
    inc = world.incident("uji-pohon")
    assert _route(world, inc) == []
    inc.refresh_from_db()
    assert inc.status == "new"
    assert TimelineEntry.objects.filter(incident=inc, kind="referral.unrouted").exists()


def test_creating_an_incident_through_the_services_routes_it(world):
    services = pytest.importorskip("siaga.callcenter.services")
    inc = services.create_incident(world.actor("call_taker"), type_code="uji-kecelakaan", region_code=KRANGGAN,
                                   description="Tabrakan")
    assert sorted(inc.referrals.values_list("agency_id", flat=True)) == sorted([world.psc.pk, world.police.pk])
    inc.refresh_from_db()
    assert inc.status == "referred"
