"""Mutual-aid grants: may one organisation use another's unit, volunteer or items right now (or at a given time)?

A grant is not a separate record: it is an accepted mutual-aid request that has not been released or cancelled.
From acceptance until release (states accepted, dispatched, arrived) the borrower, and the organisations below
it, may use what the lender chose to lend; the lender's resources may belong to the lender or to the
organisations below it. The planned "needed until" date does not end a grant: help often stays longer than
planned, and only the borrower's release hands it back.

Other apps ask here instead of reading the tables: team activation (alerting another province's volunteers),
dispatch (sending a lent ambulance), volunteer lists (showing lent volunteers).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from siaga.core.models import Organization
from siaga.core.permissions import PermissionDenied

from .models import ACTIVE_STATES, LineKind, MutualAidRequest, MutualAidResource


def _org_id(org) -> int | None:
    if org is None:
        return None
    return int(org.pk if hasattr(org, "pk") else org)


def ancestors_or_self(org) -> set[int]:
    """The organisation's id and the ids of every organisation above it."""
    org_id = _org_id(org)
    if org_id is None:
        return set()
    parents = dict(Organization.objects.values_list("pk", "parent_id"))
    out: set[int] = set()
    while org_id is not None and org_id not in out:
        out.add(org_id)
        org_id = parents.get(org_id)
    return out


def active_q(at: dt.datetime | None = None, prefix: str = "") -> Q:
    """Requests whose grant holds at `at` (None: now, read from the current state)."""
    if at is None:
        return Q(**{f"{prefix}state__in": ACTIVE_STATES})
    return (Q(**{f"{prefix}accepted_at__isnull": False, f"{prefix}accepted_at__lte": at})
            & (Q(**{f"{prefix}released_at__isnull": True}) | Q(**{f"{prefix}released_at__gt": at}))
            & (Q(**{f"{prefix}cancelled_at__isnull": True}) | Q(**{f"{prefix}cancelled_at__gt": at})))


def covering_requests(borrower_org, lender_org=None, *, kind: str | None = None, unit_id: int | None = None,
                      volunteer_id: int | None = None, at: dt.datetime | None = None) -> QuerySet:
    """Requests whose grant lets borrower_org use the described resource of lender_org at `at`."""
    qs = MutualAidRequest.objects.filter(active_q(at), organization_id__in=ancestors_or_self(borrower_org))
    if lender_org is not None:
        qs = qs.filter(lender_id__in=ancestors_or_self(lender_org))
    res = _resource_q(kind, unit_id, volunteer_id)
    if res:
        qs = qs.filter(pk__in=MutualAidResource.objects.filter(res).values("request_id"))
    return qs


def _resource_q(kind, unit_id, volunteer_id) -> Q:
    q = Q()
    if kind:
        q &= Q(kind=kind)
    if unit_id is not None:
        q &= Q(unit_id=unit_id)
    if volunteer_id is not None:
        q &= Q(volunteer_id=volunteer_id)
    return q


def has_grant(borrower_org, lender_org, *, kind: str | None = None, unit_id: int | None = None,
              volunteer_id: int | None = None, at: dt.datetime | None = None) -> bool:
    """True while an accepted, dispatched or arrived request from borrower_org (or an organisation above it) to
    lender_org (or one above it) covers the resource: a kind of line, a unit id, a volunteer id, or, with none
    of them, anything at all. `at` asks about another moment (from acceptance until release or cancellation)."""
    if _org_id(borrower_org) is None or _org_id(lender_org) is None:
        return False
    if kind is not None and kind not in LineKind.values:
        raise ValueError(f"unknown mutual-aid kind {kind!r}")
    return covering_requests(borrower_org, lender_org, kind=kind, unit_id=unit_id, volunteer_id=volunteer_id,
                             at=at).exists()


def require_grant(borrower_org, lender_org, *, kind: str | None = None, unit_id: int | None = None,
                  volunteer_id: int | None = None, at: dt.datetime | None = None) -> None:
    """has_grant(), or PermissionDenied (code "no_mutual_aid_grant") saying what is not covered."""
    if has_grant(borrower_org, lender_org, kind=kind, unit_id=unit_id, volunteer_id=volunteer_id, at=at):
        return
    names = dict(Organization.objects.filter(pk__in=[_org_id(borrower_org), _org_id(lender_org)])
                 .values_list("pk", "name"))
    lender = names.get(_org_id(lender_org), "-")
    borrower = names.get(_org_id(borrower_org), "-")
    if volunteer_id is not None:
        what = _("volunteer #%(id)s") % {"id": volunteer_id}
    elif unit_id is not None:
        what = _("unit #%(id)s") % {"id": unit_id}
    elif kind:
        what = str(LineKind(kind).label).lower()
    else:
        what = _("any resource")
    raise PermissionDenied(
        _("%(lender)s has not lent %(what)s to %(borrower)s: there is no accepted mutual-aid request covering it "
          "(or it was already released).") % {"lender": lender, "what": what, "borrower": borrower},
        code="no_mutual_aid_grant",
    )


def lent_unit_ids(borrower_org, *, at: dt.datetime | None = None) -> set[int]:
    """Ids of the units (siaga.dispatch Unit) lent to borrower_org (or an organisation above it) at `at`."""
    return set(MutualAidResource.objects.filter(unit__isnull=False, request__in=covering_requests(borrower_org, at=at))
               .values_list("unit_id", flat=True))


def lent_units(borrower_org, *, at: dt.datetime | None = None) -> QuerySet:
    """The dispatch Units lent to borrower_org now: what its dispatchers could send besides their own."""
    from siaga.dispatch.models import Unit

    return Unit.objects.filter(pk__in=MutualAidResource.objects.filter(
        unit__isnull=False, request__in=covering_requests(borrower_org, at=at)).values("unit_id"))


def lent_volunteer_ids(borrower_org, *, at: dt.datetime | None = None) -> set[int]:
    """Ids of the volunteers lent to borrower_org (or an organisation above it) at `at`."""
    return set(MutualAidResource.objects.filter(volunteer__isnull=False,
                                                request__in=covering_requests(borrower_org, at=at))
               .values_list("volunteer_id", flat=True))


def lent_volunteers_q(org_ids, *, at: dt.datetime | None = None, prefix: str = "pk") -> Q:
    """Q(<prefix>__in=volunteers lent to any of org_ids): the shared_q for volunteers.visible_volunteers()."""
    ids: set[int] = set()
    for org_id in org_ids:
        ids |= lent_volunteer_ids(org_id, at=at)
    return Q(**{f"{prefix}__in": sorted(ids)})


def lent_now(resource_kind: str, resource_id: int) -> MutualAidRequest | None:
    """The active request a unit ("unit") or volunteer ("volunteer") is lent under right now, if any."""
    field = {"unit": "unit_id", "volunteer": "volunteer_id"}[resource_kind]
    return (MutualAidRequest.objects.filter(active_q(), pk__in=MutualAidResource.objects.filter(
        **{field: resource_id}).values("request_id")).order_by("-accepted_at").first())
