"""Fixtures for the volunteer tests: two provinces' PMI organisations, their managers, valid NIKs and a register() helper."""

from __future__ import annotations

import pytest

from siaga.geo.models import Region
from siaga.geo.search import normalize

# Kelurahan in the sample regions (tests/conftest.py) plus a kecamatan and kelurahan in Kota Bekasi (Jawa Barat).
EXTRA_REGIONS = [
    ("32.75.01", "Bekasi Timur", 3, "32.75"),
    ("32.75.01.1001", "Margahayu", 4, "32.75.01"),
    ("32.75.01.1002", "Bekasi Jaya", 4, "32.75.01"),
]
KEL_MJK = "35.76.01.1006"  # Prajuritkulon, Kota Mojokerto
KEL_MJK_2 = "35.76.01.1007"
KEL_BKS = "32.75.01.1001"  # Margahayu, Kota Bekasi


def nik(district="357601", day=12, month=5, year=90, female=False, serial=1) -> str:
    """A structurally valid NIK: kecamatan code, birth date (+40 for women), serial."""
    return f"{district}{day + (40 if female else 0):02d}{month:02d}{year:02d}{serial:04d}"


@pytest.fixture
def vregions(regions):
    for code, name, level, parent in EXTRA_REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent,
                                                             "search_key": normalize(name), "lat": -6.25, "lng": 107.0})
    return regions


@pytest.fixture
def world(vregions, make_org, make_user, actor_of):
    """PMI Jawa Timur (province) with its Kota Mojokerto branch, and PMI Jawa Barat: a manager for each."""
    from siaga.disaster.volunteers.seed import ensure_skills

    ensure_skills()  # a transactional test elsewhere may have flushed the migration's rows
    jatim = make_org(kind="pmi_province", region_code="35", name="PMI Jawa Timur")
    mojokerto = make_org(kind="pmi_branch", region_code="35.76", parent=jatim, name="PMI Kota Mojokerto")
    jabar = make_org(kind="pmi_province", region_code="32", name="PMI Jawa Barat")
    m_mjk = make_user("disaster_manager", mojokerto, scope_code="35.76")
    m_jatim = make_user("disaster_manager", jatim, scope_code="35")
    m_jabar = make_user("disaster_manager", jabar, scope_code="32")
    return {"jatim": jatim, "mojokerto": mojokerto, "jabar": jabar, "m_mjk": m_mjk, "m_jatim": m_jatim,
            "m_jabar": m_jabar, "a_mjk": actor_of(m_mjk), "a_jatim": actor_of(m_jatim), "a_jabar": actor_of(m_jabar)}


@pytest.fixture
def reg():
    """reg(actor, name=..., **overrides) -> RegistrationResult with sensible valid defaults."""
    from siaga.disaster.volunteers import services

    def register(actor, name="Suparman", **kw):
        data = {"nik": nik(), "phone": "0812-3456-7890", "region_code": KEL_MJK}
        data.update(kw)
        return services.register(actor, name=name, **data)

    return register
