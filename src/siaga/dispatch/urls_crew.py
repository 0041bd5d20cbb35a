"""Dispatch pages: the crews' phone app at /dispatch/kru/ with its manifest and service worker."""

from django.urls import path

from . import views_crew as views

urlpatterns = [
    path("", views.crew_page, name="crew"),
    path("manifest.webmanifest", views.manifest, name="crew_manifest"),
    # Served from here, not /static/, so the worker's scope covers the page.
    path("sw.js", views.service_worker, name="crew_sw"),
]
