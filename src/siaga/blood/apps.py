"""Django app configuration for the blood app."""

import importlib.util

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BloodConfig(AppConfig):
    name = "siaga.blood"
    label = "blood"
    verbose_name = _("Blood service")

    def ready(self):
        from . import events  # noqa: F401  (registers event schemas)

        # Request, issue and transfer event types live in their own module (a second writer owns it).
        if importlib.util.find_spec("siaga.blood.events_issue") is not None:
            importlib.import_module("siaga.blood.events_issue")
