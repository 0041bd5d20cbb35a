"""Write path for organisations and memberships: permission check, one transaction, audit, events."""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext as _

from . import audit
from .errors import NotFound, ServiceError
from .events import emit
from .models import Membership, Organization, OrgKind, Role, User
from .permissions import Actor, PermissionDenied


def validate_region_code(code: str, *, allow_national: bool = True) -> str:
    """A Kemendagri code that exists in the region table ("" = national when allowed)."""
    code = (code or "").strip()
    if not code:
        if allow_national:
            return ""
        raise ServiceError(_("A region code is required."), code="region_required")
    Region = apps.get_model("geo", "Region")
    if not Region.objects.filter(code=code).exists():
        raise ServiceError(_("Unknown region code: %(code)s.") % {"code": code}, code="unknown_region",
                           details={"region_code": code})
    return code


def get_organization(actor: Actor, org_id: int) -> Organization:
    actor.require("organization.view")
    org = Organization.objects.filter(pk=org_id).first()
    if org is None or not actor.can_see(org.pk, org.region_code):
        # Another organisation's record is reported as missing, not as forbidden: no existence leak.
        raise NotFound(_("Organisation not found."))
    return org


def visible_organizations(actor: Actor):
    actor.require("organization.view")
    return actor.scope_queryset(Organization.objects.all(), org_field="pk").select_related("parent")


H3_RESOLUTION = 9  # about 0.1 km² hexagons: fine enough to group facilities by neighbourhood


def h3_cell(lat: float | None, lng: float | None) -> str:
    if lat is None or lng is None:
        return ""
    import h3

    return h3.latlng_to_cell(lat, lng, H3_RESOLUTION)


def _check_position(lat, lng):
    if (lat is None) != (lng is None):
        raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_position")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ServiceError(_("The position is outside the valid latitude/longitude range."), code="invalid_position")


@transaction.atomic
def create_organization(actor: Actor, *, code: str, name: str, kind: str, parent_id: int | None = None,
                        region_code: str = "", phone: str = "", address: str = "", lat: float | None = None,
                        lng: float | None = None, location_approximate: bool = False,
                        attributes: dict | None = None) -> Organization:
    actor.require("organization.manage")
    if kind not in OrgKind.values:
        raise ServiceError(_("Unknown organisation kind: %(kind)s.") % {"kind": kind}, code="unknown_kind")
    region_code = validate_region_code(region_code)
    actor.require_region(region_code)
    parent = None
    if parent_id is not None:
        parent = Organization.objects.filter(pk=parent_id).first()
        if parent is None or not actor.can_see(parent.pk, parent.region_code):
            raise NotFound(_("Parent organisation not found."))
    elif not actor.is_platform_admin:
        # An administrator creates organisations under their own.
        parent = actor.organization
    if Organization.objects.filter(code=code).exists():
        raise ServiceError(_("The code %(code)s is already used.") % {"code": code}, code="duplicate_code", status=409)
    _check_position(lat, lng)
    org = Organization.objects.create(code=code, name=name, kind=kind, parent=parent, region_code=region_code,
                                      phone=phone, address=address, lat=lat, lng=lng,
                                      location_approximate=location_approximate, h3_cell=h3_cell(lat, lng),
                                      attributes=attributes or {})
    audit.created(actor, org)
    emit("organization.created",
         {"id": org.pk, "code": org.code, "name": org.name, "kind": org.kind, "parent_id": org.parent_id,
          "region_code": org.region_code},
         organization=org, region_code=org.region_code)
    return org


@transaction.atomic
def update_organization(actor: Actor, org_id: int, **changes) -> Organization:
    actor.require("organization.manage")
    org = get_organization(actor, org_id)
    org = Organization.objects.select_for_update().get(pk=org.pk)
    before = audit.snapshot(org)
    if "region_code" in changes:
        changes["region_code"] = validate_region_code(changes["region_code"])
        actor.require_region(changes["region_code"])
    if "kind" in changes and changes["kind"] not in OrgKind.values:
        raise ServiceError(_("Unknown organisation kind: %(kind)s.") % {"kind": changes["kind"]}, code="unknown_kind")
    for field in ("name", "kind", "region_code", "phone", "address", "active", "lat", "lng",
                  "location_approximate", "attributes"):
        if field in changes and (changes[field] is not None or field in ("lat", "lng")):
            setattr(org, field, changes[field])
    _check_position(org.lat, org.lng)
    org.h3_cell = h3_cell(org.lat, org.lng)
    org.save()
    rec = audit.updated(actor, org, before)
    if rec:
        emit("organization.updated", {"id": org.pk, "code": org.code, "name": org.name, "changed": sorted(rec.changes)},
             organization=org, region_code=org.region_code)
    return org


@transaction.atomic
def add_membership(actor: Actor, *, user: User, organization_id: int, role: str, scope_code: str) -> Membership:
    actor.require("membership.manage")
    org = get_organization(actor, organization_id)
    if role not in Role.values:
        raise ServiceError(_("Unknown role: %(role)s.") % {"role": role}, code="unknown_role")
    scope_code = validate_region_code(scope_code)
    if scope_code and scope_code.count(".") > 1:
        raise ServiceError(_("A scope must be national, a province or a kab/kota."), code="invalid_scope")
    if not actor.is_platform_admin:
        # An administrator cannot hand out a wider scope than their own.
        from .permissions import in_scope

        if not in_scope(actor.scope_code, scope_code) or (actor.scope_code and not scope_code):
            raise PermissionDenied(_("You cannot grant a scope wider than your own."))
    m, created = Membership.objects.get_or_create(user=user, organization=org, role=role,
                                                  defaults={"scope_code": scope_code})
    if created:
        audit.created(actor, m)
    elif m.scope_code != scope_code or not m.active:
        before = audit.snapshot(m)
        m.scope_code, m.active = scope_code, True
        m.save()
        audit.updated(actor, m, before)
    return m


@transaction.atomic
def set_preferred_language(user: User, language: str) -> bool:
    """Remember a user's language for their next login; returns False for a language Siaga does not offer."""
    from django.conf import settings

    from .permissions import Actor

    if language not in dict(settings.LANGUAGES):
        return False
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.preferred_language == language:
        return True
    before = audit.snapshot(user)
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    # The user changes their own preference: they are the actor, acting for no organisation.
    audit.updated(Actor(user=user, membership=None, organization=None, role=None), user, before)
    return True
