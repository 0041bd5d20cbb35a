"""PWS dashboard pages (/posyandu/pws/...)."""

from django.urls import path  # noqa: F401

app_name = "health_pws"
urlpatterns: list = []
