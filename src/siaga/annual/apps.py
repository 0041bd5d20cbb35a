"""Django app configuration for the annual report."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnualConfig(AppConfig):
    name = "siaga.annual"
    label = "annual"
    verbose_name = _("Annual report")
