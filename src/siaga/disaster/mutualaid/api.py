"""Mutual aid API (/api/disaster/mutual-aid/...): requests between organisations, their steps from request to
return, and the letters attached to them. Each step is its own POST; repeating a step already taken answers
200 with the request unchanged, so a client may retry (Idempotency-Key is honoured too)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import HttpResponse
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from siaga.core.api import ErrorOut

from . import services
from .models import FINAL_STATES, Letter, MutualAidRequest, Transition

router = Router(tags=["disaster_mutualaid"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut}
KindIn = Literal["volunteers", "ambulance", "vehicle", "items"]
StateIn = Literal["requested", "accepted", "declined", "cancelled", "dispatched", "arrived", "released", "returned",
                  "consumed"]


# --- schemas ------------------------------------------------------------------------------------------


class MutualAidLineIn(Schema):
    kind: KindIn
    quantity: int = Field(..., ge=1, le=services.MAX_QUANTITY)
    description: str = Field("", max_length=300)
    item_code: str = Field("", max_length=40, description="items only: the logistics catalogue code")


class MutualAidRequestIn(Schema):
    lender_id: int = Field(..., description="the organisation asked to lend")
    organization_id: int | None = Field(None, description="the requesting organisation (default: the caller's)")
    event_id: int | None = None
    lines: list[MutualAidLineIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    region_code: str = Field(..., max_length=13, description="destination region (Kemendagri code)")
    destination: str = Field("", max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    needed_from: datetime
    needed_until: datetime | None = None
    purpose: str = Field("", max_length=4000)
    contact_name: str = Field(..., min_length=1, max_length=200)
    contact_phone: str = Field("", max_length=20)
    client_ref: str = Field("", max_length=64, description="sent again on a retry: the first request is returned")


class LentIn(Schema):
    line_id: int
    unit_ids: list[int] = Field(default_factory=list, max_length=200)
    volunteer_ids: list[int] = Field(default_factory=list, max_length=500)
    item_code: str = Field("", max_length=40)
    quantity: int | None = Field(None, ge=1, le=services.MAX_QUANTITY)
    description: str = Field("", max_length=300)


class AcceptIn(Schema):
    resources: list[LentIn] = Field(..., min_length=1, max_length=200)
    note: str = Field("", max_length=500)


class MutualAidNoteIn(Schema):
    note: str = Field("", max_length=500)


class MutualAidReasonIn(Schema):
    note: str = Field(..., min_length=1, max_length=500)


class ConsumedIn(Schema):
    resource_id: int
    quantity: int = Field(..., ge=0)


class ReleaseIn(Schema):
    note: str = Field("", max_length=500)
    consumed: list[ConsumedIn] = Field(default_factory=list, max_length=200)


class OrgRef(Schema):
    id: int
    name: str
    region_code: str


class MutualAidLineOut(Schema):
    id: int
    position: int
    kind: str
    quantity: int
    description: str
    item_code: str


class ResourceOut(Schema):
    id: int
    line_id: int
    kind: str
    unit_id: int | None
    unit_call_sign: str | None
    volunteer_id: int | None
    volunteer_name: str | None
    item_code: str
    quantity: int
    consumed_quantity: int
    description: str


class TransitionOut(Schema):
    from_state: str
    to_state: str
    side: str
    at: datetime
    actor: str | None
    actor_organization_id: int | None
    note: str


class LetterOut(Schema):
    id: int
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    organization_id: int
    uploaded_at: datetime
    download_url: str


class MutualAidRequestOut(Schema):
    id: int
    state: str
    organization: OrgRef
    lender: OrgRef
    event_id: int | None
    region_code: str
    destination: str
    lat: float | None
    lon: float | None
    needed_from: datetime
    needed_until: datetime | None
    purpose: str
    contact_name: str
    contact_phone: str
    decision_note: str
    requested_at: datetime
    accepted_at: datetime | None
    declined_at: datetime | None
    cancelled_at: datetime | None
    dispatched_at: datetime | None
    arrived_at: datetime | None
    released_at: datetime | None
    returned_at: datetime | None
    consumed_at: datetime | None
    my_sides: list[str]
    next_actions: list[str]
    lines: list[MutualAidLineOut]


class RequestDetailOut(MutualAidRequestOut):
    resources: list[ResourceOut]
    transitions: list[TransitionOut]
    letters: list[LetterOut]


class MutualAidRequestListOut(Schema):
    count: int
    items: list[MutualAidRequestOut]


# --- helpers ------------------------------------------------------------------------------------------


def _org(o) -> dict:
    return {"id": o.pk, "name": o.name, "region_code": o.region_code}


def _letter_out(letter: Letter) -> dict:
    return {"id": letter.pk, "kind": letter.kind, "filename": letter.filename, "content_type": letter.content_type,
            "size_bytes": letter.size_bytes, "sha256": letter.sha256, "organization_id": letter.organization_id,
            "uploaded_at": letter.uploaded_at,
            "download_url": f"/api/disaster/mutual-aid/requests/{letter.request_id}/letters/{letter.pk}"}


def _out(actor, r: MutualAidRequest) -> dict:
    out = {f: getattr(r, f) for f in ("id", "state", "event_id", "region_code", "destination", "lat", "lon",
                                      "needed_from", "needed_until", "purpose", "contact_name", "contact_phone",
                                      "decision_note", *services.TIMESTAMP_FIELD.values())}
    out.update({"organization": _org(r.organization), "lender": _org(r.lender),
                "my_sides": sorted(services.sides_of(actor, r)), "next_actions": services.next_actions(actor, r),
                "lines": list(r.lines.all())})
    return out


def _detail(actor, request_id: int) -> dict:
    r = (services.visible_requests(actor).prefetch_related(
        "lines", "resources__unit", "resources__volunteer",
        Prefetch("transitions", queryset=Transition.objects.select_related("actor")),
        Prefetch("letters", queryset=Letter.objects.defer("data"))).filter(pk=request_id).first())
    if r is None:
        services.get_request(actor, request_id)  # raises NotFound
    out = _out(actor, r)
    out["resources"] = [{"id": x.pk, "line_id": x.line_id, "kind": x.kind, "unit_id": x.unit_id,
                         "unit_call_sign": x.unit.call_sign if x.unit_id else None, "volunteer_id": x.volunteer_id,
                         "volunteer_name": x.volunteer.name if x.volunteer_id else None, "item_code": x.item_code,
                         "quantity": x.quantity, "consumed_quantity": x.consumed_quantity,
                         "description": x.description} for x in r.resources.all()]
    out["transitions"] = [{"from_state": t.from_state, "to_state": t.to_state, "side": t.side, "at": t.at,
                           "actor": t.actor.get_username() if t.actor else None,
                           "actor_organization_id": t.actor_organization_id, "note": t.note}
                          for t in r.transitions.all()]
    out["letters"] = [_letter_out(x) for x in r.letters.all()]
    return out


# --- requests -----------------------------------------------------------------------------------------


@router.get("/requests", url_name="mutual_aid_list_requests", response={200: MutualAidRequestListOut, 403: ErrorOut},
            summary="Mutual aid requests my organisations made or were asked")
def list_requests(request, side: Literal["borrower", "lender"] | None = None, state: StateIn | None = None,
                  event_id: int | None = None, active: bool | None = Query(None, description="true: not yet closed"),
                  limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    actor = request.auth
    qs = services.visible_requests(actor, side=side)
    if state:
        qs = qs.filter(state=state)
    if event_id is not None:
        qs = qs.filter(event_id=event_id)
    if active:
        qs = qs.exclude(state__in=FINAL_STATES)
    qs = qs.prefetch_related("lines").order_by("-requested_at", "-id")
    return {"count": qs.count(), "items": [_out(actor, r) for r in qs[offset:offset + limit]]}


@router.post("/requests", url_name="mutual_aid_create_request", response={201: RequestDetailOut, **ERRORS},
             summary="Ask another organisation for help")
def create_request(request, payload: MutualAidRequestIn):
    data = payload.dict()
    data["lines"] = [dict(line) for line in data["lines"]]
    r = services.create_request(request.auth, **data)
    return Status(201, _detail(request.auth, r.pk))


@router.get("/requests/{request_id}", url_name="mutual_aid_get_request", response={200: RequestDetailOut, **ERRORS},
            summary="One request with what was lent, its history and letters")
def get_request(request, request_id: int):
    return _detail(request.auth, request_id)


@router.post("/requests/{request_id}/accept", response={200: RequestDetailOut, **ERRORS},
             summary="Lender: accept, saying what is lent (one action)")
def accept(request, request_id: int, payload: AcceptIn):
    services.accept(request.auth, request_id, resources=[dict(x) for x in payload.dict()["resources"]],
                    note=payload.note)
    return _detail(request.auth, request_id)


@router.post("/requests/{request_id}/decline", url_name="mutual_aid_decline",
             response={200: RequestDetailOut, **ERRORS},
             summary="Lender: decline with a reason")
def decline(request, request_id: int, payload: MutualAidReasonIn):
    services.decline(request.auth, request_id, note=payload.note)
    return _detail(request.auth, request_id)


def _step(action: str, summary: str):
    def view(request, request_id: int, payload: MutualAidNoteIn):
        services.ACTIONS[action](request.auth, request_id, note=payload.note)
        return _detail(request.auth, request_id)

    view.__name__ = f"{action}_request"
    router.post(f"/requests/{{request_id}}/{action}", response={200: RequestDetailOut, **ERRORS},
                summary=summary, operation_id=f"mutual_aid_{action}", url_name=f"mutual_aid_{action}_request")(view)


_step("cancel", "Borrower: cancel (before dispatch)")
_step("dispatch", "Lender: the lent resources are on their way")
_step("arrive", "Borrower: the lent resources have arrived")


@router.post("/requests/{request_id}/release", response={200: RequestDetailOut, **ERRORS},
             summary="Borrower: release what was lent (items: say how much was used up)")
def release(request, request_id: int, payload: ReleaseIn):
    services.release(request.auth, request_id, note=payload.note,
                     consumed=[dict(x) for x in payload.dict()["consumed"]])
    return _detail(request.auth, request_id)


_step("return", "Lender: everything that comes back is back")
_step("consume", "Lender: close a loan of items that were used up")


# --- letters ------------------------------------------------------------------------------------------


@router.get("/requests/{request_id}/letters", response={200: list[LetterOut], **ERRORS},
            summary="Letters attached to a request (without their content)")
def list_letters(request, request_id: int):
    r = services.get_request(request.auth, request_id)
    return [_letter_out(x) for x in r.letters.defer("data").order_by("uploaded_at", "id")]


@router.post("/requests/{request_id}/letters", response={201: LetterOut, **ERRORS},
             summary="Attach a letter (surat permohonan / surat tugas): PDF, JPEG or PNG")
def upload_letter(request, request_id: int, kind: Form[Literal["request_letter", "assignment_letter", "other"]],
                  file: File[UploadedFile]):
    limit = services.letter_max_bytes()
    if file.size is not None:
        services.check_letter_size(file.size)  # refused before reading: the size alone decides
    data = file.read(limit + 1)
    letter = services.add_letter(request.auth, request_id, kind=kind, filename=file.name or "",
                                 content_type=file.content_type or "", data=data)
    return Status(201, _letter_out(letter))


@router.get("/requests/{request_id}/letters/{letter_id}", response={200: None, **ERRORS},
            summary="Download a letter (the two organisations only)")
def download_letter(request, request_id: int, letter_id: int):
    letter = services.get_letter(request.auth, request_id, letter_id)
    return letter_response(letter)


def letter_response(letter: Letter) -> HttpResponse:
    response = HttpResponse(bytes(letter.data), content_type=letter.content_type)
    response["Content-Disposition"] = f'attachment; filename="{letter.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
