"""Seed the Perka BNPB 8/2011 disaster categories."""

from django.db import migrations


def forwards(apps, schema_editor):
    from siaga.disaster.taxonomy import seed

    seed(apps.get_model("disaster", "DisasterType"))


class Migration(migrations.Migration):
    dependencies = [("disaster", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
