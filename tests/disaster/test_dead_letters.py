"""Malformed and duplicate feed items go to the dead-letter list with their reason and payload, never dropped."""

import pytest

from siaga.disaster import services
from siaga.disaster.models import FeedItemError, Warning

from .conftest import cap_xml

pytestmark = pytest.mark.django_db


def test_a_malformed_alert_is_kept_with_its_reason(system, capture_events):
    with capture_events() as evs:
        result = services.ingest_cap(system, b"<alert>broken", source_name="broken.xml")
    assert result.status == "malformed" and result.warning is None
    item = FeedItemError.objects.get()
    assert item.reason == "malformed" and item.kind == "cap" and item.source == "broken.xml"
    assert item.payload == "<alert>broken" and "well-formed" in item.error
    assert not item.reviewed
    assert not Warning.objects.exists()
    assert [e["type"] for e in evs] == ["feed.dead_letter"]


def test_importing_the_same_alert_twice_keeps_the_second_as_duplicate(system):
    first = services.ingest_cap(system, cap_xml(), source_name="a.xml")
    second = services.ingest_cap(system, cap_xml(), source_name="b.xml")
    assert first.status == "created" and second.status == "duplicate"
    assert Warning.objects.count() == 1
    item = FeedItemError.objects.get()
    assert item.reason == "duplicate" and item.warning_id == first.warning.pk and item.source == "b.xml"


def test_same_identifier_with_another_sent_time_is_a_new_message(system):
    services.ingest_cap(system, cap_xml(), source_name="a.xml")
    result = services.ingest_cap(system, cap_xml(sent="2026-02-16T23:50:00+07:00"), source_name="b.xml")
    assert result.status == "created" and Warning.objects.count() == 2


def test_a_poll_seeing_the_identical_alert_again_is_not_a_dead_letter(system):
    services.ingest_cap(system, cap_xml(), source_name="feed", mode=services.POLL)
    again = services.ingest_cap(system, cap_xml(), source_name="feed", mode=services.POLL)
    assert again.status == "unchanged" and not FeedItemError.objects.exists()


def test_a_poll_seeing_a_changed_alert_under_the_same_key_keeps_it(system):
    services.ingest_cap(system, cap_xml(), source_name="feed", mode=services.POLL)
    changed = services.ingest_cap(system, cap_xml(headline="Lain"), source_name="feed", mode=services.POLL)
    assert changed.status == "duplicate"
    assert FeedItemError.objects.get().payload.count("Lain") == 1


def test_reviewing_marks_the_item_and_records_who(system, make_org, make_user, actor_of):
    services.ingest_cap(system, b"nope", source_name="x")
    org = make_org(kind="bpbd", region_code="36")
    manager = actor_of(make_user("disaster_manager", org))
    item = services.review_dead_letter(manager, FeedItemError.objects.get().pk, "BMKG sent HTML")
    assert item.reviewed and item.reviewed_by_id == manager.user.pk and item.review_note == "BMKG sent HTML"


def test_a_volunteer_cannot_see_the_dead_letter_list(make_org, make_user, actor_of):
    from siaga.core.permissions import PermissionDenied

    volunteer = actor_of(make_user("volunteer", make_org(region_code="36")))
    with pytest.raises(PermissionDenied):
        services.visible_dead_letters(volunteer)


def test_retry_imports_a_kept_item_once_it_parses(system):
    result = services.ingest_cap(system, cap_xml(), source_name="a.xml")
    Warning.objects.all().delete()
    item = FeedItemError.objects.create(source="a.xml", kind="cap", reason="malformed", error="old parser",
                                        payload=cap_xml().decode())
    retried = services.retry_dead_letter(system, item.pk)
    assert retried.status == "created" and result.warning.identifier == retried.warning.identifier
    item.refresh_from_db()
    assert item.reviewed
