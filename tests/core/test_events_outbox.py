"""The outbox: an event exists exactly when its change committed, is published after commit, and follows its schema."""

import pydantic
import pytest
from django.db import transaction

from siaga.core import bus, services
from siaga.core.events import emit
from siaga.core.models import OutboxEvent


@pytest.fixture
def published(monkeypatch):
    """Calls to bus.publish_event, recorded (and still performed)."""
    calls = []
    real = bus.publish_event

    def record(event_id, message):
        calls.append((event_id, message))
        return real(event_id, message)

    monkeypatch.setattr(bus, "publish_event", record)
    return calls


def _create(actor, code):
    return services.create_organization(actor, code=code, name=f"Organisasi {code}", kind="pmi_branch")


@pytest.mark.django_db(transaction=True)
def test_it_leaves_no_row_and_publishes_nothing_when_the_transaction_rolls_back(make_org, make_user, actor_of,
                                                                                published):
    actor = actor_of(make_user("administrator", make_org()))
    with pytest.raises(RuntimeError), transaction.atomic():
        _create(actor, "rolled-back")
        assert OutboxEvent.objects.filter(type="organization.created").count() == 1
        raise RuntimeError("abort")
    assert not OutboxEvent.objects.filter(type="organization.created").exists()
    assert published == []


@pytest.mark.django_db(transaction=True)
def test_it_publishes_and_marks_the_row_after_commit(make_org, make_user, actor_of, published):
    actor = actor_of(make_user("administrator", make_org()))
    org = _create(actor, "committed")
    ev = OutboxEvent.objects.get(type="organization.created")
    assert ev.organization_id == org.pk
    assert ev.published_at is not None
    assert [event_id for event_id, _ in published] == [ev.pk]
    message = published[0][1]
    assert message["id"] == ev.pk and message["topic"] == "organizations"
    assert message["payload"]["code"] == "committed"


@pytest.mark.django_db(transaction=True)
def test_it_publishes_only_when_the_outermost_transaction_commits(published):
    with transaction.atomic():
        with transaction.atomic():
            emit("boundaries.imported", {"source": "t", "imported": 1, "repaired": [], "level_counts": {}})
        assert published == []
    assert len(published) == 1


@pytest.mark.django_db
def test_it_refuses_a_payload_that_breaks_the_schema():
    with pytest.raises(pydantic.ValidationError):
        emit("organization.created", {"id": "not a number", "code": "x"})
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_unknown_event_type():
    with pytest.raises(KeyError):
        emit("no.such.event", {})


@pytest.mark.django_db
def test_capture_events_sees_what_a_service_emits(make_org, make_user, actor_of, capture_events):
    actor = actor_of(make_user("administrator", make_org()))
    with capture_events() as evs:
        org = _create(actor, "captured")
    assert [(e["type"], e["organization_id"]) for e in evs] == [("organization.created", org.pk)]


@pytest.mark.django_db
def test_the_payload_is_stored_as_validated_json():
    ev = emit("boundaries.imported", {"source": "t", "imported": "3", "repaired": [], "level_counts": {"2": 1}})
    ev.refresh_from_db()
    assert ev.payload["imported"] == 3  # coerced by the schema, not stored as sent
