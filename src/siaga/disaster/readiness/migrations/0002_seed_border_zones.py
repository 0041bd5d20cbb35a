"""Seed the three border zones of the PMI DKI Jakarta - Jawa Barat - Banten cooperation."""

from django.db import migrations


def forwards(apps, schema_editor):
    from siaga.disaster.readiness.zones import seed

    seed(apps.get_model("disaster_readiness", "BorderZone"))


class Migration(migrations.Migration):
    dependencies = [("disaster_readiness", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
