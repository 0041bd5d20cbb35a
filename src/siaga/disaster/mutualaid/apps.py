"""Django app configuration for mutual aid."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterMutualaidConfig(AppConfig):
    name = "siaga.disaster.mutualaid"
    label = "disaster_mutualaid"
    verbose_name = _("Mutual aid")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
