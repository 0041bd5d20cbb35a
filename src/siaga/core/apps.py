"""Django app configuration for the core app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "siaga.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from . import events  # noqa: F401  (registers the core event types)
