"""Border zones are data: their codes are real Kemendagri kab/kota, and their readiness combines both sides."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.conf import settings

from siaga.core.errors import NotFound
from siaga.disaster.readiness import services
from siaga.disaster.readiness.models import BorderZone
from siaga.disaster.readiness.zones import BORDER_ZONES
from siaga.dispatch.models import Unit
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_zone_code_is_a_kab_kota_in_the_kemendagri_2025_list():
    path = Path(settings.DATA_DIR) / "regions" / "wilayah_kemendagri_2025.csv"
    if not path.is_file():
        pytest.skip(f"{path} not available")
    with path.open(encoding="utf-8") as f:
        kabkota = {row["kode"]: row["nama"] for row in csv.DictReader(f) if row["level"] == "2"}
    expected = {"jakarta-bekasi-depok": {"Bekasi", "Depok", "Jakarta"},
                "jakarta-tangerang-tangsel": {"Tangerang", "Jakarta"}, "lebak-sukabumi": {"Lebak", "Sukabumi"}}
    for code, _name, codes in BORDER_ZONES:
        names = [kabkota[c] for c in codes]  # KeyError: not a kab/kota code
        assert all(any(word in n for word in expected[code]) for n in names), (code, names)
        assert len({c[:2] for c in codes}) == 2, "a border zone spans two provinces"


def test_the_migration_seeded_the_zones():
    assert sorted(BorderZone.objects.values_list("code", flat=True)) == sorted(z[0] for z in BORDER_ZONES)


def test_a_zone_is_seen_from_both_sides_and_not_from_elsewhere(regions, make_org, make_user, actor_of):
    bekasi = actor_of(make_user("disaster_manager", make_org(region_code="32.75"), scope_code="32.75"))
    jakarta = actor_of(make_user("disaster_manager", make_org(region_code="31"), scope_code="31"))
    mojokerto = actor_of(make_user("disaster_manager", make_org(region_code="35.76"), scope_code="35.76"))
    assert [z.code for z in services.visible_zones(bekasi)] == ["jakarta-bekasi-depok"]
    assert {z.code for z in services.visible_zones(jakarta)} == {"jakarta-bekasi-depok", "jakarta-tangerang-tangsel"}
    assert services.visible_zones(mojokerto) == []
    with pytest.raises(NotFound):
        services.readiness_for_zone(mojokerto, "jakarta-bekasi-depok")


def test_zone_readiness_combines_units_on_both_sides(regions, make_org, make_user, actor_of):
    dki, bekasi, far = make_org(region_code="31"), make_org(region_code="32.75"), make_org(region_code="35.76")
    Unit.objects.create(organization=dki, call_sign="J1", kind="ambulance_basic", region_code="31.75")
    Unit.objects.create(organization=bekasi, call_sign="B1", kind="ambulance_basic", region_code="32.75",
                        status="out_of_service")
    Unit.objects.create(organization=dki, call_sign="P1", kind="ambulance_basic", region_code="31.71")  # Pusat
    Unit.objects.create(organization=far, call_sign="M1", kind="rescue", region_code="35.76")
    actor = actor_of(make_user("disaster_manager", bekasi, scope_code="32.75"))
    result = services.readiness_for_zone(actor, "jakarta-bekasi-depok")
    vehicles = next(c for c in result["components"] if c.key == "vehicles")
    assert vehicles.value == pytest.approx(1 / 2)  # Jakarta Timur in service, Kota Bekasi out; Pusat not in zone
    assert result["provinces"] == ["31", "32"]
    r = client_for(actor.user).get("/api/disaster/readiness/border-zones/jakarta-bekasi-depok")
    assert r.status_code == 200 and r.json()["status"] in ("red", "amber", "green")
    page = client_for(actor.user).get("/bencana/kesiapsiagaan/?zona=jakarta-bekasi-depok").content.decode()
    assert 'data-component="vehicles"' in page and "Jakarta – Bekasi – Depok" in page


def test_region_readiness_stays_inside_the_actors_area(regions, make_org, make_user):
    user = make_user("disaster_manager", make_org(region_code="35.76"), scope_code="35.76")
    c = client_for(user)
    assert c.get("/api/disaster/readiness/regions/35.76").status_code == 200
    assert c.get("/api/disaster/readiness/regions/32.75").status_code == 403
    assert c.get("/api/disaster/readiness/regions/35.76.01").json()["error"]["code"] == "not_kabkota"
    page = c.get("/bencana/kesiapsiagaan/").content.decode()
    assert 'data-readiness="35.76"' in page and 'data-component="stock"' in page
