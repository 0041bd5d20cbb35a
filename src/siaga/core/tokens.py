"""API tokens for devices and other systems: shown once, stored only as a SHA-256 hash, limited by scopes.

A token acts as one membership. Its scopes are a subset of that membership role's permissions (an ambulance
tracker needs only `position.create`); a token may expire; rotation issues a successor with the same membership
and scopes and keeps the old one working for a grace period, so a fleet of trackers can be re-provisioned
without a gap. Revocation is immediate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .errors import NotFound, ServiceError
from .models import ApiToken, Membership
from .permissions import ROLE_PERMISSIONS, Actor

PREFIX = "sg_"
# How long a rotated token keeps working beside its successor, unless the rotation says otherwise.
DEFAULT_GRACE_HOURS = 24
MAX_GRACE_HOURS = 24 * 30


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_raw() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def issue(membership: Membership, name: str, *, scopes=(), expires_at=None, created_by=None,
          replaces: ApiToken | None = None) -> tuple[ApiToken, str]:
    """Create a token acting as membership; returns the row and the raw token (never stored).

    The low-level door (demo, tests, issue_token below). Empty scopes: all the role's permissions."""
    raw = _new_raw()
    tok = ApiToken.objects.create(membership=membership, name=name, token_hash=_hash(raw), prefix=raw[:8],
                                  scopes=sorted(scopes), expires_at=expires_at, created_by=created_by,
                                  replaces=replaces)
    return tok, raw


def live_q(now=None) -> Q:
    now = now or timezone.now()
    return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def resolve(raw: str) -> ApiToken | None:
    """The live token for raw (not revoked, not expired, membership and user active), or None."""
    if not raw or not raw.startswith(PREFIX):
        return None
    now = timezone.now()
    tok = (
        ApiToken.objects.select_related("membership__user", "membership__organization")
        .filter(live_q(now), token_hash=_hash(raw), membership__active=True)
        .first()
    )
    if tok is None or not tok.membership.user.is_active:
        return None
    if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > TOUCH_SECONDS:
        # Not written here: a thousand trackers would add a write per request to the hot path (and on SQLite
        # queue for its one write lock). Remembered, and written in one batch by the ticker (flush_last_used).
        with _used_lock:
            _used[tok.pk] = now
    return tok


# Token pk -> when it was last used, not yet written. A crash loses at most a minute of "last used" times.
_used: dict[int, dt.datetime] = {}
_used_lock = threading.Lock()
TOUCH_SECONDS = 60


def flush_last_used() -> int:
    """Write the remembered last-used times (every server process runs this each minute)."""
    with _used_lock:
        pending = dict(_used)
        _used.clear()
    if not pending:
        return 0
    rows = list(ApiToken.objects.filter(pk__in=pending).only("pk", "last_used_at"))
    for row in rows:
        row.last_used_at = pending[row.pk]
    ApiToken.objects.bulk_update(rows, ["last_used_at"], batch_size=500)
    return len(rows)


def scopes_of(tok: ApiToken) -> frozenset | None:
    return frozenset(tok.scopes) if tok.scopes else None


# --- services: who may issue, rotate and revoke ---------------------------------------------------------


def visible_tokens(actor: Actor):
    actor.require("membership.manage")
    qs = ApiToken.objects.select_related("membership__user", "membership__organization", "replaces")
    if not actor.is_platform_admin:
        qs = qs.filter(membership__organization_id__in=actor.org_ids)
    return qs.order_by("-created_at", "-id")


def get_token(actor: Actor, token_id: int) -> ApiToken:
    tok = visible_tokens(actor).filter(pk=token_id).first()
    if tok is None:
        raise NotFound(_("No such API token."))
    actor.require_see(tok.membership.organization_id, tok.membership.organization.region_code)
    return tok


def _check_scopes(membership: Membership, scopes) -> list[str]:
    scopes = sorted({str(s).strip() for s in scopes or () if str(s).strip()})
    if not scopes:
        raise ServiceError(_("Choose at least one permission the token may use."), code="scopes_required")
    allowed = ROLE_PERMISSIONS.get(membership.role, frozenset())
    outside = [s for s in scopes if s not in allowed]
    if outside:
        raise ServiceError(
            _("The role %(role)s does not have these permissions, so a token cannot either: %(perms)s.")
            % {"role": membership.get_role_display(), "perms": ", ".join(outside)},
            code="scope_outside_role", details={"scopes": outside})
    return scopes


def _expiry(expires_in_days) -> dt.datetime | None:
    if expires_in_days in (None, ""):
        days = getattr(settings, "SIAGA_TOKEN_DEFAULT_DAYS", 365)
    else:
        days = int(expires_in_days)
    if days < 0 or days > 3650:
        raise ServiceError(_("A token's lifetime must be between 0 (never expires) and 3650 days."),
                           code="invalid_expiry")
    return None if days == 0 else timezone.now() + dt.timedelta(days=days)


@transaction.atomic
def issue_token(actor: Actor, *, membership_id: int, name: str, scopes, expires_in_days=None) -> tuple[ApiToken, str]:
    """An administrator issues a token for a membership of an organisation they manage."""
    actor.require("membership.manage")
    membership = (Membership.objects.select_related("organization", "user")
                  .filter(pk=membership_id, active=True).first())
    if membership is None or not (actor.is_platform_admin or membership.organization_id in actor.org_ids):
        raise NotFound(_("No such membership."))
    actor.require_see(membership.organization_id, membership.organization.region_code)
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the token a name that says which device or system holds it."),
                           code="name_required")
    tok, raw = issue(membership, name[:100], scopes=_check_scopes(membership, scopes),
                     expires_at=_expiry(expires_in_days), created_by=actor.user)
    audit.created(actor, tok)
    return tok, raw


@transaction.atomic
def rotate_token(actor: Actor, token_id: int, *, grace_hours=None) -> tuple[ApiToken, str]:
    """A successor with the same membership, scopes and lifetime; the old token ends after the grace period."""
    old = get_token(actor, token_id)
    old = ApiToken.objects.select_for_update().select_related("membership__organization").get(pk=old.pk)
    now = timezone.now()
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise ServiceError(_("This token is already revoked or expired; issue a new one instead."),
                           code="token_not_live")
    if ApiToken.objects.filter(replaces=old).exists():
        raise ServiceError(_("This token has already been rotated."), code="already_rotated")
    grace = DEFAULT_GRACE_HOURS if grace_hours in (None, "") else int(grace_hours)
    if grace < 0 or grace > MAX_GRACE_HOURS:
        raise ServiceError(_("The grace period must be between 0 and %(max)s hours.") % {"max": MAX_GRACE_HOURS},
                           code="invalid_grace")
    lifetime = (old.expires_at - old.created_at) if old.expires_at else None
    new, raw = issue(old.membership, old.name, scopes=old.scopes,
                     expires_at=(now + lifetime) if lifetime else None, created_by=actor.user, replaces=old)
    before = audit.snapshot(old)
    end = now + dt.timedelta(hours=grace)
    if grace == 0:
        old.revoked_at = now
    elif old.expires_at is None or old.expires_at > end:
        old.expires_at = end
    old.save(update_fields=["revoked_at", "expires_at"])
    audit.updated(actor, old, before)
    audit.created(actor, new)
    return new, raw


@transaction.atomic
def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    tok = get_token(actor, token_id)
    tok = ApiToken.objects.select_for_update().get(pk=tok.pk)
    if tok.revoked_at is None:
        before = audit.snapshot(tok)
        tok.revoked_at = timezone.now()
        tok.save(update_fields=["revoked_at"])
        audit.updated(actor, tok, before)
    return tok


def status_of(tok: ApiToken, now=None) -> str:
    now = now or timezone.now()
    if tok.revoked_at is not None:
        return "revoked"
    if tok.expires_at is not None and tok.expires_at <= now:
        return "expired"
    return "active"
