"""The seeded taxonomy: enough types in Bahasa Indonesia, valid agencies and capabilities, idempotent seeding."""

import importlib

import pytest
from django.apps import apps as django_apps

from siaga.callcenter.models import IncidentType, Priority, PriorityPolicy
from siaga.callcenter.taxonomy import INCIDENT_TYPES, PRIORITY_POLICIES, seed_taxonomy
from siaga.core.models import OrgKind

pytestmark = pytest.mark.django_db

CAPABILITIES = {"ambulance", "fire", "rescue", "police", ""}


def test_it_seeds_at_least_25_types_and_four_policies(taxonomy):
    assert len(taxonomy) >= 25
    assert IncidentType.objects.filter(code__in=[e["code"] for e in INCIDENT_TYPES]).count() == len(INCIDENT_TYPES)
    policies = {p.priority: p for p in PriorityPolicy.objects.all()}
    assert sorted(policies) == [1, 2, 3, 4]
    assert [(p, policies[p].response_target_minutes, policies[p].ack_deadline_minutes) for p in (1, 2, 3, 4)] == [
        (1, 8, 2), (2, 15, 5), (3, 30, 10), (4, 60, 30)]


@pytest.mark.parametrize("code", [
    "henti-jantung", "sesak-napas", "stroke", "kejang", "perdarahan-hebat", "persalinan", "keracunan", "luka-bakar",
    "tidak-sadar", "kecelakaan-lalu-lintas", "kebakaran-bangunan", "kebakaran-lahan", "banjir", "tanah-longsor",
    "gempa-bumi", "pohon-tumbang", "listrik-putus", "kejahatan", "kdrt", "orang-hilang", "hewan-berbahaya",
    "gangguan-ketertiban", "orang-tenggelam", "bangunan-runtuh",
])
def test_it_covers_the_kinds_of_emergency_the_issue_names(taxonomy, code):
    assert code in taxonomy


def test_every_type_is_well_formed():
    codes = [e["code"] for e in INCIDENT_TYPES]
    assert len(codes) == len(set(codes))
    for entry in INCIDENT_TYPES:
        assert entry["priority"] in Priority.values, entry["code"]
        assert set(entry["agencies"]) <= set(OrgKind.values), entry["code"]
        assert entry["capability"] in CAPABILITIES, entry["code"]
        assert entry["keywords"].strip(), entry["code"]
        ids = [q["id"] for q in entry["questions"]]
        assert len(ids) == len(set(ids)), entry["code"]
        for q in entry["questions"]:
            assert q["text"].startswith("Apakah") and q["text"].endswith("?"), q
            # a "yes" may only raise the priority (a smaller number), never lower it
            assert q["if_yes"] is None or q["if_yes"] < entry["priority"], (entry["code"], q)


def test_emergency_types_name_a_responding_agency():
    for entry in INCIDENT_TYPES:
        if entry["priority"] <= 2:
            assert entry["agencies"], entry["code"]


def test_seeding_twice_changes_nothing(taxonomy):
    before = list(IncidentType.objects.order_by("code").values())
    counts = seed_taxonomy()
    assert counts == {"types_created": 0, "types_updated": 0, "policies_created": 0, "policies_updated": 0}
    assert list(IncidentType.objects.order_by("code").values()) == before


def test_seeding_keeps_what_administrators_changed_unless_asked_to_overwrite(taxonomy):
    IncidentType.objects.filter(code="banjir").update(default_priority=2, name="Banjir (diubah admin)")
    PriorityPolicy.objects.filter(priority=1).update(response_target_minutes=10)
    seed_taxonomy()
    assert IncidentType.objects.get(code="banjir").name == "Banjir (diubah admin)"
    assert PriorityPolicy.objects.get(priority=1).response_target_minutes == 10
    counts = seed_taxonomy(overwrite=True)
    assert counts["types_updated"] == len(INCIDENT_TYPES) and counts["policies_updated"] == len(PRIORITY_POLICIES)
    banjir = IncidentType.objects.get(code="banjir")
    assert (banjir.name, banjir.default_priority) == ("Banjir", 3)
    assert PriorityPolicy.objects.get(priority=1).response_target_minutes == 8


def test_the_data_migration_seeds_an_empty_table():
    IncidentType.objects.all().delete()
    PriorityPolicy.objects.all().delete()
    migration = importlib.import_module("siaga.callcenter.migrations.0002_seed_taxonomy")
    migration.seed(django_apps, None)
    assert IncidentType.objects.count() == len(INCIDENT_TYPES)
    assert PriorityPolicy.objects.count() == 4
    stroke = IncidentType.objects.get(code="stroke")
    assert stroke.name.startswith("Dugaan stroke") and stroke.default_agency_kinds == ["psc119"]
    assert stroke.needs_capability == "ambulance"
