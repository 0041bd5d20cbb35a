"""List endpoints cost the same number of queries for 2 rows as for 8 (no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from siaga.disaster import services
from siaga.disaster.models import DisasterEvent

from .conftest import cap_xml

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_warning_list_queries_do_not_grow_with_rows(make_org, make_user, login, regions, system):
    c = login(make_user("volunteer", make_org(region_code="36"), scope_code="36"))
    for i in range(2):
        services.ingest_cap(system, cap_xml(identifier=f"a{i}"), source_name="x")
    few = _queries(c, "/api/disaster/warnings")
    for i in range(6):
        services.ingest_cap(system, cap_xml(identifier=f"b{i}"), source_name="x")
    assert _queries(c, "/api/disaster/warnings") == few


def test_event_list_queries_do_not_grow_with_rows(make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="36")
    partner = make_org(kind="pmi_province", region_code="31")
    c = login(make_user("disaster_manager", org, scope_code="36"))

    def add(n):
        for _ in range(n):
            ev = DisasterEvent.objects.create(organization=org, region_code="36", name="x", type_id="banjir",
                                              started_at=timezone.now())
            ev.participants.add(partner)

    add(2)
    few = _queries(c, "/api/disaster/events")
    add(6)
    assert _queries(c, "/api/disaster/events") == few
