"""Django app configuration for logistics."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterLogisticsConfig(AppConfig):
    name = "siaga.disaster.logistics"
    label = "disaster_logistics"
    verbose_name = _("Logistics")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
