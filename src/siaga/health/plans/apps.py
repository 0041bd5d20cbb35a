"""Django app configuration for posyandu problems and plans."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HealthPlansConfig(AppConfig):
    name = "siaga.health.plans"
    label = "health_plans"
    verbose_name = _("Posyandu problems and plans")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
