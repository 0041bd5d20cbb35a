"""Indicator arithmetic on a dataset built by hand (tests/health/pws/dataset.py): every count and rate asserted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from siaga.core.permissions import system_actor
from siaga.health import indicators, pws

from .dataset import build

pytestmark = pytest.mark.django_db

MELATI, MAWAR = "35.76.01.1006", "35.76.03.1001"


def _month(by, ym=(2025, 3)):
    persons, measurements, pregnancies = pws._data(system_actor())
    return indicators.monthly(persons, measurements, *ym, by=by, pregnancies=pregnancies)


def test_skdn_of_a_kelurahan(hx):
    build(hx)
    ind = _month("kelurahan")[MELATI]
    assert (ind.s, ind.d, ind.n, ind.t, ind.o, ind.b) == (7, 4, 2, 1, 1, 0)
    assert ind.rates["d_s"] == round(4 / 7, 4) and ind.rates["n_d"] == 0.5
    assert ind.rates["n_d_prime"] == round(2 / 3, 4)


def test_prevalence_counts_the_last_measurement_of_the_month(hx):
    build(hx)
    ind = _month("kelurahan")[MELATI]
    assert (ind.measured_weight, ind.underweight) == (4, 1)
    assert (ind.measured_length, ind.stunted) == (3, 1)  # c2's severe stunting on the 2nd was superseded
    assert (ind.measured_wflh, ind.wasted, ind.overweight) == (3, 1, 1)
    assert ind.needs_referral == 1
    assert ind.rates["stunting"] == round(1 / 3, 4) and ind.rates["underweight"] == 0.25


def test_immunisation_counts_doses_before_the_first_birthday(hx):
    build(hx)
    ind = _month("kelurahan")[MELATI]
    assert (ind.imm_cohort, ind.imm_complete, ind.rates["immunisation"]) == (2, 1, 0.5)


def test_k4_counts_pregnancies_ending_in_the_month(hx):
    build(hx)
    ind = _month("kelurahan")[MELATI]
    assert (ind.k4_cohort, ind.k4, ind.rates["k4"]) == (2, 1, 0.5)


def test_the_other_kelurahan(hx):
    build(hx)
    ind = _month("kelurahan")[MAWAR]
    assert (ind.s, ind.d, ind.b, ind.n) == (1, 1, 1, 0)
    assert (ind.stunted, ind.underweight, ind.overweight, ind.wasted) == (1, 1, 1, 0)
    assert ind.rates["stunting"] == 1.0 and ind.rates["immunisation"] is None


def test_kecamatan_and_kab_kota_add_up(hx):
    build(hx)
    kec = _month("kecamatan")
    assert set(kec) == {"35.76.01", "35.76.03"}
    assert kec["35.76.01"].s == 7 and kec["35.76.03"].s == 1
    kota = _month("kabkota")["35.76"]
    assert (kota.s, kota.d, kota.n, kota.t, kota.o, kota.b) == (8, 5, 2, 1, 1, 1)
    assert (kota.stunted, kota.measured_length, kota.overweight) == (2, 4, 2)
    assert kota.counts() == indicators.total(_month("kelurahan")).counts()


def test_by_posyandu(hx):
    build(hx)
    rows = _month("posyandu")
    assert rows[hx.posyandu.pk].d == 4 and rows[hx.other_posyandu.pk].d == 1


def test_a_month_earlier_the_59_month_old_was_still_in_s(hx):
    build(hx)
    ind = _month("kelurahan", (2025, 2))[MELATI]
    # February: c4 (59 months) is in S, c5 not born; only c9 was weighed (first weighing).
    assert (ind.s, ind.d, ind.b) == (7, 1, 1)


def test_a_year_of_months_costs_three_queries(hx):
    build(hx)
    persons, measurements, pregnancies = pws._data(system_actor())
    with CaptureQueriesContext(connection) as q:
        data = indicators.series(persons, measurements, (2024, 4), (2025, 3), by="kelurahan",
                                 pregnancies=pregnancies)
    assert len(q.captured_queries) == 3
    assert len(data[MELATI]) == 12 and data[MELATI][(2025, 3)].d == 4 and data[MELATI][(2024, 4)].d == 0


def test_follow_up_children_and_their_reasons(hx):
    c = build(hx)
    persons, measurements, _p = pws._data(system_actor())
    rows = {r["person_id"]: r["reasons"] for r in indicators.follow_up_children(persons, measurements, 2025, 3)}
    assert rows == {
        c["c1"].pk: ["immunisation_incomplete"],  # 14 months, no dose recorded
        c["c2"].pk: ["immunisation_incomplete"],
        c["c7"].pk: ["2T"],
        c["c8"].pk: ["not_weighed_2_months", "immunisation_incomplete"],
        c["d1"].pk: ["severely_stunted"],
    }
