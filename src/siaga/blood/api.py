"""Blood service API (/api/blood/...): sites, donors, deferrals, visits, sessions, donations, screening, components,
stock and days of cover, lookbacks, and the public stock board. Requests, issue and transfers are in api_issue.py.

Everything goes through services.py (permissions, isolation, audit, events). A UDD sees its own donors
and units; a hospital sees its own blood bank's units. NIKs are masked in lists.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal
from typing import Literal

from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from siaga.core import privacy
from siaga.core.api import ErrorOut, RevealIn, RevealOut

from . import public, services
from .models import Component, Deferral, Donation, DonationSession, Donor, DonorVisit, Lookback, ScreeningResult, Site

router = Router(tags=["blood"])

ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
AboIn = Literal["", "O", "A", "B", "AB"]
RhdIn = Literal["", "pos", "neg"]


# --- schemas ------------------------------------------------------------------------------------


class SiteOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    organization_id: int
    organization_name: str
    region_code: str
    address: str
    phone: str
    lat: float | None
    lng: float | None
    isbt_fin: str
    supplier_id: int | None
    public: bool


class DonorIn(Schema):
    nik: str = Field(..., max_length=20)
    name: str = Field(..., min_length=2, max_length=200)
    sex: Literal["M", "F"]
    birth_date: dt.date
    site_id: int | None = None
    phone: str = Field("", max_length=40)
    address: str = Field("", max_length=300)
    home_region_code: str = Field("", max_length=13)
    abo: AboIn = ""
    rhd: RhdIn = ""
    donor_type: Literal["voluntary", "replacement"] = "voluntary"
    on_call_panel: bool = False
    sms_consent: bool = True


class DonorPatchIn(Schema):
    name: str | None = Field(None, min_length=2, max_length=200)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=300)
    home_region_code: str | None = Field(None, max_length=13)
    donor_type: Literal["voluntary", "replacement"] | None = None
    on_call_panel: bool | None = None
    sms_consent: bool | None = None
    abo: AboIn | None = None
    rhd: RhdIn | None = None


class DonorOut(Schema):
    id: int
    number: str
    nik_masked: str
    name: str
    sex: str
    birth_date: dt.date
    phone: str
    home_region_code: str
    abo: str
    rhd: str
    group: str
    group_confirmed: bool
    donor_type: str
    donation_count: int
    last_donation_at: dt.datetime | None
    next_eligible_on: dt.date | None
    permanently_deferred: bool
    on_call_panel: bool
    organization_id: int
    site_id: int | None


class DeferralOut(Schema):
    id: int
    kind: str
    source: str
    reason_code: str
    reason: str
    starts_on: dt.date
    ends_on: dt.date | None
    lifted_at: dt.datetime | None
    lift_reason: str


class DonationBriefOut(Schema):
    id: int
    din: str
    din_display: str
    collected_at: dt.datetime
    procedure: str
    volume_ml: int
    status: str
    screening: str


class DonorDetailOut(DonorOut):
    nik: str | None
    address: str
    sms_consent: bool
    deferrals: list[DeferralOut]
    donations: list[DonationBriefOut]


class DonorListOut(Schema):
    count: int
    items: list[DonorOut]


class DeferralIn(Schema):
    kind: Literal["temporary", "permanent"]
    reason_code: str = Field(..., min_length=1, max_length=40)
    reason: str = Field(..., min_length=1, max_length=300)
    ends_on: dt.date | None = None


class LiftIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300)


class BloodDonorVisitIn(Schema):
    procedure: Literal["whole_blood", "apheresis_platelets", "apheresis_plasma"] = "whole_blood"
    bag_volume_ml: int = Field(350, ge=0, le=700)
    session_id: int | None = None
    weight_kg: Decimal | None = Field(None, ge=0, le=400)
    hb_g_dl: Decimal | None = Field(None, ge=0, le=30)
    systolic_mmhg: int | None = Field(None, ge=0, le=300)
    diastolic_mmhg: int | None = Field(None, ge=0, le=250)
    pulse_bpm: int | None = Field(None, ge=0, le=300)
    pulse_regular: bool = True
    temperature_c: Decimal | None = Field(None, ge=25, le=45)
    platelet_count_k: int | None = Field(None, ge=0, le=2000)
    notes: str = Field("", max_length=300)


class RefusalOut(Schema):
    rule: str
    code: str
    reason: str
    value: str | None = None
    until: str | None = None
    deferral_days: int = 0


class BloodDonorVisitOut(Schema):
    id: int
    donor_id: int
    at: dt.datetime
    procedure: str
    bag_volume_ml: int
    eligible: bool
    refusals: list[RefusalOut]
    next_eligible_on: dt.date | None


class BloodSessionIn(Schema):
    site_id: int | None = None
    kind: Literal["udd", "mobile"]
    name: str = Field(..., min_length=2, max_length=200)
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str = Field("", max_length=300)
    location_region_code: str = Field("", max_length=13)
    organiser: str = Field("", max_length=200)
    organiser_phone: str = Field("", max_length=40)
    target_donors: int = Field(0, ge=0, le=100000)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    public: bool = True


class SessionStatusIn(Schema):
    status: Literal["planned", "open", "closed", "cancelled"]


class BloodSessionOut(Schema):
    id: int
    site_id: int
    kind: str
    name: str
    location: str
    location_region_code: str
    organiser: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    target_donors: int
    donations: int
    status: str
    public: bool


class DonationIn(Schema):
    visit_id: int
    bag_type: Literal["single", "double", "triple", "quadruple", "triple_tb", "apheresis"]
    volume_ml: int = Field(..., ge=1, le=1000)
    anticoagulant: Literal["CPDA-1", "CPD-SAGM", "ACD-A"] = "CPDA-1"
    donor_type: Literal["voluntary", "replacement"] | None = None
    site_id: int | None = None


class ReactionIn(Schema):
    severity: Literal["none", "mild", "moderate", "severe"]
    notes: str = Field("", max_length=300)
    defer_days: int = Field(0, ge=0, le=3650)


class ResultIn(Schema):
    marker: Literal["hiv", "hbsag", "hcv", "syphilis", "grouping"]
    result: Literal["", "nonreactive", "reactive", "grouped"] = ""
    abo: AboIn = ""
    rhd: RhdIn = ""
    method: str = Field("", max_length=60)
    kit_lot: str = Field("", max_length=60)


class ResultOut(Schema):
    id: int
    marker: str
    result: str
    abo: str
    rhd: str
    method: str
    tested_at: dt.datetime


class ComponentSpecIn(Schema):
    type: str = Field(..., max_length=20)
    volume_ml: int | None = Field(None, ge=1, le=1000)
    product_code: str | None = Field(None, max_length=16)
    division: str = Field("", max_length=2)


class SeparationIn(Schema):
    components: list[ComponentSpecIn] = Field(..., min_length=1, max_length=8)


class BloodComponentOut(Schema):
    id: int
    din: str
    division: str
    component_type: str
    product_code: str | None
    abo: str
    rhd: str
    group: str
    volume_ml: int
    collected_at: dt.datetime
    expires_at: dt.datetime
    status: str
    site_id: int
    organization_id: int
    donation_id: int
    version: int


class ComponentListOut(Schema):
    count: int
    items: list[BloodComponentOut]


class DonationOut(Schema):
    id: int
    din: str
    din_flags: str
    din_check: str
    din_display: str
    site_id: int
    session_id: int | None
    donor_id: int
    donor_number: str
    procedure: str
    donor_type: str
    bag_type: str
    anticoagulant: str
    volume_ml: int
    collected_at: dt.datetime
    status: str
    screening: str
    adverse_reaction: str
    adverse_reaction_notes: str
    production_hint: list[str]
    results: list[ResultOut]
    components: list[BloodComponentOut]


class DonationListOut(Schema):
    count: int
    items: list[DonationBriefOut]


class DiscardIn(Schema):
    reason: str = Field(..., max_length=14)
    notes: str = Field("", max_length=300)


class StockRowOut(Schema):
    component_type: str
    component_name: str
    abo: str
    rhd: str
    group: str
    available: int
    reserved: int
    quarantine: int
    expiring: int
    forecast_per_day: float | None
    days_of_cover: float | None
    target_days: float
    amber_days: float
    level: str


class SiteStockOut(Schema):
    site_id: int
    site_name: str
    kind: str
    region_code: str
    rows: list[StockRowOut]


class ExpiryRowOut(Schema):
    site_id: int
    component_type: str
    abo: str
    rhd: str
    expires_on: dt.date
    units: int


class CoverOut(Schema):
    site_id: int
    component_type: str
    abo: str
    rhd: str
    available: int
    days_of_cover: float | None
    target_days: float
    amber_days: float
    level: str


class LookbackItemOut(Schema):
    component_id: int
    din: str
    component_type: str
    donation_id: int
    collected_at: dt.datetime
    status_at_lookback: str
    site_id: int | None
    holder_id: int | None
    issued_to_id: int | None
    issued_to_name: str | None
    request_id: int | None
    action: str


class LookbackOut(Schema):
    id: int
    donor_id: int
    donor_number: str
    trigger_donation_id: int
    trigger_din: str
    markers: list[str]
    status: str
    raised_at: dt.datetime
    items: list[LookbackItemOut]


class PublicGroupOut(Schema):
    group: str
    abo: str
    rhd: str
    units: int
    level: str


class PublicSiteOut(Schema):
    id: int
    name: str
    kind: str
    region_code: str
    groups: list[PublicGroupOut]


class PublicBoardOut(Schema):
    updated_at: str
    sites: list[PublicSiteOut]
    totals: dict[str, int]


# --- shaping ------------------------------------------------------------------------------------


def _site_out(s: Site) -> dict:
    return {"id": s.pk, "code": s.code, "name": s.name, "kind": s.kind, "organization_id": s.organization_id,
            "organization_name": s.organization.name, "region_code": s.region_code, "address": s.address,
            "phone": s.phone, "lat": s.lat, "lng": s.lng, "isbt_fin": s.isbt_fin, "supplier_id": s.supplier_id,
            "public": s.public}


def _donor_out(d: Donor) -> dict:
    return {"id": d.pk, "number": d.number, "nik_masked": d.nik_masked, "name": d.name, "sex": d.sex,
            "birth_date": d.birth_date, "phone": d.phone, "home_region_code": d.home_region_code, "abo": d.abo,
            "rhd": d.rhd, "group": d.group_label, "group_confirmed": d.group_confirmed, "donor_type": d.donor_type,
            "donation_count": d.donation_count, "last_donation_at": d.last_donation_at,
            "next_eligible_on": d.next_eligible_on, "permanently_deferred": d.permanently_deferred,
            "on_call_panel": d.on_call_panel, "organization_id": d.organization_id, "site_id": d.site_id}


def _deferral_out(x: Deferral) -> dict:
    return {"id": x.pk, "kind": x.kind, "source": x.source, "reason_code": x.reason_code, "reason": x.reason,
            "starts_on": x.starts_on, "ends_on": x.ends_on, "lifted_at": x.lifted_at, "lift_reason": x.lift_reason}


def _donation_brief(d: Donation) -> dict:
    return {"id": d.pk, "din": d.din, "din_display": d.din_display, "collected_at": d.collected_at,
            "procedure": d.procedure, "volume_ml": d.volume_ml, "status": d.status, "screening": d.screening}


def _donor_detail(actor, d: Donor) -> dict:
    out = _donor_out(d)
    out.update(
        # The full NIK only for those who manage donors; everyone else sees the masked form.
        nik=d.nik if actor.has("blood.manage") else None,
        address=d.address, sms_consent=d.sms_consent,
        deferrals=[_deferral_out(x) for x in d.deferrals.all()],
        donations=[_donation_brief(x) for x in d.donations.order_by("-collected_at")[:100]],
    )
    return out


def _visit_out(v: DonorVisit) -> dict:
    v.donor.refresh_from_db(fields=["next_eligible_on"])
    return {"id": v.pk, "donor_id": v.donor_id, "at": v.at, "procedure": v.procedure,
            "bag_volume_ml": v.bag_volume_ml, "eligible": v.eligible, "refusals": v.refusals,
            "next_eligible_on": v.donor.next_eligible_on}


def _session_out(s: DonationSession) -> dict:
    return {"id": s.pk, "site_id": s.site_id, "kind": s.kind, "name": s.name, "location": s.location,
            "location_region_code": s.location_region_code, "organiser": s.organiser, "starts_at": s.starts_at,
            "ends_at": s.ends_at, "target_donors": s.target_donors,
            "donations": getattr(s, "n_donations", None) if getattr(s, "n_donations", None) is not None
            else s.donations.count(), "status": s.status, "public": s.public}


def _component_out(c: Component) -> dict:
    return {"id": c.pk, "din": c.din, "division": c.division, "component_type": c.component_type.code,
            "product_code": c.product_code.code if c.product_code_id else None, "abo": c.abo, "rhd": c.rhd,
            "group": c.group_label, "volume_ml": c.volume_ml, "collected_at": c.collected_at,
            "expires_at": c.expires_at, "status": c.status, "site_id": c.site_id,
            "organization_id": c.organization_id, "donation_id": c.donation_id, "version": c.version}


def _result_out(r: ScreeningResult) -> dict:
    return {"id": r.pk, "marker": r.marker, "result": r.result, "abo": r.abo, "rhd": r.rhd, "method": r.method,
            "tested_at": r.tested_at}


def _donation_out(d: Donation) -> dict:
    return {
        "id": d.pk, "din": d.din, "din_flags": d.din_flags, "din_check": d.din_check, "din_display": d.din_display,
        "site_id": d.site_id, "session_id": d.session_id, "donor_id": d.donor_id, "donor_number": d.donor.number,
        "procedure": d.procedure, "donor_type": d.donor_type, "bag_type": d.bag_type,
        "anticoagulant": d.anticoagulant, "volume_ml": d.volume_ml, "collected_at": d.collected_at,
        "status": d.status, "screening": d.screening, "adverse_reaction": d.adverse_reaction,
        "adverse_reaction_notes": d.adverse_reaction_notes, "production_hint": d.production_hint or [],
        "results": [_result_out(r) for r in d.results.all()],
        "components": [_component_out(c) for c in d.components.select_related("component_type", "product_code")],
    }


def _lookback_out(lb: Lookback) -> dict:
    items = lb.items.select_related("component__component_type", "donation", "issued_to")
    return {"id": lb.pk, "donor_id": lb.donor_id, "donor_number": lb.donor.number,
            "trigger_donation_id": lb.trigger_donation_id, "trigger_din": lb.trigger_donation.din,
            "markers": lb.markers, "status": lb.status, "raised_at": lb.raised_at,
            "items": [{"component_id": i.component_id, "din": i.component.din,
                       "component_type": i.component.component_type.code, "donation_id": i.donation_id,
                       "collected_at": i.donation.collected_at, "status_at_lookback": i.status_at_lookback,
                       "site_id": i.site_id, "holder_id": i.holder_id, "issued_to_id": i.issued_to_id,
                       "issued_to_name": i.issued_to.name if i.issued_to_id else None, "request_id": i.request_id,
                       "action": i.action} for i in items]}


# --- sites --------------------------------------------------------------------------------------


@router.get("/sites", response={200: list[SiteOut], 403: ErrorOut}, summary="Blood sites of the caller's organisations")
def list_sites(request, kind: Literal["udd", "bdrs"] | None = None):
    qs = services.visible_sites(request.auth).filter(active=True)
    if kind:
        qs = qs.filter(kind=kind)
    return [_site_out(s) for s in qs.order_by("name")]


@router.get("/sites/{site_id}", response={200: SiteOut, **ERRORS}, summary="One blood site")
def get_site(request, site_id: int):
    return _site_out(services.get_site(request.auth, site_id))


# --- donors -------------------------------------------------------------------------------------


@router.get("/donors", response={200: DonorListOut, 403: ErrorOut},
            summary="Donors of the caller's UDD (NIK masked); q searches name, number, phone or an exact NIK")
def list_donors(request, q: str = Query("", max_length=100), abo: AboIn = "", rhd: RhdIn = "",
                eligible: bool | None = Query(None, description="true: interval passed and not deferred"),
                limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    actor = request.auth
    qs = services.visible_donors(actor)
    q = q.strip()
    if q:
        from . import nik as nik_mod

        cond = Q(name__icontains=q) | Q(number__iexact=q) | Q(phone__endswith=q.lstrip("0"))
        if nik_mod.normalize(q).isdigit() and len(nik_mod.normalize(q)) == 16:
            cond |= Q(nik_hash=nik_mod.nik_hash(q))
        qs = qs.filter(cond)
    if abo:
        qs = qs.filter(abo=abo)
    if rhd:
        qs = qs.filter(rhd=rhd)
    if eligible is not None:
        from django.utils import timezone

        today = timezone.localdate()
        ok = Q(permanently_deferred=False) & (Q(next_eligible_on__isnull=True) | Q(next_eligible_on__lte=today))
        qs = qs.filter(ok) if eligible else qs.exclude(ok)
    qs = qs.order_by("name", "pk")
    return {"count": qs.count(), "items": [_donor_out(d) for d in qs[offset:offset + limit]]}


@router.post("/donors", response={201: DonorDetailOut, **ERRORS}, summary="Register a donor")
def create_donor(request, body: DonorIn):
    donor = services.register_donor(request.auth, **body.dict())
    return Status(201, _donor_detail(request.auth, donor))


@router.get("/donors/{donor_id}", response={200: DonorDetailOut, **ERRORS},
            summary="One donor with deferrals and donation history")
def get_donor(request, donor_id: int):
    donor = services.get_donor(request.auth, donor_id)
    privacy.log_view(request.auth, donor, via=request.path)
    return _donor_detail(request.auth, donor)


@router.post("/donors/{donor_id}/reveal-nik", response={200: RevealOut, **ERRORS},
             summary="The full NIK of a donor, with the reason recorded in the access log")
def reveal_donor_nik(request, donor_id: int, body: RevealIn):
    request.auth.require("blood.manage")
    donor = services.get_donor(request.auth, donor_id)
    return {"nik": privacy.reveal(request.auth, donor, "nik", reason=body.reason, via=request.path)}


@router.patch("/donors/{donor_id}", response={200: DonorDetailOut, **ERRORS}, summary="Change a donor's details")
def update_donor(request, donor_id: int, body: DonorPatchIn):
    changes = {k: v for k, v in body.dict().items() if v is not None}
    return _donor_detail(request.auth, services.update_donor(request.auth, donor_id, **changes))


@router.post("/donors/{donor_id}/deferrals", response={201: DeferralOut, **ERRORS}, summary="Defer a donor")
def defer_donor(request, donor_id: int, body: DeferralIn):
    return Status(201, _deferral_out(services.defer_donor(request.auth, donor_id, **body.dict())))


@router.post("/deferrals/{deferral_id}/lift", response={200: DeferralOut, **ERRORS}, summary="Lift a deferral")
def lift_deferral(request, deferral_id: int, body: LiftIn):
    return _deferral_out(services.lift_deferral(request.auth, deferral_id, reason=body.reason))


@router.post("/donors/{donor_id}/visits", url_name="blood_record_visit", response={201: BloodDonorVisitOut, **ERRORS},
             summary="Record the pre-donation check; the answer says whether the donor is eligible and why not")
def record_visit(request, donor_id: int, body: BloodDonorVisitIn):
    return Status(201, _visit_out(services.record_visit(request.auth, donor_id, **body.dict())))


# --- sessions -----------------------------------------------------------------------------------


@router.get("/sessions", url_name="blood_list_sessions", response={200: list[BloodSessionOut], 403: ErrorOut},
            summary="Donation sessions and mobile drives")
def list_sessions(request, upcoming: bool = False, limit: int = Query(100, ge=1, le=500)):
    from django.db.models import Count
    from django.utils import timezone

    qs = services.visible_sessions(request.auth).annotate(n_donations=Count("donations"))
    if upcoming:
        qs = qs.filter(ends_at__gte=timezone.now()).order_by("starts_at")
    return [_session_out(s) for s in qs[:limit]]


@router.post("/sessions", response={201: BloodSessionOut, **ERRORS}, summary="Plan a session at the UDD or a mobile drive")
def create_session(request, body: BloodSessionIn):
    return Status(201, _session_out(services.create_session(request.auth, **body.dict())))


@router.get("/sessions/{session_id}", url_name="blood_get_session", response={200: BloodSessionOut, **ERRORS},
            summary="One session")
def get_session(request, session_id: int):
    return _session_out(services.get_session(request.auth, session_id))


@router.post("/sessions/{session_id}/status", response={200: BloodSessionOut, **ERRORS},
             summary="Open, close or cancel a session")
def set_session_status(request, session_id: int, body: SessionStatusIn):
    return _session_out(services.set_session_status(request.auth, session_id, body.status))


# --- donations and screening ---------------------------------------------------------------------


@router.get("/donations", response={200: DonationListOut, 403: ErrorOut}, summary="Donations of the caller's UDD")
def list_donations(request, status: Literal["quarantine", "released", "discarded"] | None = None,
                   session_id: int | None = None, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)):
    qs = services.visible_donations(request.auth)
    if status:
        qs = qs.filter(status=status)
    if session_id:
        qs = qs.filter(session_id=session_id)
    qs = qs.order_by("-collected_at", "-pk")
    return {"count": qs.count(), "items": [_donation_brief(d) for d in qs[offset:offset + limit]]}


@router.post("/donations", response={201: DonationOut, **ERRORS},
             summary="Record a collection after an eligible visit; assigns the ISBT 128 DIN")
def create_donation(request, body: DonationIn):
    return Status(201, _donation_out(services.record_donation(request.auth, **body.dict())))


@router.get("/donations/lookup", response={200: DonationOut, **ERRORS},
            summary="Find a donation by DIN as typed or scanned (a wrong check character is refused)")
def lookup_donation(request, din: str = Query(..., max_length=40)):
    return _donation_out(services.find_donation(request.auth, din))


@router.get("/donations/{donation_id}", response={200: DonationOut, **ERRORS}, summary="One donation")
def get_donation(request, donation_id: int):
    return _donation_out(services.get_donation(request.auth, donation_id))


@router.post("/donations/{donation_id}/reaction", response={200: DonationOut, **ERRORS},
             summary="Record an adverse donor reaction")
def record_reaction(request, donation_id: int, body: ReactionIn):
    return _donation_out(services.record_adverse_reaction(request.auth, donation_id, **body.dict()))


@router.post("/donations/{donation_id}/results", response={201: DonationOut, **ERRORS},
             summary="Enter one screening result (HIV, HBsAg, HCV, syphilis) or the grouping")
def record_result(request, donation_id: int, body: ResultIn):
    services.record_screening_result(request.auth, donation_id, **body.dict())
    return Status(201, _donation_out(services.get_donation(request.auth, donation_id)))


@router.post("/donations/{donation_id}/components", response={201: list[BloodComponentOut], **ERRORS},
             summary="Separate a donation into components (expiry from the collection time)")
def separate(request, donation_id: int, body: SeparationIn):
    made = services.separate_components(request.auth, donation_id,
                                        components=[c.dict() for c in body.components])
    return Status(201, [_component_out(c) for c in made])


# --- components and stock -----------------------------------------------------------------------


@router.get("/components", response={200: ComponentListOut, 403: ErrorOut},
            summary="Units held by the caller's organisations, soonest-expiring first")
def list_components(request, site_id: int | None = None, status: str | None = Query(None, max_length=12),
                    component_type: str | None = Query(None, max_length=20), abo: AboIn = "", rhd: RhdIn = "",
                    din: str | None = Query(None, max_length=40), limit: int = Query(100, ge=1, le=1000),
                    offset: int = Query(0, ge=0)):
    qs = services.visible_components(request.auth).select_related("product_code")
    if site_id:
        qs = qs.filter(site_id=site_id)
    if status:
        qs = qs.filter(status=status)
    if component_type:
        qs = qs.filter(component_type__code=component_type)
    if abo:
        qs = qs.filter(abo=abo)
    if rhd:
        qs = qs.filter(rhd=rhd)
    if din:
        from . import isbt

        qs = qs.filter(din=isbt.parse(din).din)
    qs = qs.order_by("expires_at", "pk")
    return {"count": qs.count(), "items": [_component_out(c) for c in qs[offset:offset + limit]]}


@router.get("/components/{component_id}", response={200: BloodComponentOut, **ERRORS}, summary="One unit")
def get_component(request, component_id: int):
    return _component_out(services.get_component(request.auth, component_id))


@router.post("/components/{component_id}/discard", response={200: BloodComponentOut, **ERRORS},
             summary="Discard a unit with a reason")
def discard_component(request, component_id: int, body: DiscardIn):
    services.discard_component(request.auth, component_id, reason=body.reason, notes=body.notes)
    return _component_out(Component.objects.select_related("component_type", "product_code").get(pk=component_id))


@router.get("/stock", response={200: list[SiteStockOut], 403: ErrorOut},
            summary="Stock per site by component and group, with forecast, days of cover and level")
def stock(request, site_id: int | None = None):
    sites = services.visible_sites(request.auth).filter(active=True)
    if site_id:
        sites = sites.filter(pk=site_id)
    return [{"site_id": s.pk, "site_name": s.name, "kind": s.kind, "region_code": s.region_code,
             "rows": services.stock_table(s)} for s in sites.order_by("name")]


@router.get("/stock/expiry", response={200: list[ExpiryRowOut], 403: ErrorOut},
            summary="Available units per day of expiry, soonest first")
def stock_expiry(request, site_id: int | None = None, component_type: str | None = Query(None, max_length=20)):
    sites = services.visible_sites(request.auth)
    if site_id:
        sites = sites.filter(pk=site_id)
    return services.stock_by_expiry(sites.values_list("pk", flat=True), component_type=component_type)


@router.get("/sites/{site_id}/cover", response={200: CoverOut, **ERRORS},
            summary="Days of cover of one site for one component and group")
def site_cover(request, site_id: int, component_type: str = Query("PRC", max_length=20), abo: AboIn = "O",
               rhd: RhdIn = "pos"):
    from siaga.core.errors import NotFound

    from .models import ComponentType

    site = services.get_site(request.auth, site_id)
    ctype = ComponentType.objects.filter(code=component_type).first()
    if ctype is None:
        raise NotFound(_("Unknown component type."))
    available = Component.objects.filter(site=site, component_type=ctype, abo=abo, rhd=rhd,
                                         status="available").count()
    cover = services.days_of_cover(site, ctype, abo, rhd)
    target, amber = services.stock_target(site, ctype, abo, rhd)
    return {"site_id": site.pk, "component_type": ctype.code, "abo": abo, "rhd": rhd, "available": available,
            "days_of_cover": cover, "target_days": float(target), "amber_days": float(amber),
            "level": services.cover_level(cover, target, amber)}


# --- traceability -------------------------------------------------------------------------------


class TraceEventOut(Schema):
    at: dt.datetime
    from_status: str
    to_status: str
    site_id: int | None
    site_name: str | None
    note: str


class TraceIssueOut(Schema):
    issue_id: int
    issued_at: dt.datetime
    hospital_id: int
    hospital_name: str
    request_id: int
    request_number: str
    patient_name: str
    patient_mrn: str
    recipient_name: str
    signed_by: str
    transfused_at: dt.datetime | None
    returned: bool


class TraceComponentOut(BloodComponentOut):
    site_name: str
    history: list[TraceEventOut]
    issue: TraceIssueOut | None


class BloodDonationTraceOut(Schema):
    donation_id: int
    din: str
    din_display: str
    collected_at: dt.datetime
    site_id: int
    site_name: str
    donor_number: str
    donor_id: int | None
    donor_name: str | None
    donor_group: str | None
    screening: str
    results: list[ResultOut]
    components: list[TraceComponentOut]


def _trace_out(t: dict) -> dict:
    d = t["donation"]
    comps = []
    for row in t["components"]:
        c, ii = row["component"], row["issue_item"]
        out = _component_out(c)
        out.update(site_name=c.site.name, history=[
            {"at": e.at, "from_status": e.from_status, "to_status": e.to_status, "site_id": e.site_id,
             "site_name": e.site.name if e.site_id else None, "note": e.note} for e in row["history"]],
            issue=None if ii is None else {
                "issue_id": ii.issue_id, "issued_at": ii.issue.issued_at, "hospital_id": ii.issue.hospital_id,
                "hospital_name": ii.issue.hospital.name, "request_id": ii.issue.request_id,
                "request_number": ii.issue.request.number, "patient_name": ii.issue.request.patient_name,
                "patient_mrn": ii.issue.request.patient_mrn, "recipient_name": ii.issue.recipient_name,
                "signed_by": ii.issue.signed_by, "transfused_at": ii.transfused_at, "returned": ii.returned})
        comps.append(out)
    donor = t["donor"]
    return {"donation_id": d.pk, "din": d.din, "din_display": d.din_display, "collected_at": d.collected_at,
            "site_id": d.site_id, "site_name": d.site.name, "donor_number": t["donor_number"],
            "donor_id": donor.pk if donor else None, "donor_name": donor.name if donor else None,
            "donor_group": donor.group_label if donor else None, "screening": d.screening,
            "results": [_result_out(r) for r in t["results"]], "components": comps}


@router.get("/trace", response={200: BloodDonationTraceOut, **ERRORS},
            summary="Vein to vein for one DIN: donor, donation, tests, components, their history, issue and patient")
def trace(request, din: str = Query(..., max_length=40)):
    return _trace_out(services.trace_din(request.auth, din))


# --- lookbacks ----------------------------------------------------------------------------------


@router.get("/lookbacks", response={200: list[LookbackOut], 403: ErrorOut}, summary="Lookbacks raised by the caller's UDD")
def list_lookbacks(request, status: Literal["open", "closed"] | None = None):
    qs = services.visible_lookbacks(request.auth).select_related("donor", "trigger_donation")
    if status:
        qs = qs.filter(status=status)
    return [_lookback_out(lb) for lb in qs[:100]]


@router.get("/lookbacks/{lookback_id}", response={200: LookbackOut, **ERRORS}, summary="One lookback with its units")
def get_lookback(request, lookback_id: int):
    from siaga.core.errors import NotFound

    lb = services.visible_lookbacks(request.auth).select_related("donor", "trigger_donation").filter(
        pk=lookback_id).first()
    if lb is None:
        raise NotFound(_("Lookback not found."))
    return _lookback_out(lb)


# --- public board -------------------------------------------------------------------------------


@router.get("/public/stock", auth=None, response={200: PublicBoardOut, 429: ErrorOut},
            summary="Public stock board: red-cell availability by group per site (no login, aggregates only)")
def public_stock(request):
    public.check_rate(request)
    return public.board()


# Requests, crossmatch, issue and transfers (a second module, owned separately) hang under the same prefix.
if importlib.util.find_spec("siaga.blood.api_issue") is not None:
    from .api_issue import router as _issue_router  # noqa: E402

    router.add_router("", _issue_router)
