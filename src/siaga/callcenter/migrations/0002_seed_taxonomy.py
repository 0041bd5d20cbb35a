"""Seed the incident taxonomy and the priority policies (Bahasa Indonesia); existing rows are kept."""

from django.db import migrations


def seed(apps, schema_editor):
    from siaga.callcenter.taxonomy import seed_taxonomy

    seed_taxonomy(apps)


class Migration(migrations.Migration):

    dependencies = [
        ("callcenter", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
