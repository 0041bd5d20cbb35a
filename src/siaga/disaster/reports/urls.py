"""Disaster reports pages."""

from django.urls import path  # noqa: F401

app_name = "disaster_reports"
urlpatterns: list = []
