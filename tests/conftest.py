"""Shared fixtures: organisations, users acting through memberships, API clients, captured events, regions."""

from __future__ import annotations

import contextlib
import itertools

import pytest
from django.test import Client

from siaga.core import events as core_events
from siaga.core.middleware import SESSION_MEMBERSHIP_KEY
from siaga.core.models import Membership, Organization, User
from siaga.core.permissions import actor_for
from siaga.geo.models import Region

_seq = itertools.count(1)

# A handful of real Kemendagri regions, enough for unit tests without the full import.
SAMPLE_REGIONS = [
    ("35", "Jawa Timur", 1, None),
    ("35.16", "Kabupaten Mojokerto", 2, "35"),
    ("35.16.01", "Jatirejo", 3, "35.16"),
    ("35.76", "Kota Mojokerto", 2, "35"),
    ("35.76.01", "Prajuritkulon", 3, "35.76"),
    ("35.76.01.1006", "Prajuritkulon", 4, "35.76.01"),
    ("35.76.01.1007", "Surodinawan", 4, "35.76.01"),
    ("35.76.02", "Magersari", 3, "35.76"),
    ("35.76.03", "Kranggan", 3, "35.76"),
    ("35.76.03.1001", "Kranggan", 4, "35.76.03"),
    ("31", "DKI Jakarta", 1, None),
    ("31.71", "Kota Adm. Jakarta Pusat", 2, "31"),
    ("32", "Jawa Barat", 1, None),
    ("32.75", "Kota Bekasi", 2, "32"),
    ("36", "Banten", 1, None),
    ("36.71", "Kota Tangerang", 2, "36"),
]


@pytest.fixture
def regions(db):
    """Insert the sample regions (idempotent) and return them by code."""
    from siaga.geo.search import normalize  # the search key the importer uses

    out = {}
    for code, name, level, parent in SAMPLE_REGIONS:
        out[code], _ = Region.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent, "search_key": normalize(name)}
        )
    return out


@pytest.fixture
def make_org(db):
    def make(kind="pmi_branch", region_code="", parent=None, name=None, code=None):
        n = next(_seq)
        return Organization.objects.create(
            code=code or f"org-{n}", name=name or f"Organisasi {n}", kind=kind, region_code=region_code, parent=parent
        )

    return make


@pytest.fixture
def make_user(db):
    """make_user(role, org, scope_code="") -> a user with one active membership."""

    def make(role="administrator", org=None, scope_code="", username=None, password="Rahasia-Siaga-2026", **extra):
        n = next(_seq)
        user = User.objects.create_user(username=username or f"user{n}", password=password, **extra)
        if org is not None:
            Membership.objects.create(user=user, organization=org, role=role, scope_code=scope_code)
        return user

    return make


@pytest.fixture
def actor_of():
    """actor_of(user[, membership_id]) -> the Actor the permission module builds for that user."""
    return actor_for


# The data migrations that seed reference rows, as (module, function). A transactional test's flush removes these
# rows; a test that needs them after another transactional test calls reseed_reference_data() (serialized_rollback
# is not used: it collides with the content types an earlier flush has recreated).
SEEDING_MIGRATIONS = (
    ("siaga.callcenter.migrations.0002_seed_taxonomy", "seed"),
    ("siaga.blood.migrations.0002_seed_reference_data", "seed"),
    ("siaga.disaster.migrations.0002_seed_disaster_types", "forwards"),
    ("siaga.disaster.logistics.migrations.0002_needs_items", "seed"),
    ("siaga.disaster.volunteers.migrations.0003_seed_skills", "seed"),
    ("siaga.disaster.readiness.migrations.0002_seed_border_zones", "forwards"),
)


def reseed_reference_data() -> None:
    """Run every seeding data migration again against the live models; each keeps rows that exist."""
    import importlib

    from django.apps import apps

    for module, function in SEEDING_MIGRATIONS:
        getattr(importlib.import_module(module), function)(apps, None)


def client_for(user, membership: Membership | None = None) -> Client:
    """A test client logged in as user, acting through membership (default: the user's first)."""
    c = Client()
    c.force_login(user)
    if membership is None:
        membership = user.memberships.order_by("pk").first()
    if membership is not None:
        session = c.session
        session[SESSION_MEMBERSHIP_KEY] = membership.pk
        session.save()
    return c


@pytest.fixture
def login():
    return client_for


@contextlib.contextmanager
def _capture():
    captured: list[dict] = []
    core_events._capture_stack.append(captured)
    try:
        yield captured
    finally:
        core_events._capture_stack.remove(captured)


@pytest.fixture
def capture_events():
    """with capture_events() as evs: ... -> evs holds every event emitted, each checked against its schema."""

    @contextlib.contextmanager
    def cm():
        with _capture() as captured:
            yield captured
        for ev in captured:
            et = core_events.EVENT_TYPES[ev["type"]]
            et.schema.model_validate(ev["payload"])
            assert ev["topic"] == et.topic

    return cm


@pytest.fixture(autouse=True, scope="session")
def _empty_shared_cache():
    """With the Redis bus the cache is Redis and outlives a run: start each run as an in-memory cache would."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_geo_caches():
    """Region lookup and search caches are per process: never let one test's regions leak into the next."""
    from siaga.geo import lookup, search

    lookup.invalidate()
    search.invalidate()
    yield
    lookup.invalidate()
    search.invalidate()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in Bahasa Indonesia, whatever language an earlier request left active in this thread."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
