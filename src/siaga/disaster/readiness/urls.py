"""Readiness and training pages (/bencana/kesiapsiagaan/...)."""

from django.urls import path

from . import views

app_name = "disaster_readiness"

urlpatterns = [
    path("", views.overview_page, name="overview"),
    path("pelatihan/", views.modules_page, name="modules"),
    path("pelatihan/<int:module_id>/", views.module_page, name="module"),
    path("sop/", views.sop_page, name="sop"),
    path("sop/baru/", views.checklist_new_page, name="checklist_new"),
    path("sop/<int:checklist_id>/latihan/", views.drill_new_page, name="drill_new"),
    path("peta/", views.map_page, name="map"),
]
