"""Road networks (reference data, no organisation) and the closures operators put on them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RoadNetwork(models.Model):
    """One compiled road network of a region; the arrays live in a compressed .npz under VAR_DIR/roads/."""

    region_code = models.CharField(_("region code"), max_length=20, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=300)
    file_path = models.CharField(_("compiled file"), max_length=500)
    node_count = models.PositiveIntegerField(default=0)
    arc_count = models.PositiveIntegerField(default=0)
    dropped_node_count = models.PositiveIntegerField(default=0)
    dropped_arc_count = models.PositiveIntegerField(default=0)
    bbox = models.JSONField(default=list)  # [min_lng, min_lat, max_lng, max_lat]
    speed_profile = models.JSONField(default=dict)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("road network")
        verbose_name_plural = _("road networks")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.name} ({self.region_code})"


class ClosureKind(models.TextChoices):
    ARCS = "arcs", _("Closed road segments")
    AREA = "area", _("Closed area (e.g. flooded)")
    ROAD_CLASS_FACTOR = "road_class_factor", _("Slow-down of a road class")


class RoadClosure(models.Model):
    """A closure or slow-down an organisation puts on a network; live between starts_at and ends_at/lifted_at."""

    network = models.ForeignKey(RoadNetwork, on_delete=models.CASCADE, related_name="closures")
    organization = models.ForeignKey("core.Organization", on_delete=models.CASCADE, related_name="road_closures")
    region_code = models.CharField(max_length=20, blank=True, db_index=True)
    kind = models.CharField(max_length=20, choices=ClosureKind.choices)
    arc_ids = models.JSONField(default=list, blank=True)
    area = models.JSONField(null=True, blank=True)  # GeoJSON Polygon/MultiPolygon (lon, lat)
    road_class = models.CharField(max_length=30, blank=True)
    factor = models.FloatField(default=1.0)
    reason = models.CharField(_("reason"), max_length=500)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("road closure")
        verbose_name_plural = _("road closures")
        ordering = ["-starts_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason[:60]}"
