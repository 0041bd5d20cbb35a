"""Fixtures for the logistics tests: three provinces (DKI Jakarta, Jawa Barat, Banten) with a PMI province
organisation, a manager and a warehouse each, kelurahan with coordinates, and a disaster event they share."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import timezone

from siaga.core.models import Organization
from siaga.disaster.logistics import services
from siaga.disaster.logistics.models import Warehouse
from siaga.disaster.models import DisasterEvent
from siaga.geo.models import Region

# Kelurahan with coordinates: two in Jakarta Pusat, one in Kota Bekasi, one in Kota Tangerang.
KELURAHAN = [
    ("31.71.01", "Gambir", 3, "31.71", -6.176, 106.822),
    ("31.71.01.1001", "Gambir", 4, "31.71.01", -6.176, 106.822),
    ("31.71.01.1002", "Cideng", 4, "31.71.01", -6.172, 106.808),
    ("32.75.01", "Bekasi Timur", 3, "32.75", -6.246, 107.018),
    ("32.75.01.1001", "Margahayu", 4, "32.75.01", -6.246, 107.018),
    ("36.71.01", "Tangerang", 3, "36.71", -6.178, 106.630),
    ("36.71.01.1001", "Sukarasa", 4, "36.71.01", -6.178, 106.630),
]


@dataclass
class Province:
    org: Organization
    user: object
    actor: object
    warehouse: Warehouse


@pytest.fixture
def own_items(db):
    """Our own needs items come from a data migration; a transactional test before this one flushed them."""
    import importlib

    from django.apps import apps

    importlib.import_module("siaga.disaster.logistics.migrations.0002_needs_items").seed(apps, None)


@pytest.fixture
def kelurahan(regions, own_items):
    for code, name, level, parent, lat, lng in KELURAHAN:
        regions[code], _ = Region.objects.update_or_create(
            code=code, defaults={"name": name, "level": level, "parent_id": parent, "lat": lat, "lng": lng})
    return regions


@pytest.fixture
def provinces(kelurahan, make_org, make_user, actor_of):
    """dki, jabar, banten: a PMI province each, with a logistics manager and one warehouse near its capital."""
    out = {}
    spots = {"dki": ("31", "31.71", -6.18, 106.83), "jabar": ("32", "32.75", -6.24, 107.00),
             "banten": ("36", "36.71", -6.18, 106.63)}
    for key, (prov, kab, lat, lon) in spots.items():
        org = make_org(kind="pmi_province", region_code=prov, name=f"PMI {key}")
        user = make_user("disaster_manager", org, scope_code=prov)
        actor = actor_of(user)
        wh = services.create_warehouse(actor, code=f"gudang-{key}", name=f"Gudang {key}", region_code=kab,
                                       lat=lat, lon=lon)
        out[key] = Province(org=org, user=user, actor=actor, warehouse=wh)
    return out


@pytest.fixture
def shared_event(provinces):
    """A flood led by PMI DKI with PMI Jawa Barat taking part (Banten does not)."""
    ev = DisasterEvent.objects.create(organization=provinces["dki"].org, region_code="31.71", name="Banjir Jakarta",
                                      type_id="banjir", started_at=timezone.now(),
                                      affected_region_codes=["31.71.01.1001"])
    ev.participants.add(provinces["jabar"].org)
    return ev

