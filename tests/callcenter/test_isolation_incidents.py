"""Isolation: another call center's incidents and calls do not exist for me; an agency sees only what was referred to it."""

import secrets

import pytest
from django.utils import timezone

from siaga.callcenter import services
from siaga.callcenter.models import Call, Incident, IncidentType, Referral
from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core.permissions import actor_for
from siaga.core.errors import NotFound
from tests.isolation import OrgIsolationSpec

from .conftest import post


def _incident(org):
    seed_taxonomy()
    return Incident.objects.create(
        organization=org, number=f"112-2026-{secrets.randbelow(10**6):06d}", type=IncidentType.objects.get(code="banjir"),
        priority=3, suggested_priority=3, region_code=org.region_code, tracking_token=secrets.token_urlsafe(24),
        created_at=timezone.now(), description="Banjir setinggi lutut")


class TestIncidentIsolation(OrgIsolationSpec):
    role = "call_taker"
    org_kind = "cc112"
    list_url = "/api/callcenter/incidents"
    detail_urls = ["/api/callcenter/incidents/{id}", "/api/callcenter/incidents/{id}/duplicates"]
    write_requests = [
        ("patch", "/api/callcenter/incidents/{id}/status", {"status": "in_progress", "note": "diambil alih"}),
        ("post", "/api/callcenter/incidents/{id}/merge", {"target_id": 1}),
    ]
    page_urls = ["/callcenter/insiden/{id}/"]

    def make_record(self, org):
        return _incident(org)


class TestCallIsolation(OrgIsolationSpec):
    role = "call_taker"
    org_kind = "cc112"
    list_url = "/api/callcenter/calls"
    detail_urls = ["/api/callcenter/calls/{id}"]
    write_requests = [
        ("patch", "/api/callcenter/calls/{id}", {"caller_number": "085600001111"}),
        ("post", "/api/callcenter/calls/{id}/answer", {}),
        ("post", "/api/callcenter/calls/{id}/end", {}),
        ("post", "/api/callcenter/calls/{id}/close", {"outcome": "prank", "reason": "iseng"}),
        ("post", "/api/callcenter/calls/{id}/attach", {"incident_id": 1}),
    ]

    def make_record(self, org):
        return Call.objects.create(organization=org, channel="phone", caller_number="+6281234567890",
                                   started_at=timezone.now())


# --- agencies ------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_an_agency_sees_an_incident_only_once_it_is_referred_to_it(cc):
    inc = services.create_incident(cc.actor(), type_code="banjir", region_code="35.16")  # no agency by default
    liaison = cc.client("psc_liaison")
    assert liaison.get(f"/api/callcenter/incidents/{inc.pk}").status_code == 404
    assert liaison.get("/api/callcenter/incidents").json()["items"] == []
    Referral.objects.create(incident=inc, agency=cc.psc, requested_at=timezone.now(), ack_deadline=timezone.now())
    r = liaison.get(f"/api/callcenter/incidents/{inc.pk}")
    assert r.status_code == 200 and r.json()["number"] == inc.number
    assert [i["id"] for i in liaison.get("/api/callcenter/incidents").json()["items"]] == [inc.pk]
    # the police were not referred: still nothing for them
    assert cc.client("police_liaison").get(f"/api/callcenter/incidents/{inc.pk}").status_code == 404


def test_an_agency_cannot_change_or_merge_an_incident_referred_to_it(cc):
    inc = cc.incident()
    other = cc.incident(number="085600001111")
    liaison = cc.client("psc_liaison")
    r = liaison.patch(f"/api/callcenter/incidents/{inc.pk}/status", data='{"status": "resolved"}',
                      content_type="application/json")
    assert r.status_code == 403
    assert post(liaison, f"/api/callcenter/incidents/{other.pk}/merge", {"target_id": inc.pk}).status_code == 403
    assert Incident.objects.get(pk=inc.pk).status == "referred"


def test_an_agency_gets_no_duplicate_candidates(cc):
    inc = cc.incident()
    cc.incident(number="085600001111")
    r = cc.client("psc_liaison").get(f"/api/callcenter/incidents/{inc.pk}/duplicates")
    assert r.status_code == 403


def test_another_call_center_does_not_see_incidents_or_their_calls(cc):
    inc = cc.incident()
    other = actor_for(cc.users["other_call_taker"])
    assert not services.visible_incidents(other).filter(pk=inc.pk).exists()
    assert not services.visible_calls(other).filter(incident=inc).exists()
    with pytest.raises(NotFound):
        services.get_incident(other, inc.pk)


def test_a_call_taker_sees_nothing_outside_their_area(cc, make_org):
    """A kab/kota-scoped call-taker of a province-wide call center sees only their own kab/kota."""
    from .conftest import member

    province_cc = make_org(kind="cc112", region_code="35", name="Call Center 112 Jawa Timur")
    kab = member("call_taker", province_cc, "35.16", "penerima-prov-kab")
    kota = member("call_taker", province_cc, "35.76", "penerima-prov-kota")
    inc = services.create_incident(actor_for(kab), type_code="banjir", region_code="35.16.01")
    assert services.visible_incidents(actor_for(kab)).filter(pk=inc.pk).exists()
    assert not services.visible_incidents(actor_for(kota)).filter(pk=inc.pk).exists()


def test_an_agency_does_not_get_the_callers_number(cc):
    call = services.start_call(cc.actor(), channel="phone", caller_number="081234567890")
    inc = services.create_incident(cc.actor(), type_code="banjir", region_code="35.16", call_id=call.pk)
    Referral.objects.create(incident=inc, agency=cc.psc, requested_at=timezone.now(), ack_deadline=timezone.now())
    seen_by_agency = cc.client("psc_liaison").get(f"/api/callcenter/incidents/{inc.pk}").content.decode()
    assert "+6281234567890" not in seen_by_agency
    assert "+6281" in seen_by_agency  # the masked form is there: the check is not vacuous
    seen_by_call_taker = cc.client("call_taker").get(f"/api/callcenter/incidents/{inc.pk}").content.decode()
    assert "+6281234567890" in seen_by_call_taker
