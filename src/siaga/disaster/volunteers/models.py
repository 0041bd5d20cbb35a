"""Volunteers: the registry of people who answer when a disaster strikes, with their skills and status.

A volunteer belongs to the organisation that registered them (a PMI branch), lives in a kelurahan
(region_code), and may be linked to a user account so they can answer activations from their phone.
One person should have one record across provinces: siaga.disaster.volunteers.matching finds the
candidates for a merge and a person reviews them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Skill(models.Model):
    """A skill a volunteer may hold (first aid, water rescue, psychosocial support, logistics...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self):
        return self.name


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

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["name"]

    def __str__(self):
        return self.name
