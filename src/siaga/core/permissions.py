"""The one place that decides what a user may see and do: API, pages, live streams and admin all ask it.

An actor is a user acting through one membership: a role in an organisation, limited to a
geographic scope given as a Kemendagri code ("" national, "35" a province, "35.76" a kab/kota).
An actor sees the rows of its organisation and of the organisations below it, inside its scope,
plus rows another organisation explicitly shared with it (a referral, a mutual-aid request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import Membership, Organization, Role

# Permission names are "<area>.<verb>". Later capabilities add their own to this table.
_VIEW_COMMON = {"region.view", "organization.view", "map.view", "stream.view"}

_CALL_CENTER = {"incident.view", "incident.create", "incident.update", "call.create", "call.view",
                "referral.view", "referral.manage", "callcenter.stats", "routing.view"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CALL_TAKER: frozenset(_VIEW_COMMON | _CALL_CENTER),
    Role.DISPATCHER: frozenset(_VIEW_COMMON | {"incident.view", "incident.update", "call.view", "referral.view",
                                               "unit.view", "unit.manage", "roster.manage", "dispatch.create",
                                               "dispatch.stats", "hospital.view", "callcenter.stats",
                                               "routing.view", "routing.manage"}),
    Role.AGENCY_LIAISON: frozenset(_VIEW_COMMON | {"incident.view", "referral.view", "referral.respond"}),
    Role.AMBULANCE_CREW: frozenset(_VIEW_COMMON | {"unit.view", "unit.update_status", "position.create",
                                                   "hospital.view", "routing.view"}),
    Role.BLOOD_BANK_OFFICER: frozenset(_VIEW_COMMON | {"blood.view", "blood.manage", "blood.stats"}),
    Role.HOSPITAL_OFFICER: frozenset(_VIEW_COMMON | {"hospital.view", "hospital.manage", "blood.view", "vital_event.notify",
                                                     "vital_event.view",
                                                     "blood.request", "incident.view", "referral.view",
                                                     "referral.respond"}),
    Role.DISASTER_MANAGER: frozenset(_VIEW_COMMON | {"disaster.view", "disaster.manage", "boundary.import",
                                                     "volunteer.view", "volunteer.manage", "logistics.view",
                                                     "logistics.manage", "disaster.report", "training.take",
                                                     "training.manage",
                                                     "incident.view", "referral.view", "referral.respond",
                                                     "routing.view", "routing.manage"}),
    # A volunteer answers activations and checks in on their own record; they see no one else's personal data.
    Role.VOLUNTEER: frozenset(_VIEW_COMMON | {"disaster.view", "volunteer.respond", "disaster.report",
                                             "training.take"}),
    Role.KADER: frozenset(_VIEW_COMMON | {"health.view", "health.record", "vital_event.notify",
                                          "vital_event.view", "health.plan"}),
    # Puskesmas staff (midwife, nurse, nutritionist): records life-cycle services, reads the PWS dashboards.
    Role.HEALTH_WORKER: frozenset(_VIEW_COMMON | {"health.view", "health.record", "health.dashboard", "health.plan",
                                                  "health.export", "vital_event.notify", "vital_event.view"}),
    Role.CIVIL_REGISTRATION_OFFICER: frozenset(_VIEW_COMMON | {"vital_event.view", "vital_event.register"}),
    Role.LEADER: frozenset(_VIEW_COMMON | {"dashboard.view", "audit.view", "callcenter.stats", "referral.view",
                                           "routing.view", "dispatch.stats", "blood.stats",
                                           "health.dashboard", "logistics.view", "disaster.view"}),
    Role.ADMINISTRATOR: frozenset(
        _VIEW_COMMON
        | {
            "organization.manage",
            "membership.manage",
            "audit.view",
            "boundary.import",
            "dashboard.view",
            "callcenter.configure",
            "callcenter.stats",
            "referral.view",
            "routing.view",
            "routing.manage",
            "unit.view",
            "unit.manage",
            "roster.manage",
            "hospital.view",
            "dispatch.stats",
            "blood.stats",
        }
    ),
}

# Which permission a live-stream topic needs; a topic not listed here is never streamed.
TOPIC_PERMISSIONS: dict[str, str] = {
    "organizations": "organization.view",
    "regions": "region.view",
    "calls": "call.view",
    "incidents": "incident.view",
    "referrals": "referral.view",
    "roads": "routing.view",
    "units": "unit.view",
    "dispatches": "unit.view",
    "hospitals": "hospital.view",
    "blood": "blood.view",
    "disaster": "disaster.view",
    "health": "health.view",
    "vital_events": "vital_event.view",
    "volunteers": "volunteer.view",
    "activations": "volunteer.respond",
    "teams": "disaster.view",
    "logistics": "logistics.view",
    "mutual_aid": "disaster.view",
    "disaster_reports": "disaster.view",
    "readiness": "disaster.view",
    "health_plans": "health.view",
}


class PermissionDenied(Exception):
    """Raised when an actor may not do something; carries a message in the user's language."""

    def __init__(self, message: str | None = None, code: str = "forbidden"):
        self.code = code
        self.message = message or _("You are not allowed to do this.")
        super().__init__(self.message)


def in_scope(scope_code: str, region_code: str) -> bool:
    """True when region_code lies inside the geographic scope ("" = national covers everything)."""
    if not scope_code:
        return True
    return region_code == scope_code or region_code.startswith(scope_code + ".")


def scopes_overlap(scope_code: str, region_code: str) -> bool:
    """True when a record's area and a scope share ground: one contains the other.

    A province-wide record ("36") matters to a kab/kota scope inside it ("36.04"), and a
    kelurahan record matters to the kab/kota that contains it. A record with no area is not
    limited geographically.
    """
    if not region_code:
        return True
    return in_scope(scope_code, region_code) or in_scope(region_code, scope_code)


def descendant_ids(root_ids: set[int]) -> set[int]:
    """Ids of the given organisations and all organisations below them."""
    edges: dict[int | None, list[int]] = {}
    for pk, parent_id in Organization.objects.values_list("pk", "parent_id"):
        edges.setdefault(parent_id, []).append(pk)
    seen, stack = set(root_ids), list(root_ids)
    while stack:
        for child in edges.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


@dataclass(frozen=True)
class Actor:
    """A user acting through one membership (or a platform superuser acting as such)."""

    user: object
    membership: Membership | None
    organization: Organization | None
    role: str | None
    scope_code: str = ""
    is_platform_admin: bool = False
    extra: dict = field(default_factory=dict, compare=False)
    # A device token acts with at most these permissions (None: everything its membership's role allows).
    token_scopes: frozenset | None = None

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)

    @property
    def organization_id(self):
        return self.organization.pk if self.organization else None

    @cached_property
    def permissions(self) -> frozenset[str]:
        if self.is_platform_admin:
            allowed = frozenset().union(*ROLE_PERMISSIONS.values())
        else:
            allowed = ROLE_PERMISSIONS.get(self.role, frozenset())
        return allowed if self.token_scopes is None else allowed & self.token_scopes

    @cached_property
    def org_ids(self) -> frozenset[int]:
        """Organisations whose own rows this actor sees: its own and those below it."""
        if self.organization is None:
            return frozenset()
        return frozenset(descendant_ids({self.organization.pk}))

    def has(self, perm: str) -> bool:
        return perm in self.permissions

    def require(self, perm: str) -> None:
        if not self.has(perm):
            raise PermissionDenied(
                _("Your role (%(role)s) does not allow this action (%(perm)s).")
                % {"role": self.role_label, "perm": perm}
            )

    @property
    def role_label(self) -> str:
        if self.is_platform_admin and not self.role:
            return _("Platform administrator")
        return str(Role(self.role).label) if self.role in Role.values else (self.role or "-")

    # --- records -----------------------------------------------------------------------------
    def can_see(self, organization_id: int | None, region_code: str = "", shared_with=()) -> bool:
        """May this actor see a record owned by organization_id in region_code?"""
        if self.is_platform_admin:
            return True
        shared_with = set(shared_with or ())
        if self.organization_id is not None and self.organization_id in shared_with:
            # Shared explicitly with our own organisation (a referral to our agency, a mutual-aid loan to us, our
            # part in another province's event): the sharing is the permission, wherever the record lies.
            return True
        in_area = scopes_overlap(self.scope_code, region_code or "")
        # Our own rows, and rows of or shared with the organisations below ours, within our area.
        return in_area and (organization_id in self.org_ids or bool(self.org_ids & shared_with))

    def require_see(self, organization_id, region_code: str = "", shared_with=()) -> None:
        if not self.can_see(organization_id, region_code, shared_with):
            raise PermissionDenied(_("This record belongs to another organisation or lies outside your area."))

    def require_region(self, region_code: str) -> None:
        """Refuse to act on an area outside the actor's geographic scope."""
        if not self.is_platform_admin and not scopes_overlap(self.scope_code, region_code or ""):
            raise PermissionDenied(
                _("Region %(code)s lies outside your area (%(scope)s).")
                % {"code": region_code, "scope": self.scope_code or _("national")}
            )

    def scope_queryset(self, qs: QuerySet, org_field: str = "organization", region_field: str | None = "region_code",
                       shared_q: Q | None = None) -> QuerySet:
        """Limit a queryset of tenant-owned rows to those this actor may see.

        shared_q adds rows another organisation explicitly shared with this actor's organisations, as a
        function of a set of organisation ids returning the condition through the sharing record (e.g.
        lambda ids: Q(referrals__agency__in=ids)): rows shared with the actor's own organisation are seen
        wherever they lie, rows shared with the organisations below it only within the actor's area. A
        plain Q is applied within the area.
        """
        if self.is_platform_admin:
            return qs
        area = region_overlap_q(region_field, self.scope_code) if region_field and self.scope_code else Q()
        cond = Q(**{f"{org_field}__in": self.org_ids}) & area
        if shared_q is None:
            return qs.filter(cond)
        if callable(shared_q):
            # Shared with our own organisation: wherever it lies (see can_see); with those below ours: in our area.
            direct = shared_q({self.organization_id}) if self.organization_id is not None else Q(pk__in=[])
            below = self.org_ids - {self.organization_id}
            cond |= direct
            if below:
                cond |= shared_q(below) & area
        else:
            cond |= shared_q & area
        return qs.filter(cond).distinct()

    # --- events --------------------------------------------------------------------------------
    def can_see_event(self, event: dict) -> bool:
        """May this actor receive a live event (a dict as carried on the bus)?"""
        perm = TOPIC_PERMISSIONS.get(event.get("topic", ""))
        if perm is None or not self.has(perm):
            return False
        if event.get("organization_id") is None:
            # Public reference events (regions) carry no owner: visible by area only.
            return self.is_platform_admin or scopes_overlap(self.scope_code, event.get("region_code") or "")
        return self.can_see(event.get("organization_id"), event.get("region_code") or "", event.get("shared_with") or ())


def region_overlap_q(field_name: str, scope_code: str) -> Q:
    """Rows whose region field overlaps scope_code (contained in it, containing it, or empty)."""
    parts = scope_code.split(".")
    ancestors = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return (
        Q(**{field_name: ""})
        | Q(**{f"{field_name}__in": ancestors})
        | Q(**{f"{field_name}__startswith": scope_code + "."})
    )


def tree_q(actor: Actor, org_field: str, *region_fields: str) -> Q:
    """Rows whose org_field is the actor's own organisation, wherever they lie (a UDD serves several kab/kota,
    ambulances cross borders), or an organisation below it when one of region_fields overlaps the actor's scope
    ("" = national: everything). For capabilities whose own work crosses borders (blood, dispatch)."""
    org_id = actor.organization_id
    if org_id is None:
        return Q(pk__in=[])
    q = Q(**{org_field: org_id})
    below = actor.org_ids - {org_id}
    if below:
        sub = Q(**{f"{org_field}__in": below})
        if actor.scope_code:
            area = Q(pk__in=[])
            for f in region_fields or ("region_code",):
                area |= region_overlap_q(f, actor.scope_code)
            sub &= area
        q |= sub
    return q


def in_tree(actor: Actor, org_id: int | None, *region_codes: str) -> bool:
    """The Python twin of tree_q for one row: own organisation anywhere, one below it only in the actor's area."""
    if actor.is_platform_admin:
        return True
    if org_id is None or org_id not in actor.org_ids:
        return False
    if org_id == actor.organization_id:
        return True
    return any(scopes_overlap(actor.scope_code, r or "") for r in (region_codes or ("",)))


def actor_for(user, membership_id: int | None = None) -> Actor | None:
    """The actor for a user: the chosen membership, else the first active one; None if none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    memberships = Membership.objects.filter(user=user, active=True, organization__active=True).select_related(
        "organization"
    ).order_by("pk")
    m = None
    if membership_id is not None:
        m = memberships.filter(pk=membership_id).first()
    if m is None:
        m = memberships.first()
    if m is None:
        if user.is_superuser:
            return Actor(user=user, membership=None, organization=None, role=None, is_platform_admin=True)
        return None
    return Actor(
        user=user,
        membership=m,
        organization=m.organization,
        role=m.role,
        scope_code=m.scope_code,
        is_platform_admin=bool(user.is_superuser),
    )


def system_actor() -> Actor:
    """The actor used by imports and the demo loader run from the command line."""
    return Actor(user=None, membership=None, organization=None, role=None, is_platform_admin=True)
