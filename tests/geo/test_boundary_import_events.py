"""A boundary import emits boundaries.imported (schema-checked) and leaves a history row and an audit record."""

from siaga.core.models import AuditLog
from siaga.core.permissions import system_actor
from siaga.geo import services
from siaga.geo.models import BoundaryImport

from .conftest import collection, feature, square


def test_it_emits_boundaries_imported_with_the_documented_payload(load_regions, boundaries_dir, capture_events):
    load_regions("35.76")
    with capture_events() as events:
        services.import_boundaries(system_actor(), boundaries_dir / "kel_kota_mojokerto_3576.geojson")
    assert [e["type"] for e in events] == ["boundaries.imported"]
    ev = events[0]
    assert ev["topic"] == "regions"
    assert ev["organization_id"] is None
    # The event's area is the deepest code containing every imported region: only Kota Mojokerto here.
    assert ev["region_code"] == "35.76"
    assert ev["payload"] == {"source": "kel_kota_mojokerto_3576.geojson", "imported": 18, "repaired": [],
                             "level_counts": {"village": 18}}


def test_it_records_who_imported_what_and_audits_it(load_regions, make_org, make_user, actor_of):
    load_regions("35.76")
    org = make_org(kind="bpbd", region_code="35.76")
    user = make_user("disaster_manager", org, scope_code="35.76")
    report = services.import_boundaries(actor_of(user), ("desa.geojson", b'{"type": "FeatureCollection", "features": '
                                                          b'[{"type": "Feature", "properties": {"kode": "35.76.01.1003"},'
                                                          b' "geometry": {"type": "Polygon", "coordinates": '
                                                          b'[[[112.4,-7.5],[112.41,-7.5],[112.41,-7.49],[112.4,-7.5]]]}}]}'))
    record = BoundaryImport.objects.get(pk=report.import_id)
    assert (record.actor, record.organization, record.source, record.features) == (user, org, "desa.geojson", 1)
    assert len(record.sha256) == 64
    audit = AuditLog.objects.get(model="geo.boundaryimport", object_id=str(record.pk))
    assert audit.actor == user and audit.action == "create"
    assert audit.changes["features"] == [None, 1]


def test_an_import_spanning_provinces_is_announced_nationally(load_regions, capture_events):
    load_regions("35.76", "31.71")
    with capture_events() as events:
        services.import_boundaries(system_actor(), collection(feature("35.76.01.1003", square(112.4, -7.5)),
                                                              feature("31.71", square(106.8, -6.2))))
    assert events[0]["region_code"] == ""
    assert events[0]["payload"]["level_counts"] == {"regency": 1, "village": 1}


def test_reimporting_unchanged_boundaries_writes_no_history_audit_or_event(load_regions, boundaries_dir,
                                                                          capture_events):
    load_regions("35.76")
    path = boundaries_dir / "kel_kota_mojokerto_3576.geojson"
    services.import_boundaries(system_actor(), path)
    audits = AuditLog.objects.count()
    with capture_events() as events:
        again = services.import_boundaries(system_actor(), path)
    assert again.import_id is None and again.imported == 18 and again.unchanged == 18
    assert events == []
    assert BoundaryImport.objects.count() == 1
    assert AuditLog.objects.count() == audits
