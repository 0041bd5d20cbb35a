"""Agencies and call centers see and act on their own referrals only; anything else is 404 and unchanged."""

import json
import secrets

import pytest
from django.utils import timezone

from siaga.callcenter import referrals
from siaga.callcenter.models import Incident, IncidentType, Referral, RoutingRule
from siaga.core.errors import NotFound
from siaga.core.models import Organization
from siaga.core.permissions import actor_for
from tests.isolation import OrgIsolationSpec

from .referrals_helpers import make_referral, world  # noqa: F401

BASE = "/api/callcenter/referrals"
_AGENCY_WRITES = [
    ("post", BASE + "/{id}/acknowledge", {}),
    ("post", BASE + "/{id}/commit", {"resources": "1 ambulans"}),
    ("post", BASE + "/{id}/close", {"note": "x"}),
    ("post", BASE + "/{id}/decline", {"reason": "bukan wilayah kami"}),
    ("post", BASE + "/{id}/cancel", {"reason": "x"}),
]


def _type():
    t, _ = IncidentType.objects.get_or_create(code="uji-isolasi", defaults={
        "name": "Uji isolasi", "category": "Uji", "default_priority": 2})
    return t


def _incident(cc, region_code):
    return Incident.objects.create(organization=cc, number=f"ISO-{secrets.token_hex(4)}", type=_type(), priority=2,
                                   suggested_priority=2, tracking_token=secrets.token_urlsafe(24),
                                   created_at=timezone.now(), region_code=region_code, status="referred")


def _snapshot(record):
    return Referral.objects.filter(pk=record.pk).values().get()


class TestReferralIsolationBetweenAgencies(OrgIsolationSpec):
    """Two agencies, each with a referral from one shared call center: neither sees the other's."""

    role = "agency_liaison"
    org_kind = "psc119"
    region_code = "35.76"
    other_region_code = "35.76"  # same area: only the organisation separates them
    list_url = BASE
    detail_urls = [BASE + "/{id}"]
    write_requests = [w for w in _AGENCY_WRITES if not w[1].endswith("/cancel")]
    page_posts = [("/callcenter/rujukan/{id}/acknowledge/", {}), ("/callcenter/rujukan/{id}/commit/", {"resources": "1 ambulans"}),
                  ("/callcenter/rujukan/{id}/close/", {"note": "x"}), ("/callcenter/rujukan/{id}/decline/", {"reason": "bukan wilayah kami"})]

    def make_record(self, org):
        cc = Organization.objects.filter(code="iso-cc").first() or Organization.objects.create(
            code="iso-cc", name="CC 112 isolasi", kind="cc112", region_code="35.76")
        return make_referral(_incident(cc, "35.76.03.1001"), org)

    def snapshot(self, record):
        return _snapshot(record)


class TestReferralIsolationBetweenCallCenters(OrgIsolationSpec):
    """Two call centers referring to the same agency: neither sees nor cancels the other's referrals."""

    role = "call_taker"
    org_kind = "cc112"
    list_url = BASE
    detail_urls = [BASE + "/{id}"]
    write_requests = _AGENCY_WRITES

    def make_record(self, org):
        agency = Organization.objects.filter(code="iso-psc").first() or Organization.objects.create(
            code="iso-psc", name="PSC 119 isolasi", kind="psc119", region_code="35")
        return make_referral(_incident(org, org.region_code), agency)

    def snapshot(self, record):
        return _snapshot(record)


class TestReferralBoardIsolation(OrgIsolationSpec):
    role = "dispatcher"
    org_kind = "cc112"
    list_url = BASE + "/board"

    def make_record(self, org):
        agency = Organization.objects.filter(code="iso-psc").first() or Organization.objects.create(
            code="iso-psc", name="PSC 119 isolasi", kind="psc119", region_code="35")
        return make_referral(_incident(org, org.region_code), agency)

    def test_it_lists_only_own_organisation(self, setting):
        r = setting["client"].get(self.list_url)
        assert r.status_code == 200
        ids = {item["id"] for item in r.json()["items"]}
        assert setting["mine"].pk in ids and setting["theirs"].pk not in ids


class TestRoutingRuleIsolation(OrgIsolationSpec):
    role = "administrator"
    org_kind = "cc112"
    list_url = BASE + "/rules"
    detail_urls = [BASE + "/rules/{id}"]
    write_requests = [("patch", BASE + "/rules/{id}", {"active": False}), ("delete", BASE + "/rules/{id}", {})]

    def make_record(self, org):
        agency = Organization.objects.create(code=f"iso-agency-{org.pk}", name="Damkar", kind="fire",
                                             region_code=org.region_code)
        return RoutingRule.objects.create(organization=org, agency=agency)


def test_agency_b_cannot_see_or_act_on_agency_a_referral(world):
    inc = world.incident(status="referred")
    mine = make_referral(inc, world.psc)
    before = _snapshot(mine)
    police = world.client("police_liaison")
    assert police.get(f"{BASE}/{mine.pk}").status_code == 404
    for method, template, body in _AGENCY_WRITES:
        r = getattr(police, method)(template.format(id=mine.pk), data=json.dumps(body), content_type="application/json")
        assert r.status_code in (403, 404), (template, r.status_code)
        if not template.endswith("/cancel"):
            assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert _snapshot(mine) == before


def test_an_agency_with_a_referral_still_sees_no_other_agency_on_the_incident(world):
    inc = world.incident(status="referred")
    make_referral(inc, world.psc)
    police_ref = make_referral(inc, world.police)
    actor = world.actor("police_liaison")
    assert [r.pk for r in referrals.visible_referrals(actor)] == [police_ref.pk]
    assert world.client("police_liaison").get(f"{BASE}?incident_id={inc.pk}").json()[0]["id"] == police_ref.pk
    assert len(world.client("police_liaison").get(f"{BASE}?incident_id={inc.pk}").json()) == 1


def test_a_platform_administrator_without_membership_cannot_answer_for_an_agency(world, make_user):
    root = make_user(is_superuser=True)
    ref = make_referral(world.incident(status="referred"), world.psc)
    with pytest.raises(NotFound):
        referrals.acknowledge(actor_for(root), ref.pk)
