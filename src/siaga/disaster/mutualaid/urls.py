"""Mutual aid pages."""

from django.urls import path  # noqa: F401

app_name = "disaster_mutualaid"
urlpatterns: list = []
