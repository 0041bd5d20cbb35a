"""Organisations whose areas a warning hits get a Notification and a live event shared with exactly them."""

import pytest

from siaga.disaster import services
from siaga.disaster.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(banten, make_org):
    return {
        "pmi_banten": make_org(kind="pmi_province", region_code="36"),
        "bpbd_cilegon": make_org(kind="bpbd", region_code="36.72"),
        "pmi_lebak": make_org(kind="pmi_branch", region_code="36.02"),
        "pmi_tangerang": make_org(kind="pmi_branch", region_code="36.71"),  # Banten, but not under the polygons
        "pmi_dki": make_org(kind="pmi_province", region_code="31"),
        "hospital_cilegon": make_org(kind="hospital", region_code="36.72"),  # not a responder
        "national": make_org(kind="pmi_hq", region_code=""),
    }


def test_it_notifies_the_organisations_whose_area_is_hit(orgs, cap_banten, system, capture_events):
    with capture_events() as evs:
        w = services.ingest_cap(system, cap_banten, source_name="cap_banten.xml").warning
    notified = set(Notification.objects.filter(warning=w).values_list("organization_id", flat=True))
    assert notified == {orgs["pmi_banten"].pk, orgs["bpbd_cilegon"].pk, orgs["pmi_lebak"].pk}
    notice = Notification.objects.get(warning=w, organization=orgs["bpbd_cilegon"])
    assert notice.title == "Hujan Lebat disertai Petir di Banten"
    assert "36.72.08" in notice.region_codes and all(c.startswith("36.72") for c in notice.region_codes)
    (ev,) = [e for e in evs if e["type"] == "warning.notice"]
    assert {ev["organization_id"], *ev["shared_with"]} == notified
    assert ev["topic"] == "disaster"


def test_the_notice_event_reaches_only_those_organisations(orgs, cap_banten, system, capture_events, make_user,
                                                          actor_of):
    with capture_events() as evs:
        services.ingest_cap(system, cap_banten, source_name="cap_banten.xml")
    (ev,) = [e for e in evs if e["type"] == "warning.notice"]
    lebak = actor_of(make_user("volunteer", orgs["pmi_lebak"], scope_code="36.02"))
    dki = actor_of(make_user("disaster_manager", orgs["pmi_dki"], scope_code="31"))
    assert lebak.can_see_event(ev) and not dki.can_see_event(ev)


def test_a_second_import_does_not_notify_twice(orgs, cap_banten, system):
    w = services.ingest_cap(system, cap_banten, source_name="a").warning
    services.recompute_affected(system, w.pk)
    assert Notification.objects.filter(warning=w).count() == 3


def test_an_organisation_reads_its_notifications(orgs, cap_banten, system, make_user, actor_of):
    services.ingest_cap(system, cap_banten, source_name="a")
    me = actor_of(make_user("disaster_manager", orgs["bpbd_cilegon"], scope_code="36.72"))
    (notice,) = services.notifications_for(me)
    read = services.mark_notification_read(me, notice.pk)
    assert read.read_at is not None and read.read_by_id == me.user.pk
    other = actor_of(make_user("disaster_manager", orgs["pmi_dki"], scope_code="31"))
    from siaga.core.errors import NotFound

    with pytest.raises(NotFound):
        services.mark_notification_read(other, notice.pk)
