"""Duty rosters: shifts on units and at facilities, who fills them, copying a week forward, and the warnings.

A shift is one slot: a role (driver, nurse, doctor...) on a unit or at a station (a doctor on duty at a
hospital post) for a time. A slot without a member is uncovered. A person holds the qualification of
every role they fill and is never booked twice at once. Whether a unit may be dispatched is decided by
crewing.py from these rows; the warnings here show in advance where that will fail.

Reading needs unit.view and follows the organisation tree; a dispatch center also reads the rosters of
the units it dispatches. Writing needs roster.manage and one of the actor's own organisations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.geo.zones import zone_for_region
from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.permissions import Actor, PermissionDenied

from . import crewing
from .models import CrewMember, CrewQualification, Shift, Station, Unit

# Longer than a day is a typo far more often than a real shift (24-hour services run 24-hour shifts at most).
MAX_SHIFT = dt.timedelta(hours=24)
# A warning report or a copy over a longer stretch would load too many rows at once.
MAX_PERIOD = dt.timedelta(days=62)
MAX_COPY_WEEKS = 8
WEEK = dt.timedelta(days=7)


# --- reading ------------------------------------------------------------------------------------


def _manages(actor: Actor, organization_id: int) -> bool:
    return actor.is_platform_admin or organization_id in actor.org_ids


def visible_crew_members(actor: Actor) -> QuerySet:
    """The people an actor may roster: its organisations' crew members (phones included, so roster.manage)."""
    actor.require("roster.manage")
    return actor.scope_queryset(CrewMember.objects.select_related("organization", "user"))


def visible_shifts(actor: Actor) -> QuerySet:
    """Shifts of the actor's organisations, and of units its organisations dispatch (read only)."""
    actor.require("unit.view")
    qs = Shift.objects.select_related("unit", "station", "member", "organization")
    if actor.is_platform_admin:
        return qs
    return actor.scope_queryset(qs, shared_q=lambda ids: Q(unit__dispatch_center_id__in=ids))


def roster_units(actor: Actor) -> QuerySet:
    """Units whose rosters the actor reads: its organisations' own and those it dispatches."""
    actor.require("unit.view")
    qs = Unit.objects.select_related("station", "organization").filter(active=True)
    if actor.is_platform_admin:
        return qs
    return actor.scope_queryset(qs, shared_q=lambda ids: Q(dispatch_center_id__in=ids))


def roster_stations(actor: Actor) -> QuerySet:
    actor.require("unit.view")
    return actor.scope_queryset(Station.objects.select_related("organization").filter(active=True))


def shifts_between(actor: Actor, start: dt.datetime, end: dt.datetime, *, unit_id: int | None = None,
                   station_id: int | None = None, member_id: int | None = None) -> QuerySet:
    """Visible shifts overlapping [start, end), optionally of one unit, one station or one person."""
    _check_period(start, end)
    qs = visible_shifts(actor).filter(starts_at__lt=end, ends_at__gt=start)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if station_id is not None:
        qs = qs.filter(station_id=station_id)
    if member_id is not None:
        qs = qs.filter(member_id=member_id)
    return qs.order_by("starts_at", "pk")


def get_shift(actor: Actor, shift_id: int) -> Shift:
    shift = visible_shifts(actor).filter(pk=shift_id).first()
    if shift is None:
        raise NotFound(_("Shift not found."))
    return shift


# --- checks --------------------------------------------------------------------------------------


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise ServiceError(_("%(name)s is not a date and time.") % {"name": name}, code="invalid_time")
    if timezone.is_naive(value):
        raise ServiceError(_("%(name)s needs its time zone.") % {"name": name}, code="naive_time")
    return value


def _check_period(start: dt.datetime, end: dt.datetime, limit: dt.timedelta = MAX_PERIOD) -> None:
    _aware(start, _("Start"))
    _aware(end, _("End"))
    if end <= start:
        raise ServiceError(_("The end must come after the start."), code="invalid_range")
    if end - start > limit:
        raise ServiceError(_("Choose at most %(days)d days.") % {"days": limit.days}, code="range_too_long")


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    _aware(starts_at, _("Start"))
    _aware(ends_at, _("End"))
    if ends_at <= starts_at:
        raise ServiceError(_("A shift must end after it starts."), code="invalid_range")
    if ends_at - starts_at > MAX_SHIFT:
        raise ServiceError(_("A shift lasts at most %(h)d hours.") % {"h": MAX_SHIFT.total_seconds() // 3600},
                           code="shift_too_long")


def _check_role(role: str) -> str:
    if role not in CrewQualification.values:
        raise ServiceError(_("Unknown role: %(role)s.") % {"role": str(role)[:30]}, code="invalid_role")
    return role


def _member_for(actor: Actor, member_id: int) -> CrewMember:
    """Lock the person's row: two dispatchers booking one nurse at once are served one after the other."""
    member = CrewMember.objects.select_for_update().filter(pk=member_id).first()
    if member is None or not _manages(actor, member.organization_id):
        raise NotFound(_("Crew member not found."))
    return member


def overlapping_shifts(member_id: int, starts_at: dt.datetime, ends_at: dt.datetime, *, exclude=None) -> QuerySet:
    qs = Shift.objects.filter(member_id=member_id, starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.select_related("unit", "station")


def _slot_name(shift: Shift) -> str:
    if shift.unit_id:
        return shift.unit.call_sign
    return shift.station.name if shift.station_id else "-"


def _check_member(member: CrewMember, role: str, starts_at, ends_at, *, exclude=None) -> None:
    if not member.active:
        raise ServiceError(_("%(name)s is no longer active.") % {"name": member.name}, code="member_inactive")
    if role not in (member.qualifications or []):
        raise ServiceError(
            _("%(name)s is not qualified as %(role)s.") % {"name": member.name, "role": CrewQualification(role).label},
            code="not_qualified", details={"member_id": member.pk, "role": role,
                                           "qualifications": list(member.qualifications or [])})
    clash = overlapping_shifts(member.pk, starts_at, ends_at, exclude=exclude).first()
    if clash is not None:
        tz = zone_for_region(clash.region_code)

        def local(t):
            return t.astimezone(tz)

        raise Conflict(
            _("%(name)s is already on duty on %(slot)s from %(start)s to %(end)s.")
            % {"name": member.name, "slot": _slot_name(clash),
               "start": local(clash.starts_at).strftime("%Y-%m-%d %H:%M"),
               "end": local(clash.ends_at).strftime("%Y-%m-%d %H:%M")},
            code="double_booked", details={"member_id": member.pk, "shift_id": clash.pk})


def _place(actor: Actor, unit, station) -> tuple[Unit | None, Station | None]:
    """The unit or station a shift belongs to, which the actor must manage."""
    if (unit is None) == (station is None):
        raise ServiceError(_("A shift is on one unit or at one station."), code="unit_or_station")
    if unit is not None:
        obj = Unit.objects.filter(pk=getattr(unit, "pk", unit)).first()
        if obj is None or not (_manages(actor, obj.organization_id) and actor.can_see(obj.organization_id,
                                                                                       obj.region_code)):
            raise NotFound(_("Unit not found."))
        return obj, None
    obj = Station.objects.filter(pk=getattr(station, "pk", station)).first()
    if obj is None or not (_manages(actor, obj.organization_id) and actor.can_see(obj.organization_id,
                                                                                   obj.region_code)):
        raise NotFound(_("Station not found."))
    return None, obj


def _lock_shift(actor: Actor, shift_id: int) -> Shift:
    actor.require("roster.manage")
    shift = get_shift(actor, shift_id)
    if not _manages(actor, shift.organization_id):
        raise PermissionDenied(_("Only the unit's own organisation can change its roster."))
    return Shift.objects.select_for_update(of=("self",)).select_related("unit", "station", "member").get(pk=shift.pk)


# --- writing -------------------------------------------------------------------------------------


@transaction.atomic
def create_shift(actor: Actor, *, role: str, starts_at: dt.datetime, ends_at: dt.datetime, unit=None,
                 station=None, member: CrewMember | int | None = None, note: str = "") -> Shift:
    """A new slot on a unit or at a station; with a member it is covered at once."""
    actor.require("roster.manage")
    unit, station = _place(actor, unit, station)
    _check_role(role)
    _check_times(starts_at, ends_at)
    owner = unit or station
    region_code = owner.region_code or owner.organization.region_code
    actor.require_region(region_code)
    person = None
    if member is not None:
        person = _member_for(actor, getattr(member, "pk", member))
        _check_member(person, role, starts_at, ends_at)
    shift = Shift.objects.create(organization_id=owner.organization_id, unit=unit, station=station, role=role,
                                 member=person, starts_at=starts_at, ends_at=ends_at, region_code=region_code or "",
                                 note=(note or "")[:300])
    audit.created(actor, shift)
    _announce([shift.unit_id])
    return shift


def _announce(unit_ids) -> None:
    """Tell consoles a unit's crew may have changed (its dispatchability with it)."""
    from siaga.core.events import emit

    from . import crewing
    from .services import shared_region, unit_parties

    now = timezone.now()
    units = list(Unit.objects.filter(pk__in={u for u in unit_ids if u}))
    crewed = crewing.crewed_among(units, now)
    for unit in units:
        emit("roster.updated", {"unit_id": unit.pk, "call_sign": unit.call_sign,
                                "organization_id": unit.organization_id, "crewed_now": unit.pk in crewed},
             organization=unit.organization_id, region_code=shared_region(unit.region_code),
             shared_with=unit_parties(unit))


@transaction.atomic
def update_shift(actor: Actor, shift_id: int, *, role: str | None = None, starts_at: dt.datetime | None = None,
                 ends_at: dt.datetime | None = None, note: str | None = None) -> Shift:
    """Move or change a slot; its member must still hold the role and be free for the new times."""
    shift = _lock_shift(actor, shift_id)
    before = audit.snapshot(shift)
    if role is not None:
        shift.role = _check_role(role)
    if starts_at is not None:
        shift.starts_at = starts_at
    if ends_at is not None:
        shift.ends_at = ends_at
    if note is not None:
        shift.note = note[:300]
    _check_times(shift.starts_at, shift.ends_at)
    if shift.member_id:
        _check_member(_member_for(actor, shift.member_id), shift.role, shift.starts_at, shift.ends_at,
                      exclude=shift.pk)
    shift.save()
    audit.updated(actor, shift, before)
    _announce([shift.unit_id])
    return shift


@transaction.atomic
def assign(actor: Actor, shift_id: int, member_id: int | None) -> Shift:
    """Put a person on a slot (replacing whoever was on it), or leave it uncovered with None."""
    shift = _lock_shift(actor, shift_id)
    before = audit.snapshot(shift)
    if member_id is None:
        shift.member = None
    else:
        person = _member_for(actor, member_id)
        _check_member(person, shift.role, shift.starts_at, shift.ends_at, exclude=shift.pk)
        shift.member = person
    shift.save(update_fields=["member"])
    audit.updated(actor, shift, before)
    _announce([shift.unit_id])
    return shift


def unassign(actor: Actor, shift_id: int) -> Shift:
    return assign(actor, shift_id, None)


@transaction.atomic
def delete_shift(actor: Actor, shift_id: int) -> None:
    shift = _lock_shift(actor, shift_id)
    before = audit.snapshot(shift)
    audit.deleted(actor, shift, before)
    unit_id = shift.unit_id
    shift.delete()
    _announce([unit_id])


@dataclass
class CopyResult:
    created: list[Shift] = field(default_factory=list)
    skipped: int = 0  # the slot already existed in the target week
    # Slots copied uncovered because their person is already booked then: (new shift, member name).
    uncovered: list[tuple[Shift, str]] = field(default_factory=list)


@transaction.atomic
def copy_week(actor: Actor, *, week_start: dt.datetime, weeks: int = 1, unit_id: int | None = None,
              station_id: int | None = None, with_members: bool = True) -> CopyResult:
    """Repeat the shifts starting in [week_start, week_start + 7 days) for the following `weeks` weeks.

    Copying twice does not duplicate: a slot with the same place, role and times is left alone. A person
    already booked at the new time (or no longer active or qualified) is left off: the copy is made uncovered
    and reported.
    """
    actor.require("roster.manage")
    _aware(week_start, _("Start"))
    if not 1 <= int(weeks) <= MAX_COPY_WEEKS:
        raise ServiceError(_("Copy to between 1 and %(n)d weeks.") % {"n": MAX_COPY_WEEKS}, code="invalid_weeks")
    source = visible_shifts(actor).filter(starts_at__gte=week_start, starts_at__lt=week_start + WEEK)
    if not actor.is_platform_admin:
        source = source.filter(organization_id__in=actor.org_ids)
    if unit_id is not None:
        source = source.filter(unit_id=unit_id)
    if station_id is not None:
        source = source.filter(station_id=station_id)
    result = CopyResult()
    for shift in source.order_by("starts_at", "pk"):
        for k in range(1, int(weeks) + 1):
            starts_at, ends_at = shift.starts_at + k * WEEK, shift.ends_at + k * WEEK
            if Shift.objects.filter(unit_id=shift.unit_id, station_id=shift.station_id, role=shift.role,
                                    starts_at=starts_at, ends_at=ends_at).exists():
                result.skipped += 1
                continue
            member = shift.member if with_members and shift.member_id else None
            lost = None
            if member is not None:
                member = _member_for(actor, member.pk)
                if (not member.active or shift.role not in (member.qualifications or [])
                        or overlapping_shifts(member.pk, starts_at, ends_at).exists()):
                    lost, member = member.name, None
            new = Shift.objects.create(organization_id=shift.organization_id, unit_id=shift.unit_id,
                                       station_id=shift.station_id, role=shift.role, member=member,
                                       starts_at=starts_at, ends_at=ends_at, region_code=shift.region_code,
                                       note=shift.note)
            audit.created(actor, new)
            result.created.append(new)
            if lost:
                result.uncovered.append((new, lost))
    _announce([s.unit_id for s in result.created])
    return result


# --- warnings ------------------------------------------------------------------------------------


def _gaps(kind: str, start: dt.datetime, end: dt.datetime, shifts: list[Shift]) -> list[dict]:
    """Stretches of [start, end) in which the covered shifts leave a required role open, merged."""
    points = {start, end}
    for s in shifts:
        points.add(max(s.starts_at, start))
        points.add(min(s.ends_at, end))
    edges = sorted(p for p in points if start <= p <= end)
    out: list[dict] = []
    for a, b in zip(edges, edges[1:]):
        roles = {s.role for s in shifts if s.starts_at <= a and s.ends_at >= b}
        missing = crewing.missing_roles(kind, roles)
        if not missing:
            continue
        missing = [list(need) for need in missing]
        if out and out[-1]["ends_at"] == a and out[-1]["missing"] == missing:
            out[-1]["ends_at"] = b
        else:
            out.append({"starts_at": a, "ends_at": b, "missing": missing})
    return out


def roster_warnings(actor: Actor, start: dt.datetime, end: dt.datetime, *, unit_id: int | None = None) -> dict:
    """What will go wrong in [start, end): uncovered slots, units lacking a required role, people booked twice.

    {"uncovered": [Shift...], "undercrewed": [{"unit", "starts_at", "ends_at", "missing": [[roles...]...]}],
     "double_booked": [{"member", "first", "second"}]}; a unit crewed without a roster never lacks crew.
    """
    _check_period(start, end)
    start, end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
    shifts = list(shifts_between(actor, start, end, unit_id=unit_id))
    uncovered = [s for s in shifts if s.member_id is None]
    units = roster_units(actor).filter(always_crewed=False)
    if unit_id is not None:
        units = units.filter(pk=unit_id)
    covered: dict[int, list[Shift]] = {}
    for s in shifts:
        if s.unit_id and s.member_id and s.member.active:
            covered.setdefault(s.unit_id, []).append(s)
    undercrewed = []
    for unit in units.order_by("call_sign", "pk"):
        for gap in _gaps(unit.kind, start, end, covered.get(unit.pk, [])):
            undercrewed.append({"unit": unit, **gap})
    by_member: dict[int, list[Shift]] = {}
    for s in shifts:
        if s.member_id:
            by_member.setdefault(s.member_id, []).append(s)
    double = []
    for mine in by_member.values():
        mine.sort(key=lambda s: (s.starts_at, s.pk))
        for i, first in enumerate(mine):
            for second in mine[i + 1:]:
                if second.starts_at >= first.ends_at:
                    break
                double.append({"member": first.member, "first": first, "second": second})
    undercrewed.sort(key=lambda w: (w["starts_at"], w["unit"].call_sign))
    return {"uncovered": uncovered, "undercrewed": undercrewed, "double_booked": double}
