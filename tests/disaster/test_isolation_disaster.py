"""Every disaster API path refuses another organisation's alerts, events and notifications."""

from django.utils import timezone

from siaga.disaster.models import DisasterEvent, Notification, Warning
from tests.isolation import OrgIsolationSpec

NOT_TENANT_DATA = {
    "/api/disaster/warnings/import": "imports BMKG feed items: public reference data owned by no organisation "
                                     "(disaster.manage; tests/disaster/test_api_warnings.py)",
    "/api/disaster/alerts": "creates a draft in the caller's own organisation only; no other organisation's row "
                            "is addressed (tests/disaster/test_api_alerts.py)",
    "/api/disaster/dead-letters": "feed items from public BMKG feeds, owned by no organisation; disaster.manage "
                                  "required (tests/disaster/test_api_dead_letters.py)",
    "/api/disaster/dead-letters/{item_id}": "one public feed item, owned by no organisation (disaster.manage)",
    "/api/disaster/dead-letters/{item_id}/review": "reviews a public feed item, owned by no organisation",
    "/api/disaster/dead-letters/{item_id}/retry": "re-imports a public feed item, owned by no organisation",
    "/api/disaster/feeds": "national feed configuration, no tenant rows; writes need national scope",
    "/api/disaster/feeds/{source_id}": "national feed configuration, no tenant rows; writes need national scope",
    "/api/disaster/types": "Perka BNPB 8/2011 disaster categories: reference data",
}


def _own_alert(org):
    now = timezone.now()
    return Warning.objects.create(source="own", state="draft", organization=org, region_code=org.region_code,
                                  identifier=f"siaga.{org.code}.x", sender=f"{org.code}@siaga.local", sent=now,
                                  category="Met", event="Banjir", urgency="Expected", severity="Moderate",
                                  certainty="Likely", headline_id="Uji",
                                  areas=[{"desc": "x", "polygons": [[[112.4, -7.4], [112.5, -7.4], [112.5, -7.5],
                                                                     [112.4, -7.4]]], "circles": []}],
                                  geometry={"type": "Polygon", "coordinates": [[[112.4, -7.4], [112.5, -7.4],
                                                                                 [112.5, -7.5], [112.4, -7.4]]]})


class TestOwnAlertIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/warnings?source=own"
    detail_urls = ["/api/disaster/warnings/{id}", "/api/disaster/warnings/{id}/map",
                   "/api/disaster/warnings/{id}/cap.xml"]
    write_requests = [("post", "/api/disaster/alerts/{id}/approve", {}),
                      ("post", "/api/disaster/alerts/{id}/publish", {}),
                      ("post", "/api/disaster/warnings/{id}/recompute", {})]
    page_urls = ["/bencana/peringatan/{id}/"]
    page_posts = [("/bencana/peringatan/{id}/tindakan/", {"action": "approve"}), ("/bencana/peringatan/{id}/tindakan/", {"action": "publish"})]

    def make_record(self, org):
        return _own_alert(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.state, record.approved_by_id, record.published_at, record.affected_areas.count())


def _event(org):
    return DisasterEvent.objects.create(organization=org, region_code=org.region_code, name="Banjir", type_id="banjir",
                                        started_at=timezone.now())


class TestDisasterEventIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/events"
    detail_urls = ["/api/disaster/events/{id}"]
    write_requests = [("patch", "/api/disaster/events/{id}", {"name": "Diambil alih"}),
                      ("post", "/api/disaster/events/{id}/phase", {"phase": "emergency_response"}),
                      ("post", "/api/disaster/events/{id}/timeline", {"text": "Catatan"})]
    page_urls = ["/bencana/kejadian/{id}/", "/bencana/tim/kejadian/{id}/", "/bencana/logistik/kebutuhan/{id}/"]

    def make_record(self, org):
        return _event(org)

    def snapshot(self, record):
        record.refresh_from_db()
        return (record.name, record.phase, record.timeline.count())


class TestDisasterEventVolunteerIsolation(TestDisasterEventIsolation):
    role = "volunteer"
    write_requests = []
    page_urls = ["/bencana/kejadian/{id}/"]  # the teams and logistics pages are not a volunteer's


class TestNotificationIsolation(OrgIsolationSpec):
    role = "disaster_manager"
    list_url = "/api/disaster/notifications"
    write_requests = [("post", "/api/disaster/notifications/{id}/read", {})]

    def make_record(self, org):
        return Notification.objects.create(organization=org, region_code=org.region_code, title="Peringatan")

    def snapshot(self, record):
        record.refresh_from_db()
        return record.read_at
