"""`siaga import items`: the IFRC catalogue and kits from the shared data folder, all rows or none, idempotent on
re-import, with row errors that name the file and line."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied, system_actor
from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Item, KitComponent

pytestmark = pytest.mark.usefixtures("english")

LOGISTICS = Path(settings.DATA_DIR) / "logistics"
CATALOG = LOGISTICS / "ifrc_supply_catalog_item.csv"
KITS = LOGISTICS / "ifrc_supply_kit_item.csv"
HEADER = ("Catalog,Category,Category Code,Item Name,Item Code,Unit of Measure,Weight,Volume,Unit Value,Currency,"
          "Image,URL\n")


@pytest.fixture
def files():
    if not CATALOG.is_file() or not KITS.is_file():
        pytest.skip(f"IFRC catalogue not found in {LOGISTICS}")
    return CATALOG, KITS


def test_the_real_catalogue_and_family_kit_import(db, files):
    result = services.import_items(system_actor(), *files)
    assert result.created == 24 and result.kits == 1 and result.kit_components == 8
    blanket = Item.objects.get(code="HSHEBLANCLT2")
    assert (blanket.unit, blanket.category, blanket.weight_g, blanket.unit_value_cents, blanket.currency) == (
        "piece", "Bedding and clothes", 680, 310, "CHF")
    # PIRAC rows carry no item code: a code derived from catalogue and name finds them again on re-import.
    orisa = Item.objects.get(name="Water filter ORISA")
    assert orisa.code == "PIRAC-WATER-FILTER-ORISA" and orisa.code_derived
    kit = Item.objects.get(name="Family Kit")
    lines = {c.component.code: c.quantity for c in kit.components.select_related("component")}
    assert lines["HSHETARPW406"] == 2 and lines["HCONJCANPF10"] == 5 and len(lines) == 8


def test_a_reimport_changes_nothing_and_duplicates_nothing(db, files):
    services.import_items(system_actor(), *files)
    before = (Item.objects.count(), KitComponent.objects.count())
    again = services.import_items(system_actor(), *files)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 24)
    assert (Item.objects.count(), KitComponent.objects.count()) == before


def test_a_changed_row_updates_the_item_in_place(db, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(HEADER + 'IFRC,Water,1,"BUCKET 14L",HCONBUCKP14L,piece,"1.25",,3,CHF,,\n')
    services.import_items(system_actor(), path)
    path.write_text(HEADER + 'IFRC,Water,1,"BUCKET 14L, with lid",HCONBUCKP14L,piece,"1.30",,3,CHF,,\n')
    result = services.import_items(system_actor(), path)
    assert result.updated == 1
    item = Item.objects.get(code="HCONBUCKP14L")
    assert item.name == "BUCKET 14L, with lid" and item.weight_g == 1300


def test_bad_rows_are_reported_by_line_and_nothing_is_imported(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER
                    + 'IFRC,Water,1,"GOOD",GOOD1,piece,1,,1,CHF,,\n'
                    + 'IFRC,Water,1,,NONAME,piece,1,,1,CHF,,\n'
                    + 'IFRC,Water,1,"NO UNIT",NOUNIT,,1,,1,CHF,,\n'
                    + 'IFRC,Water,1,"HEAVY",HEAVY,piece,berat,,1,CHF,,\n'
                    + 'IFRC,Water,1,"GOOD AGAIN",GOOD1,piece,1,,1,CHF,,\n')
    with pytest.raises(ServiceError) as exc:
        services.import_items(system_actor(), path)
    assert exc.value.code == "invalid_rows"
    errors = {e["line"]: e["message"] for e in exc.value.details["errors"]}
    assert set(errors) == {3, 4, 5, 6}
    assert "no name" in errors[3] and "unit of measure" in errors[4] and "Weight is not a number" in errors[5]
    assert "appears twice (first on line 2)" in errors[6]
    assert not Item.objects.filter(code="GOOD1").exists()


def test_a_kit_naming_an_unknown_item_is_refused(db, tmp_path, files):
    kits = tmp_path / "kits.csv"
    kits.write_text("Kit,Item Code,Item Name,Unit of Measure,Quantity\nFamily Kit,NOPE,,piece,2\n"
                    "Family Kit,HSHETARPW406,,piece,0\n")
    with pytest.raises(ServiceError) as exc:
        services.import_items(system_actor(), CATALOG, kits)
    assert [e["line"] for e in exc.value.details["errors"]] == [2, 3]
    assert Item.objects.filter(catalog="IFRC").count() == 0


def test_the_wrong_file_is_named_as_such(db, files):
    with pytest.raises(ServiceError) as exc:
        services.import_items(system_actor(), KITS)
    assert exc.value.code == "missing_columns" and "Catalog" in exc.value.details["missing"]


def test_only_the_platform_imports_the_catalogue(db, files, make_org, make_user, actor_of):
    manager = actor_of(make_user("disaster_manager", make_org(kind="pmi_province", region_code="31")))
    with pytest.raises(PermissionDenied):
        services.import_items(manager, CATALOG)


def test_the_command_imports_and_reports_row_errors(db, files, tmp_path, capsys):
    call_command("import_items", str(CATALOG), "--kits", str(KITS))
    assert "24 created" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + 'IFRC,Water,1,,X1,piece,1,,1,CHF,,\n')
    with pytest.raises(CommandError):
        call_command("import_items", str(bad))
    assert "bad.csv:2:" in capsys.readouterr().err
