"""The pages: the managers' overview and event page with the roster, and the volunteer's phone page."""

from __future__ import annotations

import pytest

from siaga.disaster.teams import services
from siaga.disaster.teams.models import ActivationAlert, Assignment
from siaga.disaster.volunteers.models import Volunteer
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_overview_lists_open_events_and_teams(world):
    services.save_team(world["a_mjk"], name="SATGANA Mojokerto")
    r = client_for(world["m_mjk"]).get("/bencana/tim/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Banjir Kota Mojokerto" in html and "SATGANA Mojokerto" in html
    assert f'href="/bencana/tim/kejadian/{world["event"].pk}/"' in html
    assert "<script>" not in html and " onclick=" not in html and ' style="' not in html


def test_activating_from_the_event_page_alerts_and_shows_the_roster(world, make_volunteer):
    make_volunteer("Sari Wulandari", km_north=2)
    manager = client_for(world["m_mjk"])
    url = f"/bencana/tim/kejadian/{world['event'].pk}/"
    r = manager.post(url, {"action": "activate", "skills": ["first_aid"], "number_needed": "3",
                           "max_travel_km": "10", "meeting_text": "", "meeting_lat": "", "meeting_lon": ""})
    assert r.status_code == 302
    page = manager.get(url).content.decode()
    assert "Sari Wulandari" in page and 'data-line-state="alerted"' in page
    fragment = manager.get(url + "?fragment=1").content.decode()
    assert "<html" not in fragment and "Sari Wulandari" in fragment


def test_a_refused_activation_keeps_the_form_and_says_why(world):
    r = client_for(world["m_mjk"]).post(f"/bencana/tim/kejadian/{world['event'].pk}/", {
        "action": "activate", "number_needed": "0", "max_travel_km": "10"})
    assert r.status_code == 422
    assert 'class="msg msg--error"' in r.content.decode()


def test_the_phone_page_answers_yes_and_checks_in_and_out(world, make_volunteer, activate):
    v, _ = make_volunteer("Sari")
    result = activate()
    phone = client_for(v.user)
    page = phone.get("/bencana/tim/saya/").content.decode()
    assert "Banjir Kota Mojokerto" in page and "data-answer-yes" in page and "data-answer-no" in page
    alert = result.alerts[0]
    assert phone.post("/bencana/tim/saya/", {"action": "yes", "alert_id": alert.pk}).status_code == 302
    assert ActivationAlert.objects.get(pk=alert.pk).answer == "yes"
    page = phone.get("/bencana/tim/saya/").content.decode()
    assert "data-check-in" in page
    a = Assignment.objects.get(alert=alert)
    phone.post("/bencana/tim/saya/", {"action": "check_in", "assignment_id": a.pk, "lat": "", "lon": ""})
    assert Assignment.objects.get(pk=a.pk).on_site
    phone.post("/bencana/tim/saya/", {"action": "check_out", "assignment_id": a.pk})
    assert Volunteer.objects.get(pk=v.pk).status == "resting"
    assert "data-check-out" not in phone.get("/bencana/tim/saya/").content.decode()


def test_the_phone_page_shows_only_my_alerts(world, make_volunteer, activate):
    v, _ = make_volunteer("Sari")
    other, _ = make_volunteer("Budi Santoso")
    activate()
    page = client_for(v.user).get("/bencana/tim/saya/?fragment=1").content.decode()
    assert page.count("data-alert-id=") == 1 and "Budi" not in page and other.phone not in page


def test_the_event_page_refuses_volunteers_and_other_provinces(world, make_volunteer):
    v, _ = make_volunteer("Sari")
    assert client_for(v.user).get(f"/bencana/tim/kejadian/{world['event'].pk}/").status_code == 403
    assert client_for(world["m_dki"]).get(f"/bencana/tim/kejadian/{world['event'].pk}/").status_code == 404
    # A manager has no volunteer record: the phone page says so instead of failing.
    assert client_for(world["m_mjk"]).get("/bencana/tim/saya/").status_code == 403
