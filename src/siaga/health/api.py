"""Community health API (/api/health/...): posyandu, persons, posyandu days, measurements with WHO z-scores, import."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core import privacy, uploads
from siaga.core.api import ErrorOut, RevealIn, RevealOut
from siaga.core.errors import ServiceError

from . import growth, importer, services
from .models import Measurement, Person, Posyandu, Session

router = Router(tags=["health"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
PositionIn = Literal["", "lying", "standing"]
SexIn = Literal["M", "F", "L", "P"]


# --- schemas -------------------------------------------------------------------------------------


class PosyanduOut(Schema):
    id: int
    organization_id: int
    name: str
    region_code: str
    address: str
    schedule_day_of_month: int | None
    schedule_week_of_month: int | None
    schedule_weekday: int | None
    next_session_date: dt.date | None
    person_count: int | None = None


class PersonIn(Schema):
    posyandu_id: int
    name: str = Field(..., min_length=1, max_length=200)
    sex: SexIn
    birth_date: dt.date
    nik: str = Field("", max_length=24, description="16 digits; spaces and dots are ignored")
    region_code: str = Field("", max_length=13, description="kelurahan of the address; default the posyandu's")
    mother_name: str = Field("", max_length=200)
    address: str = Field("", max_length=300)


class PersonOut(Schema):
    id: int
    posyandu_id: int
    name: str
    sex: str
    birth_date: dt.date
    nik_masked: str = Field(description="NIK with all but the kab/kota and serial digits hidden")
    region_code: str
    mother_name: str
    age_days: int
    age_months: int


class PersonListOut(Schema):
    count: int
    items: list[PersonOut]


class MeasurementIn(Schema):
    measured_on: dt.date | None = Field(None, description="required outside a session; a session uses its date")
    weight_g: int | None = Field(None, ge=1, le=1_000_000)
    length_height_mm: int | None = Field(None, ge=1, le=10_000)
    position: PositionIn = ""
    oedema: bool = False
    confirm: bool = Field(False, description="store values outside WHO's plausible range, flagged")


class SessionMeasurementIn(MeasurementIn):
    person_id: int


class MeasurementOut(Schema):
    id: int
    person_id: int
    session_id: int | None
    measured_on: dt.date
    age_days: int
    weight_g: int | None
    length_height_mm: int | None
    position: str
    oedema: bool
    z_wfa: float | None
    z_lhfa: float | None
    z_wflh: float | None
    z_bmi: float | None
    category_wfa: str
    category_lhfa: str
    category_wflh: str
    category_bmi: str
    category_labels: dict[str, str]
    implausible: bool
    implausible_indicators: list[str]
    growth_status: str
    growth_status_label: str
    weight_gain_g: int | None
    minimum_gain_g: int | None
    needs_referral: bool
    source: str


class PosyanduSessionIn(Schema):
    posyandu_id: int
    date: dt.date | None = None
    note: str = Field("", max_length=300)


class PosyanduSessionOut(Schema):
    id: int
    posyandu_id: int
    posyandu_name: str
    region_code: str
    date: dt.date
    status: str
    note: str
    attendance_count: int
    measurement_count: int


class SessionListOut(Schema):
    count: int
    items: list[PosyanduSessionOut]


class RosterEntryOut(Schema):
    person: PersonOut
    attended: bool
    measurement: MeasurementOut | None
    previous: MeasurementOut | None


class SessionDetailOut(PosyanduSessionOut):
    roster: list[RosterEntryOut]


class AttendanceIn(Schema):
    person_id: int


class GrowthChartOut(Schema):
    person: PersonOut
    measurements: list[MeasurementOut]
    reference: dict = Field(description="WHO SD curves: {indicator: {x: [...], lines: {sd: [...]}}}")


class ImportErrorOut(Schema):
    row: int
    column: str
    code: str
    message: str


class SheetImportReportOut(Schema):
    mode: str
    imported: bool
    rows_total: int
    rows_imported: int
    rows_failed: int
    persons_created: int
    persons_matched: int
    measurements_created: int
    measurements_unchanged: int
    errors: list[ImportErrorOut]


class AssessIn(Schema):
    sex: SexIn
    birth_date: dt.date
    measured_on: dt.date
    weight_g: int | None = Field(None, ge=1, le=1_000_000)
    length_height_mm: int | None = Field(None, ge=1, le=10_000)
    position: PositionIn = ""
    oedema: bool = False


class AssessOut(Schema):
    age_days: int
    z: dict[str, float | None]
    category: dict[str, str]
    category_labels: dict[str, str]
    implausible: dict[str, bool]


# --- converters ----------------------------------------------------------------------------------


def _posyandu_out(p: Posyandu, person_count: int | None = None) -> dict:
    return {"id": p.pk, "organization_id": p.organization_id, "name": p.name, "region_code": p.region_code,
            "address": p.address, "schedule_day_of_month": p.schedule_day_of_month,
            "schedule_week_of_month": p.schedule_week_of_month, "schedule_weekday": p.schedule_weekday,
            "next_session_date": p.next_session_date(services.today_local(p.region_code)), "person_count": person_count}


def _person_out(p: Person, on: dt.date | None = None) -> dict:
    from .kms import completed_months

    on = on or services.today_local(p.region_code)
    return {"id": p.pk, "posyandu_id": p.posyandu_id, "name": p.name, "sex": p.sex, "birth_date": p.birth_date,
            "nik_masked": p.nik_masked, "region_code": p.region_code, "mother_name": p.mother_name,
            "age_days": max((on - p.birth_date).days, 0), "age_months": completed_months(p.birth_date, on)}


def _labels(m: Measurement) -> dict[str, str]:
    return {k: growth.category_label(k, getattr(m, f"category_{k}")) for k in ("wfa", "lhfa", "wflh", "bmi")}


def _measurement_out(m: Measurement) -> dict:
    return {"id": m.pk, "person_id": m.person_id, "session_id": m.session_id, "measured_on": m.measured_on,
            "age_days": m.age_days, "weight_g": m.weight_g, "length_height_mm": m.length_height_mm,
            "position": m.position, "oedema": m.oedema, "z_wfa": m.z_wfa, "z_lhfa": m.z_lhfa, "z_wflh": m.z_wflh,
            "z_bmi": m.z_bmi, "category_wfa": m.category_wfa, "category_lhfa": m.category_lhfa,
            "category_wflh": m.category_wflh, "category_bmi": m.category_bmi, "category_labels": _labels(m),
            "implausible": m.implausible, "implausible_indicators": list(m.implausible_indicators or []),
            "growth_status": m.growth_status, "growth_status_label": str(m.get_growth_status_display() or ""),
            "weight_gain_g": m.weight_gain_g, "minimum_gain_g": m.minimum_gain_g, "needs_referral": m.needs_referral,
            "source": m.source}


def _session_out(s: Session, attendance_count: int | None = None, measurement_count: int | None = None) -> dict:
    return {"id": s.pk, "posyandu_id": s.posyandu_id, "posyandu_name": s.posyandu.name, "region_code": s.region_code,
            "date": s.date, "status": s.status, "note": s.note,
            "attendance_count": s.attendance.count() if attendance_count is None else attendance_count,
            "measurement_count": s.measurements.count() if measurement_count is None else measurement_count}


# --- posyandu ------------------------------------------------------------------------------------


@router.get("/posyandu", response={200: list[PosyanduOut], 403: ErrorOut}, summary="Posyandu the caller sees")
def list_posyandu(request):
    qs = services.visible_posyandu(request.auth).annotate(n=Count("persons"))
    return [_posyandu_out(p, p.n) for p in qs]


@router.get("/posyandu/{posyandu_id}", response={200: PosyanduOut, **ERRORS}, summary="One posyandu")
def get_posyandu(request, posyandu_id: int):
    p = services.get_posyandu(request.auth, posyandu_id)
    return _posyandu_out(p, p.persons.count())


@router.post("/posyandu/{posyandu_id}/import",
             response={200: SheetImportReportOut, 413: ErrorOut, 415: ErrorOut, **ERRORS},
             summary="Import the posyandu spreadsheet (XLSX or CSV) with a row-by-row error report",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"},
                                "mode": {"type": "string", "enum": list(services.IMPORT_MODES)}}}}}}})
def import_sheet(request, posyandu_id: int):
    # The posyandu is checked before the file is looked at: another posyandu's id is a 404 whatever is sent.
    request.auth.require("health.record")
    services.get_posyandu(request.auth, posyandu_id)
    uploads.check_request_size(request, importer.MAX_FILE_BYTES)  # before Django spools the body to disk
    upload = request.FILES.get("file")
    if upload is None:
        raise ServiceError(_("Choose a spreadsheet file (.xlsx or .csv) to import."), code="file_required")
    uploads.check_file(upload, uploads.SPREADSHEET, importer.MAX_FILE_BYTES)
    mode = request.POST.get("mode") or services.IMPORT_ALL_OR_NOTHING
    report = services.import_spreadsheet(request.auth, posyandu_id=posyandu_id, content=upload.read(),
                                         filename=upload.name or "", mode=mode)
    return report.as_dict()


# --- persons -------------------------------------------------------------------------------------


@router.get("/persons", response={200: PersonListOut, 403: ErrorOut}, summary="Persons the caller sees (NIK masked)")
def list_persons(request, posyandu_id: int | None = None,
                 q: str | None = Query(None, max_length=100, description="part of the name, or a full NIK"),
                 under_five: bool = False, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)):
    from . import nik as nik_mod

    qs = services.visible_persons(request.auth).filter(active=True)
    if posyandu_id is not None:
        qs = qs.filter(posyandu_id=posyandu_id)
    if q:
        digits = nik_mod.normalize(q)
        qs = qs.filter(nik_hash=nik_mod.nik_hash(digits)) if digits.isdigit() and len(digits) == 16 else qs.filter(
            name__icontains=q.strip())
    if under_five:
        today = services.today_local(services.actor_region(request.auth))
        qs = qs.filter(birth_date__gt=today - dt.timedelta(days=growth.MAX_AGE_DAYS))
    qs = qs.order_by("name", "pk")
    return {"count": qs.count(), "items": [_person_out(p) for p in qs[offset:offset + limit]]}


@router.post("/persons", response={201: PersonOut, **ERRORS}, summary="Register a person at a posyandu")
def register_person(request, body: PersonIn):
    p = services.register_person(request.auth, posyandu_id=body.posyandu_id, name=body.name, sex=body.sex,
                                 birth_date=body.birth_date, nik=body.nik, region_code=body.region_code,
                                 mother_name=body.mother_name, address=body.address)
    return Status(201, _person_out(p))


@router.get("/persons/{person_id}", response={200: PersonOut, **ERRORS}, summary="One person (NIK masked)")
def get_person(request, person_id: int):
    person = services.get_person(request.auth, person_id)
    privacy.log_view(request.auth, person, via=request.path)
    return _person_out(person)


@router.post("/persons/{person_id}/reveal-nik", response={200: RevealOut, **ERRORS},
             summary="The full NIK of a person, with the reason recorded in the access log")
def reveal_person_nik(request, person_id: int, body: RevealIn):
    request.auth.require("health.record")
    person = services.get_person(request.auth, person_id)
    return {"nik": privacy.reveal(request.auth, person, "nik", reason=body.reason, via=request.path)}


@router.get("/persons/{person_id}/growth", response={200: GrowthChartOut, **ERRORS},
            summary="A child's measurements with the WHO reference curves for the growth chart")
def person_growth(request, person_id: int):
    p = services.get_person(request.auth, person_id)
    ms = list(p.measurements.order_by("measured_on"))
    ref = {ind: growth.reference_curves(ind, p.sex) for ind in ("wfa", "lhfa", "bmi")}
    ref["wfl"] = growth.reference_curves("wfl", p.sex)
    ref["wfh"] = growth.reference_curves("wfh", p.sex)
    return {"person": _person_out(p), "measurements": [_measurement_out(m) for m in ms], "reference": ref}


@router.post("/persons/{person_id}/measurements", response={201: MeasurementOut, **ERRORS},
             summary="Record a measurement outside a posyandu day (home visit)")
def record_measurement(request, person_id: int, body: MeasurementIn):
    if body.measured_on is None:
        raise ServiceError(_("The measurement date is required."), code="date_required",
                           details={"field": "measured_on"})
    m = services.record_measurement(request.auth, person_id=person_id, measured_on=body.measured_on,
                                    weight_g=body.weight_g, length_height_mm=body.length_height_mm,
                                    position=body.position, oedema=body.oedema, confirm=body.confirm)
    return Status(201, _measurement_out(m))


@router.get("/measurements/{measurement_id}", response={200: MeasurementOut, **ERRORS}, summary="One measurement")
def get_measurement(request, measurement_id: int):
    return _measurement_out(services.get_measurement(request.auth, measurement_id))


# --- sessions ------------------------------------------------------------------------------------


@router.get("/sessions", url_name="posyandu_list_sessions", response={200: SessionListOut, 403: ErrorOut},
            summary="Posyandu days the caller sees")
def list_sessions(request, posyandu_id: int | None = None, limit: int = Query(50, ge=1, le=500),
                  offset: int = Query(0, ge=0)):
    qs = services.visible_sessions(request.auth)
    if posyandu_id is not None:
        qs = qs.filter(posyandu_id=posyandu_id)
    qs = qs.annotate(n_att=Count("attendance", distinct=True), n_meas=Count("measurements", distinct=True))
    return {"count": qs.count(),
            "items": [_session_out(s, s.n_att, s.n_meas) for s in qs.order_by("-date", "-pk")[offset:offset + limit]]}


@router.post("/sessions", response={201: PosyanduSessionOut, **ERRORS}, summary="Open a posyandu day (again: the same one)")
def open_session(request, body: PosyanduSessionIn):
    s = services.open_session(request.auth, posyandu_id=body.posyandu_id, date=body.date, note=body.note)
    return Status(201, _session_out(s))


def _roster(s: Session) -> list[dict]:
    """Children under five of the posyandu (and anyone else who attended), with today's and the last measurement."""
    cutoff = s.date - dt.timedelta(days=growth.MAX_AGE_DAYS)
    attended = set(s.attendance.values_list("person_id", flat=True))
    persons = list(Person.objects.filter(posyandu=s.posyandu, active=True)
                   .filter(Q(birth_date__gt=cutoff, birth_date__lte=s.date) | Q(pk__in=attended))
                   .order_by("name", "pk"))
    ids = [p.pk for p in persons]
    today = {m.person_id: m for m in Measurement.objects.filter(person_id__in=ids, measured_on=s.date)}
    previous: dict[int, Measurement] = {}
    for m in Measurement.objects.filter(person_id__in=ids, measured_on__lt=s.date).order_by("person_id", "measured_on"):
        previous[m.person_id] = m
    return [{"person": _person_out(p, s.date), "attended": p.pk in attended,
             "measurement": _measurement_out(today[p.pk]) if p.pk in today else None,
             "previous": _measurement_out(previous[p.pk]) if p.pk in previous else None} for p in persons]


@router.get("/sessions/{session_id}", url_name="posyandu_get_session", response={200: SessionDetailOut, **ERRORS},
            summary="A posyandu day with its roster of children, attendance and measurements")
def get_session(request, session_id: int):
    s = services.get_session(request.auth, session_id)
    return {**_session_out(s), "roster": _roster(s)}


@router.post("/sessions/{session_id}/attendance", response={200: PosyanduSessionOut, **ERRORS},
             summary="Mark a person present")
def record_attendance(request, session_id: int, body: AttendanceIn):
    services.record_attendance(request.auth, session_id=session_id, person_id=body.person_id)
    return _session_out(services.get_session(request.auth, session_id))


@router.post("/sessions/{session_id}/measurements", response={201: MeasurementOut, **ERRORS},
             summary="Record a child's weight and length/height on the posyandu day")
def record_session_measurement(request, session_id: int, body: SessionMeasurementIn):
    s = services.get_session(request.auth, session_id)
    m = services.record_measurement(request.auth, person_id=body.person_id, session_id=s.pk, measured_on=s.date,
                                    weight_g=body.weight_g, length_height_mm=body.length_height_mm,
                                    position=body.position, oedema=body.oedema, confirm=body.confirm)
    return Status(201, _measurement_out(m))


@router.post("/sessions/{session_id}/close", response={200: PosyanduSessionOut, **ERRORS}, summary="Close the posyandu day")
def close_session(request, session_id: int):
    return _session_out(services.close_session(request.auth, session_id=session_id))


# --- computation only ----------------------------------------------------------------------------


@router.post("/growth/assess", response={200: AssessOut, **ERRORS},
             summary="WHO z-scores and Permenkes 2/2020 categories of values sent (nothing stored)")
def assess(request, body: AssessIn):
    request.auth.require("health.view")
    age_days = (body.measured_on - body.birth_date).days
    if age_days < 0:
        raise ServiceError(_("The measurement date is before the date of birth."), code="before_birth")
    r = growth.assess(body.sex if body.sex in ("M", "F") else {"L": "M", "P": "F"}[body.sex], age_days,
                      None if body.weight_g is None else body.weight_g / 1000.0,
                      None if body.length_height_mm is None else body.length_height_mm / 10.0,
                      {"lying": "l", "standing": "h"}.get(body.position), body.oedema)
    z = {k: (None if v is None else round(v, 2)) for k, v in r.z.items()}
    return {"age_days": age_days, "z": z, "category": r.category,
            "category_labels": {k: growth.category_label(k, v) for k, v in r.category.items()},
            "implausible": r.implausible}

from .api_vital import router as vital_router  # noqa: E402

router.add_router("", vital_router)
