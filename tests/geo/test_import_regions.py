"""The regions import from idn-area-data: exact counts, idempotence, renames, boundaries kept."""

import pytest

from siaga.core.errors import ServiceError
from siaga.core.permissions import system_actor
from siaga.geo import services
from siaga.geo.models import Region


@pytest.mark.slow
def test_it_imports_all_regions_with_exact_level_counts_and_a_second_run_changes_nothing(db, regions_dir):
    first = services.import_regions(system_actor(), regions_dir)
    assert first.inserted == 91_599
    assert first.level_counts == {"province": 38, "regency": 514, "district": 7_285, "village": 83_762}
    counts = {lv: Region.objects.filter(level=lv).count() for lv in (1, 2, 3, 4)}
    assert counts == {1: 38, 2: 514, 3: 7_285, 4: 83_762}
    stamp = list(Region.objects.order_by("code").values_list("code", "name", "updated_at")[:: 997])

    second = services.import_regions(system_actor(), regions_dir)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 91_599)
    assert Region.objects.count() == 91_599
    assert list(Region.objects.order_by("code").values_list("code", "name", "updated_at")[:: 997]) == stamp


def test_it_links_each_region_to_its_parent_and_sets_the_search_key(load_regions):
    load_regions("35.76")
    village = Region.objects.get(code="35.76.01.1006")
    assert (village.name, village.level, village.parent_id) == ("Prajuritkulon", 4, "35.76.01")
    assert village.search_key == "prajuritkulon"
    assert Region.objects.get(code="35.76").parent_id == "35"
    assert Region.objects.get(code="35").parent_id is None


def test_it_limits_a_subtree_import_to_the_subtree_and_its_ancestors(load_regions):
    load_regions("35.76")
    codes = set(Region.objects.values_list("code", flat=True))
    assert {"35", "35.76", "35.76.01", "35.76.03.1001"} <= codes
    assert all(c == "35" or c.startswith("35.76") for c in codes)
    assert len(codes) == 1 + 1 + 3 + 18


def test_it_renames_changed_names_without_duplicating(load_regions):
    load_regions("35.76")
    Region.objects.filter(code="35.76.01.1006").update(name="Old name", search_key="oldname")
    report = load_regions("35.76")[0]
    assert (report.inserted, report.updated) == (0, 1)
    assert Region.objects.get(code="35.76.01.1006").name == "Prajuritkulon"
    assert Region.objects.filter(code__startswith="35.76").count() == 22


def test_it_keeps_boundaries_and_centroids_on_reimport(mojokerto, load_regions):
    before = Region.objects.get(code="35.76.01.1003")
    Region.objects.filter(code="35.76.01.1003").update(name="Renamed")
    load_regions("35.76")
    after = Region.objects.get(code="35.76.01.1003")
    assert after.name == "Mentikan"
    assert after.boundary == before.boundary and after.boundary is not None
    assert (after.lat, after.lng, after.h3_cell, after.bbox) == (before.lat, before.lng, before.h3_cell, before.bbox)


def test_it_reports_a_missing_directory_clearly(db, tmp_path):
    with pytest.raises(ServiceError) as exc:
        services.import_regions(system_actor(), tmp_path / "nowhere")
    assert exc.value.code == "regions_dir_missing"
    assert "nowhere" in exc.value.message


def test_it_refuses_a_file_with_a_code_of_the_wrong_level(db, tmp_path):
    (tmp_path / "provinces.csv").write_text("code,name\n35,Jawa Timur\n")
    (tmp_path / "regencies.csv").write_text("code,province_code,name\n35.76.01,35,Wrong\n")
    (tmp_path / "districts.csv").write_text("code,regency_code,name\n")
    (tmp_path / "villages.csv").write_text("code,district_code,name\n")
    with pytest.raises(ServiceError) as exc:
        services.import_regions(system_actor(), tmp_path)
    assert exc.value.code == "regions_file_invalid"
    assert not Region.objects.exists()


def test_it_needs_the_import_permission(db, regions_dir, make_org, make_user, actor_of):
    user = make_user("call_taker", make_org())
    from siaga.core.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_regions(actor_of(user), regions_dir, within="35.76")


def test_it_names_the_real_line_of_a_bad_code_even_in_a_subtree_import(db, tmp_path):
    (tmp_path / "provinces.csv").write_text("code,name\n11,Aceh\n35,Jawa Timur\n")
    (tmp_path / "regencies.csv").write_text("code,province_code,name\n11.01,11,A\n35.01,35,B\n35.0X,35,C\n")
    (tmp_path / "districts.csv").write_text("code,regency_code,name\n")
    (tmp_path / "villages.csv").write_text("code,district_code,name\n")
    with pytest.raises(ServiceError) as exc:
        services.import_regions(system_actor(), tmp_path, within="35")
    assert "Baris 4 " in exc.value.message and "35.0X" in exc.value.message


def test_it_refuses_a_malformed_subtree_code(db, regions_dir):
    with pytest.raises(ServiceError) as exc:
        services.import_regions(system_actor(), regions_dir, within="3")
    assert exc.value.code == "invalid_code"
