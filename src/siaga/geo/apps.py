"""Django app configuration for the geo app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    name = "siaga.geo"
    label = "geo"
    verbose_name = _("Regions")
