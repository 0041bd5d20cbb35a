"""Django app configuration for the blood app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BloodConfig(AppConfig):
    name = "siaga.blood"
    label = "blood"
    verbose_name = _("Blood service")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)
