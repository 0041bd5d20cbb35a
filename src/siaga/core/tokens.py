"""API tokens for devices and other systems: shown once, stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from .models import ApiToken, Membership

PREFIX = "sg_"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(membership: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a token acting as membership; returns the row and the raw token (never stored)."""
    raw = PREFIX + secrets.token_urlsafe(32)
    tok = ApiToken.objects.create(membership=membership, name=name, token_hash=_hash(raw), prefix=raw[:8])
    return tok, raw


def resolve(raw: str) -> ApiToken | None:
    if not raw or not raw.startswith(PREFIX):
        return None
    tok = (
        ApiToken.objects.select_related("membership__user", "membership__organization")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, membership__active=True)
        .first()
    )
    if tok is None or not tok.membership.user.is_active:
        return None
    now = timezone.now()
    if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=tok.pk).update(last_used_at=now)
    return tok
