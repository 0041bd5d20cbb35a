"""Routing rules API: administrators of a call center configure incident type x region -> agency."""

import json

from siaga.callcenter.models import RoutingRule
from siaga.core.models import AuditLog

from .referrals_helpers import world  # noqa: F401

RULES = "/api/callcenter/referrals/rules"


def _admin(w):
    return w.client("cc_admin")


def test_an_administrator_creates_lists_updates_and_deletes_a_rule(world):
    c = _admin(world)
    r = c.post(RULES, data=json.dumps({"agency_id": world.fire.pk, "incident_type": "uji-kebakaran",
                                       "region_prefix": "35.76.03"}), content_type="application/json")
    assert r.status_code == 201, r.content
    rule = r.json()
    assert rule["organization_id"] == world.cc.pk and rule["incident_type"] == "uji-kebakaran"
    assert rule["agency_name"] == "Damkar Kota Mojokerto" and rule["active"] is True
    assert [x["id"] for x in c.get(RULES).json()] == [rule["id"]]
    r = c.patch(f"{RULES}/{rule['id']}", data=json.dumps({"incident_type": None, "active": False}),
                content_type="application/json")
    assert r.status_code == 200 and r.json()["incident_type"] is None and r.json()["active"] is False
    assert c.delete(f"{RULES}/{rule['id']}").status_code == 204
    assert not RoutingRule.objects.exists()
    actions = list(AuditLog.objects.filter(model="callcenter.routingrule").values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete", "update"]


def test_bad_rules_are_refused_with_a_reason(world):
    c = _admin(world)

    def post(body):
        return c.post(RULES, data=json.dumps(body), content_type="application/json")

    assert post({"agency_id": world.fire.pk, "incident_type": "tidak-ada"}).json()["error"]["code"] == "unknown_type"
    assert post({"agency_id": 999999}).json()["error"]["code"] == "unknown_agency"
    assert post({"agency_id": world.fire.pk, "region_prefix": "99.99"}).json()["error"]["code"] == "unknown_region"
    assert post({"agency_id": world.cc.pk}).json()["error"]["code"] == "self_referral"
    outside = post({"agency_id": world.fire.pk, "region_prefix": "35.16"})
    assert outside.status_code == 403
    assert not RoutingRule.objects.exists()


def test_only_administrators_configure_rules(world):
    body = json.dumps({"agency_id": world.fire.pk})
    for who in ("call_taker", "dispatcher", "psc_liaison"):
        c = world.client(who)
        assert c.get(RULES).status_code == 403
        assert c.post(RULES, data=body, content_type="application/json").status_code == 403
    assert not RoutingRule.objects.exists()


def test_an_agency_administrator_sees_no_rules_of_the_call_center(world):
    RoutingRule.objects.create(organization=world.cc, agency=world.psc)
    assert world.client("psc_admin").get(RULES).json() == []
