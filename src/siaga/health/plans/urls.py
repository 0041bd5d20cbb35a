"""Posyandu problems and plans pages."""

from django.urls import path  # noqa: F401

app_name = "health_plans"
urlpatterns: list = []
