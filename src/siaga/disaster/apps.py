"""Django app configuration for the disaster app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterConfig(AppConfig):
    name = "siaga.disaster"
    label = "disaster"
    verbose_name = _("Disaster response")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
