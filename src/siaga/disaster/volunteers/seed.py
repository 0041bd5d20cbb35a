"""The skill catalogue PMI volunteers are registered with, and ensure_skills() to (re)create it.

Migration 0003 seeds the same list (migrations keep their own frozen copy); ensure_skills() is for the demo
loader and for tests whose database was flushed after the migrations ran.
"""

from __future__ import annotations

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


def ensure_skills() -> int:
    """Create the catalogue's skills that are missing; returns how many were created."""
    from .models import Skill

    existing = set(Skill.objects.values_list("code", flat=True))
    missing = [Skill(code=c, name=n) for c, n in SKILLS if c not in existing]
    Skill.objects.bulk_create(missing)
    return len(missing)
