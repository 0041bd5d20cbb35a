"""Volunteers API (/api/disaster/volunteers/...): registry, status, certificates, and the merge review queue.

Lists show the NIK masked only; the NIK itself is never stored. A volunteer (volunteer.respond) sees
and edits only their own record (GET /me, or their own id); disaster managers see their
organisations' volunteers in their area. Another province's volunteer appears only as the other side
of a match candidate, with minimal fields.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core.api import ErrorOut
from siaga.core.errors import NotFound

from . import matching, services
from .models import Certificate, MatchCandidate, Skill, Volunteer

router = Router(tags=["disaster_volunteers"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
StatusIn = Literal["available", "deployed", "resting", "unavailable"]
AboIn = Literal["", "O", "A", "B", "AB"]
RhdIn = Literal["", "pos", "neg"]
SexIn = Literal["", "M", "F"]
KindIn = Literal["training", "certificate"]


# --- schemas --------------------------------------------------------------------------------------


class SkillOut(Schema):
    code: str
    name: str


class CertificateOut(Schema):
    id: int
    volunteer_id: int
    kind: str
    name: str
    skill: str
    skill_name: str
    issuer: str
    issued_on: date
    expires_on: date | None
    valid: bool


class VolunteerOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    region_code: str
    name: str
    nik_masked: str
    phone: str
    birth_date: date | None
    sex: str
    blood_group: str
    blood_abo: str
    blood_rhd: str
    availability_notes: str
    skills: list[SkillOut]
    status: str
    status_label: str
    status_changed_at: datetime | None
    active: bool
    user_id: int | None
    lat: float | None
    lon: float | None
    merged_into_id: int | None
    valid_certificates: int


class VolunteerDetailOut(VolunteerOut):
    certificates: list[CertificateOut]
    open_candidates: int


class VolunteerListOut(Schema):
    count: int
    status_counts: dict[str, int]
    items: list[VolunteerOut]


class VolunteerIn(Schema):
    name: str = Field(..., min_length=2, max_length=200)
    nik: str = Field(..., max_length=30, description="16 digits; spaces, dots and dashes are ignored")
    phone: str = Field(..., max_length=40, description="any common form: 0812..., +62812..., 62812...")
    region_code: str = Field(..., max_length=13, description="Kemendagri code of the home kelurahan/desa")
    organization_id: int | None = Field(None, description="default: the caller's organisation")
    birth_date: date | None = Field(None, description="default: read from the NIK; must agree with it")
    sex: SexIn = ""
    blood_abo: AboIn = ""
    blood_rhd: RhdIn = ""
    skills: list[str] = Field(default_factory=list, description="skill codes (GET /skills)")
    availability_notes: str = Field("", max_length=2000)
    user_id: int | None = Field(None, description="user account to link (a member of your organisation)")
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class VolunteerPatch(Schema):
    name: str | None = Field(None, min_length=2, max_length=200)
    nik: str | None = Field(None, max_length=30)
    birth_date: date | None = None
    sex: SexIn | None = None
    phone: str | None = Field(None, max_length=40)
    region_code: str | None = Field(None, max_length=13)
    blood_abo: AboIn | None = None
    blood_rhd: RhdIn | None = None
    availability_notes: str | None = Field(None, max_length=2000)
    skills: list[str] | None = None
    user_id: int | None = None
    active: bool | None = None
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class StatusIn_(Schema):
    status: StatusIn
    reason: str = Field("", max_length=300)


class CertificateIn(Schema):
    kind: KindIn = "certificate"
    name: str = Field(..., min_length=2, max_length=200)
    skill: str = Field("", max_length=40, description="skill code it certifies, if any")
    issuer: str = Field("", max_length=200)
    issued_on: date
    expires_on: date | None = None


class CertificatePatch(Schema):
    kind: KindIn | None = None
    name: str | None = Field(None, min_length=2, max_length=200)
    skill: str | None = Field(None, max_length=40)
    issuer: str | None = Field(None, max_length=200)
    issued_on: date | None = None
    expires_on: date | None = None


class CandidateSideOut(Schema):
    id: int
    name: str
    organization_id: int
    organization_name: str
    region_code: str
    region_name: str
    birth_date: date | None
    phone: str
    status: str
    merged_into_id: int | None
    own: bool
    skills: list[str]
    certificates: int


class CandidateOut(Schema):
    id: int
    score: int
    reasons: list[str]
    reason_labels: list[str]
    status: str
    created_at: datetime
    decided_at: datetime | None
    kept_id: int | None
    note: str
    volunteer: CandidateSideOut
    other: CandidateSideOut
    can_merge_into_other: bool  # the caller may merge `volunteer` away into `other`
    can_merge_into_volunteer: bool


class CandidateListOut(Schema):
    count: int
    items: list[CandidateOut]


class RegistrationOut(Schema):
    volunteer: VolunteerDetailOut
    candidates: list[CandidateOut]


class VolunteerMergeIn(Schema):
    keep_id: int = Field(..., description="the record that stays: one of the candidate's two volunteers")
    note: str = Field("", max_length=300)


class DismissIn(Schema):
    note: str = Field("", max_length=300)


# --- serialisers ----------------------------------------------------------------------------------


def _cert_out(c: Certificate, today: date) -> dict:
    return {"id": c.pk, "volunteer_id": c.volunteer_id, "kind": c.kind, "name": c.name,
            "skill": c.skill.code if c.skill_id else "", "skill_name": str(c.skill.label) if c.skill_id else "",
            "issuer": c.issuer, "issued_on": c.issued_on, "expires_on": c.expires_on, "valid": c.is_valid(today)}


def _volunteer_out(v: Volunteer, today: date) -> dict:
    certs = list(v.certificates.all())
    return {"id": v.pk, "organization_id": v.organization_id, "organization_name": v.organization.name,
            "region_code": v.region_code, "name": v.name, "nik_masked": v.nik_masked, "phone": v.phone,
            "birth_date": v.birth_date, "sex": v.sex, "blood_group": v.blood_group, "blood_abo": v.blood_abo,
            "blood_rhd": v.blood_rhd, "availability_notes": v.availability_notes,
            "skills": [{"code": s.code, "name": str(s.label)} for s in v.skills.all()],
            "status": v.status, "status_label": str(v.get_status_display()), "status_changed_at": v.status_changed_at,
            "active": v.active, "user_id": v.user_id, "lat": v.lat, "lon": v.lon, "merged_into_id": v.merged_into_id,
            "valid_certificates": sum(1 for c in certs if c.is_valid(today))}


def _with_related(qs):
    return qs.select_related("organization").prefetch_related(
        "skills", Prefetch("certificates", queryset=Certificate.objects.select_related("skill")))


def _detail(request, volunteer_id: int) -> dict:
    actor = request.auth
    v = _with_related(services.visible_volunteers(actor, include_merged=True)).filter(pk=volunteer_id).first()
    if v is None:
        raise NotFound(_("Volunteer not found."))
    today = timezone.localdate()
    out = _volunteer_out(v, today)
    out["certificates"] = [_cert_out(c, today) for c in v.certificates.all()]
    out["open_candidates"] = (services.visible_candidates(actor).filter(volunteer=v).count()
                              + services.visible_candidates(actor).filter(other=v).count()
                              if actor.has("volunteer.view") else 0)
    return out


def _candidate_out(actor, c: MatchCandidate, names: dict[str, str] | None = None) -> dict:
    if names is None:
        names = services.region_names([c.volunteer.region_code, c.other.region_code])
    return {"id": c.pk, "score": c.score, "reasons": list(c.reasons), "reason_labels": matching.reason_labels(c.reasons),
            "status": c.status, "created_at": c.created_at, "decided_at": c.decided_at, "kept_id": c.kept_id,
            "note": c.note, "volunteer": services.candidate_view(actor, c.volunteer, names),
            "other": services.candidate_view(actor, c.other, names),
            "can_merge_into_other": c.status == "open" and services.can_manage(actor, c.volunteer),
            "can_merge_into_volunteer": c.status == "open" and services.can_manage(actor, c.other)}


# --- registry -------------------------------------------------------------------------------------


@router.get("/skills", response=list[SkillOut], summary="Skills a volunteer may be registered with")
def skills(request):
    return [{"code": s.code, "name": str(s.label)} for s in Skill.objects.order_by("code")]


@router.get("", response={200: VolunteerListOut, 400: ErrorOut, 403: ErrorOut},
            summary="Volunteers the caller may see (NIK masked), with counts per status")
def list_volunteers(
    request,
    status: str | None = Query(None, max_length=12),
    skill: str | None = Query(None, max_length=40, description="skill code"),
    certified_only: bool = Query(False, description="with skill: only volunteers holding a valid certificate for it"),
    region: str | None = Query(None, max_length=13, description="Kemendagri code prefix of the home kelurahan"),
    q: str | None = Query(None, max_length=100, description="name (titles and old spellings tolerated)"),
    inactive: bool = Query(False, description="include inactive records"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
):
    today = timezone.localdate()
    base = services.list_volunteers(request.auth, skill=skill, region=region, q=q, include_inactive=inactive,
                                    valid_certificate_on=today if certified_only else None)
    counts = services.status_counts(base)
    qs = services.list_volunteers(request.auth, status=status, skill=skill, region=region, q=q,
                                  include_inactive=inactive, valid_certificate_on=today if certified_only else None)
    count = qs.count()
    page = _with_related(qs.order_by("name", "pk"))[offset:offset + limit]
    return {"count": count, "status_counts": counts, "items": [_volunteer_out(v, today) for v in page]}


@router.post("", url_name="volunteer_register",
             response={201: RegistrationOut, 409: ErrorOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Register a volunteer; likely duplicates in any province open merge candidates")
def register(request, body: VolunteerIn):
    data = body.dict()
    org = data.pop("organization_id")
    result = services.register(request.auth, organization=org, **data)
    return Status(201, {"volunteer": _detail(request, result.volunteer.pk),
                        "candidates": [_candidate_out(request.auth, c) for c in result.candidates]})


@router.get("/me", response={200: VolunteerDetailOut, 403: ErrorOut, 404: ErrorOut},
            summary="The caller's own volunteer record")
def my_volunteer_record(request):
    v = services.own_volunteer(request.auth)
    if v is None:
        raise NotFound(_("You have no volunteer record."))
    return _detail(request, v.pk)


@router.get("/{int:volunteer_id}", response={200: VolunteerDetailOut, **ERRORS}, summary="One volunteer")
def detail(request, volunteer_id: int):
    return _detail(request, volunteer_id)


@router.patch("/{int:volunteer_id}", response={200: VolunteerDetailOut, **ERRORS},
              summary="Change a volunteer's record (a volunteer: own phone and availability notes only)")
def update(request, volunteer_id: int, body: VolunteerPatch):
    fields = body.dict(exclude_unset=True)
    services.update_volunteer(request.auth, volunteer_id, **fields)
    return _detail(request, volunteer_id)


@router.post("/{int:volunteer_id}/status", url_name="volunteer_set_status",
             response={200: VolunteerDetailOut, **ERRORS},
             summary="Set a volunteer's status (available, deployed, resting, unavailable)")
def set_status(request, volunteer_id: int, body: StatusIn_):
    # Visible first: another organisation's record answers 404 before any permission detail.
    services.get_volunteer(request.auth, volunteer_id)
    services.set_status(request.auth, volunteer_id, body.status, reason=body.reason)
    return _detail(request, volunteer_id)


# --- certificates ---------------------------------------------------------------------------------


@router.get("/{int:volunteer_id}/certificates", response={200: list[CertificateOut], **ERRORS},
            summary="A volunteer's trainings and certificates, with validity today")
def certificates(request, volunteer_id: int):
    today = timezone.localdate()
    return [_cert_out(c, today) for c in services.visible_certificates(request.auth, volunteer_id)]


@router.post("/{int:volunteer_id}/certificates", response={201: CertificateOut, **ERRORS},
             summary="Record a training or certificate")
def add_certificate(request, volunteer_id: int, body: CertificateIn):
    cert = services.add_certificate(request.auth, volunteer_id, **body.dict())
    return Status(201, _cert_out(cert, timezone.localdate()))


@router.patch("/certificates/{int:certificate_id}", response={200: CertificateOut, **ERRORS},
              summary="Correct a training or certificate")
def update_certificate(request, certificate_id: int, body: CertificatePatch):
    cert = services.update_certificate(request.auth, certificate_id, **body.dict(exclude_unset=True))
    return _cert_out(cert, timezone.localdate())


@router.delete("/certificates/{int:certificate_id}", response={204: None, **ERRORS},
               summary="Remove a training or certificate recorded by mistake")
def delete_certificate(request, certificate_id: int):
    services.delete_certificate(request.auth, certificate_id)
    return Status(204, None)


# --- merge review queue ---------------------------------------------------------------------------


@router.get("/candidates", response={200: CandidateListOut, 403: ErrorOut},
            summary="Merge review queue: possible same person in two records (one side may be another province's)")
def candidates(request, status: Literal["open", "merged", "dismissed", "all"] = "open",
               limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)):
    qs = services.visible_candidates(request.auth, status=None if status == "all" else status)
    page = list(qs[offset:offset + limit])
    names = services.region_names([v.region_code for c in page for v in (c.volunteer, c.other)])
    return {"count": qs.count(), "items": [_candidate_out(request.auth, c, names) for c in page]}


@router.get("/candidates/{int:candidate_id}", response={200: CandidateOut, **ERRORS}, summary="One match candidate")
def candidate(request, candidate_id: int):
    return _candidate_out(request.auth, services.get_candidate(request.auth, candidate_id))


@router.post("/candidates/{int:candidate_id}/merge", url_name="volunteer_merge", response={200: CandidateOut, **ERRORS},
             summary="Same person: keep one record, merge the other into it (certificates and skills move)")
def merge(request, candidate_id: int, body: VolunteerMergeIn):
    services.merge_candidate(request.auth, candidate_id, keep_id=body.keep_id, note=body.note)
    return _candidate_out(request.auth, services.get_candidate(request.auth, candidate_id))


@router.post("/candidates/{int:candidate_id}/dismiss", response={200: CandidateOut, **ERRORS},
             summary="Two different people: close the candidate")
def dismiss(request, candidate_id: int, body: DismissIn):
    services.dismiss_candidate(request.auth, candidate_id, note=body.note)
    return _candidate_out(request.auth, services.get_candidate(request.auth, candidate_id))
