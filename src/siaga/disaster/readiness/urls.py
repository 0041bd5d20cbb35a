"""Readiness and training pages."""

from django.urls import path  # noqa: F401

app_name = "disaster_readiness"
urlpatterns: list = []
