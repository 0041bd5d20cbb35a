"""The audit trail page: records of the actor's organisations only, for roles with audit.view."""

from siaga.core import services
from siaga.core.permissions import actor_for


def test_a_leader_sees_own_records_not_strangers(orgs, make_user, login):
    admin = make_user("administrator", orgs["mine"], scope_code="35.76")
    stranger = make_user("administrator", orgs["theirs"], scope_code="35.16")
    services.update_organization(actor_for(admin), orgs["child"].pk, phone="0321-111")
    services.update_organization(actor_for(stranger), orgs["theirs"].pk, phone="0321-999")
    html = login(make_user("leader", orgs["mine"], scope_code="35.76")).get("/audit/").content.decode()
    assert "0321-111" in html
    assert "0321-999" not in html
    assert f'href="/organizations/{orgs["child"].pk}/"' in html


def test_the_audit_page_filters_by_model(orgs, make_user, login):
    admin = make_user("administrator", orgs["mine"], scope_code="35.76")
    services.update_organization(actor_for(admin), orgs["child"].pk, phone="0321-111")
    c = login(make_user("leader", orgs["mine"]))
    assert "0321-111" not in c.get("/audit/", {"model": "core.membership"}).content.decode()
    assert "0321-111" in c.get("/audit/", {"model": "core.organization"}).content.decode()
