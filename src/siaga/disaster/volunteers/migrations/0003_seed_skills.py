"""Seed the skills PMI volunteers are registered with (names in English; Indonesian through gettext, models.SKILL_NAMES)."""

from django.db import migrations

SKILLS = [
    ("first_aid", "First aid"),
    ("water_rescue", "Water rescue"),
    ("search_rescue", "Search and rescue"),
    ("psychosocial", "Psychosocial support"),
    ("logistics", "Logistics"),
    ("wash", "Water, sanitation and hygiene (WASH)"),
    ("ambulance_driver", "Ambulance driver"),
    ("shelter_management", "Shelter management"),
    ("public_kitchen", "Public kitchen"),
    ("restoring_family_links", "Restoring family links"),
    ("assessment", "Assessment"),
]


def seed(apps, schema_editor):
    Skill = apps.get_model("disaster_volunteers", "Skill")
    for code, name in SKILLS:
        Skill.objects.update_or_create(code=code, defaults={"name": name})


def unseed(apps, schema_editor):
    apps.get_model("disaster_volunteers", "Skill").objects.filter(code__in=[c for c, _n in SKILLS],
                                                                   volunteers=None).delete()


class Migration(migrations.Migration):
    dependencies = [("disaster_volunteers", "0002_identity_certificates_matches")]
    operations = [migrations.RunPython(seed, unseed)]
