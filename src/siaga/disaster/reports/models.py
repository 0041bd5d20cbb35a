"""Disaster reports records: versioned field reports with sourced figures, issued sitreps and 3W activities."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from siaga.disaster.models import FigureSource  # pmi | government | other: the same sources needs reports keep

# The figures a field report carries, in the order every table, export and API shows them.
FIGURES = ("dead", "missing", "injured", "displaced", "affected", "houses_damaged_light", "houses_damaged_moderate",
           "houses_damaged_heavy", "assisted")

FIGURE_LABELS = {
    "dead": _("Dead"),
    "missing": _("Missing"),
    "injured": _("Injured"),
    "displaced": _("Displaced"),
    "affected": _("Affected"),
    "houses_damaged_light": _("Houses lightly damaged"),
    "houses_damaged_moderate": _("Houses moderately damaged"),
    "houses_damaged_heavy": _("Houses heavily damaged"),
    "assisted": _("People assisted"),
}


def _figure(label):
    return models.PositiveIntegerField(label, default=0)


class FieldReport(models.Model):
    """Figures for one area (kecamatan or kelurahan) of an event as known at `reported_at`, with their source.

    A correction never edits a row: it adds a new version of the same series (same `series`, version + 1) and
    marks the old one as no longer current, so the history of what was reported and when stays readable.
    """

    event = models.ForeignKey("disaster.DisasterEvent", on_delete=models.CASCADE, related_name="field_reports",
                              verbose_name=_("disaster event"))
    # The reporter's organisation (the event's lead or a participant).
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("reporting organisation"))
    region_code = models.CharField(_("area"), max_length=13, db_index=True)  # kecamatan or kelurahan
    reported_at = models.DateTimeField(_("figures as of"), db_index=True)
    source = models.CharField(_("source of the figures"), max_length=12, choices=FigureSource.choices)
    source_name = models.CharField(_("source name"), max_length=200, blank=True)  # "BPBD Kab. Lebak", "Kepala desa"
    dead = _figure(_("dead"))
    missing = _figure(_("missing"))
    injured = _figure(_("injured"))
    displaced = _figure(_("displaced"))
    affected = _figure(_("affected"))
    houses_damaged_light = _figure(_("houses lightly damaged"))
    houses_damaged_moderate = _figure(_("houses moderately damaged"))
    houses_damaged_heavy = _figure(_("houses heavily damaged"))
    assisted = _figure(_("people assisted"))
    notes = models.TextField(_("notes"), blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("reporter"))
    # Versioning: every version of one report shares `series`; only the newest is current.
    series = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True, db_index=True)
    correction_reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    # Chosen by the client (a phone in the field) so a retried submission does not create a second report.
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("field report")
        verbose_name_plural = _("field reports")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "version"], name="uniq_field_report_version"),
            models.UniqueConstraint(fields=["series"], condition=models.Q(is_current=True),
                                    name="uniq_field_report_current"),
            models.UniqueConstraint(fields=["organization", "client_id"], condition=~models.Q(client_id=""),
                                    name="uniq_field_report_client_id"),
        ]
        indexes = [models.Index(fields=["event", "is_current", "reported_at"], name="field_report_event_current")]

    def __str__(self):
        return f"{self.region_code} {self.reported_at:%Y-%m-%d %H:%M} v{self.version}"

    def figures(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in FIGURES}


class SituationReport(models.Model):
    """An issued (frozen) situation report or final report: the computed snapshot as it was issued, numbered."""

    class Kind(models.TextChoices):
        SITREP = "sitrep", _("Situation report")
        FINAL = "final", _("Final report")

    event = models.ForeignKey("disaster.DisasterEvent", on_delete=models.CASCADE, related_name="situation_reports",
                              verbose_name=_("disaster event"))
    # The event's lead organisation: it issues the official numbered series.
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("issuing organisation"))
    region_code = models.CharField(_("region code"), max_length=13, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SITREP)
    number = models.PositiveIntegerField(_("number"))
    period_start = models.DateTimeField(_("period start"))
    period_end = models.DateTimeField(_("period end"))
    data = models.JSONField(_("snapshot"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    client_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("situation report")
        verbose_name_plural = _("situation reports")
        ordering = ["event", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="uniq_sitrep_number"),
            models.UniqueConstraint(fields=["event"], condition=models.Q(kind="final"), name="uniq_final_report"),
            models.UniqueConstraint(fields=["event", "client_id"], condition=~models.Q(client_id=""),
                                    name="uniq_sitrep_client_id"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.number}"


class Sector(models.TextChoices):
    # The humanitarian clusters as used in Indonesia's national cluster system (klaster nasional) and 3W tables.
    SEARCH_RESCUE = "search_rescue", _("Search and rescue")
    HEALTH = "health", _("Health")
    WASH = "wash", _("Water, sanitation and hygiene")
    SHELTER = "shelter", _("Shelter")
    FOOD = "food", _("Food security")
    NUTRITION = "nutrition", _("Nutrition")
    PROTECTION = "protection", _("Protection")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    LOGISTICS = "logistics", _("Logistics")
    EDUCATION = "education", _("Education")
    CAMP = "camp", _("Camp coordination and management")
    EARLY_RECOVERY = "early_recovery", _("Early recovery")
    OTHER = "other", _("Other")


class ResponseActivity(models.Model):
    """One line of the 3W (who does what where): an organisation's activity in a sector and an area."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ONGOING = "ongoing", _("Ongoing")
        COMPLETED = "completed", _("Completed")

    event = models.ForeignKey("disaster.DisasterEvent", on_delete=models.CASCADE, related_name="response_activities",
                              verbose_name=_("disaster event"))
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    activity = models.CharField(_("activity"), max_length=300)
    region_code = models.CharField(_("area"), max_length=13, db_index=True)  # kab/kota, kecamatan or kelurahan
    reached = models.PositiveIntegerField(_("people reached"), default=0)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ONGOING)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("response activity (3W)")
        verbose_name_plural = _("response activities (3W)")
        ordering = ["event", "region_code", "organization", "sector", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F(
                "start_date")), name="activity_end_after_start"),
            models.UniqueConstraint(fields=["organization", "client_id"], condition=~models.Q(client_id=""),
                                    name="uniq_activity_client_id"),
        ]

    def __str__(self):
        return f"{self.get_sector_display()}: {self.activity[:60]}"
