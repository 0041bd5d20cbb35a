"""Our own CAP alerts: authored, approved by a second person, published as valid CAP 1.2 that reads back."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster import cap, services
from siaga.disaster.models import AffectedArea, Warning

pytestmark = pytest.mark.django_db

WIB = dt.timezone(dt.timedelta(hours=7))
RING = [[-6.0, 106.0], [-6.0, 106.05], [-6.05, 106.05], [-6.05, 106.0], [-6.0, 106.0]]


@pytest.fixture
def team(make_org, make_user, actor_of, regions):
    org = make_org(kind="pmi_province", region_code="36", code="pmi-banten")
    return {"org": org, "author": actor_of(make_user("disaster_manager", org, scope_code="36")),
            "approver": actor_of(make_user("disaster_manager", org, scope_code="36")),
            "volunteer": actor_of(make_user("volunteer", org, scope_code="36"))}


def draft(actor, **kw):
    data = dict(event="Banjir", category="Met", urgency="Expected", severity="Severe", certainty="Likely",
                headline_id="Waspada banjir di Cilegon", headline_en="Flood watch in Cilegon",
                description_id="Sungai meluap.", description_en="Rivers overflowing.",
                instruction_id="Menjauh dari sungai.", area_desc="Kota Cilegon", polygons=[RING],
                effective=dt.datetime(2026, 2, 17, 6, 0, tzinfo=WIB),
                expires=dt.datetime(2026, 2, 17, 18, 0, tzinfo=WIB))
    data.update(kw)
    return services.author_alert(actor, **data)


def test_an_alert_starts_as_a_draft_of_the_authors_organisation(team, capture_events):
    with capture_events() as evs:
        w = draft(team["author"])
    assert w.state == "draft" and w.source == "own" and w.organization == team["org"]
    assert w.sender == "pmi-banten@siaga.local" and w.author_id == team["author"].user.pk
    assert [e["type"] for e in evs] == ["alert.updated"]


def test_the_author_cannot_approve_their_own_alert(team):
    w = draft(team["author"])
    with pytest.raises(PermissionDenied) as exc:
        services.approve_alert(team["author"], w.pk)
    assert exc.value.code == "four_eyes"
    assert Warning.objects.get(pk=w.pk).state == "draft"


def test_a_volunteer_can_neither_author_nor_approve(team):
    with pytest.raises(PermissionDenied):
        draft(team["volunteer"])
    w = draft(team["author"])
    with pytest.raises(PermissionDenied):
        services.approve_alert(team["volunteer"], w.pk)


def test_publishing_needs_approval_first(team):
    w = draft(team["author"])
    with pytest.raises(Conflict):
        services.publish_alert(team["author"], w.pk)


def test_a_published_alert_is_valid_cap_and_reads_back_identically(team):
    w = draft(team["author"])
    services.approve_alert(team["approver"], w.pk)
    w = services.publish_alert(team["author"], w.pk)
    assert w.state == "published" and w.published_at and w.approved_by_id == team["approver"].user.pk
    xml = w.raw.encode()
    assert cap.validate(xml) == []
    parsed = cap.parse_cap(xml)
    assert parsed == services.alert_to_cap(w)
    assert [i.language for i in parsed.infos] == ["id-ID", "en-US"]
    assert parsed.infos[0].areas[0].polygons == [[tuple(p) for p in RING]]
    assert parsed.infos[1].headline == "Flood watch in Cilegon" and parsed.infos[0].instruction == "Menjauh dari sungai."
    assert parsed.sent.utcoffset() == dt.timedelta(hours=7)


def test_our_published_alert_imports_through_our_own_parser_as_the_same_message(team, system):
    w = draft(team["author"])
    services.approve_alert(team["approver"], w.pk)
    w = services.publish_alert(team["author"], w.pk)
    again = services.ingest_cap(system, w.raw, source_name="loopback")
    # Same sender, identifier and sent: our own parser recognises it as the message we already hold.
    assert again.status == "duplicate" and again.warning.pk == w.pk


def test_the_rss_feed_lists_published_alerts_only(team):
    published = draft(team["author"])
    services.approve_alert(team["approver"], published.pk)
    services.publish_alert(team["author"], published.pk)
    draft(team["author"], headline_id="Masih draf")
    rss = services.rss_feed(services.published_alerts(), base_url="https://siaga.example", title="Siaga")
    items = cap.parse_rss_index(rss)
    assert [i.guid for i in items] == [published.identifier]
    assert items[0].link == f"https://siaga.example/bencana/cap/{published.pk}.xml"


def test_an_update_must_reference_what_it_replaces(team):
    with pytest.raises(ServiceError) as exc:
        draft(team["author"], msg_type="Update")
    assert exc.value.code == "references_required"
    first = draft(team["author"])
    update = draft(team["author"], msg_type="Update", references_ids=[first.pk])
    assert update.references == [[first.sender, first.identifier, cap.format_datetime_cap(first.sent)]]


@pytest.mark.parametrize("kw,code", [
    ({"polygons": [], "region_codes": []}, "area_required"),
    ({"polygons": [[[-6.0, 106.0], [-6.0, 106.1]]]}, "invalid_polygon"),
    ({"severity": "Huge"}, "invalid_choice"),
    ({"expires": dt.datetime(2026, 2, 17, 5, 0, tzinfo=WIB)}, "invalid_period"),
    ({"headline_id": "", "headline_en": ""}, "headline_required"),
])
def test_it_refuses_bad_alerts_and_writes_nothing(team, kw, code):
    with pytest.raises(ServiceError) as exc:
        draft(team["author"], **kw)
    assert exc.value.code == code
    assert not Warning.objects.exists()


def test_an_unclosed_ring_is_closed_for_the_author(team):
    w = draft(team["author"], polygons=[RING[:-1]])
    assert w.areas[0]["polygons"][0][0] == w.areas[0]["polygons"][0][-1]


def test_publishing_computes_affected_areas(team, banten):
    w = draft(team["author"])
    services.approve_alert(team["approver"], w.pk)
    services.publish_alert(team["author"], w.pk)
    names = set(AffectedArea.objects.filter(warning=w, level=3).values_list("name", flat=True))
    assert "Citangkil" in names or "Ciwandan" in names
