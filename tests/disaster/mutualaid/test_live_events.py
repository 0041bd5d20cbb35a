"""Live events of a request reach both organisations (and those above them) and never a third province: the
stream decides with Actor.can_see_event, fed here with the events a whole request's life emits."""

import pytest

from siaga.core.permissions import actor_for

from .conftest import step

pytestmark = pytest.mark.django_db


def test_every_event_of_a_request_reaches_both_parties_and_not_a_third(world, capture_events, english):
    import io

    from siaga.disaster.mutualaid import services

    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    with capture_events() as evs:
        r = world.request()
        world.advance(r, "arrived")
        services.add_letter(world.actor("jabar"), r.pk, kind="assignment_letter", filename="surat-tugas.png",
                            content_type="image/png", data=io.BytesIO(png).getvalue())
        step(world, r, "release")
        step(world, r, "return")
    ours = [e for e in evs if e["topic"] == "mutual_aid"]
    assert [e["type"] for e in ours] == ["mutual_aid.requested"] + ["mutual_aid.state_changed"] * 3 + [
        "mutual_aid.letter_added"] + ["mutual_aid.state_changed"] * 2
    dki, jabar, banten = world.actor("dki"), world.actor("jabar"), world.actor("banten")
    for ev in ours:
        assert ev["payload"]["request_id"] == r.pk
        assert dki.can_see_event(ev), ev["type"]
        assert jabar.can_see_event(ev), ev["type"]
        assert not banten.can_see_event(ev), ev["type"]
    # The contact's phone number stays out of the stream: pages re-read it with the viewer's permissions.
    assert "+6281211112222" not in str(ours)


def test_an_organisation_above_the_lender_follows_it_live(world, capture_events, make_org, make_user):
    hq = make_org(kind="pmi_hq", name="PMI Pusat")
    world.jabar.parent = hq
    world.jabar.save()
    with capture_events() as evs:
        world.request()
    (ev,) = [e for e in evs if e["type"] == "mutual_aid.requested"]
    assert actor_for(make_user("disaster_manager", hq, scope_code="")).can_see_event(ev)
    assert not actor_for(make_user("call_taker", world.jabar, scope_code="32")).can_see_event(ev)


def test_lent_volunteer_status_events_go_to_the_volunteers_topic(world, capture_events):
    r = world.advance(world.request(), "accepted")
    with capture_events() as evs:
        step(world, r, "dispatch")
    changed = [e for e in evs if e["type"] == "volunteer.status_changed"]
    assert {e["payload"]["id"] for e in changed} == {world.vol1.pk, world.vol2.pk}
    assert all(e["payload"]["status"] == "deployed" for e in changed)
