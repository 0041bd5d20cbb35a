"""Vital events (births and deaths) recorded at health facilities and notified to civil registration (Dukcapil).

The facility (puskesmas or hospital) owns the row (organization); the Dukcapil office whose area
contains the facility's kab/kota receives it in its queue (dukcapil). The status moves
notified -> (correction_requested -> resubmitted -> ...) -> registered | rejected, and every move is
kept in VitalEventStatusChange. NIKs are stored with a keyed hash and a masked form, as for persons.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Sex


class VitalEventKind(models.TextChoices):
    BIRTH = "birth", _("birth")
    DEATH = "death", _("death")


class VitalEventStatus(models.TextChoices):
    NOTIFIED = "notified", _("notified")
    CORRECTION_REQUESTED = "correction_requested", _("correction requested")
    RESUBMITTED = "resubmitted", _("resubmitted")
    REGISTERED = "registered", _("registered")
    REJECTED = "rejected", _("rejected")


class BirthAttendant(models.TextChoices):
    DOCTOR = "doctor", _("doctor")
    MIDWIFE = "midwife", _("midwife")
    NURSE = "nurse", _("nurse")
    OTHER = "other", _("other")


class CauseCategory(models.TextChoices):
    """ICD-10 chapters: the cause of death is notified at chapter level, the code block is Dukcapil's concern."""

    I = "A00-B99", _("I Certain infectious and parasitic diseases")  # noqa: E741
    II = "C00-D48", _("II Neoplasms")
    III = "D50-D89", _("III Diseases of the blood and immune mechanism")
    IV = "E00-E90", _("IV Endocrine, nutritional and metabolic diseases")
    V = "F00-F99", _("V Mental and behavioural disorders")
    VI = "G00-G99", _("VI Diseases of the nervous system")
    VII = "H00-H59", _("VII Diseases of the eye and adnexa")
    VIII = "H60-H95", _("VIII Diseases of the ear and mastoid process")
    IX = "I00-I99", _("IX Diseases of the circulatory system")
    X = "J00-J99", _("X Diseases of the respiratory system")
    XI = "K00-K93", _("XI Diseases of the digestive system")
    XII = "L00-L99", _("XII Diseases of the skin and subcutaneous tissue")
    XIII = "M00-M99", _("XIII Diseases of the musculoskeletal system and connective tissue")
    XIV = "N00-N99", _("XIV Diseases of the genitourinary system")
    XV = "O00-O99", _("XV Pregnancy, childbirth and the puerperium")
    XVI = "P00-P96", _("XVI Certain conditions originating in the perinatal period")
    XVII = "Q00-Q99", _("XVII Congenital malformations and chromosomal abnormalities")
    XVIII = "R00-R99", _("XVIII Symptoms, signs and abnormal findings not elsewhere classified")
    XIX = "S00-T98", _("XIX Injury, poisoning and other consequences of external causes")
    XX = "V01-Y98", _("XX External causes of morbidity and mortality")
    XXI = "Z00-Z99", _("XXI Factors influencing health status and contact with health services")
    XXII = "U00-U99", _("XXII Codes for special purposes")


class VitalEvent(models.Model):
    """A birth or a death recorded at a facility and notified to Dukcapil."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("facility"))
    dukcapil = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("Dukcapil office"))
    region_code = models.CharField(_("region"), max_length=13, db_index=True)
    kind = models.CharField(_("kind"), max_length=5, choices=VitalEventKind.choices)
    status = models.CharField(_("status"), max_length=20, choices=VitalEventStatus.choices,
                              default=VitalEventStatus.NOTIFIED, db_index=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)

    # Birth
    mother_name = models.CharField(_("mother's name"), max_length=200, blank=True)
    mother_nik = models.CharField(_("mother's NIK"), max_length=16, blank=True)
    mother_nik_hash = models.CharField(max_length=64, blank=True, db_index=True)
    mother_nik_masked = models.CharField(_("mother's NIK"), max_length=16, blank=True)
    child_name = models.CharField(_("child's name"), max_length=200, blank=True)
    born_at = models.DateTimeField(_("born at"), null=True, blank=True)
    birth_attendant = models.CharField(_("birth attendant"), max_length=10, choices=BirthAttendant.choices,
                                       blank=True)
    weight_g = models.PositiveIntegerField(_("birth weight (g)"), null=True, blank=True)

    # Death
    person_name = models.CharField(_("name of the deceased"), max_length=200, blank=True)
    nik = models.CharField(_("NIK"), max_length=16, blank=True)
    nik_hash = models.CharField(max_length=64, blank=True, db_index=True)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    died_at = models.DateTimeField(_("died at"), null=True, blank=True)
    cause_category = models.CharField(_("cause of death (ICD-10 chapter)"), max_length=7,
                                      choices=CauseCategory.choices, blank=True)

    registration_number = models.CharField(_("registration number"), max_length=50, blank=True)
    correction_reason = models.TextField(_("correction requested"), blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    notified_at = models.DateTimeField(_("notified at"))
    correction_requested_at = models.DateTimeField(null=True, blank=True)
    resubmitted_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vital event")
        verbose_name_plural = _("vital events")
        ordering = ["-notified_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["dukcapil", "registration_number"], condition=~Q(registration_number=""),
                                    name="health_vitalevent_uniq_regno"),
        ]
        indexes = [models.Index(fields=["dukcapil", "status"])]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class VitalEventStatusChange(models.Model):
    """One move of a vital event's status: who, when, and the reason given."""

    event = models.ForeignKey(VitalEvent, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_organization = models.ForeignKey("core.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                           related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
