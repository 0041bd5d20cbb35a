"""The disaster lists and detail pages follow the live stream: each marks its changing part for
web/live_fragment.js and answers ?fragment=1 with that part alone, as its viewer may see it."""

import pytest
from django.utils import timezone

from siaga.disaster import services
from siaga.disaster.models import DisasterEvent

from .conftest import cap_xml

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="36")
    return {"org": org, "manager": login(make_user("disaster_manager", org, scope_code="36")),
            "volunteer": login(make_user("volunteer", org, scope_code="36")),
            "elsewhere": login(make_user("disaster_manager", make_org(region_code="35"), scope_code="35"))}


def _live(body: str, events: str):
    assert "data-live-fragment" in body and f'data-events="{events}"' in body
    assert 'data-stream-url="/api/stream?topics=disaster"' in body
    assert "web/live_fragment.js" in body


def test_the_warning_list_is_live_and_its_fragment_is_the_table_alone(people, system):
    _live(people["volunteer"].get("/bencana/").content.decode(), "warning.received alert.updated")
    services.ingest_cap(system, cap_xml(headline="Uji langsung"), source_name="a")
    frag = people["volunteer"].get("/bencana/?fragment=1").content.decode()
    assert "Uji langsung" in frag and "<html" not in frag and "data-warning-list" in frag


def test_the_warning_page_follows_its_own_warning(people, system):
    w = services.ingest_cap(system, cap_xml(), source_name="a").warning
    body = people["volunteer"].get(f"/bencana/peringatan/{w.pk}/").content.decode()
    _live(body, "warning.received alert.updated")
    assert f'data-match-field="id" data-match-value="{w.pk}"' in body
    assert "<html" not in people["volunteer"].get(f"/bencana/peringatan/{w.pk}/?fragment=1").content.decode()


def test_the_event_list_and_event_page_are_live_and_keep_their_visibility(people):
    ev = DisasterEvent.objects.create(organization=people["org"], region_code="36", name="Banjir Lebak",
                                      type_id="banjir", started_at=timezone.now())
    _live(people["manager"].get("/bencana/kejadian/").content.decode(),
          "disaster_event.created disaster_event.updated")
    assert "Banjir Lebak" in people["manager"].get("/bencana/kejadian/?fragment=1").content.decode()
    # The fragment is filtered like the page: another province's manager does not get the row.
    assert "Banjir Lebak" not in people["elsewhere"].get("/bencana/kejadian/?fragment=1").content.decode()
    body = people["manager"].get(f"/bencana/kejadian/{ev.pk}/").content.decode()
    _live(body, "disaster_event.timeline needs_report.recorded")
    assert f'data-match-field="event_id" data-match-value="{ev.pk}"' in body
    assert people["elsewhere"].get(f"/bencana/kejadian/{ev.pk}/?fragment=1").status_code == 404


def test_the_dead_letter_list_is_live_for_managers_only(people, system):
    services.ingest_cap(system, b"<html>", source_name="rusak")
    _live(people["manager"].get("/bencana/antrean-galat/").content.decode(), "feed.dead_letter")
    frag = people["manager"].get("/bencana/antrean-galat/?fragment=1").content.decode()
    assert "rusak" in frag and "csrfmiddlewaretoken" in frag and "<html" not in frag
    assert people["volunteer"].get("/bencana/antrean-galat/?fragment=1").status_code == 403
