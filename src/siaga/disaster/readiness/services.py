"""Write path of readiness and training: training modules and their quiz, attempts, SOP checklists and drills.

Every function takes the actor first, checks permission, writes in one transaction with an audit record and
queues its events on topic "readiness". Modules and SOP checklists are a shared curriculum (everyone with
disaster.view reads them; the authoring organisation changes them); completions and drills are tenant rows.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from siaga.core import audit
from siaga.core.errors import NotFound, ServiceError
from siaga.core.events import emit
from siaga.core.permissions import Actor, PermissionDenied
from siaga.geo.models import Region

from .models import Drill, SopChecklist, SopItem, TrainingCompletion, TrainingModule

MAX_QUESTIONS = 30
MAX_OPTIONS = 6
MAX_SOP_ITEMS = 60


def local_today(region_code: str = "") -> dt.date:
    """Today in the region's own zone (WIB, WITA, WIT): a certificate valid "until 31 May" ends at local midnight."""
    from siaga.disaster.views import zone_for

    return timezone.localtime(timezone.now(), zone_for(region_code)).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _user(actor: Actor):
    return actor.user if getattr(actor.user, "pk", None) else None


def _owner_check(actor: Actor, organization_id: int) -> None:
    # Shared for reading; only the authoring organisation (or one above it) changes it.
    if not actor.is_platform_admin and organization_id not in actor.org_ids:
        raise PermissionDenied(_("Only the organisation that wrote it can change it."), code="not_author")


# --- training modules ---------------------------------------------------------------------------------


def visible_modules(actor: Actor, *, include_inactive: bool = False):
    actor.require("disaster.view")
    qs = TrainingModule.objects.select_related("skill", "organization")
    if include_inactive and actor.has("training.manage"):
        return qs.filter(Q(active=True) | Q(organization__in=actor.org_ids)) if not actor.is_platform_admin else qs
    return qs.filter(active=True)


def get_module(actor: Actor, module_id: int, *, include_inactive: bool = False) -> TrainingModule:
    module = visible_modules(actor, include_inactive=include_inactive).filter(pk=module_id).first()
    if module is None:
        raise NotFound(_("Training module not found."))
    return module


def validate_quiz(quiz) -> list[dict]:
    """The quiz as stored: 1-30 questions, each with 2-6 distinct options and the index of the right one."""
    if not isinstance(quiz, list) or not quiz:
        raise ServiceError(_("A module needs a quiz of at least one question."), code="quiz_required")
    if len(quiz) > MAX_QUESTIONS:
        raise ServiceError(_("A quiz has at most %(n)d questions.") % {"n": MAX_QUESTIONS}, code="quiz_too_long")
    out = []
    for i, q in enumerate(quiz, 1):
        if not isinstance(q, dict):
            raise ServiceError(_("Question %(i)d is not a question.") % {"i": i}, code="invalid_quiz")
        text = str(q.get("question") or "").strip()
        options = [str(o).strip() for o in (q.get("options") or []) if str(o).strip()]
        answer = q.get("answer")
        if not text:
            raise ServiceError(_("Question %(i)d has no text.") % {"i": i}, code="invalid_quiz",
                               details={"question": i})
        if not (2 <= len(options) <= MAX_OPTIONS) or len(set(options)) != len(options):
            raise ServiceError(_("Question %(i)d needs between 2 and %(n)d different options.")
                               % {"i": i, "n": MAX_OPTIONS}, code="invalid_quiz", details={"question": i})
        if not isinstance(answer, int) or isinstance(answer, bool) or not (0 <= answer < len(options)):
            raise ServiceError(_("Question %(i)d must name which option is right.") % {"i": i},
                               code="invalid_quiz", details={"question": i})
        out.append({"question": text[:500], "options": [o[:300] for o in options], "answer": answer})
    return out


def _skill(code: str | None):
    if not code:
        return None
    from siaga.disaster.volunteers.models import Skill

    skill = Skill.objects.filter(code=code).first()
    if skill is None:
        raise ServiceError(_("Unknown skill: %(code)s.") % {"code": code}, code="unknown_skill")
    return skill


@transaction.atomic
def save_module(actor: Actor, *, module_id: int | None = None, code: str, title: str, body: str, quiz,
                summary: str = "", pass_mark_percent: int = 70, validity_months: int = 24,
                skill_code: str | None = None, active: bool = True) -> TrainingModule:
    """Write a training module (new, or a change by its authoring organisation)."""
    actor.require("training.manage")
    if actor.organization is None and not actor.is_platform_admin:
        raise ServiceError(_("Act through an organisation to write a module."), code="no_organization")
    if not title.strip():
        raise ServiceError(_("Give the module a title."), code="title_required")
    if not body.strip():
        raise ServiceError(_("The module has no text to read."), code="body_required")
    if not (1 <= pass_mark_percent <= 100):
        raise ServiceError(_("The pass mark lies between 1 and 100 percent."), code="invalid_pass_mark")
    if not (1 <= validity_months <= 120):
        raise ServiceError(_("A completion stays valid between 1 and 120 months."), code="invalid_validity")
    fields = {"code": code.strip()[:60], "title": title.strip()[:200], "summary": summary.strip()[:500],
              "body": body, "quiz": validate_quiz(quiz), "pass_mark_percent": pass_mark_percent,
              "validity_months": validity_months, "skill": _skill(skill_code), "active": active}
    if not fields["code"]:
        raise ServiceError(_("Give the module a code."), code="code_required")
    clash = TrainingModule.objects.filter(code=fields["code"])
    if module_id is None:
        if actor.organization is None:
            raise ServiceError(_("Act through an organisation to write a module."), code="no_organization")
        if clash.exists():
            raise ServiceError(_("A module with the code %(code)s exists already.") % {"code": fields["code"]},
                               code="duplicate_code")
        module = TrainingModule.objects.create(organization=actor.organization, created_by=_user(actor), **fields)
        audit.created(actor, module)
        created = True
    else:
        module = TrainingModule.objects.select_for_update().filter(pk=module_id).first()
        if module is None:
            raise NotFound(_("Training module not found."))
        _owner_check(actor, module.organization_id)
        if clash.exclude(pk=module.pk).exists():
            raise ServiceError(_("A module with the code %(code)s exists already.") % {"code": fields["code"]},
                               code="duplicate_code")
        before = audit.snapshot(module)
        for name, value in fields.items():
            setattr(module, name, value)
        module.save()
        audit.updated(actor, module, before)
        created = False
    emit("training_module.saved", {"id": module.pk, "code": module.code, "title": module.title,
                                   "active": module.active, "created": created},
         organization=module.organization, region_code="", shared_with=())
    return module


def grade(quiz: list[dict], answers) -> tuple[int, int]:
    """(correct, questions): an answer counts when it is the index of the right option; missing ones are wrong."""
    answers = list(answers or [])
    correct = sum(1 for i, q in enumerate(quiz) if i < len(answers) and answers[i] == q["answer"])
    return correct, len(quiz)


def passes(correct: int, questions: int, pass_mark_percent: int) -> bool:
    # Integer comparison: 7 of 10 passes a 70 % mark exactly, with no rounding in between.
    return questions > 0 and correct * 100 >= pass_mark_percent * questions


@transaction.atomic
def submit_attempt(actor: Actor, module_id: int, answers) -> TrainingCompletion:
    """Grade one attempt at a module's quiz and record it (a pass is valid for the module's months)."""
    actor.require("training.take")
    if actor.organization is None or _user(actor) is None:
        raise ServiceError(_("Sign in through an organisation to take a module."), code="no_organization")
    module = get_module(actor, module_id)
    answers = list(answers or [])
    if len(answers) != len(module.quiz):
        raise ServiceError(_("Answer every question (%(n)d) before sending.") % {"n": len(module.quiz)},
                           code="answers_incomplete", details={"questions": len(module.quiz)})
    for i, (a, q) in enumerate(zip(answers, module.quiz), 1):
        if not isinstance(a, int) or isinstance(a, bool) or not (0 <= a < len(q["options"])):
            raise ServiceError(_("The answer to question %(i)d is not one of its options.") % {"i": i},
                               code="invalid_answer", details={"question": i})
    from siaga.disaster.volunteers.models import Volunteer

    volunteer = Volunteer.objects.filter(user=actor.user).first()
    region = volunteer.region_code if volunteer else actor.organization.region_code
    correct, total = grade(module.quiz, answers)
    passed = passes(correct, total, module.pass_mark_percent)
    now = timezone.now()
    completion = TrainingCompletion.objects.create(
        module=module, user=actor.user, volunteer=volunteer, organization=actor.organization, region_code=region,
        score_percent=correct * 100 // total, correct=correct, questions=total, passed=passed, answers=answers,
        completed_at=now, valid_until=add_months(local_today(region), module.validity_months) if passed else None)
    audit.created(actor, completion)
    if passed and module.skill_id and volunteer is not None:
        _certify(actor, volunteer, module, completion)
    emit("training.completed", {"id": completion.pk, "module_id": module.pk, "passed": passed,
                                "score_percent": completion.score_percent, "region_code": region,
                                "valid_until": completion.valid_until.isoformat() if passed else None},
         organization=actor.organization, region_code=region)
    return completion


def _certify(actor: Actor, volunteer, module: TrainingModule, completion: TrainingCompletion) -> None:
    """A pass of a module that certifies a skill becomes a training certificate on the volunteer's own record,
    through the volunteers app's service (its `system` flag: this attempt was authorised above)."""
    import inspect

    from siaga.disaster.volunteers import services as volunteers

    if "system" not in inspect.signature(volunteers.add_certificate).parameters:
        return  # the volunteers app cannot yet record it on the volunteer's behalf; the completion still counts
    volunteers.add_certificate(actor, volunteer.pk, name=module.title[:200], kind="training",
                               skill=module.skill.code, issuer=module.organization.name[:200],
                               issued_on=local_today(completion.region_code), expires_on=completion.valid_until,
                               system=True)


def visible_completions(actor: Actor):
    """A manager sees the completions of its organisations in its area; everyone else their own only."""
    actor.require("disaster.view")
    qs = TrainingCompletion.objects.select_related("module", "user", "organization")
    if actor.has("training.manage"):
        return actor.scope_queryset(qs)
    return qs.filter(user_id=actor.user_id or 0)


# --- SOP checklists -----------------------------------------------------------------------------------


def visible_checklists(actor: Actor):
    actor.require("disaster.view")
    return SopChecklist.objects.select_related("disaster_type", "organization")


def get_checklist(actor: Actor, checklist_id: int) -> SopChecklist:
    checklist = visible_checklists(actor).filter(pk=checklist_id).first()
    if checklist is None:
        raise NotFound(_("SOP checklist not found."))
    return checklist


def _clean_items(items) -> list[str]:
    texts = [str(t).strip()[:500] for t in (items or []) if str(t).strip()]
    if not texts:
        raise ServiceError(_("A checklist needs at least one item."), code="items_required")
    if len(texts) > MAX_SOP_ITEMS:
        raise ServiceError(_("A checklist has at most %(n)d items.") % {"n": MAX_SOP_ITEMS}, code="too_many_items")
    if len(set(texts)) != len(texts):
        raise ServiceError(_("Each item of a checklist must be different."), code="duplicate_item")
    return texts


@transaction.atomic
def save_checklist(actor: Actor, *, checklist_id: int | None = None, type_code: str, title: str, items,
                   version: str = "", active: bool = True) -> SopChecklist:
    """Write an SOP checklist. On a change, items keep their identity by text (drills that ticked them keep
    counting); items no longer listed are retired, not deleted."""
    from siaga.disaster.models import DisasterType

    actor.require("disaster.manage")
    dtype = DisasterType.objects.filter(code=type_code, active=True).first()
    if dtype is None:
        raise ServiceError(_("Unknown disaster type: %(code)s.") % {"code": type_code}, code="unknown_type")
    if not title.strip():
        raise ServiceError(_("Give the checklist a title."), code="title_required")
    texts = _clean_items(items)
    if checklist_id is None:
        if actor.organization is None:
            raise ServiceError(_("Act through an organisation to write a checklist."), code="no_organization")
        checklist = SopChecklist.objects.create(organization=actor.organization, disaster_type=dtype,
                                                title=title.strip()[:200], version=version.strip()[:40],
                                                active=active)
        audit.created(actor, checklist)
        created = True
        existing: dict[str, SopItem] = {}
    else:
        checklist = SopChecklist.objects.select_for_update().filter(pk=checklist_id).first()
        if checklist is None:
            raise NotFound(_("SOP checklist not found."))
        _owner_check(actor, checklist.organization_id)
        before = audit.snapshot(checklist)
        checklist.disaster_type, checklist.title = dtype, title.strip()[:200]
        checklist.version, checklist.active = version.strip()[:40], active
        checklist.save()
        audit.updated(actor, checklist, before)
        created = False
        existing = {item.text: item for item in checklist.items.all()}
    for position, text in enumerate(texts, 1):
        item = existing.pop(text, None)
        if item is None:
            SopItem.objects.create(checklist=checklist, position=position, text=text)
        elif item.position != position or item.retired:
            item.position, item.retired = position, False
            item.save(update_fields=["position", "retired"])
    for item in existing.values():
        if not item.retired:
            item.retired = True
            item.save(update_fields=["retired"])
    emit("sop_checklist.saved", {"id": checklist.pk, "disaster_type": dtype.code, "title": checklist.title,
                                 "items": len(texts), "created": created},
         organization=checklist.organization, region_code="")
    return checklist


# --- drills -------------------------------------------------------------------------------------------


def visible_drills(actor: Actor):
    actor.require("disaster.view")
    return actor.scope_queryset(Drill.objects.select_related("checklist__disaster_type", "organization")
                                .prefetch_related("completed_items"))


def get_drill(actor: Actor, drill_id: int) -> Drill:
    drill = visible_drills(actor).filter(pk=drill_id).first()
    if drill is None:
        raise NotFound(_("Drill not found."))
    return drill


@transaction.atomic
def record_drill(actor: Actor, *, checklist_id: int, held_on: dt.date, region_code: str, title: str,
                 completed_item_ids=(), participants: int = 0, notes: str = "") -> Drill:
    """Record a drill held by the actor's organisation in a region of its area, with the checklist items done."""
    actor.require("disaster.manage")
    if actor.organization is None:
        raise ServiceError(_("Act through an organisation to record a drill."), code="no_organization")
    checklist = get_checklist(actor, checklist_id)
    if not checklist.active:
        raise ServiceError(_("This checklist is no longer in use."), code="checklist_inactive")
    code = (region_code or "").strip()
    if not Region.objects.filter(code=code).exists():
        raise ServiceError(_("Unknown region codes: %(codes)s.") % {"codes": code}, code="unknown_region",
                           details={"codes": [code]})
    actor.require_region(code)
    if not isinstance(held_on, dt.date):
        raise ServiceError(_("Give the date of the drill."), code="date_required")
    if held_on > local_today(code):
        raise ServiceError(_("A drill cannot be recorded before it is held."), code="future_date")
    if not title.strip():
        raise ServiceError(_("Describe the drill's scenario."), code="title_required")
    if participants < 0:
        raise ServiceError(_("The number of participants cannot be negative."), code="invalid_participants")
    ids = sorted({int(i) for i in completed_item_ids or []})
    items = list(SopItem.objects.filter(checklist=checklist, retired=False, pk__in=ids))
    if len(items) != len(ids):
        raise ServiceError(_("Some ticked items are not part of this checklist."), code="foreign_items",
                           details={"items": sorted(set(ids) - {i.pk for i in items})})
    drill = Drill.objects.create(organization=actor.organization, region_code=code, checklist=checklist,
                                 held_on=held_on, title=title.strip()[:200], participants=participants,
                                 notes=notes.strip()[:4000], recorded_by=_user(actor))
    drill.completed_items.set(items)
    audit.created(actor, drill)
    emit("drill.recorded", {"id": drill.pk, "checklist_id": checklist.pk,
                            "disaster_type": checklist.disaster_type_id, "region_code": code,
                            "held_on": held_on.isoformat(), "completed_items": len(items),
                            "total_items": checklist.items.filter(retired=False).count()},
         organization=actor.organization, region_code=code)
    return drill


# --- readiness (read only: computed from data each time) ----------------------------------------------


def readiness_for_region(actor: Actor, code: str, on: dt.date | None = None) -> dict:
    """The readiness of one province or kab/kota inside the actor's area (aggregates, no personal data)."""
    from . import compute

    actor.require("disaster.view")
    region = Region.objects.filter(code=(code or "").strip()).first()
    if region is None:
        raise NotFound(_("Region not found."))
    if region.level not in (1, 2):
        raise ServiceError(_("Readiness is computed per province or kab/kota."), code="not_kabkota")
    actor.require_region(region.code)
    result = compute.readiness([region.code], on or local_today(region.code))
    result.update({"code": region.code, "name": region.name, "level": region.level})
    return result


def visible_zones(actor: Actor):
    """Border zones touching the actor's area: a joint priority is seen from both sides of the border."""
    from siaga.core.permissions import scopes_overlap

    from .models import BorderZone

    actor.require("disaster.view")
    zones = list(BorderZone.objects.all())
    if actor.is_platform_admin or not actor.scope_code:
        return zones
    return [z for z in zones if any(scopes_overlap(actor.scope_code, c) for c in z.region_codes)]


def readiness_for_zone(actor: Actor, zone_code: str, on: dt.date | None = None) -> dict:
    """The combined readiness of a border zone's kab/kota on both sides, and each side's own."""
    from . import compute

    zone = next((z for z in visible_zones(actor) if z.code == zone_code), None)
    if zone is None:
        raise NotFound(_("Border zone not found."))
    on = on or local_today(zone.region_codes[0] if zone.region_codes else "")
    result = compute.readiness(zone.region_codes, on)
    names = dict(Region.objects.filter(code__in=zone.region_codes).values_list("code", "name"))
    result.update({"code": zone.code, "name": zone.name,
                   "regions": [{"code": c, "name": names.get(c, c)} for c in zone.region_codes],
                   "provinces": sorted({c.split(".")[0] for c in zone.region_codes})})
    return result
