"""Demo posyandu: one posyandu of an existing organisation with 40 children and six months of weighings.

The children are synthetic (names from a short list, NIKs that pass every check), drawn so that
about one child in five is stunted and a few do not gain weight, as in scenario 5 (a posyandu day in
Pekanbaru; here in the demo's Kota Mojokerto). Everything goes through services.py, so the audit trail,
the KMS results and the events are the real ones. Call load(system_actor(), "posyandu-melati-kranggan").
"""

from __future__ import annotations

import datetime as dt
import random

from siaga.core.models import Organization

from . import growth, services
from .models import Posyandu

GIRLS = ("Aisyah", "Putri", "Nabila", "Zahra", "Salsabila", "Citra", "Dewi", "Kirana", "Alya", "Naura")
BOYS = ("Bima", "Rizky", "Fajar", "Arka", "Dimas", "Raka", "Bagas", "Yusuf", "Galang", "Rafi")
FAMILIES = ("Santoso", "Wijaya", "Saputra", "Hidayat", "Pratama", "Kusuma", "Nugroho", "Ramadhan")


def _nik(district: str, born: dt.date, sex: str, serial: int) -> str:
    day = born.day + (40 if sex == "F" else 0)
    return f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def load(actor, organization_code: str, children: int = 40, months: int = 6, seed: int = 5) -> Posyandu:
    """Create (or reuse) the posyandu of the organisation and fill it; returns the posyandu."""
    org = Organization.objects.get(code=organization_code)
    posyandu = Posyandu.objects.filter(organization=org).first() or services.create_posyandu(
        actor, organization_id=org.pk, name=org.name, region_code=org.region_code, schedule_week_of_month=2,
        schedule_weekday=1)
    if posyandu.persons.exists():
        return posyandu
    rng = random.Random(seed)
    today = services.today_local(posyandu.region_code)
    district = org.region_code.replace(".", "")[:6]
    t = growth.tables()
    for i in range(children):
        sex = "F" if i % 2 else "M"
        born = today - dt.timedelta(days=rng.randint(60 + 31 * months, 1700))
        first = (GIRLS if sex == "F" else BOYS)[i % 10]
        person = services.register_person(actor, posyandu_id=posyandu.pk, name=f"{first} {FAMILIES[i % 8]}",
                                          sex=sex, birth_date=born, nik=_nik(district, born, sex, 101 + i),
                                          mother_name=f"Ibu {FAMILIES[(i + 3) % 8]}")
        stunted = rng.random() < 0.2
        z_len = rng.gauss(-2.6, 0.4) if stunted else rng.gauss(-0.6, 0.8)
        z_wei = rng.gauss(-0.8, 0.9)
        stalls = rng.random() < 0.15  # gains too little in the last months
        row = 0 if sex == "M" else 1
        for k in range(months, 0, -1):
            year, month = today.year, today.month - k
            while month < 1:
                year, month = year - 1, month + 12
            day = posyandu.session_date_in(year, month) or dt.date(year, month, 10)
            age = (day - born).days
            if age < 0 or age > growth.MAX_AGE_DAYS:
                continue
            a = min(age, t["wfa"].size - 1)
            weight_kg = float(growth.lms_value(z_wei - (0.25 * (months - k) if stalls else 0),
                                               t["wfa"].l[row, a], t["wfa"].m[row, a], t["wfa"].s[row, a]))
            length_cm = float(growth.lms_value(z_len, t["lhfa"].l[row, a], t["lhfa"].m[row, a], t["lhfa"].s[row, a]))
            position = "lying" if age < 731 else "standing"
            services.record_measurement(actor, person_id=person.pk, measured_on=day,
                                        weight_g=int(round(weight_kg * 10)) * 100,
                                        length_height_mm=int(round(length_cm * 10)), position=position,
                                        confirm=True)
    return posyandu
