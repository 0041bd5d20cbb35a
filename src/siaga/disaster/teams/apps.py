"""Django app configuration for team activation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterTeamsConfig(AppConfig):
    name = "siaga.disaster.teams"
    label = "disaster_teams"
    verbose_name = _("Team activation")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
