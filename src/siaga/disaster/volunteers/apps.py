"""Django app configuration for volunteers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterVolunteersConfig(AppConfig):
    name = "siaga.disaster.volunteers"
    label = "disaster_volunteers"
    verbose_name = _("Volunteers")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
