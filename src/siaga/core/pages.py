"""What every page of every app shares: who is asking, the refusal pages, and audit rows for display."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from .errors import NotFound
from .models import AuditLog
from .permissions import PermissionDenied

# Bookkeeping columns every row has; listing them in each record only hides the real change.
AUDIT_HIDDEN_FIELDS = frozenset({"id", "created_at", "updated_at"})


def get_actor(request):
    """request.actor unwrapped to None when there is none (the middleware sets a lazy object)."""
    actor = getattr(request, "actor", None)
    return actor if actor else None


def render_error(request, status: int, message: str = ""):
    return render(request, f"{status}.html", {"message": message}, status=status)


def no_membership(request):
    return render(request, "web/no_membership.html", status=403)


def page(perm: str | None = None):
    """Login required, an actor required (else a friendly page), optional permission; the view gets the actor.

    Service refusals become the 403 and 404 pages, so views just call services and let them decide.
    """

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            actor = get_actor(request)
            if actor is None:
                return no_membership(request)
            try:
                if perm:
                    actor.require(perm)
                response = view(request, actor, *args, **kwargs)
            except PermissionDenied as exc:
                return render_error(request, 403, exc.message)
            except NotFound as exc:
                return render_error(request, 404, exc.message)
            # Pages carry one user's or one organisation's data: never let a shared cache keep them.
            patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapper

    return decorate


def audit_rows(records, hidden_fields=AUDIT_HIDDEN_FIELDS):
    """Audit records with their changes as (field, before, after) rows, long values shortened."""

    def short(value):
        text = "—" if value in (None, "", {}, []) else str(value)
        return text if len(text) <= 80 else text[:79] + "…"

    for rec in records:
        changes = rec.changes if isinstance(rec.changes, dict) else {}
        rec.change_rows = [
            (field, short(pair[0]), short(pair[1]))
            for field, pair in changes.items()
            if isinstance(pair, (list, tuple)) and len(pair) == 2 and field not in hidden_fields
        ]
        # A new record has no "before": show its values alone.
        rec.is_create = rec.action == AuditLog.Action.CREATE
    return records
