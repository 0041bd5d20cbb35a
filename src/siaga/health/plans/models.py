"""Posyandu problems and plans: models."""

from django.db import models  # noqa: F401
