"""Vital events API (/api/health/vital-events/...): facilities notify births and deaths, Dukcapil works its queue."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from siaga.core import privacy
from siaga.core.api import ErrorOut, RevealIn, RevealOut

from . import vital
from .models_vital import BirthAttendant, CauseCategory, VitalEvent, VitalEventKind, VitalEventStatus

router = Router(tags=["health", "vital events"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
SexIn = Literal["M", "F", "L", "P"]


class BirthIn(Schema):
    facility_id: int | None = Field(None, description="default: the caller's organisation")
    region_code: str = Field("", max_length=13, description="where it happened; default the facility's region")
    mother_name: str = Field(..., max_length=200)
    mother_nik: str = Field("", max_length=24, description="16 digits; spaces and dots are ignored")
    child_name: str = Field("", max_length=200)
    sex: SexIn
    born_at: dt.datetime = Field(description="with its time zone")
    place: str = Field("", max_length=300)
    birth_attendant: Literal[tuple(BirthAttendant.values)]
    weight_g: int | None = Field(None, ge=1, le=100_000)
    notes: str = Field("", max_length=2000)


class DeathIn(Schema):
    facility_id: int | None = Field(None, description="default: the caller's organisation")
    region_code: str = Field("", max_length=13, description="where it happened; default the facility's region")
    person_name: str = Field(..., max_length=200)
    nik: str = Field("", max_length=24, description="16 digits; checked against the date of birth and sex")
    sex: SexIn
    birth_date: dt.date | None = None
    died_at: dt.datetime = Field(description="with its time zone")
    place: str = Field("", max_length=300)
    cause_category: Literal[tuple(CauseCategory.values)] = Field(description="ICD-10 chapter code range")
    notes: str = Field("", max_length=2000)


class ResubmitIn(Schema):
    """The corrected data: the fields of the event's kind (birth or death), all of them."""

    mother_name: str = Field("", max_length=200)
    mother_nik: str = Field("", max_length=24)
    child_name: str = Field("", max_length=200)
    born_at: dt.datetime | None = None
    birth_attendant: str = Field("", max_length=10)
    weight_g: int | None = Field(None, ge=1, le=100_000)
    person_name: str = Field("", max_length=200)
    nik: str = Field("", max_length=24)
    birth_date: dt.date | None = None
    died_at: dt.datetime | None = None
    cause_category: str = Field("", max_length=7)
    sex: SexIn
    place: str = Field("", max_length=300)
    notes: str = Field("", max_length=2000)


class RegisterIn(Schema):
    registration_number: str = Field(..., max_length=50)


class VitalEventReasonIn(Schema):
    reason: str = Field(..., max_length=2000)


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    reason: str
    actor_organization_id: int | None
    at: dt.datetime


class VitalEventOut(Schema):
    id: int
    kind: str
    status: str
    status_label: str
    facility_id: int
    facility_name: str
    dukcapil_id: int
    region_code: str
    place: str
    sex: str
    mother_name: str
    mother_nik_masked: str
    mother_nik: str | None = Field(None, description="in full for the Dukcapil office only")
    child_name: str
    born_at: dt.datetime | None
    birth_attendant: str
    weight_g: int | None
    person_name: str
    nik_masked: str
    nik: str | None = Field(None, description="in full for the Dukcapil office only")
    birth_date: dt.date | None
    died_at: dt.datetime | None
    cause_category: str
    cause_category_label: str
    registration_number: str
    correction_reason: str
    rejection_reason: str
    notes: str
    notified_at: dt.datetime
    correction_requested_at: dt.datetime | None
    resubmitted_at: dt.datetime | None
    registered_at: dt.datetime | None
    rejected_at: dt.datetime | None


class VitalEventDetailOut(VitalEventOut):
    history: list[StatusChangeOut]


class VitalEventListOut(Schema):
    count: int
    items: list[VitalEventOut]


def _out(request, ev: VitalEvent) -> dict:
    full = ev.dukcapil_id in request.auth.org_ids and request.auth.has("vital_event.view")
    return {
        "id": ev.pk, "kind": ev.kind, "status": ev.status, "status_label": str(VitalEventStatus(ev.status).label),
        "facility_id": ev.organization_id, "facility_name": ev.organization.name, "dukcapil_id": ev.dukcapil_id,
        "region_code": ev.region_code, "place": ev.place, "sex": ev.sex, "mother_name": ev.mother_name,
        "mother_nik_masked": ev.mother_nik_masked, "mother_nik": ev.mother_nik if full else None,
        "child_name": ev.child_name, "born_at": ev.born_at, "birth_attendant": ev.birth_attendant,
        "weight_g": ev.weight_g, "person_name": ev.person_name, "nik_masked": ev.nik_masked,
        "nik": ev.nik if full else None, "birth_date": ev.birth_date, "died_at": ev.died_at,
        "cause_category": ev.cause_category,
        "cause_category_label": str(CauseCategory(ev.cause_category).label) if ev.cause_category else "",
        "registration_number": ev.registration_number, "correction_reason": ev.correction_reason,
        "rejection_reason": ev.rejection_reason, "notes": ev.notes, "notified_at": ev.notified_at,
        "correction_requested_at": ev.correction_requested_at, "resubmitted_at": ev.resubmitted_at,
        "registered_at": ev.registered_at, "rejected_at": ev.rejected_at,
    }


def _detail(request, ev: VitalEvent) -> dict:
    return {**_out(request, ev), "history": [
        {"from_status": h.from_status, "to_status": h.to_status, "reason": h.reason,
         "actor_organization_id": h.actor_organization_id, "at": h.at} for h in ev.history.all()]}


def _fresh(request, ev: VitalEvent) -> VitalEvent:
    return vital.get_event(request.auth, ev.pk)


@router.get("/vital-events", url_name="vital_list_events", response={200: VitalEventListOut, 403: ErrorOut},
            summary="Births and deaths the caller sees: a facility's own, or a Dukcapil office's queue")
def list_events(request, status: Literal[tuple(VitalEventStatus.values)] | None = None,
                kind: Literal[tuple(VitalEventKind.values)] | None = None,
                limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)):
    qs = vital.visible_events(request.auth).select_related("organization")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    qs = qs.order_by("-notified_at", "-pk")
    return {"count": qs.count(), "items": [_out(request, ev) for ev in qs[offset:offset + limit]]}


@router.post("/vital-events/births", response={201: VitalEventDetailOut, **ERRORS},
             summary="Notify a birth to Dukcapil")
def notify_birth(request, body: BirthIn):
    data = body.dict()
    ev = vital.notify(request.auth, kind=VitalEventKind.BIRTH, **data)
    return Status(201, _detail(request, _fresh(request, ev)))


@router.post("/vital-events/deaths", response={201: VitalEventDetailOut, **ERRORS},
             summary="Notify a death to Dukcapil")
def notify_death(request, body: DeathIn):
    data = body.dict()
    ev = vital.notify(request.auth, kind=VitalEventKind.DEATH, **data)
    return Status(201, _detail(request, _fresh(request, ev)))


@router.get("/vital-events/{event_id}", url_name="vital_get_event", response={200: VitalEventDetailOut, **ERRORS},
            summary="One vital event with its status history")
def get_event(request, event_id: int):
    ev = vital.get_event(request.auth, event_id)
    privacy.log_view(request.auth, ev, via=request.path)
    return _detail(request, ev)


@router.post("/vital-events/{event_id}/reveal-nik", response={200: RevealOut, **ERRORS},
             summary="The full NIK (the mother's for a birth), with the reason recorded in the access log")
def reveal_nik(request, event_id: int, body: RevealIn):
    actor = request.auth
    ev = vital.get_event(actor, event_id)
    dukcapil = actor.has("vital_event.register") and ev.dukcapil_id in actor.org_ids
    facility = actor.has("vital_event.notify") and ev.organization_id in actor.org_ids
    if not (dukcapil or facility):
        actor.require("vital_event.register")
    field = "mother_nik" if ev.kind == "birth" else "nik"
    return {"nik": privacy.reveal(actor, ev, field, reason=body.reason, via=request.path)}


_BIRTH_FIELDS = ("mother_name", "mother_nik", "child_name", "sex", "born_at", "place", "birth_attendant", "weight_g",
                 "notes")
_DEATH_FIELDS = ("person_name", "nik", "sex", "birth_date", "died_at", "place", "cause_category", "notes")


@router.post("/vital-events/{event_id}/resubmit", response={200: VitalEventDetailOut, **ERRORS},
             summary="The facility resubmits corrected data after Dukcapil asked for a correction")
def resubmit(request, event_id: int, body: ResubmitIn):
    ev = vital.get_event(request.auth, event_id)
    names = _BIRTH_FIELDS if ev.kind == VitalEventKind.BIRTH else _DEATH_FIELDS
    data = body.dict()
    ev = vital.resubmit(request.auth, event_id, **{k: data[k] for k in names})
    return _detail(request, _fresh(request, ev))


@router.post("/vital-events/{event_id}/register", url_name="vital_register",
             response={200: VitalEventDetailOut, **ERRORS},
             summary="Dukcapil confirms and registers the event with its registration number")
def register(request, event_id: int, body: RegisterIn):
    ev = vital.register(request.auth, event_id, registration_number=body.registration_number)
    return _detail(request, _fresh(request, ev))


@router.post("/vital-events/{event_id}/request-correction", response={200: VitalEventDetailOut, **ERRORS},
             summary="Dukcapil asks the facility to correct the event")
def request_correction(request, event_id: int, body: VitalEventReasonIn):
    ev = vital.request_correction(request.auth, event_id, reason=body.reason)
    return _detail(request, _fresh(request, ev))


@router.post("/vital-events/{event_id}/reject", response={200: VitalEventDetailOut, **ERRORS},
             summary="Dukcapil rejects the event")
def reject(request, event_id: int, body: VitalEventReasonIn):
    ev = vital.reject(request.auth, event_id, reason=body.reason)
    return _detail(request, _fresh(request, ev))
