"""Readiness and training records: training modules with a quiz, completion records, SOP checklists per disaster
type, drills that tick those checklists off, and the border zones the three provinces treat as a joint priority.

Readiness itself is never stored: siaga.disaster.readiness.compute derives it from these rows and from the
volunteers, logistics and dispatch apps each time it is asked.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrainingModule(models.Model):
    """An online training module: reading sections, then a short quiz with a pass mark.

    Modules are a shared curriculum: every organisation's people may take them; only the authoring
    organisation (and those above it) change them.
    """

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("authoring organisation"))
    code = models.SlugField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    # Simple markdown-ish text ("# heading", "- item", blank line between paragraphs), rendered escaped.
    body = models.TextField(_("body"))
    # [{"question": "...", "options": ["...", "..."], "answer": 0}] (answer: index of the right option)
    quiz = models.JSONField(_("quiz"), default=list)
    pass_mark_percent = models.PositiveSmallIntegerField(_("pass mark (%)"), default=70)
    validity_months = models.PositiveSmallIntegerField(_("valid for (months)"), default=24)
    # The skill a pass certifies (e.g. first aid), if any.
    skill = models.ForeignKey("disaster_volunteers.Skill", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("skill certified"))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("training module")
        verbose_name_plural = _("training modules")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(pass_mark_percent__gte=1) & models.Q(pass_mark_percent__lte=100),
                                   name="training_pass_mark_1_100"),
            models.CheckConstraint(condition=models.Q(validity_months__gte=1), name="training_validity_positive"),
        ]

    def __str__(self):
        return self.title


class TrainingCompletion(models.Model):
    """One attempt at a module's quiz by one user (and their volunteer record when they have one)."""

    module = models.ForeignKey(TrainingModule, on_delete=models.PROTECT, related_name="completions",
                               verbose_name=_("module"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    volunteer = models.ForeignKey("disaster_volunteers.Volunteer", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("volunteer"))
    # The organisation the user acted through; the volunteer's home kelurahan, else the organisation's region.
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    score_percent = models.PositiveSmallIntegerField(_("score (%)"))
    correct = models.PositiveSmallIntegerField(_("correct answers"))
    questions = models.PositiveSmallIntegerField(_("questions"))
    passed = models.BooleanField(_("passed"), db_index=True)
    answers = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(_("completed at"), db_index=True)
    # Set on a pass: the last day the completion counts (completion date + the module's validity).
    valid_until = models.DateField(_("valid until"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("training completion")
        verbose_name_plural = _("training completions")
        ordering = ["-completed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score_percent__lte=100), name="training_score_0_100"),
            models.CheckConstraint(condition=models.Q(correct__lte=models.F("questions")),
                                   name="training_correct_within_questions"),
        ]
        indexes = [models.Index(fields=["module", "user", "-completed_at"], name="training_user_latest")]

    def __str__(self):
        return f"{self.module} {self.score_percent}%"


class SopChecklist(models.Model):
    """A standard operating procedure for one disaster type, as a list of items a drill can tick off.

    SOPs are shared between the provinces (one way of working across borders): everyone with disaster.view
    reads them; the authoring organisation changes them.
    """

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("authoring organisation"))
    disaster_type = models.ForeignKey("disaster.DisasterType", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("disaster type"))
    title = models.CharField(_("title"), max_length=200)
    version = models.CharField(_("version"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SOP checklist")
        verbose_name_plural = _("SOP checklists")
        ordering = ["disaster_type__sort_order", "title"]

    def __str__(self):
        return self.title


class SopItem(models.Model):
    """One step of an SOP checklist."""

    checklist = models.ForeignKey(SopChecklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.CharField(_("text"), max_length=500)
    # An item kept for history but no longer part of the checklist (drills that ticked it keep their record).
    retired = models.BooleanField(_("retired"), default=False)

    class Meta:
        verbose_name = _("SOP item")
        verbose_name_plural = _("SOP items")
        ordering = ["checklist_id", "position", "id"]

    def __str__(self):
        return self.text


class Drill(models.Model):
    """An exercise held by one organisation in a region: which items of an SOP checklist it completed, when."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    region_code = models.CharField(_("region code"), max_length=13, db_index=True)
    checklist = models.ForeignKey(SopChecklist, on_delete=models.PROTECT, related_name="drills",
                                  verbose_name=_("SOP checklist"))
    held_on = models.DateField(_("held on"), db_index=True)
    title = models.CharField(_("scenario"), max_length=200)
    participants = models.PositiveIntegerField(_("participants"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    completed_items = models.ManyToManyField(SopItem, blank=True, related_name="drills",
                                             verbose_name=_("items completed"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("drill")
        verbose_name_plural = _("drills")
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.held_on} {self.title}"


class BorderZone(models.Model):
    """A zone across a provincial border treated as a joint priority, as a set of kab/kota codes (data)."""

    code = models.SlugField(_("code"), max_length=40, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    region_codes = models.JSONField(_("kab/kota codes"), default=list)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("border zone")
        verbose_name_plural = _("border zones")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name
