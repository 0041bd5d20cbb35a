"""A CAP Update or Cancel replaces the messages it references: they leave the list of warnings in force."""

import json

import pytest

from siaga.disaster import services
from siaga.disaster.models import Warning

from .conftest import cap_xml

pytestmark = pytest.mark.django_db

REF = b"<references>tester@example.org,test-1,2026-02-16T22:50:00+07:00</references>"


def _with_references(data: bytes) -> bytes:
    return data.replace(b"<scope>Public</scope>", b"<scope>Public</scope>" + REF)


def test_an_update_supersedes_the_alert_it_references(system):
    first = services.ingest_cap(system, cap_xml(), source_name="a").warning
    update = services.ingest_cap(system, _with_references(
        cap_xml(identifier="test-2", msg_type="Update", sent="2026-02-16T23:20:00+07:00")), source_name="b").warning
    first.refresh_from_db()
    assert first.superseded_by == update and update.superseded_by is None


def test_a_cancel_takes_the_alert_out_of_force_and_notifies_nobody(system, make_org, make_user, login, regions):
    org = make_org(kind="pmi_province", region_code="36")
    c = login(make_user("volunteer", org, scope_code="36"))
    # The reader takes <expires> wherever it stands; the order rules are validate()'s business.
    services.ingest_cap(system, cap_xml(extra_info="<expires>2099-01-01T00:00:00+07:00</expires>"), source_name="a")
    active = c.get("/api/disaster/warnings?active=true").json()
    assert [w["identifier"] for w in active["items"]] == ["test-1"]
    cancel = services.ingest_cap(system, _with_references(
        cap_xml(identifier="test-3", msg_type="Cancel", sent="2026-02-16T23:30:00+07:00")), source_name="c").warning
    assert not cancel.notifications.exists()
    assert c.get("/api/disaster/warnings?active=true").json()["count"] == 0
    detail = c.get(f"/api/disaster/warnings/{Warning.objects.get(identifier='test-1').pk}").json()
    assert detail["superseded_by_id"] == cancel.pk
    assert json.dumps(detail)  # serialisable as a whole
