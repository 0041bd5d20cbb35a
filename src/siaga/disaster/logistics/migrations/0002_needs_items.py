"""Our own items for the needs-estimate lines (Perka BNPB 7/2008 and Sphere), mapped so needs meet stock."""

from django.db import migrations

# code, name (Indonesian, as warehouses label them), unit, category
OWN_ITEMS = [
    ("SIAGA-RICE", "Beras", "kg", "Pangan"),
    ("SIAGA-WATER-DRINK", "Air minum", "L", "Air dan sanitasi"),
    ("SIAGA-WATER-CLEAN", "Air bersih", "L", "Air dan sanitasi"),
    ("SIAGA-TOILET", "Jamban darurat", "unit", "Air dan sanitasi"),
    ("SIAGA-FAMILY-KIT", "Paket keluarga (family kit)", "kit", "Paket"),
    ("SIAGA-SOAP", "Sabun mandi", "g", "Kebersihan"),
]

# siaga.disaster.needs line key -> items that satisfy it (need units per item unit)
NEEDS = [
    ("rice", "SIAGA-RICE", 1),
    ("rice_equivalent", "SIAGA-RICE", 1),
    ("drinking_water", "SIAGA-WATER-DRINK", 1),
    ("clean_water", "SIAGA-WATER-CLEAN", 1),
    ("water", "SIAGA-WATER-DRINK", 1),
    ("water", "SIAGA-WATER-CLEAN", 1),
    ("toilet", "SIAGA-TOILET", 1),
    ("family_kit", "SIAGA-FAMILY-KIT", 1),
    ("household_kit", "SIAGA-FAMILY-KIT", 1),
    ("bathing_soap", "SIAGA-SOAP", 1),
]


def seed(apps, schema_editor):
    Item = apps.get_model("disaster_logistics", "Item")
    NeedsItem = apps.get_model("disaster_logistics", "NeedsItem")
    for code, name, unit, category in OWN_ITEMS:
        Item.objects.update_or_create(code=code, defaults={"name": name, "unit": unit, "category": category,
                                                           "catalog": "SIAGA"})
    for key, code, units in NEEDS:
        NeedsItem.objects.get_or_create(needs_item=key, item=Item.objects.get(code=code),
                                        defaults={"units_per_item": units})


def unseed(apps, schema_editor):
    apps.get_model("disaster_logistics", "NeedsItem").objects.filter(
        item__code__in=[c for c, *_ in OWN_ITEMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("disaster_logistics", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
