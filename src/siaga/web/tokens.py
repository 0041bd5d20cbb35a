"""The administrator's page for device and system API tokens: issue with scopes, rotate, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from siaga.core import tokens
from siaga.core.errors import ServiceError
from siaga.core.models import Membership
from siaga.core.pages import page
from siaga.core.permissions import ROLE_PERMISSIONS


def _memberships(actor):
    qs = Membership.objects.select_related("user", "organization").filter(active=True)
    if not actor.is_platform_admin:
        qs = qs.filter(organization_id__in=actor.org_ids)
    return qs.order_by("organization__name", "user__username")[:500]


def _context(actor, **extra):
    rows = list(tokens.visible_tokens(actor)[:300])
    for t in rows:
        t.status = tokens.status_of(t)
    memberships = list(_memberships(actor))
    # Permissions offered as scopes: those any listed membership's role has, the service checks the exact role.
    perms = sorted(set().union(*(ROLE_PERMISSIONS.get(m.role, frozenset()) for m in memberships)) if memberships
                   else set())
    return {"tokens": rows, "memberships": memberships, "perms": perms, **extra}


@page("membership.manage")
def token_list(request, actor):
    issued = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "issue":
                tok, raw = tokens.issue_token(
                    actor, membership_id=int(request.POST.get("membership") or 0),
                    name=request.POST.get("name", ""), scopes=request.POST.getlist("scopes"),
                    expires_in_days=request.POST.get("expires_in_days") or None)
                issued = (tok, raw)
            elif action == "rotate":
                tok, raw = tokens.rotate_token(actor, int(request.POST.get("token") or 0),
                                               grace_hours=request.POST.get("grace_hours") or None)
                issued = (tok, raw)
            elif action == "revoke":
                tok = tokens.revoke_token(actor, int(request.POST.get("token") or 0))
                messages.success(request, _("Token %(name)s (%(prefix)s…) is revoked.")
                                 % {"name": tok.name, "prefix": tok.prefix})
                return redirect("web:tokens")
        except (ServiceError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", None) or _("Check the form: a number is not valid."))
            return render(request, "web/tokens.html", _context(actor), status=400)
    # A raw token is shown on this one answer only; reloading the page does not show it again.
    response = render(request, "web/tokens.html", _context(actor, issued=issued))
    return response
