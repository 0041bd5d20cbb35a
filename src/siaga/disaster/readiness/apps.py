"""Django app configuration for readiness and training."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterReadinessConfig(AppConfig):
    name = "siaga.disaster.readiness"
    label = "disaster_readiness"
    verbose_name = _("Readiness and training")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
