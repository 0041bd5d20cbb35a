"""A tiny PWS dataset built by hand, every number of which is worked out in the docstring of build().

Month under test: March 2025. Posyandu Melati serves kelurahan 35.76.01.1006 (kecamatan 35.76.01), Posyandu
Mawar serves 35.76.03.1001 (kecamatan 35.76.03); both in Kota Mojokerto (35.76).
"""

from __future__ import annotations

import datetime as dt

from siaga.health.lifecycle import BASIC_DOSES
from siaga.health.models import AntenatalVisit, ImmunisationDose, Measurement, Person, Pregnancy

D = dt.date


def person(posyandu, name, birth_date, sex="F", active=True):
    return Person.objects.create(organization=posyandu.organization, posyandu=posyandu,
                                 region_code=posyandu.region_code, name=name, sex=sex, birth_date=birth_date,
                                 active=active)


def measure(p, on, weight_g=9000, status="N", wfa="normal", lhfa="", wflh="", referral=False, length_mm=None):
    return Measurement.objects.create(
        organization=p.organization, region_code=p.region_code, person=p, measured_on=on,
        age_days=(on - p.birth_date).days, weight_g=weight_g, length_height_mm=length_mm or (750 if lhfa else None),
        growth_status=status if weight_g else "", category_wfa=wfa if weight_g else "", category_lhfa=lhfa,
        category_wflh=wflh, needs_referral=referral)


def doses(p, given_on, skip=()):
    for vaccine, n in BASIC_DOSES:
        if (vaccine, n) in skip:
            continue
        ImmunisationDose.objects.create(organization=p.organization, region_code=p.region_code, person=p,
                                        vaccine=vaccine, dose_number=n, given_on=given_on,
                                        age_days=(given_on - p.birth_date).days)


def pregnancy(mother, edd, visits_by_trimester, outcome="ongoing", ended_on=None):
    lmp = edd - dt.timedelta(days=280)
    preg = Pregnancy.objects.create(organization=mother.organization, region_code=mother.region_code, person=mother,
                                    lmp_date=lmp, edd=edd, outcome=outcome, ended_on=ended_on)
    offsets = {1: 60, 2: 130, 3: 200}
    k = 0
    for trimester, count in enumerate(visits_by_trimester, start=1):
        for i in range(count):
            k += 1
            day = lmp + dt.timedelta(days=offsets[trimester] + 7 * i)
            AntenatalVisit.objects.create(organization=mother.organization, region_code=mother.region_code,
                                          pregnancy=preg, visit_date=day, gestational_age_days=(day - lmp).days,
                                          trimester=trimester, contact_number=k)
    return preg


def build(hx) -> dict:
    """Melati (35.76.01.1006), March 2025:

    c1 2024-01-10 weighed 11 Mar: N, length normal, wfl normal             -> S, D, N
    c2 2023-05-05 weighed 2 Mar (T, severely stunted) and 20 Mar (N, stunted, wasted, underweight): the 20th counts
    c3 2020-04-01 (59 months in March) weighed, no length: O               -> S, D, O
    c4 2020-03-15 (60 months in March) weighed                            -> not in S nor D
    c5 2025-03-01 newborn, not weighed                                    -> S
    c6 inactive (moved away), weighed                                     -> nowhere
    c7 2024-03-20 turns 12 months, every basic dose at 4 months; weighed: T, 2T, overweight -> S, D, T, IDL
    c8 2024-03-05 turns 12 months, MR1 given a day after the birthday; never weighed -> S, cohort, not IDL
    c9 2024-08-01 weighed 28 Feb only (B)                                  -> S (not D in March)
    S = 7, D = 4, N = 2, T = 1, O = 1, B = 0; weight assessed 4, underweight 1; length 3, stunted 1;
    wfl 3, wasted 1, overweight 1; 2T 1; IDL cohort 2, complete 1.
    Mothers: K4 due/ended in March: p1 (1+1+2 visits: K4), p2 (ended 5 Mar, 0+2+3: not K4); p3 miscarriage and
    p4 (ended in February) are out: K4 cohort 2, K4 1.

    Mawar (35.76.03.1001): d1 2023-01-01 weighed 11 Mar: B, severely stunted, severely underweight, obese.
    S = 1, D = 1, B = 1, stunted 1/1, underweight 1/1, overweight 1/1.
    """
    m, w = hx.posyandu, hx.other_posyandu
    c = {}
    c["c1"] = person(m, "Citra Satu", D(2024, 1, 10))
    measure(c["c1"], D(2025, 3, 11), status="N", lhfa="normal", wflh="normal")
    c["c2"] = person(m, "Dewi Dua", D(2023, 5, 5))
    measure(c["c2"], D(2025, 3, 2), status="T", lhfa="severely_stunted", wflh="normal")
    measure(c["c2"], D(2025, 3, 20), status="N", wfa="underweight", lhfa="stunted", wflh="wasted")
    c["c3"] = person(m, "Eka Tiga", D(2020, 4, 1))
    measure(c["c3"], D(2025, 3, 11), status="O")
    c["c4"] = person(m, "Fajar Empat", D(2020, 3, 15), sex="M")
    measure(c["c4"], D(2025, 3, 11), status="N")
    c["c5"] = person(m, "Gita Lima", D(2025, 3, 1))
    c["c6"] = person(m, "Hadi Enam", D(2024, 6, 1), sex="M", active=False)
    measure(c["c6"], D(2025, 3, 11), status="N")
    c["c7"] = person(m, "Intan Tujuh", D(2024, 3, 20))
    measure(c["c7"], D(2025, 3, 11), status="T", lhfa="normal", wflh="overweight", referral=True)
    doses(c["c7"], D(2024, 7, 20))
    c["c8"] = person(m, "Joko Delapan", D(2024, 3, 5), sex="M")
    doses(c["c8"], D(2024, 7, 5), skip={("mr", 1)})
    ImmunisationDose.objects.create(organization=m.organization, region_code=m.region_code, person=c["c8"],
                                    vaccine="mr", dose_number=1, given_on=D(2025, 3, 6), age_days=366)
    c["c9"] = person(m, "Kiki Sembilan", D(2024, 8, 1))
    measure(c["c9"], D(2025, 2, 28), status="B")

    mothers = [person(m, f"Ibu {i}", D(1995, 1, 1 + i)) for i in range(4)]
    pregnancy(mothers[0], D(2025, 3, 20), (1, 1, 2))
    pregnancy(mothers[1], D(2025, 4, 10), (0, 2, 3), outcome="live_birth", ended_on=D(2025, 3, 5))
    pregnancy(mothers[2], D(2025, 3, 15), (1, 1, 2), outcome="miscarriage", ended_on=D(2024, 9, 1))
    pregnancy(mothers[3], D(2025, 3, 25), (1, 1, 2), outcome="live_birth", ended_on=D(2025, 2, 20))

    c["d1"] = person(w, "Lala Mawar", D(2023, 1, 1))
    measure(c["d1"], D(2025, 3, 11), status="B", wfa="severely_underweight", lhfa="severely_stunted", wflh="obese")
    return c
