"""Disaster reports pages (/bencana/laporan/...)."""

from django.urls import path, re_path

from . import views

app_name = "disaster_reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:event_id>/", views.event_reports, name="event"),
    path("<int:event_id>/sitrep/", views.sitrep_page, name="sitrep"),
    re_path(r"^(?P<event_id>[0-9]+)/sitrep\.(?P<fmt>pdf|xlsx|csv)$", views.sitrep_export, name="sitrep_export"),
    path("<int:event_id>/3w/", views.activities_page, name="activities"),
    path("<int:event_id>/3w-hxl.csv", views.activities_hxl, name="activities_hxl"),
    path("terbit/<int:sitrep_id>/", views.issued_page, name="issued"),
    re_path(r"^terbit/(?P<sitrep_id>[0-9]+)\.(?P<fmt>pdf|xlsx|csv)$", views.issued_export, name="issued_export"),
]
