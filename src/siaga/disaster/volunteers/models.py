"""Volunteers: the registry of people who answer when a disaster strikes, with their skills and status.

A volunteer belongs to the organisation that registered them (a PMI branch), lives in a kelurahan
(region_code), and may be linked to a user account so they can answer activations from their phone.
One person should have one record across provinces: siaga.disaster.volunteers.matching finds the
candidates for a merge and a person reviews them (MatchCandidate). The NIK itself is never stored:
only its keyed hash (for equality look-up, siaga.health.nik.nik_hash) and its masked form for lists.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from siaga.blood.models import ABO, RhD, Sex

# The seeded skills (migration 0003). Skill.name stores the English name; these lazy strings make the
# names translatable (Indonesian in the catalogue) without a translation table.
SKILL_NAMES = {
    "first_aid": _("First aid"),
    "water_rescue": _("Water rescue"),
    "search_rescue": _("Search and rescue"),
    "psychosocial": _("Psychosocial support"),
    "logistics": _("Logistics"),
    "wash": _("Water, sanitation and hygiene (WASH)"),
    "ambulance_driver": _("Ambulance driver"),
    "shelter_management": _("Shelter management"),
    "public_kitchen": _("Public kitchen"),
    "restoring_family_links": _("Restoring family links"),
    "assessment": _("Assessment"),
}


class Skill(models.Model):
    """A skill a volunteer may hold (first aid, water rescue, psychosocial support, logistics...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self):
        return str(self.label)

    @property
    def label(self):
        """The name in the user's language for seeded skills, else the stored name."""
        return SKILL_NAMES.get(self.code, self.name)


class Volunteer(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        DEPLOYED = "deployed", _("Deployed")
        RESTING = "resting", _("Resting")
        UNAVAILABLE = "unavailable", _("Unavailable")

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="volunteers",
                                     verbose_name=_("organisation"))
    # Kemendagri code of the home kelurahan/desa.
    region_code = models.CharField(_("home kelurahan"), max_length=13, db_index=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="volunteer", verbose_name=_("user account"))
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)  # E.164
    # Home position (kelurahan centroid unless known better), for travel distance at activation.
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="volunteers", verbose_name=_("skills"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.AVAILABLE,
                              db_index=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- identity (migration 0002) ---------------------------------------------------------------
    # Keyed hash of the NIK (siaga.health.nik.nik_hash) and its masked form; the NIK itself is not kept.
    nik_hash = models.CharField(max_length=64, blank=True, db_index=True)
    nik_masked = models.CharField(_("NIK"), max_length=16, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    blood_abo = models.CharField(_("ABO group"), max_length=2, choices=ABO.choices, blank=True)
    blood_rhd = models.CharField(_("RhD"), max_length=3, choices=RhD.choices, blank=True)
    availability_notes = models.TextField(_("availability notes"), blank=True)
    # Normalised name (matching.normalize_name) so candidate searches need not rebuild it for every row.
    name_key = models.CharField(max_length=200, blank=True, db_index=True)
    # Set when a reviewer merged this record into another: the person's one record is merged_into.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged_records", verbose_name=_("merged into"))
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["name"]
        constraints = [
            # One record per person per organisation: a second registration of the same NIK is refused.
            models.UniqueConstraint(fields=["organization", "nik_hash"], condition=~Q(nik_hash=""),
                                    name="volunteer_uniq_org_nik"),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="volunteer_not_merged_into_self"),
        ]

    def __str__(self):
        return self.name

    @property
    def blood_group(self) -> str:
        """"A+", "O-", "AB" (RhD unknown) or "" when the ABO group is unknown."""
        if not self.blood_abo:
            return ""
        return self.blood_abo + {"pos": "+", "neg": "-"}.get(self.blood_rhd, "")


class Certificate(models.Model):
    """A completed training or a certificate (licence) a volunteer holds, with its validity."""

    class Kind(models.TextChoices):
        TRAINING = "training", _("Training")
        CERTIFICATE = "certificate", _("Certificate")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="certificates",
                                  verbose_name=_("volunteer"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.CERTIFICATE)
    name = models.CharField(_("name"), max_length=200)
    # The skill this certifies, when it certifies one (a readiness view counts valid certificates per skill).
    skill = models.ForeignKey(Skill, null=True, blank=True, on_delete=models.PROTECT, related_name="certificates",
                              verbose_name=_("skill"))
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)  # None: does not expire
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_on", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                                   name="volunteer_certificate_expiry_after_issue"),
        ]

    def __str__(self):
        return self.name

    def is_valid(self, on: dt.date | None = None) -> bool:
        """True when the certificate had been issued by `on` (default today) and has not expired."""
        from django.utils import timezone

        on = on or timezone.localdate()
        return self.issued_on <= on and (self.expires_on is None or on <= self.expires_on)

    @staticmethod
    def valid_q(on: dt.date, prefix: str = "") -> Q:
        """The same test as is_valid() as a filter (prefix "certificates__" from Volunteer)."""
        return Q(**{f"{prefix}issued_on__lte": on}) & (
            Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gte": on}))


class MatchCandidate(models.Model):
    """Two volunteer records that may be the same person, waiting for a reviewer to merge or dismiss them.

    `volunteer` is the newer record (the registration that raised the match), `other` the existing one.
    Each side's organisation sees the candidate in its merge queue with minimal fields of the other side.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed")

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="match_candidates",
                                  verbose_name=_("volunteer"))
    other = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+", verbose_name=_("possible same person"))
    score = models.PositiveSmallIntegerField(_("score"))  # 0-100
    reasons = models.JSONField(default=list)  # list of reason codes (matching.REASONS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    kept = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("match candidate")
        verbose_name_plural = _("match candidates")
        ordering = ["-score", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "other"], name="volunteer_match_pair_uniq"),
            models.CheckConstraint(condition=~Q(volunteer=F("other")), name="volunteer_match_not_self"),
        ]

    def __str__(self):
        return f"{self.volunteer_id} ~ {self.other_id} ({self.score})"
