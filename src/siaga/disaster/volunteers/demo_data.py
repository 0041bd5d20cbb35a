"""Demo volunteers for PMI DKI Jakarta, Jawa Barat and Banten, with certificates and one person registered twice.

Call load_demo() from siaga.demo after the organisations, users and regions exist. Idempotent: an
organisation that already has volunteers is left alone. Kelurahan and NIK kecamatan codes are taken
from the loaded region table, so the NIK checks pass on whatever subset of regions is loaded.
"""

from __future__ import annotations

import datetime as dt
import logging

from siaga.core.models import Organization, User
from siaga.core.permissions import system_actor
from siaga.geo.models import Level, Region

from . import services
from .seed import ensure_skills

log = logging.getLogger(__name__)

# (name, sex, birth date, skills, blood group, status)
PEOPLE = {
    "pmi-dki": [
        ("Soeparman", "M", dt.date(1988, 3, 14), ["first_aid", "water_rescue"], ("O", "pos"), "available"),
        ("Siti Nurhaliza", "F", dt.date(1995, 7, 2), ["psychosocial", "restoring_family_links"], ("A", "pos"), "available"),
        ("Bambang Hermawan", "M", dt.date(1979, 11, 23), ["ambulance_driver", "first_aid"], ("B", "pos"), "deployed"),
        ("Dewi Kartika", "F", dt.date(1999, 1, 9), ["public_kitchen", "shelter_management"], ("", ""), "resting"),
        ("Muhammad Rizki", "M", dt.date(2001, 5, 30), ["search_rescue", "assessment"], ("AB", "pos"), "available"),
    ],
    "pmi-jabar": [
        ("Suparman S.", "M", dt.date(1988, 3, 14), ["logistics"], ("O", "pos"), "available"),  # same man as in DKI
        ("Asep Sunandar", "M", dt.date(1985, 9, 17), ["water_rescue", "search_rescue"], ("B", "pos"), "available"),
        ("Euis Komariah", "F", dt.date(1992, 12, 1), ["wash", "first_aid"], ("O", "pos"), "available"),
        ("Dadang Kurniawan", "M", dt.date(1976, 4, 5), ["logistics", "assessment"], ("A", "neg"), "unavailable"),
    ],
    "pmi-banten": [
        ("H. Ahmad Fauzi, S.Kep", "M", dt.date(1983, 8, 21), ["first_aid", "psychosocial"], ("O", "pos"), "available"),
        ("Ratu Aisyah", "F", dt.date(1997, 2, 11), ["shelter_management", "public_kitchen"], ("B", "pos"), "available"),
        ("Jajang Mulyana", "M", dt.date(1990, 10, 3), ["water_rescue", "ambulance_driver"], ("A", "pos"), "deployed"),
    ],
}
CERTIFICATES = {
    "first_aid": ("Pertolongan Pertama (KSR Dasar)", 3),
    "water_rescue": ("Water Rescue", 2),
    "ambulance_driver": ("SIM A Umum & Pelatihan Pengemudi Ambulans", 5),
    "psychosocial": ("Dukungan Psikososial", 3),
}
VOLUNTEER_USERNAME = "relawan"  # the demo volunteer account (PMI DKI): linked to the first DKI volunteer


def _kelurahan(province: str, n: int) -> list[Region]:
    return list(Region.objects.filter(level=Level.VILLAGE, code__startswith=province + ".").order_by("code")[:n])


def _nik(kelurahan_code: str, birth: dt.date, sex: str, serial: int) -> str:
    district = "".join(kelurahan_code.split(".")[:3])
    day = birth.day + (40 if sex == "F" else 0)
    return f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def load_demo() -> int:
    """Register the demo volunteers; returns how many were created."""
    ensure_skills()
    actor = system_actor()
    created = 0
    today = dt.date.today()
    for org_n, (org_code, people) in enumerate(PEOPLE.items()):
        org = Organization.objects.filter(code=org_code).first()
        if org is None or org.volunteers.exists():
            continue
        places = _kelurahan(org.region_code, 40)
        if not places:
            log.warning("no kelurahan loaded for %s: demo volunteers skipped", org.region_code)
            continue
        for i, (name, sex, birth, skills, (abo, rhd), status) in enumerate(people):
            # The DKI/Jabar pair is one person: the same NIK, issued in Jakarta.
            jakarta = _kelurahan("31", 1)
            nik_place = jakarta[0] if name.startswith(("Soeparman", "Suparman")) and jakarta else places[(i * 7) % len(places)]
            user_id = None
            if org_code == "pmi-dki" and i == 0:
                user_id = User.objects.filter(username=VOLUNTEER_USERNAME).values_list("pk", flat=True).first()
            v = services.register(
                actor, organization=org, name=name, nik=_nik(nik_place.code, birth, sex, 100 + i),
                phone=f"+628123{org_n}{i:02d}{1000 + 37 * i:04d}", region_code=places[(i * 7) % len(places)].code,
                birth_date=birth, sex=sex, blood_abo=abo, blood_rhd=rhd, skills=skills, user_id=user_id,
                availability_notes="Akhir pekan dan malam hari" if i % 2 else "").volunteer
            for skill in skills:
                if skill in CERTIFICATES:
                    title, years = CERTIFICATES[skill]
                    issued = today - dt.timedelta(days=200 + 150 * i)
                    services.add_certificate(actor, v.pk, name=title, skill=skill, issuer="PMI",
                                             issued_on=issued, expires_on=issued + dt.timedelta(days=365 * years))
            if status != "available":
                services.set_status(actor, v, status, reason="Data demo")
            created += 1
    return created
