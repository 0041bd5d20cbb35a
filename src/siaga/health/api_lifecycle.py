"""Life-cycle services API (/api/health/lifecycle/...): pregnancies and antenatal visits, immunisation, vitamin A, adult and elderly screening."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from siaga.core import privacy
from siaga.core.api import ErrorOut

from . import lifecycle as rules
from . import services
from . import services_lifecycle as svc
from .models import AntenatalVisit, ImmunisationDose, Pregnancy, Screening, VitaminADose

router = Router(tags=["health-lifecycle"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PlaceIn = Literal["posyandu", "puskesmas", "pustu", "clinic", "hospital", "school", "home", "other"]
ProviderIn = Literal["midwife", "doctor", "nurse", "kader", "other"]


# --- schemas -------------------------------------------------------------------------------------


class PregnancyIn(Schema):
    person_id: int
    lmp_date: dt.date = Field(description="HPHT: first day of the last menstrual period")
    gravida: int = Field(1, ge=1, le=30)
    para: int = Field(0, ge=0, le=30)
    abortus: int = Field(0, ge=0, le=30)
    previous_caesarean: bool = False
    height_mm: int | None = Field(None, ge=1, le=5000, description="mother's height")
    note: str = Field("", max_length=300)
    confirm: bool = Field(False, description="store values outside the plausible range")
    session_id: int | None = None


class PregnancyEndIn(Schema):
    outcome: Literal["live_birth", "stillbirth", "miscarriage", "maternal_death", "moved_away"]
    ended_on: dt.date
    note: str = Field("", max_length=300)


class AncSummaryOut(Schema):
    count: int
    by_trimester: list[int]
    k1: bool
    k1_t1: bool
    k4: bool
    k6: bool
    last_visit: dt.date | None


class PregnancyVisitIn(Schema):
    visit_date: dt.date
    session_id: int | None = None
    weight_g: int | None = Field(None, ge=1, le=1_000_000)
    systolic_mmhg: int | None = Field(None, ge=1, le=1000)
    diastolic_mmhg: int | None = Field(None, ge=1, le=1000)
    hb_g_per_l: int | None = Field(None, ge=1, le=1000, description="110 g/L = 11.0 g/dL")
    muac_mm: int | None = Field(None, ge=1, le=2000, description="LiLA")
    fundal_height_mm: int | None = Field(None, ge=0, le=2000)
    td_status: int | None = Field(None, ge=0, le=5, description="T0..T5")
    td_given: bool = False
    iron_tablets: int = Field(0, ge=0, le=1000)
    signs: list[str] = Field(default_factory=list, description=", ".join(rules.VISIT_SIGNS))
    provider: ProviderIn = "midwife"
    provider_name: str = Field("", max_length=200)
    place: PlaceIn = "posyandu"
    note: str = Field("", max_length=300)
    confirm: bool = False


class PregnancyVisitOut(Schema):
    id: int
    pregnancy_id: int
    session_id: int | None
    visit_date: dt.date
    gestational_age_days: int
    gestational_weeks: int
    trimester: int
    contact_number: int
    weight_g: int | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    hb_g_per_l: int | None
    muac_mm: int | None
    fundal_height_mm: int | None
    td_status: int | None
    td_given: bool
    iron_tablets: int
    signs: list[str]
    risk_flags: list[str]
    provider: str
    provider_name: str
    place: str
    implausible: bool
    implausible_fields: list[str]


class PregnancyOut(Schema):
    id: int
    person_id: int
    person_name: str
    posyandu_id: int
    lmp_date: dt.date
    edd: dt.date
    gestational_weeks: int | None
    gravida: int
    para: int
    abortus: int
    previous_caesarean: bool
    height_mm: int | None
    risk_flags: list[str]
    risk_labels: list[str]
    high_risk: bool
    outcome: str
    ended_on: dt.date | None
    anc: AncSummaryOut


class PregnancyDetailOut(PregnancyOut):
    visits: list[PregnancyVisitOut]


class PregnancyListOut(Schema):
    count: int
    items: list[PregnancyOut]


class DoseIn(Schema):
    vaccine: str = Field(..., max_length=20, description=", ".join(rules.VACCINES))
    dose_number: int = Field(..., ge=1, le=10)
    given_on: dt.date
    session_id: int | None = None
    place: PlaceIn = "posyandu"
    batch: str = Field("", max_length=40)
    provider_name: str = Field("", max_length=200)
    confirm: bool = Field(False, description="store a dose given before its minimum age or past its age limit")


class DoseOut(Schema):
    id: int
    person_id: int
    session_id: int | None
    vaccine: str
    dose_number: int
    given_on: dt.date
    age_days: int
    place: str
    batch: str
    early: bool


class DoseStatusOut(Schema):
    vaccine: str
    dose: int
    label: str
    state: str
    due_on: dt.date
    overdue_on: dt.date
    given_on: dt.date | None
    early: bool
    basic: bool


class CardOut(Schema):
    person_id: int
    on: dt.date
    complete_basic: bool
    complete_basic_on: dt.date | None
    items: list[DoseStatusOut]
    doses: list[DoseOut]
    vitamin_a: list[dict]


class VitaminAIn(Schema):
    given_on: dt.date
    capsule: Literal["", "blue", "red"] = Field("", description="default: by age")
    session_id: int | None = None
    place: PlaceIn = "posyandu"


class VitaminAOut(Schema):
    id: int
    person_id: int
    session_id: int | None
    given_on: dt.date
    capsule: str
    round: str


class ScreeningIn(Schema):
    screened_on: dt.date
    kind: Literal["", "school_age", "adolescent", "adult", "elderly"] = Field("", description="default: by age")
    session_id: int | None = None
    systolic_mmhg: int | None = Field(None, ge=1, le=1000)
    diastolic_mmhg: int | None = Field(None, ge=1, le=1000)
    blood_sugar_mg_dl: int | None = Field(None, ge=1, le=5000)
    blood_sugar_kind: Literal["", "fasting", "random", "2h_pp"] = ""
    weight_g: int | None = Field(None, ge=1, le=1_000_000)
    height_mm: int | None = Field(None, ge=1, le=10_000)
    waist_mm: int | None = Field(None, ge=1, le=10_000)
    hb_g_per_l: int | None = Field(None, ge=1, le=1000)
    adl_score: int | None = Field(None, ge=0, le=20, description="Barthel ADL index, elderly only")
    place: PlaceIn = "posyandu"
    notes: str = Field("", max_length=2000)
    confirm: bool = False


class ScreeningOut(Schema):
    id: int
    person_id: int
    session_id: int | None
    screened_on: dt.date
    kind: str
    age_years: int
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    blood_sugar_mg_dl: int | None
    blood_sugar_kind: str
    weight_g: int | None
    height_mm: int | None
    waist_mm: int | None
    hb_g_per_l: int | None
    adl_score: int | None
    adl_level: str
    bmi_x10: int | None
    flags: list[str]
    flag_labels: list[str]
    implausible: bool
    implausible_fields: list[str]


class DueDoseRowOut(Schema):
    person_id: int
    name: str
    age_months: int
    overdue: bool
    doses: list[DoseStatusOut]


class DueVitaminARowOut(Schema):
    person_id: int
    name: str
    age_months: int
    capsule: str


class DuePregnancyRowOut(Schema):
    pregnancy_id: int
    person_id: int
    name: str
    gestational_weeks: int
    trimester: int
    edd: dt.date
    high_risk: bool
    anc: AncSummaryOut


class DueListsOut(Schema):
    posyandu_id: int
    on: dt.date
    grace_days: int
    vitamin_a_month: bool
    immunisation: list[DueDoseRowOut]
    vitamin_a: list[DueVitaminARowOut]
    pregnancies: list[DuePregnancyRowOut]


class ScheduleEntryOut(Schema):
    vaccine: str
    dose: int
    label: str
    due_months: int
    min_age_days: int
    min_interval_days: int
    max_age_days: int | None
    basic: bool
    booster: bool


class ScheduleOut(Schema):
    source: str
    entries: list[ScheduleEntryOut]
    vitamin_a_source: str
    anc_source: str
    grace_days: int


# --- converters ----------------------------------------------------------------------------------


def _visit_out(v: AntenatalVisit) -> dict:
    return {"id": v.pk, "pregnancy_id": v.pregnancy_id, "session_id": v.session_id, "visit_date": v.visit_date,
            "gestational_age_days": v.gestational_age_days, "gestational_weeks": v.gestational_age_days // 7,
            "trimester": v.trimester, "contact_number": v.contact_number, "weight_g": v.weight_g,
            "systolic_mmhg": v.systolic_mmhg, "diastolic_mmhg": v.diastolic_mmhg, "hb_g_per_l": v.hb_g_per_l,
            "muac_mm": v.muac_mm, "fundal_height_mm": v.fundal_height_mm, "td_status": v.td_status,
            "td_given": v.td_given, "iron_tablets": v.iron_tablets, "signs": v.signs, "risk_flags": v.risk_flags,
            "provider": v.provider, "provider_name": v.provider_name, "place": v.place, "implausible": v.implausible,
            "implausible_fields": v.implausible_fields}


def _pregnancy_out(p: Pregnancy, summary: rules.AncSummary | None = None) -> dict:
    summary = summary or rules.anc_summary(p)
    today = services.today_local(p.person.region_code)
    return {"id": p.pk, "person_id": p.person_id, "person_name": p.person.name, "posyandu_id": p.person.posyandu_id,
            "lmp_date": p.lmp_date, "edd": p.edd,
            "gestational_weeks": rules.gestational_age_days(p.lmp_date, today) // 7 if p.ongoing else None,
            "gravida": p.gravida, "para": p.para, "abortus": p.abortus, "previous_caesarean": p.previous_caesarean,
            "height_mm": p.height_mm, "risk_flags": p.risk_flags,
            "risk_labels": [str(rules.PREGNANCY_RISK_FLAGS[f]) for f in p.risk_flags], "high_risk": p.high_risk,
            "outcome": p.outcome, "ended_on": p.ended_on, "anc": summary.as_dict()}


def _dose_out(d: ImmunisationDose) -> dict:
    return {"id": d.pk, "person_id": d.person_id, "session_id": d.session_id, "vaccine": d.vaccine,
            "dose_number": d.dose_number, "given_on": d.given_on, "age_days": d.age_days, "place": d.place,
            "batch": d.batch, "early": d.early}


def _vitamin_a_out(d: VitaminADose) -> dict:
    return {"id": d.pk, "person_id": d.person_id, "session_id": d.session_id, "given_on": d.given_on,
            "capsule": d.capsule, "round": d.round}


def _screening_out(s: Screening) -> dict:
    return {"id": s.pk, "person_id": s.person_id, "session_id": s.session_id, "screened_on": s.screened_on,
            "kind": s.kind, "age_years": s.age_years, "systolic_mmhg": s.systolic_mmhg,
            "diastolic_mmhg": s.diastolic_mmhg, "blood_sugar_mg_dl": s.blood_sugar_mg_dl,
            "blood_sugar_kind": s.blood_sugar_kind, "weight_g": s.weight_g, "height_mm": s.height_mm,
            "waist_mm": s.waist_mm, "hb_g_per_l": s.hb_g_per_l, "adl_score": s.adl_score, "adl_level": s.adl_level,
            "bmi_x10": s.bmi_x10, "flags": s.flags, "flag_labels": [str(rules.SCREENING_FLAGS[f]) for f in s.flags],
            "implausible": s.implausible, "implausible_fields": s.implausible_fields}


def _card(person, status: rules.ImmunisationStatus) -> dict:
    return {"person_id": person.pk, "on": status.on, "complete_basic": status.complete_basic,
            "complete_basic_on": status.complete_basic_on, "items": [i.as_dict() for i in status.items],
            "doses": [_dose_out(d) for d in person.immunisations.order_by("given_on", "pk")],
            "vitamin_a": [_vitamin_a_out(d) for d in person.vitamin_a.order_by("given_on")]}


# --- pregnancies ---------------------------------------------------------------------------------


@router.get("/pregnancies", response={200: PregnancyListOut, 403: ErrorOut}, summary="Pregnancies the caller sees")
def list_pregnancies(request, posyandu_id: int | None = None, ongoing: bool = True, high_risk: bool | None = None,
                     limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = svc.visible_pregnancies(request.auth)
    if posyandu_id is not None:
        qs = qs.filter(person__posyandu_id=posyandu_id)
    if ongoing:
        qs = qs.filter(outcome="ongoing")
    if high_risk is not None:
        qs = qs.filter(high_risk=high_risk)
    qs = qs.order_by("edd", "pk")
    page = list(qs[offset:offset + limit])
    summaries = rules.anc_summaries(page)
    return {"count": qs.count(), "items": [_pregnancy_out(p, summaries[p.pk]) for p in page]}


@router.post("/pregnancies", response={201: PregnancyOut, **ERRORS}, summary="Register a pregnancy (HPHT)")
def register_pregnancy(request, body: PregnancyIn):
    p = svc.register_pregnancy(request.auth, **body.model_dump())
    return Status(201, _pregnancy_out(p))


@router.get("/pregnancies/{pregnancy_id}", response={200: PregnancyDetailOut, **ERRORS},
            summary="A pregnancy with its antenatal visits and K counts")
def get_pregnancy(request, pregnancy_id: int):
    p = svc.get_pregnancy(request.auth, pregnancy_id)
    privacy.log_view(request.auth, p.person, via=request.path)
    return {**_pregnancy_out(p), "visits": [_visit_out(v) for v in p.visits.order_by("visit_date")]}


@router.post("/pregnancies/{pregnancy_id}/visits", url_name="pregnancy_record_visit",
             response={201: PregnancyVisitOut, **ERRORS},
             summary="Record an antenatal visit")
def record_visit(request, pregnancy_id: int, body: PregnancyVisitIn):
    v = svc.record_antenatal_visit(request.auth, pregnancy_id=pregnancy_id, **body.model_dump())
    return Status(201, _visit_out(v))


@router.post("/pregnancies/{pregnancy_id}/end", response={200: PregnancyOut, **ERRORS},
             summary="Record how a pregnancy ended")
def end_pregnancy(request, pregnancy_id: int, body: PregnancyEndIn):
    return _pregnancy_out(svc.end_pregnancy(request.auth, pregnancy_id=pregnancy_id, **body.model_dump()))


# --- immunisation and vitamin A -----------------------------------------------------------------


@router.get("/persons/{person_id}/immunisations", response={200: CardOut, **ERRORS},
            summary="A child's immunisation card: every dose of the schedule with its state, and vitamin A")
def immunisation_card(request, person_id: int, on: dt.date | None = None,
                      grace_days: int | None = Query(None, ge=0, le=365)):
    person, status = svc.immunisation_card(request.auth, person_id, on, grace_days)
    privacy.log_view(request.auth, person, via=request.path)
    return _card(person, status)


@router.post("/persons/{person_id}/immunisations", response={201: DoseOut, **ERRORS}, summary="Record a vaccine dose")
def record_dose(request, person_id: int, body: DoseIn):
    return Status(201, _dose_out(svc.record_immunisation(request.auth, person_id=person_id, **body.model_dump())))


@router.post("/persons/{person_id}/vitamin-a", response={201: VitaminAOut, **ERRORS},
             summary="Record a vitamin A capsule")
def record_vitamin_a(request, person_id: int, body: VitaminAIn):
    return Status(201, _vitamin_a_out(svc.record_vitamin_a(request.auth, person_id=person_id, **body.model_dump())))


# --- screening ----------------------------------------------------------------------------------


@router.get("/persons/{person_id}/screenings", response={200: list[ScreeningOut], **ERRORS},
            summary="A person's screenings, newest first")
def list_screenings(request, person_id: int):
    person = services.get_person(request.auth, person_id)
    privacy.log_view(request.auth, person, via=request.path)
    return [_screening_out(s) for s in svc.visible_screenings(request.auth).filter(person=person)
            .order_by("-screened_on")]


@router.post("/persons/{person_id}/screenings", response={201: ScreeningOut, **ERRORS},
             summary="Record a screening (school age, adolescent, adult, elderly)")
def record_screening(request, person_id: int, body: ScreeningIn):
    return Status(201, _screening_out(svc.record_screening(request.auth, person_id=person_id, **body.model_dump())))


# --- due lists and the schedule -----------------------------------------------------------------


@router.get("/posyandu/{posyandu_id}/due", response={200: DueListsOut, **ERRORS},
            summary="What to give on a posyandu day: doses due or overdue, vitamin A, pregnant women's ANC")
def due_lists(request, posyandu_id: int, on: dt.date | None = Query(None, description="default: the next posyandu day"),
              grace_days: int | None = Query(None, ge=0, le=365)):
    d = svc.due_lists(request.auth, posyandu_id, on, grace_days)
    return {
        "posyandu_id": d["posyandu"].pk, "on": d["on"], "grace_days": d["grace_days"],
        "vitamin_a_month": d["vitamin_a_month"],
        "immunisation": [{"person_id": r.person.pk, "name": r.person.name, "age_months": r.age_months,
                          "overdue": r.overdue, "doses": [x.as_dict() for x in r.doses]} for r in d["immunisation"]],
        "vitamin_a": [{"person_id": r.person.pk, "name": r.person.name, "age_months": r.age_months,
                       "capsule": r.capsule} for r in d["vitamin_a"]],
        "pregnancies": [{"pregnancy_id": p.pk, "person_id": p.person_id, "name": p.person.name,
                         "gestational_weeks": ga // 7, "trimester": rules.trimester(ga), "edd": p.edd,
                         "high_risk": p.high_risk, "anc": s.as_dict()} for p, s, ga in d["pregnancies"]],
    }


@router.get("/schedule", response={200: ScheduleOut, 403: ErrorOut},
            summary="The national immunisation schedule and the rules used, with their sources")
def schedule(request):
    request.auth.require("health.view")
    return {"source": rules.SCHEDULE_SOURCE, "vitamin_a_source": rules.VITAMIN_A_SOURCE, "anc_source": rules.ANC_SOURCE,
            "grace_days": rules.grace_days_setting(),
            "entries": [{"vaccine": e.vaccine, "dose": e.dose, "label": str(e.label), "due_months": e.due_months,
                         "min_age_days": e.min_age_days, "min_interval_days": e.min_interval_days,
                         "max_age_days": e.max_age_days, "basic": e.basic, "booster": e.booster}
                        for e in rules.SCHEDULE]}
