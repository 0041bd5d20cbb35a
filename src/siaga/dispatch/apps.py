"""Django app configuration for the dispatch app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "siaga.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
