"""Django app configuration for the health app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthConfig(AppConfig):
    name = "siaga.health"
    label = "health"
    verbose_name = _("Community health")

    def ready(self):
        from . import events, events_lifecycle  # noqa: F401  (registers event schemas)
