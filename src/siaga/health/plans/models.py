"""Posyandu problems and plans: problems found in the indicators, the work plan that answers them, and what was done.

A problem carries its evidence: the indicator, the month, and the numbers computed from the
records when it was identified (not typed in), so a plan can be checked against data later. A work
plan has items (interventions) with budget lines in whole rupiah and a status each; activities and
innovations record what the posyandu actually did. Rows carry the organisation and kelurahan code
of their posyandu (or of the puskesmas for a kelurahan-wide plan), so visibility follows the usual scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Indicator(models.TextChoices):
    D_S = "d_s", _("Children weighed (D/S)")
    N_D = "n_d", _("Children who gained weight (N/D)")
    STUNTING = "stunting", _("Stunting prevalence")
    WASTING = "wasting", _("Wasting prevalence")
    UNDERWEIGHT = "underweight", _("Underweight prevalence")
    OVERWEIGHT = "overweight", _("Overweight prevalence")
    OTHER = "other", _("Other (described)")


class Problem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PLANNED = "planned", _("Planned")
        RESOLVED = "resolved", _("Resolved")
        DROPPED = "dropped", _("Dropped")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    posyandu = models.ForeignKey("health.Posyandu", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="problems", verbose_name=_("posyandu"))
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    needs = models.TextField(_("needs"), blank=True)
    indicator = models.CharField(_("indicator"), max_length=12, choices=Indicator.choices, default=Indicator.OTHER)
    # The month the evidence was computed for, and the evidence itself (value, numerator, denominator, target).
    period = models.DateField(_("month"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    client_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "client_id"], condition=~Q(client_id=""),
                                    name="health_plans_problem_uniq_client"),
        ]

    def __str__(self):
        return self.title


class WorkPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    posyandu = models.ForeignKey("health.Posyandu", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="work_plans", verbose_name=_("posyandu"))
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    year = models.PositiveSmallIntegerField(_("year"))
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("work plan")
        verbose_name_plural = _("work plans")
        ordering = ["-year", "title"]

    def __str__(self):
        return f"{self.title} ({self.year})"


class PlanItem(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(WorkPlan, on_delete=models.CASCADE, related_name="items")
    problem = models.ForeignKey(Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="plan_items",
                                verbose_name=_("problem"))
    intervention = models.CharField(_("intervention"), max_length=300)
    target = models.CharField(_("target"), max_length=200, blank=True)
    responsible = models.CharField(_("responsible"), max_length=200, blank=True)
    start_month = models.PositiveSmallIntegerField(_("from month"))
    end_month = models.PositiveSmallIntegerField(_("to month"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["start_month", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(start_month__gte=1, start_month__lte=12, end_month__gte=1,
                                               end_month__lte=12), name="health_plans_item_months"),
        ]


class BudgetLine(models.Model):
    class Source(models.TextChoices):
        DANA_DESA = "dana_desa", _("Village fund (Dana Desa)")
        APBD = "apbd", _("Regional budget (APBD)")
        BOK = "bok", _("Health operational fund (BOK)")
        SELF = "swadaya", _("Community self-help (swadaya)")
        CSR = "csr", _("Company CSR")
        OTHER = "other", _("Other")

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="budget_lines")
    description = models.CharField(_("budget line"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    unit_cost_idr = models.PositiveBigIntegerField(_("unit cost (Rp)"))
    source = models.CharField(_("source of funds"), max_length=10, choices=Source.choices)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["id"]

    @property
    def total_idr(self) -> int:
        return self.quantity * self.unit_cost_idr


class Activity(models.Model):
    class Kind(models.TextChoices):
        ACTIVITY = "activity", _("Activity")
        INNOVATION = "innovation", _("Innovation")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    posyandu = models.ForeignKey("health.Posyandu", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="activities", verbose_name=_("posyandu"))
    region_code = models.CharField(_("kelurahan"), max_length=13, db_index=True)
    plan_item = models.ForeignKey(PlanItem, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="activities", verbose_name=_("plan item"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ACTIVITY)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    held_on = models.DateField(_("date"))
    participants = models.PositiveIntegerField(_("participants"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("activity or innovation")
        verbose_name_plural = _("activities and innovations")
        ordering = ["-held_on", "-id"]
