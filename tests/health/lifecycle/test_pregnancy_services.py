"""Pregnancies and antenatal visits through the services: derived values, K counts, risk flags, bad input."""

import datetime as dt

import pytest

from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.models import AuditLog
from siaga.health import lifecycle as rules
from siaga.health import services
from siaga.health import services_lifecycle as svc
from siaga.health.models import AntenatalVisit, Attendance, Pregnancy

from .conftest import register_woman

LMP = dt.date(2025, 1, 6)


@pytest.fixture
def mother(lx):
    return register_woman(lx)


def _visit(lx, p, day=None, **kw):
    kw.setdefault("visit_date", day)
    return svc.record_antenatal_visit(lx.actor(kw.pop("who", "midwife")), pregnancy_id=p.pk, **kw)


def test_it_derives_hpl_and_flags_from_the_mother(lx, capture_events):
    teen = register_woman(lx, name="Rina", birth_date=dt.date(2007, 3, 1))
    with capture_events() as events:
        p = svc.register_pregnancy(lx.actor("kader"), person_id=teen.pk, lmp_date=LMP, height_mm=1440)
    assert p.edd == dt.date(2025, 10, 13)
    assert p.risk_flags == ["age_under_20", "short_stature"] and p.high_risk
    assert [e["type"] for e in events] == ["health.pregnancy_registered"]
    assert AuditLog.objects.filter(model="health.pregnancy", object_id=str(p.pk), action="create").exists()


def test_visits_get_gestational_age_trimester_and_k_numbers_in_date_order(lx, mother):
    p = svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=LMP)
    v3 = _visit(lx, p, dt.date(2025, 7, 20))  # 27 weeks: T3
    v1 = _visit(lx, p, dt.date(2025, 2, 20))  # 6 weeks: T1
    v2 = _visit(lx, p, dt.date(2025, 5, 1))  # 16 weeks: T2
    for v in (v1, v2, v3):
        v.refresh_from_db()
    assert (v1.gestational_age_days, v1.trimester, v1.contact_number) == (45, 1, 1)
    assert (v2.trimester, v2.contact_number) == (2, 2)
    assert (v3.trimester, v3.contact_number) == (3, 3)
    assert rules.anc_visit_count(p) == 3
    assert not rules.anc_summary(p).k4
    _visit(lx, p, dt.date(2025, 8, 30))
    s = rules.anc_summary(p)
    assert s.k4 and not s.k6 and s.count == 4
    assert rules.anc_summary(p, until=dt.date(2025, 8, 1)).count == 3
    assert rules.anc_summaries([p])[p.pk].k4


def test_a_visit_raises_the_pregnancy_risk_flags(lx, mother, capture_events):
    p = svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=LMP)
    assert p.risk_flags == [] and not p.high_risk
    with capture_events() as events:
        v = _visit(lx, p, dt.date(2025, 3, 3), systolic_mmhg=150, diastolic_mmhg=95, hb_g_per_l=98, muac_mm=220,
                   signs=["bleeding"])
    p.refresh_from_db()
    assert v.risk_flags == ["anaemia", "hypertension", "chronic_energy_deficiency", "bleeding"]
    assert p.high_risk and set(p.risk_flags) == set(v.risk_flags)
    payload = events[-1]["payload"]
    assert events[-1]["type"] == "health.antenatal_visit_recorded" and payload["high_risk"]


def test_a_man_cannot_be_pregnant(lx):
    man = services.register_person(lx.actor("kader"), posyandu_id=lx.posyandu.pk, name="Budi", sex="M",
                                   birth_date=dt.date(1990, 1, 1))
    with pytest.raises(ServiceError) as e:
        svc.register_pregnancy(lx.actor("kader"), person_id=man.pk, lmp_date=LMP)
    assert e.value.code == "not_female"


def test_a_second_ongoing_pregnancy_is_refused_until_the_first_ends(lx, mother):
    p = svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=LMP)
    with pytest.raises(Conflict) as e:
        svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=LMP)
    assert e.value.code == "pregnancy_ongoing"
    svc.end_pregnancy(lx.actor("midwife"), pregnancy_id=p.pk, outcome="live_birth", ended_on=dt.date(2025, 10, 10))
    with pytest.raises(Conflict):
        svc.end_pregnancy(lx.actor("midwife"), pregnancy_id=p.pk, outcome="live_birth", ended_on=dt.date(2025, 10, 10))
    again = svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=dt.date(2025, 10, 15), gravida=2,
                                   para=1)
    assert again.ongoing


@pytest.mark.parametrize("kw, code", [
    ({"lmp_date": dt.date(2099, 1, 1)}, "future_date"),
    ({"lmp_date": dt.date(2020, 1, 1)}, "lmp_too_old"),
    ({"lmp_date": LMP, "gravida": 2, "para": 1, "abortus": 1}, "invalid_gpa"),
    ({"lmp_date": LMP, "previous_caesarean": True}, "invalid_gpa"),
    ({"lmp_date": LMP, "height_mm": 400}, "impossible_value"),
])
def test_bad_pregnancy_input_is_refused(lx, mother, kw, code):
    with pytest.raises(ServiceError) as e:
        svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, **kw)
    assert e.value.code == code
    assert not Pregnancy.objects.exists()
    assert AuditLog.objects.filter(action="refused", model="health.pregnancy").exists()


@pytest.fixture
def pregnancy(lx, mother):
    return svc.register_pregnancy(lx.actor("kader"), person_id=mother.pk, lmp_date=LMP)


@pytest.mark.parametrize("kw, code", [
    ({"visit_date": dt.date(2099, 1, 1)}, "future_date"),
    ({"visit_date": dt.date(2024, 12, 1)}, "before_lmp"),
    ({"visit_date": dt.date(2025, 3, 1), "systolic_mmhg": 400, "diastolic_mmhg": 80}, "impossible_value"),
    ({"visit_date": dt.date(2025, 3, 1), "systolic_mmhg": 80, "diastolic_mmhg": 120}, "impossible_blood_pressure"),
    ({"visit_date": dt.date(2025, 3, 1), "systolic_mmhg": 120}, "blood_pressure_incomplete"),
    ({"visit_date": dt.date(2025, 3, 1), "signs": ["headache_only"]}, "invalid_sign"),
    ({"visit_date": dt.date(2025, 3, 1), "td_status": 6}, "invalid_td_status"),
])
def test_bad_visit_input_is_refused(lx, pregnancy, kw, code):
    with pytest.raises(ServiceError) as e:
        _visit(lx, pregnancy, **kw)
    assert e.value.code == code
    assert not AntenatalVisit.objects.exists()


def test_an_implausible_blood_pressure_needs_confirmation_then_is_stored_flagged(lx, pregnancy):
    with pytest.raises(ServiceError) as e:
        _visit(lx, pregnancy, dt.date(2025, 3, 1), systolic_mmhg=260, diastolic_mmhg=120)
    assert e.value.code == "needs_confirmation" and e.value.details["fields"] == ["systolic_mmhg"]
    v = _visit(lx, pregnancy, dt.date(2025, 3, 1), systolic_mmhg=260, diastolic_mmhg=120, confirm=True)
    assert v.implausible and v.implausible_fields == ["systolic_mmhg"] and v.confirmed_by == lx.user("midwife")


def test_two_visits_on_one_day_are_refused(lx, pregnancy):
    _visit(lx, pregnancy, dt.date(2025, 3, 1))
    with pytest.raises(Conflict) as e:
        _visit(lx, pregnancy, dt.date(2025, 3, 1))
    assert e.value.code == "duplicate_visit"


def test_a_visit_on_an_open_posyandu_day_is_linked_to_it_and_marks_attendance(lx, pregnancy):
    session = services.open_session(lx.actor("kader"), posyandu_id=lx.posyandu.pk, date=dt.date(2025, 3, 11))
    v = _visit(lx, pregnancy, dt.date(2025, 3, 11), who="kader")
    assert v.session == session
    assert Attendance.objects.filter(session=session, person=pregnancy.person).exists()
    with pytest.raises(ServiceError) as e:
        _visit(lx, pregnancy, dt.date(2025, 3, 12), session_id=session.pk)
    assert e.value.code == "session_date_mismatch"


def test_a_kader_cannot_record_for_another_posyandu(lx):
    other_mother = register_woman(lx, name="Dewi", posyandu=lx.other_posyandu)
    with pytest.raises(NotFound):
        svc.register_pregnancy(lx.actor("kader"), person_id=other_mother.pk, lmp_date=LMP)
    p = svc.register_pregnancy(lx.actor("other_kader"), person_id=other_mother.pk, lmp_date=LMP)
    with pytest.raises(NotFound):
        _visit(lx, p, dt.date(2025, 3, 1), who="kader")
    # The puskesmas midwife records for every posyandu below the puskesmas.
    assert _visit(lx, p, dt.date(2025, 3, 1), who="midwife").pk
    refused = AuditLog.objects.filter(action="refused", model="health.pregnancy")
    assert refused.exists() and refused.first().actor == lx.user("kader")


def test_a_leader_cannot_record(lx, pregnancy):
    from siaga.core.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _visit(lx, pregnancy, dt.date(2025, 3, 1), who="leader")


def test_a_visit_at_the_puskesmas_that_day_is_not_part_of_the_posyandu_day(lx, pregnancy):
    session = services.open_session(lx.actor("kader"), posyandu_id=lx.posyandu.pk, date=dt.date(2025, 3, 11))
    v = _visit(lx, pregnancy, dt.date(2025, 3, 11), place="puskesmas")
    assert v.session is None
    assert not Attendance.objects.filter(session=session).exists()
