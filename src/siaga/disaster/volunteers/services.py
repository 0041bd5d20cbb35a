"""Write path of the volunteer registry: registration, updates, status, certificates, and merging duplicates.

Every function takes the actor first, checks permission, runs in one transaction, writes the audit
trail and queues its events (topic "volunteers"). Other apps change a volunteer's status only through
set_status(); they read volunteers through visible_volunteers() / own_volunteer().

Who sees what:
- volunteer.view (disaster managers): volunteers of their organisation and the organisations below
  it whose home kelurahan lies in their area; volunteer.manage to change them.
- volunteer.respond (volunteers): only their own record, the one whose `user` is them.
- Another province's volunteer is visible only as the other side of a merge candidate, with minimal
  fields (candidate_view()), so that one person can end up with one record across provinces.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import Conflict, NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.permissions import Actor, PermissionDenied

from . import matching
from .models import Certificate, MatchCandidate, Skill, Volunteer

log = logging.getLogger(__name__)

STATUSES = frozenset(Volunteer.Status.values)
# What a volunteer may set on their own record; "deployed" comes from a team assignment.
SELF_STATUSES = frozenset({Volunteer.Status.AVAILABLE, Volunteer.Status.RESTING, Volunteer.Status.UNAVAILABLE})


# --- reading ------------------------------------------------------------------------------------


def visible_volunteers(actor: Actor, *, include_merged: bool = False, shared_q: Q | None = None) -> QuerySet:
    """The volunteer records an actor may see.

    volunteer.view: the actor's organisations' volunteers inside its area (plus shared_q, for callers
    that hold an explicit sharing record such as a mutual-aid grant). volunteer.respond only: the
    actor's own record (Volunteer.user == actor.user). Records merged into another are left out
    unless include_merged. Anyone else: PermissionDenied.
    """
    qs = Volunteer.objects.all()
    if not include_merged:
        qs = qs.filter(merged_into__isnull=True)
    if actor.has("volunteer.view"):
        return actor.scope_queryset(qs, shared_q=shared_q)
    if actor.has("volunteer.respond"):
        own = own_volunteer(actor)
        return qs.filter(pk=own.pk) if own is not None else qs.none()
    actor.require("volunteer.view")
    return qs.none()  # pragma: no cover - require() raised


def own_volunteer(actor: Actor) -> Volunteer | None:
    """The actor's own volunteer record (Volunteer.user), following a merge to the record kept; None if none."""
    if not actor.user_id:
        return None
    v = Volunteer.objects.filter(user_id=actor.user_id).select_related("organization").first()
    while v is not None and v.merged_into_id:
        v = Volunteer.objects.select_related("organization").get(pk=v.merged_into_id)
    return v


def get_volunteer(actor: Actor, volunteer_id: int, *, include_merged: bool = True) -> Volunteer:
    """One visible volunteer; a record the actor may not see does not exist for it (404)."""
    v = (visible_volunteers(actor, include_merged=include_merged).select_related("organization", "merged_into", "user")
         .filter(pk=volunteer_id).first())
    if v is None:
        raise NotFound(_("Volunteer not found."))
    return v


def _volunteer_id(volunteer) -> int:
    return volunteer.pk if isinstance(volunteer, Volunteer) else int(volunteer)


def _lock(volunteer_id: int) -> Volunteer:
    v = Volunteer.objects.select_for_update().filter(pk=volunteer_id).first()
    if v is None:
        raise NotFound(_("Volunteer not found."))
    return v


def _require_manage(actor: Actor, v: Volunteer) -> None:
    """volunteer.manage on a record of the actor's organisations inside its area (404 when not visible)."""
    actor.require("volunteer.manage")
    if not actor.can_see(v.organization_id, v.region_code):
        raise NotFound(_("Volunteer not found."))


def _require_not_merged(v: Volunteer) -> None:
    if v.merged_into_id:
        raise ServiceError(_("This record was merged into volunteer #%(id)s; change that record instead.")
                           % {"id": v.merged_into_id}, code="volunteer_merged", details={"merged_into": v.merged_into_id})


# --- status -------------------------------------------------------------------------------------


@transaction.atomic
def set_status(actor: Actor, volunteer, status: str, *, reason: str = "", system: bool = False) -> Volunteer:
    """Set a volunteer's status (available, deployed, resting, unavailable) and announce it.

    `volunteer` is a Volunteer or its id. Records status_changed_at, writes the audit record (with
    the reason) and emits volunteer.status_changed on topic "volunteers". Setting the status the
    record already has changes nothing and emits nothing (safe to retry).

    Permission, unless system=True: volunteer.manage on a volunteer of the actor's organisations
    inside its area, or volunteer.respond on the actor's own record (Volunteer.user) for available,
    resting and unavailable (a volunteer becomes "deployed" through a team assignment, not by saying so).

    system=True is for another service acting on a record it has already authorised for this actor:
    e.g. siaga.disaster.teams assigning a volunteer to a team (deployed) or releasing them (resting),
    after its own check that the disaster manager may assign that volunteer (a mutual-aid grant may
    cover a volunteer of another province, which this module's own check would refuse). The actor
    is still recorded in the audit trail and `system` is carried in the event. Never pass
    system=True with input the caller has not checked.
    """
    if status not in STATUSES:
        raise ServiceError(_("Unknown volunteer status: %(status)s.") % {"status": status}, code="invalid_status",
                           details={"status": status, "allowed": sorted(STATUSES)})
    v = _lock(_volunteer_id(volunteer))
    if not system:
        own = bool(actor.user_id) and v.user_id == actor.user_id and actor.has("volunteer.respond")
        if own and not actor.has("volunteer.manage"):
            if status not in SELF_STATUSES:
                raise PermissionDenied(_("A volunteer becomes deployed through a team assignment."))
        elif not own:
            _require_manage(actor, v)
    _require_not_merged(v)
    if v.status == status:
        return v
    before = audit.snapshot(v)
    old = v.status
    v.status = status
    v.status_changed_at = timezone.now()
    v.save(update_fields=["status", "status_changed_at", "updated_at"])
    changes = audit.diff(before, audit.snapshot(v))
    changes.pop("updated_at", None)
    if reason:
        changes["reason"] = [None, reason[:300]]
    if system:
        changes["system"] = [None, True]
    audit.record(actor, "update", v, changes)
    emit("volunteer.status_changed",
         {"id": v.pk, "organization_id": v.organization_id, "region_code": v.region_code, "name": v.name,
          "old_status": old, "status": status, "status_changed_at": v.status_changed_at, "reason": reason[:300],
          "system": system},
         organization=v.organization_id, region_code=v.region_code,
         # A system call from another organisation (a borrowing province's team assignment) follows it live too.
         shared_with=[actor.organization_id] if system and actor.organization_id not in (None, v.organization_id)
         else ())
    return v


# --- input checks -------------------------------------------------------------------------------


def _field_error(exc: ServiceError, field: str) -> ServiceError:
    """The same refusal, saying which form field it is about."""
    details = exc.details if isinstance(exc.details, dict) else {}
    return ServiceError(exc.message, code=exc.code, details={**details, "field": field}, status=exc.status)


def normalize_phone(raw: str) -> str:
    """E.164 ("0812-3456-7890" -> "+6281234567890"), Indonesia as the default region; required."""
    from siaga.callcenter.phones import normalize_phone as _normalize  # the one phonenumbers wrapper

    try:
        return _normalize(raw, required=True)
    except ServiceError as exc:
        raise _field_error(exc, "phone") from None


def mask_phone(e164: str) -> str:
    """"+6281234567890" -> "+62812****7890": enough for a reviewer to compare, not to call."""
    if len(e164) < 9:
        return "*" * len(e164)
    return e164[:6] + "*" * (len(e164) - 10) + e164[-4:]


def check_nik(raw: str, birth_date: dt.date | None = None, sex: str = "") -> tuple[str, dt.date, str]:
    """(normalised NIK, birth date, sex): the NIK checked with siaga.health.nik; birth date and sex,
    when given, must agree with the NIK, and are read from it when not."""
    from siaga.health import nik as nikmod

    try:
        nik = nikmod.normalize(raw)
        parts = nikmod.parse(nik)
        if birth_date is None:
            year = 2000 + parts.year_2
            # Volunteers are adults: a two-digit year that would make them younger than 15 is last century.
            if year > timezone.localdate().year - 15:
                year -= 100
            try:
                birth_date = dt.date(year, parts.month, parts.day)
            except ValueError:
                raise nikmod.NikError("nik_birth_date",
                                      _("The birth date inside the NIK (digits 7-12) is not a real date.")) from None
        sex = sex or ("F" if parts.female else "M")
        if sex not in ("M", "F"):
            raise ServiceError(_("Sex is M or F."), code="invalid_sex", details={"field": "sex"})
        nikmod.check_matches(parts, birth_date, sex)
        nikmod.check_region(parts)
    except nikmod.NikError as exc:
        raise ServiceError(exc.message, code=exc.code, details={"field": "nik"}) from None
    return nik, birth_date, sex


def check_kelurahan(actor: Actor, code: str) -> tuple[str, float | None, float | None]:
    """A known desa/kelurahan code inside the actor's area; returns it with its centroid."""
    from siaga.geo.models import Level, Region

    code = (code or "").strip()
    region = Region.objects.filter(code=code).only("code", "level", "lat", "lng").first() if code else None
    if region is None:
        raise ServiceError(_("Unknown region code: %(code)s.") % {"code": code or "-"}, code="unknown_region",
                           details={"field": "region_code", "region_code": code})
    if region.level != Level.VILLAGE:
        raise ServiceError(_("The home region must be a kelurahan/desa (a code like 35.76.01.1006), not %(code)s.")
                           % {"code": code}, code="region_not_kelurahan", details={"field": "region_code"})
    actor.require_region(code)
    return code, region.lat, region.lng


def _skills(codes) -> list[Skill]:
    codes = sorted({c.strip() for c in (codes or ()) if c and c.strip()})
    found = list(Skill.objects.filter(code__in=codes))
    unknown = sorted(set(codes) - {s.code for s in found})
    if unknown:
        raise ServiceError(_("Unknown skill: %(codes)s.") % {"codes": ", ".join(unknown)}, code="unknown_skill",
                           details={"field": "skills", "unknown": unknown})
    return found


def _blood(abo: str, rhd: str) -> tuple[str, str]:
    from siaga.blood.models import ABO, RhD

    if abo not in ("", *ABO.values):
        raise ServiceError(_("Unknown ABO group: %(v)s.") % {"v": abo}, code="invalid_blood_group",
                           details={"field": "blood_abo"})
    if rhd not in ("", *RhD.values):
        raise ServiceError(_("Unknown RhD: %(v)s.") % {"v": rhd}, code="invalid_blood_group",
                           details={"field": "blood_rhd"})
    if rhd and not abo:
        raise ServiceError(_("Give the ABO group with the RhD."), code="invalid_blood_group",
                           details={"field": "blood_abo"})
    return abo, rhd


def _name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if len(name) < 2:
        raise ServiceError(_("A name is required."), code="name_required", details={"field": "name"})
    if len(name) > 200:
        raise ServiceError(_("The name is too long (200 characters at most)."), code="name_too_long",
                           details={"field": "name"})
    return name


def _organization(actor: Actor, organization):
    from siaga.core.models import Organization

    if organization is None:
        if actor.organization is None:
            raise ServiceError(_("Choose the organisation that registers the volunteer."),
                               code="organization_required", details={"field": "organization_id"})
        return actor.organization
    org_id = organization.pk if hasattr(organization, "pk") else int(organization)
    org = Organization.objects.filter(pk=org_id, active=True).first()
    if org is None or not (actor.is_platform_admin or org.pk in actor.org_ids):
        raise NotFound(_("Organisation not found."))
    return org


def _link_user(actor: Actor, user_id: int | None, org, current: Volunteer | None = None):
    """A user account to link: one with an active membership in the volunteer's organisation tree, not linked yet."""
    if user_id is None:
        return None
    from siaga.core.models import Membership, User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    allowed = actor.org_ids if not actor.is_platform_admin else None
    has_membership = Membership.objects.filter(user_id=user_id, active=True)
    if allowed is not None:
        has_membership = has_membership.filter(organization_id__in=allowed)
    if user is None or not has_membership.exists():
        raise NotFound(_("User account not found in your organisation."))
    taken = Volunteer.objects.filter(user_id=user_id).exclude(pk=getattr(current, "pk", None)).first()
    if taken is not None:
        raise Conflict(_("This user account is already linked to volunteer #%(id)s.") % {"id": taken.pk},
                       code="user_already_linked", details={"field": "user_id", "volunteer_id": taken.pk})
    return user


def _duplicate_nik(org_id: int, nik_hash: str, exclude_pk=None) -> Volunteer | None:
    qs = Volunteer.objects.filter(organization_id=org_id, nik_hash=nik_hash)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _duplicate_error(existing: Volunteer) -> Conflict:
    kept = existing.merged_into_id or existing.pk
    return Conflict(_("A volunteer with this NIK is already registered in this organisation (volunteer #%(id)s).")
                    % {"id": kept}, code="duplicate_nik", details={"field": "nik", "volunteer_id": kept})


# --- registration ---------------------------------------------------------------------------------


@dataclass
class RegistrationResult:
    volunteer: Volunteer
    candidates: list[MatchCandidate]


# Rows compared in Python per registration at most (by NIK, phone, birth date or kelurahan).
CANDIDATE_POOL_LIMIT = 2000


def find_matches(volunteer: Volunteer) -> list[tuple[Volunteer, matching.Match]]:
    """Records of any organisation that may be the same person as `volunteer`, best first.

    The pool is every unmerged record sharing the NIK, the phone, the birth date or the home
    kelurahan; matching.score() decides which of them are likely. Used by register() and update().
    """
    cond = Q(region_code=volunteer.region_code)
    if volunteer.nik_hash:
        cond |= Q(nik_hash=volunteer.nik_hash)
    if volunteer.phone:
        cond |= Q(phone=volunteer.phone)
    if volunteer.birth_date:
        cond |= Q(birth_date=volunteer.birth_date)
    pool = (Volunteer.objects.filter(cond, merged_into__isnull=True).exclude(pk=volunteer.pk)
            .only("pk", "name", "nik_hash", "phone", "birth_date", "region_code", "organization_id")
            .order_by("-pk")[:CANDIDATE_POOL_LIMIT])
    me = matching.Identity.of(volunteer)
    out = []
    for other in pool:
        m = matching.score(me, matching.Identity.of(other))
        if m.likely:
            out.append((other, m))
    out.sort(key=lambda pair: (-pair[1].score, pair[0].pk))
    return out


def _open_candidates(volunteer: Volunteer) -> list[MatchCandidate]:
    opened = []
    for other, m in find_matches(volunteer):
        exists = MatchCandidate.objects.filter(Q(volunteer=volunteer, other=other) | Q(volunteer=other, other=volunteer))
        if exists.exists():
            continue
        cand = MatchCandidate.objects.create(volunteer=volunteer, other=other, score=m.score, reasons=m.reasons)
        opened.append(cand)
        emit("volunteer.match_opened", {"id": cand.pk, "volunteer_id": volunteer.pk, "other_id": other.pk,
                                        "score": m.score, "reasons": m.reasons},
             organization=volunteer.organization_id, region_code=volunteer.region_code,
             shared_with=[other.organization_id] if other.organization_id != volunteer.organization_id else ())
    return opened


def register(actor: Actor, *, name: str, nik: str, phone: str, region_code: str, organization=None,
             birth_date: dt.date | None = None, sex: str = "", blood_abo: str = "", blood_rhd: str = "",
             skills=(), availability_notes: str = "", user_id: int | None = None,
             lat: float | None = None, lon: float | None = None) -> RegistrationResult:
    """Register a volunteer with the actor's organisation (or one below it).

    Refused with nothing written: an invalid NIK (siaga.health.nik checks), a phone that is not a
    number, a home region that is not a known kelurahan in the actor's area, and the same NIK already
    registered in the same organisation (Conflict "duplicate_nik"). The same NIK in another
    organisation, or a likely match (same phone; similar name with the same birth date or kelurahan),
    still registers, and opens a MatchCandidate for the merge review queue.
    """
    actor.require("volunteer.manage")
    with transaction.atomic():
        org = _organization(actor, organization)
        name = _name(name)
        nik, birth_date, sex = check_nik(nik, birth_date, sex)
        phone = normalize_phone(phone)
        region_code, c_lat, c_lon = check_kelurahan(actor, region_code)
        abo, rhd = _blood(blood_abo, blood_rhd)
        skill_rows = _skills(skills)
        user = _link_user(actor, user_id, org)
        from siaga.health import nik as nikmod

        nik_hash = nikmod.nik_hash(nik)
        existing = _duplicate_nik(org.pk, nik_hash)
        if existing is not None:
            raise _duplicate_error(existing)
        if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
            raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_position",
                               details={"field": "lat"})
        v = Volunteer(organization=org, region_code=region_code, user=user, name=name, phone=phone,
                      lat=lat if lat is not None else c_lat, lon=lon if lon is not None else c_lon,
                      nik_hash=nik_hash, nik_masked=nikmod.mask(nik), birth_date=birth_date, sex=sex,
                      blood_abo=abo, blood_rhd=rhd, availability_notes=(availability_notes or "").strip()[:2000],
                      name_key=matching.normalize_name(name), status_changed_at=timezone.now())
        try:
            with transaction.atomic():
                v.save()
        except IntegrityError:
            # A concurrent registration of the same NIK won the race.
            existing = _duplicate_nik(org.pk, nik_hash)
            if existing is None:
                raise
            raise _duplicate_error(existing) from None
        v.skills.set(skill_rows)
        audit.created(actor, v)
        candidates = _open_candidates(v)
        emit("volunteer.registered", {"id": v.pk, "organization_id": org.pk, "region_code": region_code, "name": name,
                                      "status": v.status, "skills": [s.code for s in skill_rows],
                                      "match_candidates": len(candidates)},
             organization=org, region_code=region_code)
    return RegistrationResult(v, candidates)


# --- updates --------------------------------------------------------------------------------------

# What a volunteer may change on their own record; the rest is the manager's.
SELF_FIELDS = frozenset({"phone", "availability_notes"})
UPDATABLE = frozenset({"name", "nik", "birth_date", "sex", "phone", "region_code", "blood_abo", "blood_rhd",
                       "availability_notes", "skills", "user_id", "active", "lat", "lon"})


@transaction.atomic
def update_volunteer(actor: Actor, volunteer_id: int, **fields) -> Volunteer:
    """Change a volunteer's record (only the fields given). A volunteer may change their own phone and
    availability notes; everything else needs volunteer.manage. A changed NIK, phone, name or home
    kelurahan looks for matches again."""
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))},
                           code="invalid_field")
    v = _lock(volunteer_id)
    own = bool(actor.user_id) and v.user_id == actor.user_id and actor.has("volunteer.respond")
    if own and not actor.has("volunteer.manage"):
        if set(fields) - SELF_FIELDS:
            raise PermissionDenied(_("You may change only your phone number and availability notes."))
    else:
        _require_manage(actor, v)
    _require_not_merged(v)
    before = audit.snapshot(v)
    before_skills = sorted(v.skills.values_list("code", flat=True))
    from siaga.health import nik as nikmod

    if "name" in fields:
        v.name = _name(fields["name"])
        v.name_key = matching.normalize_name(v.name)
    if "nik" in fields or "birth_date" in fields or "sex" in fields:
        if "nik" in fields:
            nik, v.birth_date, v.sex = check_nik(fields["nik"], fields.get("birth_date"), fields.get("sex") or "")
            v.nik_hash, v.nik_masked = nikmod.nik_hash(nik), nikmod.mask(nik)
            dup = _duplicate_nik(v.organization_id, v.nik_hash, exclude_pk=v.pk)
            if dup is not None:
                raise _duplicate_error(dup)
        else:
            raise ServiceError(_("Birth date and sex come with the NIK: give the NIK again to change them."),
                               code="nik_required", details={"field": "nik"})
    if "phone" in fields:
        v.phone = normalize_phone(fields["phone"])
    if "region_code" in fields:
        v.region_code, c_lat, c_lon = check_kelurahan(actor, fields["region_code"])
        if "lat" not in fields:
            v.lat, v.lon = c_lat, c_lon
    if "blood_abo" in fields or "blood_rhd" in fields:
        v.blood_abo, v.blood_rhd = _blood(fields.get("blood_abo", v.blood_abo) or "", fields.get("blood_rhd", v.blood_rhd) or "")
    if "availability_notes" in fields:
        v.availability_notes = (fields["availability_notes"] or "").strip()[:2000]
    if "user_id" in fields:
        v.user = _link_user(actor, fields["user_id"], v.organization, current=v)
    if "active" in fields:
        v.active = bool(fields["active"])
    if "lat" in fields or "lon" in fields:
        lat, lon = fields.get("lat"), fields.get("lon")
        if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):
            raise ServiceError(_("Give both latitude and longitude, or neither."), code="invalid_position",
                               details={"field": "lat"})
        v.lat, v.lon = lat, lon
    try:
        with transaction.atomic():
            v.save()
    except IntegrityError:
        raise _duplicate_error(_duplicate_nik(v.organization_id, v.nik_hash, exclude_pk=v.pk) or v) from None
    changed = sorted(k for k, (a, b) in audit.diff(before, audit.snapshot(v)).items() if k != "updated_at")
    if "skills" in fields:
        rows = _skills(fields["skills"])
        v.skills.set(rows)
        after_skills = sorted(s.code for s in rows)
        if after_skills != before_skills:
            audit.record(actor, "update", v, {"skills": [before_skills, after_skills]})
            changed.append("skills")
    audit.updated(actor, v, before)
    if changed:
        if {"nik_hash", "phone", "name", "region_code", "birth_date"} & set(changed):
            _open_candidates(v)
        emit("volunteer.updated", {"id": v.pk, "changed": [c for c in changed if c not in ("nik_hash",)]},
             organization=v.organization_id, region_code=v.region_code)
    return v


# --- certificates -------------------------------------------------------------------------------

CERTIFICATE_FIELDS = frozenset({"kind", "name", "skill", "issuer", "issued_on", "expires_on"})


def _certificate_values(cert: Certificate, fields: dict) -> None:
    unknown = set(fields) - CERTIFICATE_FIELDS
    if unknown:
        raise ServiceError(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))},
                           code="invalid_field")
    if "kind" in fields:
        if fields["kind"] not in Certificate.Kind.values:
            raise ServiceError(_("Unknown kind: %(v)s.") % {"v": fields["kind"]}, code="invalid_kind",
                               details={"field": "kind"})
        cert.kind = fields["kind"]
    if "name" in fields:
        cert.name = " ".join((fields["name"] or "").split())[:200]
        if len(cert.name) < 2:
            raise ServiceError(_("A name is required."), code="name_required", details={"field": "name"})
    if "skill" in fields:
        code = fields["skill"] or ""
        cert.skill = _skills([code])[0] if code else None
    if "issuer" in fields:
        cert.issuer = (fields["issuer"] or "").strip()[:200]
    if "issued_on" in fields:
        cert.issued_on = fields["issued_on"]
    if "expires_on" in fields:
        cert.expires_on = fields["expires_on"]
    if cert.issued_on is None:
        raise ServiceError(_("The issue date is required."), code="issued_on_required", details={"field": "issued_on"})
    if cert.issued_on > timezone.localdate():
        raise ServiceError(_("The issue date cannot be in the future."), code="issued_in_future",
                           details={"field": "issued_on"})
    if cert.expires_on is not None and cert.expires_on < cert.issued_on:
        raise ServiceError(_("The expiry date is before the issue date."), code="expiry_before_issue",
                           details={"field": "expires_on"})


def _certificate_event(cert: Certificate, action: str, volunteer: Volunteer) -> None:
    emit("volunteer.certificate_changed",
         {"volunteer_id": volunteer.pk, "certificate_id": cert.pk, "action": action,
          "skill": cert.skill.code if cert.skill_id else "",
          "expires_on": cert.expires_on.isoformat() if cert.expires_on else None},
         organization=volunteer.organization_id, region_code=volunteer.region_code)


def visible_certificates(actor: Actor, volunteer_id: int) -> QuerySet:
    v = get_volunteer(actor, volunteer_id)
    return v.certificates.select_related("skill").order_by("-issued_on", "pk")


@transaction.atomic
def add_certificate(actor: Actor, volunteer_id: int, *, name: str, issued_on: dt.date, kind: str = "certificate",
                    skill: str = "", issuer: str = "", expires_on: dt.date | None = None,
                    system: bool = False) -> Certificate:
    """Record a completed training or a certificate of a volunteer (volunteer.manage).

    system=True, as for set_status(), is for another service that has authorised the write itself:
    siaga.disaster.readiness records a passed online training module on the volunteer's own record
    (Volunteer.user == actor.user), which the volunteer could not do with their own permissions.
    The audit record carries the actor and the system flag.
    """
    v = _lock(volunteer_id)
    if not system:
        _require_manage(actor, v)
    _require_not_merged(v)
    cert = Certificate(volunteer=v)
    _certificate_values(cert, {"kind": kind, "name": name, "skill": skill, "issuer": issuer, "issued_on": issued_on,
                               "expires_on": expires_on})
    cert.save()
    audit.created(actor, cert)
    if system:
        audit.record(actor, "update", cert, {"system": [None, True]})
    _certificate_event(cert, "created", v)
    return cert


def _certificate_for_update(actor: Actor, certificate_id: int) -> tuple[Certificate, Volunteer]:
    cert = Certificate.objects.select_for_update(of=("self",)).select_related("skill").filter(pk=certificate_id).first()
    if cert is None:
        raise NotFound(_("Certificate not found."))
    v = _lock(cert.volunteer_id)
    _require_manage(actor, v)
    _require_not_merged(v)
    return cert, v


@transaction.atomic
def update_certificate(actor: Actor, certificate_id: int, **fields) -> Certificate:
    cert, v = _certificate_for_update(actor, certificate_id)
    before = audit.snapshot(cert)
    _certificate_values(cert, fields)
    cert.save()
    if audit.updated(actor, cert, before) is not None:
        _certificate_event(cert, "updated", v)
    return cert


@transaction.atomic
def delete_certificate(actor: Actor, certificate_id: int) -> None:
    cert, v = _certificate_for_update(actor, certificate_id)
    before = audit.snapshot(cert)
    _certificate_event(cert, "deleted", v)
    cert.delete()
    cert.pk = before["id"]
    audit.deleted(actor, cert, before)


# --- lists ----------------------------------------------------------------------------------------


def list_volunteers(actor: Actor, *, status: str | None = None, skill: str | None = None, region: str | None = None,
                    q: str | None = None, valid_certificate_on: dt.date | None = None,
                    include_inactive: bool = False) -> QuerySet:
    """visible_volunteers() filtered: status, skill code, region code prefix (kab/kota, kecamatan...), name."""
    qs = visible_volunteers(actor)
    if not include_inactive:
        qs = qs.filter(active=True)
    if status:
        if status not in STATUSES:
            raise ServiceError(_("Unknown volunteer status: %(status)s.") % {"status": status}, code="invalid_status")
        qs = qs.filter(status=status)
    if skill:
        if valid_certificate_on:
            qs = qs.filter(Certificate.valid_q(valid_certificate_on, "certificates__"),
                           certificates__skill__code=skill).distinct()
        else:
            qs = qs.filter(skills__code=skill)
    if region:
        qs = qs.filter(Q(region_code=region) | Q(region_code__startswith=region + "."))
    if q:
        key = matching.normalize_name(q)
        cond = Q(name__icontains=q.strip())
        if key:
            cond |= Q(name_key__contains=key)
        qs = qs.filter(cond)
    return qs


def status_counts(qs: QuerySet) -> dict[str, int]:
    """{status: count} over a volunteer queryset, every status present (0 when none)."""
    counts = dict.fromkeys(Volunteer.Status.values, 0)
    for row in qs.order_by().values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


# --- merge review queue ---------------------------------------------------------------------------


def _side_q(actor: Actor, prefix: str) -> Q:
    from siaga.core.permissions import region_overlap_q

    cond = Q(**{f"{prefix}__organization_id__in": actor.org_ids})
    if actor.scope_code:
        cond &= region_overlap_q(f"{prefix}__region_code", actor.scope_code)
    return cond


def visible_candidates(actor: Actor, *, status: str | None = MatchCandidate.Status.OPEN) -> QuerySet:
    """Match candidates where at least one side is a volunteer the actor sees (volunteer.view).

    This is the only place a volunteer of another province shows, and then only through
    candidate_view()'s minimal fields.
    """
    actor.require("volunteer.view")
    qs = MatchCandidate.objects.select_related("volunteer__organization", "other__organization").prefetch_related(
        "volunteer__skills", "other__skills", "volunteer__certificates", "other__certificates")
    if not actor.is_platform_admin:
        qs = qs.filter(_side_q(actor, "volunteer") | _side_q(actor, "other"))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-score", "-created_at", "pk")


def can_manage(actor: Actor, v: Volunteer) -> bool:
    return actor.has("volunteer.manage") and actor.can_see(v.organization_id, v.region_code)


def region_names(codes) -> dict[str, str]:
    """{code: name} of the given region codes, in one query."""
    from siaga.geo.models import Region

    codes = {c for c in codes if c}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def candidate_view(actor: Actor, v: Volunteer, names: dict[str, str] | None = None) -> dict:
    """What a reviewer sees of one side of a candidate: enough to decide, no NIK, the phone masked
    when the record is another organisation's. `names`: region names already read (region_names())."""
    mine = actor.can_see(v.organization_id, v.region_code)
    if names is None:
        names = region_names([v.region_code])
    return {"id": v.pk, "name": v.name, "organization_id": v.organization_id, "organization_name": v.organization.name,
            "region_code": v.region_code, "region_name": names.get(v.region_code, ""), "birth_date": v.birth_date,
            "phone": v.phone if mine else mask_phone(v.phone), "status": v.status, "merged_into_id": v.merged_into_id,
            "own": mine, "skills": sorted(s.code for s in v.skills.all()) if mine else [],
            "certificates": len(v.certificates.all())}


def get_candidate(actor: Actor, candidate_id: int) -> MatchCandidate:
    c = visible_candidates(actor, status=None).filter(pk=candidate_id).first()
    if c is None:
        raise NotFound(_("Match candidate not found."))
    return c


def _candidate_for_decision(actor: Actor, candidate_id: int) -> MatchCandidate:
    actor.require("volunteer.manage")
    c = MatchCandidate.objects.select_for_update().filter(pk=candidate_id).first()
    if c is None or not (actor.is_platform_admin or visible_candidates(actor, status=None).filter(pk=c.pk).exists()):
        raise NotFound(_("Match candidate not found."))
    if c.status != MatchCandidate.Status.OPEN:
        raise Conflict(_("This match was already decided (%(status)s).") % {"status": c.get_status_display()},
                       code="candidate_decided", details={"status": c.status})
    return c


@transaction.atomic
def dismiss_candidate(actor: Actor, candidate_id: int, *, note: str = "") -> MatchCandidate:
    """Two different people: close the candidate (either side's manager may)."""
    c = _candidate_for_decision(actor, candidate_id)
    before = audit.snapshot(c)
    c.status = MatchCandidate.Status.DISMISSED
    c.decided_at = timezone.now()
    c.decided_by_id = actor.user_id
    c.note = (note or "").strip()[:300]
    c.save()
    audit.updated(actor, c, before)
    v = c.volunteer
    other_org = c.other.organization_id
    emit("volunteer.match_decided", {"id": c.pk, "status": c.status, "kept_id": None, "merged_id": None},
         organization=v.organization_id, region_code=v.region_code,
         shared_with=[other_org] if other_org != v.organization_id else ())
    return c


@transaction.atomic
def merge_candidate(actor: Actor, candidate_id: int, *, keep_id: int, note: str = "") -> Volunteer:
    """One person, two records: keep `keep_id` (one side of the candidate) and merge the other into it.

    In one action: the merged record's certificates move to the kept one, its skills are added, blank
    fields of the kept record (birth date, sex, blood group, availability notes, user account) are
    filled from it, it is marked merged_into (inactive), its other open candidates move to the kept
    record, and the candidate is closed. The actor must manage the record that disappears (its own
    organisation's); the kept record may be another province's (the candidate is the sharing record).
    """
    c = _candidate_for_decision(actor, candidate_id)
    if keep_id not in (c.volunteer_id, c.other_id):
        raise ServiceError(_("Keep one of the two records of this match."), code="invalid_keep",
                           details={"keep_id": keep_id, "allowed": [c.volunteer_id, c.other_id]})
    drop_id = c.other_id if keep_id == c.volunteer_id else c.volunteer_id
    first, second = sorted((keep_id, drop_id))
    locked = {first: _lock(first), second: _lock(second)}
    keep, drop = locked[keep_id], locked[drop_id]
    if not can_manage(actor, drop):
        raise PermissionDenied(_("Only the organisation of the record that is merged away may merge it; "
                                 "ask them, or keep your own record."))
    for v in (keep, drop):
        if v.merged_into_id:
            raise Conflict(_("Volunteer #%(id)s was already merged into #%(into)s.")
                           % {"id": v.pk, "into": v.merged_into_id}, code="volunteer_merged")
    now = timezone.now()
    keep_before, drop_before = audit.snapshot(keep), audit.snapshot(drop)
    moved = list(drop.certificates.values_list("pk", flat=True))
    Certificate.objects.filter(pk__in=moved).update(volunteer=keep, updated_at=now)
    added_skills = sorted(set(drop.skills.values_list("code", flat=True)) - set(keep.skills.values_list("code", flat=True)))
    keep.skills.add(*drop.skills.all())
    for f in ("birth_date", "sex", "blood_abo", "blood_rhd", "availability_notes"):
        if not getattr(keep, f) and getattr(drop, f):
            setattr(keep, f, getattr(drop, f))
    if not keep.nik_hash and drop.nik_hash and not _duplicate_nik(keep.organization_id, drop.nik_hash):
        keep.nik_hash, keep.nik_masked = drop.nik_hash, drop.nik_masked
    move_user = keep.user_id is None and drop.user_id is not None
    user_id = drop.user_id
    drop.merged_into = keep
    drop.merged_at = now
    drop.active = False
    if move_user:
        drop.user = None
    drop.save()
    if move_user:
        keep.user_id = user_id
    keep.save()
    # The merged record's other open candidates now concern the kept record.
    for other in MatchCandidate.objects.select_for_update().filter(
            Q(volunteer=drop) | Q(other=drop), status=MatchCandidate.Status.OPEN).exclude(pk=c.pk):
        third = other.other_id if other.volunteer_id == drop.pk else other.volunteer_id
        taken = MatchCandidate.objects.filter(Q(volunteer_id=keep.pk, other_id=third) | Q(volunteer_id=third, other_id=keep.pk))
        if third == keep.pk or taken.exists():
            other.status, other.decided_at, other.decided_by_id = MatchCandidate.Status.DISMISSED, now, actor.user_id
            other.note = _("Closed by merge of #%(a)s into #%(b)s.") % {"a": drop.pk, "b": keep.pk}
        elif other.volunteer_id == drop.pk:
            other.volunteer = keep
        else:
            other.other = keep
        other.save()
    c_before = audit.snapshot(c)
    c.status, c.decided_at, c.decided_by_id, c.kept = MatchCandidate.Status.MERGED, now, actor.user_id, keep
    c.note = (note or "").strip()[:300]
    c.save()
    audit.updated(actor, drop, drop_before)
    audit.updated(actor, keep, keep_before)
    if moved or added_skills:
        audit.record(actor, "update", keep, {"certificates_moved": [None, moved], "skills_added": [None, added_skills],
                                             "merged_from": [None, drop.pk]})
    audit.updated(actor, c, c_before)
    shared = sorted({keep.organization_id, drop.organization_id} - {drop.organization_id})
    emit("volunteer.match_decided", {"id": c.pk, "status": c.status, "kept_id": keep.pk, "merged_id": drop.pk},
         organization=drop.organization_id, region_code=drop.region_code, shared_with=shared)
    emit("volunteer.updated", {"id": keep.pk, "changed": ["merged"]}, organization=keep.organization_id,
         region_code=keep.region_code)
    return keep


def valid_certificate_counts(volunteer_ids, on: dt.date) -> dict[int, int]:
    """{volunteer id: number of certificates valid on `on`} in one query."""
    rows = (Certificate.objects.filter(Certificate.valid_q(on), volunteer_id__in=list(volunteer_ids))
            .values("volunteer_id").annotate(n=Count("pk")))
    return {r["volunteer_id"]: r["n"] for r in rows}
