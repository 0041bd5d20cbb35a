"""Django app configuration for disaster reports."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisasterReportsConfig(AppConfig):
    name = "siaga.disaster.reports"
    label = "disaster_reports"
    verbose_name = _("Disaster reports")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
