"""Dukcapil pages for birth and death notifications (/dukcapil/...)."""

from django.urls import path

from . import views_vital as views

app_name = "health_vital"
urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("lapor/<str:kind>/", views.notify_page, name="notify"),
    path("<int:event_id>/", views.detail_page, name="detail"),
    path("<int:event_id>/putuskan/", views.decide, name="decide"),
    path("<int:event_id>/perbaiki/", views.resubmit_page, name="resubmit"),
]
