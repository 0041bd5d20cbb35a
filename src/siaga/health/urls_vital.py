"""Dukcapil pages for birth and death notifications (/dukcapil/...)."""

from django.urls import path  # noqa: F401

app_name = "health_vital"
urlpatterns: list = []
