"""Disaster events: type from Perka BNPB 8/2011, phases that move forward, a timeline, a lead and participants."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster import services
from siaga.disaster.models import AffectedArea, DisasterType, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def provinces(regions, make_org, make_user, actor_of):
    banten = make_org(kind="pmi_province", region_code="36")
    dki = make_org(kind="pmi_province", region_code="31")
    jabar = make_org(kind="pmi_province", region_code="32")
    return {
        "banten": banten, "dki": dki, "jabar": jabar,
        "lead": actor_of(make_user("disaster_manager", banten, scope_code="36")),
        "dki_manager": actor_of(make_user("disaster_manager", dki, scope_code="31")),
        "jabar_manager": actor_of(make_user("disaster_manager", jabar, scope_code="32")),
        "volunteer": actor_of(make_user("volunteer", banten, scope_code="36")),
    }


def flood(p, **kw):
    data = dict(name="Banjir Kota Tangerang", type_code="banjir", affected_region_codes=["36.71"],
                participant_ids=[p["dki"].pk])
    data.update(kw)
    return services.create_event(p["lead"], **data)


def test_the_perka_categories_are_seeded_as_data():
    codes = set(DisasterType.objects.values_list("code", flat=True))
    assert {"banjir", "tanah_longsor", "gempa_bumi", "tsunami", "letusan_gunung_api", "karhutla",
            "kekeringan", "puting_beliung", "epidemi", "konflik_sosial"} <= codes
    assert DisasterType.objects.get(code="gempa_bumi").group == "natural"
    assert DisasterType.objects.get(code="kecelakaan_industri").group == "non_natural"


def test_creating_an_event_starts_its_timeline(provinces, capture_events):
    with capture_events() as evs:
        ev = flood(provinces)
    assert ev.organization == provinces["banten"] and ev.phase == "warning" and ev.region_code == "36.71"
    assert list(ev.participants.all()) == [provinces["dki"]]
    assert [t.kind for t in ev.timeline.all()] == ["created"]
    created = [e for e in evs if e["type"] == "disaster_event.created"][0]
    assert created["shared_with"] == [provinces["dki"].pk]


def test_phases_move_forward_and_are_written_on_the_timeline(provinces):
    ev = flood(provinces)
    services.set_phase(provinces["lead"], ev.pk, "emergency_response", "Status tanggap darurat ditetapkan.")
    services.set_phase(provinces["lead"], ev.pk, "recovery")  # skipping transition is allowed
    with pytest.raises(Conflict):
        services.set_phase(provinces["lead"], ev.pk, "emergency_response")
    ev.refresh_from_db()
    assert ev.phase == "recovery"
    texts = [t.text for t in TimelineEntry.objects.filter(event=ev, kind="phase")]
    assert len(texts) == 2 and "Status tanggap darurat ditetapkan." in texts[0]


def test_closing_sets_the_end_and_recovery_may_reopen(provinces):
    ev = flood(provinces)
    ev = services.set_phase(provinces["lead"], ev.pk, "closed")
    assert ev.ended_at is not None
    ev = services.set_phase(provinces["lead"], ev.pk, "recovery")
    assert ev.ended_at is None


def test_a_participant_sees_the_event_and_adds_notes_but_does_not_steer_it(provinces):
    ev = flood(provinces)
    dki = provinces["dki_manager"]
    assert services.get_event(dki, ev.pk) == ev
    entry = services.add_timeline_note(dki, ev.pk, "200 family kits dikirim dari DKI.")
    assert entry.organization == provinces["dki"]
    with pytest.raises(PermissionDenied):
        services.set_phase(dki, ev.pk, "emergency_response")
    with pytest.raises(PermissionDenied):
        services.update_event(dki, ev.pk, name="Diambil alih")


def test_an_outsider_does_not_see_the_event(provinces):
    ev = flood(provinces)
    with pytest.raises(NotFound):
        services.get_event(provinces["jabar_manager"], ev.pk)
    assert not services.visible_events(provinces["jabar_manager"]).exists()


def test_joining_is_written_on_the_timeline(provinces):
    ev = flood(provinces, participant_ids=[])
    services.update_event(provinces["lead"], ev.pk, participant_ids=[provinces["jabar"].pk])
    assert services.get_event(provinces["jabar_manager"], ev.pk) == ev
    assert TimelineEntry.objects.filter(event=ev, kind="participant").count() == 1


def test_a_volunteer_sees_but_does_not_create(provinces):
    ev = flood(provinces)
    assert services.get_event(provinces["volunteer"], ev.pk) == ev
    with pytest.raises(PermissionDenied):
        flood({**provinces, "lead": provinces["volunteer"]})


@pytest.mark.parametrize("kw,code", [
    ({"type_code": "meteor"}, "unknown_type"),
    ({"affected_region_codes": ["99.99"]}, "unknown_region"),
    ({"name": " "}, "name_required"),
    ({"started_at": dt.datetime(2026, 2, 16, 23, 0)}, "naive_time"),
    ({"participant_ids": [999999]}, "unknown_organization"),
])
def test_it_refuses_bad_events(provinces, kw, code):
    with pytest.raises(ServiceError) as exc:
        flood(provinces, **kw)
    assert exc.value.code == code


def test_an_event_outside_the_leads_area_is_refused(provinces):
    with pytest.raises(PermissionDenied):
        flood(provinces, affected_region_codes=["32.75"])


def test_linking_a_warning_copies_its_affected_areas(provinces, banten, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    ev = flood(provinces, affected_region_codes=["36.72"], warning_ids=[w.pk])
    assert AffectedArea.objects.filter(event=ev).count() == AffectedArea.objects.filter(warning=w).count() > 0
