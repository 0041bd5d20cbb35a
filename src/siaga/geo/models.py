"""Kemendagri regions (province, kab/kota, kecamatan, desa/kelurahan) with optional boundaries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    REGENCY = 2, _("Regency/city (kab/kota)")
    DISTRICT = 3, _("District (kecamatan)")
    VILLAGE = 4, _("Village (desa/kelurahan)")


class Region(models.Model):
    """One Kemendagri region; the dotted code ("35.76.01.1003") is the key used everywhere in Siaga."""

    code = models.CharField(_("code"), max_length=13, primary_key=True)
    name = models.CharField(_("name"), max_length=120)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
                               db_constraint=False)
    # Lower-cased name without spaces and punctuation, for typo-tolerant search ("prajurit kulon").
    search_key = models.CharField(max_length=120, db_index=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    # H3 v4 cell at resolution 9 (about 0.1 km², edge about 200 m) of the region's lat/lng.
    h3_cell = models.CharField(max_length=16, blank=True, db_index=True)
    population = models.PositiveIntegerField(null=True, blank=True)
    # GeoJSON geometry (lon,lat) as imported; None when no boundary is loaded.
    boundary = models.JSONField(null=True, blank=True)
    boundary_source = models.CharField(max_length=200, blank=True)
    boundary_repaired = models.BooleanField(default=False)
    bbox = models.JSONField(null=True, blank=True)  # [min_lng, min_lat, max_lng, max_lat]
    # Indexed because the per-process lookup and search caches compare max(updated_at) to notice changes.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class BoundaryImport(models.Model):
    """One boundary import: who loaded which file when, and what it changed (the audit trail points here)."""

    at = models.DateTimeField(_("imported at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("imported by"))
    organization = models.ForeignKey("core.Organization", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", verbose_name=_("organisation"))
    source = models.CharField(_("source"), max_length=200)
    sha256 = models.CharField(max_length=64, blank=True)
    features = models.PositiveIntegerField(_("features"), default=0)
    updated = models.PositiveIntegerField(_("regions changed"), default=0)
    unchanged = models.PositiveIntegerField(_("regions unchanged"), default=0)
    repaired = models.JSONField(_("repaired codes"), default=list, blank=True)
    level_counts = models.JSONField(_("features per level"), default=dict, blank=True)

    class Meta:
        verbose_name = _("boundary import")
        verbose_name_plural = _("boundary imports")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.source} ({self.features})"
