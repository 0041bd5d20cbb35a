"""Core API: who am I, organisations, audit trail, and the personal-data access log."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Query, Router, Schema, Status

from . import audit, services
from .models import AuditLog

router = Router(tags=["core"])


class MembershipOut(Schema):
    id: int
    organization_id: int
    organization_name: str
    role: str
    role_label: str
    scope_code: str


class MeOut(Schema):
    username: str
    full_name: str
    language: str
    is_platform_admin: bool
    active_membership_id: int | None
    organization_id: int | None
    role: str | None
    scope_code: str
    permissions: list[str]
    memberships: list[MembershipOut]


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    region_code: str
    phone: str
    address: str
    lat: float | None
    lng: float | None
    location_approximate: bool
    h3_cell: str
    active: bool


class OrganizationIn(Schema):
    code: str = Field(..., min_length=2, max_length=64, pattern=r"^[-a-z0-9_]+$")
    name: str = Field(..., min_length=2, max_length=200)
    kind: str
    parent_id: int | None = None
    region_code: str = Field("", max_length=13)
    phone: str = Field("", max_length=20)
    address: str = Field("", max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    location_approximate: bool = False


class OrganizationPatch(Schema):
    name: str | None = Field(None, min_length=2, max_length=200)
    kind: str | None = None
    region_code: str | None = Field(None, max_length=13)
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, max_length=300)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    location_approximate: bool | None = None
    active: bool | None = None


class AuditOut(Schema):
    id: int
    at: datetime
    actor: str | None
    organization_id: int | None
    action: str
    model: str
    object_id: str
    object_repr: str
    changes: dict


class ErrorOut(Schema):
    error: dict


class RevealIn(Schema):
    reason: str = Field(..., max_length=300, description="why the full value is needed; kept in the access log")


class RevealOut(Schema):
    nik: str


class AccessOut(Schema):
    id: int
    at: datetime
    user: str | None
    organization_id: int | None
    role: str
    kind: str
    model: str
    object_id: str
    fields: list
    reason: str
    via: str


def _audit_out(rec: AuditLog) -> dict:
    return {
        "id": rec.pk, "at": rec.at, "actor": rec.actor.get_username() if rec.actor else None,
        "organization_id": rec.organization_id, "action": rec.action, "model": rec.model,
        "object_id": rec.object_id, "object_repr": rec.object_repr, "changes": rec.changes,
    }


@router.get("/me", url_name="core_me", response=MeOut, summary="The user and the membership they act through")
def me(request):
    actor = request.auth
    user = actor.user
    ms = user.memberships.filter(active=True).select_related("organization").order_by("pk")
    return {
        "username": user.get_username(),
        "full_name": user.get_full_name(),
        "language": user.preferred_language,
        "is_platform_admin": actor.is_platform_admin,
        "active_membership_id": actor.membership.pk if actor.membership else None,
        "organization_id": actor.organization_id,
        "role": actor.role,
        "scope_code": actor.scope_code,
        "permissions": sorted(actor.permissions),
        "memberships": [
            {"id": m.pk, "organization_id": m.organization_id, "organization_name": m.organization.name,
             "role": m.role, "role_label": str(m.get_role_display()), "scope_code": m.scope_code}
            for m in ms
        ],
    }


@router.get("/organizations", response=list[OrganizationOut], summary="Organisations visible to the caller")
def list_organizations(request, kind: str | None = None):
    qs = services.visible_organizations(request.auth)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("name"))


@router.get("/organizations/{org_id}", response={200: OrganizationOut, 404: ErrorOut})
def get_organization(request, org_id: int):
    return services.get_organization(request.auth, org_id)


@router.post("/organizations", response={201: OrganizationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                                         409: ErrorOut})
def create_organization(request, body: OrganizationIn):
    return Status(201, services.create_organization(request.auth, **body.dict()))


@router.patch("/organizations/{org_id}", response={200: OrganizationOut, 400: ErrorOut, 403: ErrorOut,
                                                   404: ErrorOut})
def update_organization(request, org_id: int, body: OrganizationPatch):
    return services.update_organization(request.auth, org_id, **body.dict(exclude_unset=True))


@router.get("/organizations/{org_id}/audit", response={200: list[AuditOut], 403: ErrorOut, 404: ErrorOut},
            summary="Audit trail of one organisation record")
def organization_audit(request, org_id: int):
    actor = request.auth
    actor.require("audit.view")
    org = services.get_organization(actor, org_id)
    return [_audit_out(r) for r in audit.history(org)[:200]]


@router.get("/audit", response={200: list[AuditOut], 403: ErrorOut}, summary="Audit records made by the caller's organisations")
def audit_list(request, model: str | None = None, object_id: str | None = None, limit: int = 100):
    actor = request.auth
    actor.require("audit.view")
    qs = AuditLog.objects.select_related("actor")
    if not actor.is_platform_admin:
        qs = qs.filter(organization_id__in=actor.org_ids)
    if model:
        qs = qs.filter(model=model)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return [_audit_out(r) for r in qs[: max(1, min(limit, 500))]]




@router.get("/personal-data-access", response={200: list[AccessOut], 403: ErrorOut},
            summary="Who viewed or revealed which personal record (staff of the caller's organisations)")
def personal_data_access(request, model: str | None = Query(None, max_length=100),
                         object_id: str | None = Query(None, max_length=64), kind: str | None = Query(None, max_length=6),
                         limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0)):
    from . import privacy

    qs = privacy.accesses(request.auth)
    if model:
        qs = qs.filter(model=model)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if kind:
        qs = qs.filter(kind=kind)
    return [{"id": a.pk, "at": a.at, "user": a.user.get_username() if a.user else None,
             "organization_id": a.organization_id, "role": a.role, "kind": a.kind, "model": a.model,
             "object_id": a.object_id, "fields": a.fields, "reason": a.reason, "via": a.via}
            for a in qs[offset:offset + limit]]


# --- API tokens for devices and systems --------------------------------------------------------------------


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    membership_id: int
    organization_id: int
    username: str
    role: str
    scopes: list[str]
    status: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    replaces_id: int | None


class TokenIssued(TokenOut):
    token: str = Field(..., description="The raw token: shown this once, stored only as a hash")


class TokenIn(Schema):
    membership_id: int
    name: str = Field(..., min_length=1, max_length=100)
    scopes: list[str] = Field(..., min_length=1, max_length=60)
    expires_in_days: int | None = Field(None, ge=0, le=3650, description="0: never expires; default 365")


class RotateIn(Schema):
    grace_hours: int | None = Field(None, ge=0, le=720, description="How long the old token keeps working (default 24)")


def _token_out(tok, raw: str | None = None) -> dict:
    from . import tokens

    m = tok.membership
    out = {"id": tok.pk, "name": tok.name, "prefix": tok.prefix, "membership_id": m.pk,
           "organization_id": m.organization_id, "username": m.user.get_username(), "role": m.role,
           "scopes": list(tok.scopes), "status": tokens.status_of(tok), "created_at": tok.created_at,
           "expires_at": tok.expires_at, "last_used_at": tok.last_used_at, "revoked_at": tok.revoked_at,
           "replaces_id": tok.replaces_id}
    if raw is not None:
        out["token"] = raw
    return out


@router.get("/tokens", response={200: list[TokenOut], 403: ErrorOut},
            summary="API tokens of the memberships in the caller's organisations")
def list_tokens(request, limit: int = Query(200, ge=1, le=1000), offset: int = Query(0, ge=0)):
    from . import tokens

    return [_token_out(t) for t in tokens.visible_tokens(request.auth)[offset:offset + limit]]


@router.post("/tokens", response={201: TokenIssued, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Issue a token for a device or system, limited to the given permissions")
def issue_token(request, body: TokenIn):
    from . import tokens

    tok, raw = tokens.issue_token(request.auth, **body.dict())
    return Status(201, _token_out(tok, raw))


@router.post("/tokens/{token_id}/rotate", response={201: TokenIssued, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Issue the token's successor; the old one works until the grace period ends")
def rotate_token(request, token_id: int, body: RotateIn | None = None):
    from . import tokens

    tok, raw = tokens.rotate_token(request.auth, token_id, grace_hours=body.grace_hours if body else None)
    return Status(201, _token_out(tok, raw))


@router.post("/tokens/{token_id}/revoke", response={200: TokenOut, 403: ErrorOut, 404: ErrorOut},
             summary="Revoke a token at once")
def revoke_token(request, token_id: int):
    from . import tokens

    return _token_out(tokens.revoke_token(request.auth, token_id))
