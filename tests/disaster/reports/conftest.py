"""Fixtures for disaster reports: an event in Kota Mojokerto led by PMI Jawa Timur, with PMI Banten taking part."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from siaga.disaster import services as disaster_services

KEC = "35.76.01"  # Prajuritkulon (kecamatan), Kota Mojokerto
KEL_A = "35.76.01.1006"  # Prajuritkulon (kelurahan)
KEL_B = "35.76.01.1007"  # Surodinawan
KEL_C = "35.76.03.1001"  # Kranggan, in kecamatan Kranggan
OUTSIDE = "35.16.01"  # Jatirejo, Kabupaten Mojokerto: not part of the event

ZERO = dict(dead=0, missing=0, injured=0, displaced=0, affected=0, houses_damaged_light=0,
            houses_damaged_moderate=0, houses_damaged_heavy=0, assisted=0)


@pytest.fixture
def t0():
    """The event's start: three days ago, on the minute (so times in tests read easily)."""
    return (timezone.now() - dt.timedelta(days=3)).replace(second=0, microsecond=0)


@pytest.fixture
def setting(regions, make_org, make_user, actor_of, t0):
    from siaga.disaster.models import DisasterType
    from siaga.disaster.taxonomy import seed

    seed(DisasterType)  # a transactional test before this one may have flushed the seeded types
    jatim = make_org(kind="pmi_province", region_code="35", name="PMI Provinsi Jawa Timur")
    banten = make_org(kind="pmi_province", region_code="36", name="PMI Provinsi Banten")
    dki = make_org(kind="pmi_province", region_code="31", name="PMI Provinsi DKI Jakarta")
    lead_user = make_user("disaster_manager", jatim, scope_code="35")
    lead = actor_of(lead_user)
    ev = disaster_services.create_event(lead, name="Banjir Mojokerto", type_code="banjir", started_at=t0,
                                        phase="emergency_response", affected_region_codes=["35.76"],
                                        participant_ids=[banten.pk])
    participant_user = make_user("disaster_manager", banten, scope_code="36")
    outsider_user = make_user("disaster_manager", dki, scope_code="31")
    volunteer_user = make_user("volunteer", jatim, scope_code="35")
    return {
        "event": ev, "jatim": jatim, "banten": banten, "dki": dki, "t0": t0,
        "lead": lead, "lead_user": lead_user,
        "participant": actor_of(participant_user), "participant_user": participant_user,
        "outsider": actor_of(outsider_user), "outsider_user": outsider_user,
        "volunteer": actor_of(volunteer_user), "volunteer_user": volunteer_user,
    }


def figures(**kw) -> dict:
    out = dict(ZERO)
    out.update(kw)
    return out
