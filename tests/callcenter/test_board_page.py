"""The incident board and its fragment: what each role sees, referrals summary, live wiring, query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from siaga.callcenter.models import IncidentStatus, Referral
from tests.web.conftest import parse_markup

URL = "/callcenter/insiden/"
FRAGMENT = "/callcenter/insiden/fragment/"


def test_a_call_taker_sees_open_incidents_with_their_referrals(cc):
    inc = cc.incident(region_code="35.16.01", lat=None, lng=None)
    r = cc.client().get(URL)
    assert r.status_code == 200
    html = r.content.decode()
    assert f'data-incident-id="{inc.pk}"' in html
    assert inc.number in html and "Kecelakaan lalu lintas" in html
    assert "Jatirejo" in html  # the kelurahan's name, not its code
    assert f"P{inc.priority}" in html
    total = Referral.objects.filter(incident=inc).count()
    assert total == 2  # PSC 119 and the police, by the type's default agencies
    assert f'data-referrals="0/{total}"' in html


def test_acknowledged_referrals_are_counted(cc):
    inc = cc.incident()
    Referral.objects.filter(incident=inc, agency=cc.psc).update(status="acknowledged")
    assert 'data-referrals="1/2"' in cc.client().get(FRAGMENT).content.decode()


def test_finished_incidents_leave_the_board(cc):
    inc = cc.incident()
    type(inc).objects.filter(pk=inc.pk).update(status=IncidentStatus.CLOSED)
    html = cc.client().get(URL).content.decode()
    assert f'data-incident-id="{inc.pk}"' not in html


def test_the_most_urgent_incident_comes_first(cc):
    low = cc.incident("orang-terlantar")  # P4
    high = cc.incident(answers={"tidak_sadar_terjepit": True})
    html = cc.client().get(FRAGMENT).content.decode()
    assert high.priority < low.priority
    assert html.index(f'data-incident-id="{high.pk}"') < html.index(f'data-incident-id="{low.pk}"')


def test_another_call_center_does_not_see_it(cc):
    inc = cc.incident()
    html = cc.client("other_call_taker").get(URL).content.decode()
    assert f'data-incident-id="{inc.pk}"' not in html


@pytest.mark.parametrize("who", ["psc_liaison", "police_liaison"])
def test_an_agency_sees_what_was_referred_to_it(cc, who):
    inc = cc.incident()
    html = cc.client(who).get(URL).content.decode()
    assert f'data-incident-id="{inc.pk}"' in html


def test_the_fragment_is_only_the_table(cc):
    inc = cc.incident()
    r = cc.client().get(FRAGMENT)
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<div class="board-body" data-board-body')
    assert "<html" not in html and f'data-incident-id="{inc.pk}"' in html


def test_the_board_listens_to_incident_and_referral_events(cc):
    html = cc.client().get(URL).content.decode()
    assert 'data-stream-url="/api/stream?topics=incidents,referrals"' in html
    events = html.split('data-events="', 1)[1].split('"', 1)[0].split()
    assert {"incident.created", "incident.status_changed", "referral.requested", "referral.acknowledged"} <= set(events)
    assert 'data-fragment-url="/callcenter/insiden/fragment/"' in html
    m = parse_markup(html)
    assert m.inline_scripts == [] and m.handlers == [] and m.style_attrs == []


def test_the_fragment_does_not_query_per_incident(cc):
    cc.incident()
    client = cc.client()
    client.get(FRAGMENT)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(FRAGMENT)
    for _ in range(4):
        cc.incident()
    with CaptureQueriesContext(connection) as five:
        assert client.get(FRAGMENT).content.count(b"data-incident-id=") == 5
    assert len(five) == len(one)


@pytest.mark.parametrize("who", ["leader"])
def test_roles_without_incident_view_are_refused(cc, who):
    assert cc.client(who).get(URL).status_code == 403
    assert cc.client(who).get(FRAGMENT).status_code == 403


def test_anonymous_users_are_sent_to_log_in(db):
    for url in (URL, FRAGMENT):
        r = Client().get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/")
