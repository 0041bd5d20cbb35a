"""Django app configuration for the call center."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallCenterConfig(AppConfig):
    name = "siaga.callcenter"
    label = "callcenter"
    verbose_name = _("Call center")

    def ready(self):
        from . import events  # noqa: F401  (registers the call-center event types)
