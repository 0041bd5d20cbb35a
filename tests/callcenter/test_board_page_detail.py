"""The incident page: timeline, calls, referrals and audit trail for its call center; less for agencies."""

from __future__ import annotations

from django.test import Client

from siaga.callcenter import services
from tests.web.conftest import parse_markup

from .conftest import MOBILE_E164


def _url(inc) -> str:
    return f"/callcenter/insiden/{inc.pk}/"


def test_the_call_center_sees_everything(cc):
    inc = cc.incident(region_code="35.16.01", answers={"tidak_sadar_terjepit": True})
    r = cc.client().get(_url(inc))
    assert r.status_code == 200
    html = r.content.decode()
    assert inc.number in html and "Jatirejo" in html
    assert "Apakah ada korban tidak sadar atau terjepit kendaraan?" in html
    # Referrals to both agencies, the timeline, the call with its number, and the audit trail.
    assert "PSC 119 Kabupaten Mojokerto" in html and "Polres Mojokerto" in html
    assert 'data-kind="incident.created"' in html or 'class="timeline"' in html
    calls = html.split('id="h-calls"', 1)[1].split("</section>", 1)[0]
    assert MOBILE_E164 in calls
    assert 'id="h-audit"' in html
    m = parse_markup(html)
    assert m.inline_scripts == [] and m.handlers == [] and m.style_attrs == []


def test_an_agency_sees_the_incident_but_not_the_caller_or_the_audit_trail(cc):
    inc = cc.incident()
    r = cc.client("psc_liaison").get(_url(inc))
    assert r.status_code == 200
    html = r.content.decode()
    assert inc.number in html
    # The calls table keeps the callers' numbers to roles with call.view.
    calls = html.split('id="h-calls"', 1)[1].split("</section>", 1)[0]
    assert MOBILE_E164 not in calls and 'class="tel"' not in calls
    assert 'id="h-audit"' not in html


def test_another_call_center_gets_not_found(cc):
    inc = cc.incident()
    assert cc.client("other_call_taker").get(_url(inc)).status_code == 404


def test_an_agency_without_a_referral_gets_not_found(cc, make_org, make_user, login):
    inc = cc.incident()
    fire = make_org(kind="fire", region_code="35.16", name="Damkar Kabupaten Mojokerto")
    assert login(make_user("agency_liaison", fire, scope_code="35.16")).get(_url(inc)).status_code == 404


def test_a_merged_incident_points_to_the_one_it_was_merged_into(cc):
    first = cc.incident()
    second = cc.incident(number="081298765432")
    services.merge_incidents(cc.actor(), second.pk, first.pk)
    html = cc.client().get(_url(second)).content.decode()
    assert f'href="/callcenter/insiden/{first.pk}/"' in html


def test_the_page_offers_a_reload_when_the_incident_changes_live(cc):
    inc = cc.incident()
    html = cc.client().get(_url(inc)).content.decode()
    assert f'data-incident-live data-incident-id="{inc.pk}"' in html
    assert "data-incident-changed" in html


def test_leaders_and_anonymous_users_are_kept_out(cc):
    inc = cc.incident()
    assert cc.client("leader").get(_url(inc)).status_code == 403
    r = Client().get(_url(inc))
    assert r.status_code == 302 and r["Location"].startswith("/login/")
