"""Who crews a unit right now: the roster decides whether a unit may be dispatched and whose phone it rings."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q

from .models import CrewMember, Shift, Unit, UnitKind

# The roles a unit needs aboard to be dispatchable; each inner tuple is "one of these". Override with
# SIAGA_DISPATCH_CREW_REQUIREMENTS. An ambulance without a driver and someone medical is not an ambulance.
_MEDIC = ("nurse", "paramedic", "doctor")
DEFAULT_CREW_REQUIREMENTS: dict[str, list[tuple[str, ...]]] = {
    UnitKind.AMBULANCE_BASIC: [("driver",), _MEDIC],
    UnitKind.AMBULANCE_ADVANCED: [("driver",), ("doctor", "nurse")],
    UnitKind.PATIENT_TRANSPORT: [("driver",)],
    UnitKind.FIRE_ENGINE: [("driver",), ("firefighter",)],
    UnitKind.RESCUE: [("driver",), ("rescuer", "firefighter")],
    UnitKind.MOTORCYCLE: [("paramedic", "nurse", "doctor")],
}


def crew_requirements(kind: str) -> list[tuple[str, ...]]:
    table = getattr(settings, "SIAGA_DISPATCH_CREW_REQUIREMENTS", None) or DEFAULT_CREW_REQUIREMENTS
    return [tuple(x) for x in table.get(kind, [("driver",)])]


def _on_shift_q(at: dt.datetime) -> Q:
    return Q(starts_at__lte=at, ends_at__gt=at, member__isnull=False, member__active=True)


def missing_roles(kind: str, roles: set[str]) -> list[tuple[str, ...]]:
    """The requirements the given roles on shift leave open (empty: fully crewed)."""
    return [need for need in crew_requirements(kind) if not roles.intersection(need)]


def crewed_unit_ids(unit_ids, at: dt.datetime) -> set[int]:
    """Of the given units, those crewed at `at`: always crewed, or every required role on shift."""
    return crewed_among(list(Unit.objects.filter(pk__in=list(unit_ids)).only("pk", "kind", "always_crewed")), at)


def crewed_among(units: list[Unit], at: dt.datetime) -> set[int]:
    """crewed_unit_ids for Unit objects already loaded (one query for the rostered ones, none for the rest)."""
    rostered = [u.pk for u in units if not u.always_crewed]
    roles: dict[int, set[str]] = {}
    if rostered:
        for unit_id, role in Shift.objects.filter(_on_shift_q(at), unit_id__in=rostered).values_list("unit_id",
                                                                                                    "role"):
            roles.setdefault(unit_id, set()).add(role)
    return {u.pk for u in units if u.always_crewed or not missing_roles(u.kind, roles.get(u.pk, set()))}


def is_crewed(unit: Unit, at: dt.datetime) -> bool:
    return unit.pk in crewed_unit_ids([unit.pk], at)


def units_of_user(user, at: dt.datetime) -> list[int]:
    """Units the user is rostered on at `at` (through their crew-member record)."""
    if user is None or not getattr(user, "pk", None):
        return []
    return sorted(set(Shift.objects.filter(_on_shift_q(at), member__user=user, unit__isnull=False)
                      .values_list("unit_id", flat=True)))


def is_crew_of(user, unit: Unit, at: dt.datetime) -> bool:
    """Is the user aboard this unit now: rostered on it, or a crew member of an always-crewed unit's organisation."""
    if unit.pk in units_of_user(user, at):
        return True
    if unit.always_crewed and user is not None and getattr(user, "pk", None):
        return CrewMember.objects.filter(user=user, organization_id=unit.organization_id, active=True).exists()
    return False
