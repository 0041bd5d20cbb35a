"""Logistics pages."""

from django.urls import path  # noqa: F401

app_name = "disaster_logistics"
urlpatterns: list = []
