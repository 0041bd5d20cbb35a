"""Transfers across kab/kota with a cold-chain record, and suggestions computed from stock, usage and travel time."""

import datetime as dt

import pytest
from django.utils import timezone

from siaga.blood import services_issue as si
from siaga.blood.models import Component, DailyUsage, Discard, Site, TransferSuggestion
from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied, actor_for

D = dt.timedelta


@pytest.fixture
def kab(blood, make_org, make_user):
    """A hospital in Kabupaten Mojokerto with its blood bank, supplied by the city UDD."""
    org = make_org(kind="hospital", region_code="35.16", name="RSUD Prof. dr. Soekandar")
    site = Site.objects.create(organization=org, code="bdrs-soekandar", name="BDRS RSUD Soekandar",
                               kind=Site.Kind.HOSPITAL_BANK, region_code="35.16", supplier=blood.udd,
                               lat=-7.55, lng=112.50)
    Site.objects.filter(pk=blood.udd.pk).update(lat=-7.47, lng=112.43)
    blood.udd.refresh_from_db()
    user = make_user("hospital_officer", org, scope_code="35.16")

    class K:
        pass

    k = K()
    k.org, k.site, k.user, k.actor = org, site, user, actor_for(user)
    return k


def test_a_transfer_moves_units_with_their_cold_chain(blood, kab, make_units, capture_events):
    units = make_units(abo="B", rhd="pos", n=2)
    t = si.create_transfer(blood.officer, from_site_id=blood.udd.pk, to_site_id=kab.site.pk,
                           component_ids=[u.pk for u in units], courier_name="Pak Budi")
    assert t.status == "requested" and t.to_organization_id == kab.org.pk
    assert si.visible_transfers(kab.actor).filter(pk=t.pk).exists()
    with pytest.raises(ServiceError) as exc:
        si.dispatch_transfer(blood.officer, t.pk, temperature_c="15")
    assert exc.value.code == "cold_chain"
    si.dispatch_transfer(blood.officer, t.pk, temperature_c="4")
    assert set(Component.objects.filter(pk__in=[u.pk for u in units]).values_list("status", flat=True)) == {"in_transit"}
    si.add_transfer_reading(kab.actor, t.pk, temperature_c="5.5", place="Jl. Raya Jabon")
    with pytest.raises(PermissionDenied):
        si.receive_transfer(blood.officer, t.pk, temperature_c="5")  # only the receiver takes it in
    with capture_events() as evs:
        t = si.receive_transfer(kab.actor, t.pk, temperature_c="6")
    assert t.status == "received"
    for u in units:
        u.refresh_from_db()
        assert (u.status, u.site_id, u.organization_id, u.region_code) == ("available", kab.site.pk, kab.org.pk,
                                                                           "35.16")
    assert list(t.readings.values_list("place", flat=True))[-1] == "arrival"
    assert any(e["type"] == "blood.transfer.changed" and e["payload"]["accepted"] == 2 for e in evs)
    # The unit's history names both sites.
    assert units[0].history.filter(to_status="in_transit").exists()


def test_a_broken_cold_chain_discards_the_shipment_on_arrival(blood, kab, make_units):
    units = make_units(abo="O", rhd="pos", n=2)
    t = si.create_transfer(blood.officer, from_site_id=blood.udd.pk, to_site_id=kab.site.pk,
                           component_ids=[u.pk for u in units])
    si.dispatch_transfer(blood.officer, t.pk, temperature_c="4")
    si.add_transfer_reading(kab.actor, t.pk, temperature_c="13", place="macet di Jl. Bypass")
    si.receive_transfer(kab.actor, t.pk, temperature_c="6")
    assert set(Discard.objects.values_list("reason", flat=True)) == {"cold_chain"}
    assert Component.objects.filter(status="discarded", site=kab.site).count() == 2
    assert t.items.filter(accepted=False).count() == 2


def test_units_not_available_cannot_be_sent(blood, kab, make_units):
    q = make_units(abo="O", rhd="pos", n=1, status="quarantine")
    with pytest.raises(ServiceError) as exc:
        si.create_transfer(blood.officer, from_site_id=blood.udd.pk, to_site_id=kab.site.pk, component_ids=[q[0].pk])
    assert exc.value.code == "not_available"


def _usage(site, abo, rhd, per_day, days=56):
    from siaga.blood.models import ComponentType

    prc = ComponentType.objects.get(code="PRC")
    today = timezone.localdate()
    DailyUsage.objects.bulk_create([
        DailyUsage(organization_id=site.organization_id, region_code=site.region_code, site=site, component_type=prc,
                   abo=abo, rhd=rhd, date=today - D(days=i), issued=per_day) for i in range(1, days + 1)])


def test_scenario_4_near_expiry_b_units_at_a_hospital_are_suggested_for_the_short_udd(blood, kab, make_units):
    # UDD: group B+ red cells, 3 a day used, 2 units left = 0.67 days of cover (below amber).
    _usage(blood.udd, "B", "pos", 3)
    make_units(site=blood.udd, abo="B", rhd="pos", n=2, expires_in=D(days=20))
    # Hospital bank in the kabupaten: uses 1 every 4 days... recorded as 1 a day on every fourth day.
    from siaga.blood.models import ComponentType

    prc = ComponentType.objects.get(code="PRC")
    today = timezone.localdate()
    DailyUsage.objects.bulk_create([
        DailyUsage(organization_id=kab.org.pk, region_code="35.16", site=kab.site, component_type=prc, abo="B",
                   rhd="pos", date=today - D(days=i), issued=1) for i in range(1, 57) if i % 4 == 0])
    near = make_units(site=kab.site, abo="B", rhd="pos", n=4, expires_in=D(days=3))
    suggestions = si.suggest_transfers(blood.officer, component_type="PRC", groups=[("B", "pos")])
    assert suggestions, "a suggestion was expected"
    best = suggestions[0]
    assert (best.from_site_id, best.to_site_id) == (kab.site.pk, blood.udd.pk)
    assert set(best.component_ids) <= {u.pk for u in near} and best.quantity >= 3
    assert best.details["saved"] >= 3 and best.details["below_amber"] is True
    assert "travel_estimate" in best.details and best.details["travel_hours"] > 0
    assert TransferSuggestion.objects.filter(status="open").count() == len(suggestions)
    # The hospital sees the suggestion about its own units and can act on it.
    assert si.visible_suggestions(kab.actor).filter(pk=best.pk).exists()
    t = si.create_transfer(kab.actor, from_site_id=kab.site.pk, to_site_id=blood.udd.pk,
                           component_ids=best.component_ids, suggestion_id=best.pk)
    best.refresh_from_db()
    assert best.status == "accepted" and t.items.count() == best.quantity
