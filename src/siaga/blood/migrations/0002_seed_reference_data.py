"""Seed component types, product codes and the Permenkes 91/2015 eligibility rules; existing rows are kept."""

from django.db import migrations


def seed(apps, schema_editor):
    from siaga.blood.seed import seed_reference_data

    seed_reference_data(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("blood", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
