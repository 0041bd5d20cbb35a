"""Django app configuration for the routing app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "siaga.routing"
    label = "routing"
    verbose_name = _("Road routing")
