"""Life-cycle service pages (/posyandu/layanan/...)."""

from django.urls import path  # noqa: F401

app_name = "health_lifecycle"
urlpatterns: list = []
