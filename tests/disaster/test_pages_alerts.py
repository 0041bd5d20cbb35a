"""Authoring our own CAP alert on the pages: draft with a preview, approval by a second person, publishing;
refusals shown in Indonesian."""

import pytest

from siaga.disaster.models import Warning
from siaga.disaster.views import parse_polygons

pytestmark = pytest.mark.django_db

SQUARE = "-6.0,106.0 -6.0,106.1 -6.1,106.1 -6.1,106.0 -6.0,106.0"


@pytest.fixture
def team(make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="36")
    return {"author": login(make_user("disaster_manager", org, scope_code="36")),
            "checker": login(make_user("disaster_manager", org, scope_code="36")),
            "volunteer": login(make_user("volunteer", org, scope_code="36")),
            "outsider": login(make_user("disaster_manager", make_org(kind="pmi_province", region_code="32"),
                                        scope_code="32"))}


def _draft(client, **extra):
    data = {"event": "Banjir", "headline_id": "Waspada banjir Serang", "description_id": "Hujan lebat.",
            "category": "Met", "urgency": "Expected", "severity": "Moderate", "certainty": "Likely",
            "polygons": SQUARE, "msg_type": "Alert", "status": "Actual", "expires": "2099-01-01T18:00"}
    data.update(extra)
    return client.post("/bencana/peringatan/baru/", data)


def test_an_alert_goes_from_draft_to_second_person_approval_to_published(team):
    assert 'data-alert-form' in team["author"].get("/bencana/peringatan/baru/").content.decode()
    r = _draft(team["author"])
    w = Warning.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/bencana/peringatan/{w.pk}/"
    assert (w.state, w.source, w.author_id is not None) == ("draft", "own", True)
    assert w.expires.isoformat().startswith("2099-01-01T11:00")  # 18:00 WIB entered for Banten
    own_page = team["author"].get(r["Location"]).content.decode()
    assert 'data-alert-state="draft"' in own_page and "data-approve" not in own_page  # not by its author
    # The author cannot approve through the action either: the refusal comes back in Indonesian.
    r = team["author"].post(f"/bencana/peringatan/{w.pk}/tindakan/", {"action": "approve"}, follow=True)
    assert "disetujui oleh orang kedua" in r.content.decode()
    w.refresh_from_db()
    assert w.state == "draft"
    page = team["checker"].get(f"/bencana/peringatan/{w.pk}/").content.decode()
    assert "data-approve" in page and "data-publish" not in page
    team["checker"].post(f"/bencana/peringatan/{w.pk}/tindakan/", {"action": "approve"})
    w.refresh_from_db()
    assert w.state == "approved" and w.approved_by is not None
    assert "data-publish" in team["author"].get(f"/bencana/peringatan/{w.pk}/").content.decode()
    team["author"].post(f"/bencana/peringatan/{w.pk}/tindakan/", {"action": "publish"})
    w.refresh_from_db()
    assert w.state == "published" and w.raw.startswith("<?xml")
    assert "Waspada banjir Serang" in team["volunteer"].get("/bencana/").content.decode()


def test_a_form_without_an_area_keeps_the_input_and_says_why_in_indonesian(team):
    r = _draft(team["author"], polygons="", headline_id="Tanpa area")
    body = r.content.decode()
    assert r.status_code == 422 and "peringatan memerlukan area" in body
    assert 'value="Tanpa area"' in body and not Warning.objects.exists()


def test_a_bad_polygon_is_refused_and_nothing_is_written(team):
    r = _draft(team["author"], polygons="-6.0,106.0 utara")
    assert r.status_code == 422 and not Warning.objects.exists()
    r = _draft(team["author"], polygons="-6.0,106.0 -6.1,106.1 -6.0,106.0 -6.0,106.0")  # no area at all
    assert r.status_code == 422 and not Warning.objects.exists()


def test_a_self_crossing_polygon_is_repaired_and_the_preview_says_so(team):
    r = _draft(team["author"], polygons="-6.0,106.0 -6.1,106.1 -6.0,106.1 -6.1,106.0 -6.0,106.0")  # a bow tie
    w = Warning.objects.get()
    assert w.geometry_repaired and w.geometry_notes
    page = team["author"].get(r["Location"]).content.decode()
    assert "msg--warning" in page


def test_only_managers_write_alerts_and_outsiders_cannot_act_on_them(team):
    assert team["volunteer"].get("/bencana/peringatan/baru/").status_code == 403
    _draft(team["author"])
    w = Warning.objects.get()
    r = team["outsider"].post(f"/bencana/peringatan/{w.pk}/tindakan/", {"action": "approve"})
    assert r.status_code in (302, 404)
    w.refresh_from_db()
    assert w.state == "draft"


def test_polygons_paste_as_cap_lines_or_geojson():
    assert parse_polygons("-6.0,106.0 -6.0,106.1 -6.1,106.1\n\n-7,107 -7,107.1 -7.1,107") == [
        [[-6.0, 106.0], [-6.0, 106.1], [-6.1, 106.1]], [[-7.0, 107.0], [-7.0, 107.1], [-7.1, 107.0]]]
    geo = '{"type": "Polygon", "coordinates": [[[106.0, -6.0], [106.1, -6.0], [106.1, -6.1], [106.0, -6.0]]]}'
    assert parse_polygons(geo) == [[[-6.0, 106.0], [-6.0, 106.1], [-6.1, 106.1], [-6.0, 106.0]]]
    assert parse_polygons("") == []
