"""PWS indicators on a hand-checked month: S, D, N, T, O, B, the ratios, prevalence, and the follow-up list."""

import datetime as dt

import pytest

from siaga.core.permissions import system_actor
from siaga.health import indicators, services
from siaga.health.models import Measurement, Person

pytestmark = pytest.mark.django_db


def _m(hx, child, on, weight_g=None, length_mm=None, position="", actor=None):
    return services.record_measurement(actor or hx.actor(), person_id=child.pk, measured_on=on, weight_g=weight_g,
                                       length_height_mm=length_mm, position=position)


@pytest.fixture
def feb(hx):
    a = hx.child(name="A", sex="F", birth_date=dt.date(2024, 3, 15))
    b = hx.child(name="B", sex="M", birth_date=dt.date(2023, 6, 1))
    c = hx.child(name="C", sex="F", birth_date=dt.date(2024, 12, 1))
    d = hx.child(name="D", sex="M", birth_date=dt.date(2022, 9, 1))
    hx.child(name="E", sex="M", birth_date=dt.date(2023, 1, 10))  # not weighed in February
    f = hx.child(name="F", sex="F", birth_date=dt.date(2019, 1, 1))  # six years old: not in S
    gone = hx.child(name="G", sex="F", birth_date=dt.date(2024, 1, 1))
    Person.objects.filter(pk=gone.pk).update(active=False)  # moved away: not in S
    other = hx.child(name="X", sex="M", birth_date=dt.date(2024, 1, 1), posyandu=hx.other_posyandu)

    _m(hx, a, dt.date(2025, 1, 14), 8000)
    _m(hx, a, dt.date(2025, 2, 11), 8200)  # +200 g at 10 months (minimum 300): T ...
    _m(hx, a, dt.date(2025, 2, 20), 8400, 720, "lying")  # ... but the month's last weighing: +400 g, N
    _m(hx, b, dt.date(2025, 1, 14), 10_000)
    _m(hx, b, dt.date(2025, 2, 11), 10_100, 720, "lying")  # +100 g (minimum 200): T; 72 cm at 20 months
    _m(hx, c, dt.date(2025, 2, 11), 2900)  # first weighing: B; far below -3 SD weight-for-age
    _m(hx, d, dt.date(2024, 12, 10), 12_000)
    _m(hx, d, dt.date(2025, 2, 11), 12_500)  # nothing in January: O
    _m(hx, f, dt.date(2025, 2, 11), 18_000)
    _m(hx, other, dt.date(2025, 2, 11), 10_000, actor=hx.actor("other_kader"))
    return {"a": a, "b": b, "c": c, "d": d}


def _month(by="kelurahan"):
    actor = system_actor()
    return indicators.monthly(services.visible_persons(actor), services.visible_measurements(actor), 2025, 2, by=by)


def test_skdn_by_hand(hx, feb):
    ind = _month()["35.76.01.1006"]
    assert (ind.s, ind.d, ind.n, ind.t, ind.o, ind.b) == (5, 4, 1, 1, 1, 1)
    assert ind.rates["d_s"] == 0.8 and ind.rates["n_d"] == 0.25 and ind.rates["n_d_prime"] == 0.5


def test_prevalence_by_hand(hx, feb):
    ind = _month()["35.76.01.1006"]
    # Measured for length: A (72 cm at 11 months, normal) and B (72 cm at 20 months, severely stunted).
    assert (ind.measured_length, ind.stunted, ind.rates["stunting"]) == (2, 1, 0.5)
    # Weighed: A, B, C, D; only C (2.9 kg at 10 weeks) is underweight.
    assert (ind.measured_weight, ind.underweight, ind.rates["underweight"]) == (4, 1, 0.25)
    assert (ind.measured_wflh, ind.wasted) == (2, 0)


def test_areas_are_kept_apart_and_add_up(hx, feb):
    by_kel = _month()
    assert set(by_kel) == {"35.76.01.1006", "35.76.03.1001"}
    other = by_kel["35.76.03.1001"]
    assert (other.s, other.d, other.b) == (1, 1, 1)
    t = indicators.total(by_kel)
    assert (t.s, t.d, t.b) == (6, 5, 2) and t.rates["d_s"] == round(5 / 6, 4)


def test_by_posyandu_gives_the_same_counts(hx, feb):
    by_p = _month(by="posyandu")
    assert by_p[hx.posyandu.pk].d == 4 and by_p[hx.other_posyandu.pk].d == 1


def test_a_kader_sees_only_their_posyandu(hx, feb):
    actor = hx.actor("kader")
    res = indicators.monthly(services.visible_persons(actor), services.visible_measurements(actor), 2025, 2)
    assert set(res) == {"35.76.01.1006"}


def test_follow_up_lists_low_categories_and_tidak_naik(hx, feb):
    actor = system_actor()
    rows = indicators.follow_up(services.visible_measurements(actor), 2025, 2)
    by_person = {r["person_id"]: r["reasons"] for r in rows}
    assert by_person[feb["b"].pk] == ["severely_stunted", "T"]
    assert by_person[feb["c"].pk] == ["severely_underweight"]
    assert feb["a"].pk not in by_person and feb["d"].pk not in by_person


def test_an_empty_month_has_no_rates(hx):
    hx.child(name="A", birth_date=dt.date(2024, 3, 15))
    ind = _month()["35.76.01.1006"]
    assert ind.s == 1 and ind.d == 0 and ind.rates["n_d"] is None
    assert Measurement.objects.count() == 0
