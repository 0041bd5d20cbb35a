"""Django app configuration for the geo app."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _region_changed(sender, **kwargs):
    # A row saved one by one (admin, fixtures) must not leave this process's lookup and search stale
    # for the few seconds the version-stamp check would take; bulk writes in services.py invalidate too.
    from . import lookup, search

    lookup.invalidate()
    search.invalidate()


class GeoConfig(AppConfig):
    name = "siaga.geo"
    label = "geo"
    verbose_name = _("Regions")

    def ready(self):
        from .models import Region

        post_save.connect(_region_changed, sender=Region, dispatch_uid="geo.region_changed.save")
        post_delete.connect(_region_changed, sender=Region, dispatch_uid="geo.region_changed.delete")
