"""Vein-to-vein traceability both ways: donor -> donation -> tests -> components -> issue -> hospital and patient,
and from a unit (or a patient's request) back to the donation and the donor.

Who sees what: the collecting UDD sees the whole chain; an organisation that holds a unit, or a hospital that
received it, sees that unit's chain with the tests and the donor by number only (never the donor's name).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext as _

from siaga.core.errors import NotFound
from siaga.core.permissions import Actor

from .models import BloodRequest, Component, ComponentEvent, Donation, IssueItem, Return, TransferItem


def _unit_visible_q(actor: Actor) -> Q:
    """Units held, collected, issued or received by our organisation (anywhere) or those below it (in our area)."""
    from siaga.core.permissions import tree_q

    return (tree_q(actor, "organization", "region_code") | tree_q(actor, "origin_organization", "region_code")
            | tree_q(actor, "issue_items__issue__hospital", "issue_items__issue__region_code",
                     "issue_items__issue__request__region_code")
            | tree_q(actor, "issue_items__issue__organization", "issue_items__issue__region_code"))


def _chain(actor: Actor, comps: list[Component]) -> list[dict]:
    """History, issue (hospital, patient), transfusion, transfers and returns of each unit (a fixed number of queries)."""
    ids = [c.pk for c in comps]
    history = defaultdict(list)
    for ev in ComponentEvent.objects.filter(component_id__in=ids).select_related("site").order_by("at", "pk"):
        history[ev.component_id].append(ev)
    issues = defaultdict(list)
    for ii in (IssueItem.objects.filter(component_id__in=ids)
               .select_related("issue__hospital", "issue__site", "issue__request", "request_line")
               .order_by("issue__issued_at")):
        issues[ii.component_id].append(ii)
    transfers = defaultdict(list)
    for ti in TransferItem.objects.filter(component_id__in=ids).select_related("transfer__from_site",
                                                                                "transfer__to_site"):
        transfers[ti.component_id].append(ti)
    returns = defaultdict(list)
    for r in Return.objects.filter(component_id__in=ids).order_by("returned_at"):
        returns[r.component_id].append(r)
    out = []
    for c in comps:
        items = issues[c.pk]
        out.append({"component": c, "history": history[c.pk], "issues": items,
                    "issue_item": items[-1] if items else None, "transfers": transfers[c.pk],
                    "returns": returns[c.pk]})
    return out


def _donation_part(actor: Actor, donation: Donation) -> dict:
    full = actor.is_platform_admin or actor.can_see(donation.organization_id, donation.region_code)
    return {"donation": donation, "full": full, "donor": donation.donor if full else None,
            "donor_number": donation.donor.number, "results": list(donation.results.all())}


def trace_component(actor: Actor, component_id: int) -> dict:
    """From one unit back to its donor and forward to the patient: the unit, its parent products, the donation,
    the tests, and every sibling unit of the same donation the actor may see."""
    actor.require("blood.view")
    qs = Component.objects.select_related("component_type", "site", "organization", "donation__donor",
                                          "donation__site", "parent__component_type")
    if not actor.is_platform_admin:
        qs = qs.filter(_unit_visible_q(actor)).distinct()
    comp = qs.filter(pk=component_id).first()
    if comp is None:
        raise NotFound(_("Unit not found."))
    part = _donation_part(actor, comp.donation)
    siblings = Component.objects.filter(donation_id=comp.donation_id).select_related(
        "component_type", "site", "organization")
    if not part["full"]:
        siblings = siblings.filter(_unit_visible_q(actor)).distinct()
    siblings = sorted(siblings, key=lambda c: (c.pk != comp.pk, c.component_type.sort_order, c.pk))
    parents = []
    p = comp.parent
    while p is not None and len(parents) < 5:
        parents.append(p)
        p = p.parent
    return {**part, "unit": comp, "parents": parents, "components": _chain(actor, siblings)}


def trace_request(actor: Actor, request_id: int) -> dict:
    """From a patient's request back to every donation and donor (by number) whose units the patient received."""
    from .services_issue import get_request

    req = get_request(actor, request_id)
    items = list(IssueItem.objects.filter(issue__request=req).select_related(
        "component__component_type", "component__donation__donor", "component__donation__site", "issue"))
    comps = [i.component for i in items]
    chains = {row["component"].pk: row for row in _chain(actor, comps)}
    donations = []
    for comp in comps:
        part = _donation_part(actor, comp.donation)
        donations.append({**part, "unit": comp, "chain": chains[comp.pk]})
    return {"request": req, "donations": donations}


def trace_donor(actor: Actor, donor_id: int) -> dict:
    """From a donor forward: every donation, its tests and units, and which hospital and patient received them."""
    from .services import get_donor

    donor = get_donor(actor, donor_id)
    donations = list(Donation.objects.filter(donor=donor).select_related("site").prefetch_related("results")
                     .order_by("-collected_at"))
    comps = list(Component.objects.filter(donation__donor=donor).select_related(
        "component_type", "site", "organization").order_by("donation_id", "component_type__sort_order", "pk"))
    chains = defaultdict(list)
    for row in _chain(actor, comps):
        chains[row["component"].donation_id].append(row)
    return {"donor": donor, "donations": [{"donation": d, "results": list(d.results.all()),
                                           "components": chains[d.pk]} for d in donations]}


def patients_of_donor(actor: Actor, donor_id: int) -> list[BloodRequest]:
    """The requests (patients) that received a unit of this donor: the list a lookback works from."""
    data = trace_donor(actor, donor_id)
    seen = {}
    for d in data["donations"]:
        for row in d["components"]:
            for ii in row["issues"]:
                seen[ii.issue.request_id] = ii.issue.request
    return list(seen.values())
