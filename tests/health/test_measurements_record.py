"""Recording a child's measurement: z-scores and categories stored, bad values refused or held for confirmation."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.health import services
from siaga.health.models import Measurement

pytestmark = pytest.mark.django_db

BORN = dt.date(2024, 3, 15)


def _record(hx, person, on, weight_g=None, length_mm=None, position="", actor=None, **kw):
    return services.record_measurement(actor or hx.actor(), person_id=person.pk, measured_on=on, weight_g=weight_g,
                                       length_height_mm=length_mm, position=position, **kw)


def test_it_stores_z_scores_and_permenkes_categories(hx, capture_events):
    child = hx.child(birth_date=BORN)
    with capture_events() as evs:
        m = _record(hx, child, dt.date(2025, 3, 20), 8500, 740, "lying")
    assert m.age_days == (dt.date(2025, 3, 20) - BORN).days
    assert m.z_wfa is not None and m.z_lhfa is not None and m.z_wflh is not None and m.z_bmi is not None
    assert m.category_lhfa in ("normal", "stunted", "severely_stunted", "tall")
    assert m.growth_status == "B" and not m.implausible
    assert [e["type"] for e in evs] == ["health.measurement_recorded"]
    assert evs[0]["payload"]["category_wflh"] == m.category_wflh


def test_a_stunted_child_is_classified_stunted(hx):
    child = hx.child(birth_date=dt.date(2023, 1, 10), sex="M")
    m = _record(hx, child, dt.date(2025, 1, 20), 9800, 760, "standing")  # 2 years, 76 cm
    assert m.category_lhfa == "severely_stunted" and m.z_lhfa < -3


def test_a_measurement_in_the_future_is_refused(hx):
    child = hx.child(birth_date=BORN)
    with pytest.raises(ServiceError) as exc:
        _record(hx, child, services.latest_allowed_date() + dt.timedelta(days=1), 9000, 750)
    assert exc.value.code == "future_date"
    assert not Measurement.objects.exists()


def test_a_measurement_before_birth_is_refused(hx):
    child = hx.child(birth_date=BORN)
    with pytest.raises(ServiceError) as exc:
        _record(hx, child, BORN - dt.timedelta(days=1), 3000, 500)
    assert exc.value.code == "before_birth"


def test_a_two_year_old_of_forty_kilograms_is_impossible(hx):
    child = hx.child(birth_date=dt.date(2023, 1, 10), sex="M")
    with pytest.raises(ServiceError) as exc:
        _record(hx, child, dt.date(2025, 1, 12), 40_000, 870, "standing", confirm=True)
    assert exc.value.code == "impossible_measurement"
    assert not Measurement.objects.exists()


def test_weight_typed_in_grams_instead_of_kilograms_is_refused(hx):
    child = hx.child(birth_date=BORN)
    with pytest.raises(ServiceError) as exc:
        _record(hx, child, dt.date(2025, 1, 12), 9_500_000, None)
    assert exc.value.code == "impossible_weight"


def test_an_implausible_value_needs_confirmation(hx):
    child = hx.child(birth_date=dt.date(2023, 1, 10), sex="M")
    with pytest.raises(ServiceError) as exc:
        _record(hx, child, dt.date(2025, 1, 12), 22_000, None)  # 2 years, 22 kg: beyond +5 SD, not impossible
    assert exc.value.code == "needs_confirmation" and exc.value.details["indicators"] == ["wfa"]
    assert not Measurement.objects.exists()


def test_a_confirmed_implausible_value_is_stored_flagged_with_who_confirmed(hx):
    child = hx.child(birth_date=dt.date(2023, 1, 10), sex="M")
    m = _record(hx, child, dt.date(2025, 1, 12), 22_000, None, confirm=True)
    assert m.implausible and m.implausible_indicators == ["wfa"]
    assert m.confirmed_by == hx.user("kader") and m.confirmed_at is not None


def test_a_second_measurement_the_same_day_is_refused(hx):
    child = hx.child(birth_date=BORN)
    _record(hx, child, dt.date(2025, 1, 12), 8000, 720, "lying")
    with pytest.raises(Conflict):
        _record(hx, child, dt.date(2025, 1, 12), 8100, 720, "lying")


def test_a_kader_cannot_measure_another_posyandus_child(hx):
    child = hx.child(birth_date=BORN, posyandu=hx.other_posyandu)
    with pytest.raises(NotFound):
        _record(hx, child, dt.date(2025, 1, 12), 8000, 720, actor=hx.actor("kader"))
    assert not Measurement.objects.exists()


def test_the_puskesmas_may_record_for_its_posyandu(hx):
    child = hx.child(birth_date=BORN, posyandu=hx.other_posyandu)
    m = _record(hx, child, dt.date(2025, 1, 12), 8000, 720, actor=hx.actor("puskesmas_kader"))
    assert m.organization_id == hx.other_org.pk


def test_a_leader_cannot_record(hx):
    child = hx.child(birth_date=BORN)
    with pytest.raises(PermissionDenied):
        _record(hx, child, dt.date(2025, 1, 12), 8000, 720, actor=hx.actor("leader"))


def test_tidak_naik_is_flagged_between_monthly_visits_and_2t_asks_for_referral(hx):
    child = hx.child(birth_date=dt.date(2024, 1, 10))
    a = _record(hx, child, dt.date(2025, 1, 14), 9000, None)
    b = _record(hx, child, dt.date(2025, 2, 11), 9100, None)  # +100 g, minimum 200 g
    c = _record(hx, child, dt.date(2025, 3, 11), 9150, None)
    d = _record(hx, child, dt.date(2025, 4, 8), 9400, None)
    assert [x.growth_status for x in (a, b, c, d)] == ["B", "T", "T", "N"]
    assert [x.needs_referral for x in (a, b, c, d)] == [False, False, True, False]
    assert b.weight_gain_g == 100 and b.minimum_gain_g == 200


def test_a_late_entry_recomputes_the_following_month(hx):
    child = hx.child(birth_date=dt.date(2024, 1, 10))
    _record(hx, child, dt.date(2025, 1, 14), 9000, None)
    march = _record(hx, child, dt.date(2025, 3, 11), 9600, None)
    assert march.growth_status == "O"
    _record(hx, child, dt.date(2025, 2, 11), 9400, None)
    march.refresh_from_db()
    assert (march.growth_status, march.weight_gain_g, march.minimum_gain_g) == ("N", 200, 200)


def test_older_persons_are_measured_without_growth_z_scores(hx):
    adult = hx.child(name="Ibu Sari", birth_date=dt.date(1995, 6, 1))
    m = _record(hx, adult, dt.date(2025, 1, 12), 55_000, 1550, "standing")
    assert m.z_wfa is None and m.category_lhfa == ""
