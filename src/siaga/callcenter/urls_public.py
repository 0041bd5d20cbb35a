"""Citizens' pages, mounted at /lapor/: report form, tracking page, location-link page."""

from django.urls import path

from . import views_public

app_name = "lapor"
urlpatterns = [
    path("", views_public.report, name="report"),
    path("status/<str:token>/", views_public.status, name="status"),
    path("lokasi/<str:token>/", views_public.location, name="location"),
]
